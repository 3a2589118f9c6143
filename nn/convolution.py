"""The functional forms of the image layers, with PyTorch's names and arguments (also `nn.functional`):
`conv2d`, `conv1d`, `conv_transpose2d`, `max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d`, `dropout2d`.

Each checks its arguments, naming the function (or the layer that called it) and the shapes,
then records one node whose forward and derivative are in `autograd/ops/conv.py` and
`autograd/ops/pool.py`.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from circuitgrad.autograd import Tensor
from circuitgrad.autograd import ops
from circuitgrad.autograd.ops import conv as C
from circuitgrad.autograd.ops import pool as P

from .checks import as_tensor, drop_probability
from circuitgrad.autograd.checks import is_int

_LOWEST = {"kernel_size": 1, "stride": 1, "dilation": 1, "padding": 0, "output_padding": 0, "output_size": 1}


def pair(owner: str, name: str, value: Any, n: int = 2) -> tuple:
    """An int or a tuple of `n` ints as a tuple; TypeError for other types, ValueError below the lowest value
    (kernel_size, stride and dilation at least 1, padding at least 0)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n or not all(is_int(v) for v in values):
        raise TypeError(f"{owner}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    low = _LOWEST[name]
    if min(values) < low:
        what = "a positive integer" if low == 1 else "a non-negative integer"
        raise ValueError(f"{owner}: {name} must be {what} (or a tuple of them), got {value!r}")
    return tuple(int(v) for v in values)


def groups_of(owner: str, groups: Any, in_channels: int, out_channels: int) -> int:
    if not is_int(groups):
        raise TypeError(f"{owner}: groups must be an int, got {groups!r}")
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"{owner}: groups={groups} must be a positive int that divides in_channels {in_channels} "
                         f"and out_channels {out_channels}")
    return int(groups)


def _apply(fn: Any, x: Tensor, w: Tensor, b: Optional[Tensor], *settings: Any) -> Tensor:
    """The convolution node; its ctx starts with which inputs want a gradient (the image batch into
    a first layer wants none), with no entry for a missing bias."""
    operands = (x, w) if b is None else (x, w, b)
    return Tensor.apply(fn, *operands, ctx=(tuple(t.requires_grad for t in operands), *settings))


def _operands(op: str, input: Any, weight: Any, bias: Any, rank: int, layout: str) -> tuple:
    x, w = as_tensor(input, op), as_tensor(weight, op)
    b = None if bias is None else as_tensor(bias, op)
    if x.ndim != rank:
        one = " (for one sample use x[None])" if x.ndim == rank - 1 else ""
        raise ValueError(f"{op}: expected a {rank}-D input {layout}, got shape {x.shape}{one}")
    return x, w, b


def _check_bias(op: str, b: Optional[Tensor], channels: int) -> None:
    if b is not None and b.shape != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},), one per output channel, got {b.shape}")


# ---- convolutions --------------------------------------------------------------------------------

