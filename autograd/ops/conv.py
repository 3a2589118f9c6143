"""Convolutions on numpy arrays: conv2d, conv1d and conv_transpose2d, forward and every gradient.

Layouts are PyTorch's: input (N, C, H, W), weight (out_channels, in_channels / groups, kH, kW)
for a convolution and (in_channels, out_channels / groups, kH, kW) for a transposed one.
`stride`, `padding` and `dilation` are pairs of ints (checked by `conv2d_shape`).

How: im2col. `windows` is a strided *view* of the padded input, one (kH, kW) patch per output
pixel, made by `sliding_window_view` without copying. Reshaped to a matrix of patches
("columns") the convolution is one matrix product per group:

    out[n, o, i, j] = sum_{c, p, q} w[o, c, p, q] * x_pad[n, c, i*s + p*d, j*s + q*d] + b[o]

and its derivatives are two more products and col2im (the adjoint of im2col):

    dW = dOut @ columns^T          (each weight meets every patch it touched)
    dX = col2im(W^T @ dOut)        (each patch's gradient added back where the patch came from)
    db = dOut summed over n, i, j

col2im loops over the kH * kW kernel offsets (9 for a 3x3 kernel), never over pixels: each
offset adds one strided slice of the gradient into the input's gradient. A transposed
convolution is the input gradient of a convolution used as a forward pass, so its forward is
`conv2d_grad_input` and its gradients are a convolution and `conv2d_grad_weight`.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..graph import Op

Pair = tuple  # (int, int)


# ---- shapes --------------------------------------------------------------------------------------

def conv2d_shape(op: str, x_shape: tuple, w_shape: tuple, stride: Pair, padding: Pair, dilation: Pair,
                 groups: int) -> tuple:
    """The output shape (N, O, Ho, Wo) of a convolution, or a ValueError naming `op` and the shapes.

    Ho = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1, as PyTorch.
    """
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), got {w_shape}")
    n, c, h, w = x_shape
    o, cg, kh, kw = w_shape
    if c % groups or o % groups:
        raise ValueError(f"{op}: groups={groups} must divide in_channels {c} and out_channels {o}")
    if c // groups != cg:
        raise ValueError(f"{op}: input of shape {x_shape} has {c} channels, but the weight {w_shape} expects "
                         f"{cg * groups} (in_channels/groups={cg}, groups={groups})")
    size = []
    for name, length, k, s, p, d in (("height", h, kh, stride[0], padding[0], dilation[0]),
                                     ("width", w, kw, stride[1], padding[1], dilation[1])):
        reach = d * (k - 1) + 1
        if length + 2 * p < reach:
            raise ValueError(f"{op}: kernel {name} {k} (dilated to {reach}) is larger than the padded input "
                             f"{name} {length} + 2*{p} = {length + 2 * p} (input shape {x_shape})")
        size.append((length + 2 * p - reach) // s + 1)
    return (n, o, size[0], size[1])


def conv_transpose2d_shape(op: str, x_shape: tuple, w_shape: tuple, stride: Pair, padding: Pair,
                           output_padding: Pair, dilation: Pair, groups: int) -> tuple:
    """The output shape of a transposed convolution: H_out = (H - 1) * s - 2p + d (k - 1) + output_padding + 1."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x_shape}")
    if len(w_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight (in_channels, out_channels/groups, kH, kW), got {w_shape}")
    n, c, h, w = x_shape
    if c != w_shape[0]:
        raise ValueError(f"{op}: input of shape {x_shape} has {c} channels, but the weight {w_shape} expects "
                         f"{w_shape[0]}")
    if c % groups:
        raise ValueError(f"{op}: groups={groups} must divide in_channels {c}")
    for k in (0, 1):
        if not output_padding[k] < max(stride[k], dilation[k]):
            raise ValueError(f"{op}: output_padding {output_padding} must be smaller than stride {stride} "
                             f"or dilation {dilation}")
    size = [(length - 1) * s - 2 * p + d * (k - 1) + op_ + 1 for length, s, p, d, k, op_ in
            zip((h, w), stride, padding, dilation, w_shape[2:], output_padding)]
    if min(size) < 1:
        raise ValueError(f"{op}: input of shape {x_shape} gives an empty output {tuple(size)}; "
                         f"padding {padding} is too large")
    return (n, w_shape[1] * groups, size[0], size[1])


# ---- im2col and col2im ---------------------------------------------------------------------------

def windows(x_pad: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """Every (kH, kW) patch of a padded (N, C, Hp, Wp) array, as a view (N, C, Ho, Wo, kH, kW).

    `sliding_window_view` gives the dilated patches at every position; slicing keeps every
    stride-th position and every dilation-th kernel entry. Nothing is copied.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    view = sliding_window_view(x_pad, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def pad2d(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """Zero (or `value`) padding of the last two axes; the array itself when there is none."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def unpad2d(x_pad: np.ndarray, padding: Pair) -> np.ndarray:
    ph, pw = padding
    return x_pad[:, :, ph:x_pad.shape[2] - ph, pw:x_pad.shape[3] - pw]


def offsets(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> list:
    """[((p, q), (row slice, column slice))]: for each kernel offset, the input entries it meets
    at every output position, as one strided slice of the padded input."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    return [((p, q), (slice(p * dh, p * dh + sh * (ho - 1) + 1, sh), slice(q * dw, q * dw + sw * (wo - 1) + 1, sw)))
            for p in range(kh) for q in range(kw)]


def col2im(patches: np.ndarray, padded_shape: tuple, stride: Pair, dilation: Pair) -> np.ndarray:
    """The adjoint of im2col: add each patch entry back to where it was read.

    `patches` is (kH, kW, A, B, Ho, Wo) for a padded (A, B, Hp, Wp) array: one strided slice per
    kernel offset (p, q), never a loop over pixels; overlapping patches add up.
    """
    kh, kw = patches.shape[:2]
    out = np.zeros(padded_shape, dtype=patches.dtype)
    for (p, q), (rows, cols) in offsets((kh, kw), stride, dilation, patches.shape[-2:]):
        out[:, :, rows, cols] += patches[p, q]
    return out


def _columns(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """im2col: the patches as one matrix per group, (G, C/G * kH * kW, N * Ho * Wo) (this is the copy).

    Channels and kernel offsets go down the rows and pixels along the columns, so the copy's
    innermost run is a row of output pixels rather than a 3-entry kernel row: three times
    faster to gather on small images.
    """
    win = windows(pad2d(x, padding).transpose(1, 0, 2, 3), kernel, stride, dilation)  # (C, N, Ho, Wo, kH, kW)
    c, n, ho, wo, kh, kw = win.shape
    return win.transpose(0, 4, 5, 1, 2, 3).reshape(groups, (c // groups) * kh * kw, n * ho * wo)


def _grad_by_group(grad: np.ndarray, groups: int) -> np.ndarray:
    """dOut (N, O, Ho, Wo) as (G, O/G, N * Ho * Wo), matching the columns of `_columns`."""
    n, o, ho, wo = grad.shape
    return grad.transpose(1, 0, 2, 3).reshape(groups, o // groups, n * ho * wo)


# ---- conv2d --------------------------------------------------------------------------------------

def conv2d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Pair = (1, 1),
           padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> np.ndarray:
    """Cross-correlation of x (N, C, H, W) with w (O, C/G, kH, kW), plus b (O,): (N, O, Ho, Wo)."""
    n, o, ho, wo = conv2d_shape("conv2d", x.shape, w.shape, stride, padding, dilation, groups)
    cols = _columns(x, w.shape[2:], stride, padding, dilation, groups)
    out = np.matmul(w.reshape(groups, o // groups, -1), cols)  # (G, O/G, N*Ho*Wo)
    out = np.ascontiguousarray(out.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))
    if b is not None:
        out += b.reshape(1, o, 1, 1)
    return out


def conv2d_grad_input(grad: np.ndarray, w: np.ndarray, x_shape: tuple, stride: Pair = (1, 1),
                      padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> np.ndarray:
    """dL/dx of `conv2d` for the output gradient `grad`: col2im(W^T @ dOut)."""
    n, o, ho, wo = grad.shape
    c = x_shape[1]
    cg, kh, kw = w.shape[1:]
    wm = w.reshape(groups, o // groups, cg * kh * kw)
    dcols = np.matmul(wm.transpose(0, 2, 1), _grad_by_group(grad, groups))  # (G, C/G*kH*kW, N*Ho*Wo)
    patches = dcols.reshape(c, kh, kw, n, ho, wo).transpose(1, 2, 0, 3, 4, 5)  # (kH, kW, C, N, Ho, Wo)
    padded = (c, n, x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])
    return np.ascontiguousarray(unpad2d(col2im(patches, padded, stride, dilation), padding).transpose(1, 0, 2, 3))


def conv2d_grad_weight(grad: np.ndarray, x: np.ndarray, w_shape: tuple, stride: Pair = (1, 1),
                       padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> np.ndarray:
    """dL/dw of `conv2d`: each output channel's gradient times every patch it was computed from."""
    cols = _columns(x, w_shape[2:], stride, padding, dilation, groups)
    dw = np.matmul(_grad_by_group(grad, groups), cols.transpose(0, 2, 1))  # (G, O/G, C/G*kH*kW)
    return dw.reshape(w_shape)


def conv2d_grad_bias(grad: np.ndarray) -> np.ndarray:
    """dL/db: the bias of channel o was added to every output pixel of that channel."""
    return grad.sum(axis=(0, 2, 3))


def wanted(need: tuple, i: int) -> bool:
    """Whether input i (x, w, b) wants a gradient; `need` has no entry for a missing bias."""
    return i < len(need) and need[i]


def conv2d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, need: tuple = (True, True, True),
                    stride: Pair = (1, 1), padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> tuple:
    """(dx, dw, db) of `conv2d`, each None where `need` (for x, w, b) wants none."""
    dx = conv2d_grad_input(grad, w, x.shape, stride, padding, dilation, groups) if wanted(need, 0) else None
    dw = conv2d_grad_weight(grad, x, w.shape, stride, padding, dilation, groups) if wanted(need, 1) else None
    return dx, dw, (conv2d_grad_bias(grad) if wanted(need, 2) else None)


# ---- conv1d: a conv2d of height 1 -----------------------------------------------------------------

def conv1d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: int = 1, padding: int = 0,
           dilation: int = 1, groups: int = 1) -> np.ndarray:
    """x (N, C, L) with w (O, C/G, k): (N, O, L_out), as conv2d on images one pixel high."""
    out = conv2d(x[:, :, None, :], w[:, :, None, :], b, (1, stride), (0, padding), (1, dilation), groups)
    return out[:, :, 0, :]


def conv1d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, need: tuple = (True, True, True),
                    stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1) -> tuple:
    """(dx, dw, db) of `conv1d`, each None where `need` wants none."""
    dx, dw, db = conv2d_backward(grad[:, :, None, :], x[:, :, None, :], w[:, :, None, :], need,
                                 (1, stride), (0, padding), (1, dilation), groups)
    return (None if dx is None else dx[:, :, 0, :]), (None if dw is None else dw[:, :, 0, :]), db


# ---- conv_transpose2d: the input gradient of a convolution, run forward ----------------------------

def conv_transpose2d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Pair = (1, 1),
                     padding: Pair = (0, 0), output_padding: Pair = (0, 0), groups: int = 1,
                     dilation: Pair = (1, 1)) -> np.ndarray:
    """x (N, C, H, W) with w (C, O/G, kH, kW): (N, O, H_out, W_out), PyTorch's argument order.

    Each input pixel stamps a scaled copy of the kernel into the output, `stride` apart:
    exactly what `conv2d_grad_input` does with an output gradient.
    """
    shape = conv_transpose2d_shape("conv_transpose2d", x.shape, w.shape, stride, padding, output_padding,
                                   dilation, groups)
    out = conv2d_grad_input(x, w, shape, stride, padding, dilation, groups)
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return np.ascontiguousarray(out)


