"""Convolutions on numpy arrays: conv2d, conv1d and conv_transpose2d, forward and every gradient.

Layouts are PyTorch's: input (N, C, H, W), weight (out_channels, in_channels / groups, kH, kW)
for a convolution and (in_channels, out_channels / groups, kH, kW) for a transposed one.
`stride`, `padding` and `dilation` are pairs of ints (checked by `conv2d_shape`).

How: im2col. `windows` is a strided *view* of the padded input, one (kH, kW) patch per output
pixel, made by `sliding_window_view` without copying. Reshaped to a matrix of patches
("columns") the convolution is one matrix product per group:

    out[n, o, i, j] = sum_{c, p, q} w[o, c, p, q] * x_pad[n, c, i*s + p*d, j*s + q*d] + b[o]

and its derivatives are two more products and col2im (the adjoint of im2col):

    dW = dOut @ columns            (each weight meets every patch it touched)
    dX = col2im(dOut^T @ W)        (each patch's gradient added back where the patch came from)
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


def col2im(patches: np.ndarray, padded_shape: tuple, stride: Pair, dilation: Pair) -> np.ndarray:
    """The adjoint of `windows`: add each patch entry (N, C, Ho, Wo, kH, kW) back to where it was read.

    One strided slice per kernel offset (p, q); overlapping patches add up.
    """
    n, c, ho, wo, kh, kw = patches.shape
    (sh, sw), (dh, dw) = stride, dilation
    out = np.zeros(padded_shape, dtype=patches.dtype)
    for p in range(kh):
        for q in range(kw):
            top, left = p * dh, q * dw
            out[:, :, top:top + sh * (ho - 1) + 1:sh, left:left + sw * (wo - 1) + 1:sw] += patches[..., p, q]
    return out


def _columns(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """im2col: the patches as a matrix per group, (G, N * Ho * Wo, C/G * kH * kW) (this is the copy)."""
    win = windows(pad2d(x, padding), kernel, stride, dilation)
    n, c, ho, wo, kh, kw = win.shape
    cg = c // groups
    win = win.reshape(n, groups, cg, ho, wo, kh, kw)  # splitting an axis keeps it a view
    return win.transpose(1, 0, 3, 4, 2, 5, 6).reshape(groups, n * ho * wo, cg * kh * kw)


def _grad_by_group(grad: np.ndarray, groups: int) -> np.ndarray:
    """dOut (N, O, Ho, Wo) as (G, N * Ho * Wo, O/G), matching the rows of `_columns`."""
    n, o, ho, wo = grad.shape
    return grad.reshape(n, groups, o // groups, ho, wo).transpose(1, 0, 3, 4, 2).reshape(groups, n * ho * wo, -1)


# ---- conv2d --------------------------------------------------------------------------------------

def conv2d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: Pair = (1, 1),
           padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> np.ndarray:
    """Cross-correlation of x (N, C, H, W) with w (O, C/G, kH, kW), plus b (O,): (N, O, Ho, Wo)."""
    n, o, ho, wo = conv2d_shape("conv2d", x.shape, w.shape, stride, padding, dilation, groups)
    cols = _columns(x, w.shape[2:], stride, padding, dilation, groups)
    wm = w.reshape(groups, o // groups, -1)
    out = np.matmul(cols, wm.transpose(0, 2, 1))  # (G, N*Ho*Wo, O/G)
    out = out.reshape(groups, n, ho, wo, o // groups).transpose(1, 0, 4, 2, 3).reshape(n, o, ho, wo)
    if b is not None:
        out += b.reshape(1, o, 1, 1)
    return out


def conv2d_grad_input(grad: np.ndarray, w: np.ndarray, x_shape: tuple, stride: Pair = (1, 1),
                      padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> np.ndarray:
    """dL/dx of `conv2d` for the output gradient `grad`: col2im(dOut^T @ W)."""
    n, o, ho, wo = grad.shape
    c = x_shape[1]
    cg, kh, kw = w.shape[1:]
    wm = w.reshape(groups, o // groups, cg * kh * kw)
    dcols = np.matmul(_grad_by_group(grad, groups), wm)  # (G, N*Ho*Wo, C/G*kH*kW)
    patches = dcols.reshape(groups, n, ho, wo, cg, kh, kw).transpose(1, 0, 4, 2, 3, 5, 6)
    patches = patches.reshape(n, c, ho, wo, kh, kw)
    padded = (n, c, x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])
    return unpad2d(col2im(patches, padded, stride, dilation), padding)


def conv2d_grad_weight(grad: np.ndarray, x: np.ndarray, w_shape: tuple, stride: Pair = (1, 1),
                       padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> np.ndarray:
    """dL/dw of `conv2d`: each output channel's gradient times every patch it was computed from."""
    cols = _columns(x, w_shape[2:], stride, padding, dilation, groups)
    dw = np.matmul(_grad_by_group(grad, groups).transpose(0, 2, 1), cols)  # (G, O/G, C/G*kH*kW)
    return dw.reshape(w_shape)


