"""Weight initialization, in place, with PyTorch's names, fans and gains.

Every function fills `tensor.data` in place (keeping its dtype), draws from numpy's global
RNG (so `cg.manual_seed` or `np.random.seed` makes it reproducible) and returns the tensor.

For a weight of shape (out_features, in_features), fan_in is in_features and fan_out is
out_features; for more dimensions both are multiplied by the size of the trailing ones.
Xavier/Glorot keeps the variance of activations and gradients about equal in both
directions: std = gain * sqrt(2 / (fan_in + fan_out)). Kaiming/He keeps the forward
(fan_in) or backward (fan_out) variance for ReLU-like units: std = gain / sqrt(fan).
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from circuitgrad.autograd import Tensor
from circuitgrad.autograd.tensor_inplace import increment_version
from circuitgrad.autograd.checks import is_real

__all__ = ["calculate_gain", "uniform_", "normal_", "zeros_", "ones_", "constant_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def _check(tensor: Any, op: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor (a layer's weight or bias), got {type(tensor).__name__}")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    tensor.data[...] = values
    increment_version(tensor)  # an in-place change, as PyTorch's init functions make
    return tensor


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """The factor that keeps activations' scale through `nonlinearity` (PyTorch's table).

    linear, the convolutions (conv1d/2d/3d, conv_transpose1d/2d/3d), sigmoid, identity: 1;
    tanh: 5/3; relu: sqrt(2); leaky_relu with slope a (0.01 if not given): sqrt(2 / (1 + a^2));
    selu: 3/4. Raises ValueError for other names.
    """
    if nonlinearity in _LINEAR or nonlinearity in ("identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if not is_real(slope):
            raise ValueError(f"calculate_gain: negative slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of {', '.join(_LINEAR)}, "
                     "sigmoid, tanh, relu, leaky_relu or selu")


# The layers with no nonlinearity of their own: PyTorch's gain for each is 1.
_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def _fans(tensor: Tensor, op: str) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(f"{op}: fan in and fan out need a tensor with at least 2 dimensions, got shape "
                         f"{tensor.shape} (initialize a bias with uniform_ or zeros_)")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with draws from U(a, b)."""
    _check(tensor, "uniform_")
    if a > b:
        raise ValueError(f"uniform_: a={a} is above b={b}")
    return _fill(tensor, np.random.uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    _check(tensor, "normal_")
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill(tensor, np.random.normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    return _fill(_check(tensor, "constant_"), val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _fans(_check(tensor, "xavier_uniform_"), "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, np.random.uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(_check(tensor, "xavier_normal_"), "xavier_normal_")
    return _fill(tensor, np.random.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), tensor.shape))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, op: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(_check(tensor, op), op)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al., 2015); `a` is the leaky_relu slope."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return _fill(tensor, np.random.uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan) (He et al., 2015); `a` is the leaky_relu slope."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return _fill(tensor, np.random.normal(0.0, std, tensor.shape))
