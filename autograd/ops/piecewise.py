"""Ops made of pieces: sign, floor, ceil, round, maximum, minimum.

sign, floor, ceil and round are flat pieces, so no gradient flows through them (as in
PyTorch); maximum and minimum pick one input per entry, and a tie splits the gradient half
and half (as PyTorch does).
"""
from __future__ import annotations

import numpy as np

from ..graph import Op
from .registry import register
from .maths import data, mask


@register
class Sign(Op):
    name = "sign"
    derivative = "x: 0   (flat on each side of 0)"

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * 0.0,)


@register
class Floor(Sign):
    name = "floor"
    derivative = "x: 0   (a staircase: flat between the integers)"

    @staticmethod
    def forward(ctx, x):
        return np.floor(x)


@register
class Ceil(Sign):
    name = "ceil"
    derivative = "x: 0   (a staircase: flat between the integers)"

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x)


@register
class Round(Sign):
    name = "round"
    derivative = "x: 0   (a staircase; halves go to the even neighbour, as numpy and PyTorch)"

    @staticmethod
    def forward(decimals, x):
        return np.round(x, decimals)


class Maximum(Op):
    name = "maximum"
    derivative = "a: grad * ([a > b] + [a = b] / 2);  b: grad * ([b > a] + [a = b] / 2)"
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad, out, a, b):
        av, bv = data(a), data(b)
        tie = mask(av == bv, grad) * 0.5
        return grad * (mask(av > bv, grad) + tie), grad * (mask(bv > av, grad) + tie)


class Minimum(Op):
    name = "minimum"
    derivative = "a: grad * ([a < b] + [a = b] / 2);  b: grad * ([b < a] + [a = b] / 2)"
    broadcasts = True

    @staticmethod
    def forward(ctx, a, b):
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad, out, a, b):
        av, bv = data(a), data(b)
        tie = mask(av == bv, grad) * 0.5
        return grad * (mask(av < bv, grad) + tie), grad * (mask(bv < av, grad) + tie)
