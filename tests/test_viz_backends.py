"""Rendering on every machine: with the system's Graphviz, with graphviz-pure from PyPI when there is
no `dot` (the set-up without root), and with Korean labels (a learner writes `label="가중치"`)."""
from __future__ import annotations

import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET

import pytest
from graphviz.backend import dot_command

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor, Value
from circuitgrad.viz import dot_program
from circuitgrad.viz import theme as T
from circuitgrad.viz.render import INSTALL_HINT, GraphvizNotFound

SVG = "{http://www.w3.org/2000/svg}"
PURE_REASON = "graphviz-pure is not installed (`pip install graphviz-pure`; the set-up without root installs it)"


def _texts(svg: bytes) -> list:
    """The SVG's texts without the padding around them (graphviz-pure writes spaces as no-break spaces)."""
    return [(t.text or "").strip() for t in ET.fromstring(svg).iter(SVG + "text")]


def _cs231n() -> Value:
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.backward()
    return f


def _pictures() -> list:
    """What `make demo` draws: both styles, a backprop step, a traced net boxed and collapsed."""
    f = _cs231n()
    net = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid())
    with nn.trace_modules() as trace:
        loss = nn.BCELoss()(net(Tensor([[0.0, 1.0], [1.0, 0.0]])), Tensor([[1.0], [0.0]]))
    loss.backward()
    return [viz.draw(f), viz.draw(f, style="record"), list(viz.backprop_steps(f))[1],
            viz.draw(loss, trace=trace, precision=4), viz.draw(loss, trace=trace, collapse=True, rankdir="TB")]


@pytest.fixture
def only_pure(monkeypatch, tmp_path):
    """No `dot` on PATH (as for a user without root), graphviz-pure installed: the path it takes."""
    pure = dot_program.find_pure()
    if pure is None:
        pytest.skip(PURE_REASON)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(dot_command, "DOT_BINARY", dot_command.DOT_BINARY)  # restored after the test
    return pure


@pytest.fixture
def nothing(monkeypatch, tmp_path):
    """Neither `dot` nor graphviz-pure."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(dot_command, "DOT_BINARY", dot_command.DOT_BINARY)
    monkeypatch.setattr(dot_program, "find_pure", lambda: None)


def test_without_dot_viz_finds_graphviz_pure_by_itself(only_pure, tmp_path):
    assert shutil.which("dot") is None
    program = dot_program.resolve()
    assert program == dot_program.Program(only_pure, True)
    assert dot_command.DOT_BINARY == only_pure  # the graphviz package now runs it
    f = _cs231n()
    assert "-12" in _texts(viz.render(f, tmp_path / "c.svg").read_bytes())
    assert viz.render(f, tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "image/svg+xml" in viz.draw(f)._repr_mimebundle_()  # how Jupyter shows it


def test_graphviz_pure_gives_one_line_for_pdf(only_pure, tmp_path):
    with pytest.raises(RuntimeError, match=r"graphviz-pure .* cannot write PDF.*\.svg or \.png") as info:
        viz.render(_cs231n(), tmp_path / "c.pdf")
    assert "\n" not in str(info.value) and "apt-get install graphviz" in str(info.value)
    assert not (tmp_path / "c.pdf").exists()


def test_a_dot_command_set_by_the_user_is_kept(monkeypatch, tmp_path):
    chosen = tmp_path / "my-dot"
    monkeypatch.setattr(dot_command, "DOT_BINARY", chosen)
    assert dot_program.resolve() is None  # it does not exist: rendering says how to install one
    assert dot_command.DOT_BINARY == chosen
    with pytest.raises(GraphvizNotFound):
        viz.render(_cs231n(), tmp_path / "c.svg")


def test_the_system_dot_is_preferred_when_there_is_one(monkeypatch):
    system = shutil.which("dot")
    if system is None:
        pytest.skip("no system `dot` on PATH (apt-get install graphviz)")
    monkeypatch.setattr(dot_command, "DOT_BINARY", dot_command.DOT_BINARY)
    program = dot_program.resolve()
    assert str(program.command) == "dot" and dot_command.DOT_BINARY == program.command
    assert program.pure == ("graphviz-pure" in subprocess.run([system, "-V"], capture_output=True, text=True).stderr)


def test_missing_dot_says_what_to_do_for_make_and_for_pip_users(nothing, tmp_path):
    assert dot_program.resolve() is None
    with pytest.raises(GraphvizNotFound) as info:
        viz.render(_cs231n(), tmp_path / "c.svg")
    message = str(info.value)
    assert message == INSTALL_HINT and isinstance(info.value, RuntimeError)
    for advice in ("make demo", "make test", "apt-get install graphviz", "pip install graphviz-pure"):
        assert advice in message, advice
    assert not (tmp_path / "c.svg").exists()


def test_our_pictures_make_graphviz_pure_print_no_warning():
    """Font names it has metrics for, and only ASCII in viz's own text (it warns on anything else)."""
    pure = dot_program.find_pure()
    if pure is None:
        pytest.skip(PURE_REASON)
    for g in _pictures():
        for fmt in ("svg", "png"):
            run = subprocess.run([str(pure), f"-T{fmt}"], input=g.source.encode(), capture_output=True)
            assert run.returncode == 0 and run.stderr == b"", run.stderr.decode()


