"""Weights on disk as a plain `.npz` archive (or `.safetensors`, by the suffix): numbers, never pickles.

A pickle can run arbitrary code when it is loaded, so a weights file shared between people
must not be one. `load` reads the archive itself rather than through `np.load`, because a
file from someone else is untrusted input: it checks every member's zip entry and `.npy`
header (name, encryption, compression, dtype, shape, size against a limit and, when given,
against the model's shapes) before it reads a byte of any array, so a crafted file cannot
make it allocate gigabytes or fail with a zipfile or numpy internal. The bounds are shared
with `.safetensors` files (nn.weights_reader). Every bad file is a ValueError naming the file
and the problem.
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO, Iterator, Mapping, Union

import numpy as np

from .weights_reader import MAX_BYTES, MAX_ENTRIES, BadWeightsFile, Entry, admit, check_count, entry, read_array
from circuitgrad.autograd.checks import is_int

PathType = Union[str, os.PathLike]

MAX_HEADER = 10000       # numpy's own limit on a .npy header (np.load's max_header_size)
MAX_DIRECTORY = 2**24    # bytes of zip directory: MAX_ENTRIES members with names of over 1,000 characters
_EOCD_SEARCH = 22 + 65535  # the zip's end record (22 bytes) sits before a comment of at most 64 KiB
_NPY_MAGIC = b"\x93NUMPY"
# torch.save's legacy (non-zip) format starts with a pickled magic number, 0x1950a86a20f9469cfc6c.
_TORCH_LEGACY = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
TORCH_HINT = ("it is a PyTorch checkpoint (torch.save), not an .npz of arrays; convert it once where you trust "
              "its source: np.savez('weights.npz', **{k: v.numpy() for k, v in "
              "torch.load('model.pt', weights_only=True).items()})")


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
    arrays = {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise TypeError(f"save: every key must be a name (str), got {type(key).__name__} {key!r}")
        array = np.asarray(value)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"save: {key!r} holds {array.dtype} data; only arrays of real numbers can be saved")
        arrays[key] = array
    if path.endswith(".safetensors"):
        from . import safetensors_io
        return safetensors_io.save(arrays, path)
    if not path.endswith(".npz"):
        path += ".npz"
    np.savez(path, **arrays)
    return path


def load(path: PathType, max_bytes: int = MAX_BYTES,
         shapes: Any = None) -> "OrderedDict[str, np.ndarray]":
    """Read a state dict written by `Module.save`, for `model.load_state_dict(nn.load(path))`.

    A path ending in ".safetensors" is read in that format, with the same bounds.
    max_bytes limits the numbers in the file (all arrays together; 64 MiB by default: 8 million
    float64 numbers, far more than a teaching model).
    shapes, a Module or a dict of name -> shape, is checked against each array's declared
    shape before any data is read (`model.load_state_dict(path)` passes the model). Raises
    FileNotFoundError for a missing file and ValueError naming the file and the problem for
    anything that is not an `.npz` archive (or `.safetensors` file) of real-number arrays within
    the limit: a folder, a pickle, a PyTorch checkpoint, text, a corrupt, truncated, encrypted or
    oddly compressed archive, a member that is not an array, an object or complex array, a name
    given twice, more than 10,000 arrays, a shape too large, malformed or unlike the model's.
    """
    path = _path("load", path)
    if not is_int(max_bytes) or max_bytes < 0:
        raise TypeError(f"load: max_bytes must be a whole number of bytes >= 0, got {max_bytes!r}")
    expected = _expected_shapes(shapes)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file {path!r}")
    safetensors = path.endswith(".safetensors")
    kind = ".safetensors" if safetensors else ".npz weights"
    try:
        if os.path.isdir(path):
            raise BadWeightsFile(f"it is a folder, not a {kind} file")
        if safetensors:
            from . import safetensors_io
            return safetensors_io.load(path, max_bytes, expected)
        return _read(path, max_bytes, expected)
    except BadWeightsFile as e:
        raise ValueError(f"load: refusing {path!r}: {e}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, struct.error, NotImplementedError, RuntimeError,
            OverflowError) as e:
        if isinstance(e, (FileNotFoundError, PermissionError)):
            raise
        raise ValueError(f"load: {path!r} is not a readable {kind} file (corrupt or truncated): "
                         f"{_plain(e)}") from None


def _expected_shapes(shapes: Any) -> dict:
    if shapes is None:
        return {}
    if hasattr(shapes, "named_parameters") and hasattr(shapes, "named_buffers"):  # a Module
        pairs = [(k, p.data) for k, p in shapes.named_parameters()] + list(shapes.named_buffers())
        return {k: tuple(np.shape(v)) for k, v in pairs}
    if isinstance(shapes, Mapping):
        return {k: tuple(v) for k, v in shapes.items()}
    raise TypeError(f"load: shapes must be a Module or a dict of name -> shape, got {type(shapes).__name__}")


def _plain(e: Exception) -> str:
    """zipfile's and zlib's messages, in words a user can act on."""
    text = str(e)
    if "Bad CRC-32" in text:
        return "a member's checksum does not match its data"
    if isinstance(e, zlib.error):
        return "a member's compressed data is damaged"
    if isinstance(e, EOFError) or "truncated" in text.lower():
        return "the file ends early"
    return text or type(e).__name__


def _read(path: str, max_bytes: int, expected: dict) -> "OrderedDict[str, np.ndarray]":
    with open(path, "rb") as f:
        head = f.read(len(_TORCH_LEGACY))
    if not head:
        raise BadWeightsFile("the file is empty")
    if head.startswith(_TORCH_LEGACY):
        raise BadWeightsFile(TORCH_HINT)
    if head.startswith(b"\x80"):
        raise BadWeightsFile("it contains pickled Python objects, which could run code when loaded")
    if head.startswith(_NPY_MAGIC):
        raise BadWeightsFile("it holds a single array (.npy), not an .npz archive of named arrays written by "
                             "Module.save")
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise BadWeightsFile(f"it is not an .npz weights file written by Module.save (it starts with {head[:6]!r})")
    _check_directory(path)
    with zipfile.ZipFile(path) as archive:  # reads the zip's directory, once
        infos = archive.infolist()
        if any(i.filename.endswith("/data.pkl") or i.filename == "data.pkl" for i in infos):
            raise BadWeightsFile(TORCH_HINT)
        check_count(len(infos))
        members = admit(_entries(archive, infos, max_bytes), max_bytes, expected)
        arrays = OrderedDict()
        for m in members:
            with archive.open(m.where[0]) as f:
                f.read(m.where[1])
                arrays[m.key] = read_array(f, m)
                f.read(1)  # reaching the end makes zipfile compare the checksum
        return arrays


def _check_directory(path: str) -> None:
    """Refuse a zip whose directory lists more members than any state dict has, or is itself huge,
    from the end record that gives both, before zipfile reads the directory (100,000 entries: seconds)."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - _EOCD_SEARCH))
        tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return  # not a zip's end record: zipfile says what is wrong
        count, directory_size = struct.unpack("<HL", tail[at + 10:at + 16])
        locator = tail.rfind(b"PK\x06\x07", 0, at)
        if locator >= 0 and at - locator == 20:  # zip64: the counts are in the zip64 end record
            f.seek(struct.unpack("<Q", tail[locator + 8:locator + 16])[0])
            record = f.read(56)
            if len(record) == 56 and record.startswith(b"PK\x06\x06"):
                count, directory_size = struct.unpack("<2Q", record[32:48])
    check_count(count)
    if directory_size > MAX_DIRECTORY:
        raise BadWeightsFile(f"its zip directory takes {directory_size} bytes, more than the {MAX_DIRECTORY} that "
                             f"{MAX_ENTRIES} members of long names need")


