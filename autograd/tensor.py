"""`Tensor`: a numpy array that records its ops into the same graph as `Value`.

This file turns Python syntax into nodes and holds what a Tensor is (its shape, dtype,
conversions); the elementwise methods are in `tensor_math.py`, the methods along dims in
`tensor_shape.py`, what numpy functions of a Tensor do in `tensor_numpy.py`, and what each op computes, with its derivative, in the op table, `ops/`.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from . import dtypes
from . import ops as O
from .checks import is_cpu
from .graph import Node, get_grad, make, next_number, set_grad
from .mode import created, switched
from .ops.maths import unbroadcast
from .tensor_inplace import InplaceMethods, VersionCounter, share_counter, versions_seen
from .tensor_math import MathMethods
from .tensor_numpy import NumpyMethods
from .tensor_order import OrderMethods
from .tensor_shape import ShapeMethods

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]
_new = object.__new__


def _as_array(op: str, data: Any, dtype: Any = None, keep_kind: bool = False) -> np.ndarray:
    """Data as an array: of `dtype` when given; else a float array keeps its dtype and Python floats
    take the default float dtype (float64 unless `set_default_dtype` changed it). Bool and integer
    data become floats too (the legacy `Tensor([0, 2, 1])`, float in PyTorch as well) unless
    `keep_kind` (what `tensor()` asks): bool stays bool, Python ints are int64, integer arrays keep
    their dtype."""
    if isinstance(data, Node):
        raise TypeError(f"{op}: cannot make a Tensor from a {type(data).__name__}; "
                        "Value and Tensor do not mix (use Tensor(v.data) for a copy of the number)")
    kind = None if dtype is None else dtypes.as_dtype(op, dtype)
    try:
        array = np.array(data, dtype=kind)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{op}: data must be numbers or a regular (not ragged) nested list of numbers; "
                        f"got {type(data).__name__}: {e}") from None
    if kind is not None:
        return array
    if array.dtype.kind == "f":
        typed = isinstance(data, (np.ndarray, np.generic))  # an array chose its dtype; a Python float did not
        return array if typed else array.astype(dtypes.get_default_dtype(), copy=False)
    if array.dtype.kind in "biu":
        return array if keep_kind else array.astype(dtypes.get_default_dtype())
    raise TypeError(f"{op}: data must be real numbers, got dtype {array.dtype} from {type(data).__name__}")


def _check_requires_grad(op: str, requires_grad: Any, array: np.ndarray) -> None:
    """Only float tensors can require grad: an index or a mask has no derivative (PyTorch's rule)."""
    if not isinstance(requires_grad, bool):
        raise TypeError(f"{op}: requires_grad must be True or False, got {requires_grad!r}")
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"{op}: Only Tensors of floating point and complex dtype can require gradients; "
                        f"this one is {array.dtype} (make it float first: .float() or dtype=cg.float32)")


