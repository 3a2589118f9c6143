"""The source distribution can run its own tests: it carries tests/ with its conftest and everything the
tests read, and says its licence (MIT, in LICENSE and in the metadata)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".git", ".venv", "out", "build", "dist", ".pytest_cache", "__pycache__"}


def _setuptools_version() -> tuple:
    try:
        from importlib.metadata import version
        return tuple(int(p) for p in re.findall(r"\d+", version("setuptools"))[:2])
    except Exception:  # noqa: BLE001 - not installed, or an odd version string
        return (0,)


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> dict:
    """Build the sdist from a copy of the checkout (building writes an egg-info folder next to the sources)."""
    if _setuptools_version() < (77,):
        pytest.skip("building the sdist needs setuptools>=77 (pyproject's build requirement)")
    work = tmp_path_factory.mktemp("sdist")
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=lambda d, names: [n for n in names if n in SKIP or n.endswith(".egg-info")])
    code = f"from setuptools import build_meta; print(build_meta.build_sdist({str(work / 'dist')!r}))"
    run = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    archive = work / "dist" / run.stdout.split()[-1]
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        pkg_info = tar.extractfile(next(n for n in names if n.count("/") == 1 and n.endswith("PKG-INFO"))).read()
    top = names[0].split("/")[0]
    return {"files": {n[len(top) + 1:] for n in names if "/" in n}, "pkg_info": pkg_info.decode()}


def test_the_sdist_carries_the_tests_and_what_they_read(sdist):
    files = sdist["files"]
    wanted = ["tests/conftest.py", "README.md", "LICENSE", "Makefile", "scripts/setup.sh", "pyproject.toml",
              "circuitgrad/data/xor_seed777.npz", "bench/__main__.py",
              "README.ko.md", "docs/glossary.ko.md", "scripts/sync_ko_notebooks.py",
              "viz/locales/en.json", "viz/locales/ko.json"]
    # Every file of the folders MANIFEST.in lists by type (a new kind of file needs its line there).
    for folder in ("tests", "notebooks", "bench"):
        wanted += [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / folder).rglob("*"))
                   if p.is_file() and not {"__pycache__", ".ipynb_checkpoints"} & set(p.parts)]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    wanted += re.findall(r"\]\((docs/[^)]+\.png)\)", readme)  # test_readme checks these pictures
    missing = [w for w in wanted if w not in files]
    assert not missing, missing
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]


def test_the_licence_is_mit_in_the_file_and_the_metadata(sdist):
    assert "License-Expression: MIT" in sdist["pkg_info"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 the circuitgrad authors" in text
