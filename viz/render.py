"""`draw` (graph to a Graphviz Digraph) and `render` (to an SVG, PNG or PDF file).

`draw` never runs Graphviz: it only writes the DOT source, so it works without the `dot`
program. Showing the result (in Jupyter, `.pipe()`, `render`) runs `dot`; without it the
one error raised is `GraphvizNotFound`, which says how to install it.
"""
from __future__ import annotations

import contextlib
import logging
from os import PathLike
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

import graphviz

from circuitgrad.autograd.graph import Node, topological_order

from . import theme as T
from .circuit import CircuitStyle
from .graph_view import GraphView, build_view, check_root
from .modules import FULL, OUTPUT, Layout, box_detail, plan
from .record import RecordStyle

log = logging.getLogger(__name__)

STYLES = {"circuit": CircuitStyle, "record": RecordStyle}
RANKDIRS = ("LR", "RL", "TB", "BT")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
DEFAULT_MAX_NODES = 400
PNG_DPI = "144"  # twice the screen's 72 dpi: sharp on high-density screens, still small files

INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH; viz needs it to turn a diagram into a picture. "
    "Install it: on Debian/Ubuntu `apt-get install graphviz` (as root); without root "
    "`.venv/bin/pip install graphviz-pure` and `ln -s graphviz-pure .venv/bin/dot`, then put .venv/bin on PATH; "
    "or run `make test` / `make demo`, which set this up."
)


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """The Graphviz `dot` program is missing; the message says how to install it (a RuntimeError)."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        RuntimeError.__init__(self, message)


class Diagram(graphviz.Digraph):
    """A `graphviz.Digraph` whose rendering raises `GraphvizNotFound` when `dot` is missing.

    It shows itself inline in Jupyter, like any Digraph.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        with _dot_needed():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        with _dot_needed():
            return super().render(*args, **kwargs)


@contextlib.contextmanager
def _dot_needed() -> Iterator[None]:
    """graphviz's own missing-`dot` error becomes GraphvizNotFound, which says how to install it."""
    try:
        yield
    except graphviz.ExecutableNotFound as e:
        if isinstance(e, GraphvizNotFound):
            raise
        raise GraphvizNotFound() from None


def check_options(style: str, rankdir: str, max_nodes: Optional[int]) -> None:
    if style not in STYLES:
        raise ValueError(f"draw: style must be one of {sorted(STYLES)}, got {style!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {list(RANKDIRS)} (LR: inputs on the left), got {rankdir!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
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
        body.attr(label=g.title, style="rounded,filled", color=T.CLUSTER_COLOR, fillcolor=T.CLUSTER_FILL,
                  fontcolor=T.CLUSTER_COLOR, fontname=T.FONT, fontsize="12", labeljust="l", penwidth="1.2",
                  tooltip=T.tooltip(repr(g.call.module)))
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
    """Run `dot` on a drawn graph; raises GraphvizNotFound, or RuntimeError with dot's message."""
    if fmt == "png":
        graph = graph.copy()
        graph.graph_attr["dpi"] = PNG_DPI
    try:
        with _dot_needed():
            return graph.pipe(format=fmt)
    except graphviz.CalledProcessError as e:
        detail = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"render: Graphviz failed to lay out the graph: {detail[-1] if detail else e}") from None