def conv_transpose2d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, need: tuple = (True, True, True),
                              stride: Pair = (1, 1), padding: Pair = (0, 0), groups: int = 1,
                              dilation: Pair = (1, 1)) -> tuple:
    """(dx, dw, db) of `conv_transpose2d`, each None where `need` wants none: the adjoint of an
    input gradient is the convolution itself."""
    dx = dw = None
    if wanted(need, 0):
        dx = conv2d(grad, w, None, stride, padding, dilation, groups)[:, :, :x.shape[2], :x.shape[3]]
    if wanted(need, 1):
        # An output_padding of stride or more gives the convolution of `grad` extra rows no input
        # pixel wrote to; x is zero there.
        n, _, h, w_ = conv2d_shape("conv_transpose2d", grad.shape, w.shape, stride, padding, dilation, groups)
        extra = ((0, 0), (0, 0), (0, h - x.shape[2]), (0, w_ - x.shape[3]))
        # The weight meets x (as the convolution's output gradient) and grad (as its input).
        dw = conv2d_grad_weight(np.pad(x, extra), grad, w.shape, stride, padding, dilation, groups)
    return dx, dw, (conv2d_grad_bias(grad) if wanted(need, 2) else None)


# ---- the ops -------------------------------------------------------------------------------------
# ctx: (need, stride, padding, dilation, groups), `need` saying which inputs want a gradient: the
# image batch into a first layer needs none, and its col2im costs as much as the forward.

