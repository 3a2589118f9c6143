"""Layers on `Tensor`: `Linear` and the activation functions as modules, with PyTorch's names.

The activations call the method of the same name on their input, so they work on a
`Value` as well as on a `Tensor` (except `Softmax`, `LogSoftmax` and `Flatten`, which need
an axis).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from circuitgrad.autograd import Tensor
from circuitgrad.autograd.graph import Node
from circuitgrad.autograd.ops.shape import dim as check_dim

from . import functional as F
from .checks import flag, float_dtype
from .module import Module, Parameter
from circuitgrad.autograd.checks import is_int, is_real


def _positive_int(layer: str, name: str, n: Any) -> int:
    if not is_int(n):
        raise TypeError(f"{layer}: {name} must be an int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{layer}: {name} must be at least 1, got {n}")
    return int(n)


class Linear(Module):
    """y = x @ weight.T + bias, with `weight` of shape (out_features, in_features) as PyTorch.

    Both are drawn uniformly from [-1/sqrt(in_features), 1/sqrt(in_features)], PyTorch's
    default (its kaiming_uniform_ with a=sqrt(5) works out to this bound), from numpy's
    global RNG: `cg.manual_seed(s)` (or `np.random.seed(s)`) before building a model makes it
    reproducible. Weight is
    drawn before bias. `dtype` defaults to float64 (what finite-difference checks need);
    pass np.float32 to match PyTorch's default precision.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        self.in_features = _positive_int("Linear", "in_features", in_features)
        self.out_features = _positive_int("Linear", "out_features", out_features)
        dtype = float_dtype("Linear", dtype)
        bias = flag("Linear", "bias", bias)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = Parameter(np.random.uniform(-bound, bound, (self.out_features, self.in_features)),
                                label="weight", dtype=dtype)
        if bias:
            self.bias = Parameter(np.random.uniform(-bound, bound, self.out_features), label="bias", dtype=dtype)
        else:
            self.bias = None

    def forward(self, x: Any) -> Tensor:
        if type(x) is not Tensor:
            x = F.as_tensor(x, "Linear")
        shape = x.data.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected input of shape (N, {self.in_features}) "
                             f"(last dimension {self.in_features}), got shape {shape}")
        return F._linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for a removed layer)."""

    def forward(self, x: Any) -> Any:
        return x


def _node(layer: str, x: Any) -> Node:
    if isinstance(x, Node):
        return x
    if isinstance(x, (np.ndarray, list, tuple, float, int)):
        return Tensor(x)
    raise TypeError(f"{layer}: expected a Tensor or a Value, got {type(x).__name__}")


class Sigmoid(Module):
    """1 / (1 + e^-x), squashing to (0, 1)."""

    def forward(self, x: Any) -> Node:
        return _node("Sigmoid", x).sigmoid()


class Tanh(Module):
    """tanh(x), squashing to (-1, 1)."""

    def forward(self, x: Any) -> Node:
        return _node("Tanh", x).tanh()


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x: Any) -> Node:
        return _node("ReLU", x).relu()


class LeakyReLU(Module):
    """x for x > 0, else negative_slope * x (PyTorch's default slope 0.01)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if not is_real(negative_slope):
            raise TypeError(f"LeakyReLU: negative_slope must be a number, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Node:
        return _node("LeakyReLU", x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class SELU(Module):
    """Self-normalizing ELU (scale 1.0507, alpha 1.6733), as PyTorch."""

    def forward(self, x: Any) -> Node:
        return _node("SELU", x).selu()


class Step(Module):
    """The perceptron's Heaviside step: 1 for x > 0, else 0. No gradient flows through it."""

    def forward(self, x: Any) -> Node:
        return _node("Step", x).step()


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim` (default the last axis, the classes of an (N, C) batch)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.as_tensor(x, "Softmax").softmax(axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim`, computed stably; pair it with NLLLoss."""

    def forward(self, x: Any) -> Tensor:
        return F.as_tensor(x, "LogSoftmax").log_softmax(axis=self.dim)


class Flatten(Module):
    """Merge dimensions start_dim..end_dim into one: (N, 2, 3) -> (N, 6) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Tensor:
        x = F.as_tensor(x, "Flatten")
        n = x.ndim
        if n == 0:
            return x.reshape(1)
        start, end = self.start_dim, self.end_dim
        start, end = check_dim(x, start, "Flatten"), check_dim(x, end, "Flatten")  # IndexError, as PyTorch
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} "
                             f"for input of shape {x.shape}")
        shape = x.shape[:start] + (int(np.prod(x.shape[start:end + 1])),) + x.shape[end + 1:]
        return x.reshape(shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
