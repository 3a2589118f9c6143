"""Softmax and log-softmax along an axis, each fused with its hand-derived gradient.

Written as one op rather than exp / sum / divide so that the max can be subtracted first:
exp(1000) overflows, exp(1000 - 1002) does not, and the result is the same.
"""
from __future__ import annotations

import numpy as np

from .graph import Op


def check_axis(t, axis: int, op: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if t.ndim == 0 or not -t.ndim <= axis < t.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {t.shape}")
    return int(axis)


class Softmax(Op):
    name = "softmax"

    @staticmethod
    def forward(axis, a):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    @staticmethod
    def backward(out, g):
        # ds_i/dx_j = s_i (delta_ij - s_j), so the gradient is s * (g - sum(g * s))
        s = out.data
        return (s * (g - (g * s).sum(axis=out.ctx, keepdims=True)),)


class LogSoftmax(Op):
    name = "log_softmax"

    @staticmethod
    def forward(axis, a):
        shifted = a - a.max(axis=axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    @staticmethod
    def backward(out, g):
        # d log s_i / dx_j = delta_ij - s_j, so the gradient is g - softmax * sum(g)
        return (g - np.exp(out.data) * g.sum(axis=out.ctx, keepdims=True),)
