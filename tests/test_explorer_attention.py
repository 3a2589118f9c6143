"""One attention weight of a transformer as a circuit in the explorer page (issue 26, item 4).

A little GPT as notebook 17 writes it (embedding, masked attention heads, an MLP, a head of
logits) is traced and one output logit is explored. The page of the whole model opens one box
per module; clicking the attention weights' wire lists them per head, and clicking one opens
its circuit: the q.k products, the scale and the softmax gates as scalar gates. The numbers on
the page are the ones `model(x)` computes, and the gradient the circuit starts from is
d logit / d weight (the page itself in Chromium: tests/test_explorer_browser.py). Here the
rebuilding (`viz.attention_circuits`), also for scaled_dot_product_attention and MultiheadAttention.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor, grad
from circuitgrad.nn import functional as F
from circuitgrad.viz.attention_circuits import recognise, weight_circuit
from circuitgrad.viz.graph_view import format_number

N_EMBD, N_HEAD, VOCAB = 4, 2, 5
HEAD_DIM = N_EMBD // N_HEAD


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(N_EMBD, N_EMBD, bias=False) for _ in range(4))

    def forward(self, x):
        T = x.shape[0]
        q, k, v = (w(x).reshape(T, N_HEAD, HEAD_DIM).transpose(0, 1) for w in (self.wq, self.wk, self.wv))
        scores = q @ k.transpose(-2, -1) / HEAD_DIM ** 0.5
        future = np.triu(np.ones((T, T), dtype=bool), k=1)
        self.attention = scores.masked_fill(future, -math.inf).softmax(-1)
        return self.wo((self.attention @ v).transpose(0, 1).reshape(T, N_EMBD))


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, N_EMBD), nn.Embedding(4, N_EMBD)
        self.attn = Attention()
        self.lm_head = nn.Linear(N_EMBD, VOCAB, bias=False)

    def forward(self, tokens):
        x = self.wte(tokens) + self.wpe(np.arange(len(tokens)))
        x = x + self.attn(x)
        return self.lm_head(x)


def traced_logit():
    np.random.seed(1)
    model = TinyGPT()
    with nn.trace_modules() as trace:
        logits = model(np.array([4, 1, 2]))
    logit = logits[2, 3]
    logit.label = "logit"
    return model, logit, trace


def test_a_weights_circuit_computes_the_models_number_and_starts_from_its_gradient():
    model, logit, trace = traced_logit()
    weights = model.attn.attention
    page = viz.explore(logit, trace=trace).model
    (key, found), = page["attention"].items()
    assert found["shape"] == [2, 3, 3]
    np.testing.assert_array_equal(found["values"], weights.data.ravel())
    assert sorted(int(k) for k in found["circuits"]) == [0, 3, 4, 6, 7, 8, 9, 12, 13, 15, 16, 17]  # no masked one
    (d_weights,) = grad(logit, weights)
    parts = recognise(weights)
    for flat, index in enumerate(np.ndindex(2, 3, 3)):
        if str(flat) not in found["circuits"]:
            continue
        a = weight_circuit(parts, index)
        assert a.data == pytest.approx(weights.data[index], rel=1e-12)
        circuit = found["circuits"][str(flat)]
        assert circuit["seed"] == format_number(d_weights[index], 2)


@pytest.mark.parametrize("kind", ["sdpa", "sdpa causal", "sdpa float mask", "multihead"])
def test_attention_is_recognised_in_pytorchs_forms(kind, rng):
    q, k, v = (Tensor(rng.normal(size=(2, 3, 4)), requires_grad=True) for _ in range(3))
    if kind == "multihead":
        mha = nn.MultiheadAttention(4, 2, batch_first=True)
        out = mha(q, k, v)[0]
    elif kind == "sdpa float mask":
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=rng.normal(size=(3, 3)))
    else:
        out = F.scaled_dot_product_attention(q, k, v, is_causal=kind == "sdpa causal")
    page = viz.explore(out.sum()).model
    assert len(page["attention"]) == 1
    (found,) = page["attention"].values()
    expected = 2 * 2 * 3 * 3 if kind == "multihead" else 2 * 3 * 3
    assert len(found["circuits"]) == (expected if kind != "sdpa causal" else 2 * 6)


def test_a_softmax_that_is_not_attention_gets_no_circuit():
    x = Tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    assert viz.explore((x * 2).softmax(-1).sum()).model["attention"] == {}
    assert viz.explore((x @ x.T).exp().softmax(-1).sum()).model["attention"] == {}  # exp between: not the pattern


def test_past_the_budget_the_weights_show_without_circuits(monkeypatch):
    from circuitgrad.viz import attention_circuits
    monkeypatch.setattr(attention_circuits, "MAX_CIRCUITS", 5)
    _, logit, trace = traced_logit()
    (found,) = viz.explore(logit, trace=trace).model["attention"].values()
    assert found["circuits"] == {} and len(found["values"]) == 18
    assert found["note"].startswith("12 weights: too many circuits for one page (at most 5)")
