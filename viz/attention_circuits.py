"""One attention weight as a circuit of scalar gates, for the explorer page.

A Tensor model computes attention in a few big ops: the scores q k^T (one matmul), a scale, a
mask, a softmax. The explorer draws each as one wire carrying a (heads, T, T) array. To see
what a single weight a[h, i, j] is made of, this file finds those softmax nodes in the graph and
rebuilds each weight from its own numbers as a graph of scalar `Value` gates, the CS231n way:

    s_j' = (q_i . k_j') * scale (+ bias)      the q.k products, summed, then scaled
    a_ij = exp(s_j) / sum_j' exp(s_j')         the softmax gates, over the keys query i may see

Its backward pass starts from the gradient that the whole model's output sends to a_ij, so each
gate shows what flows back through this one weight. The rebuilt weight is compared with the
number the model computed, and a softmax whose pattern or numbers do not match gets no circuits
(never a circuit that disagrees with the model).

Recognised: softmax over the last axis of [where(mask, ., -inf) | + bias | * c | / c]... of q @ kT,
which is what `F.scaled_dot_product_attention`, `nn.MultiheadAttention` and a hand-written
`(q @ k.transpose(-2, -1)) / sqrt(d)` with `masked_fill` record.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from circuitgrad.autograd import ops as O
from circuitgrad.autograd.graph import Node
from circuitgrad.autograd.value import Value

from .locale import strings

# Circuits a page holds at most (each is a small page of ~100 gates, a few kilobytes); past it the
# page says to explore a shorter sequence.
MAX_CIRCUITS = 400


def _constant(node: Node) -> bool:
    return node.fn is None and not node.requires_grad


def recognise(softmax: Node) -> Optional[dict]:
    """The parts of an attention softmax: {q, kT, steps (outermost last), visible}; None if it is not one."""
    if softmax.fn is not O.Softmax or getattr(softmax.data, "ndim", 0) < 2 or \
            softmax.ctx not in (-1, softmax.data.ndim - 1):
        return None
    steps: list = []
    visible = np.ones(softmax.data.shape, dtype=bool)
    node = softmax.parents[0]
    while node.fn is not O.MatMul:
        parents = node.parents
        if node.fn is O.Where and len(parents) == 2:
            a, b = parents
            cond = np.broadcast_to(np.asarray(node.ctx, dtype=bool), softmax.data.shape)
            if _constant(b) and np.all(np.isneginf(b.data)):
                visible &= cond
                node = a
            elif _constant(a) and np.all(np.isneginf(a.data)):
                visible &= ~cond
                node = b
            else:
                return None
            continue
        if node.fn in (O.Add, O.Mul, O.Div) and len(parents) == 2:
            x, c = parents
            if node.fn is O.Add and _constant(x) and not _constant(c):
                x, c = c, x
            if not _constant(c) or _constant(x) or (node.fn is not O.Add and np.size(c.data) != 1):
                return None
            steps.append((node.fn.name, np.broadcast_to(c.data, softmax.data.shape)))
            node = x
            continue
        return None
    q, kT = node.parents
    if q.data.ndim < 2 or kT.data.ndim < 2:
        return None
    return {"q": np.broadcast_to(q.data, softmax.data.shape[:-2] + q.data.shape[-2:]),
            "kT": np.broadcast_to(kT.data, softmax.data.shape[:-2] + kT.data.shape[-2:]),
            "steps": steps[::-1], "visible": visible}


def _where(index: tuple) -> str:
    return ", ".join(str(i) for i in index)


def weight_circuit(parts: dict, index: tuple) -> Optional[Value]:
    """a[index] rebuilt from scalar gates (see the module docstring); None where the weight is masked."""
    *lead, i, j = index
    lead = tuple(lead)
    visible = parts["visible"][index[:-1]]
    if not visible[j]:
        return None
    q = [Value(float(v), f"q{e}") for e, v in enumerate(parts["q"][lead + (i,)])]
    scores, exps = {}, []
    for key in np.flatnonzero(visible):
        k = [Value(float(v), f"k{key}.{e}") for e, v in enumerate(parts["kT"][lead + (slice(None), key)])]
        s = q[0] * k[0]
        for a, b in zip(q[1:], k[1:]):
            s = s + a * b  # the q.k products, summed
        for op, c in parts["steps"]:  # the scale (and an additive bias), in the order the model applied them
            c = float(c[lead + (i, key)])
            s = s * c if op == "*" else s / c if op == "/" else s + c
        s.label = f"s{key}"
        e = s.exp()
        e.label = f"e{key}"
        scores[int(key)] = e
        exps.append(e)
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    total.label = "\u03a3e"
    a = scores[j] / total
    a.label = f"a[{_where(index)}]"
    return a


def _say(words: Optional[dict], key: str, **params: Any) -> str:
    """One of the page's words (viz/locales), English when the caller gave none."""
    if words is None:
        words = strings()
    return words["explorer." + key].format(**params)


def circuits(softmax: Node, grad: Any, page_model: Any, precision: int, budget: int,
             words: Optional[dict] = None) -> Optional[dict]:
    """What the page needs to open the weights of one attention softmax: {shape, values, circuits:
    {flat index: page model}} (a masked weight has none; past `budget` circuits none has, and `note`
    says why), or None when it is not attention or its numbers cannot be rebuilt."""
    parts = recognise(softmax)
    if parts is None:
        return None
    data = softmax.data
    if not np.isfinite(data).all():
        return None
    values = [float(v) for v in np.asarray(data, dtype=float).ravel()]
    wanted = int(parts["visible"].sum())
    if wanted > budget:  # the weights still show; their circuits would make the page too big
        return {"shape": list(data.shape), "values": values, "circuits": {},
                "note": _say(words, "att_too_many", n=wanted, most=MAX_CIRCUITS)}
    grads = np.zeros(data.shape) if grad is None else np.broadcast_to(np.asarray(grad, dtype=float), data.shape)
    tolerance = 1e-10 if data.dtype == np.float64 else 1e-5
    out: dict = {}
    for flat, index in enumerate(np.ndindex(data.shape)):
        try:
            a = weight_circuit(parts, index)
        except (OverflowError, ValueError, ArithmeticError):  # exp of a score past 709: the fused softmax shifts, gates cannot
            return None
        if a is None:
            continue
        if not math.isclose(a.data, float(data[index]), rel_tol=tolerance, abs_tol=tolerance):
            return None  # not the numbers the model computed: no circuit at all rather than a wrong one
        out[str(flat)] = page_model(a, grad=float(grads[index]), precision=precision,
                                    title=_say(words, "att_circuit_title", name=f"a[{_where(index)}]"))
    return {"shape": list(data.shape), "values": values, "circuits": out}
