"""Pooling layers on `Tensor`: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`, with PyTorch's names
and defaults (stride defaults to the kernel size, so patches sit side by side).

Pooling shrinks feature maps by summarizing each patch (its largest or its mean value): fewer
numbers for the next layer, and an answer that moves less when the input shifts by a pixel.
It has no weights.
"""
from __future__ import annotations

from typing import Any, Optional

from circuitgrad.autograd import Tensor

from . import convolution as F
from .module import Module


class MaxPool2d(Module):
    """The largest value of each kernel_size patch of every channel; padding counts as -inf.

    Backprop sends each output's gradient to the one input that was the largest. Raises
    ValueError naming the layer for a non-4-D input, padding above half the kernel, or a
    kernel larger than the padded input.
    """

    def __init__(self, kernel_size: Any, stride: Optional[Any] = None, padding: Any = 0, dilation: Any = 1) -> None:
        super().__init__()
        self.kernel_size = F.pair("MaxPool2d", "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else F.pair("MaxPool2d", "stride", stride)
        self.padding = F.pair("MaxPool2d", "padding", padding)
        self.dilation = F.pair("MaxPool2d", "dilation", dilation)
        for k, p in zip(self.kernel_size, self.padding):
            if p > k // 2:
                raise ValueError(f"MaxPool2d: padding {self.padding} must be at most half the kernel size "
                                 f"{self.kernel_size}")

    def forward(self, x: Any) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, op=repr(self))

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text + (f", dilation={self.dilation}" if self.dilation != (1, 1) else "")


class AvgPool2d(Module):
    """The mean of each kernel_size patch; `count_include_pad=False` leaves padded zeros out of the mean."""

    def __init__(self, kernel_size: Any, stride: Optional[Any] = None, padding: Any = 0, *,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = F.pair("AvgPool2d", "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else F.pair("AvgPool2d", "stride", stride)
        self.padding = F.pair("AvgPool2d", "padding", padding)
        for k, p in zip(self.kernel_size, self.padding):
            if p > k // 2:
                raise ValueError(f"AvgPool2d: padding {self.padding} must be at most half the kernel size "
                                 f"{self.kernel_size}")
        if not isinstance(count_include_pad, bool):
            raise TypeError(f"AvgPool2d: count_include_pad must be True or False, got {count_include_pad!r}")
        self.count_include_pad = count_include_pad

    def forward(self, x: Any) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                            count_include_pad=self.count_include_pad, op=repr(self))

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text + ("" if self.count_include_pad else ", count_include_pad=False")


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input's H and W.

    `AdaptiveAvgPool2d(1)` is global average pooling: one number per channel, the layer a
    class activation map (CAM) network ends with before its Linear. None in output_size
    keeps that input dimension.
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        F.adaptive_output_size("AdaptiveAvgPool2d", output_size, (1, 1, 1, 1))  # checks the numbers
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size, op=repr(self))

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
