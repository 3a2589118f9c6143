"""The argument checks every package shares: a real number, a whole number, a float dtype, the device.

PyTorch's rules, written once: `True` is not a number (bool is a subclass of int in Python, so a
plain `isinstance(x, int)` lets it through); numpy's scalars (`np.float32(0.1)`, `np.int64(3)`)
are numbers like Python's; a dtype for parameters or random draws must be a float one; the only
device is the CPU (circuitgrad computes with numpy). autograd, nn and viz use these; this file
imports only `dtypes.py` (which imports nothing of circuitgrad), so any module can.

The predicates (`is_real`, `is_int`, `is_float_dtype`, `is_cpu`) let a caller keep the message
its users know; the checks (`real`, `integer`, `float_dtype`, `cpu`) raise the common one.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .dtypes import as_dtype


def is_real(value: Any) -> bool:
    """A real number and not a bool: 2, 0.5, np.float32(0.5), np.int64(3); not True, "1" or 1j."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def is_int(value: Any) -> bool:
    """A whole number and not a bool: 3, np.int64(3); not True, 3.0 or "3"."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def real(owner: str, name: str, value: Any) -> float:
    """`value` as a float. Raises TypeError (`owner: name must be a number, got bool True`)."""
    if not is_real(value):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def integer(owner: str, name: str, value: Any) -> int:
    """`value` as an int. Raises TypeError (`owner: name must be an int, got float 2.0`)."""
    if not is_int(value):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def is_float_dtype(kind: Any) -> bool:
    """Whether `kind` (a numpy dtype) is a float one: float16, float32 or float64."""
    return isinstance(kind, np.dtype) and kind.kind == "f"


def float_dtype(owner: str, dtype: Any) -> np.dtype:
    """`dtype` read as every dtype argument is (`dtypes.as_dtype`: a numpy dtype or type, a name such
    as "float32" or PyTorch's "float", `torch.float32`) and required to be a float one. Raises
    TypeError (`owner: dtype must be a float type such as np.float32, got 'int32'`)."""
    try:
        kind = None if dtype is None else as_dtype(owner, dtype)  # np.dtype(None) would be float64
    except TypeError:
        kind = None
    if not is_float_dtype(kind):
        raise TypeError(f"{owner}: dtype must be a float type such as np.float32, got {dtype!r}")
    return kind


def is_cpu(device: Any) -> bool:
    """Whether `device` ("cpu", "cpu:0", `cg.device("cpu")`, `torch.device("cpu")`) is the CPU."""
    return str(device).split(":")[0] == "cpu"


def cpu(owner: str, device: Any) -> str:
    """"cpu", or ValueError (`owner: circuitgrad computes with numpy on the CPU; there is no device 'cuda'`)."""
    if not is_cpu(device):
        raise ValueError(f"{owner}: circuitgrad computes with numpy on the CPU; there is no device {str(device)!r}")
    return "cpu"
