"""Matrix product with numpy's rules (1-D, 2-D, batched), forward and derivative together.

For C = A @ B the chain rule gives dA = dC @ B^T and dB = A^T @ dC. A 1-D operand is a
row (on the left) or a column (on the right) that numpy drops from the result; the
derivative puts that axis back, and batch axes that were broadcast are summed away.
"""
from __future__ import annotations

import numpy as np

from ..graph import Op
from .maths import data, sum_to


def check(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape} "
                         "(use * for a scalar)")
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align: {a.shape[-1]} != {inner_b}")


class MatMul(Op):
    name = "@"
    derivative = "a: grad @ b^T;  b: a^T @ grad   (batch axes summed)"
    # ctx: which operands need a gradient, (bool, bool): a product costs as much as the forward,
    # so the one for an input batch that needs none is skipped.

    @staticmethod
    def forward(ctx, a, b):
        check(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad, out, a, b):
        a_shape, b_shape = data(a).shape, data(b).shape
        a2 = a.reshape((1,) + a_shape) if len(a_shape) == 1 else a  # a row vector
        b2 = b.reshape(b_shape + (1,)) if len(b_shape) == 1 else b  # a column vector
        g = grad
        # Column axis first, then row axis: for 1-D @ 1-D the gradient is 0-d and becomes (1, 1).
        if len(b_shape) == 1:
            g = g.reshape(data(g).shape + (1,))
        if len(a_shape) == 1:
            gs = data(g).shape
            g = g.reshape(gs[:-1] + (1,) + gs[-1:])
        need_a, need_b = ctx
        da = _shaped(sum_to(g @ b2.swapaxes(-1, -2), data(a2).shape), a_shape) if need_a else None
        db = _shaped(sum_to(a2.swapaxes(-1, -2) @ g, data(b2).shape), b_shape) if need_b else None
        return da, db


def _shaped(g, shape: tuple):
    """`g` in `shape`, reshaped only when it differs: a reshape is a view, which a leaf must copy
    before keeping (a 784 x 128 weight's gradient copied every step cost a tenth of the step)."""
    return g if data(g).shape == shape else g.reshape(shape)
