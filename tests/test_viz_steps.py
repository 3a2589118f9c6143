"""Backprop step by step: one picture per node, gradients filling in, the user's .grad untouched."""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from circuitgrad import viz
from circuitgrad.autograd import Tensor, Value, topological_order
from circuitgrad.viz.graph_view import build_view, drawing_order
from circuitgrad.viz.steps import gradient_walk
from circuitgrad.viz.theme import GRAD_COLOR, UNKNOWN_COLOR

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: bytes, color: str = None) -> list:
    return [t.text for t in ET.fromstring(svg).iter(SVG + "text") if color is None or t.get("fill") == color]


def neuron():
    w0, x0, w1, x1, w2 = (Value(v, n) for v, n in [(2, "w0"), (-1, "x0"), (-3, "w1"), (-2, "x1"), (-3, "w2")])
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()), (w0, x0, w1, x1, w2)


def test_one_step_per_node_and_gradients_fill_in():
    f, _ = neuron()
    f.backward()
    n = len(topological_order(f))
    svgs = [g.pipe(format="svg") for g in viz.backprop_steps(f)]
    assert len(svgs) == n == 13
    for k, svg in enumerate(svgs, start=1):
        known, unknown = texts(svg, GRAD_COLOR), texts(svg, UNKNOWN_COLOR)
        assert len(known) == k and unknown == ["?"] * (n - k)
        assert f"step {k} of {n}" in texts(svg)[0]
    assert texts(svgs[0], GRAD_COLOR) == ["1"]  # the seed comes first
    final = texts(svgs[-1], GRAD_COLOR)
    for g in ("-0.2", "0.39", "-0.39", "-0.59", "0.2", "-0.53", "1"):
        assert g in final
    assert sorted(final) == sorted(texts(viz.draw(f).pipe(format="svg"), GRAD_COLOR))


def test_steps_do_not_touch_the_users_gradients():
    f, leaves = neuron()
    # No backward yet: every .grad is still 0, and must stay 0.
    steps = list(viz.backprop_steps(f))
    assert [x.grad for x in leaves] == [0.0] * 5
    assert f.grad == 0.0
    assert "-0.2" in texts(steps[-1].pipe(format="svg"), GRAD_COLOR)
    # Accumulated leaf gradients (two backward passes) are not changed either.
    f.backward()
    f.backward()
    before = [x.grad for x in leaves]
    list(viz.backprop_steps(f))
    assert [x.grad for x in leaves] == before


def test_the_highlighted_node_is_the_one_just_finished():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    steps = [s.source for s in viz.backprop_steps(f)]
    assert "backprop starts at the output of the * gate with the seed gradient 1" in steps[0]
    order = list(reversed(topological_order(f)))
    for node, step in zip(order[1:], steps[1:]):
        who = node.label or f"the output of the {node.op} gate"
        assert f"{who} gets its gradient {node.grad:g} = " in step
    # z's gradient is the local slope of the * gate (q = 3) times the gradient above it (1).
    # Written in ASCII (`*`, as in Python): graphviz-pure has no width for the multiplication sign.
    assert "z gets its gradient 3 = 3 * 1 (via *): local slope * gradient from above" in " ".join(steps)


def test_a_reused_value_sums_its_uses():
    x, y = Value(3.0, "x"), Value(-2.0, "y")
    f = x * y + x
    last = list(viz.backprop_steps(f))[-1].source
    assert "x gets its gradient -1 = 1 * 1 (via +) + (-2) * 1 (via *)" in last
    assert "summed over its uses" in last


def test_gradient_walk_matches_backward_on_tensors(rng):
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True, label="W")
    X = Tensor(rng.normal(size=(4, 3)), label="X")
    loss = ((X @ W).tanh() ** 2).sum()
    grads = None
    finished = []
    for node, grads, parts in gradient_walk(loss):
        finished.append(node)
    assert finished == list(reversed(topological_order(loss)))
    loss.backward()
    for node in topological_order(loss):
        if node.requires_grad:
            np.testing.assert_allclose(grads[node], node.grad, rtol=1e-12)
            if node is not loss:
                np.testing.assert_allclose(sum(c for _, c in parts[node]), node.grad, rtol=1e-12)
        else:
            assert node not in grads


def test_tensor_output_with_many_entries_needs_a_seed():
    t = Tensor([1.0, 2.0], requires_grad=True, label="t")
    out = t * 3
    with pytest.raises(ValueError, match="pass grad="):
        list(viz.backprop_steps(out))
    steps = list(viz.backprop_steps(out, grad=np.array([1.0, -1.0])))
    assert len(steps) == 3  # t, the constant 3, and the product
    assert "[3, -3]" in texts(steps[-1].pipe(format="svg"), GRAD_COLOR)
    assert "a constant, it needs no gradient" in " ".join(s.source for s in steps)


def test_backprop_steps_checks_options():
    f, _ = neuron()
    with pytest.raises(ValueError, match="style must be"):
        next(viz.backprop_steps(f, style="nope"))
    with pytest.raises(TypeError, match="expected a Value or a Tensor"):
        next(viz.backprop_steps(3.0))
    with pytest.raises(ValueError, match="max_nodes"):
        next(viz.backprop_steps(f, max_nodes=5))


def test_save_steps_writes_numbered_files(tmp_path):
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    paths = viz.save_steps(f, tmp_path / "new" / "steps")
    assert [p.name for p in paths] == [f"step_0{k}.svg" for k in range(1, 6)]
    assert all(p.read_bytes().lstrip().startswith(b"<?xml") for p in paths)
    pngs = viz.save_steps(f, tmp_path / "png", fmt="png", style="record")
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"fmt must be one of \['svg', 'png'\]"):
        viz.save_steps(f, tmp_path, fmt="gif")


def test_step_through_gives_a_slider():
    pytest.importorskip("ipywidgets", reason="step_through's slider needs ipywidgets (the test extra)")
    f, _ = neuron()
    widget = viz.step_through(f)
    controls, picture = widget.children
    play, slider = controls.children
    assert (slider.min, slider.max, slider.value) == (1, 13, 1)
    assert "step 1 of 13" in picture.value
    slider.value = 13
    assert "step 13 of 13" in picture.value


def test_step_through_without_ipywidgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    f, _ = neuron()
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        viz.step_through(f)


def test_a_step_marks_the_new_gradient_and_the_gate_it_came_back_through():
    # Step 2 finds q's gradient through the * gate: * is marked, not +, q's own gate.
    from circuitgrad.viz.theme import HIGHLIGHT_COLOR, HIGHLIGHT_FILL
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    step = list(viz.backprop_steps(f))[1]
    ids = {node: view.id for node, view in zip(drawing_order(f), build_view(f).nodes)}
    svg = ET.fromstring(step.pipe(format="svg"))
    marked_gates = [g.find(f"{SVG}title").text for g in svg.iter(SVG + "g") if g.get("class") == "node"
                    and any(e.get("fill") == HIGHLIGHT_FILL for e in g.iter(SVG + "ellipse"))]
    assert marked_gates == [ids[f]]  # the gate of the node that used q: f = q * z
    assert f'BGCOLOR="{HIGHLIGHT_COLOR}"' in step.source.split(f"\t{ids[q]}v [")[1].split("\n")[0]  # q's wire
    marked_edges = [line for line in step.body if "->" in line and HIGHLIGHT_COLOR in line]
    assert len(marked_edges) == 1 and marked_edges[0].strip().startswith(f"{ids[q]}v")  # q's wire into *
