"""The `circuitgrad` command: draw an expression's forward and backward pass, or run the demo.

Errors print one line to stderr (`circuitgrad: error: ...`) and exit with status 2; the
command never shows a traceback for a mistake in what was typed. What it prints is written
with escapes (`df/d\\uac00`) where the terminal cannot show a character; the files it writes
are UTF-8 whatever the terminal.
"""
from __future__ import annotations

import argparse
import contextlib
import keyword
import math
import os
import re
import sys
import unicodedata
from pathlib import Path
from typing import Iterator, Optional, Sequence, TextIO

from .expression import FUNCTIONS, ExpressionError, build, used_names

PROG = "circuitgrad"
MAX_NODES = 400        # values in one picture; more is not a diagram anyone can read
MAX_USES = 150         # wires out of one value; Graphviz 2.43 crashes (SIGSEGV) at about 290
MAX_STEP_WORK = 10000  # --steps draws one picture of every node per node: nodes x nodes (~1 ms each)
EXAMPLE = 'circuitgrad draw "(x + y) * z" x=-2 y=5 z=-4 -o circuit.svg'

DESCRIPTION = f"""\
Draw a computation's forward values and gradients as a CS231n-style circuit.

commands:
  draw   build an expression from named numbers, run backward, and write the picture
  demo   draw the CS231n circuits and train the seed's XOR net, pictures into out/

example:
  {EXAMPLE}
  (writes circuit.svg: x, y, z on the left, a + and a * gate, each wire with its value
   above in green and its gradient below in red; f = -12, df/dx = -4, df/dy = -4, df/dz = 3)

run `circuitgrad draw --help` for the expression syntax."""

DRAW_HELP = f"""\
Build EXPR from the given NAME=VALUE numbers, run backward from it, and write the picture.

EXPR may use numbers, the names given values (any Python identifier: x, w0, 가중치, é), + - * / ** (numbers are floats), unary minus,
parentheses and the functions
  {", ".join(FUNCTIONS)}
(leaky_relu(x, slope) takes an optional slope). Nothing else is accepted: the expression
is checked against this list, never run as Python. A number next to a value stays inside its gate, as in the CS231n
figures: 1 + exp(-x) draws the gates *-1, exp and +1.

examples:
  {EXAMPLE}
  circuitgrad draw "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))" w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o neuron.png
  circuitgrad draw "tanh(x*w + b)" x=0.5 w=-1 b=0.2 --style record --steps steps/
  circuitgrad draw -o neg.svg -- "-x * y" x=3 y=2   (an EXPR starting with - goes after --,
                                                    and options before it)

The picture format follows the output's suffix: .svg, .png or .pdf (drawn by the Graphviz
`dot` program; Debian: apt-get install graphviz), or .html for the explorer, a page to step
through backprop gate by gate in any browser, offline (it needs no dot).

limits: at most {MAX_NODES} values in the picture and {MAX_USES} uses of one value; with --steps (one picture
per value) at most {MAX_STEP_WORK} values drawn in all (values x steps). A gradient that is not a finite
number (df/dx = inf, e.g. log(x) at x=5e-324) is an error, as a forward value that overflows is:
nothing is drawn."""


DEMO_HELP = """\
Draw the CS231n circuits of the seed tutorial (circuit and record style, SVG and PNG, and the
backward pass step by step), train the seed's XOR net 2-10-10-10-1 (sigmoid, BCE, SGD lr=1)
from the tutorial's initial weights, and write its loss curve, decision boundary and graph.
Prints each file it writes and the loss at the tutorial's epochs. Needs matplotlib for the plots:
pip install 'circuitgrad[demo]'."""


class UsageError(Exception):
    """A mistake on the command line; main() prints it on one line and exits 2."""


