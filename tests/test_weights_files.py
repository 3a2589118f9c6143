"""Crafted weights files: every bad one is a ValueError naming the file and the problem, found from
the zip entries and `.npy` headers before any array data is read (issue 14, items 8 to 10)."""
from __future__ import annotations

import io
import pickle
import re
import struct
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor
from circuitgrad.nn import serialization
from crafted_safetensors import safetensors_bytes


# ---- building files by hand -----------------------------------------------------------------------------------

def npy(array: np.ndarray) -> bytes:
    """An array as the bytes of a .npy file, as np.save writes it."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple, descr: str = "<f8", version: tuple = (1, 0), length: int = None,
               text: str = None) -> bytes:
    """A .npy header only: magic, version, header length and the header dict (padded to `length`)."""
    text = text if text is not None else f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    body = text.encode("latin1")
    length = length or len(body) + 1
    body = body.ljust(length - 1) + b"\n"
    size = struct.pack("<H" if version == (1, 0) else "<I", len(body))
    return b"\x93NUMPY" + bytes(version) + size + body


def write_zip(path, members: dict, method: int = zipfile.ZIP_STORED) -> str:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return str(path)


def raw_zip(path, entries: list) -> str:
    """A zip written field by field, for what zipfile refuses to write: each entry a dict of name,
    data (as stored), and optionally method, flags, crc, file_size (the declared uncompressed size)."""
    out, central = bytearray(), bytearray()
    for e in entries:
        name, data = e["name"].encode(), e["data"]
        method, flags = e.get("method", 0), e.get("flags", 0)
        crc = e.get("crc", zlib.crc32(data) if method == 0 else 0)
        size = e.get("file_size", len(data))
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc, len(data), size,
                           len(name), 0) + name + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, method, 0, 0x21, crc, len(data), size,
                               len(name), 0, 0, 0, 0, 0, offset) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(out), 0)
    with open(path, "wb") as f:
        f.write(bytes(out + central + end))
    return str(path)


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate, as zip stores it
    return c.compress(data) + c.flush()


def refused(path, match: str, **options) -> str:
    """Load `path`; it must be a ValueError naming the file and matching `match`. Returns the message."""
    with pytest.raises(ValueError) as info:
        nn.load(path, **options)
    message = str(info.value)
    assert str(path) in message, message
    assert match in message, message
    for internal in ("Traceback", "_read", "zipfile.", "np.lib"):
        assert internal not in message, message
    return message


# ---- PyTorch checkpoints ----------------------------------------------------------------------------------------

def test_a_torch_save_checkpoint_is_named_and_the_conversion_given(tmp_path, torch):
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 1).state_dict(), path)
    message = refused(path, "it is a PyTorch checkpoint (torch.save)")
    assert "np.savez(" in message and "torch.load(" in message and "weights_only=True" in message
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    refused(legacy, "PyTorch checkpoint")


def test_a_checkpoint_shaped_zip_is_named_without_torch(tmp_path):
    # torch.save writes a zip of <name>/data.pkl, <name>/data/0, ...: recognised by its layout alone
    path = write_zip(tmp_path / "model.pt", {"model/data.pkl": pickle.dumps({"w": 1}), "model/version": b"3\n",
                                             "model/data/0": b"\0" * 8})
    refused(path, "PyTorch checkpoint")


# ---- members that are not arrays ------------------------------------------------------------------------------

def test_a_member_that_is_not_npy(tmp_path):
    path = write_zip(tmp_path / "notes.npz", {"weight.npy": npy(np.ones(2)), "README.txt": b"hello"})
    refused(path, "member 'README.txt' is not a .npy array")
    path = write_zip(tmp_path / "text.npz", {"weight.npy": b"just some text, not an array"})
    refused(path, "member 'weight.npy' is not a .npy array (it starts with b'just s')")
    path = write_zip(tmp_path / "folder.npz", {"sub/": b""})
    refused(path, "member 'sub/' is not a .npy array")


def test_an_encrypted_member(tmp_path):
    path = raw_zip(tmp_path / "locked.npz", [dict(name="w.npy", data=npy(np.ones(2)), flags=0x1)])
    refused(path, "member 'w.npy' is encrypted")


@pytest.mark.parametrize("method", [99, 12, 14])  # AES, bzip2, LZMA: numpy never writes them
def test_an_unknown_compression_method(tmp_path, method):
    path = raw_zip(tmp_path / "odd.npz", [dict(name="w.npy", data=npy(np.ones(2)), method=method)])
    refused(path, f"uses zip compression method {method}; numpy writes only stored (0) or deflated (8)")


@pytest.mark.parametrize("header, match", [
    (npy_header((2,), descr="|O"), "entry 'w' has dtype object, not real numbers (Python objects, which would "
                                   "need pickle)"),
    (npy_header((2,), descr="<c16"), "entry 'w' has dtype complex128, not real numbers"),
    (npy_header((2,), descr="<U3"), "entry 'w' has dtype <U3, not real numbers"),
    (npy_header((2, -3)), "declares the impossible shape (2, -3)"),
    (npy_header((2,), text="{'descr': '<f8', 'shape': (2,)}"), "malformed .npy header"),
    (npy_header((2,), text="print('hello')"), "malformed .npy header"),
    (npy_header((2,), text="{'descr': '<f8', 'fortran_order': False, 'shape': (2.5,), }"), "malformed .npy header"),
    # numpy's parser raised tokenize.TokenError for an unbalanced bracket
    (npy_header((2,), text="{'descr': '<f8', 'fortran_order': False, 'shape': (2, }"), "malformed .npy header"),
    (npy_header((2,), text="{'descr': '<f8', 'fortran_order': False, 'shape': [(2, "), "malformed .npy header"),
    # shapes numpy cannot make even empty: numpy's reshape message escaped without the file's name
    (npy_header((1,) * 65), "declares the shape (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1"),
    (npy_header((0, 2**63)), "declares the shape (0, 9223372036854775808), which numpy cannot make"),
    (npy_header((0, 2**62, 2**62)), "declares the shape (0, 4611686018427387904, 4611686018427387904), which "
                                    "numpy cannot make"),
    (npy_header((2,), version=(3, 0)), "format version 3.0"),
    (npy_header((2,), version=(9, 9)), "format version 9.9"),
    (b"\x93NUMPY\x01\x00\x40", "ends inside its .npy header"),
    (npy_header((2,))[:20], "ends inside its .npy header"),
])
def test_bad_npy_headers(tmp_path, header, match):
    path = write_zip(tmp_path / "bad.npz", {"w.npy": header + b"\0" * 16})
    refused(path, match)


# ---- sizes: declared shapes against the limit, the data and the model -------------------------------------------

def test_a_shape_of_2_to_the_40_is_refused_from_its_header(tmp_path):
    path = write_zip(tmp_path / "huge.npz", {"w.npy": npy_header((2**40,))})  # 140 bytes on disk
    message = refused(path, "entry 'w' declares shape (1099511627776,) of float64: 8 TiB, more than the limit")
    assert "max_bytes=" in message
    path = write_zip(tmp_path / "huge2.npz", {"w.npy": npy_header((2**62, 2**62))})  # the product overflows int64
    refused(path, "declares shape (4611686018427387904, 4611686018427387904)")


def test_a_header_over_numpys_limit_is_not_called_a_pickle(tmp_path):
    for version, length in (((1, 0), 60000), ((2, 0), 20000), ((2, 0), 2**31)):
        header = npy_header((2,), version=version, length=min(length, 60000))
        if length > 60000:  # declare 2 GiB of header but store only the start of it
            header = header[:8] + struct.pack("<I", length) + header[12:100]
        path = write_zip(tmp_path / f"header{length}.npz", {"w.npy": header})
        message = refused(path, f"member 'w.npy' has a .npy header of {length} bytes, over numpy's limit of 10000")
        assert "pickle" not in message


def test_the_limit_is_a_parameter_and_counts_every_member(tmp_path):
    path = write_zip(tmp_path / "w.npz", {"a.npy": npy(np.zeros(1000)), "b.npy": npy(np.zeros(1000))},
                     zipfile.ZIP_DEFLATED)
    assert nn.load(path)["a"].shape == (1000,)
    refused(path, "entry 'a' declares shape (1000,) of float64: 7.81 KiB, more than the limit of 3.91 KiB",
            max_bytes=4000)
    refused(path, "its arrays hold more than 9.77 KiB (max_bytes=10000", max_bytes=10000)  # 8000 + 8000
    assert len(nn.load(path, max_bytes=16000)) == 2
    with pytest.raises(TypeError, match="max_bytes must be a whole number of bytes >= 0, got -1"):
        nn.load(path, max_bytes=-1)
    with pytest.raises(TypeError, match="shapes must be a Module or a dict"):
        nn.load(path, shapes=[1, 2])


def test_a_small_file_declaring_a_big_array_is_refused_lowered_limit(tmp_path):
    # The honest small equivalent of issue 14's 2 MB file holding a deflated 2 GiB member.
    zeros = npy(np.zeros(2**17))  # 1 MiB of numbers, deflated to about 1 KB
    path = write_zip(tmp_path / "bomb.npz", {"w.npy": zeros}, zipfile.ZIP_DEFLATED)
    assert (tmp_path / "bomb.npz").stat().st_size < 4000
    refused(path, "entry 'w' declares shape (131072,) of float64: 1 MiB, more than the limit of 64 KiB",
            max_bytes=2**16)


def test_a_real_zip_bomb_is_refused_at_once_without_memory(tmp_path):
    # One member declaring 2 GiB of float64 zeros, deflated to about 2 MB: built from one deflated MiB
    # of zeros repeated (each block ends in a full flush, so they join into one valid stream).
    header = npy_header((2**28,))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(2**20)) + c.flush(zlib.Z_FULL_FLUSH)
    stream = start + block * 2048 + c.flush()
    path = raw_zip(tmp_path / "bomb.npz", [dict(name="w.npy", data=stream, method=8, crc=0,
                                                file_size=len(header) + 2**31)])
    assert (tmp_path / "bomb.npz").stat().st_size < 4 * 2**20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        refused(path, "entry 'w' declares shape (268435456,) of float64: 2 GiB, more than the limit of 64 MiB")
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seconds < 0.5 and peak < 4 * 2**20, (seconds, peak)


def test_a_stream_longer_than_declared_is_read_only_as_far_as_declared(tmp_path):
    # The zip entry says 96 bytes; the deflated stream holds 64 MiB. Only the 96 are decompressed.
    data = npy(np.arange(2.0))
    path = raw_zip(tmp_path / "long.npz", [dict(name="w.npy", data=deflate(data + bytes(2**26)), method=8,
                                                crc=zlib.crc32(data), file_size=len(data))])
    tracemalloc.start()
    try:
        state = nn.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert state["w"].tolist() == [0.0, 1.0] and peak < 4 * 2**20


@pytest.mark.parametrize("data, match", [
    (npy_header((100,)) + bytes(80), "entry 'w' is truncated: its header declares shape (100,) of float64 "
                                     "(800 bytes), the member holds 80"),
    (npy_header((2,)) + bytes(24), "entry 'w' holds extra bytes"),
])
def test_a_member_whose_data_does_not_match_its_shape(tmp_path, data, match):
    refused(write_zip(tmp_path / "short.npz", {"w.npy": data}), match)


def test_truncated_and_damaged_files(tmp_path):
    good = nn.Linear(3, 2).save(tmp_path / "good.npz")
    data = open(good, "rb").read()
    for cut in (len(data) // 2, len(data) - 10, 30):
        (tmp_path / "cut.npz").write_bytes(data[:cut])
        refused(tmp_path / "cut.npz", "is not a readable .npz weights file (corrupt or truncated)")
    (tmp_path / "empty.npz").write_bytes(b"")
    refused(tmp_path / "empty.npz", "the file is empty")
    # one flipped byte in the numbers: the checksum says so
    stored = npy(np.arange(4.0))
    path = raw_zip(tmp_path / "flipped.npz", [dict(name="w.npy", data=stored[:-1] + b"\x01",
                                                   crc=zlib.crc32(stored))])
    refused(path, "a member's checksum does not match its data")
    # damaged deflate data
    path = raw_zip(tmp_path / "damaged.npz", [dict(name="w.npy", data=b"\xff" * 200, method=8, file_size=200)])
    refused(path, "corrupt or truncated")
    # the deflated stream stops before the declared size
    path = raw_zip(tmp_path / "short.npz", [dict(name="w.npy", data=deflate(stored)[:20], method=8,
                                                 crc=zlib.crc32(stored), file_size=len(stored))])
    refused(path, "corrupt or truncated")


def test_a_member_given_twice(tmp_path):
    path = raw_zip(tmp_path / "twice.npz", [dict(name="w.npy", data=npy(np.ones(2))),
                                            dict(name="w.npy", data=npy(np.zeros(2)))])
    refused(path, "entry 'w' appears twice")


def test_shapes_are_checked_against_the_model_before_any_data_is_read(tmp_path):
    model = nn.Linear(3, 2)
    before = model.state_dict()
    # bias declares the model's shape but its bytes are damaged: a shape error first means no data was read
    bias = npy(np.zeros(2))
    path = raw_zip(tmp_path / "w.npz", [dict(name="weight.npy", data=npy(np.ones((3, 3)))),
                                        dict(name="bias.npy", data=bias, crc=zlib.crc32(bias) ^ 1)])
    with pytest.raises(ValueError, match=r"refusing .*w.npz.: entry 'weight': shape \(3, 3\) in the file, "
                                         r"\(2, 3\) in the model"):
        model.load_state_dict(path)
    with pytest.raises(ValueError, match="entry 'weight': shape"):
        nn.load(path, shapes=model)
    with pytest.raises(ValueError, match="entry 'weight': shape"):
        nn.load(path, shapes={"weight": (2, 3)})
    refused(path, "checksum does not match")  # without the model, the damaged bias is found
    assert all(np.array_equal(v, before[k]) for k, v in model.state_dict().items())


def test_good_files_still_load_exactly(tmp_path):
    arrays = {"f32": np.arange(6, dtype=np.float32).reshape(2, 3), "f64": np.asfortranarray(np.random.randn(3, 4)),
              "i64": np.array(7), "u8": np.arange(3, dtype=np.uint8), "empty": np.zeros((0, 5)),
              "big_endian": np.arange(3, dtype=">f8")}
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        path = write_zip(tmp_path / f"good{method}.npz", {f"{k}.npy": npy(v) for k, v in arrays.items()}, method)
        state = nn.load(path)
        assert list(state) == list(arrays)
        for key, value in arrays.items():
            assert state[key].dtype == value.dtype and state[key].shape == value.shape
            assert np.array_equal(state[key], value)
        state["f64"][0, 0] = 1.0  # writable, as np.load's arrays are
    model = nn.Sequential(nn.Linear(3, 2, dtype=np.float32), nn.BatchNorm1d(2))
    model(Tensor(np.random.randn(8, 3)))
    path = model.save(tmp_path / "model")
    fresh = nn.Sequential(nn.Linear(3, 2, dtype=np.float32), nn.BatchNorm1d(2))
    fresh.load_state_dict(path)  # a file name: read with the model's shapes
    for key, value in model.state_dict().items():
        assert np.array_equal(fresh.state_dict()[key], value) and fresh.state_dict()[key].dtype == value.dtype
    assert serialization.MAX_HEADER == 10000


# ---- load_state_dict: values the target cannot hold ---------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [(np.nan, "nan"), (1e30, "1e+30"), (2.5, "2.5"), (-np.inf, "-inf"),
                                          (2.0**63, "9.223372036854776e+18"), (np.uint64(2**63), "9223372036854775808"),
                                          (-1.0, "-1.0"), (-1, "-1"), (-(2.0**63), "-9.223372036854776e+18")])
def test_num_batches_tracked_refuses_what_an_int64_cannot_hold(value, shown):
    # A count: -1 was taken, and the next forward with momentum=None divided by zero (-1 + 1).
    bn = nn.BatchNorm1d(2)
    state = bn.state_dict()
    state["num_batches_tracked"] = np.array(value)
    with pytest.raises(ValueError, match=re.escape(f"num_batches_tracked: {shown} cannot be stored in an int64 buffer, "
                                         "which holds whole numbers from 0 to 9223372036854775807")):
        bn.load_state_dict(state)
    assert int(bn.num_batches_tracked) == 0


def test_a_file_with_a_negative_count_is_refused_and_changes_nothing(tmp_path):
    bn = nn.BatchNorm1d(2, momentum=None)
    state = bn.state_dict()
    state["num_batches_tracked"] = np.array(-1.0)
    path = nn.save(state, tmp_path / "bn.npz")
    with pytest.raises(ValueError, match=r"num_batches_tracked: -1.0 cannot be stored in an int64 buffer.*Nothing"):
        bn.load_state_dict(path)
    bn(Tensor(np.random.default_rng(0).normal(size=(4, 2))))  # the next forward still works
    assert int(bn.num_batches_tracked) == 1


def test_num_batches_tracked_takes_whole_numbers_of_any_dtype():
    bn = nn.BatchNorm1d(2)
    for value in (np.array(12.0), np.array(0.0), np.array(5, dtype=np.uint8), np.array(2**62)):
        state = bn.state_dict()
        state["num_batches_tracked"] = value
        bn.load_state_dict(state)
        assert int(bn.num_batches_tracked) == int(value) and bn.num_batches_tracked.dtype == np.int64


def test_a_scalar_mlp_refuses_inf_by_key_and_changes_nothing():
    np.random.seed(0)
    model = nn.MLP(2, [3, 1])
    before = model.state_dict()
    state = model.state_dict()
    key = list(state)[4]
    state[key] = np.array(np.inf)
    with pytest.raises(ValueError, match=f"{key}: inf cannot be stored in a Value parameter, which holds finite "
                                         "numbers. Nothing was changed"):
        model.load_state_dict(state)
    state[key] = float("nan")
    with pytest.raises(ValueError, match=f"{key}: nan cannot be stored in a Value parameter"):
        model.load_state_dict(state)
    assert all(np.array_equal(v, before[k]) for k, v in model.state_dict().items())


def test_a_float32_tensor_refuses_overflow_but_takes_inf_and_nan_as_pytorch_does(torch):
    layer = nn.Linear(2, 1, dtype=np.float32)
    state = layer.state_dict()
    state["weight"] = np.array([[1e300, 1.0]])
    with pytest.raises(ValueError, match=r"weight: 1e\+300 cannot be stored in a float32 parameter, which holds "
                                         r"numbers up to about 3.4e\+38 in size \(1 of its 2 numbers\)"):
        layer.load_state_dict(state)
    state["weight"] = np.array([[np.inf, np.nan]])
    layer.load_state_dict(state)
    ref = torch.nn.Linear(2, 1).float()
    ref.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    assert np.array_equal(layer.weight.data, ref.weight.detach().numpy(), equal_nan=True)


# ---- the archive itself: how many members, a folder ------------------------------------------------------------

def test_an_archive_of_too_many_members_is_refused_from_its_directory(tmp_path):
    # 10,001 empty arrays: each was opened and its header parsed (100,000 took 32 to 90 s), and it loaded.
    empty = npy_header((0,))
    path = raw_zip(tmp_path / "many.npz", [dict(name=f"k{i}.npy", data=empty) for i in range(10001)])
    started = time.perf_counter()
    refused(path, "it holds 10001 entries, more than the 10000 a state dict could need")
    assert time.perf_counter() - started < 1.0
    path = raw_zip(tmp_path / "enough.npz", [dict(name=f"k{i}.npy", data=empty) for i in range(100)])
    assert len(nn.load(path)) == 100


def test_a_folder_is_the_same_value_error_as_any_bad_path(tmp_path):
    (tmp_path / "m.npz").mkdir()
    refused(tmp_path / "m.npz", "it is a folder, not a .npz weights file")
    (tmp_path / "m.safetensors").mkdir()
    refused(tmp_path / "m.safetensors", "it is a folder, not a .safetensors file")


def test_a_member_that_inflates_past_the_default_limit_is_refused_before_inflating(tmp_path):
    # 261 kB on disk, 256 MiB of zeros inflated: `model.load_state_dict(nn.load(path))` peaked at 259 MiB
    # before load_state_dict refused the shape; nn.load now refuses it from the .npy header.
    header = npy_header((2**25,))
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(bytes(2**20)) + c.flush(zlib.Z_FULL_FLUSH)  # one MiB of zeros, joined 256 times
    stream = start + block * 256 + c.flush()
    path = tmp_path / "inflates.npz"
    raw_zip(path, [dict(name="weight.npy", data=stream, method=8, crc=0, file_size=len(header) + 2**28)])
    assert path.stat().st_size < 300_000
    tracemalloc.start()
    try:
        refused(path, "entry 'weight' declares shape (33554432,) of float64: 256 MiB, more than the limit of 64 MiB")
        with pytest.raises(ValueError, match="more than the limit of 64 MiB"):
            nn.Linear(2, 2).load_state_dict(nn.load(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, peak


# ---- .safetensors: the same bounds ---------------------------------------------------------------------------

def test_safetensors_files_load_exactly_without_the_package(tmp_path):
    arrays = {"f32": np.arange(6, dtype=np.float32).reshape(2, 3), "i64": np.array(7), "u8": np.arange(3, dtype=np.uint8),
              "empty": np.zeros((0, 5)), "flags": np.array([True, False])}
    (tmp_path / "good.safetensors").write_bytes(safetensors_bytes(arrays))
    state = nn.load(tmp_path / "good.safetensors")
    assert list(state) == list(arrays)
    for key, value in arrays.items():
        assert state[key].dtype == value.dtype and np.array_equal(state[key], value)
    state["f32"][0, 0] = 1.0  # writable


def test_safetensors_honours_max_bytes_and_the_models_shapes(tmp_path):
    # Both were ignored: the whole file was read whatever max_bytes and shapes said.
    path = tmp_path / "w.safetensors"
    path.write_bytes(safetensors_bytes({"weight": np.ones((3, 3)), "bias": np.zeros(2)}))
    refused(path, "entry 'weight' declares shape (3, 3) of float64: 72 bytes, more than the limit of 64 bytes",
            max_bytes=64)
    refused(path, "its arrays hold more than 80 bytes (max_bytes=80", max_bytes=80)
    refused(path, "entry 'weight': shape (3, 3) in the file, (2, 3) in the model", shapes=nn.Linear(3, 2))
    with pytest.raises(ValueError, match=r"refusing .*w.safetensors.: entry 'weight': shape \(3, 3\) in the file"):
        nn.Linear(3, 2).load_state_dict(path)


def test_safetensors_refuses_a_name_given_twice(tmp_path):
    # The last one won before; .npz refuses a member given twice, and so does .safetensors now.
    twice = (b'{"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}, '
             b'"w": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}')
    path = tmp_path / "twice.safetensors"
    path.write_bytes(safetensors_bytes({}, text=twice, extra=bytes(16)))
    refused(path, "entry 'w' appears twice")


def test_a_safetensors_header_that_declares_a_huge_array_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(safetensors_bytes({}, header={"w": {"dtype": "F64", "shape": [2**28],
                                                         "data_offsets": [0, 2**31]}}))
    tracemalloc.start()
    try:
        refused(path, "entry 'w' declares shape (268435456,) of float64: 2 GiB, more than the limit of 64 MiB")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, peak


W = {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}


@pytest.mark.parametrize("header, data, match", [
    ({"w": {**W, "dtype": "BF16"}}, 16, "has dtype 'BF16', which numpy cannot hold; convert it in PyTorch first"),
    ({"w": {**W, "dtype": ["F64"]}}, 16, "has dtype"),
    ({"w": {**W, "shape": [2.5]}}, 16, "has the malformed shape [2.5]"),
    ({"w": {**W, "shape": [-2]}}, 16, "declares the impossible shape (-2,)"),
    ({"w": {**W, "shape": [1] * 65, "data_offsets": [0, 8]}}, 8, "which numpy cannot make"),
    ({"w": {**W, "shape": [0, 2**63], "data_offsets": [0, 0]}}, 0, "which numpy cannot make"),
    ({"w": {**W, "data_offsets": [16, 0]}}, 16, "has the malformed data_offsets [16, 0]"),
    ({"w": {**W, "data_offsets": [0, 8]}}, 16, "declares shape (2,) of float64 (16 bytes) but data_offsets [0, 8]"),
    ({"w": W}, 8, "it ends early: the header declares 16 bytes of data, the file holds 8"),
    ({"w": W}, 24, "holds bytes no array declares"),
    ({"w": W, "v": W}, 32, "its arrays overlap at byte 0"),
    ({"w": W, "v": {**W, "data_offsets": [24, 40]}}, 40, "leave a gap at byte 16"),
    ({"w": {"dtype": "F64", "shape": [2]}}, 16, "is not {dtype, shape, data_offsets}"),
    ({"__metadata__": {"a": 1}}, 0, "its __metadata__ is not a map of names to strings"),
])
def test_bad_safetensors_headers(tmp_path, header, data, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(safetensors_bytes({}, header=header, extra=bytes(data)))
    refused(path, match)


@pytest.mark.parametrize("content, match", [
    (b"", "the file is empty"),
    (b"\x10\x00\x00", "ends inside the 8 bytes"),
    (struct.pack("<Q", 2**40) + b"{}", "its header declares 1099511627776 bytes of JSON, over the limit"),
    (struct.pack("<Q", 100) + b"{}", "it ends inside its JSON header"),
    (struct.pack("<Q", 4) + b'{"w"', "its JSON header is malformed"),
    (struct.pack("<Q", 2) + b"\xff\xfe", "it is not a .safetensors file"),
    (struct.pack("<Q", 3) + b"{\xff}", "its JSON header is malformed"),
    (struct.pack("<Q", 20000) + b"{" + b'{"a":' * 3999 + b"1" + b"}" * 4000, "its JSON header is malformed"),
])
def test_files_that_are_not_safetensors(tmp_path, content, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    refused(path, match)
