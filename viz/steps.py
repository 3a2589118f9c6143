"""Backprop one node at a time: a picture per step of the backward walk.

The walk is the one `backward()` does (reverse topological order, each op's local
derivative times the gradient from above) but recomputed here into a local dict, so the
user's `.grad` values are never touched. Step k shows the gradients of the first k nodes
the walk has finished and `?` for the rest; the value that just got its gradient is
highlighted, with the gates it came back through. There is one step per node.
"""
from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

import graphviz

from circuitgrad.autograd.graph import Node, topological_order

from . import theme as T
from .graph_view import UNKNOWN, build_view, summarize
from .modules import plan
from .render import DEFAULT_MAX_NODES, build_diagram, check_options, check_size, pipe, precheck_size

STEP_FORMATS = ("svg", "png")
CAPTION_SIZE = 13  # points


def gradient_walk(root: Node, grad: Any = None) -> Iterator[tuple]:
    """Yield `(node, grads, parts)` for each node in the order backprop finishes them, root first.

    `grads` maps every node reached so far to its gradient in this one pass (final for the
    nodes already yielded, partial for the others); `parts[node]` lists what each user of
    the node sent back, as (user, contribution) pairs that add up to its gradient. Raises
    what `backward()` raises for a bad seed (`grad=` is needed for a Tensor output with
    more than one entry).
    """
    grads: dict = {root: root._seed(grad)}
    parts: dict = {}
    for node in reversed(topological_order(root)):
        yield node, grads, parts
        g = grads.get(node)
        if node.fn is None or g is None:
            continue
        for parent, pg in zip(node.parents, node.fn.backward(node, g)):
            if pg is not None and parent.requires_grad:
                old = grads.get(parent)
                grads[parent] = pg if old is None else old + pg
                parts.setdefault(parent, []).append((node, pg))


def _caption(node: Node, grads: dict, parts: dict, k: int, n: int, precision: int) -> str:
    """What this step did, in words; for a scalar, the chain rule with its numbers."""
    head = f"step {k} of {n}: "
    if not node.requires_grad:
        return head + "a constant, it needs no gradient"
    g = grads.get(node)
    who = node.label or (f"the output of the {node.op} gate" if node.op else "an input")
    if g is None:
        return head + f"no gradient reaches {who}"
    total = summarize(g, precision)
    if k == 1:
        return head + f"backprop starts at {who} with the seed gradient {total}"
    terms = []
    for user, contribution in parts.get(node, []):
        upstream = grads.get(user)
        if isinstance(upstream, float) and upstream != 0.0:
            # chain rule: local slope of the user's gate times the gradient that reached the gate
            local = _paren(summarize(contribution / upstream, precision), first=not terms)
            terms.append(f"{local} \u00d7 {_paren(summarize(upstream, precision))} (via {user.op})")
    if not terms or len(terms) != len(parts.get(node, [])):
        return head + f"{who} gets its gradient {total}"
    hint = ": local slope \u00d7 gradient from above" + (", summed over its uses" if len(terms) > 1 else "")
    return head + f"{who} gets its gradient {total} = " + " + ".join(terms) + hint


def _paren(number: str, first: bool = False) -> str:
    return f"({number})" if number.startswith("-") and not first else number


def backprop_steps(root: Node, grad: Any = None, style: str = "circuit", rankdir: str = "LR",
                   precision: int = 2, max_nodes: Optional[int] = DEFAULT_MAX_NODES,
                   collapse: Union[bool, Iterable[Any]] = False, trace: Any = None) -> Iterator[graphviz.Digraph]:
    """Yield one Digraph per step of the backward walk from `root` (one step per node).

    Takes `draw`'s options; `grad` is the seed (needed only for a Tensor output with more
    than one entry). The graph's `.grad` values are not changed. Raises what `draw` raises.
    """
    check_options(style, rankdir, max_nodes)
    precheck_size(root, max_nodes, collapse, trace)
    # One walk. A node's gradient and the parts its users sent are final once it is yielded, so
    # the dicts as the walk leaves them describe every step; and with every caption known first,
    # each picture can be as wide as the longest, so the circuit stays in place between steps.
    order, grads, parts = [], {}, {}
    for node, grads, parts in gradient_walk(root, grad):
        order.append(node)
    n = len(order)
    captions = [_caption(node, grads, parts, k, n, precision) for k, node in enumerate(order, start=1)]
    width = int(max(len(c) for c in captions) * CAPTION_SIZE * 0.46)  # about Helvetica's mean advance
    known: set = set()
    for k, node in enumerate(order, start=1):
        known.add(node)

        def grad_of(x: Node, known: set = known) -> Any:
            return grads.get(x) if x in known else UNKNOWN

        view = build_view(root, precision=precision, grad_of=grad_of)
        layout = plan(view, trace, collapse)
        if k == 1:
            check_size(layout.drawn_count(), max_nodes, trace, collapse)
        users = frozenset(view.index[user] for user, _ in parts.get(node, []))
        dot = build_diagram(view, layout, style, rankdir, highlight=view.index[node], via=users)
        caption = T.font(captions[k - 1], T.MUTED_COLOR, CAPTION_SIZE)
        dot.attr(label=f'<<TABLE BORDER="0"><TR><TD WIDTH="{width}" ALIGN="LEFT">{caption}</TD></TR></TABLE>>',
                 labelloc="t", labeljust="l")
        yield dot


def save_steps(root: Node, folder: Union[str, PathLike], fmt: str = "svg", **options: Any) -> list:
    """Write each backprop step as `step_01.svg`, `step_02.svg`, ... in `folder` (made if missing).

    fmt is "svg" or "png"; other keyword arguments go to `backprop_steps`. Returns the paths
    written. Raises ValueError for another format, GraphvizNotFound without `dot`, OSError
    when the folder cannot be written.
    """
    if fmt not in STEP_FORMATS:
        raise ValueError(f"save_steps: fmt must be one of {list(STEP_FORMATS)}, got {fmt!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    graphs = list(backprop_steps(root, **options))
    width = max(2, len(str(len(graphs))))
    paths = []
    for k, dot in enumerate(graphs, start=1):
        path = folder / f"step_{k:0{width}d}.{fmt}"
        path.write_bytes(pipe(dot, fmt))
        paths.append(path)
    return paths


def step_through(root: Node, **options: Any) -> Any:
    """A Jupyter widget: a slider (and a play button) that walks through the backprop steps.

    It needs a live kernel with ipywidgets: in a notebook exported to HTML it shows nothing.
    Prefer `viz.explore(root)`, a self-contained page that works live, exported and offline.
    Other keyword arguments go to `backprop_steps`. Every step is rendered to SVG up front,
    so moving the slider is instant. Raises ImportError naming the package when ipywidgets
    is missing, GraphvizNotFound without `dot`.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError("step_through needs ipywidgets for its slider: `pip install ipywidgets` "
                          "(included in the project's `notebook` and `test` extras); without it, "
                          "use viz.save_steps(root, folder) or loop over viz.backprop_steps(root)") from None
    svgs = [pipe(dot, "svg").decode("utf-8") for dot in backprop_steps(root, **options)]
    slider = widgets.IntSlider(value=1, min=1, max=len(svgs), description="step", continuous_update=True)
    play = widgets.Play(value=1, min=1, max=len(svgs), interval=900, description="play")
    widgets.jslink((play, "value"), (slider, "value"))
    picture = widgets.HTML(value=svgs[0])

    def show(change: dict) -> None:
        picture.value = svgs[change["new"] - 1]

    slider.observe(show, names="value")
    return widgets.VBox([widgets.HBox([play, slider]), picture])

