"""Reductions over axes (sum, mean, max, min, var, std, norm) and the running sum (cumsum).

Forward and derivative side by side.

`ctx` is `(axes, keepdims)`, axes None for all. A reduction's gradient has the reduced
shape; `keep` puts the reduced axes back (as size 1) so that it broadcasts over the input.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..graph import Op
from .maths import broadcast_to, call, data, sign, where
from .shape import Flip, dim as check_dim
from ..checks import is_int


def axes(t: Any, axis: Any, keepdims: bool, op: str) -> tuple:
    """(normalized axes or None for all, keepdims), as PyTorch reads a dim: `dim=()` (or `[]`) is
    every dim (numpy's would be none); a 0-d tensor takes dim 0 or -1 (and reduces nothing);
    IndexError for a dim the tensor lacks."""
    if axis is None or (isinstance(axis, (tuple, list)) and len(axis) == 0):
        return None, bool(keepdims)
    raw = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in raw:
        if not is_int(a):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {axis!r}")
        out.append(check_dim(t, a, op))
    if t.ndim == 0:
        return (), bool(keepdims)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated dim in {axis!r}")
    return tuple(sorted(out)), bool(keepdims)


def count(shape: tuple, ctx: tuple) -> int:
    """How many entries each output entry of the reduction summarizes."""
    axis = ctx[0]
    if axis is None:  # math.prod: np.prod of a tuple costs microseconds, more than a small mean
        return math.prod(shape)
    return math.prod(shape[a] for a in axis)


def keep(g: Any, ndim: int, ctx: tuple) -> Any:
    """A reduced gradient with its reduced axes restored as size 1, ready to broadcast."""
    axis, keepdims = ctx[0], ctx[1]
    if axis is None:
        return g.reshape((1,) * ndim)
    if keepdims:
        return g
    shape = list(g.shape)
    for a in axis:
        shape.insert(a, 1)
    return g.reshape(tuple(shape))


class Sum(Op):
    name = "sum"
    derivative = "x: grad broadcast to x's shape   (d sum/dx_i = 1)"

    @staticmethod
    def forward(ctx, x):
        return np.asarray(x.sum(axis=ctx[0], keepdims=ctx[1]))

    @staticmethod
    def backward(ctx, grad, out, x):
        shape = data(x).shape
        return (broadcast_to(keep(grad, len(shape), ctx), shape),)


class Mean(Op):
    name = "mean"
    derivative = "x: grad / N broadcast to x's shape"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "f" and x.dtype.itemsize >= 4:  # what ndarray.mean does, minus its Python wrapper
            return np.asarray(np.add.reduce(x, axis=ctx[0], keepdims=ctx[1]) / count(x.shape, ctx))
        return np.asarray(x.mean(axis=ctx[0], keepdims=ctx[1]))  # float16 takes numpy's accumulator

    @staticmethod
    def backward(ctx, grad, out, x):
        shape = data(x).shape
        n = count(shape, ctx)
        return (broadcast_to(keep(grad, len(shape), ctx) / np.asarray(n, data(grad).dtype), shape),)


class Max(Op):
    name = "max"
    derivative = "x: grad where x is the maximum, shared equally by k ties (as torch.amax)"

    @staticmethod
    def forward(ctx, x):
        return np.asarray(x.max(axis=ctx[0], keepdims=ctx[1]))

    @staticmethod
    def backward(ctx, grad, out, x):
        xv = data(x)
        wins = xv == keep(data(out), xv.ndim, ctx)
        ties = wins.sum(axis=ctx[0], keepdims=True, dtype=data(grad).dtype)
        return (keep(grad, xv.ndim, ctx) * (wins / ties).astype(data(grad).dtype),)


class Min(Max):
    name = "min"
    derivative = "x: grad where x is the minimum, shared equally by k ties (as torch.amin)"

    @staticmethod
    def forward(ctx, x):
        return np.asarray(x.min(axis=ctx[0], keepdims=ctx[1]))


class Var(Op):
    name = "var"
    derivative = "x: grad * 2 (x - mean(x)) / (N - correction)"

    @staticmethod
    def forward(ctx, x):
        axis, keepdims, ddof = ctx
        return np.asarray(x.var(axis=axis, keepdims=keepdims, ddof=ddof))

    @staticmethod
    def backward(ctx, grad, out, x):
        axis, keepdims, ddof = ctx
        shape = data(x).shape
        centered = x - x.mean(axis=axis, keepdims=True)
        scale = 2.0 / (count(shape, ctx) - ddof)
        return (keep(grad, len(shape), ctx) * centered * scale,)


class Std(Op):
    name = "std"
    derivative = "x: grad * (x - mean(x)) / ((N - correction) out)   (0 where out = 0, as PyTorch)"

    @staticmethod
    def forward(ctx, x):
        return np.sqrt(Var.forward(ctx, x))  # std = sqrt(var), with var's axes and correction

    @staticmethod
    def backward(ctx, grad, out, x):
        # The chain rule through sqrt(var) is var's slope over 2 out: 0 / 0 where the spread is 0.
        # PyTorch defines it as 0 there (a constant row normalized by std + eps trains), so do we.
        axis, keepdims, ddof = ctx
        shape = data(x).shape
        n = count(shape, ctx) - ddof
        flat = data(out) == 0
        if np.any(flat):
            safe = where(flat, 1.0, out)  # a divisor that is never 0, so no nan reaches even a second derivative
            slope = where(flat, 0.0, grad / (n * safe))
        else:
            slope = grad / (n * out)
        return (keep(slope, len(shape), ctx) * (x - x.mean(axis=axis, keepdims=True)),)


class Norm(Op):
    name = "norm"
    derivative = ("x: p=2: grad x / out (0 where out = 0, as PyTorch); p=1: grad sign(x); p=inf: grad sign(x) "
                  "where |x| is the largest, shared by ties; other p >= 1: grad sign(x) |x|^(p-1) / out^(p-1)")

    @staticmethod
    def forward(ctx, x):
        axis, keepdims, p = ctx
        a = np.abs(x)
        if p == 2:
            return np.sqrt(np.asarray((x * x).sum(axis=axis, keepdims=keepdims)))
        if p == 1:
            return np.asarray(a.sum(axis=axis, keepdims=keepdims))
        if p == math.inf:
            return np.asarray(a.max(axis=axis, keepdims=keepdims))
        return np.asarray((a ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p))

    @staticmethod
    def backward(ctx, grad, out, x):
        axis, keepdims, p = ctx
        ndim = data(x).ndim
        s = sign(x)
        if p == 1:
            return (keep(grad, ndim, ctx) * s,)
        if p == math.inf:  # as amax of |x|: the largest entries share the gradient
            wins = np.abs(data(x)) == keep(data(out), ndim, ctx)
            ties = wins.sum(axis=axis, keepdims=True, dtype=data(grad).dtype)
            return (keep(grad, ndim, ctx) * s * (wins / ties).astype(data(grad).dtype),)
        # 0 / 0 where the norm is 0 (every entry 0): PyTorch's gradient there is 0, and so is ours.
        flat = data(out) == 0
        safe = where(flat, 1.0, out) if np.any(flat) else out
        slope = where(flat, 0.0, grad / safe ** (p - 1)) if np.any(flat) else grad / safe ** (p - 1)
        if p == 2:
            return (keep(slope, ndim, ctx) * x,)
        return (keep(slope, ndim, ctx) * s * (x * s) ** (p - 1),)


class Cumsum(Op):
    name = "cumsum"
    derivative = "x: the reversed running sum of grad along dim   (x_i reaches every out_j with j >= i)"

    @staticmethod
    def forward(dim, x):
        return np.cumsum(x, axis=dim) if x.ndim else x.copy()

    @staticmethod
    def backward(dim, grad, out, x):
        return (call(Flip, (dim,), call(Cumsum, dim, call(Flip, (dim,), grad))),)
