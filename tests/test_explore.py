"""viz.explore's page model (the JSON the page draws) and the saved file, without a browser."""
from __future__ import annotations

import base64
import html
import json
import re

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor, Value
from circuitgrad.viz.explore import page_model, script_json

from conftest import cs231n  # noqa: E402


def column(model: dict, part: str, key: str, dtype: str) -> np.ndarray:
    """One base64 typed-array column of the page model, as the page's script reads it."""
    return np.frombuffer(base64.b64decode(model[part][key]), dtype="<" + dtype)


def decoded(model: dict) -> tuple:
    """(nodes, steps) in plain Python: each node's name, op, group, flags and value; each step's
    gate and the (parent, contribution) pairs it sends."""
    names, ops = model["names"], model["ops"]
    name, op = column(model, "nodes", "name", "i4"), column(model, "nodes", "op", "i4")
    flags, group = column(model, "nodes", "flags", "u1"), column(model, "nodes", "group", "i4")
    value = column(model, "nodes", "value", "f8")
    nodes = [{"name": names[name[i]] if name[i] >= 0 else "", "op": ops[op[i]][0] if op[i] >= 0 else "",
              "needsGrad": bool(flags[i] & 1), "const": bool(flags[i] & 2), "group": int(group[i]),
              "value": float(value[i])} for i in range(model["nodes"]["count"])]
    gate, start = column(model, "steps", "gate", "i4"), column(model, "steps", "sendStart", "i4")
    to, sent = column(model, "steps", "sendTo", "i4"), column(model, "steps", "send", "f8")
    steps = [(int(gate[k]), [(int(to[j]), float(sent[j])) for j in range(start[k], start[k + 1])])
             for k in range(model["steps"]["count"])]
    return nodes, steps


def by_name(nodes: list) -> dict:
    return {n["name"]: i for i, n in enumerate(nodes) if n["name"]}


def test_cs231n_steps_are_the_engine_walk_gate_by_gate():
    f = cs231n()
    q, z = f.parents
    x, y = q.parents
    m = page_model(f)
    nodes, steps = decoded(m)
    ix = by_name(nodes)
    assert m["seed"] == "1" and ix["f"] == len(nodes) - 1 and m["rootName"] == "f"
    assert steps == [(ix["f"], [(ix["q"], -4.0), (ix["z"], 3.0)]),   # one step per gate: * then +
                     (ix["q"], [(ix["x"], -4.0), (ix["y"], -4.0)])]
    assert [nodes[i]["value"] for i in (ix["x"], ix["y"], ix["z"], ix["q"], ix["f"])] == [-2, 5, -4, 3, -12]
    assert sorted(o[0] for o in m["ops"]) == ["*", "+"], "each op once, whatever the graph's size"
    assert (x.grad, y.grad, z.grad, q.grad) == (0.0, 0.0, 0.0, 0.0), "the page must not touch .grad"


def test_a_reused_value_sends_each_contribution_in_the_engine_order():
    x = Value(3.0, "x")
    f = x * x + x  # df/dx = 2x + 1 = 7
    f.label = "f"
    nodes, steps = decoded(page_model(f))
    sends = [c for _, sent in steps for p, c in sent if p == by_name(nodes)["x"]]
    assert sends == [1.0, 3.0, 3.0]  # from +, then each operand of *; the page sums them: 1, 4, 7


def test_tensor_gradients_match_backward_and_big_ones_get_statistics(rng):
    W = Tensor(rng.normal(size=(30, 20)), requires_grad=True, label="W")
    b = Tensor(rng.normal(size=(20,)), requires_grad=True, label="b")
    X = Tensor(rng.normal(size=(5, 30)), label="X")
    loss = ((X @ W + b).tanh() ** 2).mean()
    m = page_model(loss, precision=3)
    loss.backward()
    ix = by_name(decoded(m)[0])
    w = m["tensors"][str(ix["W"])]
    assert w["shape"] == "(30, 20) float64" and set(w["data"]) >= {"min", "mean", "max", "hist", "shape", "dtype"}
    assert sum(w["data"]["hist"]) == 600 and w["gradDetail"]["shape"] == [30, 20]
    assert float(w["gradDetail"]["max"]) == pytest.approx(W.grad.max(), rel=1e-3)
    assert float(w["gradDetail"]["mean"]) == pytest.approx(W.grad.mean(), rel=1e-3, abs=1e-6)
    small = Tensor(np.array([1.5, -2.0]), requires_grad=True, label="s")
    out = (small * 2.0).sum()
    m = page_model(out)
    nodes = decoded(m)[0]
    s = m["tensors"][str(by_name(nodes)["s"])]
    assert s["gradDetail"] == {"text": "[2, 2]"} and s["data"] == {"text": "[1.5, -2]"}
    two = next(n for n in nodes if not n["op"] and not n["name"])
    assert two["const"] and not two["needsGrad"], "the 2.0 an op wrapped is a constant"


