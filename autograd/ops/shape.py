"""Ops that move entries without changing them: reshape, transpose, indexing, cat, stack, where,
clone, flip, tril/triu, repeat, pad,
and the pair sum_to / broadcast_to. Each derivative moves the gradient back to where each
entry came from; the pairs (index and unindex, sum_to and broadcast_to) are each other's
derivative, which is what lets the backward pass itself be differentiated.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..graph import Node, Op
from .maths import broadcast_to, call, data, masked, sum_to, unbroadcast
from ..checks import is_int

# ---- argument checks, each naming the op and the shapes ---------------------------------------


def new_shape(t: Any, shape: Sequence, op: str = "reshape") -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(is_int(n) for n in shape):
        raise TypeError(f"{op}: sizes must be ints, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    size = math.prod(t.shape)
    known = math.prod(n for n in shape if n != -1)
    free = shape.count(-1)
    if free > 1 or any(n < -1 for n in shape) or (free == 0 and known != size) or \
            (free == 1 and (known == 0 or size % known)):
        raise ValueError(f"{op}: cannot reshape {t.shape} ({size} entries) into {shape}")
    return shape


def dim(t: Any, d: Any, op: str, extra: int = 0) -> int:
    """A dim index normalized to 0..ndim-1 (+extra), IndexError when out of range (as PyTorch); a 0-d
    tensor counts as having one dim (0 or -1), as in PyTorch."""
    if not is_int(d):
        raise TypeError(f"{op}: dim must be an int, got {d!r}")
    n = max(t.ndim + extra, 1)
    if not -n <= d < n:
        raise IndexError(out_of_range(op, d, t.shape, n))
    return int(d) % n


def out_of_range(op: str, d: int, shape: tuple, n: int) -> str:
    """The IndexError's message for a dim a tensor lacks, ending in PyTorch's own words."""
    return (f"{op}: dim {d} is out of range for a tensor of shape {shape}: Dimension out of range "
            f"(expected to be in range of [{-n}, {n - 1}], but got {d})")


def permutation(t: Any, axes: Sequence, op: str = "permute") -> tuple:
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        return tuple(reversed(range(t.ndim)))
    if len(axes) != t.ndim:
        raise ValueError(f"{op}: {tuple(axes)} does not name each of the {t.ndim} dims of shape {t.shape} once")
    perm = tuple(dim(t, a, op) for a in axes)
    if sorted(perm) != list(range(t.ndim)):
        raise ValueError(f"{op}: {tuple(axes)} is not a permutation of the {t.ndim} dims of shape {t.shape}")
    return perm


def squeezed(t: Any, axis: Any) -> tuple:
    if axis is None:
        return tuple(n for n in t.shape if n != 1)
    parts = (axis,) if not isinstance(axis, (tuple, list)) else axis
    axes = {dim(t, a, "squeeze") for a in parts} if t.ndim else set()
    if t.ndim == 0 and axis not in (0, -1, ()):
        raise IndexError(f"squeeze: dim {axis} is out of range for a 0-d tensor")
    # PyTorch leaves a dim that is not of size 1 as it is.
    return tuple(n for i, n in enumerate(t.shape) if not (i in axes and n == 1))


def unsqueezed(t: Any, axis: Any) -> tuple:
    d = dim(t, axis, "unsqueeze", extra=1)
    shape = list(t.shape)
    shape.insert(d, 1)
    return tuple(shape)


def clean_index(index: Any) -> Any:
    """An index with Tensors replaced by their arrays: an integer tensor picks entries, a bool one
    masks (as PyTorch). A float tensor is an IndexError, as in PyTorch: `tensor([1., 0.])` could
    mean rows or a mask, and either reading would be a silent guess."""
    def plain(i):
        if isinstance(i, Node):
            d = i.data
            if d.dtype.kind not in "biu":
                raise IndexError(f"[]: tensors used as indices must be long, int or bool tensors, got {d.dtype} "
                                 "(use .long() for positions, .bool() or a comparison for a mask)")
            return d
        return i

    return tuple(plain(i) for i in index) if isinstance(index, tuple) else plain(index)


def _show(index: Any) -> str:
    """An index as a diagram label reads it: an index array by its kind and shape, not its entries."""
    def part(i):
        if isinstance(i, np.ndarray) and i.ndim:
            return f"{'mask' if i.dtype == bool else 'idx'}{tuple(i.shape)}"
        return repr(i)
    text = ", ".join(part(i) for i in index) if isinstance(index, tuple) else part(index)
    return text if len(text) < 80 else text[:77] + "..."


def _as_tuple(index: Any) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def _is_basic(index: Any) -> bool:
    """Ints, slices, None and ... only: no entry can be picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in parts)


# ---- the ops -------------------------------------------------------------------------------------

class Reshape(Op):
    name = "reshape"
    derivative = "x: grad reshaped to x's shape"

    @staticmethod
    def forward(shape, x):
        return x.reshape(shape)

    @staticmethod
    def backward(shape, grad, out, x):
        return (grad.reshape(data(x).shape),)


class Transpose(Op):
    name = "transpose"
    derivative = "x: grad with the inverse permutation"

    @staticmethod
    def forward(perm, x):
        return x.transpose(perm)

    @staticmethod
    def backward(perm, grad, out, x):
        return (grad.transpose(tuple(int(i) for i in np.argsort(perm))),)


