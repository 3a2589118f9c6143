"""The record style (`label | data | grad` boxes, micrograd's notebook look), read back from the SVG."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from circuitgrad import viz
from circuitgrad.autograd import Tensor, Value
from circuitgrad.viz.theme import GRAD_COLOR, VALUE_COLOR
from conftest import svg_texts as texts  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"

def node_groups(svg: bytes) -> list:
    """The texts of each Graphviz node, one list per node."""
    return [[t.text for t in g.iter(SVG + "text")]
            for g in ET.fromstring(svg).iter(SVG + "g") if g.get("class") == "node"]


def test_record_boxes_hold_label_data_and_grad():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    svg = viz.draw(f, style="record").pipe(format="svg")
    groups = node_groups(svg)
    assert ["x", "data ", "-2", "grad ", "-4"] in groups
    assert ["z", "data ", "-4", "grad ", "3"] in groups
    assert ["data ", "-12", "grad ", "1"] in groups  # the output, with its seed gradient
    assert ["+"] in groups and ["*"] in groups       # one small node per op
    assert sorted(texts(svg, VALUE_COLOR)) == sorted(["-2", "5", "-4", "3", "-12"])
    assert sorted(texts(svg, GRAD_COLOR)) == sorted(["-4", "-4", "3", "-4", "1"])
    assert len(groups) == 5 + 2  # five value boxes, two op nodes


def test_record_tensor_box_shows_shape():
    W = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="W")
    out = (W * W).sum()
    out.backward()
    groups = node_groups(viz.draw(out, style="record").pipe(format="svg"))
    assert ["W", "(2, 3) float64", "data ", "[[0, 1, 2], [3, 4, 5]]", "grad ", "[[0, 2, 4], [6, 8, 10]]"] in groups
    assert ["() float64", "data ", "55", "grad ", "1"] in groups


def test_record_without_gradients():
    a = Value(3.0, "a")
    out = a.tanh()
    svg = viz.draw(out, style="record", show_grad=False).pipe(format="svg")
    assert "grad " not in texts(svg)
    assert "tanh" in texts(svg)
