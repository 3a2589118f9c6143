"""Weights as `.safetensors`, PyTorch's safe format: a JSON header and raw arrays, nothing to execute.

A file written here loads in PyTorch with `safetensors.torch.load_file(path)` (and the other
way round), so a model trained in circuitgrad can continue in PyTorch. Writing needs the
optional `safetensors` package (circuitgrad's `safetensors` extra); reading does not: the
format is 8 bytes of header length, the JSON header (`{"name": {"dtype": "F32", "shape": [2, 3],
"data_offsets": [0, 24]}, ...}`) and the arrays' bytes, and `load` reads it itself so that the
header is checked against the same bounds as an `.npz` (nn.weights_reader) before any array
is read. `nn.save` and `nn.load` pick this format for paths ending in ".safetensors".
"""
from __future__ import annotations

import json
import os
import struct
from collections import OrderedDict
from typing import Any, Iterator, Mapping

import numpy as np

from .weights_reader import BadWeightsFile, Entry, admit, check_count, entry, read_array

# The format's dtype names, as numpy dtypes (the data is little-endian). BF16 and the 8-bit floats
# have no numpy dtype: such a file is refused with a hint.
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}
MAX_HEADER = 2**24  # bytes of JSON: 10,000 entries (weights_reader.MAX_ENTRIES) of long names fit in it


def _module(op: str) -> Any:
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError(f"{op}: writing .safetensors files needs the safetensors package: "
                          "pip install safetensors (or circuitgrad[safetensors]); or save to a .npz file") from None
    return st


def save(arrays: Mapping[str, np.ndarray], path: str) -> str:
    """Write named real-number arrays (checked by nn.serialization.save) to `path`, a .safetensors file."""
    st = _module("save")
    arrays = {key: np.array(a, order="C") for key, a in arrays.items()}  # the raw buffer is written: contiguous
    st.save_file(arrays, path)
    return path


def load(path: str, max_bytes: int, expected: dict) -> "OrderedDict[str, np.ndarray]":
    """The named arrays of a .safetensors file, in the file's order, once its header is within the
    bounds (see nn.serialization.load). Raises BadWeightsFile for a file that is not one, OSError
    or EOFError when it cannot be read to the end."""
    with open(path, "rb") as f:
        length_bytes = f.read(8)
        if not length_bytes:
            raise BadWeightsFile("the file is empty")
        if len(length_bytes) < 8:
            raise BadWeightsFile("it ends inside the 8 bytes that give its header's length")
        length = struct.unpack("<Q", length_bytes)[0]
        if length > MAX_HEADER:
            raise BadWeightsFile(f"its header declares {length} bytes of JSON, over the limit of {MAX_HEADER} "
                                 "(it is not a .safetensors file, or a damaged one)")
        text = f.read(length)
        if len(text) < length:
            raise BadWeightsFile("it ends inside its JSON header (truncated)")
        header = _parse(text)
        data_start = 8 + length
        data_size = os.fstat(f.fileno()).st_size - data_start
        entries = admit(_entries(header, max_bytes, data_size), max_bytes, expected)
        arrays = OrderedDict()
        for e in entries:
            f.seek(data_start + e.where)
            arrays[e.key] = read_array(f, e)
        return arrays


def _parse(text: bytes) -> dict:
    """The JSON header as a dict, refusing a name given twice (JSON would keep the last)."""

    def unique(pairs: list) -> dict:
        found = dict(pairs)
        if len(found) < len(pairs):
            twice = next(k for i, (k, _) in enumerate(pairs) if any(k == other for other, _ in pairs[:i]))
            raise BadWeightsFile(f"entry {twice!r} appears twice")
        return found

    if not text.lstrip().startswith(b"{"):
        raise BadWeightsFile(f"it is not a .safetensors file (its header starts with {text[:6]!r}, not a JSON object)")
    try:
        return json.loads(text.decode("utf-8"), object_pairs_hook=unique)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        if isinstance(e, BadWeightsFile):
            raise
        raise BadWeightsFile(f"its JSON header is malformed: {str(e).splitlines()[0]}") from None


def _entries(header: dict, max_bytes: int, data_size: int) -> Iterator[Entry]:
    """Every array the header declares, checked against the format and the bytes the file holds."""
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise BadWeightsFile("its __metadata__ is not a map of names to strings")
    check_count(len(header))
    spans = []
    for key, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise BadWeightsFile(f"entry {key!r} is not {{dtype, shape, data_offsets}}: {str(info)[:80]}")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(dtype, str) or dtype not in DTYPES:
            hint = "; convert it in PyTorch first (tensor.float())" if dtype in ("BF16", "F8_E4M3", "F8_E5M2") else ""
            raise BadWeightsFile(f"entry {key!r} has dtype {str(dtype)[:20]!r}, which numpy cannot hold{hint}")
        if not isinstance(shape, list) or not all(type(d) is int for d in shape):
            raise BadWeightsFile(f"entry {key!r} has the malformed shape {str(shape)[:80]}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(type(o) is int for o in offsets)
                or not 0 <= offsets[0] <= offsets[1]):
            raise BadWeightsFile(f"entry {key!r} has the malformed data_offsets {str(offsets)[:80]}")
        e = entry(key, np.dtype(DTYPES[dtype]), tuple(shape), max_bytes, where=offsets[0])
        if offsets[1] - offsets[0] != e.nbytes:
            raise BadWeightsFile(f"entry {key!r} declares shape {e.shape} of {e.dtype} ({e.nbytes} bytes) "
                                 f"but data_offsets {offsets} ({offsets[1] - offsets[0]} bytes)")
        spans.append(offsets)
        yield e
    # The arrays tile the data exactly, as the format requires: no overlap, no gap, nothing after.
    end = 0
    for start, stop in sorted(spans):
        if start != end:
            raise BadWeightsFile(f"its arrays {'overlap' if start < end else 'leave a gap'} at byte {min(start, end)} "
                                 "of the data")
        end = stop
    if end != data_size:
        which = "ends early" if end > data_size else "holds bytes no array declares"
        raise BadWeightsFile(f"it {which}: the header declares {end} bytes of data, the file holds {data_size}")
