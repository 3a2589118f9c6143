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
                    "### viz: build, draw and render", "### viz: the explorer page", "### Goals of issue 24"):
        assert heading in out
    assert "MISMATCH" not in out and "WARNING" not in out
    assert "circuitgrad 0.694898 ->" in out  # the XOR net starts from the seed tutorial's loss


def _timing(step):
    from bench import Timing
    return Timing(step, 0.0, 0.0)


def test_the_goal_summary_reads_each_goal_from_the_rows_already_measured():
    import numpy as np

    from bench import goals
    f32 = np.float32
    tensor = {"a": {"blas": 2, (f32, "circuitgrad"): 1.1, (f32, "numpy"): 1.0, (f32, "circuitgrad 1 BLAS"): 1.3,
                    (f32, "numpy 1 BLAS"): 1.0},
              "b": {"circuitgrad nn": 1.2, "numpy": 1.0, "torch": 4.0, "least engine": 1.6}}
    scalar = {"a": {("micrograd", True): _timing(12.0), ("circuitgrad nn.MLP", True): _timing(1.0),
                    ("micrograd", False): _timing(2.0), ("circuitgrad nn.MLP", False): _timing(1.0)},
              "b": {"n": 100_000, ("micrograd", True, "backward"): 3.0, ("circuitgrad", True, "backward"): 1.0,
                    ("micrograd", True, "build + backward"): 4.0, ("circuitgrad", True, "build + backward"): 1.0,
                    ("least engine", True, "backward"): 2.0},
              "c": {"circuitgrad": {"per_node": 100.0}, "micrograd": {"per_node": 400.0}},
              "d": {"n": 1_000_000, "ok": True}}
    rows = goals.rows(scalar, tensor, lines=40)
    assert all(len(row) == 5 for row in rows)
    least = {row[0]: row[4] for row in rows}  # the least engine of this design, where it ran
    assert least["XOR epoch through nn vs numpy"] == "1.600x"
    assert least["XOR epoch through nn, faster than PyTorch (1 thread)"] == "2.50x"
    assert least["100,000-term scalar sum, backward faster than micrograd's, gc on"] == "1.50x"
    assert least["float32 784-128-64-10 step vs numpy, 1 BLAS thread"] == "-"  # not run: not made up
    assert least["memory per node vs micrograd's"] == "-"
    table = {row[0]: row[1:4] for row in rows}
    assert table["float32 784-128-64-10 step vs numpy, 1 BLAS thread"] == ["1.300x", "<= 1.15x", "miss"]
    assert table["float32 784-128-64-10 step vs numpy, default BLAS threads (2)"] == ["1.100x", "<= 1.15x", "pass"]
    assert table["XOR epoch through nn vs numpy"][2] == "pass"
    assert table["XOR epoch through nn, faster than PyTorch (1 thread)"] == ["3.33x", ">= 3x", "pass"]
    assert table["micrograd's demo step through nn.MLP, faster than micrograd, gc on"] == ["12.0x", ">= 10x", "pass"]
    assert table["micrograd's demo step through nn.MLP, faster than micrograd, gc off"] == ["2.00x", ">= 3x", "miss"]
    assert table["100,000-term scalar sum, backward faster than micrograd's, gc on"][2] == "pass"
    assert table["100,000-term scalar sum, build + backward faster than micrograd's, gc on"] == ["4.00x", ">= 5x", "miss"]
    assert table["memory per node vs micrograd's"] == ["0.25 (1/4.0)", "<= 1/3", "pass"]
    assert table["a 1,000,000-deep chain backprops"] == ["works", "1,000,000 deep works", "pass"]
    assert table["chain_rule's length, loop and accumulate step included"] == ["40 lines", "<= 45 lines", "pass"]
    # Without micrograd, torch or a BLAS to steer, each such goal says why in one line.
    del tensor["b"]["torch"], tensor["a"][f32, "numpy 1 BLAS"]
    scalar["a"] = {k: v for k, v in scalar["a"].items() if k[0] != "micrograd"}
    scalar["b"] = {k: v for k, v in scalar["b"].items() if not (isinstance(k, tuple) and k[0] == "micrograd")}
    del scalar["c"]["micrograd"]
    missing = [row for row in goals.rows(scalar, tensor) if row[3] == "-"]
    assert len(missing) == 7 and all(row[1].startswith("not measured (") and "\n" not in row[1] for row in missing)


def test_chain_rules_length_is_read_from_the_source():
    import inspect

    from bench import goals
    from circuitgrad.autograd import graph
    assert goals.chain_rule_lines() == inspect.getsource(graph.chain_rule).count("\n")


def test_the_least_tensor_engine_computes_circuitgrads_numbers():
    """The ceiling rows time an engine that must do the same work: same losses, step after step."""
    import numpy as np

    from bench import least_tensor, tensor
    params = tensor.xor_params()
    least, ours = least_tensor.xor_epoch(params, tensor.XOR_X, tensor.XOR_Y), tensor.circuitgrad_nn_xor(params)
    assert [least() for _ in range(5)] == [ours() for _ in range(5)]
    params, x, y = tensor.mlp_data(np.float64)
    least, ours = least_tensor.mlp_step(params, x, y, tensor.LR), tensor.circuitgrad_mlp(params, x, y)
    np.testing.assert_allclose([least() for _ in range(3)], [ours() for _ in range(3)], rtol=1e-12)


def test_the_least_tensor_engine_keeps_the_checks_it_is_credited_with():
    import numpy as np
    import pytest

    from bench import least_tensor as L
    layer = L.Linear(np.ones((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="Linear: expected last dimension 2"):
        layer(L.Node(np.ones((4, 5))))
    with pytest.raises(ValueError, match="targets must be probabilities"):
        L.bce_loss(L.Node(np.full((2, 1), 0.5)), L.Node(np.array([[0.0], [2.0]])))
    with pytest.raises(ValueError, match="input shape"):
        L.bce_loss(L.Node(np.full((2, 1), 0.5)), L.Node(np.zeros(2)))
    optimizer = L.SGD([layer.weight, layer.bias], lr=0.1)
    layer.bias.grad = np.ones(4)
    layer.weight.grad = np.ones((3, 2))
    with pytest.raises(ValueError, match="SGD: gradient of shape"):
        optimizer.step()
    assert (layer.weight.data == 1).all()  # nothing changed: checked before any update
