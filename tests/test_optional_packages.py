"""The optional packages (PyTorch for to_torch/from_torch, safetensors for .safetensors files):
without them the error says what to install; with safetensors, files round-trip without PyTorch."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor

from crafted_safetensors import safetensors_bytes


def test_without_torch_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match="to_torch needs PyTorch.*pip install torch"):
        nn.to_torch(nn.Linear(2, 2))
    with pytest.raises(ImportError, match="from_torch needs PyTorch"):
        nn.from_torch(object())
    with pytest.raises(ImportError, match="optimizer.to_torch needs PyTorch"):
        nn.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1).to_torch([])


def test_without_safetensors_the_error_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"needs the safetensors package: pip install safetensors.*\.npz"):
        nn.Linear(2, 2).save(tmp_path / "m.safetensors")
    # Reading needs no package: circuitgrad reads the format itself, within nn.load's bounds.
    (tmp_path / "x.safetensors").write_bytes(safetensors_bytes({"w": np.arange(2.0)}))
    assert nn.load(tmp_path / "x.safetensors")["w"].tolist() == [0.0, 1.0]


def test_safetensors_round_trip_without_torch(tmp_path):
    pytest.importorskip("safetensors.numpy", reason="the optional safetensors package is not installed")
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float32), nn.BatchNorm1d(4, dtype=np.float32))
    model(Tensor(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)))  # running stats move
    path = model.save(tmp_path / "m.safetensors")
    loaded = nn.load(path)
    assert set(loaded) == set(model.state_dict())
    for key, value in model.state_dict().items():
        assert loaded[key].dtype == value.dtype and np.array_equal(loaded[key], value)
    fresh = nn.Sequential(nn.Linear(3, 4, dtype=np.float32), nn.BatchNorm1d(4, dtype=np.float32))
    fresh.load_state_dict(loaded)
    assert np.array_equal(fresh[0].weight.data, model[0].weight.data)
    assert not path.endswith(".npz") and open(path, "rb").read(9)[8:9] == b"{"  # a JSON header, no pickle


def test_a_bad_safetensors_file_is_a_value_error(tmp_path):
    pytest.importorskip("safetensors.numpy", reason="the optional safetensors package is not installed")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(ValueError, match="it is not a .safetensors file"):
        nn.load(bad)
    with pytest.raises(TypeError, match="save: 'x' holds complex128 data"):
        nn.save({"x": np.ones(2, dtype=complex)}, tmp_path / "c.safetensors")
    with pytest.raises(TypeError, match="save: every key must be a name"):
        nn.save({1: np.ones(2)}, tmp_path / "k.safetensors")


def test_the_graduation_notebook_runs_without_torch_and_says_so(monkeypatch, capsys):
    """Its PyTorch cells print a note and skip; the circuitgrad cells still run (the code cells, in process)."""
    import json
    from pathlib import Path

    for name in ("torch", "safetensors", "safetensors.torch"):
        monkeypatch.setitem(sys.modules, name, None)
    path = Path(__file__).resolve().parent.parent / "notebooks" / "16_graduate_to_pytorch.ipynb"
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    scope: dict = {}
    for cell in cells:
        exec(compile("".join(cell["source"]), str(path), "exec"), scope)
    out = capsys.readouterr().out
    assert "PyTorch is not installed" in out and out.count("skipped: needs PyTorch") == len(cells) - 2
    assert "accuracy here:" in out
