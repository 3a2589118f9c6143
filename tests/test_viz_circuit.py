"""viz.draw / viz.render in the circuit style: the CS231n worked examples, read back from the SVG."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

from circuitgrad import viz
from circuitgrad.autograd import Tensor, Value, topological_order
from circuitgrad.viz import dot_program
from circuitgrad.viz.graph_view import format_number, summarize
from circuitgrad.viz.render import GraphvizNotFound
from circuitgrad.viz.theme import GRAD_COLOR, VALUE_COLOR
from conftest import svg_texts as texts  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"

def svg_of(root, **options) -> bytes:
    return viz.draw(root, **options).pipe(format="svg")


@pytest.fixture
def cs231n():
    """f = (x + y) * z at x=-2, y=5, z=-4: the circuit of the CS231n backprop notes (seed 001)."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    return f, (x, y, z)


@pytest.fixture
def neuron():
    """The CS231n sigmoid neuron 1 / (1 + exp(-(w0*x0 + w1*x1 + w2))), built from primitive gates."""
    w0, x0, w1, x1, w2 = (Value(v, n) for v, n in [(2, "w0"), (-1, "x0"), (-3, "w1"), (-2, "x1"), (-3, "w2")])
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.backward()
    return f, (w0, x0, w1, x1, w2)


def test_cs231n_circuit_values_in_green_gradients_in_red(cs231n):
    f, _ = cs231n
    svg = svg_of(f)
    # One wire per node: x, y, z, q = x + y and the output f; the seed 1 sits on the output's stub.
    assert sorted(texts(svg, VALUE_COLOR)) == sorted(["-2", "5", "-4", "3", "-12"])
    assert sorted(texts(svg, GRAD_COLOR)) == sorted(["-4", "-4", "3", "-4", "1"])
    all_text = texts(svg)
    for name in ("x", "y", "z", "+", "*"):
        assert name in all_text


def test_each_value_sits_above_its_gradient(cs231n):
    f, _ = cs231n
    root = ET.fromstring(svg_of(f))
    checked = 0
    for group in root.iter(SVG + "g"):
        if group.get("class") != "node":
            continue
        green = [float(t.get("y")) for t in group.iter(SVG + "text") if t.get("fill") == VALUE_COLOR]
        red = [float(t.get("y")) for t in group.iter(SVG + "text") if t.get("fill") == GRAD_COLOR]
        if green and red:
            assert max(green) < min(red)  # SVG y grows downwards: value above, gradient below
            checked += 1
    assert checked == 5


def test_inputs_are_left_of_gates(cs231n):
    f, _ = cs231n
    root = ET.fromstring(svg_of(f))
    xs = {t.text: float(t.get("x")) for t in root.iter(SVG + "text")}
    assert xs["x"] < xs["+"] < xs["*"]
    assert xs["z"] < xs["*"]


def test_sigmoid_neuron_gradients(neuron):
    f, _ = neuron
    svg = svg_of(f)
    green, red = texts(svg, VALUE_COLOR), texts(svg, GRAD_COLOR)
    assert "0.73" in green
    for g in ("-0.2", "0.39", "-0.39", "-0.59", "0.2", "-0.53", "1"):
        assert g in red, g
    for gate in ("*-1", "exp", "+1", "1/x"):
        assert gate in texts(svg)


def test_precision_option(neuron):
    f, _ = neuron
    assert "0.7311" in texts(svg_of(f, precision=4), VALUE_COLOR)
    assert "1" in texts(svg_of(f, precision=0), VALUE_COLOR)  # 0.73 rounds to 1


def test_show_grad_false_hides_gradients(cs231n):
    f, _ = cs231n
    svg = svg_of(f, show_grad=False)
    assert texts(svg, GRAD_COLOR) == []
    assert "-12" in texts(svg, VALUE_COLOR)


@pytest.mark.parametrize("rankdir", ["TB", "RL", "BT"])
def test_other_directions_show_the_same_numbers(cs231n, rankdir):
    f, _ = cs231n
    svg = svg_of(f, rankdir=rankdir)
    assert sorted(texts(svg, GRAD_COLOR)) == sorted(["-4", "-4", "3", "-4", "1"])


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_an_operand_used_twice_gets_two_arrows_that_do_not_overlap(rankdir):
    # In x * x the gate has two inputs; drawn on top of each other they would read as one.
    x = Value(3.0, "x")
    y = x * x
    y.backward()
    dot = viz.draw(y, rankdir=rankdir)
    edges = [line.split("[")[0].split("->") for line in dot.body if "->" in line]
    from_x = [head.strip() for tail, head in edges if tail.strip().startswith("n0v")]  # x's wire is node 0
    assert len(from_x) == 2 and len(set(from_x)) == 2, from_x  # two arrows, entering at different ports
    assert {h.split(":")[0] for h in from_x} == {"n1"}  # both into the * gate
    assert texts(dot.pipe(format="svg"), GRAD_COLOR)[0] == "6"  # d(x*x)/dx = 2x, on x's one wire


