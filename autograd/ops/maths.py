"""The few functions derivative formulas call, for a float, an array and a node alike.

A formula such as `grad * (1 - out * out)` needs nothing but operators, and reads the same
whether backprop runs on numbers or, with `create_graph=True`, builds the backward pass out
of nodes. Where a formula needs a function (`exp`, `where`, a mask), it calls one of these,
which does the right thing for each kind of argument.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..graph import Node


def is_node(x: Any) -> bool:
    return isinstance(x, Node)


def data(x: Any) -> Any:
    """The number or array inside `x`: what a mask or a comparison looks at."""
    return x.data if isinstance(x, Node) else x


def mask(condition: Any, like: Any) -> Any:
    """1 where `condition` holds, else 0, in `like`'s kind (float or array of its dtype).

    A mask's own derivative is 0 almost everywhere, so it stays a constant even when the
    backward pass is being recorded.
    """
    if isinstance(condition, (bool, np.bool_)):
        return 1.0 if condition else 0.0
    dtype = data(like).dtype if hasattr(data(like), "dtype") else np.float64
    return np.asarray(condition, dtype=dtype)


def exp(x: Any) -> Any:
    if isinstance(x, Node):
        return x.exp()
    return math.exp(x) if type(x) is float else np.exp(x)


def log(x: Any) -> Any:
    if isinstance(x, Node):
        return x.log()
    return math.log(x) if type(x) is float else np.log(x)


def sin(x: Any) -> Any:
    return x.sin() if isinstance(x, Node) else np.sin(x)


def cos(x: Any) -> Any:
    return x.cos() if isinstance(x, Node) else np.cos(x)


def tanh(x: Any) -> Any:
    return x.tanh() if isinstance(x, Node) else np.tanh(x)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), written as e^-log(1 + e^-x) for arrays so that no x overflows."""
    return x.sigmoid() if isinstance(x, Node) else np.exp(-np.logaddexp(0, -x))


@functools.lru_cache(maxsize=None)
def exp_limit(dtype: Any) -> np.ndarray:
    """The largest t of `dtype` whose e^t is finite (88.72 in float32, 709.78 in float64), as a
    read-only 0-d array of `dtype`, worked out once per dtype (sigmoid caps its exponent at it)."""
    t = np.array(math.log(np.finfo(dtype).max), dtype=dtype)
    with np.errstate(over="ignore"):
        while not np.isfinite(np.exp(t)):  # rounding to the dtype may have landed just above
            t = np.array(np.nextafter(t, t.dtype.type(0)))
    t.flags.writeable = False
    return t


def erf(x: Any) -> Any:
    """The error function; numpy has none, so arrays go through math.erf entry by entry."""
    if isinstance(x, Node):
        return x.erf()
    return np.asarray(_erf(x), dtype=x.dtype)


_erf = np.frompyfunc(math.erf, 1, 1)


def call(op: Any, ctx: Any, x: Any) -> Any:
    """Op `op` on one input: its forward on an array, recorded as a node on a node. For formulas
    that need an op with no operator (the flip in cumsum's derivative, tril's mask)."""
    if isinstance(x, Node):
        return type(x).apply(op, x, ctx=ctx)
    return op.forward(ctx, x)


def sign(x: Any) -> Any:
    """-1, 0 or 1: a constant, since its derivative is 0 wherever it exists."""
    x = data(x)
    if type(x) is float:
        return (x > 0.0) - (x < 0.0) + 0.0
    return np.sign(x)


def masked(grad: Any, keep: Any) -> Any:
    """`grad` where `keep` holds, else 0: the derivative of a gate that lets some entries through
    (clamp, where, hardtanh). A selection, as `where`: a nan in a blocked entry does not leak through."""
    return where(keep, grad, 0.0)


def where(condition: Any, a: Any, b: Any) -> Any:
    """`a` where `condition` holds, else `b` (numbers are broadcast). A selection, not a product
    with a 0/1 mask: a nan in the branch not taken does not leak through (nan * 0 is nan)."""
    if type(condition) is bool:  # one number, a Value's case (a 0-d array compares to np.bool_)
        picked, other = (a, b) if condition else (b, a)
        if isinstance(other, Node) and not isinstance(picked, Node):  # a recorded pass stays all nodes
            return type(other)._constant_like(picked)
        return picked
    if isinstance(a, Node) or isinstance(b, Node):
        node = a if isinstance(a, Node) else b
        return type(node)._where(condition, a, b)
    return np.where(condition, a, b)


def sum_to(g: Any, shape: tuple) -> Any:
    """Sum a gradient over the axes that broadcasting added or stretched, back to `shape`."""
    if isinstance(g, Node):
        return g._sum_to(g, shape)
    return unbroadcast(g, shape) if hasattr(g, "shape") else g


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """`sum_to` for a plain array: a fresh array of `shape` (leaves may keep it without a copy)."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra == 1 and g.shape[1:] == shape:  # a bias over a batch, the commonest case: 20% fewer instructions
        return np.add.reduce(g, axis=0)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    return g.reshape(shape) if g.shape != shape else g


def broadcast_to(g: Any, shape: tuple) -> Any:
    """`g` copied over `shape`: the derivative of a sum, which sends its gradient to every entry."""
    if isinstance(g, Node):
        return g.broadcast_to(shape)
    # np.broadcast_to gives a read-only view and costs several microseconds a call, more than
    # filling a small fresh array; a leaf would have to copy the view anyway.
    out = np.empty(shape, g.dtype)
    out[...] = g
    return out
