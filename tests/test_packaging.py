"""The wheel installs one top-level package, `circuitgrad`, so it lives next to PyPI's unrelated
`autograd` (HIPS, preinstalled on Google Colab) without either breaking the other."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple:
    """(the wheel, what building it printed)."""
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy, so setuptools' build/ folder never lands in (or goes stale in) the checkout.
    source = tmp_path_factory.mktemp("source") / "circuitgrad"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "out", "*.egg-info",
                                                                  "__pycache__", ".pytest_cache"))
    # What `pip wheel .` and `make wheel` run, with setuptools' messages kept (pip hides them); a user's
    # build byte-compiles, so the set-up's PYTHONDONTWRITEBYTECODE (and setuptools' note on it) is left out.
    code = f"from setuptools import build_meta; print(build_meta.build_wheel({str(out)!r}))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True, text=True, env=env,
                         timeout=300)
    if run.returncode != 0:
        pytest.skip(f"could not build the wheel here: {run.stderr.strip().splitlines()[-1:]}")
    return next(out.glob("circuitgrad-*.whl")), run.stdout + run.stderr


@pytest.fixture(scope="module")
def wheel(built) -> Path:
    return built[0]


def test_building_the_wheel_prints_no_warning(built):
    # setuptools warned twice in 40 lines that circuitgrad.data and circuitgrad.viz.explorer were not
    # listed packages, and MANIFEST.in's global-exclude lines warned in every clean checkout.
    warnings = [line for line in built[1].splitlines() if "warn" in line.lower()]
    assert not warnings, "\n".join(warnings)


def test_the_wheel_holds_only_the_circuitgrad_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"circuitgrad"}
    for sub in ("autograd/graph.py", "nn/module.py", "viz/render.py", "cli.py", "data/xor_seed777.npz", "py.typed"):
        assert f"circuitgrad/{sub}" in names
    # Every module and asset of the checkout is in it (a sub-package missing from pyproject's list is not).
    for folder in ("autograd", "nn", "viz", "circuitgrad"):
        for path in (ROOT / folder).rglob("*"):
            suffixes = (".py", ".js", ".css", ".html", ".json", ".npz")
            if path.is_file() and path.suffix in suffixes and "__pycache__" not in path.parts:
                rel = path.relative_to(ROOT / folder).as_posix()
                inside = rel if folder == "circuitgrad" else f"{folder}/{rel}"
                assert f"circuitgrad/{inside}" in names, f"{folder}/{rel} is not in the wheel"


def test_installs_next_to_hips_autograd_and_survives_its_uninstall(wheel, tmp_path):
    env = tmp_path / "env"
    # numpy comes from the base interpreter, so the only download is HIPS autograd itself.
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env)
    python = env / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # The fresh venv sees only what is installed in it: a PYTHONPATH pointing at this checkout
    # would let `import autograd` find the folder here instead of HIPS autograd.
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    hips = subprocess.run(pip + ["autograd==1.7.0"], capture_output=True, text=True, env=clean)
    if hips.returncode != 0:
        pytest.skip("PyPI's autograd==1.7.0 could not be installed here (no package index?)")
    ours = subprocess.run(pip + ["--no-deps", str(wheel), "graphviz"], capture_output=True, text=True, env=clean)
    assert ours.returncode == 0, ours.stderr
    both = ("import autograd, autograd.numpy as anp\n"
            "d = autograd.grad(lambda x: anp.tanh(x))(0.0)\n"
            "import circuitgrad as cg\n"
            "x = cg.Value(0.0); x.tanh().backward()\n"
            "assert d == x.grad == 1.0, (d, x.grad)\n"
            "print(autograd.__file__); print(cg.autograd.__file__)\n")
    run = subprocess.run([str(python), "-c", both], capture_output=True, text=True, cwd=tmp_path, env=clean)
    assert run.returncode == 0, run.stderr
    hips_file, ours_file = run.stdout.split()
    assert "/circuitgrad/" not in hips_file and "/circuitgrad/autograd/" in ours_file
    gone = subprocess.run([str(python), "-m", "pip", "uninstall", "-y", "-q", "autograd"], capture_output=True,
                          text=True, env=clean)
    assert gone.returncode == 0, gone.stderr
    after = subprocess.run([str(python), "-c", "import circuitgrad as cg; import circuitgrad.nn, circuitgrad.viz; "
                            "print(cg.Tensor([1.0]).sum().item())"], capture_output=True, text=True, cwd=tmp_path,
                           env=clean)
    assert after.returncode == 0 and after.stdout.strip() == "1.0", after.stderr
