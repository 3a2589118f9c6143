"""Every op on a scalar `Value`: its forward on floats and, beside it, its local derivative.

Read top to bottom, this file is the table of derivatives that backprop multiplies
together. `backward(out, g)` gets the node an op made and the gradient `g` that reached it,
and returns `local derivative * g` for each operand, in the order of `out.parents`.

An op with a plain number on one side (`x + 1`, `x * -1`, `1 / x`) keeps the number inside
the gate, as the CS231n circuit diagrams draw it; only Values are operands.

Domain errors (log of 0, division by zero, overflow) raise `DomainError` or
`OverflowError` naming the op and the values, never a silent nan.
"""
from __future__ import annotations

import math

from .graph import Op

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class DomainError(ValueError, ArithmeticError):
    """An op was asked for a value outside its domain (log of 0, division by zero)."""


def fmt(c: float) -> str:
    """A constant as it reads in a gate label: `1`, not `1.0`."""
    return str(int(c)) if float(c).is_integer() and abs(c) < 1e15 else f"{c:.4g}"


def _pow(op: str, a: float, b: float) -> float:
    """Python's float power with its complex and error corner cases made into clear errors."""
    if a == 0.0 and b < 0.0:
        raise DomainError(f"{op}: 0 ** {fmt(b)} is undefined (division by zero)")
    if a < 0.0 and not float(b).is_integer():
        raise DomainError(f"{op}: negative base {a!r} to the non-integer power {b!r} is not real")
    try:
        return a ** b
    except OverflowError:
        raise OverflowError(f"{op}: {a!r} ** {b!r} overflows a float") from None


# ---- two Values --------------------------------------------------------------------------

class Add(Op):
    name = "+"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return a + b

    @staticmethod
    def backward(out, g):
        return g, g  # d(a+b)/da = 1, d(a+b)/db = 1


class Sub(Op):
    name = "-"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return a - b

    @staticmethod
    def backward(out, g):
        return g, -g  # d(a-b)/da = 1, d(a-b)/db = -1


class Mul(Op):
    name = "*"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return a * b

    @staticmethod
    def backward(out, g):
        a, b = out.parents
        return b.data * g, a.data * g  # d(ab)/da = b, d(ab)/db = a (the "swap" gate)


class Div(Op):
    name = "/"

    @staticmethod
    def forward(a: float, b: float) -> float:
        if b == 0.0:
            raise DomainError(f"/: division by zero ({a!r} / 0)")
        return a / b

    @staticmethod
    def backward(out, g):
        a, b = out.parents
        return g / b.data, -g * out.data / b.data  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2


class Pow(Op):
    name = "**"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return _pow("**", a, b)

    @staticmethod
    def backward(out, g):
        a, b = out.parents[0].data, out.parents[1].data
        # d(a^b)/da = b a^(b-1) (0 when b = 0: a^0 is the constant 1, even at a = 0);
        # d(a^b)/db = a^b ln(a), defined for a > 0 (0 in the limit a -> 0+)
        da = 0.0 if b == 0.0 else b * _pow("** (derivative)", a, b - 1.0) * g
        if a > 0.0:
            db = out.data * math.log(a) * g
        elif a == 0.0:
            db = 0.0
        else:
            raise DomainError(f"**: the gradient with respect to the exponent needs a base > 0, got {a!r}")
        return da, db


# ---- a Value and a constant number (kept in ctx) -------------------------------------------

class AddConst(Op):
    name = "+c"

    @staticmethod
    def label(out) -> str:
        c = out.ctx
        return f"-{fmt(-c)}" if c < 0 else f"+{fmt(c)}"

    @staticmethod
    def forward(a: float, c: float) -> float:
        return a + c

    @staticmethod
    def backward(out, g):
        return (g,)  # d(x+c)/dx = 1


class RSubConst(Op):
    name = "c-x"

    @staticmethod
    def label(out) -> str:
        return f"{fmt(out.ctx)}-x"

    @staticmethod
    def forward(a: float, c: float) -> float:
        return c - a

    @staticmethod
    def backward(out, g):
        return (-g,)  # d(c-x)/dx = -1


class MulConst(Op):
    name = "*c"

    @staticmethod
    def label(out) -> str:
        return f"*{fmt(out.ctx)}"

    @staticmethod
    def forward(a: float, c: float) -> float:
        return a * c

    @staticmethod
    def backward(out, g):
        return (out.ctx * g,)  # d(cx)/dx = c


class DivConst(Op):
    name = "/c"

    @staticmethod
    def label(out) -> str:
        return f"/{fmt(out.ctx)}"

    @staticmethod
    def forward(a: float, c: float) -> float:
        if c == 0.0:
            raise DomainError(f"/: division by zero ({a!r} / 0)")
        return a / c

    @staticmethod
    def backward(out, g):
        return (g / out.ctx,)  # d(x/c)/dx = 1/c


class RDivConst(Op):
    name = "c/x"

    @staticmethod
    def label(out) -> str:
        return f"{fmt(out.ctx)}/x"

    @staticmethod
    def forward(a: float, c: float) -> float:
        if a == 0.0:
            raise DomainError(f"/: division by zero ({c!r} / 0)")
        return c / a

    @staticmethod
    def backward(out, g):
        return (-out.data / out.parents[0].data * g,)  # d(c/x)/dx = -c/x^2 = -(c/x)/x


