"""`Tensor`: a numpy array that records its ops into the same graph as `Value`.

This file turns Python syntax and methods into nodes; what each op computes, and its
derivative, is in the op table, `ops/`.
"""
from __future__ import annotations

import numbers
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from . import ops as O
from .graph import Node, created, grad_mode, make
from .ops.maths import unbroadcast

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]
Axis = Optional[Union[int, Sequence[int]]]
_new = object.__new__


def _as_array(op: str, data: Any, dtype: Any = None) -> np.ndarray:
    """Data as a float array (float64 unless it already is a float array or a dtype is given)."""
    if isinstance(data, Node):
        raise TypeError(f"{op}: cannot make a Tensor from a {type(data).__name__}; "
                        "Value and Tensor do not mix (use Tensor(v.data) for a copy of the number)")
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise TypeError(f"{op}: dtype must be a float dtype (float16, float32, float64), got {np.dtype(dtype)}")
    try:
        array = np.array(data, dtype=dtype)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{op}: data must be numbers or a regular (not ragged) nested list of numbers; "
                        f"got {type(data).__name__}: {e}") from None
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    raise TypeError(f"{op}: data must be real numbers, got dtype {array.dtype} from {type(data).__name__}")


class Tensor(Node):
    """An n-dimensional array with a gradient, for layers written in matrix form (`X @ W + b`).

    `grad` is None until a backward pass reaches the tensor, then an array of exactly
    `data`'s shape. Only tensors made with `requires_grad=True`, and results computed from
    them, take part in differentiation; leaves accumulate their gradient across passes.
    """

    __slots__ = ()
    __array_priority__ = 1000  # so `ndarray * Tensor` comes to Tensor.__rmul__
    _broadcasts = True
    _untracked_requires_grad = False

    def _accumulate(self, grad: Any, shared: bool) -> None:
        old = self.grad
        if old is not None:
            self.grad = old + grad
        elif isinstance(grad, Node):  # create_graph=True: the gradient is itself a node
            self.grad = grad
        elif shared or grad.base is not None or not grad.flags.writeable:
            # Copy only when needed (most gradients are fresh arrays no other node holds), so that
            # editing `leaf.grad` in place changes that leaf alone.
            self.grad = grad.copy()
        else:
            self.grad = grad

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "",
                 dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(requires_grad, bool):
            raise TypeError(f"Tensor: requires_grad must be True or False, got {requires_grad!r}")
        self.data = _as_array("Tensor", data, dtype)
        self.grad = None
        self.parents = ()
        self.fn = None
        self.ctx = None
        self.label = label if isinstance(label, str) else str(label)
        self.requires_grad = requires_grad
        if grad_mode.recorders:
            created(self)

    # ---- applying an op -------------------------------------------------------------------------

    @classmethod
    def apply(cls, fn, *inputs: "Tensor", ctx: Any = None) -> "Tensor":
        """Run op `fn` on Tensors (its `forward` on their arrays) and record the result: the public
        way to add an op. A shape error from numpy is re-raised naming the op and the shapes."""
        for x in inputs:
            if not isinstance(x, Tensor):
                raise TypeError(f"{fn.name}: expected Tensors, got {type(x).__name__}")
        try:
            data = fn.forward(ctx, *[t.data for t in inputs])
        except ValueError as e:
            if type(e) is not ValueError:
                raise
            shapes = " and ".join(str(t.shape) for t in inputs)
            raise ValueError(f"{fn.name}: cannot apply to shapes {shapes}: {e}") from None
        if grad_mode.anomaly and data.dtype.kind == "f" and not np.isfinite(data).all():
            bad = "nan" if np.isnan(data).any() else "inf"
            shapes = ", ".join(str(p.shape) for p in inputs)
            raise FloatingPointError(f"detect_anomaly: {fn.name} produced {bad} from operands of shape {shapes}")
        return make(Tensor, fn, inputs, data, ctx)

    _apply = apply  # the name the ops below use

    @classmethod
    def _constant_like(cls, data: Any) -> "Tensor":
        return Tensor._constant(np.asarray(data))

    @staticmethod
    def _sum_to(g: Any, shape: tuple) -> Any:
        """A gradient (array, or node with create_graph=True) summed back to `shape` after broadcasting."""
        if isinstance(g, Node):
            return Tensor.apply(O.SumTo, g, ctx=tuple(shape))
        return unbroadcast(g, shape)

    @staticmethod
    def _where(condition: Any, a: Any, b: Any) -> "Tensor":
        like = a if isinstance(a, Tensor) else b
        cond = np.asarray(condition)
        return Tensor.apply(O.Where, like._lift("where", a), like._lift("where", b), ctx=cond)

    def _lift(self, op: str, other: Any) -> "Tensor":
        """The other operand as a Tensor; a Python number takes this tensor's dtype (float32 stays)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, Node):
            raise TypeError(f"{op}: cannot combine a Tensor with a {type(other).__name__}; Value and Tensor "
                            "do not mix (use Tensor(v.data), or .item() to get a number out of a Tensor)")
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Tensor._constant(np.asarray(other, dtype=self.data.dtype))
        if isinstance(other, np.ndarray) and other.dtype == bool:  # a mask multiplies in this tensor's dtype
            return Tensor._constant(other.astype(self.data.dtype))
        return Tensor._constant(_as_array(op, other))

    @staticmethod
    def _constant(array: np.ndarray) -> "Tensor":
        """A leaf that needs no gradient: a number or array an op was given."""
        out = _new(Tensor)
        out.data = array
        out.grad = out.fn = out.ctx = None
        out.parents = ()
        out.label = ""
        out.requires_grad = False
        if grad_mode.recorders:
            created(out)
        return out

    def _seed(self, grad: Any) -> np.ndarray:
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no graph; create the "
                               "leaves with requires_grad=True (and not inside no_grad())")
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward: output has shape {self.shape}; pass grad= an array of that shape, "
                                 "or reduce it first (e.g. .sum() or .mean())")
            return np.ones_like(self.data)
        raw = np.asarray(grad.data if isinstance(grad, Node) else grad)
        if raw.dtype.kind not in "biuf":
            kind = "complex" if raw.dtype.kind == "c" else f"{raw.dtype} ({type(grad).__name__})"
            raise TypeError(f"backward: the seed gradient must be real numbers, got {kind}")
        seed = raw.astype(self.data.dtype)
        if not np.isfinite(seed).all():
            raise ValueError("backward: the seed gradient must be finite; it holds nan or inf")
        if seed.shape != self.shape:
            raise ValueError(f"backward: grad has shape {seed.shape} but the output has shape {self.shape}")
        return seed

    # ---- what a Tensor is ---------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def size(self, dim: Optional[int] = None) -> Union[tuple, int]:
        """The shape (PyTorch's `size()`), or the size of one dim; `numel()` counts the entries."""
        if dim is None:
            return self.data.shape
        return self.data.shape[O.shape.dim(self, dim, "size")]

    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len: a 0-d tensor has no length")
        return len(self.data)

    def item(self) -> float:
        """The single number of a one-element tensor."""
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor has an item, this one has shape {self.shape}")
        return float(self.data.reshape(-1)[0])

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, threshold=50, edgeitems=3,
                               prefix="Tensor(")
        extras = []
        if self.label:
            extras.append(f"label={self.label!r}")
        if self.fn is not None:
            extras.append(f"op={self.op!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.data.dtype != np.float64:
            extras.append(f"dtype={self.data.dtype}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor._constant(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Turn gradient tracking of a leaf on or off, in place (freezing a layer's weights)."""
        if self.fn is not None:
            raise ValueError(f"requires_grad_: only leaves can change requires_grad; this tensor was made by "
                             f"{self.op!r} (use .detach())")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    # Comparisons are tests on data, not differentiable ops: plain boolean arrays, no graph.
    def _data_of(self, other: Any) -> Any:
        if isinstance(other, Node) and not isinstance(other, Tensor):
            raise TypeError("comparison: Value and Tensor do not mix")
        return other.data if isinstance(other, Tensor) else other

    def __lt__(self, other): return self.data < self._data_of(other)
    def __le__(self, other): return self.data <= self._data_of(other)
    def __gt__(self, other): return self.data > self._data_of(other)
    def __ge__(self, other): return self.data >= self._data_of(other)
    def __eq__(self, other): return self.data == self._data_of(other)  # noqa: E704
    def __ne__(self, other): return self.data != self._data_of(other)  # noqa: E704
    __hash__ = Node.__hash__

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "use (t > 0).any() or .all()")
        return bool(self.data)

    # ---- ops: each line names the op; its forward and derivative live in ops/ ------------------

    def __add__(self, other): return Tensor.apply(O.Add, self, self._lift("+", other))
    def __radd__(self, other): return Tensor.apply(O.Add, self._lift("+", other), self)
    def __sub__(self, other): return Tensor.apply(O.Sub, self, self._lift("-", other))
    def __rsub__(self, other): return Tensor.apply(O.Sub, self._lift("-", other), self)
    def __mul__(self, other): return Tensor.apply(O.Mul, self, self._lift("*", other))
    def __rmul__(self, other): return Tensor.apply(O.Mul, self._lift("*", other), self)
    def __truediv__(self, other): return Tensor.apply(O.Div, self, self._lift("/", other))
    def __rtruediv__(self, other): return Tensor.apply(O.Div, self._lift("/", other), self)
    def __pow__(self, other): return Tensor.apply(O.Pow, self, self._lift("**", other))
    def __rpow__(self, other): return Tensor.apply(O.Pow, self._lift("**", other), self)
    def __neg__(self): return Tensor.apply(O.Neg, self)
    def __pos__(self): return self

    def __matmul__(self, other): return _matmul(self, self._lift("@", other))
    def __rmatmul__(self, other): return _matmul(self._lift("@", other), self)

    def matmul(self, other: ArrayLike) -> "Tensor":
        """Matrix product with numpy's rules for 1-D, 2-D and batched operands."""
        return self @ other

    def exp(self) -> "Tensor": return Tensor.apply(O.Exp, self)
    def log(self) -> "Tensor": return Tensor.apply(O.Log, self)
    def sqrt(self) -> "Tensor": return Tensor.apply(O.Sqrt, self)
    def abs(self) -> "Tensor": return Tensor.apply(O.Abs, self)
    __abs__ = abs
    def tanh(self) -> "Tensor": return Tensor.apply(O.Tanh, self)
    def sigmoid(self) -> "Tensor": return Tensor.apply(O.Sigmoid, self)
    def relu(self) -> "Tensor": return Tensor.apply(O.ReLU, self)
    def selu(self) -> "Tensor": return Tensor.apply(O.SELU, self)

    def leaky_relu(self, slope: float = 0.01) -> "Tensor":
        return Tensor.apply(O.LeakyReLU, self, ctx=float(slope))

    def step(self) -> "Tensor":
        """Heaviside step (1 where x > 0, else 0); its derivative is 0, so no gradient flows through."""
        return Tensor.apply(O.Step, self)

    def clip(self, low: Optional[float] = None, high: Optional[float] = None) -> "Tensor":
        """Values limited to [low, high]; the gradient passes only where no limit was hit."""
        if low is None and high is None:
            raise ValueError("clip: give low, high or both")
        for name, limit in (("low", low), ("high", high)):
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, numbers.Real)):
                raise TypeError(f"clip: {name} must be a number, got {type(limit).__name__} {limit!r}")
        if low is not None and high is not None and low > high:
            raise ValueError(f"clip: low {low} is above high {high}")
        return Tensor.apply(O.Clip, self, ctx=(low, high))

    def clamp(self, min: Optional[float] = None, max: Optional[float] = None) -> "Tensor":
        """PyTorch's name for `clip`."""
        return self.clip(min, max)

    def astype(self, dtype: Any) -> "Tensor":
        """A differentiable cast (float64 for gradient checks, float32 for speed)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"astype: only float dtypes keep gradients, got {dtype}")
        return Tensor.apply(O.Cast, self, ctx=dtype)

    # ---- reductions: PyTorch's dim/keepdim, numpy's axis/keepdims accepted too --------------

    def _reduce(self, fn, name: str, dim: Any, keepdim: bool, axis: Any, keepdims: Any) -> "Tensor":
        d = _alias(name, "dim", dim, "axis", axis)
        k = _alias(name, "keepdim", keepdim, "keepdims", keepdims) or False
        return Tensor.apply(fn, self, ctx=O.reductions.axes(self, d, k, name))

    def sum(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        return self._reduce(O.Sum, "sum", dim, keepdim, axis, keepdims)

    def mean(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
             keepdims: Optional[bool] = None) -> "Tensor":
        return self._reduce(O.Mean, "mean", dim, keepdim, axis, keepdims)

    def max(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Largest entries; ties share the gradient equally (as torch.amax)."""
        return self._reduce(O.Max, "max", dim, keepdim, axis, keepdims)

    def min(self, dim: Axis = None, keepdim: bool = False, *, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Smallest entries; ties share the gradient equally (as torch.amin)."""
        return self._reduce(O.Min, "min", dim, keepdim, axis, keepdims)

    def var(self, dim: Axis = None, keepdim: bool = False, *, correction: Optional[int] = None,
            unbiased: Optional[bool] = None, ddof: Optional[int] = None, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Variance with PyTorch's default `correction=1` (divide by N - 1); `ddof=0` or
        `correction=0` (or `unbiased=False`) divides by N as numpy does."""
        c = _correction(correction, unbiased, ddof)
        d = _alias("var", "dim", dim, "axis", axis)
        k = _alias("var", "keepdim", keepdim, "keepdims", keepdims) or False
        ctx = O.reductions.axes(self, d, k, "var")
        if O.reductions.count(self.shape, ctx) - c <= 0:
            raise ValueError(f"var: correction={c} leaves no degrees of freedom for shape {self.shape} along {d}")
        return Tensor.apply(O.Var, self, ctx=ctx + (c,))

    def std(self, dim: Axis = None, keepdim: bool = False, *, correction: Optional[int] = None,
            unbiased: Optional[bool] = None, ddof: Optional[int] = None, axis: Axis = None,
            keepdims: Optional[bool] = None) -> "Tensor":
        """Standard deviation, the square root of `var` (so its slope is infinite at zero spread)."""
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased, ddof=ddof, axis=axis,
                        keepdims=keepdims).sqrt()

    def softmax(self, dim: int = -1, *, axis: Optional[int] = None) -> "Tensor":
        """exp(x) / sum(exp(x)) along `dim`, computed after subtracting the max so huge logits stay finite."""
        d = dim if axis is None else axis
        return Tensor.apply(O.Softmax, self, ctx=O.softmax.check_axis(self, d, "softmax"))

    def log_softmax(self, dim: int = -1, *, axis: Optional[int] = None) -> "Tensor":
        """log(softmax(x)) as x - max - log(sum(exp(x - max))): finite where the naive form gives -inf."""
        d = dim if axis is None else axis
        return Tensor.apply(O.LogSoftmax, self, ctx=O.softmax.check_axis(self, d, "log_softmax"))

    # ---- shape ops ---------------------------------------------------------------------------

    def reshape(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        return Tensor.apply(O.Reshape, self, ctx=O.shape.new_shape(self, shape))

    def view(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        """PyTorch's `view`: here the same as `reshape` (numpy decides whether it copies)."""
        return Tensor.apply(O.Reshape, self, ctx=O.shape.new_shape(self, shape, "view"))

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
        return Tensor.apply(O.Transpose, self, ctx=O.shape.permutation(self, dims, "permute"))

    def transpose(self, *dims: Union[int, Sequence[int]]) -> "Tensor":
        """`transpose(d0, d1)` swaps two dims, as PyTorch; a full permutation (or none, to reverse
        them all) is taken as numpy's `transpose(axes)`."""
        if len(dims) == 2 and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims):
            return self.swapaxes(*dims)
        return Tensor.apply(O.Transpose, self, ctx=O.shape.permutation(self, dims, "transpose"))

    def swapaxes(self, dim0: int, dim1: int) -> "Tensor":
        perm = list(range(self.ndim))
        a, b = O.shape.dim(self, dim0, "transpose"), O.shape.dim(self, dim1, "transpose")
        perm[a], perm[b] = perm[b], perm[a]
        return Tensor.apply(O.Transpose, self, ctx=tuple(perm))

    swapdims = swapaxes

    @property
    def T(self) -> "Tensor":
        return Tensor.apply(O.Transpose, self, ctx=tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (a batch of matrices transposed)."""
        return self.swapaxes(-2, -1)

    def squeeze(self, dim: Axis = None, *, axis: Axis = None) -> "Tensor":
        d = _alias("squeeze", "dim", dim, "axis", axis)
        return Tensor.apply(O.Reshape, self, ctx=O.shape.squeezed(self, d))

    def unsqueeze(self, dim: int) -> "Tensor":
        return Tensor.apply(O.Reshape, self, ctx=O.shape.unsqueezed(self, dim))

    def broadcast_to(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        """A copy of this tensor over a bigger shape; its gradient is summed back (sum_to)."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: shape {self.shape} does not broadcast to {shape}") from None
        if np.broadcast_shapes(self.shape, shape) != shape:
            raise ValueError(f"broadcast_to: shape {self.shape} does not broadcast to {shape}")
        return Tensor.apply(O.BroadcastTo, self, ctx=shape)

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
        return Tensor.apply(O.SumTo, self, ctx=shape)

    def __getitem__(self, index: Any) -> "Tensor":
        return Tensor.apply(O.Index, self, ctx=O.shape.clean_index(index))


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    return Tensor.apply(O.MatMul, a, b, ctx=(a.requires_grad, b.requires_grad))


def _alias(op: str, name: str, value: Any, alias: str, alias_value: Any) -> Any:
    """PyTorch's argument name, or numpy's alias for it; not both."""
    if alias_value is None:
        return value
    if value not in (None, False):
        raise TypeError(f"{op}: give {name}= or {alias}=, not both")
    return alias_value


def _correction(correction: Any, unbiased: Any, ddof: Any) -> int:
    given = [v for v in (correction, unbiased, ddof) if v is not None]
    if len(given) > 1:
        raise TypeError("var/std: give one of correction=, unbiased= and ddof=")
    if unbiased is not None:
        return 1 if unbiased else 0
    c = 1 if not given else given[0]
    if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0:
        raise TypeError(f"var/std: correction must be a whole number >= 0, got {c!r}")
    return int(c)


def tensors(items: Iterable[Any], op: str) -> tuple:
    """Operands of cat/stack/where as Tensors, refusing Values."""
    out = []
    for x in items:
        if isinstance(x, Tensor):
            out.append(x)
        elif isinstance(x, Node):
            raise TypeError(f"{op}: Value and Tensor do not mix")
        else:
            out.append(Tensor._constant(_as_array(op, x)))
    return tuple(out)


