"""The `circuitgrad` command: good input draws the circuit; every bad input is one line, exit 2."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import graphviz
import pytest

from circuitgrad.cli import main, parse_values
from circuitgrad.expression import ExpressionError, build
from circuitgrad.viz.theme import GRAD_COLOR, VALUE_COLOR
from conftest import run_cli as run, svg_texts as texts  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


# These tests read the English messages: no locale variable may ask for Korean (tests/test_cli_ko.py does).
pytestmark = pytest.mark.usefixtures("no_locale")


def assert_one_line_error(code: int, err: str, match: str) -> None:
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("circuitgrad: error: ")
    assert "Traceback" not in err
    assert match in lines[0], lines[0]


def test_draw_the_cs231n_circuit(capsys, tmp_path):
    out_file = tmp_path / "circuit.svg"
    code, out, err = run(capsys, "draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(out_file))
    assert code == 0 and err == ""
    assert out.splitlines() == ["f = -12", "df/dx = -4   df/dy = -4   df/dz = 3", f"wrote {out_file}"]
    assert sorted(texts(out_file, VALUE_COLOR)) == sorted(["-2", "5", "-4", "3", "-12"])
    assert sorted(texts(out_file, GRAD_COLOR)) == sorted(["-4", "-4", "3", "-4", "1"])
    assert {"x", "y", "z"} <= set(texts(out_file))  # leaves are labelled by their names


def test_draw_the_sigmoid_neuron_as_png_with_steps(capsys, tmp_path):
    out_file = tmp_path / "neuron.png"
    code, out, _ = run(capsys, "draw", "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", "w0=2", "x0=-1", "w1=-3", "x1=-2",
                       "w2=-3", "-o", str(out_file), "--steps", str(tmp_path / "steps"), "--precision", "3")
    assert code == 0
    assert "f = 0.73106" in out and "df/dw0 = -0.19661" in out and "df/dx1 = -0.58984" in out
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    steps = sorted((tmp_path / "steps").iterdir())
    assert len(steps) == 9 and steps[0].name == "step_01.png"


def test_record_style_and_numbers_inside_gates(capsys, tmp_path):
    out_file = tmp_path / "r.svg"
    code, _, _ = run(capsys, "draw", "2 * x + 1 - x ** 2", "x=3", "-o", str(out_file), "--style", "record")
    assert code == 0
    words = texts(out_file)
    assert {"*2", "+1", "**2", "-"} <= set(words) and "data " in words


def test_a_lone_number_and_an_unused_name(capsys, tmp_path):
    code, out, err = run(capsys, "draw", "2 * 3", "y=1", "-o", str(tmp_path / "n.svg"))
    assert code == 0 and out.startswith("f = 6")
    assert err == "circuitgrad: note: y is not used in the expression\n"


@pytest.mark.parametrize("argv, match", [
    (["draw", "x.real", "x=1"], "attribute access (x.real) not allowed"),
    (["draw", "foo(x)", "x=1"], "calling foo is not allowed"),
    (["draw", "lambda: x", "x=1"], "lambda"),
    (["draw", "x[0]", "x=1"], "indexing (x[0]) not allowed"),
    (["draw", "x + q", "x=1"], "'q' has no value; give it one on the command line, e.g. q=1.5"),
    (["draw", "x + y", "x=1"], "'y' has no value"),
    (["draw", "(x +", "x=1"], "cannot parse '(x +'"),
    (["draw", "", "x=1"], "the expression is empty"),
    (["draw", "   ", "x=1"], "the expression is empty"),
    (["draw", "x", "x"], "'x' is not NAME=VALUE"),
    (["draw", "x", "x=abc"], "'abc' is not a number"),
    (["draw", "x", "x=1", "x=2"], "x is given twice"),
    (["draw", "x", "x=nan"], "give a finite number"),
    (["draw", "x", "exp=1"], "'exp' cannot be a name"),
    (["draw", "x", "x=1", "-o", "out.gif"], "end it in .svg, .png, .pdf or .html"),
    (["draw", "9**9**9**9 * x", "x=1"], "9 ** 387420489 overflows a float"),
    (["draw", "x ** 1e300", "x=10"], "overflows"),
    (["draw", "1e999 * x", "x=1"], "too large for a float"),
    (["draw", "log(x)", "x=0"], "log: undefined for 0.0"),
    (["draw", "x / (y - y)", "x=1", "y=2"], "division by zero"),
    (["draw", "(-8) ** (1/3) + x", "x=1"], "not a real number"),
    (["draw", "x // 2", "x=1"], "the operator // is not allowed"),
    (["draw", "x @ x", "x=1"], "the operator @ is not allowed"),
    (["draw", "x < 1", "x=1"], "comparison"),
    (["draw", "'a' + x", "x=1"], "'a' is not a number"),
    (["draw", "exp", "x=1"], "exp is a function; call it"),
    (["draw", "exp(x, x)", "x=1"], "exp takes 1 argument, got 2"),
    (["draw", "tanh(x=1)", "x=1"], "keyword arguments are not allowed"),
    (["draw", "leaky_relu(x, x)", "x=1"], "the slope must be a number"),
    (["draw", "(" * 250 + "x" + ")" * 250, "x=1"], "too many nested parentheses"),
    (["draw", "x+" * 1500 + "x", "x=1"], "nested too deeply"),
    (["draw", "x+" * 3000 + "x", "x=1"], "the limit is 5000"),
    (["draw", "x", "x=1", "--precision", "99"], "--precision must be from 0 to 15"),
    (["draw", "x", "x=1", "--style", "fancy"], "invalid choice: 'fancy'"),
    (["draw", "-x*y", "x=1", "y=2"], 'needs -- before it'),
    (["draw", "--", "-x*y", "x=1", "-o", "a.svg"], "put options before --"),
    (["draw"], "the following arguments are required: EXPR"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "give a command: draw or demo"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, match):
    monkeypatch.chdir(tmp_path)  # nothing may be written anywhere else, and nothing should be written here
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, match)
    assert list(tmp_path.iterdir()) == []


def test_expression_starting_with_minus_after_double_dash(capsys, tmp_path):
    code, out, _ = run(capsys, "draw", "-o", str(tmp_path / "n.svg"), "--", "-x * y", "x=3", "y=2")
    assert code == 0 and out.startswith("f = -6")


def test_unwritable_output(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "draw", "x * 2", "x=1", "-o", str(tmp_path / "missing" / "c.svg"))
    assert_one_line_error(code, err, "cannot write")
    assert "No such file or directory" in err
    (tmp_path / "file").write_text("")
    code, _, err = run(capsys, "draw", "x * 2", "x=1", "-o", "c.svg", "--steps", str(tmp_path / "file" / "s"))
    assert code == 2 and len(err.splitlines()) == 1


def test_missing_dot(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(graphviz.backend.dot_command, "DOT_BINARY", tmp_path / "no-such-dot")
    code, _, err = run(capsys, "draw", "x * 2", "x=1", "-o", str(tmp_path / "c.svg"))
    assert_one_line_error(code, err, "apt-get install graphviz")
    assert not (tmp_path / "c.svg").exists()


def test_hostile_expressions_run_nothing(capsys, tmp_path):
    marker = tmp_path / "pwned"
    for expr in (f"__import__('os').system('touch {marker}')",
                 f"exp(__import__('os').system('touch {marker}'))",
                 "[c for c in ().__class__.__base__.__subclasses__()]",
                 f"open('{marker}', 'w')"):
        code, _, err = run(capsys, "draw", expr, "x=1", "-o", str(tmp_path / "h.svg"))
        assert_one_line_error(code, err, "not allowed")
    assert not marker.exists() and not (tmp_path / "h.svg").exists()


def test_help_documents_everything(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert 'circuitgrad draw "(x + y) * z" x=-2 y=5 z=-4 -o circuit.svg' in out and "demo" in out
    code, out, _ = run(capsys, "draw", "--help")
    assert code == 0
    for word in ("--style", "--steps", "--precision", "-o", "exp, log, sqrt, tanh, sigmoid", "never run as Python",
                 "apt-get install graphviz"):
        assert word in out


def test_demo_passes_its_options_to_viz_demo(capsys, monkeypatch):
    from circuitgrad import demo
    calls = []
    monkeypatch.setattr(demo, "main", lambda **options: calls.append(options) or 0)
    assert main(["demo"]) == 0
    assert main(["demo", "-o", "pics", "--epochs", "5", "--no-progress"]) == 0
    assert calls == [dict(out="out", epochs=10001, progress=True), dict(out="pics", epochs=5, progress=False)]


@pytest.mark.parametrize("argv, match", [
    (["demo", "--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["demo", "--epochs", "many"], "invalid int value: 'many'"),
    (["demo", "--colour"], "unrecognized arguments: --colour"),
])
def test_demo_bad_options_are_one_line(capsys, tmp_path, monkeypatch, argv, match):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, match)
    assert list(tmp_path.iterdir()) == []


def test_demo_help_and_python_m_viz_demo(tmp_path):
    # `python -m circuitgrad demo --help` documents the options and runs nothing.
    env = dict(os.environ, PYTHONPATH=str(REPO))
    run_ = subprocess.run([sys.executable, "-m", "circuitgrad", "demo", "--help"], capture_output=True, text=True,
                          cwd=tmp_path, env=env)
    assert run_.returncode == 0 and "--epochs N" in run_.stdout and "--no-progress" in run_.stdout
    assert list(tmp_path.iterdir()) == []


def test_parse_values_and_build_directly():
    assert parse_values(["x=-2", " y = 5e-1 "]) == {"x": -2.0, "y": 0.5}
    f = build("x * (y + 1)", {"x": 2.0, "y": 3.0})
    assert f.data == 8.0 and f.op == "*" and f.parents[1].op == "+1"
    assert build("-x", {"x": 2.0}).op == "*-1"
    assert build("leaky_relu(x, 0.2)", {"x": -1.0}).data == pytest.approx(-0.2)
    assert build("exp(0) + x", {"x": 1.0}).op == "+1"  # a function of a number is folded
    with pytest.raises(ExpressionError, match="empty"):
        build("", {})


def test_as_a_subprocess(tmp_path):
    """The real process: stdout on success; on error one line on stderr, no traceback."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "circuitgrad.cli"]
    ok = subprocess.run(cmd + ["draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(tmp_path / "c.svg")],
                        capture_output=True, text=True, cwd=tmp_path, env=env)
    assert ok.returncode == 0 and ok.stderr == "" and "wrote" in ok.stdout
    marker = tmp_path / "pwned"
    bad = subprocess.run(cmd + ["draw", f"__import__('os').system('touch {marker}')", "x=1"],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1
    assert "Traceback" not in bad.stderr and not marker.exists()
    # No `dot` on PATH and no graphviz-pure beside Python (viz would find it there): one line naming the fix.
    hide_pure = ("import sys; from circuitgrad.viz import dot_program; dot_program.find_pure = lambda: None; "
                 "from circuitgrad import cli; sys.exit(cli.main())")
    nodot = subprocess.run([sys.executable, "-c", hide_pure, "draw", "x * 2", "x=1"], capture_output=True,
                           text=True, cwd=tmp_path, env=dict(env, PATH=str(tmp_path)))
    assert nodot.returncode == 2 and len(nodot.stderr.splitlines()) == 1
    assert "apt-get install graphviz" in nodot.stderr and "Traceback" not in nodot.stderr


def test_installed_console_script(tmp_path):
    """`.venv/bin/circuitgrad` (pyproject's console script) runs circuitgrad.cli:main."""
    script = Path(sys.executable).with_name("circuitgrad")
    if not script.exists():
        pytest.skip("the circuitgrad console script is not installed (pip install -e .)")
    probe = subprocess.run([sys.executable, "-c", "import circuitgrad.cli"], capture_output=True, cwd=tmp_path)
    if probe.returncode != 0:
        pytest.skip("the editable install predates the circuitgrad package (re-run `pip install -e .`)")
    ok = subprocess.run([str(script), "draw", "x * y", "x=2", "y=3", "-o", str(tmp_path / "c.svg")],
                        capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0 and "df/dx = 3   df/dy = 2" in ok.stdout
    bad = subprocess.run([str(script), "draw", "x.__class__", "x=1"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1 and "Traceback" not in bad.stderr


# ---- issue 14: non-finite gradients, size limits, Graphviz crashes, names, options --------------

def test_a_gradient_that_overflows_is_one_line_and_nothing_is_drawn(capsys, tmp_path):
    out_file = tmp_path / "c.svg"
    code, out, err = run(capsys, "draw", "log(x)", "x=5e-324", "-o", str(out_file))
    assert_one_line_error(code, err, "df/dx = inf at x = 5e-324")
    assert "nothing was drawn" in err and out == "" and not out_file.exists()
    code, _, err = run(capsys, "draw", "y * log(x)", "y=-2", "x=1e-308", "-o", str(out_file))
    assert_one_line_error(code, err, "df/dx = -inf at x = 1e-308")  # -2 / 1e-308 overflows; df/dy is finite
    assert not out_file.exists()
    code, out, _ = run(capsys, "draw", "log(x)", "x=1e-300", "-o", str(out_file))  # 1e300 is a float
    assert code == 0 and "df/dx = 1e300" in out


def test_draw_help_documents_the_limits_and_the_gradient_rule(capsys):
    code, out, _ = run(capsys, "draw", "--help")
    assert code == 0
    flat = " ".join(out.split())
    for words in ("at most 400 values", "150 uses of one value", "--steps", "10000 values drawn in all",
                  "A gradient that is not a finite number", "is an error", "가중치"):
        assert words in flat, words


def test_readme_documents_the_command_line_rules():
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    for words in ("circuitgrad --version", "not a finite number", "--steps", "가중치"):
        assert words in readme, words


def sum_of(name: str, n: int) -> str:
    return " + ".join([name] * n)


@pytest.mark.parametrize("argv, match", [
    # a value used 200 times: Graphviz 2.43 crashes at about 290, so the command refuses at 150
    (["draw", sum_of("x", 200), "x=1"], "x is used 200 times, more than the 150"),
    (["draw", sum_of("x", 401), "x=1"], "the expression makes 401 values, more than the 400"),
    (["draw", sum_of("x", 101), "x=1", "--steps", "steps"], "--steps would draw 101 pictures of 101 values"),
    (["draw", sum_of("x", 60) + " + " + sum_of("y", 60), "x=1", "y=2", "--steps", "s"], "(14641 in all)"),
])
def test_too_much_work_is_refused_before_starting(capsys, tmp_path, monkeypatch, argv, match):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, match)
    assert out == "" and list(tmp_path.iterdir()) == []
    # the advice is for the command line: no Python-only options
    for python_only in ("trace_modules", "collapse=", "max_nodes="):
        assert python_only not in err


def test_steps_within_the_limits_are_drawn(capsys, tmp_path):
    # x * y + y: the seed, then the + gate, then the * gate
    code, out, _ = run(capsys, "draw", "x * y + y", "x=1", "y=2", "-o", str(tmp_path / "c.svg"),
                       "--steps", str(tmp_path / "s"))
    assert code == 0 and "wrote 3 backprop steps" in out
    from circuitgrad import cli
    assert cli.MAX_STEP_WORK >= 90 * 90 and cli.MAX_USES < 290 and cli.MAX_NODES == 400


def test_a_graphviz_crash_is_one_line_without_internals(capsys, tmp_path, monkeypatch):
    crashing = tmp_path / "dot"
    crashing.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crashing.chmod(0o755)
    monkeypatch.setattr(graphviz.backend.dot_command, "DOT_BINARY", crashing)
    code, _, err = run(capsys, "draw", "x * 2", "x=1", "-o", str(tmp_path / "c.svg"))
    assert_one_line_error(code, err, "Graphviz's dot crashed while laying out the picture (2 values)")
    for internal in ("SIGSEGV", "PosixPath", "Command", "stderr", "-Tsvg"):
        assert internal not in err
    assert not (tmp_path / "c.svg").exists()


@pytest.mark.parametrize("argv, name, f, grad", [
    (["draw", "가중치 * 2", "가중치=2"], "가중치", "4", "2"),
    (["draw", "é + 1", "é=1.5"], "é", "2.5", "1"),
    (["draw", "ｘ * 2", "x=1"], "x", "2", "2"),      # Python reads the fullwidth ｘ as x (NFKC)
    (["draw", "x * 2", "ｘ=1"], "x", "2", "2"),      # and so does the command line
    (["draw", "ﬁ + 1", "fi=1"], "fi", "2", "1"),     # the ligature ﬁ folds to fi
])
def test_any_python_identifier_is_a_name(capsys, tmp_path, argv, name, f, grad):
    out_file = tmp_path / "c.svg"
    code, out, err = run(capsys, *argv, "-o", str(out_file))
    assert code == 0 and err == "", err  # in particular no "x is not used" note
    assert out.splitlines()[:2] == [f"f = {f}", f"df/d{name} = {grad}"]
    assert name in [t.strip() for t in texts(out_file)]  # graphviz-pure pads Korean labels with spaces (viz.theme)


@pytest.mark.parametrize("argv, match", [
    (["draw", "x", "x=1", "ｘ=2"], "x is given twice (ｘ is x: Python folds names to NFKC)"),
    (["draw", "x", "1x=2"], "a name is a Python identifier"),
    (["draw", "x", "a-b=2"], "'a-b=2' is not NAME=VALUE"),
    (["draw", "x", "lambda=2"], "'lambda' cannot be a name"),
    (["draw", "가중치", "x=1"], "'가중치' has no value; give it one on the command line, e.g. 가중치=1.5"),
    (["draw", "가중치.real", "가중치=1"], "attribute access (가중치.real) not allowed"),
])
def test_names_stay_behind_the_whitelist(capsys, tmp_path, monkeypatch, argv, match):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, match)


def test_an_unused_name_is_still_noted(capsys, tmp_path):
    code, _, err = run(capsys, "draw", "ｘ * 2", "x=1", "가중치=3", "-o", str(tmp_path / "c.svg"))
    assert code == 0 and err == "circuitgrad: note: 가중치 is not used in the expression\n"


@pytest.mark.parametrize("argv, match, dash_hint", [
    (["demo", "--frob"], "unrecognized arguments: --frob (see `circuitgrad demo --help`)", False),
    (["draw", "x", "x=1", "--frob"], "unrecognized arguments: --frob (see `circuitgrad draw --help`)", False),
    (["--frob"], "unrecognized arguments: --frob (see `circuitgrad --help`)", False),
    (["draw", "-x*y", "x=1", "y=2"], "unrecognized arguments: -x*y", True),
    (["draw", "-x"], "the following arguments are required: EXPR", True),
])
def test_unknown_options_get_the_dash_hint_only_where_it_applies(capsys, tmp_path, monkeypatch, argv, match,
                                                                 dash_hint):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, match)
    assert ("needs -- before it" in err) == dash_hint


def test_version(capsys):
    import circuitgrad
    code, out, err = run(capsys, "--version")
    assert code == 0 and out == f"circuitgrad {circuitgrad.__version__}\n" and err == ""


BLOCK_MATPLOTLIB = """
import sys
class _NoMatplotlib:
    # What a bare `pip install circuitgrad` looks like: matplotlib cannot be imported.
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib")
sys.meta_path.insert(0, _NoMatplotlib())
from circuitgrad.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_demo_without_matplotlib_names_the_extra_before_training(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", BLOCK_MATPLOTLIB, "demo", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "pip install 'circuitgrad[demo]'" in done.stderr and "matplotlib" in done.stderr
    assert not (tmp_path / "out").exists()  # nothing drawn, nothing trained
    # the shim blocks only matplotlib: the same process draws an expression
    ok = subprocess.run([sys.executable, "-c", BLOCK_MATPLOTLIB, "draw", "x * 2", "x=1", "-o", "c.svg"],
                        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert ok.returncode == 0 and (tmp_path / "c.svg").exists()


def test_draw_to_html_writes_the_explorer_page(capsys, tmp_path):
    out = tmp_path / "graph.html"
    code, stdout, err = run(capsys, "draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "-o", str(out))
    assert code == 0, err
    assert "df/dx = -4   df/dy = -4   df/dz = 3" in stdout and f"wrote {out}" in stdout
    page = out.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and "<script" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page  # nothing fetched
    code, _, err = run(capsys, "draw", "x * 2", "x=1", "-o", str(tmp_path / "missing" / "dir" / "g.html"))
    assert_one_line_error(code, err, "cannot write")


# ---- bytes and terminals: what Linux hands the program, and terminals that cannot show Korean ----------------

def _cli(tmp_path, args: list, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ, PYTHONPATH=str(REPO), **env)
    return subprocess.run([sys.executable, "-m", "circuitgrad.cli", *args], capture_output=True, cwd=tmp_path,
                          env=environ, timeout=120)


def test_bytes_that_are_not_utf8_are_one_line_not_a_codec_message(tmp_path):
    # Linux passes them as surrogate escapes; the message was "'utf-8' codec can't encode character '\udcff'".
    for args, what in (([b"x\xff + y", "x=1", "y=2"], "the expression holds bytes that are not UTF-8 text "
                                                      "(byte 0xff at byte 2 of 6)"),
                       (["x", b"x\xc3=1"], "NAME=VALUE 'x\\udcc3=1' holds bytes that are not UTF-8 text (byte 0xc3")):
        bad = _cli(tmp_path, ["draw", *args, "-o", "c.svg"])
        err = bad.stderr.decode()
        assert bad.returncode == 2 and len(err.splitlines()) == 1 and what in err, err
        assert "codec" not in err and not (tmp_path / "c.svg").exists()


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"},
                                 # a C locale without Python's UTF-8 mode: argv, stdout and file names are ASCII
                                 {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}],
                         ids=["PYTHONIOENCODING=ascii", "LC_ALL=C"])
def test_an_ascii_terminal_gets_escapes_and_the_pages_are_written(tmp_path, env):
    # It exited 2 with "'ascii' codec can't encode characters" and wrote no page.
    for out in ("가중치.svg", "page.html"):
        done = _cli(tmp_path, ["draw", "가중치 * x", "가중치=2", "x=3", "y=1", "-o", out], **env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode("ascii").splitlines()[:2] == ["f = 6", "df/d\\uac00\\uc911\\uce58 = 3   df/dx = 2"]
        assert f"wrote {out.replace('가중치', chr(92) + 'uac00' + chr(92) + 'uc911' + chr(92) + 'uce58')}" in \
            done.stdout.decode("ascii")
        assert done.stderr.decode("ascii") == "circuitgrad: note: y is not used in the expression\n"
        assert "가중치" in (tmp_path / out).read_text(encoding="utf-8")  # the file is UTF-8 whatever the terminal