class PowConst(Op):
    name = "x**c"

    @staticmethod
    def label(out) -> str:
        return f"**{fmt(out.ctx)}"

    @staticmethod
    def forward(a: float, c: float) -> float:
        return _pow("**", a, c)

    @staticmethod
    def backward(out, g):
        c = out.ctx
        a = out.parents[0].data
        if c == 2.0:
            return (2.0 * a * g,)
        if c == 0.0:
            return (0.0,)  # x^0 is the constant 1, so its slope is 0 even at x = 0
        if a == 0.0 and c < 1.0:
            raise DomainError(f"**: the derivative of x ** {fmt(c)} is infinite at x = 0")
        return (c * _pow("**", a, c - 1.0) * g,)  # d(x^c)/dx = c x^(c-1)


class RPowConst(Op):
    name = "c**x"

    @staticmethod
    def label(out) -> str:
        return f"{fmt(out.ctx)}**x"

    @staticmethod
    def forward(a: float, c: float) -> float:
        return _pow("**", c, a)

    @staticmethod
    def backward(out, g):
        c = out.ctx
        if c <= 0.0:
            raise DomainError(f"**: d(c ** x)/dx = c ** x ln(c) needs c > 0, got c = {c!r}")
        return (out.data * math.log(c) * g,)  # d(c^x)/dx = c^x ln(c)


# ---- functions of one Value ----------------------------------------------------------------

class Exp(Op):
    name = "exp"

    @staticmethod
    def forward(a: float, c=None) -> float:
        try:
            return math.exp(a)
        except OverflowError:
            raise OverflowError(f"exp: exp({a!r}) overflows a float (largest argument is about 709.78)") from None

    @staticmethod
    def backward(out, g):
        return (out.data * g,)  # d(e^x)/dx = e^x


class Log(Op):
    name = "log"

    @staticmethod
    def forward(a: float, c=None) -> float:
        if a <= 0.0:
            raise DomainError(f"log: undefined for {a!r} (needs a value > 0)")
        return math.log(a)

    @staticmethod
    def backward(out, g):
        return (g / out.parents[0].data,)  # d(ln x)/dx = 1/x


class Sqrt(Op):
    name = "sqrt"

    @staticmethod
    def forward(a: float, c=None) -> float:
        if a < 0.0:
            raise DomainError(f"sqrt: undefined for {a!r} (needs a value >= 0)")
        return math.sqrt(a)

    @staticmethod
    def backward(out, g):
        if out.data == 0.0:
            raise DomainError("sqrt: the derivative 1/(2 sqrt(x)) is infinite at x = 0")
        return (g / (2.0 * out.data),)  # d(sqrt x)/dx = 1 / (2 sqrt x)


class Abs(Op):
    name = "abs"

    @staticmethod
    def forward(a: float, c=None) -> float:
        return abs(a)

    @staticmethod
    def backward(out, g):
        a = out.parents[0].data
        return ((g if a > 0.0 else -g if a < 0.0 else 0.0),)  # d|x|/dx = sign(x), 0 at 0 like PyTorch


class Tanh(Op):
    name = "tanh"

    @staticmethod
    def forward(a: float, c=None) -> float:
        return math.tanh(a)

    @staticmethod
    def backward(out, g):
        t = out.data
        return ((1.0 - t * t) * g,)  # d(tanh x)/dx = 1 - tanh(x)^2


class Sigmoid(Op):
    name = "sigmoid"

    @staticmethod
    def forward(a: float, c=None) -> float:
        # Two forms so that exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
        if a >= 0.0:
            return 1.0 / (1.0 + math.exp(-a))
        e = math.exp(a)
        return e / (1.0 + e)

    @staticmethod
    def backward(out, g):
        s = out.data
        return (s * (1.0 - s) * g,)  # d(sigma x)/dx = sigma(x) (1 - sigma(x))


class ReLU(Op):
    name = "relu"

    @staticmethod
    def forward(a: float, c=None) -> float:
        return a if a > 0.0 else 0.0

    @staticmethod
    def backward(out, g):
        return ((g if out.data > 0.0 else 0.0),)  # d relu(x)/dx = 1 for x > 0, else 0 (0 at 0, like PyTorch)


class LeakyReLU(Op):
    name = "leaky_relu"

    @staticmethod
    def forward(a: float, slope: float) -> float:
        return a if a > 0.0 else slope * a

    @staticmethod
    def backward(out, g):
        return ((g if out.parents[0].data > 0.0 else out.ctx * g),)  # 1 for x > 0, else the slope


class SELU(Op):
    name = "selu"

    @staticmethod
    def forward(a: float, c=None) -> float:
        if a > 0.0:
            return SELU_SCALE * a
        return SELU_SCALE * SELU_ALPHA * math.expm1(a)

    @staticmethod
    def backward(out, g):
        # d selu(x)/dx = scale for x > 0, else scale * alpha * e^x = selu(x) + scale * alpha
        if out.parents[0].data > 0.0:
            return (SELU_SCALE * g,)
        return ((out.data + SELU_SCALE * SELU_ALPHA) * g,)


class Step(Op):
    name = "step"

    @staticmethod
    def forward(a: float, c=None) -> float:
        return 1.0 if a > 0.0 else 0.0

    @staticmethod
    def backward(out, g):
        return (0.0,)  # flat on both sides of 0 (undefined at 0): no gradient flows through a step
