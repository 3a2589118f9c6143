"""Matrix product with numpy's rules (1-D, 2-D, batched), forward and derivative together.

For C = A @ B the chain rule gives dA = dC @ B^T and dB = A^T @ dC. A 1-D operand is a
row (on the left) or a column (on the right) that numpy drops from the result; the
derivative puts that axis back, and batch axes that were broadcast are summed away.
"""
from __future__ import annotations

import numpy as np

from .elementwise import unbroadcast
from .graph import Op


def check(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape} "
                         "(use * for a scalar)")
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align: {a.shape[-1]} != {inner_b}")


class MatMul(Op):
    name = "@"

    @staticmethod
    def forward(ctx, a, b):
        check(a, b)
        return a @ b

    @staticmethod
    def backward(out, g):
        A, B = out.parents
        a = A.data[None, :] if A.ndim == 1 else A.data  # row vector
        b = B.data[:, None] if B.ndim == 1 else B.data  # column vector
        # Column axis first, then row axis: for 1-D @ 1-D the gradient is 0-d and becomes (1, 1).
        if B.ndim == 1:
            g = np.expand_dims(g, -1)
        if A.ndim == 1:
            g = np.expand_dims(g, -2)
        da = db = None
        if A.requires_grad:  # dA = dC B^T
            da = unbroadcast(g @ np.swapaxes(b, -1, -2), a.shape)
            da = da if da.shape == A.shape else da.reshape(A.shape)
        if B.requires_grad:  # dB = A^T dC
            db = unbroadcast(np.swapaxes(a, -1, -2) @ g, b.shape)
            db = db if db.shape == B.shape else db.reshape(B.shape)
        return da, db