def _checked_grad(tensor: "Tensor", value: Any) -> Any:
    """What `x.grad = value` may store, with PyTorch's checks: None, or a Tensor (or array) of the
    tensor's shape and dtype. A Tensor that requires grad is kept as a node (a gradient with a graph)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        array = value.data
    elif isinstance(value, np.ndarray):
        array = value
    else:
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
    if array.shape != tensor.data.shape:
        raise RuntimeError(f"attempting to assign a gradient of shape {array.shape} to a tensor of shape "
                           f"{tensor.data.shape}; the gradient and the tensor must have the same shape")
    if array.dtype != tensor.data.dtype:
        raise RuntimeError(f"attempting to assign a gradient of dtype {array.dtype} to a tensor of dtype "
                           f"{tensor.data.dtype}; cast it first (g.to({tensor.data.dtype}))")
    return value if isinstance(value, Tensor) and value.fn is not None else array


class Tensor(Node, MathMethods, OrderMethods, ShapeMethods, InplaceMethods, NumpyMethods):
    """An n-dimensional array with a gradient, for layers written in matrix form (`X @ W + b`).

    `grad` is None until a backward pass reaches the tensor, then a Tensor of exactly `data`'s
    shape and dtype (sharing memory with the engine's array: `x.grad.zero_()` clears it). Only tensors made with `requires_grad=True`, and results computed from
    them, take part in differentiation; leaves accumulate their gradient across passes.
    In-place changes (`x += 1`, `x.add_()`, `x[i] = v`) follow PyTorch: see `tensor_inplace.py`.
    """

    # `_counter`: the VersionCounter of this tensor's memory (None until it changes or is shared);
    # `_saw`: the versions the op that made it saw, (output, *inputs), None for all 0 (tensor_inplace.py).
    __slots__ = ("_counter", "_saw")
    __array_priority__ = 1000  # `ndarray * Tensor` comes to Tensor's ops (with __array_ufunc__, tensor_numpy.py)
    _broadcasts = True
    _versioned = True
    _untracked_requires_grad = False

    # ---- the gradient, as PyTorch shows it ---------------------------------------------------------

    @property
    def grad(self) -> Optional["Tensor"]:
        """d(output)/d(self) after `backward()`, a Tensor (None before): the engine keeps the array
        in the node's `grad` slot, and each read wraps it in a Tensor sharing that memory, so
        `x.grad.zero_()`, `x.grad.float()` and `x.grad == 0` work as in PyTorch. With
        `create_graph=True` it is the gradient node itself (differentiable again)."""
        g = get_grad(self)
        if g is None or isinstance(g, Node):
            return g
        return Tensor._shown_grad(g)

    @grad.setter
    def grad(self, value: Any) -> None:
        set_grad(self, _checked_grad(self, value))

    @staticmethod
    def _shown_grad(array: np.ndarray) -> "Tensor":
        """A gradient array as a Tensor of its own (no graph, not shown to `recording()`)."""
        return Tensor._constant(array, watched=False)

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "",
                 dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data = _as_array("Tensor", data, dtype)
        _check_requires_grad("Tensor", requires_grad, self.data)
        set_grad(self, None)
        self._a = self._b = self._rest = None  # a leaf: no parents
        self.fn = None
        self.ctx = None
        self.label = label if isinstance(label, str) else str(label)
        self.requires_grad = requires_grad
        self._counter = self._saw = None
        self._number = next_number()
        if switched.count:
            created(self)

    # ---- applying an op -------------------------------------------------------------------------

    @classmethod
    def apply(cls, fn, *inputs: "Tensor", ctx: Any = None) -> "Tensor":
        """Run op `fn` on Tensors (its `forward` on their arrays) and record the result: the public
        way to add an op. A shape error from numpy is re-raised naming the op and the shapes."""
        for x in inputs:
            if type(x) is not Tensor and not isinstance(x, Tensor):
                raise TypeError(f"{fn.name}: expected Tensors, got {type(x).__name__}")
        try:
            # The arrays listed, not unpacked with *: a call with *args takes CPython's slower path
            # (see graph.py's docstring): 0.35 us a call for Linear's three operands (timeit), of the
            # 1.7 us it spends outside its formula.
            n = len(inputs)
            if n == 1:
                data = fn.forward(ctx, inputs[0].data)
            elif n == 2:
                data = fn.forward(ctx, inputs[0].data, inputs[1].data)
            elif n == 3:
                data = fn.forward(ctx, inputs[0].data, inputs[1].data, inputs[2].data)
            else:
                data = fn.forward(ctx, *[x.data for x in inputs])
        except ValueError as e:
            if type(e) is not ValueError:
                raise
            shapes = " and ".join(str(t.shape) for t in inputs)
            raise ValueError(f"{fn.name}: cannot apply to shapes {shapes}: {e}") from None
        if type(data) is not np.ndarray:  # numpy gives a scalar for many ops on 0-d arrays; keep an array
            data = np.asarray(data)
        out = make(Tensor, fn, inputs, data, ctx)
        out._counter = None
        if data.base is not None or data is inputs[0].data:  # a view (reshape, transpose) shares the count
            share_counter(out, inputs)
        # The versions the backward will check (see tensor_inplace.py): None, all 0, unless some
        # tensor here was ever changed in place, such as a weight after an optimizer step.
        out._saw = None if out.fn is None else versions_seen(out, inputs)
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
        return Tensor._constant(_as_array(op, other, keep_kind=True))

    # ---- the dtype an op on two operands computes in (PyTorch's type promotion, see dtypes.py) -----

    def _pair(self, op: str, other: Any, to_float: bool = False) -> tuple:
        """(self, other) as Tensors of one dtype: `int + int` stays int, `int * float` is float, a
        bool mask times a float tensor takes the tensor's dtype, `int + 0.5` takes the default float
        dtype. Two float tensors keep numpy's rule (the common case, untouched). `to_float`: the op
        gives floats whatever the operands (`/` of two ints is a float, as PyTorch)."""
        dtype = self.data.dtype
        if type(other) is Tensor:
            theirs = other.data.dtype
            if (dtype is theirs and not to_float) or (dtype.kind == "f" and theirs.kind == "f"):
                return self, other
            return _promoted(self, other, False, to_float)
        if dtype.kind == "f" and (type(other) is float or type(other) is int):
            return self, Tensor._constant(np.asarray(other, dtype=self.data.dtype))
        number = isinstance(other, (int, float))  # bool is an int here; rank of a Python number
        return _promoted(self, self._lift(op, other) if not number else
                         Tensor._constant(np.asarray(other)), number, to_float)

    @staticmethod
    def _constant(array: np.ndarray, watched: bool = True) -> "Tensor":
        """A leaf that needs no gradient: a number or array an op was given (shown to `recording()`
        unless `watched=False`)."""
        out = _new(Tensor)
        out.data = array
        set_grad(out, None)
        out.fn = out.ctx = out._a = out._b = out._rest = None
        out.label = ""
        out.requires_grad = False
        out._counter = out._saw = None
        out._number = next_number()
        if watched and switched.count:
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

    def item(self) -> Union[float, int, bool]:
        """The single number of a one-element tensor: a float, or an int / bool for those dtypes."""
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor has an item, this one has shape {self.shape}")
        return self.data.reshape(-1)[0].item()

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
        """The entries as nested Python lists of numbers (a number for a 0-d tensor)."""
        return self.data.tolist()

    def __float__(self) -> float:
        return self._one("float")

    def __format__(self, spec: str) -> str:
        """`f"{loss:.4f}"` of a 0-d tensor formats its number, as PyTorch does; other shapes take no spec."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return object.__format__(self, spec)

    def __int__(self) -> int:
        self._one("int")
        return int(self.data.reshape(-1)[0])

    def __index__(self) -> int:
        """An integer tensor of one entry as a Python int (`range(n)`, `lst[t]`), as PyTorch."""
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index; "
                            f"this one is {self.data.dtype} of shape {self.shape}")
        return int(self.data.reshape(-1)[0])

    def _one(self, op: str) -> float:
        if self.data.size != 1:
            raise ValueError(f"{op}: only a one-element tensor converts to a number, this one has shape {self.shape}")
        return float(self.data.reshape(-1)[0])

    def clone(self) -> "Tensor":
        """A copy of the data that stays in the graph (the gradient flows back through it)."""
        return Tensor.apply(O.Clone, self)

    def astype(self, dtype: Any) -> "Tensor":
        """A cast to `dtype`: differentiable to a float dtype (float64 for gradient checks, float32
        for speed); to an integer or bool dtype a constant (no gradient flows through rounding)."""
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

    def long(self) -> "Tensor":
        """An int64 copy (a constant: no gradient), as PyTorch's `.long()`; floats are truncated toward 0."""
        return self._cast("long", np.int64)

    def int(self) -> "Tensor":
        """An int32 copy (a constant), as PyTorch's `.int()`."""
        return self._cast("int", np.int32)

    def bool(self) -> "Tensor":
        """A bool copy (a constant: True where nonzero), as PyTorch's `.bool()`."""
        return self._cast("bool", np.bool_)

    def type(self, dtype: Any = None) -> Union["Tensor", str]:
        """`x.type(cg.float32)` casts as `astype`; `x.type()` names the type as PyTorch does
        (`'torch.DoubleTensor'`); the same dtype returns the tensor itself."""
        if dtype is None:
            return dtypes.type_name(self.data.dtype)
        kind = dtypes.as_dtype("type", _TENSOR_TYPES.get(str(dtype), dtype))
        return self if kind == self.data.dtype else self._cast("type", kind)

    def to(self, target: Any = None, dtype: Any = None) -> "Tensor":
        """PyTorch's `.to`: `to(np.float32)`, `to("float32")`, `to(dtype=...)`, `to(other_tensor)` (its
        dtype); `to("cpu")` returns the tensor itself (circuitgrad computes on the CPU only).
        Raises TypeError for what is not a dtype and ValueError for another device."""
        if isinstance(target, Tensor):
            target = target.dtype
        if type(target).__name__ == "device":
            target = str(target)
        if isinstance(target, str) and target.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta"):
            if not is_cpu(target):
                raise ValueError(f"to: circuitgrad computes on the CPU only; there is no device {target!r}")
            target = None
        if target is not None and dtype is not None:
            raise TypeError("to: give the dtype once, as to(dtype) or to(dtype=...)")
        dtype = target if dtype is None else dtype
        if dtype is None or dtypes.as_dtype("to", dtype) == self.dtype:
            return self
        return self._cast("to", dtype)

    def _cast(self, op: str, dtype: Any) -> "Tensor":
        kind = dtypes.as_dtype(op, dtype)
        if kind.kind == "f":
            return Tensor.apply(O.Cast, self, ctx=kind)
        return Tensor._constant(self.data.astype(kind))  # integer or bool: data, cut from the graph

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
        _check_requires_grad("requires_grad_", bool(requires_grad), self.data)
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self) -> None:
        self.grad = None

    # ---- comparisons and logic: bool Tensors, constants of the graph (a test has no derivative) ----

    def _test(self, other: Any, test: Any) -> "Tensor":
        if isinstance(other, Node) and not isinstance(other, Tensor):
            raise TypeError("comparison: Value and Tensor do not mix")
        if getattr(type(other), "__array_ufunc__", 0) is None:  # it asks numpy to let it compare (pytest.approx)
            return NotImplemented
        return Tensor._constant(np.asarray(test(self.data, other.data if isinstance(other, Tensor) else other)))

    def __lt__(self, other): return self._test(other, np.less)
    def __le__(self, other): return self._test(other, np.less_equal)
    def __gt__(self, other): return self._test(other, np.greater)
    def __ge__(self, other): return self._test(other, np.greater_equal)
    def __eq__(self, other): return self._test(other, np.equal)  # noqa: E704
    def __ne__(self, other): return self._test(other, np.not_equal)  # noqa: E704
    __hash__ = Node.__hash__
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def _logic(self, other: Any, op: str, both: Any) -> "Tensor":
        if self.data.dtype.kind not in "biu" or \
                (isinstance(other, Tensor) and other.data.dtype.kind not in "biu") or isinstance(other, float):
            raise TypeError(f"{op}: needs bool or integer tensors (masks), got {self.data.dtype}")
        return self._test(other, both)

    def __and__(self, other): return self._logic(other, "&", np.bitwise_and)
    def __or__(self, other): return self._logic(other, "|", np.bitwise_or)
    def __xor__(self, other): return self._logic(other, "^", np.bitwise_xor)
    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> "Tensor":
        """`~mask`: logical not of a bool tensor (bitwise not of an integer one)."""
        return self._logic(0, "~", lambda a, _: np.invert(a))

    def logical_not(self) -> "Tensor": return Tensor._constant(np.logical_not(self.data))
    def isnan(self) -> "Tensor": return Tensor._constant(np.isnan(self.data))
    def isinf(self) -> "Tensor": return Tensor._constant(np.isinf(self.data))
    def isfinite(self) -> "Tensor": return Tensor._constant(np.isfinite(self.data))

    def any(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        """Whether any entry (along `dim`) is nonzero, as a bool tensor."""
        axes, keep = O.reductions.axes(self, dim, keepdim, "any")
        return Tensor._constant(np.asarray(self.data.any(axis=axes, keepdims=keep)))

    def all(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        """Whether every entry (along `dim`) is nonzero, as a bool tensor."""
        axes, keep = O.reductions.axes(self, dim, keepdim, "all")
        return Tensor._constant(np.asarray(self.data.all(axis=axes, keepdims=keep)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "use (t > 0).any() or .all()")
        return bool(self.data)

    # ---- ops: each line names the op; its forward and derivative live in ops/ ------------------

    def __add__(self, other): return Tensor.apply(O.Add, *self._pair("+", other))
    def __radd__(self, other): b, a = self._pair("+", other); return Tensor.apply(O.Add, a, b)  # noqa: E702
    def __sub__(self, other): return Tensor.apply(O.Sub, *self._pair("-", other))
    def __rsub__(self, other): b, a = self._pair("-", other); return Tensor.apply(O.Sub, a, b)  # noqa: E702
    def __mul__(self, other): return Tensor.apply(O.Mul, *self._pair("*", other))
    def __rmul__(self, other): b, a = self._pair("*", other); return Tensor.apply(O.Mul, a, b)  # noqa: E702
    def __truediv__(self, other): return Tensor.apply(O.Div, *self._pair("/", other, True))
    def __rtruediv__(self, other): b, a = self._pair("/", other, True); return Tensor.apply(O.Div, a, b)  # noqa
    def __pow__(self, other): return Tensor.apply(O.Pow, *self._pair("**", other))
    def __rpow__(self, other): b, a = self._pair("**", other); return Tensor.apply(O.Pow, a, b)  # noqa: E702
    def __neg__(self): return Tensor.apply(O.Neg, self)
    def __pos__(self): return self

    def __matmul__(self, other): return _matmul(self, self._lift("@", other))
    def __rmatmul__(self, other): return _matmul(self._lift("@", other), self)

    def matmul(self, other: ArrayLike) -> "Tensor":
        """Matrix product with numpy's rules for 1-D, 2-D and batched operands."""
        return self @ other

    def mm(self, other: ArrayLike) -> "Tensor":
        """The product of two matrices (PyTorch's `mm`: 2-D only; `matmul` or `@` for the rest)."""
        b = self._lift("mm", other)
        if self.ndim != 2 or b.ndim != 2:
            raise ValueError(f"mm: both operands must be matrices (2-D), got shapes {self.shape} and {b.shape}")
        return _matmul(self, b)


_TENSOR_TYPES = {"torch." + name: kind for kind, name in dtypes._TYPE_NAMES.items()}  # x.type('torch.FloatTensor')


def _promoted(a: Tensor, b: Tensor, b_number: bool, to_float: bool) -> tuple:
    """`a` and `b` in the dtype PyTorch computes `a op b` in (see Tensor._pair)."""
    dtype = dtypes.promote(a.data, b.data, False, b_number)
    if to_float and dtype.kind != "f":
        dtype = dtypes.get_default_dtype()
    return _in_dtype(a, dtype), _in_dtype(b, dtype)


def _in_dtype(t: Tensor, dtype: np.dtype) -> Tensor:
    if t.data.dtype == dtype:
        return t
    if t.requires_grad:  # a float operand widened: the cast is part of the graph
        return Tensor.apply(O.Cast, t, ctx=dtype)
    return Tensor._constant(t.data.astype(dtype))


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
            out.append(Tensor._constant(_as_array(op, x, keep_kind=True)))
    return tuple(out)


