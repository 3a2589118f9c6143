"""Tensor's elementwise methods: maths, activations, clamping, maximum / minimum.

A mixin of `Tensor` (autograd/tensor.py), kept in its own file so that each file stays one
concept. The methods without arguments (`x.exp()`, `x.erf()`, `x.silu()`) are not written here:
each op registered in `autograd/ops/` (`@register`, see `ops/registry.py`) gives this class its
method. The methods below take arguments, check them and name their op; what the op computes, and
its derivative, is in the op table (`ops/functions.py`, `ops/activations.py`, `ops/piecewise.py`).
"""
from __future__ import annotations

from typing import Any, Optional

from . import ops as O
from .checks import is_int, real


class MathMethods:
    """Elementwise methods of `Tensor`: the op and its checked arguments (plus one per registered op)."""

    __slots__ = ()

    def __abs__(self) -> "Tensor": return self.abs()

    def leaky_relu(self, slope: float = 0.01) -> "Tensor":
        return self.apply(O.LeakyReLU, self, ctx=real("leaky_relu", "slope", slope))

    # PyTorch's method spellings of the operators (`x.add(y, alpha=2)` is x + 2y).
    def add(self, other: Any, *, alpha: float = 1) -> "Tensor":
        return self + (other if alpha == 1 else other * real("add", "alpha", alpha))

    def sub(self, other: Any, *, alpha: float = 1) -> "Tensor":
        return self - (other if alpha == 1 else other * real("sub", "alpha", alpha))

    def mul(self, other: Any) -> "Tensor": return self * other
    def div(self, other: Any) -> "Tensor": return self / other
    def pow(self, exponent: Any) -> "Tensor": return self ** exponent
    def neg(self) -> "Tensor": return -self

    # ---- more of PyTorch's maths -----------------------------------------------------------------

    def round(self, decimals: int = 0) -> "Tensor":
        """Round to `decimals` places; halves go to the even neighbour (as numpy and PyTorch)."""
        if not is_int(decimals):
            raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__} {decimals!r}")
        return self.apply(O.Round, self, ctx=int(decimals))

    def maximum(self, other: Any) -> "Tensor":
        """The larger of the two entry by entry (broadcasting); a tie gives each half the gradient."""
        return self.apply(O.Maximum, *self._pair("maximum", other))

    def minimum(self, other: Any) -> "Tensor":
        """The smaller of the two entry by entry (broadcasting); a tie gives each half the gradient."""
        return self.apply(O.Minimum, *self._pair("minimum", other))

    def clip(self, low: Optional[float] = None, high: Optional[float] = None) -> "Tensor":
        """Values limited to [low, high]; the gradient passes only where no limit was hit."""
        return self._clip("clip", low, high, ("low", "high"))

    def clamp(self, min: Optional[float] = None, max: Optional[float] = None) -> "Tensor":
        """PyTorch's name for `clip` (the gradient passes where min <= x <= max)."""
        return self._clip("clamp", min, max, ("min", "max"))

    def _clip(self, op: str, low: Any, high: Any, names: tuple):
        return self.apply(O.Clip, self, ctx=self._clip_limits(op, low, high, names))

    @staticmethod
    def _clip_limits(op: str, low: Any, high: Any, names: tuple) -> tuple:
        """(low, high) checked: at least one given, numbers, low <= high (clip, clamp and clamp_)."""
        if low is None and high is None:
            raise ValueError(f"{op}: give {names[0]}, {names[1]} or both")
        low = None if low is None else real(op, names[0], low)
        high = None if high is None else real(op, names[1], high)
        if low is not None and high is not None and low > high:
            raise ValueError(f"{op}: {names[0]} {low:g} is above {names[1]} {high:g}")
        return (low, high)

    # ---- activations, with PyTorch's arguments and defaults -------------------------------------

    def gelu(self, approximate: str = "none") -> "Tensor":
        """x Phi(x) with Phi the normal CDF (exact, via erf), or its tanh approximation."""
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return self.apply(O.GELU, self, ctx=approximate)

    def elu(self, alpha: float = 1.0) -> "Tensor":
        """x for x > 0, else alpha (e^x - 1)."""
        return self.apply(O.ELU, self, ctx=real("elu", "alpha", alpha))

    def celu(self, alpha: float = 1.0) -> "Tensor":
        """x for x > 0, else alpha (e^(x/alpha) - 1): ELU with a slope of 1 at 0 for every alpha."""
        alpha = real("celu", "alpha", alpha)
        if alpha == 0.0:
            raise ValueError("celu: alpha must not be 0 (it divides x)")
        return self.apply(O.CELU, self, ctx=alpha)



    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> "Tensor":
        """log(1 + e^(beta x)) / beta, a smooth relu; x itself where beta x > threshold (as PyTorch)."""
        beta = real("softplus", "beta", beta)
        if beta == 0.0:
            raise ValueError("softplus: beta must not be 0 (it divides the result)")
        return self.apply(O.Softplus, self, ctx=(beta, real("softplus", "threshold", threshold)))


    def hardtanh(self, min_val: float = -1.0, max_val: float = 1.0) -> "Tensor":
        """x clamped to [min_val, max_val]; the gradient passes strictly inside (as PyTorch)."""
        low, high = real("hardtanh", "min_val", min_val), real("hardtanh", "max_val", max_val)
        if low > high:
            raise ValueError(f"hardtanh: min_val {low:g} is above max_val {high:g}")
        return self.apply(O.Hardtanh, self, ctx=(low, high))

    def relu6(self) -> "Tensor":
        """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
        return self.apply(O.Hardtanh, self, ctx=(0.0, 6.0))


# x.exp(), x.erf(), x.silu(), ...: a method for every op registered in autograd/ops/.
O.registry.give_methods(MathMethods)
