"""Shared fixtures: a seeded float64 random generator, the PyTorch oracle, a guard that
no test leaves the process-wide graph switches (`no_grad`, `detect_anomaly`) changed, and the
hypothesis profiles of the property tests."""
from __future__ import annotations

import os
import zlib

import numpy as np
import pytest

from circuitgrad.autograd.mode import grad_mode

TORCH_REASON = "PyTorch is the test oracle and is not installed (install the `oracle` extra: torch==2.13.0)"

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # tests/test_properties.py skips itself, with the reason
    pass
else:
    # "quick" (the default) keeps the whole suite well under ten minutes and runs the same examples
    # every time, so a result never depends on the run; "thorough" searches afresh for an audit:
    # CIRCUITGRAD_HYPOTHESIS=thorough python -m pytest tests/test_properties.py
    settings.register_profile("quick", max_examples=150, deadline=None, derandomize=True, database=None,
                              suppress_health_check=[HealthCheck.too_slow], print_blob=True)
    settings.register_profile("thorough", max_examples=3000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow], print_blob=True)
    settings.load_profile(os.environ.get("CIRCUITGRAD_HYPOTHESIS", "quick"))


@pytest.fixture
def torch():
    """The torch module, set to float64 by default; the test is skipped (with the reason) without it."""
    torch = pytest.importorskip("torch", reason=TORCH_REASON)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A float64 numpy generator seeded from the test's name: reproducible, different per test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def _graph_switches_restored():
    """Fail loudly if a test leaks `no_grad()` or `detect_anomaly()` into the tests after it."""
    before = (grad_mode.enabled, grad_mode.anomaly)
    yield
    after = (grad_mode.enabled, grad_mode.anomaly)
    grad_mode.enabled, grad_mode.anomaly = before
    assert after == before, f"graph switches (enabled, anomaly) leaked: {before} -> {after}"


# ---- helpers the test modules share (`from conftest import svg_texts, leaf, uniform_leaf`) -------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(svg, color: str = None) -> list:
    """Every <text> of an SVG (bytes, str or a path to a file), in document order; only those
    filled with `color` when it is given. Non-breaking spaces read as spaces."""
    import xml.etree.ElementTree as ET
    from pathlib import Path

    root = ET.parse(svg).getroot() if isinstance(svg, Path) else ET.fromstring(svg)
    return [(t.text or "").replace("\xa0", " ") for t in root.iter(SVG + "text")
            if color is None or t.get("fill") == color]


def leaf(array):
    """A float64 Tensor leaf that requires grad, from numbers."""
    from circuitgrad.autograd import Tensor
    return Tensor(np.array(array, dtype=float), requires_grad=True)


def uniform_leaf(rng, shape, low: float = -2.0, high: float = 2.0, label: str = "x"):
    """A float64 Tensor leaf of uniform numbers in [low, high), requiring grad."""
    from circuitgrad.autograd import Tensor
    return Tensor(rng.uniform(low, high, shape), requires_grad=True, label=label)


def cs231n():
    """CS231n's first circuit, f = (x + y) * z at x = -2, y = 5, z = -4, labelled, before backward."""
    from circuitgrad.autograd import Value
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


@pytest.fixture
def no_locale(monkeypatch):
    """No locale variable may ask the command line for Korean (tests that read its messages use this)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def run_cli(capsys, *argv: str) -> tuple:
    """The command line run in-process: (exit code, stdout, stderr)."""
    from circuitgrad.cli import main
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
