"""Argument checks shared by layers, losses, optimizers and data helpers, and `as_tensor`.

Each returns the value as a plain Python number (or bool) or raises naming the owner (the
layer, loss or function), the argument and what came instead. numpy scalars
(`np.float32(0.1)`, `np.int64(3)`) are numbers like any other; `True` is not a number and
`"no"` is not a flag.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from circuitgrad.autograd import Tensor
from circuitgrad.autograd.dtypes import get_default_dtype
from circuitgrad.autograd.graph import Node
from circuitgrad.autograd.checks import float_dtype as _float_dtype
from circuitgrad.autograd.checks import is_int, is_real


def as_tensor(x: Any, op: str, dtype: Any = None) -> Tensor:
    """`x` itself if it is a Tensor, else a constant Tensor of its numbers (no gradient)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(f"{op}: got a {type(x).__name__}; this function works on Tensors "
                        "(the scalar networks in nn.scalar work on Values)")
    try:
        return Tensor(x, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{op}: {e}") from None


def real(owner: str, name: str, value: Any, low: Optional[float] = None, high: Optional[float] = None,
         low_open: bool = False, high_open: bool = False, finite: bool = True) -> float:
    """`value` as a float inside [low, high] (an end is left out with low_open / high_open)."""
    if not is_real(value):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if math.isnan(number) or (finite and math.isinf(number)):
        raise ValueError(f"{owner}: {name} must be a finite number, got {number!r}")
    if (low is not None and (number < low or (low_open and number == low))) or \
            (high is not None and (number > high or (high_open and number == high))):
        raise ValueError(f"{owner}: {name} must be {_interval(low, high, low_open, high_open)}, got {number!r}")
    return number


def integer(owner: str, name: str, value: Any, low: Optional[int] = None) -> int:
    """`value` as an int (numpy integers too), at least `low`."""
    if not is_int(value):
        raise TypeError(f"{owner}: {name} must be a whole number, got {type(value).__name__} {value!r}")
    number = int(value)
    if low is not None and number < low:
        raise ValueError(f"{owner}: {name} must be at least {low}, got {number}")
    return number


def flag(owner: str, name: str, value: Any) -> bool:
    """`value` as a bool; only True and False (and numpy's) count, so "no" is not read as True."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{owner}: {name} must be True or False, got {type(value).__name__} {value!r}")


def drop_probability(owner: str, p: Any, hint: str = "") -> float:
    """A dropout probability as a float in [0, 1): at 1 nothing is kept and 1 / (1 - p) is undefined."""
    if not is_real(p) or not 0.0 <= p < 1.0:
        raise ValueError(f"{owner}: p must be a probability in [0, 1), got {p!r}{hint}")
    return float(p)


def float_dtype(owner: str, dtype: Any) -> np.dtype:
    """`dtype` as a numpy float dtype (None: the default float dtype, float64 unless
    `cg.set_default_dtype` changed it, as PyTorch's layers follow `torch.set_default_dtype`)."""
    return _float_dtype(owner, get_default_dtype() if dtype is None else dtype)


def _interval(low: Optional[float], high: Optional[float], low_open: bool, high_open: bool) -> str:
    """`>= 0`, `> 0`, `<= 1` or `in [0, 1)`, as the bounds read best."""
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