class Conv2d(Op):
    """A 2-D convolution (cross-correlation, as in every deep-learning library) as one node."""

    name = "conv2d"
    derivative = ("x: col2im(grad^T @ W);  W: grad @ im2col(x);  b: sum(grad, axes N, H, W)  "
                  "(a transposed convolution of grad, and a correlation of x with grad)")
    differentiable_backward = False  # numpy kernels; compose from primitives for second derivatives

    @staticmethod
    def forward(ctx, x, w, b=None):
        return conv2d(x, w, b, *ctx[1:])

    @staticmethod
    def backward(ctx, grad, out, x, w, b=None):
        dx, dw, db = conv2d_backward(grad, x, w, *ctx)
        return (dx, dw) if b is None else (dx, dw, db)


class Conv1d(Op):
    """A 1-D convolution over (N, C, L), computed as a conv2d one pixel high."""

    name = "conv1d"
    derivative = "x, W, b: those of conv2d on the (N, C, 1, L) view"
    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, w, b=None):
        return conv1d(x, w, b, *ctx[1:])

    @staticmethod
    def backward(ctx, grad, out, x, w, b=None):
        dx, dw, db = conv1d_backward(grad, x, w, *ctx)
        return (dx, dw) if b is None else (dx, dw, db)


class ConvTranspose2d(Op):
    """A transposed convolution ("deconvolution"), the decoder's upsampling layer, as one node.

    ctx: (need, stride, padding, output_padding, groups, dilation).
    """

    name = "conv_transpose2d"
    derivative = "x: conv2d(grad, W);  W: correlation of grad with x;  b: sum(grad, axes N, H, W)"
    differentiable_backward = False

    @staticmethod
    def forward(ctx, x, w, b=None):
        return conv_transpose2d(x, w, b, *ctx[1:])

    @staticmethod
    def backward(ctx, grad, out, x, w, b=None):
        need, stride, padding, _, groups, dilation = ctx
        dx, dw, db = conv_transpose2d_backward(grad, x, w, need, stride, padding, groups, dilation)
        return (dx, dw) if b is None else (dx, dw, db)
