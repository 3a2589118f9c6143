"""Functions of one input (exp, log, sin, tanh, sigmoid, relu, ...): forward and derivative side by side.

`forward` runs on numpy arrays (Tensor), `scalar` on a float (Value, with domain errors
named); each derivative is one formula for both, and for the recorded backward pass of
`create_graph=True`, where `x`, `out` and `grad` are nodes.
"""
from __future__ import annotations

import math

import numpy as np

from ..graph import Op
from .registry import register
from .arithmetic import DomainError
from .maths import cos, data, erf, exp, exp_limit, mask, masked, sign, sin, where

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
LN2, LN10 = math.log(2.0), math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@register
class Exp(Op):
    name = "exp"
    derivative = "x: grad * out   (d e^x/dx = e^x)"

    @staticmethod
    def forward(ctx, x):
        return np.exp(x)

    @staticmethod
    def scalar(ctx, x):
        try:
            return math.exp(x)
        except OverflowError:
            raise OverflowError(f"exp: exp({x!r}) overflows a float (largest argument is about 709.78)") from None

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * out,)


@register
class Log(Op):
    name = "log"
    derivative = "x: grad / x"

    @staticmethod
    def forward(ctx, x):
        return np.log(x)

    @staticmethod
    def scalar(ctx, x):
        if x <= 0.0:
            raise DomainError(f"log: undefined for {x!r} (needs a value > 0)")
        return math.log(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad / x,)


@register
class Sqrt(Op):
    name = "sqrt"
    derivative = "x: grad / (2 out)   (infinite at 0)"

    @staticmethod
    def forward(ctx, x):
        return np.sqrt(x)

    @staticmethod
    def scalar(ctx, x):
        if x < 0.0:
            raise DomainError(f"sqrt: undefined for {x!r} (needs a value >= 0)")
        return math.sqrt(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        if type(data(out)) is float and data(out) == 0.0:
            raise DomainError("sqrt: the derivative 1/(2 sqrt(x)) is infinite at x = 0")
        return (grad / (2.0 * out),)


# ---- more of PyTorch's elementwise maths (Tensor only) --------------------------------------------

@register
class Log2(Op):
    name = "log2"
    derivative = "x: grad / (x ln 2)"

    @staticmethod
    def forward(ctx, x):
        return np.log2(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad / (x * LN2),)


@register
class Log10(Op):
    name = "log10"
    derivative = "x: grad / (x ln 10)"

    @staticmethod
    def forward(ctx, x):
        return np.log10(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad / (x * LN10),)


@register
class Log1p(Op):
    name = "log1p"
    derivative = "x: grad / (1 + x)   (log(1 + x), exact for tiny x)"

    @staticmethod
    def forward(ctx, x):
        return np.log1p(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad / (1.0 + x),)


@register
class Expm1(Op):
    name = "expm1"
    derivative = "x: grad * (out + 1)   (e^x - 1, exact for tiny x)"

    @staticmethod
    def forward(ctx, x):
        return np.expm1(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * (out + 1.0),)


@register
class Exp2(Op):
    name = "exp2"
    derivative = "x: grad * out * ln 2"

    @staticmethod
    def forward(ctx, x):
        return np.exp2(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * out * LN2,)


@register
class Square(Op):
    name = "square"
    derivative = "x: grad * 2x"

    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * 2.0 * x,)


@register
class Rsqrt(Op):
    name = "rsqrt"
    derivative = "x: -grad * out^3 / 2   (d x^(-1/2)/dx = -x^(-3/2) / 2)"

    @staticmethod
    def forward(ctx, x):
        return 1.0 / np.sqrt(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * out * out * out * -0.5,)


@register
class Reciprocal(Op):
    name = "reciprocal"
    derivative = "x: -grad * out^2   (d (1/x)/dx = -1/x^2)"

    @staticmethod
    def forward(ctx, x):
        return 1.0 / x

    @staticmethod
    def backward(ctx, grad, out, x):
        return (-grad * out * out,)


@register
class Sin(Op):
    name = "sin"
    derivative = "x: grad * cos(x)"

    @staticmethod
    def forward(ctx, x):
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * cos(x),)


@register
class Cos(Op):
    name = "cos"
    derivative = "x: -grad * sin(x)"

    @staticmethod
    def forward(ctx, x):
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (-grad * sin(x),)


@register
class Erf(Op):
    name = "erf"
    derivative = "x: grad * 2/sqrt(pi) * e^(-x^2)"

    @staticmethod
    def forward(ctx, x):
        return erf(x)  # numpy has no erf: math.erf entry by entry, exact

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * TWO_OVER_SQRT_PI * exp(-(x * x)),)



