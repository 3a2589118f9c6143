"""Ops that move entries without changing them: reshape, transpose, indexing, cat, stack, where.

Their derivatives move the gradient back to where each entry came from.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .graph import Op


# ---- argument checks, each naming the op and the shapes ---------------------------------------

def new_shape(t, shape: Sequence) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"reshape: sizes must be ints, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    known = int(np.prod([n for n in shape if n != -1]))
    free = shape.count(-1)
    if free > 1 or any(n < -1 for n in shape) or (free == 0 and known != t.size) or \
            (free == 1 and (known == 0 or t.size % known)):
        raise ValueError(f"reshape: cannot reshape {t.shape} ({t.size} entries) into {shape}")
    return shape


def permutation(t, axes: Sequence) -> tuple:
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        return tuple(reversed(range(t.ndim)))
    if sorted(int(a) % max(t.ndim, 1) for a in axes) != list(range(t.ndim)) or len(axes) != t.ndim:
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the {t.ndim} axes of {t.shape}")
    return tuple(int(a) % t.ndim for a in axes)


def squeezed(t, axis: Any) -> tuple:
    if axis is None:
        return tuple(n for n in t.shape if n != 1)
    axes = {int(a) % t.ndim for a in ((axis,) if isinstance(axis, int) else axis)} if t.ndim else set()
    for a in axes:
        if t.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {t.shape} has size {t.shape[a]}, not 1")
    if t.ndim == 0 and axis not in (None, 0, -1, ()):
        raise ValueError(f"squeeze: axis {axis} is out of range for a 0-d tensor")
    return tuple(n for i, n in enumerate(t.shape) if i not in axes)


def unsqueezed(t, axis: int) -> tuple:
    if not -t.ndim - 1 <= axis <= t.ndim:
        raise ValueError(f"unsqueeze: axis {axis} is out of range for shape {t.shape} (valid: {-t.ndim - 1}..{t.ndim})")
    shape = list(t.shape)
    shape.insert(axis % (t.ndim + 1), 1)
    return tuple(shape)


def clean_index(t, index: Any) -> Any:
    """An index with Tensors replaced by their arrays (float ones holding whole numbers become ints)."""
    from .tensor import Tensor

    def plain(i):
        if isinstance(i, Tensor):
            return i.data.astype(np.intp) if i.data.dtype.kind == "f" and np.all(i.data == np.round(i.data)) else i.data
        return i

    return tuple(plain(i) for i in index) if isinstance(index, tuple) else plain(index)


def _show(index: Any) -> str:
    text = repr(index)
    return text if len(text) < 80 else text[:77] + "..."


def _is_basic(index: Any) -> bool:
    """Ints, slices, None and ... only: no entry can be picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in parts)


# ---- the ops -------------------------------------------------------------------------------------

class Reshape(Op):
    name = "reshape"

    @staticmethod
    def forward(shape, a):
        return a.reshape(shape)

    @staticmethod
    def backward(out, g):
        return (g.reshape(out.parents[0].shape),)  # same entries, the operand's shape


class Transpose(Op):
    name = "transpose"

    @staticmethod
    def forward(axes, a):
        return a.transpose(axes)

    @staticmethod
    def backward(out, g):
        return (g.transpose(np.argsort(out.ctx)),)  # the inverse permutation


class Index(Op):
    name = "[]"

    @staticmethod
    def label(out) -> str:
        return f"[{_show(out.ctx)}]"

    @staticmethod
    def forward(index, a):
        try:
            return np.array(a[index])
        except IndexError as e:
            raise IndexError(f"[]: index {_show(index)} does not fit a tensor of shape {a.shape}: {e}") from None

    @staticmethod
    def backward(out, g):
        # Each picked entry sends its gradient home; an entry picked twice gets both (np.add.at).
        a = out.parents[0]
        grad = np.zeros(a.shape, dtype=g.dtype)
        if _is_basic(out.ctx):
            grad[out.ctx] = g
        else:
            np.add.at(grad, out.ctx, g)
        return (grad,)


class Cat(Op):
    name = "cat"

    @staticmethod
    def forward(axis, *arrays):
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(out, g):
        cuts = np.cumsum([p.shape[out.ctx] for p in out.parents])[:-1]
        return tuple(np.split(g, cuts, axis=out.ctx))  # each operand gets its own slice back


class Stack(Op):
    name = "stack"

    @staticmethod
    def forward(axis, *arrays):
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(out, g):
        return tuple(np.moveaxis(g, out.ctx, 0))  # slice k along the new axis goes to operand k


class Where(Op):
    name = "where"

    @staticmethod
    def forward(condition, a, b):
        return np.where(condition, a, b)

    @staticmethod
    def backward(out, g):
        from .elementwise import unbroadcast
        a, b = out.parents
        cond = out.ctx  # the gradient goes to whichever operand was picked
        return unbroadcast(np.where(cond, g, 0), a.shape), unbroadcast(np.where(cond, 0, g), b.shape)
