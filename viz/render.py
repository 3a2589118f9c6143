"""`draw` (graph to a Graphviz Digraph) and `render` (to an SVG, PNG or PDF file).

`draw` never lays anything out: it only writes the DOT source, so it works without the `dot`
program (for Korean text it asks once which program is installed, see theme.font). Showing the
result (in Jupyter, `.pipe()`, `render`) runs `dot`, or graphviz-pure when there is no `dot`
(dot_program); without either the one error raised is `GraphvizNotFound`, which says how to
install one.
"""
from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from os import PathLike
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

import graphviz

from circuitgrad.autograd.graph import Node, topological_order

from . import dot_program
from . import theme as T
from .circuit import CircuitStyle
from .graph_view import GraphView, build_view, check_root
from .modules import FULL, OUTPUT, Layout, box_detail, plan
from .record import RecordStyle
from circuitgrad.autograd.checks import is_int

log = logging.getLogger(__name__)

STYLES = {"circuit": CircuitStyle, "record": RecordStyle}
RANKDIRS = ("LR", "RL", "TB", "BT")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
DEFAULT_MAX_NODES = 400
PNG_DPI = "144"  # twice the screen's 72 dpi: sharp on high-density screens, still small files

INSTALL_HINT = (
    "Graphviz's `dot` program was not found (neither `dot` on PATH nor graphviz-pure beside this Python); "
    "viz needs one to turn a diagram into a picture. In a clone of circuitgrad, run `make demo` or `make test`, "
    "which install it. Installed with pip (`pip install .`, or the wheel `make wheel` builds): as root "
    "`apt-get install graphviz` (Debian/Ubuntu; `fonts-nanum` too for Korean labels in PNG), or without root "
    "`pip install graphviz-pure` into the same environment (SVG and PNG, no PDF), which viz then finds by itself."
)


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """The Graphviz `dot` program is missing; the message says how to install it (a RuntimeError)."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        RuntimeError.__init__(self, message)


class Diagram(graphviz.Digraph):
    """A `graphviz.Digraph` that finds graphviz-pure when there is no `dot`, and raises
    `GraphvizNotFound` when there is neither.

    It shows itself inline in Jupyter, like any Digraph.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        with _dot_needed() as program:
            _check_can(program, self, kwargs.get("format") or (args[0] if args else None) or self.format)
            return super().pipe(*args, **_quiet_if_pure(program, kwargs))

    def render(self, *args: Any, **kwargs: Any) -> Any:
        with _dot_needed() as program:
            _check_can(program, self, kwargs.get("format") or self.format)
            return super().render(*args, **_quiet_if_pure(program, kwargs))


def _quiet_if_pure(program: Optional[dot_program.Program], kwargs: dict) -> dict:
    # graphviz-pure warns on stderr for every label with a character outside ASCII (it has no
    # width table for them, and estimates); viz warns itself where that shows (CJK in a PNG).
    if program is not None and program.pure:
        kwargs.setdefault("quiet", True)
    return kwargs


@contextlib.contextmanager
def _dot_needed() -> Iterator[Optional[dot_program.Program]]:
    """Point graphviz at the program to use (graphviz-pure when there is no `dot`) and yield it;
    graphviz's own missing-`dot` error becomes GraphvizNotFound, which says how to install it."""
    try:
        yield dot_program.resolve()
    except graphviz.ExecutableNotFound as e:
        if isinstance(e, GraphvizNotFound):
            raise
        raise GraphvizNotFound() from None


def check_options(style: str, rankdir: str, max_nodes: Optional[int]) -> None:
    if style not in STYLES:
        raise ValueError(f"draw: style must be one of {sorted(STYLES)}, got {style!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {list(RANKDIRS)} (LR: inputs on the left), got {rankdir!r}")
    if max_nodes is not None and (not is_int(max_nodes) or max_nodes < 1):
        raise ValueError(f"draw: max_nodes must be a positive whole number or None (no limit), got {max_nodes!r}")


def draw(root: Node, style: str = "circuit", rankdir: str = "LR", show_grad: bool = True,
         precision: int = 2, max_nodes: Optional[int] = DEFAULT_MAX_NODES,
         collapse: Union[bool, Iterable[Any]] = False, trace: Any = None) -> graphviz.Digraph:
    """The graph behind `root` as a Graphviz Digraph, with every value and gradient on it.

    style: "circuit" (CS231n: gates as circles, value above each wire in green, gradient
    below in red) or "record" (a box per value: label | data | grad). rankdir: "LR" puts
    the inputs on the left. precision: digits shown, decimals from 1 up and significant
    digits below 1 (tooltips carry more). trace: the
    object `nn.module.trace_modules()` yields; nodes made inside a module are then boxed
    in a labelled cluster, and `collapse=True` (every layer) or a list of modules draws
    each module as one box. Raises TypeError for a root that is not a Value or Tensor,
    ValueError for bad options and for a graph of more than `max_nodes` drawn nodes.
    """
    check_options(style, rankdir, max_nodes)
    precheck_size(root, max_nodes, collapse, trace)
    view = build_view(root, precision=precision, show_grad=show_grad)
    layout = plan(view, trace, collapse)
    check_size(layout.drawn_count(), max_nodes, trace, collapse)
    return build_diagram(view, layout, style, rankdir)


