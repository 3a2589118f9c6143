"""Weights as `.safetensors`, PyTorch's safe format: a JSON header and raw arrays, nothing to execute.

A file written here loads in PyTorch with `safetensors.torch.load_file(path)` (and the other
way round), so a model trained in circuitgrad can continue in PyTorch. Needs the optional
`safetensors` package (circuitgrad's `safetensors` extra); `nn.save` and `nn.load` pick this
format for paths ending in ".safetensors".
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

import numpy as np


def _module(op: str) -> Any:
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError(f"{op}: writing and reading .safetensors files needs the safetensors package: "
                          "pip install safetensors (or circuitgrad[safetensors]); or save to a .npz file") from None
    return st


def save(arrays: Mapping[str, np.ndarray], path: str) -> str:
    """Write named real-number arrays (checked by nn.serialization.save) to `path`, a .safetensors file."""
    st = _module("save")
    arrays = {key: np.array(a, order="C") for key, a in arrays.items()}  # the raw buffer is written: contiguous
    st.save_file(arrays, path)
    return path


def load(path: str) -> "OrderedDict[str, np.ndarray]":
    """Read the named arrays of a .safetensors file, in the file's order. Raises ValueError for a file that
    is not one (corrupt, truncated, another format)."""
    st = _module("load")
    try:
        state = st.load_file(path)
    except Exception as e:  # safetensors raises its own SafetensorError for a bad header
        raise ValueError(f"load: {path!r} is not a readable .safetensors file: {e}") from None
    for key, array in state.items():
        if array.dtype.kind not in "fiub":
            raise ValueError(f"load: refusing {path!r}: entry {key!r} has dtype {array.dtype}, not real numbers")
    return OrderedDict(state)