def _entries(archive: zipfile.ZipFile, infos: list, max_bytes: int) -> Iterator[Entry]:
    """Every member as its zip entry and `.npy` header declare it, data unread."""
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            raise BadWeightsFile(f"member {name!r} is encrypted; weights files are never")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BadWeightsFile(f"member {name!r} uses zip compression method {info.compress_type}; numpy writes "
                                 "only stored (0) or deflated (8) members")
        if not name.endswith(".npy") or info.is_dir():
            raise BadWeightsFile(f"member {name!r} is not a .npy array (an .npz archive holds only NAME.npy arrays)")
        with archive.open(info) as f:
            dtype, shape, fortran, offset = _read_header(f, name)
        e = entry(name[:-4], dtype, shape, max_bytes, fortran, (info, offset))
        held = info.file_size - offset
        if held != e.nbytes:
            which = "is truncated" if held < e.nbytes else "holds extra bytes"
            raise BadWeightsFile(f"entry {e.key!r} {which}: its header declares shape {shape} of {dtype} "
                                 f"({e.nbytes} bytes), the member holds {max(held, 0)}")
        yield e


def _read_header(f: BinaryIO, name: str) -> tuple:
    """(dtype, shape, fortran_order, header length) from a `.npy` header, its length checked first."""
    magic = f.read(8)
    if len(magic) < 8 or not magic.startswith(_NPY_MAGIC):
        raise BadWeightsFile(f"member {name!r} is not a .npy array (it starts with {magic[:6]!r})")
    version = (magic[6], magic[7])
    if version not in ((1, 0), (2, 0)):
        raise BadWeightsFile(f"member {name!r} is a .npy file of format version {version[0]}.{version[1]}; "
                             "numeric arrays use 1.0 or 2.0")
    length_format = "<H" if version == (1, 0) else "<I"
    length_bytes = f.read(struct.calcsize(length_format))
    if len(length_bytes) < struct.calcsize(length_format):
        raise BadWeightsFile(f"member {name!r} ends inside its .npy header (truncated)")
    length = struct.unpack(length_format, length_bytes)[0]
    if length > MAX_HEADER:  # numpy would read it all first, then call it a possible pickle
        raise BadWeightsFile(f"member {name!r} has a .npy header of {length} bytes, over numpy's limit of "
                             f"{MAX_HEADER} (an array's header takes about 100)")
    header = f.read(length)
    if len(header) < length:
        raise BadWeightsFile(f"member {name!r} ends inside its .npy header (truncated)")
    parse = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    try:
        shape, fortran, dtype = parse(io.BytesIO(length_bytes + header), max_header_size=MAX_HEADER)
    except Exception as e:  # numpy's parser raises ValueError, SyntaxError or tokenize.TokenError by version
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise BadWeightsFile(f"member {name!r} has a malformed .npy header: {detail}") from None
    return np.dtype(dtype), tuple(int(d) for d in shape), bool(fortran), len(magic) + len(length_bytes) + length
