"""A .safetensors file written by hand, as the format says (8 bytes of header length, the JSON header,
the arrays' bytes), so tests can craft bad files and read good ones without the safetensors package."""
from __future__ import annotations

import json
import struct

import numpy as np


def safetensors_bytes(arrays: dict, header: dict = None, text: bytes = None, extra: bytes = b"") -> bytes:
    """The file for `arrays`; `header` entries replace or add to the declared ones, `text` replaces the
    whole JSON, `extra` is appended to the data."""
    declared, data = {}, b""
    for key, a in arrays.items():
        a = np.asarray(a)
        kind = "BOOL" if a.dtype == bool else {"f": "F", "i": "I", "u": "U"}[a.dtype.kind] + str(8 * a.itemsize)
        declared[key] = {"dtype": kind, "shape": list(a.shape), "data_offsets": [len(data), len(data) + a.nbytes]}
        data += a.astype(a.dtype.newbyteorder("<")).tobytes()
    declared.update(header or {})
    text = json.dumps(declared).encode() if text is None else text
    return struct.pack("<Q", len(text)) + text + data + extra
