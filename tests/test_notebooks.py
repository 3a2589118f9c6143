"""The tutorial notebooks run top to bottom: every `notebooks/*.ipynb` is executed with nbclient.

The notebooks are the seeds' lessons, and their cells assert the seeds' numbers (the CS231n gradients,
the XOR net's loss curve, the hand-written derivatives of the 1-8-4-1 network), so a change that breaks
a lesson fails here, naming the notebook and showing the failing cell. One test per notebook, found by
glob, so notebooks added later are run too.

Every notebook has a Korean twin in `notebooks/ko/` with the same code cells (checked here, kept so by
`scripts/sync_ko_notebooks.py`) and Korean prose. The twins run with the Korean fonts hidden: their code
is the English code, so one run covers both the Korean notebook and the machine without a Korean font.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

NB_REASON = "executing the notebooks needs nbformat, nbclient and ipykernel (the `test` extra)"
nbformat = pytest.importorskip("nbformat", reason=NB_REASON)
nbclient = pytest.importorskip("nbclient", reason=NB_REASON)
pytest.importorskip("ipykernel", reason=NB_REASON)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [p.stem for p in PATHS]
KOREAN = NOTEBOOKS / "ko"
KO_PATHS = sorted(KOREAN.glob("*.ipynb"))
KO_IDS = [f"ko/{p.stem}" for p in KO_PATHS]
SYNC = ROOT / "scripts" / "sync_ko_notebooks.py"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Seconds per cell. The slowest cells (notebook 12's pseudo-labels, the XOR net in PyTorch) take seconds, but on
# a busy 2-core machine with numpy's default BLAS threads (two workers, two threads each) one took 155 s:
# the limit is for a hung kernel, not a slow machine.
CELL_TIMEOUT = 600
TUTORIALS = ["01_chain_rule_circuits", "02_perceptron_gates", "03_activations", "04_matrix_form_softmax",
             "05_xor_network", "06_regression_height_weight", "07_optimizers_learning_rate", "08_overfitting",
             "09_class_imbalance"]


def test_the_seed_tutorials_are_all_there():
    missing = [name for name in TUTORIALS if not (NOTEBOOKS / f"{name}.ipynb").is_file()]
    assert not missing, f"notebooks missing from {NOTEBOOKS}: {missing}"


@pytest.mark.parametrize("path", PATHS + KO_PATHS, ids=IDS + KO_IDS)
def test_notebook_is_saved_without_outputs(path: Path):
    """Committed notebooks hold no outputs or execution counts: small diffs, and nothing stale shown."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have outputs or execution counts; clear them with "
                       f"`jupyter nbconvert --clear-output --inplace {path.relative_to(ROOT)}`")


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_runs_top_to_bottom(path: Path, monkeypatch: pytest.MonkeyPatch):
    """Execute every cell in a fresh kernel, in notebooks/ as the working directory, as a reader would."""
    _execute(path, monkeypatch)


def test_every_notebook_has_a_korean_twin_and_every_twin_an_english_notebook():
    english = {p.name for p in PATHS}
    korean = {p.name for p in KO_PATHS}
    assert english, "no notebooks found"
    assert english == korean, (f"without a Korean twin in notebooks/ko/: {sorted(english - korean)}; "
                               f"Korean without an English notebook: {sorted(korean - english)}")


