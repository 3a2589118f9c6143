"""`cg.save(state_dict, path)` and `cg.load(path)`: PyTorch's way of keeping weights, without pickle.

PyTorch's tutorials save a model with `torch.save(model.state_dict(), "model.pth")` and load it
with `model.load_state_dict(torch.load("model.pth", weights_only=True))`; the same two lines work
with `cg` for `torch`. The file is circuitgrad's `.npz` archive of named arrays (what `nn.save`
writes), under exactly the name given, `.pth` included; a name ending in `.safetensors` is written
in that format instead, which PyTorch reads with `safetensors.torch.load_file`. Nothing is ever
pickled: a pickle can run code when it is loaded. So a file the real `torch.save` wrote (a pickle,
possibly inside a zip) is refused by `load`, with how to save it from PyTorch as safetensors.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from circuitgrad.autograd.checks import is_cpu
from circuitgrad.autograd.graph import Node

from . import serialization

__all__ = ["save", "load"]

SAFETENSORS_HINT = ("save it from PyTorch as safetensors instead: from safetensors.torch import save_file; "
                    "save_file(model.state_dict(), 'model.safetensors'); then cg.load('model.safetensors')")


def _path(op: str, f: Any) -> str:
    try:
        return os.fspath(f)
    except TypeError:
        raise TypeError(f"{op}: expected a file name (str or pathlib.Path), got {type(f).__name__}") from None


def _array(key: str, value: Any) -> np.ndarray:
    if isinstance(value, Node):
        return np.array(value.data)
    if isinstance(value, (Mapping, list, tuple)) or value is None:
        raise TypeError(f"save: {key!r} holds a {type(value).__name__}; cg.save writes one flat dict of named "
                        "arrays (a state dict). An optimizer's state_dict or a checkpoint of several parts is "
                        "not one: save each model's state_dict() to a file of its own")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a PyTorch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


def save(obj: Mapping, f: Any) -> None:
    """Write a state dict (`model.state_dict()`, or any dict of names to arrays, Tensors or PyTorch
    tensors) to the file `f`, whatever its suffix: an `.npz` archive, or safetensors for a name
    ending in `.safetensors`. The file is replaced whole or not at all.

    Raises TypeError for a Module or optimizer (save its `state_dict()`: PyTorch would pickle the
    object, circuitgrad never pickles), a nested dict, or a value that is not an array of real numbers.
    """
    if not isinstance(obj, Mapping):
        hint = " its numbers with cg.save(model.state_dict(), path)" if hasattr(obj, "state_dict") else " a state dict"
        raise TypeError(f"save: got a {type(obj).__name__}; save{hint} (PyTorch can pickle whole objects, "
                        "circuitgrad writes only named arrays)")
    arrays = OrderedDict((key, _array(key, value)) for key, value in obj.items())
    path = _path("save", f)
    if path.endswith((".npz", ".safetensors")):
        serialization.save(arrays, path)
        return
    folder = os.path.dirname(os.path.abspath(path))
    handle, scratch = tempfile.mkstemp(suffix=".npz", dir=folder)
    os.close(handle)
    try:
        serialization.save(arrays, scratch)  # nn.save would add ".npz" to the name; write, then rename
        os.replace(scratch, path)
    finally:
        if os.path.exists(scratch):
            os.remove(scratch)


def _pickled(path: str) -> bool:
    """Whether the file is a pickle, or a zip holding one (what torch.save writes)."""
    with open(path, "rb") as file:
        head = file.read(4)
    if head.startswith(b"\x80"):  # a pickle's protocol marker; torch.save's legacy format starts with it
        return True
    if not head.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith(".pkl") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False  # nn.load words what is wrong with it


def load(f: Any, map_location: Any = None, weights_only: Any = None) -> "OrderedDict[str, np.ndarray]":
    """Read a state dict that `cg.save` (or `nn.save`, or safetensors) wrote, for `model.load_state_dict`:
    an OrderedDict of numpy arrays in the file's order.

    `map_location` may be None or "cpu" (circuitgrad computes on the CPU); `weights_only` may be None
    or True (the file holds only weights anyway). Raises ValueError for a file torch.save wrote
    (a pickle, which circuitgrad never loads: the message says how to save it as safetensors), for
    weights_only=False, another device, or any file that is not a weights file (see nn.load);
    FileNotFoundError for a missing file.
    """
    if weights_only is False:
        raise ValueError("load: weights_only=False asks to unpickle Python objects, which circuitgrad never "
                         "does (a pickle can run code when loaded); its files hold only named arrays")
    if map_location is not None and not is_cpu(map_location):
        raise ValueError(f"load: circuitgrad computes with numpy on the CPU; map_location {str(map_location)!r} "
                         "is not available (leave it out, or use 'cpu')")
    path = _path("load", f)
    if os.path.isfile(path) and not path.endswith(".safetensors") and _pickled(path):
        raise ValueError(f"load: {path!r} was written by torch.save (or holds another pickle), and a pickle can "
                         f"run code when loaded, so circuitgrad never reads one; {SAFETENSORS_HINT}")
    return serialization.load(path)
