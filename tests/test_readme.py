"""Every code block in the README runs: Python blocks as written, shell lines as the commands they name.
README.ko.md, the Korean README, carries the same commands and the same "thirty seconds" code (checked
equal here, so running README.md's blocks runs its blocks too), and links notebooks that exist."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.S)
README_KO = (ROOT / "README.ko.md").read_text(encoding="utf-8")
BLOCKS_KO = re.findall(r"```(\w+)\n(.*?)```", README_KO, flags=re.S)


def _commands(body: str) -> list[str]:
    # A shell block's commands without their comments (the Korean README explains them in Korean).
    return [line.split("#")[0].strip() for line in body.splitlines() if line.strip()]


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


def test_korean_readme_has_the_two_setup_commands_and_the_same_shell_lines():
    korean = [_commands(body) for lang, body in BLOCKS_KO if lang == "sh"]
    assert ["make demo", "make test"] in korean
    english = [_commands(body) for lang, body in BLOCKS if lang == "sh"]
    assert [block for block in korean if block not in english] == []


def test_korean_readme_has_the_thirty_seconds_code_unchanged():
    section = README.split("## Thirty seconds", 1)[1].split("\n## ", 1)[0]
    thirty = [body for lang, body in re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S) if lang == "python"]
    assert thirty, "README.md lost its thirty-seconds Python block"
    assert [body for lang, body in BLOCKS_KO if lang == "python"] == thirty


def test_korean_readme_links_every_korean_notebook_and_only_files_that_exist():
    targets = re.findall(r"\]\(((?:notebooks|docs)/[^)#]+)\)", README_KO)
    assert [t for t in targets if not (ROOT / t).exists()] == []
    twins = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks" / "ko").glob("*.ipynb")}
    assert len(twins) >= 16 and twins <= set(targets), sorted(twins - set(targets))


def test_readme_links_the_korean_readme_at_the_top():
    assert "](README.ko.md)" in "\n".join(README.splitlines()[:4])
