"""Every code block in the README runs: Python blocks as written, shell lines as the commands they name."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)


def test_readme_has_exactly_two_setup_commands():
    setup = [body for lang, body in BLOCKS if lang == "sh" and "make" in body]
    assert len(setup) == 1
    commands = [line.split("#")[0].strip() for line in setup[0].splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


@pytest.mark.parametrize("target", ["demo", "test"])
def test_make_targets_exist(target):
    # `make -n` prints the recipe without running it; a missing target fails.
    result = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("index", [i for i, (lang, _) in enumerate(BLOCKS) if lang == "python"])
def test_python_blocks_run(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    import matplotlib
    matplotlib.use("Agg")
    exec(compile(BLOCKS[index][1], f"README block {index}", "exec"), {"__name__": "__readme__"})
    if "viz.render" in BLOCKS[index][1]:
        assert (tmp_path / "out" / "circuit.svg").stat().st_size > 1000


def test_command_line_block_runs(tmp_path):
    lines = [line for lang, body in BLOCKS if lang == "sh" for line in body.splitlines()
             if "circuitgrad draw" in line]
    assert lines
    for line in lines:
        args = shlex.split(line)
        assert args[0] == ".venv/bin/circuitgrad"
        (tmp_path / "out").mkdir(exist_ok=True)
        result = subprocess.run([sys.executable, "-m", "circuitgrad.cli", *args[1:]], cwd=tmp_path,
                                capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": _path()})
        assert result.returncode == 0, result.stderr
        assert "df/dx = -4" in result.stdout
        assert (tmp_path / "out" / "circuit.svg").exists()


def test_readme_images_exist():
    images = re.findall(r"\]\((docs/[^)]+\.png)\)", README) + re.findall(r'<img src="(docs/[^"]+\.png)"', README)
    assert len(set(images)) >= 10, images  # the gallery: finding none must not pass
    for image in images:
        assert (ROOT / image).stat().st_size > 1000, image


def _path() -> str:
    import os
    return os.environ.get("PATH", "")
