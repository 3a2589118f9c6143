"""The activation layers of modern networks, with PyTorch's names, arguments and defaults:
GELU, ELU, CELU, SiLU, Mish, Softplus, Softsign, ReLU6, Hardtanh, Hardsigmoid, Hardswish.

Each calls the Tensor method of the same name (autograd's op table holds the forward and the
derivative). They work on Tensors; Sigmoid, Tanh, ReLU, LeakyReLU and SELU (nn/layers.py)
also work on a Value.
"""
from __future__ import annotations

from typing import Any

from circuitgrad.autograd import Tensor

from . import functional as F
from .checks import real
from .module import Module


class _Activation(Module):
    """A layer that applies `method` of its input with the arguments in `_args`."""

    method = ""
    _args: tuple = ()

    def forward(self, x: Any) -> Tensor:
        x = F.as_tensor(x, type(self).__name__)
        return getattr(x, self.method)(*(getattr(self, name) for name in self._args))

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self._args)


class GELU(_Activation):
    """x Phi(x), Phi the standard normal CDF; approximate='tanh' uses the tanh formula (as GPT-2)."""

    method, _args = "gelu", ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate


class ELU(_Activation):
    """x for x > 0, else alpha (e^x - 1)."""

    method, _args = "elu", ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = real("ELU", "alpha", alpha)


class CELU(_Activation):
    """x for x > 0, else alpha (e^(x/alpha) - 1)."""

    method, _args = "celu", ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = real("CELU", "alpha", alpha)
        if self.alpha == 0.0:
            raise ValueError("CELU: alpha must not be 0 (it divides x)")


class SiLU(_Activation):
    """x sigmoid(x), also called swish."""

    method = "silu"


class Mish(_Activation):
    """x tanh(softplus(x))."""

    method = "mish"


class Softplus(_Activation):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold."""

    method, _args = "softplus", ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = real("Softplus", "beta", beta)
        if self.beta == 0.0:
            raise ValueError("Softplus: beta must not be 0 (it divides the result)")
        self.threshold = real("Softplus", "threshold", threshold)


class Softsign(_Activation):
    """x / (1 + |x|)."""

    method = "softsign"


class Hardtanh(_Activation):
    """x clamped to [min_val, max_val]."""

    method, _args = "hardtanh", ("min_val", "max_val")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        self.min_val = real("Hardtanh", "min_val", min_val)
        self.max_val = real("Hardtanh", "max_val", max_val)
        if self.min_val > self.max_val:
            raise ValueError(f"Hardtanh: min_val {self.min_val:g} is above max_val {self.max_val:g}")


class ReLU6(_Activation):
    """min(max(x, 0), 6)."""

    method = "relu6"


class Hardsigmoid(_Activation):
    """relu6(x + 3) / 6."""

    method = "hardsigmoid"


class Hardswish(_Activation):
    """x relu6(x + 3) / 6."""

    method = "hardswish"


__all__ = ["GELU", "ELU", "CELU", "SiLU", "Mish", "Softplus", "Softsign", "Hardtanh", "ReLU6", "Hardsigmoid",
           "Hardswish"]
