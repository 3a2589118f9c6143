"""ignore_index on CrossEntropyLoss / NLLLoss and their functions: PyTorch's values, gradients and means."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from circuitgrad import nn
import circuitgrad.nn.functional as F
from circuitgrad.autograd import Tensor, gradcheck

LABELS = np.array([0, -100, 2, 1, -100, 2, 3])  # two padded samples
CASES = list(itertools.product(["mean", "sum", "none"], [False, True], [0.0, 0.2]))


def logits(rng):
    return rng.normal(size=(len(LABELS), 4))


def both(torch, ours, theirs, x_np, rng):
    """Loss and input gradient from our function and PyTorch's, for the same numbers."""
    x = Tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-13)
    g = rng.uniform(0.5, 1.5, size=out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-13)
    return out


@pytest.mark.parametrize("reduction,weighted,smoothing", CASES, ids=[f"{r}-w{w}-ls{s}" for r, w, s in CASES])
def test_cross_entropy_ignores_like_torch(torch, rng, reduction, weighted, smoothing):
    w = rng.uniform(0.5, 2.0, size=4) if weighted else None
    tw = torch.tensor(w) if weighted else None
    ours = nn.CrossEntropyLoss(weight=w, reduction=reduction, label_smoothing=smoothing)
    out = both(torch, lambda x: ours(x, LABELS),
               lambda tx: torch.nn.CrossEntropyLoss(weight=tw, reduction=reduction, label_smoothing=smoothing)(
                   tx, torch.tensor(LABELS)), logits(rng), rng)
    if reduction == "none":
        assert (out.data[LABELS == -100] == 0).all()


@pytest.mark.parametrize("reduction,weighted", [(r, w) for r, w, s in CASES if s == 0.0])
def test_nll_loss_ignores_like_torch(torch, rng, reduction, weighted):
    w = rng.uniform(0.5, 2.0, size=4) if weighted else None
    tw = torch.tensor(w) if weighted else None
    logp = np.log(np.exp(logits(rng)) / np.exp(logits(rng)).sum(axis=1, keepdims=True))
    both(torch, lambda x: nn.NLLLoss(weight=w, reduction=reduction)(x, LABELS),
         lambda tx: torch.nn.NLLLoss(weight=tw, reduction=reduction)(tx, torch.tensor(LABELS)), logp, rng)


def test_an_ignore_index_inside_the_class_range(torch, rng):
    labels = np.array([0, 1, 2, 1, 3])  # ignore class 1, e.g. a "background" class
    w = rng.uniform(0.5, 2.0, size=4)
    both(torch, lambda x: F.cross_entropy(x, labels, weight=w, label_smoothing=0.1, ignore_index=1),
         lambda tx: torch.nn.functional.cross_entropy(tx, torch.tensor(labels), weight=torch.tensor(w),
                                                      label_smoothing=0.1, ignore_index=1),
         rng.normal(size=(5, 4)), rng)


def test_one_unbatched_sample_that_is_ignored(torch, rng):
    x = rng.normal(size=4)
    for reduction in ("sum", "none"):
        both(torch, lambda t: F.cross_entropy(t, -100, reduction=reduction),
             lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(-100), reduction=reduction), x, rng)


def test_the_mean_is_over_kept_samples_only():
    x = np.log(np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]))
    loss = F.nll_loss(x, [0, -100, 1])
    assert loss.item() == pytest.approx(-(np.log(0.5) + np.log(0.8)) / 2, rel=1e-12)
    weighted = F.nll_loss(x, [0, -100, 1], weight=[1.0, 3.0])
    assert weighted.item() == pytest.approx(-(np.log(0.5) + 3 * np.log(0.8)) / 4, rel=1e-12)


def test_every_sample_ignored_gives_nan_mean_and_zero_sum(torch):
    x = np.zeros((2, 3))
    ours = F.cross_entropy(x, [-100, -100])
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor([-100, -100]))
    assert np.isnan(ours.item()) and np.isnan(theirs.item())
    assert F.cross_entropy(x, [-100, -100], reduction="sum").item() == 0.0


def test_ignored_samples_pass_finite_differences(rng):
    x = Tensor(logits(rng), requires_grad=True)
    w = rng.uniform(0.5, 2.0, size=4)
    assert gradcheck(lambda t: F.cross_entropy(t, LABELS, weight=w, label_smoothing=0.3), x)
    assert gradcheck(lambda t: F.nll_loss(t.log_softmax(axis=-1), LABELS, reduction="sum"), x)


def test_ignored_rows_get_no_gradient(rng):
    x = Tensor(logits(rng), requires_grad=True)
    nn.CrossEntropyLoss(label_smoothing=0.2)(x, LABELS).backward()
    assert (x.grad[LABELS == -100] == 0).all() and (x.grad[LABELS != -100] != 0).all()


def test_ignore_index_errors_and_repr():
    with pytest.raises(TypeError, match="CrossEntropyLoss: ignore_index must be an int.*got float 1.5"):
        nn.CrossEntropyLoss(ignore_index=1.5)
    with pytest.raises(TypeError, match="nll_loss: ignore_index must be an int"):
        F.nll_loss(np.zeros((1, 2)), [0], ignore_index="pad")
    with pytest.raises(ValueError, match=r"labels \[-1\] are out of range for 2 classes \(valid: 0..1, "
                                         r"or ignore_index -100\)"):
        F.nll_loss(np.zeros((2, 2)), [-1, -100])
    assert repr(nn.NLLLoss(ignore_index=0)) == "NLLLoss(ignore_index=0)"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
