"""Boxes around nn modules: clusters from `nn.module.trace_modules()`, and collapsed modules."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad import viz
from circuitgrad.autograd import Tensor, Value, topological_order
from circuitgrad.nn.module import trace_modules
from circuitgrad.viz.modules import short_repr
from circuitgrad.viz.theme import GRAD_COLOR
from conftest import svg_texts as texts  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def _box(polygon: ET.Element) -> tuple:
    pts = [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def clusters(svg: bytes) -> dict:
    """Cluster caption -> every text drawn inside the cluster's outline (nested clusters' too).

    Graphviz writes clusters and nodes as sibling <g> elements, so membership is geometric.
    """
    root = ET.fromstring(svg)
    boxes, words = {}, []
    for g in root.iter(SVG + "g"):
        kind = g.get("class")
        if kind == "cluster":
            outline = next(e for e in g.iter() if e.tag in (SVG + "path", SVG + "polygon"))
            label = next(g.iter(SVG + "text"))
            if outline.tag == SVG + "polygon":
                box = _box(outline)
            else:  # rounded clusters are drawn as a path: take the numbers in it
                nums = [float(v) for v in outline.get("d").replace("M", " ").replace("C", " ").replace(",", " ").split()]
                box = (min(nums[0::2]), min(nums[1::2]), max(nums[0::2]), max(nums[1::2]))
            boxes[label.text] = box
            words.append((label.text, float(label.get("x")), float(label.get("y"))))
        elif kind == "node":
            words += [(t.text.replace("\xa0", " "), float(t.get("x")), float(t.get("y"))) for t in g.iter(SVG + "text")]
    return {name: [w for w, x, y in words if w != name and x0 <= x <= x1 and y0 <= y <= y1]
            for name, (x0, y0, x1, y1) in boxes.items()}

@pytest.fixture
def tensor_mlp():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid())
    X = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], label="X")
    Y = Tensor([[0.0], [1.0], [1.0], [0.0]], label="Y")
    with trace_modules() as trace:
        loss = ((model(X) - Y) ** 2).mean()
    loss.backward()
    return model, loss, trace


def test_each_module_call_is_a_labelled_cluster(tensor_mlp):
    model, loss, trace = tensor_mlp
    found = clusters(viz.draw(loss, trace=trace).pipe(format="svg"))
    assert set(found) == {"Sequential", "0: Linear(2, 3)", "1: Sigmoid", "2: Linear(3, 1)", "3: Sigmoid"}
    first = found["0: Linear(2, 3)"]
    assert "weight" in first and "bias" in first and "linear" in first  # parameters sit in their layer
    assert "(3, 2) float64" in first
    assert "sigmoid" in found["1: Sigmoid"] and "weight" not in found["1: Sigmoid"]
    outer = found["Sequential"]
    assert "0: Linear(2, 3)" in outer and "3: Sigmoid" in outer  # layers nest inside the model
    # The input and the loss were made outside the model.
    assert "X" not in outer and "mean" not in outer


def test_collapse_true_draws_each_layer_as_one_box(tensor_mlp):
    model, loss, trace = tensor_mlp
    svg = viz.draw(loss, trace=trace, collapse=True).pipe(format="svg")
    words = texts(svg)
    for title in ("0: Linear(2, 3)", "1: Sigmoid", "2: Linear(3, 1)", "3: Sigmoid"):
        assert title in words
    assert "weight (3, 2)  bias (3,)" in words     # a layer's box lists its parameters
    assert words.count("1 node inside") == 2  # a box without parameters says how much it hides
    assert "linear" not in words and "weight" not in words  # the insides are hidden
    assert set(clusters(svg)) == {"Sequential"}  # the model is still a cluster around the boxes
    # Each layer's output wire is still drawn, with its gradient.
    sig = model[3]
    out_node = next(c.output for c in trace.calls if c.module is sig)
    assert out_node.shape == (4, 1)
    assert "(4, 1) float64" in words
    # Gradients: the 4 layer outputs and the loss's -, ** and mean (X, Y and the 2 need none).
    assert len(texts(svg, GRAD_COLOR)) == 4 + 3


def test_collapse_a_list_of_modules(tensor_mlp):
    model, loss, trace = tensor_mlp
    svg = viz.draw(loss, trace=trace, collapse=[model]).pipe(format="svg")
    words = texts(svg)
    assert "Sequential" in words and clusters(svg) == {}
    assert "4 parameters, 8 nodes inside" in words
    assert "sigmoid" not in words and "X" in words and "mean" in words
    svg = viz.draw(loss, trace=trace, collapse=[model[0]]).pipe(format="svg")
    assert "0: Linear(2, 3)" in texts(svg)
    assert set(clusters(svg)) == {"Sequential", "1: Sigmoid", "2: Linear(3, 1)", "3: Sigmoid"}


def test_collapse_errors(tensor_mlp):
    model, loss, trace = tensor_mlp
    with pytest.raises(ValueError, match="collapse names Linear, which made no node"):
        viz.draw(loss, trace=trace, collapse=[nn.Linear(2, 2)])
    with pytest.raises(TypeError, match="collapse must be True, False or a list"):
        viz.draw(loss, trace=trace, collapse="all")
    with pytest.raises(ValueError, match="collapse needs trace="):
        viz.draw(loss, collapse=[model])


def test_collapse_keeps_a_big_model_under_max_nodes():
    np.random.seed(0)
    model = nn.MLP(3, [6, 6, 1], activation="tanh")
    with trace_modules() as trace:
        out = model([0.5, -1.0, 2.0])
    out.backward()
    n = len(topological_order(out))
    with pytest.raises(ValueError, match="pass collapse=True to draw each layer as one box"):
        viz.draw(out, trace=trace, max_nodes=n - 1)
    boxed = viz.draw(out, trace=trace, collapse=True, max_nodes=n - 1)
    assert boxed.source.count("rounded,filled") >= 3  # one box per layer
    with pytest.raises(ValueError, match=r"collapse bigger modules \(collapse=\[model\]"):
        viz.draw(out, trace=trace, collapse=True, max_nodes=5)
    assert viz.draw(out, trace=trace, collapse=[model], max_nodes=5).source.count("rounded,filled") == 1


def test_scalar_mlp_clusters_use_named_modules_paths():
    np.random.seed(1)
    model = nn.MLP(2, [2, 1], activation="tanh")
    with trace_modules() as trace:
        out = model([0.5, -1.0])
    out.backward()
    found = clusters(viz.draw(out, trace=trace).pipe(format="svg"))
    assert "layers.0: Layer(2, 2, activation='tanh')" in found
    layer = found["layers.1: Layer(2, 1, activation=None)"]
    assert {"L1.n0.w0", "L1.n0.w1", "L1.n0.b"} <= set(layer)  # its neurons' weights sit in the layer's box
    assert not any("neurons" in title for title in found)  # neurons fire inside their layer's call


def test_steps_keep_clusters(tensor_mlp):
    model, loss, trace = tensor_mlp
    first = next(viz.backprop_steps(loss, trace=trace))
    assert "0: Linear(2, 3)" in clusters(first.pipe(format="svg"))


def test_trace_without_modules_draws_plainly():
    x = Value(2.0, "x")
    with trace_modules() as trace:
        y = x * x
    y.backward()
    assert clusters(viz.draw(y, trace=trace).pipe(format="svg")) == {}


class _Odd:
    def extra_repr(self):
        return "in_features=4, out_features=2, bias=False, weights=[1, 2], name='a, b'"


class _Broken:
    def extra_repr(self):
        raise RuntimeError("boom")


def test_short_repr():
    assert short_repr(nn.Linear(2, 10)) == "Linear(2, 10)"
    assert short_repr(nn.Sequential()) == "Sequential"
    assert short_repr(_Odd()) == "_Odd(4, 2, bias=False, weights=[1, 2], name='a, b')"
    assert short_repr(_Broken()) == "_Broken"
