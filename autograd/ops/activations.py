"""Activations of modern networks: GELU, ELU, CELU, SiLU, Mish, Softplus, Softsign, hard ones.

PyTorch's names and defaults. relu, leaky_relu, selu, tanh and sigmoid are in functions.py.

Each derivative is written with operators, `mask` (a constant 0/1 array), `where` and the helpers
of maths.py, so it also runs on nodes and the backward pass can be differentiated again. At the
kinks of the piecewise ones the derivative is PyTorch's choice, named in the `derivative` line.
"""
from __future__ import annotations

import math

import numpy as np

from ..graph import Op
from .maths import call, data, erf, exp, mask, sigmoid, sign, tanh, where
from .registry import register

SQRT_HALF = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_C = 0.044715


@register(activation=True)
class GELU(Op):
    name = "gelu"
    derivative = "x: grad * (Phi(x) + x phi(x))   (Phi, phi: the normal CDF and density)"

    @staticmethod
    def forward(approximate, x):
        if approximate == "tanh":
            return 0.5 * x * (1.0 + np.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)))
        return 0.5 * x * (1.0 + erf(x * SQRT_HALF))

    @staticmethod
    def backward(approximate, grad, out, x):
        if approximate == "tanh":  # out = x (1 + t) / 2 with t = tanh(u), u = sqrt(2/pi) (x + c x^3)
            t = tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x))
            du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * x * x)
            return (grad * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du),)
        cdf = 0.5 * (1.0 + erf(x * SQRT_HALF))
        return (grad * (cdf + x * exp(-0.5 * x * x) * INV_SQRT_2PI),)


@register(activation=True)
class ELU(Op):
    name = "elu"
    derivative = "x: grad (x > 0);  grad * alpha * e^x (x <= 0)"

    @staticmethod
    def forward(alpha, x):
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def backward(alpha, grad, out, x):
        positive = data(x) > 0
        above = mask(positive, grad)
        below = exp(where(positive, 0.0, x))  # e^x below 0, e^0 (unused) above: no overflow, no inf * 0 at +inf
        return (grad * (above + (1.0 - above) * alpha * below),)


@register(activation=True)
class CELU(Op):
    name = "celu"
    derivative = "x: grad (x > 0);  grad * e^(x / alpha) (x <= 0)"

    @staticmethod
    def forward(alpha, x):
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))

    @staticmethod
    def backward(alpha, grad, out, x):
        positive = data(x) > 0
        above = mask(positive, grad)
        below = exp(where(positive, 0.0, x) / alpha)  # as ELU's: e^0 (unused) above, so +inf gives no nan
        return (grad * (above + (1.0 - above) * below),)


@register(activation=True)
class SiLU(Op):
    name = "silu"
    derivative = "x: grad * s (1 + x (1 - s))   (s = sigmoid(x); out = x s)"

    @staticmethod
    def forward(ctx, x):
        return x * sigmoid(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        s = sigmoid(x)
        return (grad * s * (1.0 + x * (1.0 - s)),)


@register(activation=True)
class Softplus(Op):
    name = "softplus"
    derivative = "x: grad * sigmoid(beta x);  grad where beta x > threshold (there out = x)"

    @staticmethod
    def forward(ctx, x):
        beta, threshold = ctx
        bx = x * beta
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta)

    @staticmethod
    def backward(ctx, grad, out, x):
        beta, threshold = ctx
        linear = mask(data(x) * beta > threshold, grad)
        return (grad * (linear + (1.0 - linear) * sigmoid(x * beta)),)


@register(activation=True)
class Mish(Op):
    name = "mish"
    derivative = "x: grad * (t + x (1 - t^2) sigmoid(x))   (t = tanh(softplus(x)); out = x t)"

    @staticmethod
    def forward(ctx, x):
        return x * np.tanh(np.logaddexp(0, x))

    @staticmethod
    def backward(ctx, grad, out, x):
        t = tanh(call(Softplus, (1.0, 20.0), x))
        return (grad * (t + x * (1.0 - t * t) * sigmoid(x)),)


@register(activation=True)
class Softsign(Op):
    name = "softsign"
    derivative = "x: grad / (1 + |x|)^2"

    @staticmethod
    def forward(ctx, x):
        return x / (1.0 + np.abs(x))

    @staticmethod
    def backward(ctx, grad, out, x):
        d = 1.0 + x * sign(x)  # |x| as x * sign(x), so it stays a node when the pass is recorded
        return (grad / (d * d),)


@register(activation=True)
class Hardtanh(Op):
    name = "hardtanh"
    derivative = "x: grad where min_val < x < max_val, else 0   (relu6 is hardtanh(x, 0, 6))"

    @staticmethod
    def label(out) -> str:
        return "relu6" if out.ctx == (0.0, 6.0) else ""

    @staticmethod
    def forward(limits, x):
        return np.clip(x, *limits).astype(x.dtype, copy=False)

    @staticmethod
    def backward(limits, grad, out, x):
        low, high = limits
        xv = data(x)
        return (where((xv > low) & (xv < high), grad, 0.0),)


@register(activation=True)
class Hardsigmoid(Op):
    name = "hardsigmoid"
    derivative = "x: grad / 6 where -3 < x < 3, else 0   (out = relu6(x + 3) / 6)"

    @staticmethod
    def forward(ctx, x):
        return np.clip(x / 6.0 + 0.5, 0.0, 1.0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad, out, x):
        xv = data(x)
        return (grad * mask((xv > -3.0) & (xv < 3.0), grad) / 6.0,)


@register(activation=True)
class Hardswish(Op):
    name = "hardswish"
    derivative = "x: 0 (x <= -3);  grad * (x/3 + 1/2) (-3 < x < 3);  grad (x >= 3)   (out = x relu6(x + 3) / 6)"

    @staticmethod
    def forward(ctx, x):
        return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad, out, x):
        xv = data(x)
        # the middle slope selected, not multiplied by a 0/1 mask: at x = +-inf it is inf, and inf * 0 is nan
        middle = where((xv > -3.0) & (xv < 3.0), x / 3.0 + 0.5, 0.0)
        return (grad * (middle + mask(xv >= 3.0, grad)),)
