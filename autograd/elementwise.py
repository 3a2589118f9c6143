"""Elementwise ops on Tensors: forward on numpy arrays and, beside it, the local derivative.

Each `forward(ctx, *arrays)` computes the result; `backward(out, g)` returns one gradient
per operand. When numpy broadcast an operand (a bias of shape (3,) added to a batch of
shape (64, 3)), every copy sent gradient back, so `unbroadcast` sums those copies into the
operand's own shape.
"""
from __future__ import annotations

import numpy as np

from .graph import Op
from .scalar_ops import SELU_ALPHA, SELU_SCALE


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient over the axes that broadcasting added or stretched, back to `shape`."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    return g  # a fresh array of `shape`, not a view (leaves may keep it without a copy)


class Add(Op):
    name = "+"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(out, g):
        a, b = out.parents
        return unbroadcast(g, a.shape), unbroadcast(g, b.shape)  # d(a+b)/da = d(a+b)/db = 1


class Sub(Op):
    name = "-"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(out, g):
        a, b = out.parents
        return unbroadcast(g, a.shape), unbroadcast(-g, b.shape) if b.requires_grad else None


class Mul(Op):
    name = "*"

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(out, g):
        a, b = out.parents  # d(ab)/da = b, d(ab)/db = a
        return (unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
                unbroadcast(g * a.data, b.shape) if b.requires_grad else None)


class Div(Op):
    name = "/"

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(out, g):
        a, b = out.parents  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
        return (unbroadcast(g / b.data, a.shape) if a.requires_grad else None,
                unbroadcast(-g * out.data / b.data, b.shape) if b.requires_grad else None)


class Pow(Op):
    name = "**"

    @staticmethod
    def forward(ctx, a, b):
        return a ** b

    @staticmethod
    def backward(out, g):
        a, b = out.parents
        da = db = None
        if a.requires_grad:  # d(a^b)/da = b a^(b-1)
            da = unbroadcast(g * b.data * a.data ** (b.data - 1), a.shape)
        if b.requires_grad:  # d(a^b)/db = a^b ln(a); 0 where a = 0, as PyTorch
            with np.errstate(divide="ignore", invalid="ignore"):
                ln_a = np.where(a.data == 0, 0, np.log(a.data))  # nan for a < 0; the 0 keeps a's dtype
            db = unbroadcast(g * out.data * ln_a, b.shape)
        return da, db


class Neg(Op):
    name = "neg"

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(out, g):
        return (-g,)  # d(-x)/dx = -1


class Exp(Op):
    name = "exp"

    @staticmethod
    def forward(ctx, a):
        return np.exp(a)

    @staticmethod
    def backward(out, g):
        return (g * out.data,)  # d(e^x)/dx = e^x


class Log(Op):
    name = "log"

    @staticmethod
    def forward(ctx, a):
        return np.log(a)

    @staticmethod
    def backward(out, g):
        return (g / out.parents[0].data,)  # d(ln x)/dx = 1/x


class Sqrt(Op):
    name = "sqrt"

    @staticmethod
    def forward(ctx, a):
        return np.sqrt(a)

    @staticmethod
    def backward(out, g):
        return (g / (2 * out.data),)  # d(sqrt x)/dx = 1 / (2 sqrt x)


class Abs(Op):
    name = "abs"

    @staticmethod
    def forward(ctx, a):
        return np.abs(a)

    @staticmethod
    def backward(out, g):
        return (g * np.sign(out.parents[0].data),)  # d|x|/dx = sign(x), 0 at 0


class Tanh(Op):
    name = "tanh"

    @staticmethod
    def forward(ctx, a):
        return np.tanh(a)

    @staticmethod
    def backward(out, g):
        return (g * (1 - out.data * out.data),)  # d(tanh x)/dx = 1 - tanh(x)^2


class Sigmoid(Op):
    name = "sigmoid"

    @staticmethod
    def forward(ctx, a):
        # e^(-|x|) never overflows; pick 1/(1+e^-x) or e^x/(1+e^x) by sign.
        e = np.exp(-np.abs(a))
        s = np.asarray(1 / (1 + e))  # a 0-d input gives a numpy scalar, which copyto cannot write into
        np.copyto(s, e * s, where=a < 0)
        return s

    @staticmethod
    def backward(out, g):
        s = out.data
        return (g * s * (1 - s),)  # d(sigma x)/dx = sigma(x) (1 - sigma(x))


class ReLU(Op):
    name = "relu"

    @staticmethod
    def forward(ctx, a):
        return np.maximum(a, 0)

    @staticmethod
    def backward(out, g):
        return (g * (out.data > 0),)  # 1 where x > 0, else 0 (0 at 0, like PyTorch)


class LeakyReLU(Op):
    name = "leaky_relu"

    @staticmethod
    def forward(slope, a):
        return np.where(a > 0, a, a * np.asarray(slope, a.dtype))

    @staticmethod
    def backward(out, g):
        x = out.parents[0].data
        return (np.where(x > 0, g, g * np.asarray(out.ctx, g.dtype)),)  # 1 where x > 0, else the slope


class SELU(Op):
    name = "selu"

    @staticmethod
    def forward(ctx, a):
        scale = np.asarray(SELU_SCALE, a.dtype)
        return scale * np.where(a > 0, a, np.asarray(SELU_ALPHA, a.dtype) * np.expm1(np.minimum(a, 0)))

    @staticmethod
    def backward(out, g):
        # scale for x > 0, else scale * alpha * e^x = selu(x) + scale * alpha
        x = out.parents[0].data
        scale = np.asarray(SELU_SCALE, g.dtype)
        return (g * np.where(x > 0, scale, out.data + scale * np.asarray(SELU_ALPHA, g.dtype)),)


class Step(Op):
    name = "step"

    @staticmethod
    def forward(ctx, a):
        return (a > 0).astype(a.dtype)

    @staticmethod
    def backward(out, g):
        return (np.zeros_like(g),)  # flat on both sides of 0: no gradient flows through a step


class Clip(Op):
    name = "clip"

    @staticmethod
    def forward(limits, a):
        return np.clip(a, *limits).astype(a.dtype, copy=False)

    @staticmethod
    def backward(out, g):
        low, high = out.ctx
        x = out.parents[0].data
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        return (g * inside,)  # 1 inside the limits, 0 where the value was clipped


class Cast(Op):
    name = "astype"

    @staticmethod
    def forward(dtype, a):
        return a.astype(dtype)

    @staticmethod
    def backward(out, g):
        return (g.astype(out.parents[0].dtype),)  # identity, in the operand's dtype
