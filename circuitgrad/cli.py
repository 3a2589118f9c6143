"""The `circuitgrad` command: draw an expression's forward and backward pass, or run the demo.

Errors print one line to stderr (`circuitgrad: error: ...`) and exit with status 2; the
command never shows a traceback for a mistake in what was typed. What it prints is written
with escapes (`df/d\\uac00`) where the terminal cannot show a character; the files it writes
are UTF-8 whatever the terminal.

The help, the messages and the pages and captions it writes are in English, or in Korean with
`--lang ko` or a Korean locale (LC_ALL, LC_MESSAGES or LANG starting with "ko"); their words live in
viz/locales/<lang>.json under "cli." (help and messages) and "expr." (the expression's errors).
"""
from __future__ import annotations

import argparse
import contextlib
import functools
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

# The help and the messages are in viz/locales/<lang>.json ("cli." keys); these are their numbers.
HELP_NUMBERS = dict(example=EXAMPLE, max_nodes=MAX_NODES, max_uses=MAX_USES, max_step_work=MAX_STEP_WORK,
                    functions=", ".join(FUNCTIONS))


def _locale():
    """viz's loader of words, imported when first needed (it loads viz, about 0.3 s)."""
    from circuitgrad.viz import locale

    return locale


def _say(key: str, **params: object):
    """A message to show in the language chosen later: a viz.locale.Message of a "cli." key."""
    return _locale().Message("cli." + key, **params)


class UsageError(Exception):
    """A mistake on the command line; main() prints it on one line, in the chosen language, and exits 2."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message  # a viz.locale.Message (str() is English)

    def text(self, lang: str = "en") -> str:
        return self.message.text(lang) if hasattr(self.message, "text") else str(self.message)


# argparse's own messages (Python's English), matched so that they can be shown in the chosen language;
# any other argparse message is shown as argparse wrote it.
ARGPARSE_MESSAGES = (
    (r"the following arguments are required: (?P<args>.*)", "argparse_required"),
    (r"argument (?P<arg>\S+): invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)", "argparse_choice"),
    (r"argument (?P<arg>\S+): invalid (?P<type>\w+) value: (?P<value>.*)", "argparse_type"),
    (r"argument (?P<arg>\S+): expected one argument", "argparse_expected"),
)


def _argparse_message(message: str):
    for pattern, key in ARGPARSE_MESSAGES:
        m = re.fullmatch(pattern, message)
        if m:
            return _say(key, **m.groupdict())
    return _say("argparse_other", message=message)


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage and exits; the project's rule is one line, no traceback.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(_say("see_help", message=_argparse_message(message), prog=self.prog))


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's layout, with the usage line's first word in the chosen language."""

    def __init__(self, prog: str, usage: str = "usage: ", **options: object) -> None:
        super().__init__(prog, **options)
        self._usage = usage

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, self._usage if prefix is None else prefix)


def _looks_like_expression(arg: str) -> bool:
    """`-x*y` or `-x` (draw's EXPR read as an option) rather than an unknown `--option`."""
    return arg.startswith("-") and not arg.startswith("--") and arg not in ("-", "-o", "-h")


def _parser(lang: str = "en") -> argparse.ArgumentParser:
    from . import __version__

    words = _locale().strings(lang, "cli.")

    def t(key: str) -> str:
        return words["cli." + key].format(**HELP_NUMBERS)

    formatter = functools.partial(_Formatter, usage=t("usage"))

    def parser_with_help(parser: argparse.ArgumentParser) -> tuple:
        """The groups of a (sub)command, named in `lang`, with -h and --lang in its options."""
        positionals = parser.add_argument_group(t("positionals"))
        options = parser.add_argument_group(t("options"))
        options.add_argument("-h", "--help", action="help", help=t("help_help"))
        return positionals, options

    parser = _Parser(prog=PROG, description=t("description"), formatter_class=formatter, add_help=False)
    commands = parser.add_subparsers(dest="command", metavar="{draw,demo}", title=t("positionals"))
    options = parser.add_argument_group(t("options"))
    options.add_argument("-h", "--help", action="help", help=t("help_help"))
    options.add_argument("--version", action="version", version=f"{PROG} {__version__}", help=t("version_help"))
    options.add_argument("--lang", metavar="LANG", default=argparse.SUPPRESS, help=t("lang_help"))
    draw = commands.add_parser("draw", help=t("draw_help"), description=t("draw_description"),
                               formatter_class=formatter, add_help=False)
    positionals, options = parser_with_help(draw)
    positionals.add_argument("expr", metavar="EXPR", help=t("expr_help"))
    positionals.add_argument("values", metavar="NAME=VALUE", nargs="*", default=[], help=t("values_help"))
    options.add_argument("-o", "--output", default="circuit.svg", metavar="FILE", help=t("output_help"))
    options.add_argument("--style", choices=("circuit", "record"), default="circuit", help=t("style_help"))
    options.add_argument("--steps", metavar="FOLDER", help=t("steps_help"))
    options.add_argument("--precision", type=int, default=2, metavar="N", help=t("precision_help"))
    options.add_argument("--lang", metavar="LANG", default=argparse.SUPPRESS, help=t("lang_help"))
    demo = commands.add_parser("demo", help=t("demo_help"), description=t("demo_description"),
                               formatter_class=formatter, add_help=False)
    _, options = parser_with_help(demo)
    options.add_argument("-o", "--out", default="out", metavar="FOLDER", help=t("out_help"))
    options.add_argument("--epochs", type=int, default=10001, metavar="N", help=t("epochs_help"))
    options.add_argument("--no-progress", action="store_true", help=t("no_progress_help"))
    options.add_argument("--lang", metavar="LANG", default=argparse.SUPPRESS, help=t("lang_help"))
    return parser


