"""Names that come from code reach Graphviz as text: an op's `name`, a module's class name, a label.

The graphviz package passes a string shaped `<...>` to `dot` as an HTML-like label, and `dot`
follows what that markup says: a `HREF="javascript:..."` becomes a link in the SVG, an
`<IMG SRC=...>` makes `dot` open a local file. viz escapes every name (theme.esc), so each
of these is drawn as the characters it is made of. Checked with the system's `dot` and with
graphviz-pure, whichever are installed.
"""
from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor, Value
from circuitgrad.autograd.graph import Op
from circuitgrad.viz import dot_program

LINK = '<<TABLE HREF="javascript:alert(1)"><TR><TD>x</TD></TR></TABLE>>'  # a link, read as HTML
ANCHOR = '<A HREF="javascript:alert(1)">x</A>'


def _image(path) -> str:
    return f'<<TABLE><TR><TD><IMG SRC="{path}"/></TD></TR></TABLE>>'  # dot opens `path`, read as HTML


def _programs() -> list:
    found = [("dot", shutil.which("dot")), ("graphviz-pure", dot_program.find_pure())]
    return [pytest.param(path, id=name, marks=pytest.mark.skipif(path is None, reason=f"{name} is not installed"))
            for name, path in found]


def _op_named(name: str) -> type:
    """A user's own op whose `name` is `name` (the gate shows it)."""
    return type("Custom", (Op,), {"name": name, "scalar": staticmethod(lambda ctx, a: 2.0 * a),
                                  "backward": staticmethod(lambda ctx, grad, out, a: (2.0 * grad,))})


def _svg(program, graph) -> bytes:
    run = subprocess.run([str(program), "-Tsvg"], input=graph.source.encode(), capture_output=True, timeout=60)
    assert run.returncode == 0 and run.stderr == b"", run.stderr.decode()
    return run.stdout


def _no_markup_followed(svg: bytes, name: str) -> None:
    """No link and no picture in the SVG, and the name written out as its characters, in a label
    and in a tooltip."""
    root = ET.fromstring(svg)
    titles = []
    for element in root.iter():
        assert not element.tag.endswith("image"), "dot embedded a picture"
        assert all("javascript" not in value for key, value in element.attrib.items() if key.endswith("href"))
        titles += [value for key, value in element.attrib.items() if key.endswith("title")]
    texts = [(t.text or "").replace("\u00a0", " ") for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(name in text for text in texts), texts
    assert any(name in title for title in titles), titles


@pytest.mark.parametrize("program", _programs())
@pytest.mark.parametrize("name", [LINK, ANCHOR, "a\\Nb & c"])
def test_an_op_name_with_markup_is_drawn_as_its_text(program, name):
    y = Value.apply(_op_named(name), Value(1.0, "x"))
    y.backward()
    for graph in (viz.draw(y), viz.draw(y, style="record"), list(viz.backprop_steps(y))[1]):
        assert name not in graph.source  # every place it appears is escaped
        _no_markup_followed(_svg(program, graph), name)


@pytest.mark.parametrize("program", _programs())
def test_a_module_class_named_with_markup_is_drawn_as_its_text(program, tmp_path):
    # dot would warn "No such file or directory while opening .../missing.png" and fail: it read the name.
    name = _image(tmp_path / "missing.png")
    Kind = type(name, (nn.Tanh,), {})
    for model in (Kind(), nn.Sequential(Kind(), Kind())):
        with nn.trace_modules() as trace:
            out = model(Tensor(np.ones((1, 2)), requires_grad=True)).sum()
        out.backward()
        for collapse in (False, True):
            graph = viz.draw(out, trace=trace, collapse=collapse)
            assert name not in graph.source
            _no_markup_followed(_svg(program, graph), name)
    assert not (tmp_path / "missing.png").exists()


def test_the_label_of_a_value_with_markup_is_escaped_in_every_attribute():
    x = Value(1.0, LINK)
    y = x * 2.0
    y.label = ANCHOR
    y.backward()
    for graph in (viz.draw(y), viz.draw(y, style="record")):
        assert LINK not in graph.source and ANCHOR not in graph.source
        assert "&lt;A HREF=&quot;javascript:alert(1)&quot;&gt;x&lt;/A&gt;" in graph.source
