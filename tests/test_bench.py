"""The benchmark still runs end to end (a smoke run), and its own correctness checks pass.

Timings are not asserted here: `bench/` prints them. What is asserted is that every section
ran and that the engines agreed (same losses from the same weights, right gradients), since a
benchmark of a wrong result measures nothing.
"""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_quick_bench_runs_every_section_and_the_engines_agree():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    for heading in ("## Scalar engine", "(c) memory per node", "(d) deepest chain", "## Tensor engine",
                    "(b) one epoch of the XOR net", "(c) one epoch of a CNN on the 8x8 digits",
                    "### viz: build, draw and render", "### viz: the explorer page"):
        assert heading in out
    assert "MISMATCH" not in out and "WARNING" not in out
    assert "circuitgrad 0.694898 ->" in out  # the XOR net starts from the seed tutorial's loss
