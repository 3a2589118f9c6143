"""+ - * / ** and negation, for Value and Tensor: forward and local derivative side by side.

`forward` runs on numpy arrays (numpy's rules: x / 0 is inf); `scalar` on the floats of a
Value, where a domain error (0 ** -1, log of a negative base) raises `DomainError` naming
the values instead of giving a silent nan. The derivative is one formula for both.

The "constant" gates (`x + 1`, `x * -1`, `1 / x`) exist for Value only: the CS231n circuit
diagrams draw the number inside the gate, so it is kept in `ctx`, not made an operand.
"""
from __future__ import annotations

import math

import numpy as np

from ..graph import Op
from .maths import data, log, where


class DomainError(ValueError, ArithmeticError):
    """An op was asked for a value outside its domain (log of 0, division by zero)."""


def fmt(c: float) -> str:
    """A constant as it reads in a gate label: `1`, not `1.0`."""
    return str(int(c)) if float(c).is_integer() and abs(c) < 1e15 else f"{c:.4g}"


def real_pow(op: str, a: float, b: float) -> float:
    """Python's float power with its complex and error corner cases made into clear errors."""
    if a == 0.0 and b < 0.0:
        raise DomainError(f"{op}: 0 ** {fmt(b)} is undefined (division by zero)")
    if a < 0.0 and not float(b).is_integer():
        raise DomainError(f"{op}: negative base {a!r} to the non-integer power {b!r} is not real")
    try:
        return a ** b
    except OverflowError:
        raise OverflowError(f"{op}: {a!r} ** {b!r} overflows a float") from None


class Add(Op):
    name = "+"
    derivative = "a: grad;  b: grad"
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    scalar = forward

    @staticmethod
    def backward(ctx, grad, out, a, b):
        return grad, grad


class Sub(Op):
    name = "-"
    derivative = "a: grad;  b: -grad"
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    scalar = forward

    @staticmethod
    def backward(ctx, grad, out, a, b):
        return grad, -grad


class Mul(Op):
    name = "*"
    derivative = "a: grad * b;  b: grad * a   (the 'swap' gate)"
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    scalar = forward

    @staticmethod
    def backward(ctx, grad, out, a, b):
        return grad * b, grad * a


class Div(Op):
    name = "/"
    derivative = "a: grad / b;  b: -grad * out / b   (= -grad a / b^2)"
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def scalar(ctx, a, b):
        if b == 0.0:
            raise DomainError(f"/: division by zero ({a!r} / 0)")
        return a / b

    @staticmethod
    def backward(ctx, grad, out, a, b):
        return grad / b, -grad * out / b


class Pow(Op):
    name = "**"
    derivative = "a: grad * b * a^(b-1)  (0 where b = 0);  b: grad * out * ln(a)  (0 where a = 0 and b >= 0)"
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        return a ** b

    @staticmethod
    def scalar(ctx, a, b):
        return real_pow("**", a, b)

    @staticmethod
    def backward(ctx, grad, out, a, b):
        av, bv = data(a), data(b)
        if type(av) is float:  # a Value: raise where the slope is not real, never a silent nan
            if bv == 0.0:
                da = 0.0 * grad  # a^0 is the constant 1, even at a = 0
            else:
                real_pow("** (derivative)", av, bv - 1.0)
                da = grad * b * a ** (b - 1.0)
            if av > 0.0:
                db = grad * out * log(a)
            elif av == 0.0:
                db = 0.0 * grad  # the limit a -> 0+ of a^b ln(a), for b > 0
            else:
                raise DomainError(f"**: the gradient with respect to the exponent needs a base > 0, got {av!r}")
            return da, db
        # The guards (where) only where a corner case occurs, so a recorded backward pass
        # (create_graph=True) draws as the formula: grad * b * a ** (b - 1).
        with np.errstate(divide="ignore", invalid="ignore"):
            da = db = None
            if _needed(a):
                nonzero_b = bv != 0
                if nonzero_b.all():
                    da = grad * (b * a ** (b - 1))
                else:
                    # selected, not multiplied by 0: a^0 has slope 0 even where the gradient above is nan
                    da = where(nonzero_b, grad * b * a ** where(nonzero_b, b - 1, 0), 0.0)
            if _needed(b):
                positive = av > 0
                if positive.all():
                    db = grad * out * log(a)
                else:
                    # PyTorch's corners: ln(0) = -inf, so 0^b ln(0) is -inf for b < 0 (+inf at a = -0 with
                    # odd b), but 0 where b >= 0 (the limit of a^b ln a); a negative base has no real ln (nan).
                    corner = np.where(av == 0, -np.inf, np.nan).astype(av.dtype)
                    ln_a = where(positive, log(where(positive, a, 1)), corner)
                    flat = (av == 0) & (bv >= 0)
                    db = where(flat, 0.0, grad * out * ln_a)
        return da, db


