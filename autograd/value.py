"""`Value`: one float and its gradient, a node of the graph that backprop walks.

The operators map onto the ops in `ops/` (`ops/arithmetic.py`, `ops/functions.py`), where
each forward sits beside its derivative. This file only turns Python syntax (`a * b`,
`2 ** x`, `x.tanh()`) into nodes.
"""
from __future__ import annotations

from typing import Union

from . import ops
from .graph import Node, make, next_number
from .mode import created, switched
from .checks import is_real

Number = Union[int, float]
_new = object.__new__


def _check_number(op: str, x: object) -> float:
    """A plain real number as a float, or a TypeError naming the op and what came instead."""
    kind = type(x)
    if kind is float:
        return x
    if kind is int:
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(f"{op}: an integer of {len(str(abs(x)))} digits is too large for a float") from None
    if isinstance(x, Node):
        raise TypeError(
            f"{op}: cannot combine a Value with a {type(x).__name__}; Value and Tensor do not mix "
            "(use Tensor for arrays, or .item() to take a number out of a one-element Tensor)")
    if not is_real(x):
        raise TypeError(f"{op}: expected a Value or a real number, got {type(x).__name__} {x!r}")
    return float(x)


def _not_finite(op: str, data: float, *inputs: float) -> None:
    shown = ", ".join(repr(i) for i in inputs)
    if data != data:
        raise ops.DomainError(f"{op}: result is nan for input {shown}")
    raise OverflowError(f"{op}: result overflows a float for input {shown}")


