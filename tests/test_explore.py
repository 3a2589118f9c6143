"""viz.explore's page model (the JSON the page draws) and the saved file, without a browser."""
from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor, Value
from circuitgrad.viz.explore import page_model


def cs231n():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f, (x, y, z, q)


def by_name(model: dict) -> dict:
    return {n["name"]: i for i, n in enumerate(model["nodes"]) if n["name"]}


def test_cs231n_steps_are_the_engine_walk_gate_by_gate():
    f, (x, y, z, q) = cs231n()
    m = page_model(f)
    ix = by_name(m)
    assert m["seed"] == "1" and m["root"] == ix["f"] and m["rootName"] == "f"
    first, second = m["backward"]
    assert len(m["backward"]) == 2  # one step per gate: * then +
    assert first["gate"] == ix["f"] and first["upstream"] == "1"
    assert first["sends"] == [[ix["q"], "-4", "-4", True], [ix["z"], "3", "3", True]]
    assert second["gate"] == ix["q"] and second["upstream"] == "-4"
    assert second["sends"] == [[ix["x"], "-4", "-4", True], [ix["y"], "-4", "-4", True]]
    assert "\u2202f/\u2202q = \u2202f/\u2202f \u00d7 \u2202f/\u2202q = 1 \u00d7 (-4) = -4" in first["caption"]
    assert "\u2202f/\u2202x = \u2202f/\u2202q \u00d7 \u2202q/\u2202x = -4 \u00d7 1 = -4" in second["caption"]
    assert [s["node"] for s in m["forward"]] == [ix["q"], ix["f"]]
    assert m["forward"][0]["caption"].endswith("q = x + y = -2 + 5 = 3")
    assert m["forward"][1]["caption"].endswith("f = q \u00d7 z = 3 \u00d7 (-4) = -12")
    assert {n["name"]: n["grad"] for n in m["nodes"]} == {"x": "-4", "y": "-4", "z": "3", "q": "-4", "f": "1"}
    assert (x.grad, y.grad, z.grad, q.grad) == (0.0, 0.0, 0.0, 0.0), "the page must not touch .grad"


def test_a_reused_value_sums_its_contributions_and_marks_the_partial_ones():
    x = Value(3.0, "x")
    f = x * x + x  # df/dx = 2x + 1 = 7
    f.label = "f"
    m = page_model(f)
    ix = by_name(m)
    sends = [s for step in m["backward"] for s in step["sends"] if s[0] == ix["x"]]
    assert [s[1] for s in sends] == ["1", "3", "3"]          # from +, then each operand of *
    assert [s[2] for s in sends] == ["1", "4", "7"]          # the running sum shown on the wire
    assert [s[3] for s in sends] == [False, False, True]     # final only after the last use
    assert m["nodes"][ix["x"]]["grad"] == "7"
    assert "+=" in m["backward"][-1]["caption"]


def test_tensor_gradients_match_backward_and_big_ones_get_statistics(rng):
    W = Tensor(rng.normal(size=(30, 20)), requires_grad=True, label="W")
    b = Tensor(rng.normal(size=(20,)), requires_grad=True, label="b")
    X = Tensor(rng.normal(size=(5, 30)), label="X")
    loss = ((X @ W + b).tanh() ** 2).mean()
    m = page_model(loss, precision=3)
    loss.backward()
    ix = by_name(m)
    w, bias = m["nodes"][ix["W"]], m["nodes"][ix["b"]]
    assert w["shape"] == "(30, 20) float64" and set(w["data"]) >= {"min", "mean", "max", "hist", "shape", "dtype"}
    assert sum(w["data"]["hist"]) == 600 and w["gradDetail"]["shape"] == [30, 20]
    assert float(w["gradDetail"]["max"]) == pytest.approx(W.grad.max(), rel=1e-3)
    assert float(w["gradDetail"]["mean"]) == pytest.approx(W.grad.mean(), rel=1e-3, abs=1e-6)
    small = Tensor(np.array([1.5, -2.0]), requires_grad=True, label="s")
    out = (small * 2.0).sum()
    m = page_model(out)
    assert m["nodes"][by_name(m)["s"]]["gradDetail"] == {"text": "[2, 2]"}
    assert m["nodes"][by_name(m)["s"]]["data"] == {"text": "[1.5, -2]"}
    assert not any(n["needsGrad"] for n in m["nodes"] if n["const"])


def test_broadcast_gradient_is_summed_back_to_the_input_shape():
    b = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="b")
    X = Tensor(np.ones((3, 2)), requires_grad=True, label="X")
    m = page_model((X + b).sum())
    assert m["nodes"][by_name(m)["b"]]["grad"] == "[3, 3]"


def test_trace_groups_name_the_modules():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    with nn.trace_modules() as trace:
        out = model(Tensor(np.ones((4, 2)))).sum()
    m = page_model(out, trace=trace)
    titles = [g["title"] for g in m["groups"]]
    assert titles == ["Sequential", "0: Linear(2, 3)", "1: Sigmoid"]
    assert [g["parent"] for g in m["groups"]] == [None, 0, 0]
    weight = next(n for n in m["nodes"] if n["name"] == "weight")
    assert m["groups"][weight["group"]]["title"] == "0: Linear(2, 3)"


def test_saved_page_is_one_file_that_asks_for_nothing(tmp_path):
    f, _ = cs231n()
    f.label = "</script><b>손실</b>"
    page = viz.explore(f)
    path = page.save(tmp_path / "g.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "no external script, style or font"
    assert "@import" not in text and "url(http" not in text and "@font-face" not in text
    assert text.count("</script>") == 2, "a label cannot end the data block early"
    data = re.search(r'<script type="application/json" id="cg-data">(.*?)</script>', text, re.S).group(1)
    assert json.loads(data)["nodes"][-1]["name"] == "</script><b>손실</b>"
    frame = page._repr_html_()
    assert frame.startswith("<iframe") and html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == text


def test_explore_rejects_bad_arguments():
    f, _ = cs231n()
    with pytest.raises(TypeError, match="Value or a Tensor"):
        viz.explore(3.0)
    with pytest.raises(ValueError, match="precision"):
        viz.explore(f, precision=-1)
    with pytest.raises(ValueError, match="height"):
        viz.explore(f, height=10)
    with pytest.raises(TypeError, match="title"):
        viz.explore(f, title=5)
    with pytest.raises(TypeError, match="trace"):
        viz.explore(f, trace=object())
    with pytest.raises(ValueError, match="grad="):
        viz.explore(Tensor(np.ones(3), requires_grad=True) * 2.0)
    assert page_model(Tensor(np.ones(3), requires_grad=True) * 2.0, grad=np.ones(3))["seed"] == "[1, 1, 1]"
