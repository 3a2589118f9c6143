"""Functions of one input (exp, log, tanh, sigmoid, relu, ...): forward and derivative side by side.

`forward` runs on numpy arrays (Tensor), `scalar` on a float (Value, with domain errors
named); each derivative is one formula for both, and for the recorded backward pass of
`create_graph=True`, where `x`, `out` and `grad` are nodes.
"""
from __future__ import annotations

import math

import numpy as np

from ..graph import Op
from .arithmetic import DomainError
from .maths import data, exp, mask, sign

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


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


class Sigmoid(Op):
    name = "sigmoid"
    derivative = "x: grad * out * (1 - out)"

    @staticmethod
    def forward(ctx, x):
        # e^(-|x|) never overflows; pick 1/(1+e^-x) or e^x/(1+e^x) by sign.
        e = np.exp(-np.abs(x))
        s = np.asarray(1 / (1 + e))  # a 0-d input gives a numpy scalar, which copyto cannot write into
        np.copyto(s, e * s, where=x < 0)
        return s

    @staticmethod
    def scalar(ctx, x):
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * out * (1.0 - out),)


class ReLU(Op):
    name = "relu"
    derivative = "x: grad * [x > 0]   (0 at 0, as PyTorch)"

    @staticmethod
    def forward(ctx, x):
        return np.maximum(x, 0)

    @staticmethod
    def scalar(ctx, x):
        return x if x > 0.0 else 0.0

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * mask(data(out) > 0, grad),)


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
        above = mask(data(x) > 0, grad)
        below = exp(x * (1.0 - above))  # e^x below 0, and e^0 = 1 (unused) above, so it cannot overflow
        return (grad * (above * SELU_SCALE + (1.0 - above) * (SELU_SCALE * SELU_ALPHA) * below),)


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
    derivative = "x: grad * [low <= x <= high]"

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
        return (grad * mask(inside, grad),)


class Cast(Op):
    name = "astype"
    derivative = "x: grad, in x's dtype"

    @staticmethod
    def forward(dtype, x):
        return x.astype(dtype)

    @staticmethod
    def backward(dtype, grad, out, x):
        return (grad.astype(data(x).dtype),)
