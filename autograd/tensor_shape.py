"""Tensor's methods along dims: reductions (dim/keepdim as PyTorch, axis/keepdims as numpy),
cumsum, softmax, and the shape ops (reshape, permute, flip, repeat, pad, ...).

A mixin of `Tensor` (autograd/tensor.py), kept in its own file so that each file stays one
concept. Every dim is checked here, with IndexError for one the tensor lacks (as PyTorch);
what each op computes, and its derivative, is in the op table (`ops/`).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from . import ops as O
from .checks import is_int, is_real, real

Axis = Optional[Union[int, Sequence[int]]]


def _sizes(op: str, sizes: tuple) -> tuple:
    """`f(2, 3)` or `f((2, 3))` as the tuple (2, 3) of ints."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not all(is_int(n) for n in sizes):
        raise TypeError(f"{op}: sizes must be ints, got {sizes!r}")
    return tuple(int(n) for n in sizes)


class ShapeMethods:
    """Methods of `Tensor` that take dims or shapes."""

    __slots__ = ()

    # ---- reductions: PyTorch's dim/keepdim, numpy's axis/keepdims accepted too --------------

    def _reduce(self, fn, name: str, dim: Any, keepdim: bool, axis: Any, keepdims: Any):
        d = _alias(name, "dim", dim, "axis", axis)
        k = _alias(name, "keepdim", keepdim, "keepdims", keepdims) or False
        return self.apply(fn, self, ctx=O.reductions.axes(self, d, k, name))

    def sum(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        return self._reduce(O.Sum, "sum", dim, keepdim, axis, keepdims)

    def mean(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
             keepdims: Optional[bool] = None) -> "Tensor":
        return self._reduce(O.Mean, "mean", dim, keepdim, axis, keepdims)

    def amax(self, dim: Axis = (), keepdim: bool = False, *, axis: Axis = None,
             keepdims: Optional[bool] = None) -> "Tensor":
        """Largest entries over `dim` (an int or a tuple; all dims by default); ties share the
        gradient equally, as torch.amax. `max(dim)` gives the indices too."""
        return self._reduce(O.Max, "amax", dim, keepdim, axis, keepdims)

    def amin(self, dim: Axis = (), keepdim: bool = False, *, axis: Axis = None,
             keepdims: Optional[bool] = None) -> "Tensor":
        """Smallest entries over `dim`; ties share the gradient equally (as torch.amin)."""
        return self._reduce(O.Min, "amin", dim, keepdim, axis, keepdims)

    def var(self, dim: Axis = None, keepdim: bool = False, *, correction: Optional[int] = None,
            unbiased: Optional[bool] = None, ddof: Optional[int] = None, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Variance with PyTorch's default `correction=1` (divide by N - 1); `ddof=0` or
        `correction=0` (or `unbiased=False`) divides by N as numpy does."""
        return self.apply(O.Var, self, ctx=self._spread("var", dim, keepdim, correction, unbiased, ddof, axis,
                                                        keepdims))

    def std(self, dim: Axis = None, keepdim: bool = False, *, correction: Optional[int] = None,
            unbiased: Optional[bool] = None, ddof: Optional[int] = None, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Standard deviation, the square root of `var`. Its slope is 0 where the spread is 0 (as
        PyTorch's), not sqrt's infinite slope times var's zero one."""
        return self.apply(O.Std, self, ctx=self._spread("std", dim, keepdim, correction, unbiased, ddof, axis,
                                                        keepdims))

    def norm(self, p: Any = "fro", dim: Axis = None, keepdim: bool = False) -> "Tensor":
        """The p-norm over `dim` (all entries by default), PyTorch's `x.norm()`: p = 2 (or "fro",
        the default), 1, inf or any real p >= 1. Its gradient is 0 where the norm is 0, as PyTorch's."""
        if isinstance(p, str):
            if p != "fro":
                raise ValueError(f"norm: p must be a number >= 1, inf or 'fro', got {p!r}")
            p = 2
        elif not is_real(p) or not (p >= 1):
            raise ValueError(f"norm: p must be a number >= 1, inf or 'fro', got {p!r} (circuitgrad has no "
                             "gradient formula for p < 1)")
        if self.data.dtype.kind != "f":
            raise TypeError(f"norm: expected a floating point tensor, got dtype {self.data.dtype}")
        return self.apply(O.Norm, self, ctx=O.reductions.axes(self, dim, keepdim, "norm") + (float(p),))

    def _spread(self, op: str, dim: Any, keepdim: Any, correction: Any, unbiased: Any, ddof: Any, axis: Any,
                keepdims: Any) -> tuple:
        """var's and std's ctx, (axes, keepdims, correction); ValueError where no degree of freedom is left."""
        c = _correction(correction, unbiased, ddof)
        d = _alias(op, "dim", dim, "axis", axis)
        k = _alias(op, "keepdim", keepdim, "keepdims", keepdims) or False
        ctx = O.reductions.axes(self, d, k, op)
        if O.reductions.count(self.shape, ctx) - c <= 0:
            raise ValueError(f"{op}: correction={c} leaves no degrees of freedom for shape {self.shape} along {d}")
        return ctx + (c,)

    def logsumexp(self, dim: Axis, keepdim: bool = False) -> "Tensor":
        """log(sum(exp(x))) along `dim`, with the max subtracted first so that it cannot overflow.
        Composed of primitive ops (the max is a constant shift), so a diagram shows each step."""
        axes, _ = O.reductions.axes(self, dim, True, "logsumexp")
        if axes is None:  # dim=(): every dim
            axes = tuple(range(self.ndim))
        m = self.detach().amax(axes, keepdim=True)
        out = (self - m).exp().sum(axes, keepdim=True).log() + m
        return out if keepdim else out.squeeze(axes)

    def softmax(self, dim: int = -1, *, axis: Optional[int] = None) -> "Tensor":
        """exp(x) / sum(exp(x)) along `dim`, computed after subtracting the max so huge logits stay finite."""
        d = O.softmax.check_axis(self, dim if axis is None else axis, "softmax")
        if self.ndim == 0:  # one entry: softmax is 1, through the same op as a vector's
            return self.reshape(1).softmax(0).reshape(())
        return self.apply(O.Softmax, self, ctx=d)

    def log_softmax(self, dim: int = -1, *, axis: Optional[int] = None) -> "Tensor":
        """log(softmax(x)) as x - max - log(sum(exp(x - max))): finite where the naive form gives -inf."""
        d = O.softmax.check_axis(self, dim if axis is None else axis, "log_softmax")
        if self.ndim == 0:
            return self.reshape(1).log_softmax(0).reshape(())
        return self.apply(O.LogSoftmax, self, ctx=d)

    # ---- more of PyTorch's dim ops ---------------------------------------------------------------

    def cumsum(self, dim: int) -> "Tensor":
        """Running sum along `dim`: out_j = x_0 + ... + x_j. Its derivative is the reversed running sum."""
        return self.apply(O.Cumsum, self, ctx=O.shape.dim(self, dim, "cumsum"))

    def flip(self, *dims: Union[int, Sequence[int]]) -> "Tensor":
        """Reverse the order of entries along each of `dims` (`flip(0)`, `flip((0, 1))`)."""
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        if not dims:
            raise TypeError("flip: give the dims to reverse, e.g. flip(0) or flip((0, 1))")
        axes = tuple(O.shape.dim(self, d, "flip") for d in dims)
        if len(set(axes)) != len(axes):
            raise ValueError(f"flip: dim repeated in {dims}")
        return self.apply(O.Flip, self, ctx=axes if self.ndim else ())

    def tril(self, diagonal: int = 0) -> "Tensor":
        """The lower triangle of the last two dims (on and below `diagonal`), the rest 0."""
        return self.apply(O.Tril, self, ctx=self._diagonal("tril", diagonal))

    def triu(self, diagonal: int = 0) -> "Tensor":
        """The upper triangle of the last two dims (on and above `diagonal`), the rest 0."""
        return self.apply(O.Triu, self, ctx=self._diagonal("triu", diagonal))

    def _diagonal(self, op: str, diagonal: Any) -> int:
        if not is_int(diagonal):
            raise TypeError(f"{op}: diagonal must be an int, got {type(diagonal).__name__} {diagonal!r}")
        if self.ndim < 2:
            raise ValueError(f"{op}: needs a tensor of at least 2 dims (a matrix), got shape {self.shape}")
        return int(diagonal)

    def repeat(self, *repeats: Union[int, Sequence[int]]) -> "Tensor":
        """Tile the tensor: `repeat(2, 3)` copies a (a, b) tensor into (2a, 3b) (PyTorch's repeat,
        numpy's tile). Extra leading counts add dims. The gradient sums over the copies."""
        reps = _sizes("repeat", repeats)
        if len(reps) < self.ndim:
            raise ValueError(f"repeat: give at least one count per dim ({self.ndim} for shape {self.shape}), "
                             f"got {reps}")
        if any(r < 0 for r in reps):
            raise ValueError(f"repeat: counts must be >= 0, got {reps}")
        return self.apply(O.Repeat, self, ctx=reps)

    def pad(self, pad: Sequence[int], value: Optional[float] = None) -> "Tensor":
        """Constant padding in torch.nn.functional.pad's order: (left, right) for the last dim, then
        (top, bottom) for the one before it, and so on. `value` fills the new entries (default 0)."""
        if not isinstance(pad, (tuple, list)) or \
                not all(is_int(p) for p in pad):
            raise TypeError(f"pad: pad must be a tuple of ints (left, right, top, bottom, ...), got {pad!r}")
        if len(pad) % 2 or len(pad) > 2 * self.ndim:
            raise ValueError(f"pad: pad must hold an even number of sizes, two per dim, at most {2 * self.ndim} "
                             f"for shape {self.shape}; got {len(pad)}")
        if any(p < 0 for p in pad):
            raise ValueError(f"pad: negative padding (cropping) is not supported, got {tuple(pad)}; slice instead")
        if value is not None:
            real("pad", "value", value)
        pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
        widths = tuple([(0, 0)] * (self.ndim - len(pairs)) + pairs[::-1])
        return self.apply(O.Pad, self, ctx=(widths, 0.0 if value is None else float(value)))

    # ---- pieces of a tensor, each made by indexing (so the gradient goes back to its slice) ----------

    def select(self, dim: int, index: int) -> "Tensor":
        """The slice at `index` along `dim`, that dim removed (`x.select(1, 0)` is `x[:, 0]`)."""
        d = O.shape.dim(self, dim, "select")
        if not is_int(index):
            raise TypeError(f"select: index must be an int, got {type(index).__name__} {index!r}")
        if not -self.shape[d] <= index < self.shape[d]:
            raise IndexError(f"select: index {index} is out of range for dim {dim} of size {self.shape[d]}")
        return self[(slice(None),) * d + (int(index),)]

    def narrow(self, dim: int, start: int, length: int) -> "Tensor":
        """Entries start .. start + length - 1 along `dim`."""
        d = O.shape.dim(self, dim, "narrow")
        start, length = _sizes("narrow", (start, length))
        start = start + self.shape[d] if start < 0 else start
        if start < 0 or length < 0 or start + length > self.shape[d]:
            raise ValueError(f"narrow: start {start} + length {length} exceeds dim {dim} of size {self.shape[d]}")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def split(self, split_size_or_sections: Union[int, Sequence[int]], dim: int = 0) -> tuple:
        """Pieces of `split_size` along `dim` (the last one smaller), or of the listed sizes."""
        d = O.shape.dim(self, dim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, (tuple, list)):
            sizes = _sizes("split", tuple(split_size_or_sections))
            if sum(sizes) != n:
                raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, not to the size {n} of dim {dim}")
        else:
            step, = _sizes("split", (split_size_or_sections,))
            if step <= 0:
                raise ValueError(f"split: split_size must be > 0, got {step}")
            sizes = tuple(min(step, n - i) for i in range(0, n, step))
        ends = np.cumsum((0,) + sizes)
        return tuple(self[(slice(None),) * d + (slice(int(a), int(b)),)] for a, b in zip(ends[:-1], ends[1:]))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """At most `chunks` pieces of equal size along `dim` (the last one smaller), as PyTorch."""
        n, = _sizes("chunk", (chunks,))
        if n <= 0:
            raise ValueError(f"chunk: chunks must be > 0, got {n}")
        size = self.shape[O.shape.dim(self, dim, "chunk")]
        return self.split(max(-(-size // n), 1), dim)

    def unbind(self, dim: int = 0) -> tuple:
        """Every slice along `dim`, that dim removed."""
        return tuple(self.select(dim, i) for i in range(self.shape[O.shape.dim(self, dim, "unbind")]))

    def masked_fill(self, mask: Any, value: float) -> "Tensor":
        """`value` where `mask` is True, else this tensor's entries (no gradient where filled)."""
        cond = np.asarray(mask.data if hasattr(mask, "data") else mask)
        if cond.dtype != bool:
            raise TypeError(f"masked_fill: mask must be boolean (e.g. x > 0), got dtype {cond.dtype}")
        try:
            fits = np.broadcast_shapes(cond.shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"masked_fill: mask of shape {cond.shape} does not broadcast to {self.shape}")
        return self._where(cond, real("masked_fill", "value", value), self)

    def expand_as(self, other: Any) -> "Tensor":
        return self.expand(other.shape)

    def reshape_as(self, other: Any) -> "Tensor":
        return self.reshape(other.shape)

    def view_as(self, other: Any) -> "Tensor":
        return self.view(other.shape)

    def t(self) -> "Tensor":
        """The transpose of a matrix (a tensor of at most 2 dims), as PyTorch."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {self.shape}; use transpose(d0, d1)")
        return self.T

    # ---- shape ops ---------------------------------------------------------------------------

    def reshape(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        return self.apply(O.Reshape, self, ctx=O.shape.new_shape(self, shape))

    def view(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        """PyTorch's `view`: here the same as `reshape` (numpy decides whether it copies)."""
        return self.apply(O.Reshape, self, ctx=O.shape.new_shape(self, shape, "view"))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        """Merge dims start_dim..end_dim into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        a = O.shape.dim(self, start_dim, "flatten")
        b = O.shape.dim(self, end_dim, "flatten")
        if a > b:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {self.shape}")
        return self.reshape(self.shape[:a] + (-1,) + self.shape[b + 1:])

    def permute(self, *dims: Union[int, Sequence[int]]) -> "Tensor":
        """Reorder all dims (PyTorch's `permute`; numpy's `transpose(axes)`)."""
        return self.apply(O.Transpose, self, ctx=O.shape.permutation(self, dims, "permute"))

    def transpose(self, *dims: Union[int, Sequence[int]]) -> "Tensor":
        """`transpose(d0, d1)` swaps two dims, as PyTorch; a full permutation (or none, to reverse
        them all) is taken as numpy's `transpose(axes)`."""
        if len(dims) == 2 and all(is_int(d) for d in dims):
            return self.swapaxes(*dims)
        return self.apply(O.Transpose, self, ctx=O.shape.permutation(self, dims, "transpose"))

    def swapaxes(self, dim0: int, dim1: int) -> "Tensor":
        perm = list(range(self.ndim))
        a, b = O.shape.dim(self, dim0, "transpose"), O.shape.dim(self, dim1, "transpose")
        perm[a], perm[b] = perm[b], perm[a]
        return self.apply(O.Transpose, self, ctx=tuple(perm))

    swapdims = swapaxes

    @property
    def T(self):
        return self.apply(O.Transpose, self, ctx=tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        """The last two dims swapped (a batch of matrices transposed)."""
        return self.swapaxes(-2, -1)

    def squeeze(self, dim: Axis = None, *, axis: Axis = None) -> "Tensor":
        d = _alias("squeeze", "dim", dim, "axis", axis)
        return self.apply(O.Reshape, self, ctx=O.shape.squeezed(self, d))

    def unsqueeze(self, dim: int) -> "Tensor":
        return self.apply(O.Reshape, self, ctx=O.shape.unsqueezed(self, dim))

    def broadcast_to(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        """A copy of this tensor over a bigger shape; its gradient is summed back (sum_to)."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: shape {self.shape} does not broadcast to {shape}") from None
        if np.broadcast_shapes(self.shape, shape) != shape:
            raise ValueError(f"broadcast_to: shape {self.shape} does not broadcast to {shape}")
        return self.apply(O.BroadcastTo, self, ctx=shape)

    def expand(self, *sizes: Union[int, Sequence[int]]) -> "Tensor":
        """PyTorch's `expand`: `broadcast_to` where -1 keeps a dim's size."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
        pad = (1,) * (len(sizes) - self.ndim) + self.shape
        return self.broadcast_to(tuple(p if s == -1 else s for s, p in zip(sizes, pad)))

    def sum_to(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        """The sum over the axes that broadcasting would add or stretch to reach this shape from `shape`."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
        try:
            fits = np.broadcast_shapes(self.shape, shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"sum_to: shape {self.shape} cannot be summed to {shape}")
        return self.apply(O.SumTo, self, ctx=shape)

    sum_to_size = sum_to  # PyTorch's name

    def __getitem__(self, index: Any):
        return self.apply(O.Index, self, ctx=O.shape.clean_index(index))



def _alias(op: str, name: str, value: Any, alias: str, alias_value: Any) -> Any:
    """PyTorch's argument name, or numpy's alias for it; not both."""
    if alias_value is None:
        return value
    if value not in (None, False) and value != ():
        raise TypeError(f"{op}: give {name}= or {alias}=, not both")
    return alias_value


def _correction(correction: Any, unbiased: Any, ddof: Any) -> int:
    given = [v for v in (correction, unbiased, ddof) if v is not None]
    if len(given) > 1:
        raise TypeError("var/std: give one of correction=, unbiased= and ddof=")
    if unbiased is not None:
        return 1 if unbiased else 0
    c = 1 if not given else given[0]
    if not is_int(c) or c < 0:
        raise TypeError(f"var/std: correction must be a whole number >= 0, got {c!r}")
    return int(c)