def test_data_is_an_input_and_a_wrapped_number_a_constant():
    X = Tensor(np.ones((4, 2)))  # data: a leaf that needs no gradient
    w = Tensor(np.ones(2), requires_grad=True, label="w")
    nodes, _ = decoded(page_model(((X * w) * 2.0).sum()))
    leaves = [n for n in nodes if not n["op"] and not n["name"]]
    assert sorted(n["const"] for n in leaves) == [False, True]


def test_broadcast_gradient_is_summed_back_to_the_input_shape():
    b = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="b")
    X = Tensor(np.ones((3, 2)), requires_grad=True, label="X")
    m = page_model((X + b).sum())
    assert m["tensors"][str(by_name(decoded(m)[0])["b"])]["grad"] == "[3, 3]"


def test_trace_groups_name_the_modules():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    with nn.trace_modules() as trace:
        out = model(Tensor(np.ones((4, 2)))).sum()
    m = page_model(out, trace=trace)
    assert [g[:2] for g in m["groups"]] == [["Sequential", -1], ["0: Linear(2, 3)", 0], ["1: Sigmoid", 0]]
    weight = next(n for n in decoded(m)[0] if n["name"] == "weight")
    assert m["groups"][weight["group"]][0] == "0: Linear(2, 3)"
    assert m["tips"][m["groups"][0][2]].startswith("Sequential(")


def test_saved_page_is_one_file_that_asks_for_nothing(tmp_path):
    f = cs231n()
    f.label = "</script><b>손실</b>"
    page = viz.explore(f)
    path = page.save(tmp_path / "g.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "no external script, style or font"
    assert "@import" not in text and "url(http" not in text and "@font-face" not in text
    assert text.count("</script>") == 3, "a label cannot end the data block early (data, words, script)"
    data = re.search(r'<script type="application/json" id="cg-data">(.*?)</script>', text, re.S).group(1)
    assert "<" not in data and ">" not in data and "&" not in data
    assert json.loads(data)["names"][-1] == "</script><b>손실</b>"
    frame = page._repr_html_()
    assert frame.startswith("<iframe") and html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == text


def test_explore_rejects_bad_arguments():
    f = cs231n()
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
    for bad in (0, -5, 2.5, True, "many"):
        with pytest.raises(ValueError, match="max_nodes must be a positive whole number"):
            viz.explore(f, max_nodes=bad)


@pytest.mark.parametrize("text", ["</script>", "<!--<script>", "<!--", "-->", "a\u2028b\u2029c", "<b>&amp;</b>"])
def test_inlined_json_cannot_leave_its_script(text):
    inlined = script_json({"name": text})
    assert not set(inlined) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(inlined) == {"name": text}


def long_sum(n: int) -> Value:
    total = Value(0.0, "s")
    for k in range(n):
        total = total + Value(float(k))
    return total


def test_a_graph_past_the_bound_is_refused_with_how_to_show_a_part():
    with pytest.raises(ValueError, match=r"has 201 nodes, more than max_nodes=200.*Explore a part.*max_nodes=201"):
        viz.explore(long_sum(100), max_nodes=200)


def test_one_view_past_the_bound_is_refused_even_when_the_page_is_small():
    big = long_sum(2_600)  # 5,201 nodes, none in a module: all in one view
    with pytest.raises(ValueError, match=r"the whole graph would draw 5,201 nodes and boxes at once, more than "
                                         r"5,000.*trace=trace.*max_nodes=None"):
        viz.explore(big)
    assert viz.explore(big, max_nodes=None).model["nodes"]["count"] == 5_201
