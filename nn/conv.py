"""Convolution layers on `Tensor`: `Conv2d`, `Conv1d`, `ConvTranspose2d`, with PyTorch's names,
layouts (NCHW; weight (out_channels, in_channels / groups, kH, kW)), defaults and init.

A convolution is a Linear layer that looks at one small patch at a time and reuses the same
weights at every position: far fewer weights than a Linear on all pixels, and a pattern
(an edge, a stroke) is found wherever it is in the image.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from circuitgrad.autograd import Tensor

from . import convolution as F
from .checks import flag, float_dtype
from .layers import _positive_int
from .module import Module, Parameter


class _ConvNd(Module):
    """What the convolutions share: checked arguments, PyTorch's init, and the repr."""

    dims = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, dtype: Any = None,
                 output_padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_channels = _positive_int(name, "in_channels", in_channels)
        self.out_channels = _positive_int(name, "out_channels", out_channels)
        n = self.dims
        self.kernel_size = F.pair(name, "kernel_size", kernel_size, n)
        self.stride = F.pair(name, "stride", stride, n)
        self.padding = F.pair(name, "padding", padding, n)
        self.dilation = F.pair(name, "dilation", dilation, n)
        self.output_padding = F.pair(name, "output_padding", output_padding, n)
        self.groups = F.groups_of(name, groups, self.in_channels, self.out_channels)
        dtype = float_dtype(name, dtype)
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        # PyTorch's default: kaiming_uniform_(a=sqrt(5)) for the weight, which is uniform in
        # +-1/sqrt(fan_in), and the same bound for the bias; fan_in = weight.shape[1] * kH * kW.
        bound = 1.0 / math.sqrt(shape[1] * math.prod(self.kernel_size))
        self.weight = Parameter(np.random.uniform(-bound, bound, shape), label="weight", dtype=dtype)
        if flag(name, "bias", bias):
            self.bias = Parameter(np.random.uniform(-bound, bound, self.out_channels), label="bias", dtype=dtype)
        else:
            self.bias = None

    def _input(self, x: Any) -> Tensor:
        x = x if type(x) is Tensor else F.as_tensor(x, type(self).__name__)
        rank = self.dims + 2
        if x.ndim != rank or x.shape[1] != self.in_channels:
            layout = "(N, C, H, W)" if self.dims == 2 else "(N, C, L)"
            hint = " (for one sample use x[None])" if x.ndim == rank - 1 else ""
            raise ValueError(f"{self!r}: expected input {layout} with C = {self.in_channels} channels, "
                             f"got shape {x.shape}{hint}")
        return x

    def extra_repr(self) -> str:
        n = self.dims
        parts = [f"{self.in_channels}, {self.out_channels}", f"kernel_size={self.kernel_size}",
                 f"stride={self.stride}"]
        if self.padding != (0,) * n:
            parts.append(f"padding={self.padding}")
        if self.dilation != (1,) * n:
            parts.append(f"dilation={self.dilation}")
        if self.transposed and self.output_padding != (0,) * n:
            parts.append(f"output_padding={self.output_padding}")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)


class Conv2d(_ConvNd):
    """out[n, o] = bias[o] + sum over c of weight[o, c] (cross-correlated with) input[n, c].

    Input (N, in_channels, H, W), output (N, out_channels, H_out, W_out) with
    H_out = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1. `groups` splits
    the channels into independent groups (groups = in_channels: one filter per channel).
    Weights and bias are uniform in +-1/sqrt(in_channels/groups * kH * kW), PyTorch's default,
    from numpy's global RNG. Raises ValueError naming the layer and the shapes for an input of
    the wrong rank or channel count and a kernel larger than the padded input.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, dtype)

    def forward(self, x: Any) -> Tensor:
        return F.conv2d(self._input(x), self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups, op=repr(self))


class Conv1d(_ConvNd):
    """Conv2d for sequences (N, in_channels, L): each filter (in_channels/groups, k) slides along L."""

    dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, dtype)

    def forward(self, x: Any) -> Tensor:
        return F.conv1d(self._input(x), self.weight, self.bias, self.stride[0], self.padding[0], self.dilation[0],
                        self.groups, op=repr(self))


class ConvTranspose2d(_ConvNd):
    """The upsampling layer of a convolutional decoder: weight (in_channels, out_channels/groups, kH, kW).

    Each input pixel adds a copy of the kernel, scaled by the pixel, into the output, `stride`
    pixels apart: the backward pass of a Conv2d run forwards. Output size
    (H - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1; a stride-2,
    kernel-2 layer doubles H and W. PyTorch's argument order (groups before dilation).
    """

    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, dtype,
                         output_padding)

    def forward(self, x: Any) -> Tensor:
        return F.conv_transpose2d(self._input(x), self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation, op=repr(self))
