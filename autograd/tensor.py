"""`Tensor`: a numpy array that records its ops into the same graph as `Value`.

This file turns Python syntax and methods into nodes; what each op computes, and its
derivative, is in `elementwise.py`, `reductions.py`, `softmax.py`, `shape_ops.py` and
`matmul.py`.
"""
from __future__ import annotations

import numbers
from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from .graph import Node, grad_mode

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

    __slots__ = ("requires_grad",)
    __array_priority__ = 1000  # so `ndarray * Tensor` comes to Tensor.__rmul__
    @staticmethod
    def _own(grad: np.ndarray, stored: set) -> np.ndarray:
        # Copy only when needed: most gradients are fresh arrays no other node holds.
        if id(grad) in stored or grad.base is not None or not grad.flags.writeable:
            return grad.copy()
        return grad

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

    # ---- the one place a Tensor op becomes a node ---------------------------------------------

    @staticmethod
    def _make(fn, parents: tuple, data: np.ndarray, ctx: Any = None) -> "Tensor":
        out = _new(Tensor)
        out.data = data
        out.grad = None
        out.label = ""
        out.requires_grad = False
        out.parents = ()
        out.fn = out.ctx = None
        if grad_mode.enabled:
            for p in parents:  # a plain loop: any(generator) costs a generator per op
                if p.requires_grad:
                    out.requires_grad = True
                    out.parents = parents
                    out.fn = fn
                    out.ctx = ctx
                    break
        if grad_mode.anomaly and data.dtype.kind == "f" and not np.isfinite(data).all():
            bad = "nan" if np.isnan(data).any() else "inf"
            shapes = ", ".join(str(p.shape) for p in parents)
            raise FloatingPointError(f"detect_anomaly: {fn.name} produced {bad} from operands of shape {shapes}")
        return out

    @classmethod
    def _apply(cls, fn, *operands: "Tensor", ctx: Any = None) -> "Tensor":
        """Run `fn.forward` on the operands' arrays and record the result, naming `fn` on failure."""
        try:
            data = fn.forward(ctx, *[t.data for t in operands])
        except ValueError as e:
            if type(e) is not ValueError:
                raise
            shapes = " and ".join(str(t.shape) for t in operands)
            raise ValueError(f"{fn.name}: cannot apply to shapes {shapes}: {e}") from None
        return cls._make(fn, operands, data, ctx)

    def _lift(self, op: str, other: Any) -> "Tensor":
        """The other operand as a Tensor; a Python number takes this tensor's dtype (float32 stays)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, Node):
            raise TypeError(f"{op}: cannot combine a Tensor with a {type(other).__name__}; Value and Tensor "
                            "do not mix (use Tensor(v.data), or .item() to get a number out of a Tensor)")
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Tensor._constant(np.asarray(other, dtype=self.data.dtype))
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
        seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
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

    @property
    def size(self) -> int:
        return self.data.size

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

    # ---- ops: each line names the op; its forward and derivative live in the op's file ---------

    def __add__(self, other): return Tensor._apply(E.Add, self, self._lift("+", other))
    def __radd__(self, other): return Tensor._apply(E.Add, self._lift("+", other), self)
    def __sub__(self, other): return Tensor._apply(E.Sub, self, self._lift("-", other))
    def __rsub__(self, other): return Tensor._apply(E.Sub, self._lift("-", other), self)
    def __mul__(self, other): return Tensor._apply(E.Mul, self, self._lift("*", other))
    def __rmul__(self, other): return Tensor._apply(E.Mul, self._lift("*", other), self)
    def __truediv__(self, other): return Tensor._apply(E.Div, self, self._lift("/", other))
    def __rtruediv__(self, other): return Tensor._apply(E.Div, self._lift("/", other), self)
    def __pow__(self, other): return Tensor._apply(E.Pow, self, self._lift("**", other))
    def __rpow__(self, other): return Tensor._apply(E.Pow, self._lift("**", other), self)
    def __neg__(self): return Tensor._apply(E.Neg, self)
    def __pos__(self): return self
    def __matmul__(self, other): return Tensor._apply(M.MatMul, self, self._lift("@", other))
    def __rmatmul__(self, other): return Tensor._apply(M.MatMul, self._lift("@", other), self)

    def matmul(self, other: ArrayLike) -> "Tensor":
        """Matrix product with numpy's rules for 1-D, 2-D and batched operands."""
        return self @ other

    def exp(self) -> "Tensor": return Tensor._apply(E.Exp, self)
    def log(self) -> "Tensor": return Tensor._apply(E.Log, self)
    def sqrt(self) -> "Tensor": return Tensor._apply(E.Sqrt, self)
    def abs(self) -> "Tensor": return Tensor._apply(E.Abs, self)
    __abs__ = abs
    def tanh(self) -> "Tensor": return Tensor._apply(E.Tanh, self)
    def sigmoid(self) -> "Tensor": return Tensor._apply(E.Sigmoid, self)
    def relu(self) -> "Tensor": return Tensor._apply(E.ReLU, self)
    def selu(self) -> "Tensor": return Tensor._apply(E.SELU, self)

    def leaky_relu(self, slope: float = 0.01) -> "Tensor":
        return Tensor._apply(E.LeakyReLU, self, ctx=float(slope))

    def step(self) -> "Tensor":
        """Heaviside step (1 where x > 0, else 0); its derivative is 0, so no gradient flows through."""
        return Tensor._apply(E.Step, self)

    def clip(self, low: Optional[float] = None, high: Optional[float] = None) -> "Tensor":
        """Values limited to [low, high]; the gradient passes only where no limit was hit."""
        if low is None and high is None:
            raise ValueError("clip: give low, high or both")
        for name, limit in (("low", low), ("high", high)):
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, numbers.Real)):
                raise TypeError(f"clip: {name} must be a number, got {type(limit).__name__} {limit!r}")
        if low is not None and high is not None and low > high:
            raise ValueError(f"clip: low {low} is above high {high}")
        return Tensor._apply(E.Clip, self, ctx=(low, high))

    def astype(self, dtype: Any) -> "Tensor":
        """A differentiable cast (float64 for gradient checks, float32 for speed)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"astype: only float dtypes keep gradients, got {dtype}")
        return Tensor._apply(E.Cast, self, ctx=dtype)

    def sum(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return Tensor._apply(R.Sum, self, ctx=R.axes(self, axis, keepdims, "sum"))

    def mean(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return Tensor._apply(R.Mean, self, ctx=R.axes(self, axis, keepdims, "mean"))

    def max(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """Largest entries; ties share the gradient equally (as torch.amax)."""
        return Tensor._apply(R.Max, self, ctx=R.axes(self, axis, keepdims, "max"))

    def min(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        """Smallest entries; ties share the gradient equally (as torch.amin)."""
        return Tensor._apply(R.Min, self, ctx=R.axes(self, axis, keepdims, "min"))

    def var(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> "Tensor":
        """Variance; `ddof=0` divides by N as numpy does (PyTorch's default is N - 1)."""
        ctx = R.axes(self, axis, keepdims, "var")
        if R.count(self, ctx) - ddof <= 0:
            raise ValueError(f"var: ddof={ddof} leaves no degrees of freedom for shape {self.shape} along {axis}")
        return Tensor._apply(R.Var, self, ctx=ctx + (ddof,))

    def std(self, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> "Tensor":
        """Standard deviation, the square root of `var` (so its slope is infinite at zero spread)."""
        return self.var(axis, keepdims, ddof).sqrt()

    def softmax(self, axis: int = -1) -> "Tensor":
        """exp(x) / sum(exp(x)) along `axis`, computed after subtracting the max so huge logits stay finite."""
        return Tensor._apply(S.Softmax, self, ctx=S.check_axis(self, axis, "softmax"))

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """log(softmax(x)) as x - max - log(sum(exp(x - max))): finite where the naive form gives -inf."""
        return Tensor._apply(S.LogSoftmax, self, ctx=S.check_axis(self, axis, "log_softmax"))

    def reshape(self, *shape: Union[int, Sequence[int]]) -> "Tensor":
        return Tensor._apply(P.Reshape, self, ctx=P.new_shape(self, shape))

    def flatten(self) -> "Tensor":
        return self.reshape(-1)

    def transpose(self, *axes: Union[int, Sequence[int]]) -> "Tensor":
        return Tensor._apply(P.Transpose, self, ctx=P.permutation(self, axes))

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def squeeze(self, axis: Axis = None) -> "Tensor":
        return Tensor._apply(P.Reshape, self, ctx=P.squeezed(self, axis))

    def unsqueeze(self, axis: int) -> "Tensor":
        return Tensor._apply(P.Reshape, self, ctx=P.unsqueezed(self, axis))

    def __getitem__(self, index: Any) -> "Tensor":
        return Tensor._apply(P.Index, self, ctx=P.clean_index(self, index))


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


# The op modules import Tensor's helpers lazily through these names; imported last to avoid a cycle.
from . import elementwise as E  # noqa: E402
from . import matmul as M  # noqa: E402
from . import reductions as R  # noqa: E402
from . import shape_ops as P  # noqa: E402
from . import softmax as S  # noqa: E402
