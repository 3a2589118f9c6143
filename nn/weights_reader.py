"""Reading a weights file someone else wrote: the bounds `.npz` and `.safetensors` share.

A weights file is untrusted input. Each format's reader (nn.serialization for `.npz`,
nn.safetensors_io for `.safetensors`) first declares every entry from headers alone: its
name, dtype, shape and where its bytes are. `admit` checks them all (how many, real numbers,
a shape numpy can make, no name twice, the size against `max_bytes`, the shape against the
model's) before a byte of any array is read or a buffer is allocated; `read_array` then reads
each entry in chunks into one buffer of exactly the declared size. A crafted file can
neither make `load` allocate more than `max_bytes` nor fail with a zipfile, json or numpy internal.
"""
from __future__ import annotations

import math
from typing import Any, BinaryIO, Iterable, NamedTuple

import numpy as np

MAX_BYTES = 64 * 2**20  # default limit on the numbers in one file; a teaching model is a few MB (LeNet-5: 0.24)
MAX_ENTRIES = 10000      # a state dict: ResNet-152 has about 900 entries, GPT-2 about 150
CHUNK = 2**20            # bytes read at a time, so reading never holds more than the array itself


class BadWeightsFile(ValueError):
    """One problem with one weights file (internal: `load` words it with the file's name)."""


class Entry(NamedTuple):
    """One array as its file's header declares it, data unread."""

    key: str
    dtype: np.dtype
    shape: tuple
    fortran: bool
    nbytes: int
    where: Any  # what the format's reader needs to find the bytes (a zip member, an offset)


def check_count(count: int) -> None:
    """Refuse a file of more entries than any state dict has, before reading their headers."""
    if count > MAX_ENTRIES:
        raise BadWeightsFile(f"it holds {count} entries, more than the {MAX_ENTRIES} a state dict could need")


def entry(key: str, dtype: np.dtype, shape: tuple, max_bytes: int, fortran: bool = False,
          where: Any = None) -> Entry:
    """An Entry once its dtype holds real numbers and its shape is one numpy can make, of at most
    `max_bytes`; `what` in the messages is the entry's name."""
    if dtype.kind not in "fiub":
        what = "Python objects, which would need pickle" if dtype.kind == "O" else f"{dtype} data"
        raise BadWeightsFile(f"entry {key!r} has dtype {dtype}, not real numbers ({what})")
    if any(d < 0 for d in shape):
        raise BadWeightsFile(f"entry {key!r} declares the impossible shape {shape}")
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: (2**40,) cannot overflow
    if nbytes > max_bytes:
        raise BadWeightsFile(f"entry {key!r} declares shape {shape} of {dtype}: {size(nbytes)}, more than "
                             f"the limit of {size(max_bytes)} (max_bytes={max_bytes}; raise it if you trust the file)")
    try:  # an empty array can still have too many dimensions, or dimensions past numpy's index type
        np.lib.stride_tricks.as_strided(np.empty(0, dtype), shape=shape, strides=(0,) * len(shape))
    except (ValueError, OverflowError) as e:
        raise BadWeightsFile(f"entry {key!r} declares the shape {shape}, which numpy cannot make ({e})") from None
    return Entry(key, dtype, shape, fortran, nbytes, where)


def admit(entries: Iterable[Entry], max_bytes: int, expected: dict) -> list:
    """All entries, once no name comes twice, each shape is the model's (where `expected` names
    it) and together they hold at most `max_bytes`; checked as the headers are read."""
    admitted, seen, total = [], set(), 0
    for e in entries:
        if e.key in seen:
            raise BadWeightsFile(f"entry {e.key!r} appears twice")
        seen.add(e.key)
        want = expected.get(e.key)
        if want is not None and e.shape != want:
            raise BadWeightsFile(f"entry {e.key!r}: shape {e.shape} in the file, {want} in the model")
        total += e.nbytes
        if total > max_bytes:
            raise BadWeightsFile(f"its arrays hold more than {size(max_bytes)} (max_bytes={max_bytes}; "
                                 f"raise it if you trust the file)")
        admitted.append(e)
    return admitted


def read_array(f: BinaryIO, e: Entry) -> np.ndarray:
    """The entry's bytes from `f` (positioned at them), read in chunks into one buffer of exactly
    the declared size. Raises EOFError when the stream ends first."""
    buffer = bytearray(e.nbytes)
    view = memoryview(buffer)
    done = 0
    while done < e.nbytes:
        got = f.readinto(view[done:done + CHUNK])
        if not got:
            raise EOFError("truncated")
        done += got
    return np.frombuffer(buffer, dtype=e.dtype).reshape(e.shape, order="F" if e.fortran else "C")


def size(n: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"
