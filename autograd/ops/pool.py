"""Pooling on numpy arrays (N, C, H, W): max, average and adaptive average, forward and gradient.

Max and average pooling read the same patches as a convolution (`conv.windows`, a view) and
reduce each one:

    max:  out[n, c, i, j] = max over the patch;  the gradient goes to the entry that won
          (the first one, in reading order, when several tie, as PyTorch's CPU kernel)
    avg:  out[n, c, i, j] = sum over the patch / kH kW;  every entry gets grad / kH kW
          (with count_include_pad=False the divisor counts only entries inside the image)

Adaptive average pooling splits H into `out_h` bins [floor(i H / out_h), ceil((i + 1) H / out_h))
(PyTorch's rule), and the same for W. A mean over a rectangle is a mean over its rows of
means over its columns, so the whole op is two small averaging matrices, out = A_h x A_w^T,
and its gradient is A_h^T grad A_w.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..graph import Op
from .conv import Pair, col2im, offsets, pad2d, unpad2d, windows


def pool2d_shape(op: str, x_shape: tuple, kernel: Pair, stride: Pair, padding: Pair,
                 dilation: Pair = (1, 1)) -> tuple:
    """The output shape (N, C, Ho, Wo) of a pooling, or a ValueError naming `op` and the shapes."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x_shape}")
    size = []
    for name, length, k, s, p, d in zip(("height", "width"), x_shape[2:], kernel, stride, padding, dilation):
        reach = d * (k - 1) + 1
        if p > k // 2:
            raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k} ({k // 2})")
        if length + 2 * p < reach:
            raise ValueError(f"{op}: kernel {name} {k} (dilated to {reach}) is larger than the padded input "
                             f"{name} {length} + 2*{p} = {length + 2 * p} (input shape {x_shape})")
        size.append((length + 2 * p - reach) // s + 1)
    return (x_shape[0], x_shape[1], size[0], size[1])


# ---- max pooling ---------------------------------------------------------------------------------
# Both directions walk the kH * kW kernel offsets, each one strided slice of the padded input
# holding that offset's entry of every patch: the running maximum over the slices is the
# output, and in backward the first slice (in reading order) equal to the output wins.

def _slices(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> list:
    return [(rows, cols) for _, (rows, cols) in offsets(kernel, stride, dilation, out_hw)]


def max_pool2d(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair = (0, 0),
               dilation: Pair = (1, 1)) -> np.ndarray:
    """The largest entry of every (kH, kW) patch; padding is -inf, so it never wins."""
    _, _, ho, wo = pool2d_shape("max_pool2d", x.shape, kernel, stride, padding, dilation)
    x_pad = pad2d(x, padding, -np.inf)
    out = None
    for rows, cols in _slices(kernel, stride, dilation, (ho, wo)):
        out = x_pad[:, :, rows, cols].copy() if out is None else np.maximum(out, x_pad[:, :, rows, cols], out=out)
    return out


def max_pool2d_backward(grad: np.ndarray, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair = (0, 0),
                        dilation: Pair = (1, 1), out: Optional[np.ndarray] = None) -> np.ndarray:
    """dL/dx of `max_pool2d`: each output's gradient goes to the entry its patch's max came from
    (the first such entry, as PyTorch's CPU kernel); overlapping patches sharing a winner add up.
    `out` is the forward result (computed again when not given)."""
    if out is None:
        out = max_pool2d(x, kernel, stride, padding, dilation)
    x_pad = pad2d(x, padding, -np.inf)
    dx = np.zeros(x_pad.shape, dtype=x.dtype)
    taken = np.zeros(out.shape, dtype=bool)
    for rows, cols in _slices(kernel, stride, dilation, out.shape[2:]):
        wins = x_pad[:, :, rows, cols] == out
        wins &= ~taken
        taken |= wins
        dx[:, :, rows, cols] += grad * wins
    return unpad2d(dx, padding)


# ---- average pooling -----------------------------------------------------------------------------

def _divisor(x_shape: tuple, kernel: Pair, stride: Pair, padding: Pair, count_include_pad: bool,
             dtype: np.dtype):
    """What each patch's sum is divided by: kH kW, or the number of its entries inside the image."""
    if count_include_pad or padding == (0, 0):
        return kernel[0] * kernel[1]
    ones = pad2d(np.ones((1, 1) + tuple(x_shape[2:]), dtype=dtype), padding)
    return windows(ones, kernel, stride, (1, 1)).sum(axis=(4, 5))  # (1, 1, Ho, Wo)


def avg_pool2d(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair = (0, 0),
               count_include_pad: bool = True) -> np.ndarray:
    """The mean of every (kH, kW) patch (zeros of the padding included unless count_include_pad=False)."""
    pool2d_shape("avg_pool2d", x.shape, kernel, stride, padding)
    total = windows(pad2d(x, padding), kernel, stride, (1, 1)).sum(axis=(4, 5))
    return total / np.asarray(_divisor(x.shape, kernel, stride, padding, count_include_pad, x.dtype), x.dtype)


def avg_pool2d_backward(grad: np.ndarray, x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair = (0, 0),
                        count_include_pad: bool = True) -> np.ndarray:
    """dL/dx of `avg_pool2d`: grad / divisor spread over every entry of the patch (col2im)."""
    share = grad / np.asarray(_divisor(x.shape, kernel, stride, padding, count_include_pad, x.dtype), x.dtype)
    patches = np.broadcast_to(share, tuple(kernel) + share.shape)
    padded = x.shape[:2] + (x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1])
    return unpad2d(col2im(patches, padded, stride, (1, 1)), padding)


# ---- adaptive average pooling --------------------------------------------------------------------

def bins(length: int, size: int, dtype: np.dtype = np.float64) -> np.ndarray:
    """The (size, length) averaging matrix: row i averages input entries floor(i L/size) .. ceil((i+1) L/size) - 1."""
    i = np.arange(size)
    start = (i * length) // size
    stop = -((-(i + 1) * length) // size)  # ceiling division
    j = np.arange(length)
    inside = (j >= start[:, None]) & (j < stop[:, None])
    return (inside / (stop - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(x: np.ndarray, output_size: Pair) -> np.ndarray:
    """Average pooling to a fixed (out_h, out_w), whatever H and W are: A_h @ x @ A_w^T."""
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    a_h, a_w = bins(x.shape[2], output_size[0], x.dtype), bins(x.shape[3], output_size[1], x.dtype)
    return a_h @ x @ a_w.T


def adaptive_avg_pool2d_backward(grad: np.ndarray, x_shape: tuple, output_size: Pair,
                                 dtype: Optional[np.dtype] = None) -> np.ndarray:
    """dL/dx of `adaptive_avg_pool2d`: A_h^T @ grad @ A_w."""
    dtype = grad.dtype if dtype is None else dtype
    a_h, a_w = bins(x_shape[2], output_size[0], dtype), bins(x_shape[3], output_size[1], dtype)
    return a_h.T @ grad @ a_w


# ---- the ops -------------------------------------------------------------------------------------

class MaxPool2d(Op):
    """Max pooling as one node; ctx: (kernel, stride, padding, dilation)."""

    name = "max_pool2d"
    derivative = "x: grad sent to the entry that won each patch (the first, on ties)"
    differentiable_backward = False

    @staticmethod
    def forward(ctx, x):
        return max_pool2d(x, *ctx)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (max_pool2d_backward(grad, x, *ctx, out=out),)


class AvgPool2d(Op):
    """Average pooling as one node; ctx: (kernel, stride, padding, count_include_pad)."""

    name = "avg_pool2d"
    derivative = "x: grad / (entries in the patch), spread over the patch"
    differentiable_backward = False

    @staticmethod
    def forward(ctx, x):
        return avg_pool2d(x, *ctx)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (avg_pool2d_backward(grad, x, *ctx),)


class AdaptiveAvgPool2d(Op):
    """Average pooling to a fixed output size as one node; ctx: (out_h, out_w)."""

    name = "adaptive_avg_pool2d"
    derivative = "x: A_h^T @ grad @ A_w"
    differentiable_backward = False

    @staticmethod
    def forward(ctx, x):
        return adaptive_avg_pool2d(x, ctx)

    @staticmethod
    def backward(ctx, grad, out, x):
        return (adaptive_avg_pool2d_backward(grad, x.shape, ctx, x.dtype),)