def test_named_intermediate_value_is_shown():
    x, y = Value(1.5, "x"), Value(2.0, "y")
    q = x * y
    q.label = "q"
    out = q + 1
    out.backward()
    svg = svg_of(out)
    assert "q" in texts(svg) and "+1" in texts(svg)


def test_drawing_leaves_gradients_alone(cs231n):
    f, (x, y, z) = cs231n
    before = [n.grad for n in topological_order(f)]
    viz.draw(f)
    assert [n.grad for n in topological_order(f)] == before


def test_labels_are_escaped():
    a = Value(1.0, "<a&b>")
    out = a * 2
    out.backward()
    assert "<a&b>" in texts(svg_of(out))


def test_tensor_nodes_show_shape_dtype_summary_and_tooltip():
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(4, 3)), label="X")
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True, label="W")
    b = Tensor(np.array([0.5, -0.5], dtype=np.float32).astype(np.float64), requires_grad=True, label="b")
    loss = ((X @ W + b).tanh() * 2).mean()
    loss.backward()
    svg = svg_of(loss)
    all_text = " | ".join(texts(svg))
    for shape in ("(4, 3) float64", "(3, 2) float64", "(2,) float64", "(4, 2) float64", "() float64"):
        assert shape in all_text
    assert "min " in all_text and "mean " in all_text  # 12 entries: summarized
    assert "[0.5, -0.5]" in all_text                    # 2 entries: shown
    assert "const" in all_text                           # the 2 in `* 2`
    # Every entry of W's gradient is in its tooltip.
    tips = [a.get("{http://www.w3.org/1999/xlink}title") or "" for a in ET.fromstring(svg).iter(SVG + "a")]
    w_tip = next(t for t in tips if t.startswith("W"))
    for value in W.grad.data.ravel():
        assert format_number(value, 4) in w_tip


def test_float32_tensor_shows_its_dtype():
    t = Tensor(np.ones(3, dtype=np.float32), requires_grad=True, label="t")
    out = (t * t).sum()
    out.backward()
    assert "(3,) float32" in texts(svg_of(out))


def test_untouched_tensor_grad_is_not_shown():
    t = Tensor([1.0, 2.0], requires_grad=True, label="t")
    out = (t * 3).sum()  # no backward: no gradient anywhere
    svg = svg_of(out)
    assert texts(svg, GRAD_COLOR) == []


@pytest.mark.parametrize("x, precision, text", [
    (-2.0, 2, "-2"), (0.7310585, 2, "0.73"), (-0.19661, 2, "-0.2"), (0.5, 0, "0.5"), (2.5, 0, "2"), (0.0, 2, "0"),
    (-0.0, 2, "0"), (0.00042, 2, "4.2e-4"), (1234567.0, 2, "1.2e6"), (12.3456, 3, "12.346"), (12.3456, 2, "12.35"),
    (float("nan"), 2, "nan"), (float("-inf"), 2, "-inf"), (-0.001, 2, "-0.001"),
    # below 1, significant digits: a small gradient keeps its size (0.0072 is not shown as 0.01)
    (0.0072, 2, "0.0072"), (-0.0036, 2, "-0.0036"), (0.99983, 4, "0.9998"), (0.99983, 2, "1"),
    (-4.511e-5, 4, "-4.511e-5"), (0.00048677, 4, "4.868e-4"),
])
def test_format_number(x, precision, text):
    assert format_number(x, precision) == text


