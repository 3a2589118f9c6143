"""docs/glossary.ko.md pairs the seed tutorials' Korean words with the code that computes them; these tests
keep it from rotting: every row complete, every circuitgrad (and PyTorch) name real, every cited notebook
section present in the Korean twin, and the tutorials' variant words all listed."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import circuitgrad

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.ko.md"
COLUMNS = ["튜토리얼의 표기", "표준 용어", "English", "circuitgrad", "PyTorch", "노트북"]
LINK = re.compile(r"\[(\d\d) § ([^\]]+)\]\(\.\./notebooks/ko/([^)]+\.ipynb)\)")
NAME = re.compile(r"`((?:nn|autograd|viz)\.[A-Za-z_][\w.]*)`")
TORCH_NAME = re.compile(r"`(torch\.[A-Za-z_][\w.]*)`")


def _rows() -> list[list[str]]:
    text = GLOSSARY.read_text(encoding="utf-8")
    table = text[text.index("## 용어"):]
    lines = [line for line in table.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == COLUMNS, header
    assert set(lines[1].replace("|", "").strip()) <= {"-"}
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines[2:]]


ROWS = _rows()


def test_glossary_has_forty_complete_rows():
    assert len(ROWS) >= 40, len(ROWS)
    incomplete = [row[0] for row in ROWS if len(row) != len(COLUMNS) or not all(row)]
    assert not incomplete, f"rows with a missing column: {incomplete}"


def test_every_tutorial_variant_is_listed():
    """The words issue 28 names, as the tutorials write them, each in the first column of some row."""
    written = " ".join(row[0] for row in ROWS)
    variants = ["활성함수", "활성화함수", "전달함수", "비용함수", "오차함수", "손실", "순전파", "순방향",
                "역전파", "오차역전파", "도함수", "미분", "기울기", "그래디언트", "경사", "형상"]
    assert not [v for v in variants if v not in written]


def test_the_three_meanings_of_jeongyuhwa_are_separate_rows():
    english = {row[2] for row in ROWS if "정규화" in row[0]}
    assert any("normalization, standardization" in e for e in english), english
    assert any("regularization" in e for e in english), english
    assert any(e.startswith("batch normalization") for e in english), english


def _resolve(root, dotted: str):
    obj = root
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(f"{obj.__name__}.{part}")
    return obj


@pytest.mark.parametrize("row", ROWS, ids=[row[1] for row in ROWS])
def test_circuitgrad_names_exist(row):
    names = NAME.findall(row[3])
    assert names, f"{row[1]}: no circuitgrad name (`nn.`, `autograd.`, `viz.`) in {row[3]!r}"
    for name in names:
        try:
            _resolve(circuitgrad, name)
        except (AttributeError, ImportError):
            pytest.fail(f"glossary row {row[1]!r}: circuitgrad.{name} does not exist")


def test_pytorch_names_exist(torch):
    for row in ROWS:
        for name in TORCH_NAME.findall(row[4]):
            try:
                _resolve(torch, name.removeprefix("torch."))
            except (AttributeError, ImportError):
                pytest.fail(f"glossary row {row[1]!r}: {name} does not exist in PyTorch {torch.__version__}")


def _headings(path: Path) -> list[str]:
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [line.lstrip("#").strip() for cell in cells if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines() if line.startswith("#")]


@pytest.mark.parametrize("row", ROWS, ids=[row[1] for row in ROWS])
def test_cited_notebook_sections_exist(row):
    links = LINK.findall(row[5])
    assert links, f"{row[1]}: no link of the form [NN § heading](../notebooks/ko/NN_name.ipynb) in {row[5]!r}"
    for number, heading, name in links:
        path = ROOT / "notebooks" / "ko" / name
        assert path.is_file(), f"{row[1]}: notebooks/ko/{name} does not exist"
        assert name.startswith(number), f"{row[1]}: link text {number} for notebooks/ko/{name}"
        assert any(heading in h for h in _headings(path)), (
            f"{row[1]}: notebooks/ko/{name} has no heading containing {heading!r}")