def _needed(x) -> bool:
    """False only for a node that needs no gradient (a constant, in a recorded pass); arrays say True."""
    return getattr(x, "requires_grad", True)


class Neg(Op):
    name = "neg"
    derivative = "x: -grad"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad, out, x):
        return (-grad,)


# ---- a Value and a constant number kept in the gate (Value only) ------------------------------

class AddConst(Op):
    name = "+c"
    derivative = "x: grad"

    @staticmethod
    def label(out) -> str:
        c = out.ctx
        return f"-{fmt(-c)}" if c < 0 else f"+{fmt(c)}"

    @staticmethod
    def scalar(c, x):
        return x + c

    @staticmethod
    def backward(c, grad, out, x):
        return (grad,)


class RSubConst(Op):
    name = "c-x"
    derivative = "x: -grad"

    @staticmethod
    def label(out) -> str:
        return f"{fmt(out.ctx)}-x"

    @staticmethod
    def scalar(c, x):
        return c - x

    @staticmethod
    def backward(c, grad, out, x):
        return (-grad,)


class MulConst(Op):
    name = "*c"
    derivative = "x: grad * c"

    @staticmethod
    def label(out) -> str:
        return f"*{fmt(out.ctx)}"

    @staticmethod
    def scalar(c, x):
        return x * c

    @staticmethod
    def backward(c, grad, out, x):
        return (grad * c,)


class DivConst(Op):
    name = "/c"
    derivative = "x: grad / c"

    @staticmethod
    def label(out) -> str:
        return f"/{fmt(out.ctx)}"

    @staticmethod
    def scalar(c, x):
        if c == 0.0:
            raise DomainError(f"/: division by zero ({x!r} / 0)")
        return x / c

    @staticmethod
    def backward(c, grad, out, x):
        return (grad / c,)


class RDivConst(Op):
    name = "c/x"
    derivative = "x: -grad * out / x   (= -grad c / x^2)"

    @staticmethod
    def label(out) -> str:
        return f"{fmt(out.ctx)}/x"

    @staticmethod
    def scalar(c, x):
        if x == 0.0:
            raise DomainError(f"/: division by zero ({c!r} / 0)")
        return c / x

    @staticmethod
    def backward(c, grad, out, x):
        return (-grad * out / x,)


class PowConst(Op):
    name = "x**c"
    derivative = "x: grad * c * x^(c-1)   (0 for c = 0)"

    @staticmethod
    def label(out) -> str:
        return f"**{fmt(out.ctx)}"

    @staticmethod
    def scalar(c, x):
        return real_pow("**", x, c)

    @staticmethod
    def backward(c, grad, out, x):
        if c == 0.0:
            return (0.0 * grad,)  # x^0 is the constant 1, so its slope is 0 even at x = 0
        if c == 2.0:
            return (grad * 2.0 * x,)
        xv = data(x)
        if xv == 0.0 and c < 1.0:
            raise DomainError(f"**: the derivative of x ** {fmt(c)} is infinite at x = 0")
        real_pow("** (derivative)", xv, c - 1.0)
        return (grad * c * x ** (c - 1.0),)


class RPowConst(Op):
    name = "c**x"
    derivative = "x: grad * out * ln(c)   (0 for c = 0 where x > 0)"

    @staticmethod
    def label(out) -> str:
        return f"{fmt(out.ctx)}**x"

    @staticmethod
    def scalar(c, x):
        return real_pow("**", c, x)

    @staticmethod
    def backward(c, grad, out, x):
        if c == 0.0:  # 0 ** x is 0 for every x > 0, a flat line (as Value(0.0) ** x and PyTorch give)
            return (0.0 * grad,)
        if c < 0.0:
            raise DomainError(f"**: d(c ** x)/dx = c ** x ln(c) needs c > 0, got c = {c!r}")
        return (grad * out * math.log(c),)


__all__ = ["DomainError", "Add", "Sub", "Mul", "Div", "Pow", "Neg", "AddConst", "RSubConst", "MulConst",
           "DivConst", "RDivConst", "PowConst", "RPowConst"]
