"""Weights on disk as a plain `.npz` archive: arrays of numbers, never pickled objects.

A pickle can run arbitrary code when it is loaded, so a weights file shared between people
must not be one. `load` opens archives with `allow_pickle=False` and refuses anything that
is not an archive of numeric arrays, saying what it found instead.
"""
from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from typing import Mapping, Union

import numpy as np

PathType = Union[str, os.PathLike]


def save(state: Mapping[str, np.ndarray], path: PathType) -> str:
    """Write a state dict to `path` (".npz" is appended if missing, as numpy does); returns the path."""
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    arrays = {}
    for key, value in state.items():
        array = np.asarray(value)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"save: {key!r} holds {array.dtype} data; only numeric arrays can be saved")
        arrays[key] = array
    np.savez(path, **arrays)
    return path


def load(path: PathType) -> "OrderedDict[str, np.ndarray]":
    """Read a state dict written by `Module.save`, for `model.load_state_dict(nn.load(path))`.

    Raises FileNotFoundError for a missing file and ValueError for a file that is not an
    `.npz` archive of numeric arrays (corrupt, truncated, a pickle, or an object array).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file {path!r}")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive of named arrays written by Module.save")
        try:
            state = OrderedDict((key, archive[key]) for key in archive.files)
        finally:
            archive.close()
    except ValueError as e:
        reason = ("it contains pickled Python objects, which could run code when loaded"
                  if "pickle" in str(e).lower() else str(e))
        raise ValueError(f"load: refusing {path!r}: {reason}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"load: {path!r} is not a readable .npz weights file (corrupt or truncated?): {e}") from None
    for key, array in state.items():
        if array.dtype.kind not in "fiub":
            raise ValueError(f"load: refusing {path!r}: entry {key!r} has dtype {array.dtype}, not numbers")
    return state
