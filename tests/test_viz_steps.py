"""Backprop step by step: one picture per gate, gradients filling in, the user's .grad untouched."""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from circuitgrad import viz
from circuitgrad.autograd import Tensor, Value, topological_order
from circuitgrad.viz.graph_view import build_view, drawing_order
from circuitgrad.viz.theme import GRAD_COLOR, UNKNOWN_COLOR
from conftest import svg_texts as texts  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"



def neuron():
    w0, x0, w1, x1, w2 = (Value(v, n) for v, n in [(2, "w0"), (-1, "x0"), (-3, "w1"), (-2, "x1"), (-3, "w2")])
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()), (w0, x0, w1, x1, w2)


def test_one_step_per_gate_and_gradients_fill_in():
    f, _ = neuron()
    f.backward()
    nodes = topological_order(f)
    gates = [n for n in nodes if n.fn is not None]
    svgs = [g.pipe(format="svg") for g in viz.backprop_steps(f)]
    assert len(svgs) == len(gates) + 1 == 9  # the seed, then each gate once
    seen = []
    for k, svg in enumerate(svgs, start=1):
        known, unknown = texts(svg, GRAD_COLOR), texts(svg, UNKNOWN_COLOR)
        assert len(known) + len(unknown) == len(nodes)
        assert f"step {k} of {len(svgs)}" in texts(svg)[0]
        seen.append(len(known))
    assert seen == sorted(seen) and seen[-1] == len(nodes) and seen[0] == 1
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


def test_each_step_is_one_gate_sending_to_all_its_inputs():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.backward()
    svgs = [s.pipe(format="svg") for s in viz.backprop_steps(f)]
    captions = [texts(svg)[0] for svg in svgs]
    assert "backprop starts at the output with the seed gradient 1" in captions[0]
    # Step 2: the * gate sends to q and z at once; x and y, further back, are still unknown.
    assert texts(svgs[1], UNKNOWN_COLOR) == ["?", "?"]
    assert sorted(texts(svgs[1], GRAD_COLOR)) == ["-4", "1", "3"]
    caption = " ".join(texts(svgs[1]))
    assert "the * gate" in caption and "q gets -4" in caption and "z gets 3" in caption
    # Step 3: the + gate sends -4 to both x and y; nothing is unknown any more.
    assert texts(svgs[2], UNKNOWN_COLOR) == []
    assert sorted(texts(svgs[2], GRAD_COLOR)) == ["-4", "-4", "-4", "1", "3"]
    assert "x gets 1" in " ".join(texts(svgs[2]))


def test_a_reused_value_sums_its_uses():
    x, y = Value(3.0, "x"), Value(-2.0, "y")
    f = x * y + x
    steps = [s.source for s in viz.backprop_steps(f)]
    assert "x gets 1 * 1 = 1 (so far 1; 1 more to come)" in steps[1]
    assert "x gets -2 * 1 = -2 (summed over its uses: -1)" in steps[2]


def test_gate_steps_match_backward_on_tensors(rng):
    from circuitgrad.autograd import gate_steps
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True, label="W")
    X = Tensor(rng.normal(size=(4, 3)), label="X")
    loss = ((X @ W).tanh() ** 2).sum()
    seed, steps = gate_steps(loss)
    assert [s.gate for s in steps] == [n for n in reversed(topological_order(loss)) if n.fn is not None]
    assert W.grad is None  # watching changes nothing
    sums: dict = {loss: seed}
    for step in steps:
        for parent, g in zip(step.gate.parents, step.grads):
            if g is not None:
                sums[parent] = sums[parent] + g if parent in sums else g
    loss.backward()
    for node in topological_order(loss):
        if node.requires_grad:
            np.testing.assert_allclose(sums[node], node.grad, rtol=1e-12)
        else:
            assert node not in sums


def test_tensor_output_with_many_entries_needs_a_seed():
    t = Tensor([1.0, 2.0], requires_grad=True, label="t")
    out = t * 3
    with pytest.raises(ValueError, match="pass grad="):
        list(viz.backprop_steps(out))
    steps = list(viz.backprop_steps(out, grad=np.array([1.0, -1.0])))
    assert len(steps) == 2  # the seed, then the * gate
    assert "[3, -3]" in texts(steps[-1].pipe(format="svg"), GRAD_COLOR)
    assert "t gets [3, -3]" in steps[-1].source  # the constant 3 needs no gradient and gets none


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
    assert [p.name for p in paths] == [f"step_0{k}.svg" for k in range(1, 4)]
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
    assert (slider.min, slider.max, slider.value) == (1, 9, 1)
    assert "step 1 of 9" in picture.value
    slider.value = 9
    assert "step 9 of 9" in picture.value


def test_step_through_without_ipywidgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    f, _ = neuron()
    with pytest.raises(ImportError, match="pip install ipywidgets"):
        viz.step_through(f)


def test_a_step_marks_the_gate_that_ran_and_the_wires_it_sent_to():
    # Step 2 is the * gate sending to q and z: * is marked, not +, and so are q's and z's wires.
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
    assert marked_gates == [ids[f]]
    for node in (q, z):
        assert f'BGCOLOR="{HIGHLIGHT_COLOR}"' in step.source.split(f"\t{ids[node]}v [")[1].split("\n")[0]
    assert f'BGCOLOR="{HIGHLIGHT_COLOR}"' not in step.source.split(f"\t{ids[x]}v [")[1].split("\n")[0]
    marked_edges = sorted(line.strip().split(" ")[0] for line in step.body if "->" in line and HIGHLIGHT_COLOR in line)
    assert marked_edges == sorted(f"{ids[n]}v:w:e" for n in (q, z))  # q's and z's wires into *
