"""microgpt's model (bench/gpt.py) on both engines and on PyTorch, from the same weights: the
scalar and Tensor paths give the same losses step by step, and every gradient is PyTorch's."""
from __future__ import annotations

import numpy as np
import pytest

from bench import gpt
from circuitgrad import nn


@pytest.fixture(scope="module")
def setup():
    names = gpt.training_names("en")
    tok = nn.text.CharTokenizer(names)
    return names, tok, gpt.init_weights(tok.vocab_size)


def test_scalar_and_tensor_paths_train_alike(setup):
    names, tok, weights = setup
    scalar = gpt.train_scalar(gpt.circuitgrad_scalar(weights), tok, names, 3, total_steps=1000)
    tensor = gpt.train_tensor(gpt.TensorGPT(weights), tok, names, 3, total_steps=1000)
    assert scalar[0] == pytest.approx(np.log(tok.vocab_size), abs=0.1)  # near-uniform guesses at the start
    np.testing.assert_allclose(scalar, tensor, rtol=0, atol=1e-12)


def test_every_gradient_is_pytorchs_after_a_step(torch, setup):
    names, tok, weights = setup
    ours, theirs = gpt.TensorGPT(weights), gpt.torch_gpt(weights, torch)
    ours_opt = nn.optim.Adam(ours.parameters(), lr=gpt.LR, betas=gpt.BETAS, eps=gpt.EPS)
    theirs_opt = torch.optim.Adam(theirs.parameters(), lr=gpt.LR, betas=gpt.BETAS, eps=gpt.EPS)
    for step in range(2):  # a step of Adam, then the gradients of the next name
        tokens = tok.encode(names[step])
        loss, ref = ours.loss(tokens), theirs.loss(tokens)
        assert loss.item() == pytest.approx(ref.item(), abs=1e-12)
        ours_opt.zero_grad()
        theirs_opt.zero_grad()
        loss.backward()
        ref.backward()
        for name, p in theirs.named_parameters():
            np.testing.assert_allclose(dict(ours.named_parameters())[name].grad, p.grad.numpy(), rtol=1e-9,
                                       atol=1e-12, err_msg=name)
        ours_opt.step()
        theirs_opt.step()


def test_the_model_crosses_to_pytorch_and_trains_on_with_the_same_losses(torch, setup):
    """Three steps here, `nn.to_torch(model, into=...)` with the Adam state, then three steps in
    PyTorch: the same losses as three more steps here (float64, 1e-9)."""
    names, tok, weights = setup
    ours = gpt.TensorGPT(weights)
    opt = nn.optim.Adam(ours.parameters(), lr=gpt.LR, betas=gpt.BETAS, eps=gpt.EPS)
    steps = [tok.encode(name) for name in names[:6]]

    def step_here(tokens):
        loss = ours.loss(tokens)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for tokens in steps[:3]:
        step_here(tokens)
    theirs = nn.to_torch(ours, into=gpt.torch_gpt(gpt.init_weights(tok.vocab_size, seed=1), torch))
    theirs_opt = opt.to_torch(theirs.parameters())  # Adam's moments and step count cross too
    for tokens in steps[3:]:
        ref = theirs.loss(tokens)
        theirs_opt.zero_grad()
        ref.backward()
        theirs_opt.step()
        assert step_here(tokens) == pytest.approx(ref.item(), abs=1e-9)


# ---- bad input: each gives a clear error naming the value ----------------------------------------------

def test_a_sequence_over_the_block_size_names_both_numbers(setup):
    names, tok, weights = setup
    model, scalar = gpt.TensorGPT(weights), gpt.circuitgrad_scalar(weights)
    with pytest.raises(ValueError, match="a sequence of 17 tokens does not fit the model's block size 16"):
        model(list(range(17)))
    with pytest.raises(ValueError, match=r"a sequence of 0 tokens does not fit"):
        model([])
    assert model(list(range(16))).shape == (16, tok.vocab_size)  # exactly the block fits
    with pytest.raises(ValueError, match="position 16 is beyond the model's block size 16"):
        scalar.forward(0, 16, [[]], [[]])


def test_the_issues_bad_input_list(setup):
    names, tok, weights = setup
    with pytest.raises(ValueError, match=r"character '#' \(U\+0023\) at position 2"):
        tok.encode("ab#")
    with pytest.raises(ValueError, match="the corpus is empty"):
        nn.text.CharTokenizer([])
    with pytest.raises(ValueError, match="the name list is empty"):
        gpt.train_tensor(gpt.TensorGPT(weights), tok, [], 1)
    logits = np.zeros(tok.vocab_size)
    with pytest.raises(ValueError, match="temperature must be a number > 0, got 0"):
        nn.text.sample_next(logits, temperature=0)
    with pytest.raises(ValueError, match=f"top_k must be an int from 1 to the vocabulary size {tok.vocab_size}, "
                                         f"got {tok.vocab_size + 1}"):
        nn.text.sample_next(logits, top_k=tok.vocab_size + 1)
