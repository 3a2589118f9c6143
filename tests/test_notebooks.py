"""The tutorial notebooks run top to bottom: every `notebooks/*.ipynb` is executed with nbclient.

The notebooks are the seeds' lessons, and their cells assert the seeds' numbers (the CS231n gradients,
the XOR net's loss curve, the hand-written derivatives of the 1-8-4-1 network), so a change that breaks
a lesson fails here, naming the notebook and showing the failing cell. One test per notebook, found by
glob, so notebooks added later are run too.
"""
from __future__ import annotations

import os
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


@pytest.mark.parametrize("path", PATHS, ids=IDS)
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


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_notebook_runs_without_a_korean_font(path: Path, monkeypatch: pytest.MonkeyPatch):
    """The same on a machine with no Korean font (a pip install, Colab): our set-up installs one, so
    the kernel hides it first (tests/fonts_hidden.py). Korean text then warns; nothing may fail."""
    pytest.importorskip("matplotlib", reason="hiding the fonts needs matplotlib (the `test` extra)")
    from fonts_hidden import PREAMBLE

    _execute(path, monkeypatch, preamble=PREAMBLE)


def _execute(path: Path, monkeypatch: pytest.MonkeyPatch, preamble: str = "") -> None:
    # The kernel must import autograd, nn and viz from this checkout, not from whatever is installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    if preamble:
        nb.cells.insert(0, nbformat.v4.new_code_cell(preamble))
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{path.name}: a cell failed\n{e}", pytrace=False)
    except nbclient.exceptions.CellTimeoutError as e:
        pytest.fail(f"{path.name}: a cell ran longer than {CELL_TIMEOUT} s\n{e}", pytrace=False)