def conv2d_grad_bias(grad: np.ndarray) -> np.ndarray:
    """dL/db: the bias of channel o was added to every output pixel of that channel."""
    return grad.sum(axis=(0, 2, 3))


def conv2d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, has_bias: bool, stride: Pair = (1, 1),
                    padding: Pair = (0, 0), dilation: Pair = (1, 1), groups: int = 1) -> tuple:
    """(dx, dw, db) of `conv2d` (db is None without a bias)."""
    dx = conv2d_grad_input(grad, w, x.shape, stride, padding, dilation, groups)
    dw = conv2d_grad_weight(grad, x, w.shape, stride, padding, dilation, groups)
    return dx, dw, (conv2d_grad_bias(grad) if has_bias else None)


# ---- conv1d: a conv2d of height 1 -----------------------------------------------------------------

def conv1d(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray] = None, stride: int = 1, padding: int = 0,
           dilation: int = 1, groups: int = 1) -> np.ndarray:
    """x (N, C, L) with w (O, C/G, k): (N, O, L_out), as conv2d on images one pixel high."""
    out = conv2d(x[:, :, None, :], w[:, :, None, :], b, (1, stride), (0, padding), (1, dilation), groups)
    return out[:, :, 0, :]


def conv1d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, has_bias: bool, stride: int = 1,
                    padding: int = 0, dilation: int = 1, groups: int = 1) -> tuple:
    """(dx, dw, db) of `conv1d`."""
    dx, dw, db = conv2d_backward(grad[:, :, None, :], x[:, :, None, :], w[:, :, None, :], has_bias,
                                 (1, stride), (0, padding), (1, dilation), groups)
    return dx[:, :, 0, :], dw[:, :, 0, :], db


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


def conv_transpose2d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, has_bias: bool,
                              stride: Pair = (1, 1), padding: Pair = (0, 0), groups: int = 1,
                              dilation: Pair = (1, 1)) -> tuple:
    """(dx, dw, db) of `conv_transpose2d`: the adjoint of an input gradient is the convolution itself."""
    dx = conv2d(grad, w, None, stride, padding, dilation, groups)
    # An output_padding of stride or more gives the convolution of `grad` extra rows no input
    # pixel wrote to; x is zero there.
    extra = ((0, 0), (0, 0), (0, dx.shape[2] - x.shape[2]), (0, dx.shape[3] - x.shape[3]))
    dx = dx[:, :, :x.shape[2], :x.shape[3]]
    # The weight meets x (as the convolution's output gradient) and grad (as its input).
    dw = conv2d_grad_weight(np.pad(x, extra), grad, w.shape, stride, padding, dilation, groups)
    return dx, dw, (conv2d_grad_bias(grad) if has_bias else None)