def test_summarize():
    assert summarize(np.array([[1.0], [2.5]])) == "[1, 2.5]"          # a column reads flat
    assert summarize(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
    assert summarize(np.arange(10.0)) == "min 0  mean 4.5  max 9"
    assert summarize(np.zeros((0, 3))) == "[] (empty)"


def test_render_writes_svg_and_png(cs231n, tmp_path):
    f, _ = cs231n
    assert viz.render(f, tmp_path / "c.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert viz.render(f, tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_writes_pdf(cs231n, tmp_path):
    program = dot_program.resolve()
    if program is not None and program.pure:
        pytest.skip("the `dot` in use is graphviz-pure, which writes no PDF (tests/test_viz_backends.py checks its error)")
    f, _ = cs231n
    assert viz.render(f, str(tmp_path / "c.PDF")).read_bytes()[:5] == b"%PDF-"


def test_render_takes_draw_options_and_a_drawn_graph(cs231n, tmp_path):
    f, _ = cs231n
    path = viz.render(f, tmp_path / "r.svg", style="record", precision=3)
    assert "data " in texts(path.read_bytes())
    path = viz.render(viz.draw(f, show_grad=False), tmp_path / "d.svg")
    assert texts(path.read_bytes(), GRAD_COLOR) == []
    with pytest.raises(TypeError, match="already drawn"):
        viz.render(viz.draw(f), tmp_path / "e.svg", style="record")


def test_render_rejects_unknown_suffix(cs231n, tmp_path):
    f, _ = cs231n
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf"):
        viz.render(f, tmp_path / "c.gif")
    with pytest.raises(ValueError, match="cannot tell the format"):
        viz.render(f, tmp_path / "noext")


def test_render_into_missing_folder_raises_oserror(cs231n, tmp_path):
    f, _ = cs231n
    with pytest.raises(OSError):
        viz.render(f, tmp_path / "missing" / "c.svg")


def test_draw_returns_a_digraph_that_shows_in_jupyter(cs231n):
    f, _ = cs231n
    g = viz.draw(f)
    assert isinstance(g, graphviz.Digraph)
    bundle = g._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "&#45;12" in bundle["image/svg+xml"]


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """Point the graphviz package at a `dot` that does not exist."""
    monkeypatch.setattr(graphviz.backend.dot_command, "DOT_BINARY", tmp_path / "no-such-dot")


def test_missing_dot_raises_one_clear_error(cs231n, no_dot, tmp_path):
    f, _ = cs231n
    g = viz.draw(f)  # drawing needs no dot: it only writes DOT source
    assert "-12" in g.source
    for attempt in (lambda: g.pipe(format="svg"), lambda: viz.render(f, tmp_path / "c.svg"),
                    lambda: g._repr_mimebundle_(), lambda: g.render(tmp_path / "c", format="svg")):
        with pytest.raises(GraphvizNotFound, match="apt-get install graphviz") as info:
            attempt()
        assert "graphviz-pure" in str(info.value) and "make test" in str(info.value)
        assert isinstance(info.value, RuntimeError)
    assert not (tmp_path / "c.svg").exists()


def test_big_graph_error_suggests_collapse_and_max_nodes():
    total = Value(0.0, "s")
    for k in range(150):
        total = total + Value(float(k), f"a{k}") * 2
    with pytest.raises(ValueError, match=r"451 nodes.*max_nodes=400.*collapse.*max_nodes=451"):
        viz.draw(total)
    with pytest.raises(ValueError, match="more than max_nodes=10"):
        viz.draw(total, max_nodes=10)
    assert viz.draw(total, max_nodes=None).source  # no limit


@pytest.mark.parametrize("options, error, match", [
    ({"style": "fancy"}, ValueError, "style must be one of"),
    ({"rankdir": "XY"}, ValueError, "rankdir must be one of"),
    ({"precision": -1}, ValueError, "precision must be"),
    ({"precision": 2.5}, ValueError, "precision must be"),
    ({"max_nodes": 0}, ValueError, "max_nodes must be"),
    ({"collapse": True}, ValueError, "collapse needs trace="),
    ({"trace": object()}, TypeError, "trace= must be"),
])
def test_bad_options(cs231n, options, error, match):
    f, _ = cs231n
    with pytest.raises(error, match=match):
        viz.draw(f, **options)


@pytest.mark.parametrize("root", [3.0, np.ones(3), "x", None])
def test_root_must_be_a_node(root):
    with pytest.raises(TypeError, match="expected a Value or a Tensor"):
        viz.draw(root)


def test_import_viz_needs_no_matplotlib():
    import subprocess
    import sys
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from circuitgrad import viz\n"
            "from circuitgrad.autograd import Value\n"
            "x = Value(1.0, 'x'); y = x * 2; y.backward()\n"
            "assert 'tooltip=\"x\\\\ndata: 1\\\\ngrad: 2\"' in viz.draw(y).source\n"
            "print('ok', 'matplotlib.pyplot' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=_repo())
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "False"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        viz.nope  # noqa: B018


def _repo() -> str:
    import pathlib
    return str(pathlib.Path(__file__).resolve().parents[1])


def test_big_graph_is_refused_before_any_formatting(monkeypatch):
    total = Value(0.0, "s")
    for k in range(300):
        total = total + Value(float(k)) * 2

    def boom(*args, **kwargs):
        raise AssertionError("the graph was walked into a view before its size was checked")

    import sys  # viz.render is also the name of the function, so reach the modules through sys.modules
    monkeypatch.setattr(sys.modules["circuitgrad.viz.render"], "build_view", boom)
    monkeypatch.setattr(sys.modules["circuitgrad.viz.steps"], "build_view", boom)
    with pytest.raises(ValueError, match="901 nodes to draw"):
        viz.draw(total)
    with pytest.raises(ValueError, match="901 nodes to draw"):
        next(viz.backprop_steps(total))
