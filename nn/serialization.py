"""Weights on disk as a plain `.npz` archive (or `.safetensors`, by the suffix): numbers, never pickles.

A pickle can run arbitrary code when it is loaded, so a weights file shared between people
must not be one. `load` opens archives with `allow_pickle=False` and refuses anything that
is not an archive of numeric arrays, saying what it found instead.
"""
from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from typing import Any, Mapping, Union

import numpy as np

PathType = Union[str, os.PathLike]


def _path(op: str, path: Any) -> str:
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"{op}: path must be a file name (str or pathlib.Path), "
                        f"got {type(path).__name__} {path!r}") from None


def save(state: Mapping[str, np.ndarray], path: PathType) -> str:
    """Write a state dict to `path` (".npz" is appended if missing, as numpy does; a path ending in
    ".safetensors" is written in that format, see nn.safetensors_io); returns the path.

    Raises TypeError for a state that is not a mapping of names to arrays of real numbers.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"save: state must be a dict of named arrays such as model.state_dict(), "
                        f"got {type(state).__name__}")
    path = _path("save", path)
    if path.endswith(".safetensors"):
        from . import safetensors_io
        return safetensors_io.save(state, path)
    if not path.endswith(".npz"):
        path += ".npz"
    arrays = {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise TypeError(f"save: every key must be a name (str), got {type(key).__name__} {key!r}")
        array = np.asarray(value)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"save: {key!r} holds {array.dtype} data; only arrays of real numbers can be saved")
        arrays[key] = array
    np.savez(path, **arrays)
    return path


def load(path: PathType) -> "OrderedDict[str, np.ndarray]":
    """Read a state dict written by `Module.save`, for `model.load_state_dict(nn.load(path))`.

    A path ending in ".safetensors" is read in that format (needs the safetensors package).

    Raises FileNotFoundError for a missing file and ValueError for a file that is not an
    `.npz` archive of real-number arrays (corrupt, truncated, a pickle, text, an object or
    complex array).
    """
    path = _path("load", path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file {path!r}")
    if path.endswith(".safetensors"):
        from . import safetensors_io
        return safetensors_io.load(path)
    try:
        with open(path, "rb") as f:
            head = f.read(6)
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive of named arrays written by Module.save")
        try:
            state = OrderedDict((key, archive[key]) for key in archive.files)
        finally:
            archive.close()
    except ValueError as e:
        # numpy takes any file that is neither a zip nor an .npy for a pickle; only b"\x80" starts one
        if "pickle" not in str(e).lower():
            reason = str(e)
        elif head.startswith((b"PK", b"\x93NUMPY", b"\x80")):
            reason = "it contains pickled Python objects, which could run code when loaded"
        else:
            reason = f"it is not an .npz weights file written by Module.save (it starts with {head!r})"
        raise ValueError(f"load: refusing {path!r}: {reason}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"load: {path!r} is not a readable .npz weights file (corrupt or truncated?): {e}") from None
    for key, array in state.items():
        if array.dtype.kind not in "fiub":
            raise ValueError(f"load: refusing {path!r}: entry {key!r} has dtype {array.dtype}, not real numbers")
    return state