def asked_language(argv: Sequence[str]) -> Optional[str]:
    """The language `--lang X` (or `--lang=X`) asks for, before any `--`; None when not asked."""
    for k, arg in enumerate(argv):
        if arg == "--":
            break
        if arg in ("--lan", "--lang") and k + 1 < len(argv):  # argparse takes an unambiguous prefix too
            return argv[k + 1]
        if arg.startswith(("--lan=", "--lang=")):
            return arg.split("=", 1)[1]
    return None


def language(argv: Sequence[str], environ: Optional[dict] = None) -> str:
    """--lang, else the locale (LC_ALL, LC_MESSAGES, LANG), else English; UsageError for an unknown --lang."""
    asked = asked_language(argv)
    locale = _locale()
    if asked is None:
        return locale.from_environment(environ)
    if asked not in locale.languages():
        raise UsageError(_say("unknown_lang", asked=repr(asked), known=", ".join(locale.languages())))
    return asked


def as_text(arg: str, what: object) -> str:
    """A command-line argument as the text typed. Where the locale could not decode it (Linux hands
    Python such bytes as surrogate escapes), its bytes are read as UTF-8; UsageError when they are not."""
    if not any("\udc80" <= ch <= "\udcff" for ch in arg):
        return arg
    raw = os.fsencode(arg)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(_say("not_utf8", what=what, byte=f"{raw[e.start]:02x}", at=e.start + 1,
                              size=len(raw))) from None


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
            raise UsageError(_say("after_dashes", item=repr(item)))
        m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*(\S+)\s*", item)
        # Python reads identifiers folded to NFKC (ｘ is x), so the names given here are folded too.
        name = unicodedata.normalize("NFKC", m.group(1)) if m else ""
        if not m or not name.isidentifier():
            raise UsageError(_say("not_name_value", item=repr(item)))
        text = m.group(2)
        if keyword.iskeyword(name) or name in FUNCTIONS:
            raise UsageError(_say("reserved_name", name=repr(name)))
        if name in values:
            folded = _say("folded", given=m.group(1), name=name) if m.group(1) != name else ""
            raise UsageError(_say("given_twice", name=name, folded=folded))
        try:
            number = float(text)
        except ValueError:
            raise UsageError(_say("not_number", name=name, text=text, quoted=repr(text))) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise UsageError(_say("not_finite", name=name, text=text))
        values[name] = number
    return values


def check_size(root) -> int:
    """The number of values to draw; UsageError for a graph too big to read or one Graphviz crashes on."""
    from circuitgrad.autograd import topological_order

    order = topological_order(root)
    if len(order) > MAX_NODES:
        raise UsageError(_say("too_many_values", count=len(order), limit=MAX_NODES))
    uses: dict = {}
    for node in order:
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1
    if uses:
        node, count = max(uses.items(), key=lambda item: item[1])
        if count > MAX_USES:
            who = node.label or _say("gate_output", op=node.op)
            raise UsageError(_say("too_many_uses", who=who, count=count, limit=MAX_USES))
    return len(order)


def _check_gradients(root, values: dict) -> None:
    """A gradient that is not a finite number is refused, as a forward value that overflows is."""
    from circuitgrad.autograd import topological_order

    bad = [n for n in reversed(topological_order(root)) if not math.isfinite(n.grad)]
    if not bad:
        return
    leaf = next((n for n in bad if n.is_leaf and n.label in values), None)
    where = (_say("overflow_at_leaf", name=leaf.label, grad=leaf.grad, value=repr(values[leaf.label])) if leaf else
             _say("overflow_at_gate", op=bad[0].op, grad=bad[0].grad))
    raise UsageError(_say("gradient_overflow", where=where))