def precheck_size(root: Node, max_nodes: Optional[int], collapse: Any, trace: Any) -> None:
    """Refuse a too-big graph before formatting any node (a training graph can have 100,000)."""
    check_root(root)
    if max_nodes is not None and (collapse is None or collapse is False):
        check_size(len(topological_order(root)), max_nodes, trace)


def check_size(count: int, max_nodes: Optional[int], trace: Any, collapse: Any = False) -> None:
    """ValueError when more than `max_nodes` nodes would be drawn, saying how to draw less."""
    if max_nodes is None or count <= max_nodes:
        return
    if collapse is not None and collapse is not False:
        how = "collapse bigger modules (collapse=[model] draws the whole model as one box)"
    elif trace is not None:
        how = "pass collapse=True to draw each layer as one box"
    else:
        how = ("trace the forward pass (`with nn.module.trace_modules() as trace:`) and pass trace=trace, "
               "collapse=True to draw each layer as one box")
    raise ValueError(f"draw: the graph has {count} nodes to draw, more than max_nodes={max_nodes}; Graphviz "
                     f"would take long and the picture would be unreadable. Draw a smaller piece (one neuron, "
                     f"one sample), {how}, or raise the limit with max_nodes={count} (None: no limit)")


def build_diagram(view: GraphView, layout: Layout, style: str = "circuit", rankdir: str = "LR",
                  highlight: frozenset = frozenset(), via: frozenset = frozenset()) -> Diagram:
    """Emit a planned view in a style. For a backprop step, `via` marks the gate that just ran
    and `highlight` the values (wires) it sent gradients to."""
    painter = STYLES[style](rankdir)
    dot = Diagram(name="circuitgrad", graph_attr=painter.graph_attrs(), node_attr=painter.node_attrs(),
                  edge_attr=painter.edge_attrs())
    groups = layout.groups
    # Each cluster's body is collected first and added to its parent at the end, because a
    # Graphviz subgraph is copied into its parent when added.
    bodies = [graphviz.Digraph(name=f"cluster_{g.id}") for g in groups]

    def place(g: Optional[int]) -> Any:
        # A node inside a collapsed module that is still drawn (the module's result) sits
        # in the nearest enclosing cluster that is drawn as a cluster.
        target = g
        while g is not None:
            if groups[g].collapsed:
                target = groups[g].parent
            g = groups[g].parent
        return dot if target is None else bodies[target]

    for i, nv in enumerate(view.nodes):
        mode = layout.mode[i]
        if mode == FULL:
            painter.add_node(place(layout.group_of[i]), nv, wire=(i in highlight), gate=(i in via))
        elif mode == OUTPUT:
            painter.add_output(place(layout.group_of[i]), nv, wire=(i in highlight))
    for gi, g in enumerate(groups):
        if g.collapsed and _is_drawn_box(groups, gi):
            painter.add_box(place(gi), g.id, g.title, box_detail(layout, view, gi), repr(g.call.module))

    _edges(dot, view, layout, painter, highlight, via)
    painter.finish(dot, view.root)

    # Nest the clusters innermost first, so each body is complete before it is copied.
    for gi in sorted(range(len(groups)), key=lambda k: -_depth(groups, k)):
        g = groups[gi]
        if g.collapsed or not _is_drawn_box(groups, gi):
            continue
        body = bodies[gi]
        # The title sits top right: arrows enter a module at its gate on the left, often from above,
        # and would cross a title at the top left.
        body.attr(label=T.text_label(g.title), style="rounded,filled", color=T.CLUSTER_COLOR,
                  fillcolor=T.CLUSTER_FILL, fontcolor=T.CLUSTER_COLOR, fontname=T.FONT, fontsize="12",
                  labeljust="r", penwidth="1.2", tooltip=T.tooltip(repr(g.call.module)))
        parent = dot if g.parent is None else bodies[g.parent]
        parent.subgraph(body)
    return dot


def _depth(groups: list, g: int) -> int:
    d = 0
    while groups[g].parent is not None:
        g = groups[g].parent
        d += 1
    return d