@register
class Abs(Op):
    name = "abs"
    derivative = "x: grad * sign(x)   (0 at 0, as PyTorch)"

    @staticmethod
    def forward(ctx, x):
        return np.abs(x)

    @staticmethod
    def scalar(ctx, x):
        return abs(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * sign(x),)


@register(activation=True)
class Tanh(Op):
    name = "tanh"
    derivative = "x: grad * (1 - out^2)"

    @staticmethod
    def forward(ctx, x):
        return np.tanh(x)

    @staticmethod
    def scalar(ctx, x):
        return math.tanh(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * (1.0 - out * out),)


@register(activation=True)
class Sigmoid(Op):
    name = "sigmoid"
    derivative = "x: grad * out * (1 - out)"

    @staticmethod
    def forward(ctx, x):
        # PyTorch's 1 / (1 + e^-x), with -x capped where e^-x would overflow (x below -88.72 in
        # float32), so numpy warns of nothing: there the result is 1 / (largest float), a subnormal,
        # where PyTorch gives 0. (np.errstate around the plain formula instead costs a third more.)
        return 1 / (1 + np.exp(np.minimum(-x, exp_limit(x.dtype))))

    @staticmethod
    def scalar(ctx, x):
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * out * (1.0 - out),)


@register(activation=True)
class ReLU(Op):
    name = "relu"
    derivative = "x: grad where x > 0, else 0   (0 at 0, as PyTorch)"

    @staticmethod
    def forward(ctx, x):
        return np.maximum(x, 0)

    @staticmethod
    def scalar(ctx, x):
        return x if x > 0.0 else 0.0

    @staticmethod
    def backward(ctx, grad, out, x):
        return (where(data(x) > 0, grad, 0.0),)  # selected, not grad * (x > 0): a nan above x <= 0 stays out


@register(activation=True)
class LeakyReLU(Op):
    name = "leaky_relu"
    derivative = "x: grad * (1 if x > 0 else slope)"

    @staticmethod
    def forward(slope, x):
        return np.where(x > 0, x, x * np.asarray(slope, x.dtype))

    @staticmethod
    def scalar(slope, x):
        return x if x > 0.0 else slope * x

    @staticmethod
    def backward(slope, grad, out, x):
        above = mask(data(x) > 0, grad)
        return (grad * (above + (1.0 - above) * slope),)


@register(activation=True)
class SELU(Op):
    name = "selu"
    derivative = "x: grad * scale  (x > 0);  grad * scale * alpha * e^x  (x <= 0)"

    @staticmethod
    def forward(ctx, x):
        scale = np.asarray(SELU_SCALE, x.dtype)
        return scale * np.where(x > 0, x, np.asarray(SELU_ALPHA, x.dtype) * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def scalar(ctx, x):
        return SELU_SCALE * x if x > 0.0 else SELU_SCALE * SELU_ALPHA * math.expm1(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        # scale * alpha * e^x directly: written as selu(x) + scale * alpha it cancels for x << 0
        positive = data(x) > 0
        above = mask(positive, grad)
        below = exp(where(positive, 0.0, x))  # e^x below 0, e^0 (unused) above: no overflow, no inf * 0 at +inf
        return (grad * (above * SELU_SCALE + (1.0 - above) * (SELU_SCALE * SELU_ALPHA) * below),)


@register
class Step(Op):
    name = "step"
    derivative = "x: 0   (flat on both sides of 0: no gradient flows through a step)"

    @staticmethod
    def forward(ctx, x):
        return (x > 0).astype(x.dtype)

    @staticmethod
    def scalar(ctx, x):
        return 1.0 if x > 0.0 else 0.0

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * 0.0,)


class Clip(Op):
    name = "clip"
    derivative = "x: grad where low <= x <= high, else 0"

    @staticmethod
    def forward(limits, x):
        return np.clip(x, *limits).astype(x.dtype, copy=False)

    @staticmethod
    def backward(limits, grad, out, x):
        low, high = limits
        xv = data(x)
        inside = np.ones(xv.shape, dtype=bool)
        if low is not None:
            inside &= xv >= low
        if high is not None:
            inside &= xv <= high
        return (masked(grad, inside),)


class Cast(Op):
    name = "astype"
    derivative = "x: grad, in x's dtype"

    @staticmethod
    def forward(dtype, x):
        return x.astype(dtype)

    @staticmethod
    def backward(dtype, grad, out, x):
        return (grad.astype(data(x).dtype),)
