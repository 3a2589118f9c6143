"""Dtypes as PyTorch has them: float, integer and bool tensors, the default float dtype, and the
rule that decides the dtype of `a + b` when the two differ (type promotion).

The names (`float32`, `long`, `bool`, ...) are numpy dtypes, so `t.dtype == cg.float32` and
`t.dtype == np.float32` both hold. Only float tensors take part in differentiation: an integer
or bool tensor is data (labels, indices, masks) and never requires grad, as in PyTorch.

The default float dtype is float64 here (PyTorch's is float32): finite-difference checks need
the precision. `set_default_dtype(cg.float32)` switches it, as `torch.set_default_dtype` does;
it is the one documented global of this file. What it decides: the dtype of floats from Python
numbers (`tensor([0.5])`, `Tensor([1, 2])`), of the factories (`zeros`, `randn`, ...) and of new
layers' parameters. An array that already has a float dtype keeps it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

# PyTorch's names as the umbrella package exports them (`cg.float`, `cg.int`, `cg.bool`): they
# would shadow Python's builtins inside this file, so they live in a table.
NAMES = {"float16": float16, "half": half, "float32": float32, "float": float32, "float64": float64,
         "double": double, "uint8": uint8, "int8": int8, "int16": int16, "short": short, "int32": int32,
         "int": int32, "int64": int64, "long": long, "bool": bool_}

# torch's `x.type()` strings, for learners who compare against them.
_TYPE_NAMES = {float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor", uint8: "ByteTensor",
               int8: "CharTensor", int16: "ShortTensor", int32: "IntTensor", int64: "LongTensor", bool_: "BoolTensor"}

_default = [float64]  # the documented switch: set_default_dtype


def get_default_dtype() -> np.dtype:
    """The dtype floats from Python numbers and the factories get (float64 unless changed)."""
    return _default[0]


def set_default_dtype(dtype: Any) -> None:
    """Change the default float dtype (float16, float32 or float64), as `torch.set_default_dtype`.
    Raises TypeError for anything that is not a float dtype."""
    kind = as_dtype("set_default_dtype", dtype)
    if kind.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {kind}")
    _default[0] = kind


def as_dtype(op: str, dtype: Any) -> np.dtype:
    """`dtype` as a numpy dtype: a numpy dtype or type, a name ("float32", "long", "torch.int64"),
    Python's `float`/`int`/`bool`, or a torch dtype. Raises TypeError for anything else, and for
    complex and string dtypes (circuitgrad has float, integer and bool tensors)."""
    name = str(dtype)
    if name.startswith("torch."):
        dtype = name[len("torch."):]
    if isinstance(dtype, str) and dtype in NAMES:
        return NAMES[dtype]
    try:
        kind = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype (use cg.float32, cg.float64, cg.int64, cg.bool)") from None
    if kind.kind not in "biuf":
        raise TypeError(f"{op}: dtype must be a float, integer or bool type, got {kind}")
    return kind


def type_name(dtype: np.dtype) -> str:
    """PyTorch's `x.type()` string for a dtype (`torch.FloatTensor` for float32)."""
    return "torch." + _TYPE_NAMES.get(np.dtype(dtype), f"{np.dtype(dtype)}Tensor")


# ---- type promotion --------------------------------------------------------------------------------

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def promote(a: Any, b: Any, a_number: bool = False, b_number: bool = False) -> np.dtype:
    """The dtype of an op on arrays `a` and `b`, by PyTorch's rule (numpy's differs for int64 with
    float32, and for a 0-d operand).

    Operands rank by kind: bool < integer < float. The result has the highest kind present; its
    dtype comes from the operands of that kind that rank highest by shape (a tensor with dims over a
    0-d tensor over a Python number). A Python number of a higher kind does not widen a tensor's
    dtype: `int64 + 0.5` is the default float dtype, `float32 * 2.0` stays float32.
    """
    ranked = [(_CATEGORY[x.dtype.kind], 0 if number else 1 if x.ndim == 0 else 2, x.dtype)
              for x, number in ((a, a_number), (b, b_number))]
    top = max(c for c, _, _ in ranked)
    best = max(r for c, r, _ in ranked if c == top)
    if best == 0:  # the top kind comes from Python numbers only
        return (bool_, int64, get_default_dtype())[top]
    found = [d for c, r, d in ranked if c == top and r == best]
    return np.promote_types(*found) if len(found) == 2 else found[0]


__all__ = ["float16", "half", "float32", "float64", "double", "uint8", "int8", "int16", "short", "int32",
           "int64", "long", "bool_", "NAMES", "get_default_dtype", "set_default_dtype", "as_dtype", "promote",
           "type_name"]