class Index(Op):
    name = "[]"
    derivative = "x: unindex(grad): each picked entry's gradient goes home, summed where picked twice"

    @staticmethod
    def label(out) -> str:
        return f"[{_show(out.ctx)}]"

    @staticmethod
    def forward(index, x):
        # Ints and slices give a view of x's memory, as PyTorch's indexing does, so an in-place change
        # of x shows through it (and the two share a version counter); a single entry is a 0-d view.
        try:
            if _is_basic(index):
                part = x[index]
                return part if isinstance(part, np.ndarray) else x[(*_as_tuple(index), Ellipsis)]
            return np.array(x[index])
        except IndexError as e:
            raise IndexError(f"[]: index {_show(index)} does not fit a tensor of shape {x.shape}: {e}") from None

    @staticmethod
    def backward(index, grad, out, x):
        shape = data(x).shape
        if isinstance(grad, Node):
            return (type(grad).apply(Unindex, grad, ctx=(index, shape)),)
        return (Unindex.forward((index, shape), grad),)


class Unindex(Op):
    name = "unindex"
    derivative = "g: grad[index]   (the adjoint of indexing)"

    @staticmethod
    def forward(ctx, g):
        index, shape = ctx
        grad = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            grad[index] = g
        else:
            np.add.at(grad, index, g)
        return grad

    @staticmethod
    def backward(ctx, grad, out, g):
        return (grad[ctx[0]],)


class Cat(Op):
    name = "cat"
    derivative = "each input: its own slice of grad along dim"

    @staticmethod
    def forward(axis, *xs):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(axis, grad, out, *xs):
        ends = np.cumsum([data(x).shape[axis] for x in xs])
        before = (slice(None),) * axis
        return tuple(grad[before + (slice(int(e - data(x).shape[axis]), int(e)),)] for x, e in zip(xs, ends))


class Stack(Op):
    name = "stack"
    derivative = "input k: grad[..., k, ...] along the new dim"

    @staticmethod
    def forward(axis, *xs):
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(axis, grad, out, *xs):
        before = (slice(None),) * axis
        return tuple(grad[before + (k,)] for k in range(len(xs)))


class Where(Op):
    name = "where"
    derivative = "a: grad where condition, else 0;  b: grad where not condition, else 0"
    broadcasts = True

    @staticmethod
    def forward(condition, a, b):
        return np.where(condition, a, b)

    @staticmethod
    def backward(condition, grad, out, a, b):
        return masked(grad, condition), masked(grad, np.logical_not(condition))


class SumTo(Op):
    name = "sum_to"
    derivative = "x: broadcast_to(grad, x's shape)"

    @staticmethod
    def forward(shape, x):
        return unbroadcast(x, shape)

    @staticmethod
    def backward(shape, grad, out, x):
        return (broadcast_to(grad, data(x).shape),)


class BroadcastTo(Op):
    name = "broadcast_to"
    derivative = "x: sum_to(grad, x's shape)"

    @staticmethod
    def forward(shape, x):
        return broadcast_to(x, shape)

    @staticmethod
    def backward(shape, grad, out, x):
        return (sum_to(grad, data(x).shape),)


class Clone(Op):
    name = "clone"
    derivative = "x: grad   (a copy)"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad,)


class Flip(Op):
    name = "flip"
    derivative = "x: grad flipped along the same dims"

    @staticmethod
    def forward(dims, x):
        return np.flip(x, dims).copy() if x.ndim else x.copy()

    @staticmethod
    def backward(dims, grad, out, x):
        return (call(Flip, dims, grad),)


class Tril(Op):
    name = "tril"
    derivative = "x: tril(grad, diagonal)   (the entries kept get their gradient, the zeroed ones none)"

    @staticmethod
    def forward(diagonal, x):
        return np.tril(x, diagonal)

    @staticmethod
    def backward(diagonal, grad, out, x):
        return (call(Tril, diagonal, grad),)


class Triu(Op):
    name = "triu"
    derivative = "x: triu(grad, diagonal)"

    @staticmethod
    def forward(diagonal, x):
        return np.triu(x, diagonal)

    @staticmethod
    def backward(diagonal, grad, out, x):
        return (call(Triu, diagonal, grad),)


class Repeat(Op):
    name = "repeat"
    derivative = "x: grad summed over the copies (each tile sends its gradient to the entry it copied)"

    @staticmethod
    def forward(repeats, x):
        return np.tile(x, repeats)

    @staticmethod
    def backward(repeats, grad, out, x):
        shape = data(x).shape
        padded = (1,) * (len(repeats) - len(shape)) + shape
        tiles = tuple(n for pair in zip(repeats, padded) for n in pair)  # (r0, s0, r1, s1, ...)
        copies = tuple(range(0, len(tiles), 2))
        return (grad.reshape(tiles).sum(copies).reshape(shape),)


class Pad(Op):
    name = "pad"
    derivative = "x: grad with the padding cut off"

    @staticmethod
    def forward(ctx, x):
        widths, value = ctx
        return np.pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx, grad, out, x):
        widths = ctx[0]
        return (grad[tuple(slice(before, before + n) for (before, _), n in zip(widths, data(x).shape))],)