class Value(Node):
    """A scalar that remembers how it was computed, so `backward()` can find its gradient.

    Attributes: `data` (float), `grad` (float, d(output)/d(this) after `backward()`),
    `label` (a name for diagrams), `op` (the op that made it, `""` for a leaf) and `parents`
    (the operand Values, in order).

    Gradients of leaves accumulate across backward passes, like PyTorch's: reset them with
    `x.grad = 0.0` or an optimizer's `zero_grad()` before the next pass.

    A Value is immutable, like the Python float it holds: `h += 1` on a computed Value makes a new
    node and rebinds the name `h` (gradients are right; other names for the old node keep the old
    value, where PyTorch's 0-d tensor would change under every name). On a leaf the in-place
    operators raise TypeError instead: `for p in model.parameters(): p -= lr * p.grad` would rebind
    the loop variable and train nothing. Change a parameter's number with `p.data -= lr * p.grad`
    (micrograd's update) or an optimizer's `step()`.
    """

    __slots__ = ()
    _grad_init = 0.0

    def __init__(self, data: Number, label: str = "") -> None:
        if isinstance(data, Value):
            raise TypeError("Value: data is already a Value; use it directly (or Value(v.data) for a copy)")
        self.data = _check_number("Value", data)
        if self.data - self.data != 0.0:
            _not_finite("Value", self.data, data)
        self.grad = 0.0
        self._a = self._b = self._rest = None  # a leaf: no parents
        self.fn = None
        self.ctx = None
        self.label = label if isinstance(label, str) else str(label)
        self.requires_grad = True
        self._number = next_number()
        if switched.count:
            created(self)

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        made = f", op={self.op!r}" if self.fn is not None else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g}{made})"

    def _seed(self, grad) -> float:
        if grad is None:
            return 1.0
        if isinstance(grad, Node):
            grad = grad.data if isinstance(grad, Value) else grad
        if isinstance(grad, complex):
            raise TypeError(f"backward: the seed gradient must be a real number, got complex {grad!r}")
        seed = _check_number("backward", grad)
        if seed - seed != 0.0:
            raise ValueError(f"backward: the seed gradient must be finite, got {seed!r}")
        return seed

    @classmethod
    def _constant_like(cls, data: float) -> "Value":
        return Value(data)

    @staticmethod
    def _where(condition, a, b):
        return a if condition else b

    # ---- building nodes ---------------------------------------------------------------------

    @classmethod
    def apply(cls, fn, *inputs: "Value", ctx=None) -> "Value":
        """Run op `fn` on Values (its `scalar` forward) and record the result: the public way to
        add an op. A nan or an infinite result raises, naming the op and the inputs."""
        for x in inputs:
            if not isinstance(x, Value):
                raise TypeError(f"{fn.name}: expected Values, got {type(x).__name__}")
        data = fn.scalar(ctx, *[x.data for x in inputs])
        if data - data != 0.0:
            _not_finite(fn.name, data, *[x.data for x in inputs])
        return make(Value, fn, inputs, data, ctx)

    def _unary(self, fn, c=None) -> "Value":
        # Value.apply with the checks it needs for one operand inlined: `a * b` takes 300 ns, not 570 (timeit).
        data = fn.scalar(c, self.data)
        if data - data != 0.0:  # inf - inf and nan - nan are nan; any finite x - x is 0
            _not_finite(fn.name, data, self.data)
        return make(Value, fn, (self,), data, c)

    def _binary(self, other: "Value", fn) -> "Value":
        data = fn.scalar(None, self.data, other.data)
        if data - data != 0.0:
            _not_finite(fn.name, data, self.data, other.data)
        return make(Value, fn, (self, other), data)

    # ---- arithmetic: Value with Value, or with a number kept inside the gate -----------------

    def __add__(self, other):
        if type(other) is Value:
            return self._binary(other, ops.Add)
        return self._unary(ops.AddConst, _check_number("+", other))

    def __radd__(self, other):
        return self._unary(ops.AddConst, _check_number("+", other))

    def __sub__(self, other):
        if type(other) is Value:
            return self._binary(other, ops.Sub)
        return self._unary(ops.AddConst, -_check_number("-", other))

    def __rsub__(self, other):
        return self._unary(ops.RSubConst, _check_number("-", other))

    def __mul__(self, other):
        if type(other) is Value:
            return self._binary(other, ops.Mul)
        return self._unary(ops.MulConst, _check_number("*", other))

    def __rmul__(self, other):
        return self._unary(ops.MulConst, _check_number("*", other))

    def __truediv__(self, other):
        if type(other) is Value:
            return self._binary(other, ops.Div)
        return self._unary(ops.DivConst, _check_number("/", other))

    def __rtruediv__(self, other):
        return self._unary(ops.RDivConst, _check_number("/", other))

    def __pow__(self, other):
        if type(other) is Value:
            return self._binary(other, ops.Pow)
        return self._unary(ops.PowConst, _check_number("**", other))

    def __rpow__(self, other):
        return self._unary(ops.RPowConst, _check_number("**", other))

    def __neg__(self):
        return self._unary(ops.MulConst, -1.0)  # drawn as the CS231n "*-1" gate

    def __pos__(self):
        return self

    # ---- in-place operators: rebinding, as for floats; refused on leaves (see the class docstring) ----

    def __iadd__(self, other):
        return self._immutable("+=").__add__(other)

    def __isub__(self, other):
        return self._immutable("-=").__sub__(other)

    def __imul__(self, other):
        return self._immutable("*=").__mul__(other)

    def __itruediv__(self, other):
        return self._immutable("/=").__truediv__(other)

    def __ipow__(self, other):
        return self._immutable("**=").__pow__(other)

    def _immutable(self, op: str) -> "Value":
        if self.fn is None:
            raise TypeError(
                f"{op}: a Value is immutable, like a Python float, so `p {op} ...` on this leaf would make a new "
                f"Value and leave p as it was (PyTorch would change a tensor in place). To change a parameter, "
                f"change its number: p.data {op} ... (e.g. p.data -= lr * p.grad) or use an optimizer; for a new "
                f"Value write p = p {op[:-1]} ...")
        return self

    def __matmul__(self, other):
        raise TypeError(f"@: matrix multiplication needs Tensors, got Value @ {type(other).__name__}; "
                        "for scalars use *")

    __rmatmul__ = __matmul__

    # Comparisons look at data and build no graph (for `if loss < 0.01:`); `==` stays identity
    # so Values can be dict keys and set members, as graph code needs.
    def __lt__(self, other) -> bool:
        return self.data < _as_float(other)

    def __le__(self, other) -> bool:
        return self.data <= _as_float(other)

    def __gt__(self, other) -> bool:
        return self.data > _as_float(other)

    def __ge__(self, other) -> bool:
        return self.data >= _as_float(other)

    __hash__ = Node.__hash__

    def __float__(self) -> float:
        return self.data

    def item(self) -> float:
        """The number inside, as with a one-element Tensor."""
        return self.data

    # ---- functions --------------------------------------------------------------------------

    def exp(self) -> "Value":
        """e ** x; raises OverflowError above about 709.78."""
        return self._unary(ops.Exp)

    def log(self) -> "Value":
        """Natural log; raises DomainError (a ValueError) for x <= 0."""
        return self._unary(ops.Log)

    def sqrt(self) -> "Value":
        """Square root; raises DomainError for x < 0 (and in backward at 0, where the slope is infinite)."""
        return self._unary(ops.Sqrt)

    def abs(self) -> "Value":
        """|x|, with derivative sign(x) (0 at 0, as PyTorch)."""
        return self._unary(ops.Abs)

    __abs__ = abs

    def tanh(self) -> "Value":
        return self._unary(ops.Tanh)

    def sigmoid(self) -> "Value":
        """1 / (1 + e^-x) as one gate; the CS231n circuit builds the same from primitives."""
        return self._unary(ops.Sigmoid)

    def relu(self) -> "Value":
        return self._unary(ops.ReLU)

    def leaky_relu(self, slope: float = 0.01) -> "Value":
        """x for x > 0, else slope * x."""
        return self._unary(ops.LeakyReLU, _check_number("leaky_relu", slope))

    def selu(self) -> "Value":
        """Self-normalizing ELU with the constants of Klambauer et al. (2017), as PyTorch."""
        return self._unary(ops.SELU)

    def step(self) -> "Value":
        """Heaviside step, the perceptron's activation: 1 for x > 0, else 0.

        Its derivative is 0 wherever it exists, so no gradient flows back through it; that
        is why perceptrons were trained by their own rule and MLPs use smooth activations.
        """
        return self._unary(ops.Step)


def _as_float(x: object) -> float:
    return x.data if type(x) is Value else _check_number("comparison", x)

