"""Reductions over axes (sum, mean, max, min, var): forward and derivative side by side.

A reduction's gradient has the reduced shape; `expand` puts the reduced axes back (as
size 1) so it broadcasts over the operand's shape again.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .graph import Op


def axes(t, axis: Any, keepdims: bool, op: str) -> tuple:
    """(normalized axes or None, keepdims), with a clear error for an axis the tensor lacks."""
    if axis is None:
        return None, bool(keepdims)
    raw = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in raw:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -t.ndim <= a < t.ndim or (t.ndim == 0):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor of shape {t.shape}")
        out.append(int(a) % t.ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out)), bool(keepdims)


def count(t, ctx: tuple) -> int:
    """How many entries each output entry of the reduction summarizes."""
    axis = ctx[0]
    if axis is None:
        return t.size
    return int(np.prod([t.shape[a] for a in axis]))


def expand(g: np.ndarray, shape: tuple, ctx: tuple) -> np.ndarray:
    """A reduced gradient with its reduced axes restored as size 1, ready to broadcast to `shape`."""
    axis, keepdims = ctx[0], ctx[1]
    if axis is None:
        return g.reshape((1,) * len(shape))
    if not keepdims:
        g = np.expand_dims(g, axis)
    return g


def spread(g: np.ndarray, shape: tuple) -> np.ndarray:
    """`g` (with its reduced axes restored) copied over `shape`, as a fresh writable array.

    `np.broadcast_to` would give a view without copying, but costs several microseconds a
    call, more than copying a small gradient, and a leaf must copy a view anyway.
    """
    out = np.empty(shape, g.dtype)
    out[...] = g
    return out


class Sum(Op):
    name = "sum"

    @staticmethod
    def forward(ctx, a):
        return np.asarray(a.sum(axis=ctx[0], keepdims=ctx[1]))

    @staticmethod
    def backward(out, g):
        a = out.parents[0]
        return (spread(expand(g, a.shape, out.ctx), a.shape),)  # d(sum x)/dx_i = 1


class Mean(Op):
    name = "mean"

    @staticmethod
    def forward(ctx, a):
        if a.dtype.kind == "f" and a.dtype.itemsize >= 4:  # what ndarray.mean does, minus its Python wrapper
            return np.asarray(np.add.reduce(a, axis=ctx[0], keepdims=ctx[1]) / count(a, ctx))
        return np.asarray(a.mean(axis=ctx[0], keepdims=ctx[1]))  # ints and float16 take numpy's accumulator

    @staticmethod
    def backward(out, g):
        a = out.parents[0]
        n = count(a, out.ctx)
        return (spread(expand(g, a.shape, out.ctx) / np.asarray(n, g.dtype), a.shape),)  # 1/N each


class Max(Op):
    name = "max"

    @staticmethod
    def forward(ctx, a):
        return np.asarray(a.max(axis=ctx[0], keepdims=ctx[1]))

    @staticmethod
    def backward(out, g):
        # 1 for the winning entry, 0 elsewhere; k tied winners get 1/k each (as torch.amax).
        a = out.parents[0]
        wins = a.data == expand(out.data, a.shape, out.ctx)
        ties = wins.sum(axis=out.ctx[0], keepdims=True, dtype=g.dtype)
        return (wins * (expand(g, a.shape, out.ctx) / ties),)


class Min(Max):
    name = "min"

    @staticmethod
    def forward(ctx, a):
        return np.asarray(a.min(axis=ctx[0], keepdims=ctx[1]))


class Var(Op):
    name = "var"

    @staticmethod
    def forward(ctx, a):
        axis, keepdims, ddof = ctx
        return np.asarray(a.var(axis=axis, keepdims=keepdims, ddof=ddof))

    @staticmethod
    def backward(out, g):
        # d var/dx_i = 2 (x_i - mean) / (N - ddof)
        a = out.parents[0]
        axis, _, ddof = out.ctx
        centered = a.data - a.data.mean(axis=axis, keepdims=True)
        scale = np.asarray(2.0 / (count(a, out.ctx) - ddof), g.dtype)
        return (expand(g, a.shape, out.ctx) * centered * scale,)