def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1, op: str = "conv2d") -> Tensor:
    """Slide each filter of weight (out, in/groups, kH, kW) over input (N, in, H, W): (N, out, H_out, W_out).

    H_out = floor((H + 2 padding - dilation (kH - 1) - 1) / stride) + 1. Raises ValueError
    naming `op` for a wrong rank, channel count or groups, and a kernel larger than the
    padded input.
    """
    x, w, b = _operands(op, input, weight, bias, 4, "(N, C, H, W)")
    stride, padding = pair(op, "stride", stride), pair(op, "padding", padding)
    dilation = pair(op, "dilation", dilation)
    groups = groups_of(op, groups, x.shape[1], w.shape[0] if w.ndim == 4 else groups)
    C.conv2d_shape(op, x.shape, w.shape, stride, padding, dilation, groups)
    _check_bias(op, b, w.shape[0])
    return _apply(ops.Conv2d, x, w, b, stride, padding, dilation, groups)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1, op: str = "conv1d") -> Tensor:
    """conv2d's 1-D sibling: input (N, in, L), weight (out, in/groups, k), output (N, out, L_out)."""
    x, w, b = _operands(op, input, weight, bias, 3, "(N, C, L)")
    stride, padding = pair(op, "stride", stride, 1)[0], pair(op, "padding", padding, 1)[0]
    dilation = pair(op, "dilation", dilation, 1)[0]
    if w.ndim != 3:
        raise ValueError(f"{op}: expected a 3-D weight (out_channels, in_channels/groups, k), got {w.shape}")
    groups = groups_of(op, groups, x.shape[1], w.shape[0])
    C.conv2d_shape(op, x.shape[:2] + (1,) + x.shape[2:], w.shape[:2] + (1,) + w.shape[2:], (1, stride),
                   (0, padding), (1, dilation), groups)
    _check_bias(op, b, w.shape[0])
    return _apply(ops.Conv1d, x, w, b, stride, padding, dilation, groups)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1,
                     op: str = "conv_transpose2d") -> Tensor:
    """The transposed convolution (weight (in, out/groups, kH, kW)): each input pixel stamps the
    kernel into the output, `stride` apart, so it upsamples;
    H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1."""
    x, w, b = _operands(op, input, weight, bias, 4, "(N, C, H, W)")
    stride, padding = pair(op, "stride", stride), pair(op, "padding", padding)
    output_padding, dilation = pair(op, "output_padding", output_padding), pair(op, "dilation", dilation)
    groups = groups_of(op, groups, x.shape[1], groups * (w.shape[1] if w.ndim == 4 else 1))
    C.conv_transpose2d_shape(op, x.shape, w.shape, stride, padding, output_padding, dilation, groups)
    _check_bias(op, b, w.shape[1] * groups)
    return _apply(ops.ConvTranspose2d, x, w, b, stride, padding, output_padding, groups, dilation)


# ---- pooling -------------------------------------------------------------------------------------

def _pool_input(op: str, input: Any) -> Tensor:
    x = as_tensor(input, op)
    if x.ndim != 4:
        one = " (for one image use x[None])" if x.ndim == 3 else ""
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x.shape}{one}")
    return x


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               op: str = "max_pool2d") -> Tensor:
    """The largest value of each kernel_size patch; stride defaults to kernel_size (patches side by side)."""
    x = _pool_input(op, input)
    kernel = pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None else pair(op, "stride", stride)
    padding, dilation = pair(op, "padding", padding), pair(op, "dilation", dilation)
    P.pool2d_shape(op, x.shape, kernel, stride, padding, dilation)
    return Tensor.apply(ops.MaxPool2d, x, ctx=(kernel, stride, padding, dilation))


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, *,
               count_include_pad: bool = True, op: str = "avg_pool2d") -> Tensor:
    """The mean of each kernel_size patch; with count_include_pad=False padded zeros are not counted."""
    x = _pool_input(op, input)
    kernel = pair(op, "kernel_size", kernel_size)
    stride = kernel if stride is None else pair(op, "stride", stride)
    padding = pair(op, "padding", padding)
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"{op}: count_include_pad must be True or False, got {count_include_pad!r}")
    P.pool2d_shape(op, x.shape, kernel, stride, padding)
    return Tensor.apply(ops.AvgPool2d, x, ctx=(kernel, stride, padding, bool(count_include_pad)))


def adaptive_output_size(op: str, output_size: Any, input_shape: tuple) -> tuple:
    """(out_h, out_w), where None keeps the input's size (as PyTorch)."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(sizes) != 2:
        raise TypeError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(input_shape[2 + k] if s is None else s for k, s in enumerate(sizes))
    return pair(op, "output_size", sizes)


def adaptive_avg_pool2d(input: Any, output_size: Any, op: str = "adaptive_avg_pool2d") -> Tensor:
    """Average pooling to exactly output_size (out_h, out_w), whatever the input's size; (1, 1) is
    global average pooling, one number per channel."""
    x = _pool_input(op, input)
    return Tensor.apply(ops.AdaptiveAvgPool2d, x, ctx=adaptive_output_size(op, output_size, x.shape))


def dropout2d(input: Any, p: float = 0.5, training: bool = True, op: str = "dropout2d") -> Tensor:
    """Zero whole channels (feature maps) with probability p, scaling the rest by 1 / (1 - p).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    (Dropout) hardly regularizes a convolution; dropping the whole map does. The mask comes
    from numpy's global RNG.
    """
    drop_probability(op, p)
    x = as_tensor(input, op)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if not training or p == 0.0:
        return x
    keep = np.random.random_sample(x.shape[:2] + (1, 1)) >= p
    return x * (keep / (1.0 - p)).astype(x.dtype)