def _draw(args: argparse.Namespace, lang: str = "en") -> int:
    # Imported here so `circuitgrad --help` answers at once.
    from circuitgrad.autograd import topological_order
    from circuitgrad.viz.graph_view import format_number
    from circuitgrad.viz.render import FORMATS, render
    from circuitgrad.viz.steps import save_steps

    if not 0 <= args.precision <= 15:
        raise UsageError(_say("bad_precision", value=args.precision))
    out = Path(args.output)
    page = out.suffix.lower() == ".html"  # the explorer: step through backprop in a browser, offline
    if out.suffix.lower() not in FORMATS and not page:
        raise UsageError(_say("bad_format", output=repr(args.output)))
    expr = as_text(args.expr, _say("what_expr"))
    values = parse_values([as_text(item, _say("what_value", item=repr(item))) for item in args.values])
    root = build(expr, values)
    count = check_size(root)
    if args.steps and count * count > MAX_STEP_WORK:
        raise UsageError(_say("too_many_steps", count=count, work=count * count, limit=MAX_STEP_WORK,
                              most=math.isqrt(MAX_STEP_WORK)))
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
            say(_say("note_unused", prog=PROG, name=name).text(lang), file=sys.stderr)

    if page:
        from circuitgrad.viz.explore import explore
        try:
            explore(root, precision=args.precision, lang=lang).save(out)
        except OSError as e:
            raise UsageError(_say("cannot_write", path=out, reason=e.strerror or e)) from None
    else:
        with _graphviz_crash(count):
            render(root, out, style=args.style, precision=args.precision, max_nodes=None)
    say(_say("wrote", path=out).text(lang))
    if args.steps:
        with _graphviz_crash(count):
            paths = save_steps(root, args.steps, fmt="png" if out.suffix.lower() == ".png" else "svg",
                               style=args.style, precision=args.precision, max_nodes=None, lang=lang)
        say(_say("wrote_steps", count=len(paths), first=paths[0], last=paths[-1].name).text(lang))
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
        raise UsageError(_say("dot_crashed", count=count)) from None


def _demo(args: argparse.Namespace, lang: str = "en") -> int:
    if args.epochs < 1:
        raise UsageError(_say("bad_epochs", value=args.epochs))
    try:  # a bare wheel install has no matplotlib: say so before training, not after a minute
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError(_say("no_matplotlib")) from None
    from . import demo

    if lang == "en":  # demo.main's own default
        return demo.main(out=args.out, epochs=args.epochs, progress=not args.no_progress)
    return demo.main(out=args.out, epochs=args.epochs, progress=not args.no_progress, lang=lang)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with `argv` (default: sys.argv[1:]); returns the exit status."""
    from circuitgrad.viz.render import GraphvizNotFound

    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _locale().from_environment()  # what an error about --lang itself is written in
    try:
        lang = language(argv)
        try:
            args, unknown = _parser(lang).parse_known_args(argv)
        except SystemExit as e:  # --help and --version end here
            return int(e.code or 0)
        except UsageError as e:
            if argv[:1] == ["draw"] and any(map(_looks_like_expression, argv[1:])):
                raise UsageError(_say("plus", message=e.message) + _say("dash_hint")) from None
            raise
        if unknown:
            hint = _say("dash_hint") if args.command == "draw" and any(map(_looks_like_expression, unknown)) else ""
            raise UsageError(_say("unrecognized", args=" ".join(unknown), prog=PROG,
                                  command=args.command + " " if args.command else "", hint=hint))
        if args.command == "draw":
            return _draw(args, lang)
        if args.command == "demo":
            return _demo(args, lang)
        raise UsageError(_say("no_command", example=EXAMPLE))
    except (UsageError, ExpressionError) as e:
        return _fail(e.text(lang), lang)
    except GraphvizNotFound as e:
        return _fail(_say("no_dot", hint=str(e)).text(lang), lang)
    except OSError as e:
        reason = e.strerror or e
        message = _say("cannot_write", path=e.filename, reason=reason) if getattr(e, "filename", None) else \
            _say("cannot_write_any", reason=reason)
        return _fail(message.text(lang), lang)
    except (ValueError, TypeError, ArithmeticError, RuntimeError) as e:
        return _fail(str(e), lang)
    except KeyboardInterrupt:
        return 130


def _fail(message: str, lang: str = "en") -> int:
    say(_say("error", prog=PROG, message=" ".join(message.split())).text(lang), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