def _code(path: Path) -> list[str]:
    return ["".join(c.source) for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", KO_PATHS, ids=KO_IDS)
def test_korean_twin_has_the_english_code_cells(path: Path):
    """The same code cells in the same order, character for character: the twins cannot drift."""
    english, korean = _code(NOTEBOOKS / path.name), _code(path)
    assert len(korean) == len(english), (f"ko/{path.name} has {len(korean)} code cells, the English notebook "
                                         f"{len(english)}: add or remove the cell in the twin by hand, then run "
                                         f"`.venv/bin/python scripts/sync_ko_notebooks.py`")
    differ = [i for i, (a, b) in enumerate(zip(english, korean)) if a != b]
    assert not differ, (f"ko/{path.name}: code cells {differ} (counting code cells from 0) differ from the English "
                        f"notebook's; run `.venv/bin/python scripts/sync_ko_notebooks.py`")


def test_sync_script_check_passes():
    """What the lead runs after merging: exit 0 only when every twin's code equals the English code."""
    result = subprocess.run([sys.executable, str(SYNC), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _sync_module():
    spec = importlib.util.spec_from_file_location("sync_ko_notebooks", SYNC)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sync_script_copies_code_keeps_korean_prose_and_refuses_a_different_cell_count(tmp_path: Path):
    sync = _sync_module()
    english = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# One"),
                                              nbformat.v4.new_code_cell("x = 1"),
                                              nbformat.v4.new_code_cell("print(x + 1)")])
    korean = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 하나"),
                                             nbformat.v4.new_code_cell("x = 0"),
                                             nbformat.v4.new_markdown_cell("둘을 더합니다."),
                                             nbformat.v4.new_code_cell("print(x + 1)")])
    en_path, ko_path = tmp_path / "en.ipynb", tmp_path / "ko.ipynb"
    nbformat.write(english, en_path)
    nbformat.write(korean, ko_path)
    assert sync.differences(en_path, ko_path) == [0]
    assert sync.sync(en_path, ko_path) == [0]
    synced = nbformat.read(ko_path, as_version=4)
    assert [c.cell_type for c in synced.cells] == ["markdown", "code", "markdown", "code"]
    assert ["".join(c.source) for c in synced.cells] == ["# 하나", "x = 1", "둘을 더합니다.", "print(x + 1)"]
    assert sync.differences(en_path, ko_path) == []
    english.cells.append(nbformat.v4.new_code_cell("x"))
    nbformat.write(english, en_path)
    with pytest.raises(sync.SyncError, match="has 2 code cells .* has 3"):
        sync.sync(en_path, ko_path)


def _prose(cell_source: str) -> str:
    # What a reader reads as sentences: no inline code, no formulas, no link targets.
    text = re.sub(r"`[^`]*`", "", cell_source)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", text, flags=re.S)
    return re.sub(r"\]\([^)]*\)", "]", text)


@pytest.mark.parametrize("path", KO_PATHS, ids=KO_IDS)
def test_korean_twin_is_written_in_korean(path: Path):
    """Every markdown cell holds Hangul, most letters of the prose are Hangul (the English cells were rewritten,
    not kept), and the first cell says which tutorial the notebook follows."""
    markdown = [_prose("".join(c.source)) for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    english_only = [i for i, text in enumerate(markdown) if re.search("[A-Za-z]", text) and not HANGUL.search(text)]
    assert not english_only, f"ko/{path.name}: markdown cells {english_only} (counting markdown cells) have no Korean"
    text = "".join(markdown)
    hangul, latin = len(HANGUL.findall(text)), len(re.findall("[A-Za-z]", text))
    assert hangul / (hangul + latin) > 0.6, f"ko/{path.name}: only {hangul} of {hangul + latin} letters are Hangul"
    assert "이 노트북이 따르는 글" in markdown[0], f"ko/{path.name}: the first cell does not name its tutorial"


@pytest.mark.parametrize("path", KO_PATHS, ids=KO_IDS)
def test_korean_twin_runs_without_a_korean_font(path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each twin top to bottom on a machine with no Korean font (a pip install, Colab): our set-up installs one,
    so the kernel hides it first (tests/fonts_hidden.py). Korean text then warns; nothing may fail. The twins'
    code is the English code, so this is also the English notebooks' no-font run."""
    pytest.importorskip("matplotlib", reason="hiding the fonts needs matplotlib (the `test` extra)")
    from fonts_hidden import PREAMBLE

    _execute(path, monkeypatch, preamble=PREAMBLE)


def _execute(path: Path, monkeypatch: pytest.MonkeyPatch, preamble: str = "") -> None:
    # The kernel must import autograd, nn and viz from this checkout, not from whatever is installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    if preamble:
        nb.cells.insert(0, nbformat.v4.new_code_cell(preamble))
    # Both languages run in notebooks/, where the English notebooks' relative paths point.
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{path.name}: a cell failed\n{e}", pytrace=False)
    except nbclient.exceptions.CellTimeoutError as e:
        pytest.fail(f"{path.name}: a cell ran longer than {CELL_TIMEOUT} s\n{e}", pytrace=False)
