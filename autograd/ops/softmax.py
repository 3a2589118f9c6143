"""Softmax and log-softmax along an axis, each fused with its hand-derived gradient.

Written as one op rather than exp / sum / divide so that the max can be subtracted first:
exp(1000) overflows, exp(1000 - 1002) does not, and the result is the same.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Op
from .maths import exp
from .shape import out_of_range
from ..checks import is_int


def check_axis(t: Any, axis: Any, op: str) -> int:
    """`axis` as an int, with IndexError for one the tensor lacks (a 0-d tensor takes 0 or -1, as PyTorch)."""
    if not is_int(axis):
        raise TypeError(f"{op}: dim must be an int, got {axis!r}")
    n = max(t.ndim, 1)
    if not -n <= axis < n:
        raise IndexError(out_of_range(op, axis, t.shape, n))
    return int(axis)


class Softmax(Op):
    name = "softmax"
    derivative = "x: out * (grad - sum(grad * out, dim))   (ds_i/dx_j = s_i (delta_ij - s_j))"

    @staticmethod
    def forward(axis, x):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    @staticmethod
    def backward(axis, grad, out, x):
        return (out * (grad - (grad * out).sum(axis=axis, keepdims=True)),)


class LogSoftmax(Op):
    name = "log_softmax"
    derivative = "x: grad - exp(out) * sum(grad, dim)   (d log s_i/dx_j = delta_ij - s_j)"

    @staticmethod
    def forward(axis, x):
        shifted = x - x.max(axis=axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    @staticmethod
    def backward(axis, grad, out, x):
        return (grad - exp(out) * grad.sum(axis=axis, keepdims=True),)