def test_viz_writes_its_own_text_in_ascii_and_one_font():
    for g in _pictures():
        assert g.source.isascii(), [c for c in g.source if not c.isascii()]
        assert "fontname=Helvetica" in g.source and "Arial" not in g.source
    assert T.esc("3 \u00d7 1\u00a0") == "3 * 1 "


def test_a_korean_label_survives_into_the_svg(tmp_path):
    w = Value(2.0, label="가중치")
    out = w * Value(3.0, label="x")
    out.label = "출력"
    out.backward()
    assert "가중치" in viz.draw(out).source
    try:
        svg = viz.render(out, tmp_path / "k.svg").read_bytes()
    except GraphvizNotFound:
        pytest.skip("no dot and no graphviz-pure: nothing to render with")
    assert {"가중치", "출력"} <= set(_texts(svg))


def test_korean_text_is_given_a_font_that_has_hangul():
    """Graphviz gets an installed Korean font for Korean text: one `fc-list :lang=ko` lists."""
    fc_list = shutil.which("fc-list")
    families = set()
    if fc_list:
        out = subprocess.run([fc_list, ":lang=ko", "family"], capture_output=True, text=True).stdout
        families = {name.strip() for line in out.splitlines() for name in line.split(",")}
    if not families:
        pytest.skip("no Korean font installed (as root: apt-get install fonts-nanum)")
    face = T.cjk_font()
    assert face in families
    label = T.font("가중치")
    assert f'FACE="{face}"' in label and "가중치" in label
    assert "FACE" not in T.font("weight")  # Latin text keeps the diagram's font


def test_a_korean_png_through_graphviz_pure_warns_and_says_svg_keeps_it(only_pure, tmp_path):
    w = Value(2.0, label="가중치")
    y = w * 2
    y.backward()
    with pytest.warns(UserWarning, match=r"empty boxes.*graphviz-pure.*SVG keeps the text.*fonts-nanum"):
        viz.render(y, tmp_path / "k.png")
    assert (tmp_path / "k.png").read_bytes()[:4] == b"\x89PNG"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "가중치" in _texts(viz.render(y, tmp_path / "k.svg").read_bytes())


def test_a_latin_png_through_graphviz_pure_is_silent(only_pure, tmp_path, capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        viz.render(_cs231n(), tmp_path / "c.png")
    assert capfd.readouterr().err == ""


def test_a_drawn_graph_asked_for_pdf_through_graphviz_pure_says_the_same(only_pure, tmp_path):
    g = viz.draw(_cs231n())
    for attempt in (lambda: g.pipe(format="pdf"), lambda: g.render(tmp_path / "c", format="pdf")):
        with pytest.raises(RuntimeError, match="graphviz-pure .* cannot write PDF"):
            attempt()


def test_the_korean_png_warning_comes_once_per_picture(only_pure, tmp_path):
    y = Value(2.0, label="가중치") * 2
    y.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        viz.render(y, tmp_path / "k.png")
    boxes = [w for w in caught if "empty boxes" in str(w.message)]
    assert len(boxes) == 1 and boxes[0].filename == __file__  # it names the caller's line, not viz's


def test_korean_text_is_padded_for_graphviz_pure_only(only_pure, monkeypatch):
    # graphviz-pure counts a Korean character as three spaces (too narrow): two spaces per three
    # characters keep the text off the wire it labels. Graphviz measures the real font: no padding.
    assert T.font("가중치").endswith("가중치  </FONT>")
    assert T.font("weight").endswith(">weight</FONT>")
    monkeypatch.setattr(dot_program, "resolve", lambda: dot_program.Program(dot_command.DOT_BINARY, False))
    assert T.font("가중치").endswith(">가중치</FONT>")