DASH_HINT = ' (an EXPR that starts with "-" needs -- before it: circuitgrad draw -o out.svg -- "-x * y" x=1 y=2)'


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage and exits; the project's rule is one line, no traceback.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _looks_like_expression(arg: str) -> bool:
    """`-x*y` or `-x` (draw's EXPR read as an option) rather than an unknown `--option`."""
    return arg.startswith("-") and not arg.startswith("--") and arg not in ("-", "-o", "-h")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog=PROG, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{draw,demo}")
    draw = commands.add_parser("draw", help="draw an expression's circuit", description=DRAW_HELP,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    draw.add_argument("expr", metavar="EXPR", help='the expression, quoted: "(x + y) * z"')
    draw.add_argument("values", metavar="NAME=VALUE", nargs="*", default=[], help="a number for each name in EXPR: x=-2")
    draw.add_argument("-o", "--output", default="circuit.svg", metavar="FILE",
                      help="picture to write: .svg, .png, .pdf or .html (default: circuit.svg)")
    draw.add_argument("--style", choices=("circuit", "record"), default="circuit",
                      help="circuit: CS231n gates with values on the wires (default); record: a box per value")
    draw.add_argument("--steps", metavar="FOLDER",
                      help="also write one picture per backprop step (step_01.svg, ...) into FOLDER")
    draw.add_argument("--precision", type=int, default=2, metavar="N", help="digits shown: decimals from 1 up, significant digits below 1 (default: 2)")
    demo = commands.add_parser("demo", help="run the demo", description=DEMO_HELP)
    demo.add_argument("-o", "--out", default="out", metavar="FOLDER", help="where the pictures go (default: out)")
    demo.add_argument("--epochs", type=int, default=10001, metavar="N",
                      help="epochs of the XOR net (default: 10001, as the seed tutorial)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar while training")
    return parser


def as_text(arg: str, what: str) -> str:
    """A command-line argument as the text typed. Where the locale could not decode it (Linux hands
    Python such bytes as surrogate escapes), its bytes are read as UTF-8; UsageError when they are not."""
    if not any("\udc80" <= ch <= "\udcff" for ch in arg):
        return arg
    raw = os.fsencode(arg)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{what} holds bytes that are not UTF-8 text (byte 0x{raw[e.start]:02x} at byte "
                         f"{e.start + 1} of {len(raw)}); type it in UTF-8") from None


def say(text: str, file: Optional[TextIO] = None) -> None:
    """Print a line, with backslash escapes for what the stream's encoding cannot hold (an ASCII
    terminal and a Korean name): the program's output must not be what fails."""
    file = sys.stdout if file is None else file
    # A file name the locale could not decode holds surrogate escapes: show its bytes as the UTF-8 they are.
    text = re.sub("[\udc80-\udcff]+", lambda m: bytes(ord(c) - 0xDC00 for c in m.group()).decode(
        "utf-8", "backslashreplace"), text)
    encoding = getattr(file, "encoding", None) or "utf-8"
    try:
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:  # a stream naming an encoding Python does not know: plain ASCII is safe
        text = text.encode("ascii", "backslashreplace").decode("ascii")
    print(text, file=file)


def parse_values(items: Sequence[str]) -> dict:
    """`["x=-2", "y=5"]` -> {"x": -2.0, "y": 5.0}; raises UsageError naming a bad item."""
    values: dict = {}
    for item in items:
        if item.startswith("-"):
            raise UsageError(f"{item!r} came after --, so it was read as NAME=VALUE; put options before --: "
                             'circuitgrad draw -o out.svg -- "-x * y" x=1 y=2')
        m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*(\S+)\s*", item)
        # Python reads identifiers folded to NFKC (ｘ is x), so the names given here are folded too.
        name = unicodedata.normalize("NFKC", m.group(1)) if m else ""
        if not m or not name.isidentifier():
            raise UsageError(f"{item!r} is not NAME=VALUE (like x=-2); a name is a Python identifier "
                             "(letters of any script, digits not first, and _)")
        text = m.group(2)
        if keyword.iskeyword(name) or name in FUNCTIONS:
            raise UsageError(f"{name!r} cannot be a name: it is a Python keyword or one of the functions")
        if name in values:
            folded = f" ({m.group(1)} is {name}: Python folds names to NFKC)" if m.group(1) != name else ""
            raise UsageError(f"{name} is given twice{folded}")
        try:
            number = float(text)
        except ValueError:
            raise UsageError(f"{name}={text}: {text!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise UsageError(f"{name}={text}: give a finite number")
        values[name] = number
    return values


def check_size(root) -> int:
    """The number of values to draw; UsageError for a graph too big to read or one Graphviz crashes on."""
    from circuitgrad.autograd import topological_order

    order = topological_order(root)
    if len(order) > MAX_NODES:
        raise UsageError(f"the expression makes {len(order)} values, more than the {MAX_NODES} a picture "
                         "can show readably; draw a smaller expression (one term, one neuron)")
    uses: dict = {}
    for node in order:
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1
    if uses:
        node, count = max(uses.items(), key=lambda item: item[1])
        if count > MAX_USES:
            who = node.label or f"the output of a {node.op} gate"
            raise UsageError(f"{who} is used {count} times, more than the {MAX_USES} wires from one value "
                             "Graphviz can lay out; draw a smaller expression")
    return len(order)


def _check_gradients(root, values: dict) -> None:
    """A gradient that is not a finite number is refused, as a forward value that overflows is."""
    from circuitgrad.autograd import topological_order

    bad = [n for n in reversed(topological_order(root)) if not math.isfinite(n.grad)]
    if not bad:
        return
    leaf = next((n for n in bad if n.is_leaf and n.label in values), None)
    where = (f"df/d{leaf.label} = {leaf.grad} at {leaf.label} = {values[leaf.label]!r}" if leaf else
             f"the gradient at the {bad[0].op} gate is {bad[0].grad}")
    raise UsageError(f"{where}: a slope overflows a float there (an input at the edge of a function's domain); "
                     "nothing was drawn; give values farther from the edge")


def _draw(args: argparse.Namespace) -> int:
    # Imported here so `circuitgrad --help` answers at once.
    from circuitgrad.autograd import topological_order
    from circuitgrad.viz.graph_view import format_number
    from circuitgrad.viz.render import FORMATS, render
    from circuitgrad.viz.steps import save_steps

    if not 0 <= args.precision <= 15:
        raise UsageError(f"--precision must be from 0 to 15, got {args.precision}")
    out = Path(args.output)
    page = out.suffix.lower() == ".html"  # the explorer: step through backprop in a browser, offline
    if out.suffix.lower() not in FORMATS and not page:
        raise UsageError(f"cannot tell the picture format from {args.output!r}; end it in .svg, .png, .pdf or .html")
    expr = as_text(args.expr, "the expression")
    values = parse_values([as_text(item, f"NAME=VALUE {item!r}") for item in args.values])
    root = build(expr, values)
    count = check_size(root)
    if args.steps and count * count > MAX_STEP_WORK:
        raise UsageError(f"--steps would draw {count} pictures of {count} values ({count * count} in all), "
                         f"more than {MAX_STEP_WORK}; leave out --steps or draw a smaller expression "
                         f"(at most {math.isqrt(MAX_STEP_WORK)} values)")
    root.backward()
    _check_gradients(root, values)

    fmt = lambda v: format_number(v, args.precision + 2)  # noqa: E731
    say(f"f = {fmt(root.data)}")
    leaves = {n.label: n for n in topological_order(root) if n.is_leaf and n.label in values}
    if leaves:
        say("   ".join(f"df/d{name} = {fmt(leaves[name].grad)}" for name in values if name in leaves))
    used = used_names(expr)
    for name in values:
        if name not in used:
            say(f"{PROG}: note: {name} is not used in the expression", file=sys.stderr)

    if page:
        from circuitgrad.viz.explore import explore
        try:
            explore(root, precision=args.precision).save(out)
        except OSError as e:
            raise UsageError(f"cannot write {out}: {e.strerror or e}") from None
    else:
        with _graphviz_crash(count):
            render(root, out, style=args.style, precision=args.precision, max_nodes=None)
    say(f"wrote {out}")
    if args.steps:
        with _graphviz_crash(count):
            paths = save_steps(root, args.steps, fmt="png" if out.suffix.lower() == ".png" else "svg",
                               style=args.style, precision=args.precision, max_nodes=None)
        say(f"wrote {len(paths)} backprop steps: {paths[0]} ... {paths[-1].name}")
    return 0


@contextlib.contextmanager
def _graphviz_crash(count: int) -> Iterator[None]:
    """Graphviz dying on a signal becomes one line about the graph, not the command and its signal."""
    import graphviz

    try:
        yield
    except RuntimeError as e:
        crash = e.__context__ if isinstance(e.__context__, graphviz.CalledProcessError) else None
        if crash is None or crash.returncode >= 0:
            raise
        raise UsageError(f"Graphviz's dot crashed while laying out the picture ({count} values); "
                         "draw a smaller expression") from None


def _demo(args: argparse.Namespace) -> int:
    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    try:  # a bare wheel install has no matplotlib: say so before training, not after a minute
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("the demo draws its plots with matplotlib, which is not installed; "
                         "install the demo extra: pip install 'circuitgrad[demo]'") from None
    from . import demo

    return demo.main(out=args.out, epochs=args.epochs, progress=not args.no_progress)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); returns the exit status."""
    from circuitgrad.viz.render import GraphvizNotFound

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            args, unknown = _parser().parse_known_args(argv)
        except SystemExit as e:  # --help and --version end here
            return int(e.code or 0)
        except UsageError as e:
            if argv[:1] == ["draw"] and any(map(_looks_like_expression, argv[1:])):
                raise UsageError(f"{e}{DASH_HINT}") from None
            raise
        if unknown:
            hint = DASH_HINT if args.command == "draw" and any(map(_looks_like_expression, unknown)) else ""
            raise UsageError(f"unrecognized arguments: {' '.join(unknown)} (see `{PROG} "
                             f"{args.command + ' ' if args.command else ''}--help`){hint}")
        if args.command == "draw":
            return _draw(args)
        if args.command == "demo":
            return _demo(args)
        raise UsageError(f"give a command: draw or demo, e.g. {EXAMPLE}")
    except UsageError as e:
        return _fail(str(e))
    except (ExpressionError, GraphvizNotFound) as e:
        return _fail(str(e))
    except OSError as e:
        where = f" {e.filename}" if getattr(e, "filename", None) else ""
        return _fail(f"cannot write{where}: {e.strerror or e}")
    except (ValueError, TypeError, ArithmeticError, RuntimeError) as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    say(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
