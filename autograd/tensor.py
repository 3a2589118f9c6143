"""`Tensor`: a numpy array that records its ops into the same graph as `Value`.

This file turns Python syntax into nodes and holds what a Tensor is (its shape, dtype,
conversions); the elementwise methods are in `tensor_math.py`, the methods along dims in
`tensor_shape.py`, and what each op computes, with its derivative, in the op table, `ops/`.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from . import ops as O
from .graph import Node, make
from .mode import created, grad_mode, switched
from .ops.maths import unbroadcast
from .tensor_inplace import InplaceMethods, VersionCounter, share_counter, versions_seen
from .tensor_math import MathMethods
from .tensor_shape import ShapeMethods

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]
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


class Tensor(Node, MathMethods, ShapeMethods, InplaceMethods):
    """An n-dimensional array with a gradient, for layers written in matrix form (`X @ W + b`).

    `grad` is None until a backward pass reaches the tensor, then an array of exactly
    `data`'s shape. Only tensors made with `requires_grad=True`, and results computed from
    them, take part in differentiation; leaves accumulate their gradient across passes.
    In-place changes (`x += 1`, `x.add_()`, `x[i] = v`) follow PyTorch: see `tensor_inplace.py`.
    """

    # `_counter`: the VersionCounter of this tensor's memory (None until it changes or is shared);
    # `_saw`: the versions the op that made it saw, (output, *inputs), None for all 0 (tensor_inplace.py).
    __slots__ = ("_counter", "_saw")
    __array_priority__ = 1000  # so `ndarray * Tensor` comes to Tensor.__rmul__
    _broadcasts = True
    _versioned = True
    _untracked_requires_grad = False

    def _accumulated(self, grad: Any, shared: Any) -> Any:
        old = self.grad
        if old is not None:
            grad = old + grad
        elif isinstance(grad, Node):  # create_graph=True: the gradient is itself a node
            return grad
        elif grad.base is not None or id(grad) in shared or not grad.flags.writeable:
            # Copy only when needed (most gradients are fresh arrays no other node holds), so that
            # editing `leaf.grad` in place changes that leaf alone.
            grad = grad.copy()
        # numpy makes a scalar of a 0-d formula or sum; keep a writable 0-d array
        return np.array(grad) if isinstance(grad, np.generic) else grad

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "",
                 dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(requires_grad, bool):
            raise TypeError(f"Tensor: requires_grad must be True or False, got {requires_grad!r}")
        self.data = _as_array("Tensor", data, dtype)
        self.grad = None
        self._a = self._b = self._rest = None  # a leaf: no parents
        self.fn = None
        self.ctx = None
        self.label = label if isinstance(label, str) else str(label)
        self.requires_grad = requires_grad
        self._counter = self._saw = None
        if switched.count:
            created(self)

    # ---- applying an op -------------------------------------------------------------------------

    @classmethod
    def apply(cls, fn, *inputs: "Tensor", ctx: Any = None) -> "Tensor":
        """Run op `fn` on Tensors (its `forward` on their arrays) and record the result: the public
        way to add an op. A shape error from numpy is re-raised naming the op and the shapes."""
        try:
            # Unrolled for the commonest arities: saves 0.25 us of the 0.7 an op spent outside its formula (timeit).
            if len(inputs) == 2:
                a, b = inputs
                if type(a) is not Tensor or type(b) is not Tensor:
                    _check_tensors(fn, inputs)
                data = fn.forward(ctx, a.data, b.data)
            elif len(inputs) == 1:
                a, = inputs
                if type(a) is not Tensor:
                    _check_tensors(fn, inputs)
                data = fn.forward(ctx, a.data)
            else:
                _check_tensors(fn, inputs)
                data = fn.forward(ctx, *map(_data, inputs))
        except ValueError as e:
            if type(e) is not ValueError:
                raise
            shapes = " and ".join(str(t.shape) for t in inputs)
            raise ValueError(f"{fn.name}: cannot apply to shapes {shapes}: {e}") from None
        if switched.count and grad_mode.anomaly and data.dtype.kind == "f" and not np.isfinite(data).all():
            bad = "nan" if np.isnan(data).any() else "inf"
            shapes = ", ".join(str(p.shape) for p in inputs)
            raise FloatingPointError(f"detect_anomaly: {fn.name} produced {bad} from operands of shape {shapes}")
        if type(data) is not np.ndarray:  # numpy gives a scalar for many ops on 0-d arrays; keep an array
            data = np.asarray(data)
        out = make(Tensor, fn, inputs, data, ctx)
        out._counter = None
        if data.base is not None or data is inputs[0].data:  # a view (reshape, transpose) shares the count
            share_counter(out, inputs)
        if out.fn is None:
            out._saw = None
        else:  # versions_seen inlined for the usual case, no tensor ever changed in place (a tenth of an op's time)
            out._saw = None
            for x in inputs:
                if x._counter is not None:
                    out._saw = versions_seen(out, inputs)
                    break
            else:
                if out._counter is not None:
                    out._saw = versions_seen(out, inputs)
        return out

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
        out._a = out._b = out._rest = None
        out.label = ""
        out.requires_grad = False
        out._counter = out._saw = None
        if switched.count:
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
            return np.array(1, self.data.dtype).reshape(self.data.shape)  # np.ones_like takes 0.9 us, this 0.3
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
        """The data array itself (shared, not copied), as PyTorch's `numpy()`.

        Refused for a tensor that requires grad, as in PyTorch: writing into the array would change
        numbers a backward pass is going to use without anyone knowing. Raises RuntimeError; use
        `t.detach().numpy()` (the same memory) or `t.detach().numpy().copy()` (a snapshot).
        """
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        return self.data

    def tolist(self) -> Union[list, float]:
        """The entries as nested Python lists of floats (a float for a 0-d tensor)."""
        return self.data.tolist()

    def __float__(self) -> float:
        return self._one("float")

    def __int__(self) -> int:
        return int(self._one("int"))

    def _one(self, op: str) -> float:
        if self.data.size != 1:
            raise ValueError(f"{op}: only a one-element tensor converts to a number, this one has shape {self.shape}")
        return float(self.data.reshape(-1)[0])

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (the gradient flows back through it)."""
        return Tensor.apply(O.Clone, self)

    def astype(self, dtype: Any) -> "Tensor":
        """A differentiable cast (float64 for gradient checks, float32 for speed)."""
        return self._cast("astype", dtype)

    def float(self) -> "Tensor":
        """A float32 copy (differentiable), as PyTorch's `.float()`."""
        return self._cast("float", np.float32)

    def double(self) -> "Tensor":
        """A float64 copy (differentiable), as PyTorch's `.double()`."""
        return self._cast("double", np.float64)

    def half(self) -> "Tensor":
        """A float16 copy (differentiable), as PyTorch's `.half()`."""
        return self._cast("half", np.float16)

    def to(self, target: Any = None, dtype: Any = None) -> "Tensor":
        """PyTorch's `.to`: `to(np.float32)`, `to("float32")`, `to(dtype=...)`, `to(other_tensor)` (its
        dtype); `to("cpu")` returns the tensor itself (circuitgrad computes on the CPU only).
        Raises TypeError for a non-float dtype and ValueError for another device."""
        if isinstance(target, Tensor):
            target = target.dtype
        if isinstance(target, str) and target.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta"):
            if target != "cpu":
                raise ValueError(f"to: circuitgrad computes on the CPU only; there is no device {target!r}")
            target = None
        if target is not None and dtype is not None:
            raise TypeError("to: give the dtype once, as to(dtype) or to(dtype=...)")
        dtype = target if dtype is None else dtype
        if dtype is None or _float_dtype("to", dtype) == self.dtype:
            return self
        return self._cast("to", dtype)

    def _cast(self, op: str, dtype: Any) -> "Tensor":
        return Tensor.apply(O.Cast, self, ctx=_float_dtype(op, dtype))

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

    @property
    def device(self) -> str:
        """Always "cpu": circuitgrad computes with numpy."""
        return "cpu"

    def cpu(self) -> "Tensor":
        return self

    @property
    def grad_fn(self) -> Any:
        """The op that made this tensor (its class in the op table), None for a leaf (PyTorch's name)."""
        return self.fn

    def retain_grad(self) -> None:
        """Nothing to do: every tensor of a graph keeps its gradient after backward() in circuitgrad."""

    def detach(self) -> "Tensor":
        """The same data (the same memory, and the same version counter, as PyTorch), cut from the graph."""
        out = Tensor._constant(self.data)
        if self._counter is None:
            self._counter = VersionCounter()
        out._counter = self._counter
        return out

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
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def isnan(self) -> np.ndarray:
        return np.isnan(self.data)

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


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype (use np.float32, np.float64 or 'float32')") from None
    if dtype.kind != "f":
        raise TypeError(f"{op}: only float dtypes keep gradients, got {dtype} (circuitgrad's Tensors hold floats)")
    return dtype


_data = attrgetter("data")


def _check_tensors(fn: Any, inputs: tuple) -> None:
    for x in inputs:
        if type(x) is not Tensor and not isinstance(x, Tensor):
            raise TypeError(f"{fn.name}: expected Tensors, got {type(x).__name__}")


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    return Tensor.apply(O.MatMul, a, b, ctx=(a.requires_grad, b.requires_grad))


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