def _is_drawn_box(groups: list, g: int) -> bool:
    """False for a group nested inside a collapsed one (the outer box stands for it)."""
    p = groups[g].parent
    while p is not None:
        if groups[p].collapsed:
            return False
        p = groups[p].parent
    return True


def _edges(dot: Any, view: GraphView, layout: Layout, painter: Any, highlight: frozenset = frozenset(),
           via: frozenset = frozenset()) -> None:
    seen: set = set()
    for i, nv in enumerate(view.nodes):
        mode, box = layout.mode[i], layout.box_of[i]
        if mode == FULL:
            dst = painter.in_id(nv)
        elif box is not None:
            dst = layout.groups[box].id
        else:
            continue
        if mode == OUTPUT:
            painter.feed(dot, dst, nv)
        for k, p in enumerate(nv.parents):
            if box is not None and layout.box_of[p] == box:
                continue  # wiring inside a collapsed module is not drawn
            if mode != FULL and (p, dst) in seen:
                continue  # one arrow per input into a box, however often it is used inside
            seen.add((p, dst))
            # x * x: one arrow per use, told apart so that the gate visibly has two inputs
            painter.connect(dot, view.nodes[p], dst, nth=nv.parents[:k].count(p), uses=nv.parents.count(p),
                            highlight=(p in highlight and i in via))


def render(root: Union[Node, graphviz.Digraph], path: Union[str, PathLike], **draw_options: Any) -> Path:
    """Draw `root` (or take an already drawn Digraph) and write it to `path`; returns the path.

    The format follows the suffix: .svg, .png (at 144 dpi) or .pdf. Raises ValueError for
    another suffix, GraphvizNotFound without the `dot` program, OSError when the file
    cannot be written, and whatever `draw` raises for bad options.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"render: cannot tell the format from {path.name!r}; end the file name in "
                         f"{', '.join(FORMATS)}")
    if isinstance(root, graphviz.Digraph):
        if draw_options:
            raise TypeError(f"render: draw options {sorted(draw_options)} apply only when drawing a Value or Tensor, "
                            "not an already drawn Digraph")
        graph = root
    else:
        graph = draw(root, **draw_options)
    data = pipe(graph, fmt)
    path.write_bytes(data)
    log.info("wrote %s (%d bytes)", path, len(data))
    return path


def pipe(graph: graphviz.Digraph, fmt: str) -> bytes:
    """Run `dot` on a drawn graph. Raises GraphvizNotFound without one, RuntimeError with dot's
    message when it fails or when graphviz-pure is asked for a PDF; warns (UserWarning) when a
    PNG would show Korean, Chinese or Japanese text as empty boxes (graphviz-pure, or no font)."""
    if fmt == "png":
        graph = graph.copy()
        graph.graph_attr["dpi"] = PNG_DPI
    try:
        with _dot_needed() as program:
            if not isinstance(graph, Diagram):  # a Diagram checks itself
                _check_can(program, graph, fmt)
            return graph.pipe(format=fmt, **_quiet_if_pure(program, {}))
    except graphviz.CalledProcessError as e:
        detail = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"render: Graphviz failed to lay out the graph: {detail[-1] if detail else e}") from None


def _check_can(program: Optional[dot_program.Program], graph: graphviz.Digraph, fmt: str) -> None:
    """What the program in use cannot draw: a PDF from graphviz-pure (an error), Korean text in
    a PNG without a Korean font (a warning; the picture is still written)."""
    if program is None:
        return  # no program at all: the pipe raises GraphvizNotFound
    if program.pure and fmt == "pdf":
        raise RuntimeError("render: graphviz-pure (the `dot` in use here, from PyPI) cannot write PDF; "
                           "write .svg or .png, or install Graphviz (`apt-get install graphviz`, as root) for PDF")
    if fmt != "png" or not T.CJK_TEXT.search(graph.source):
        return
    if program.pure:
        reason = "graphviz-pure (the `dot` in use here, from PyPI) has no Korean font"
    elif T.cjk_font() is None:
        reason = "no Korean font is installed (`fc-list :lang=ko` lists none)"
    else:
        return
    warnings.warn(f"render: this PNG shows Korean (CJK) text as empty boxes: {reason}. An SVG keeps the text "
                  "(write .svg; the browser draws it with its fonts); for PNG, install Graphviz and a Korean font "
                  "as root: `apt-get install graphviz fonts-nanum`", UserWarning, stacklevel=_user_level())


def _user_level() -> int:
    """The stacklevel of the first caller outside viz and graphviz: the warning names the user's line."""
    level, frame = 2, sys._getframe(2)  # stacklevel 1 is _check_can, 2 its caller (frame 2 from here)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(("circuitgrad.viz", "graphviz")):
        frame, level = frame.f_back, level + 1
    return level
