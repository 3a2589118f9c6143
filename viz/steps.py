"""Backprop one gate at a time: a picture per step of the backward walk, as CS231n explains it.

The steps are the engine's own walk (`autograd.graph.gate_steps`, the chain-rule loop that
`backward()` runs), watched without touching anyone's `.grad`. Step 1 seeds the output;
each later step is one gate running its local backward and sending a gradient to every one
of its inputs at once. A value shows `?` until a gate has sent it something; a value used
twice shows the sum of what it has received so far, and the caption says so.
"""
from __future__ import annotations

import unicodedata
from os import PathLike
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

import graphviz

from circuitgrad.autograd.graph import Node, gate_steps

from . import theme as T
from .graph_view import UNKNOWN, build_view, summarize
from .locale import DEFAULT, check_language, text
from .modules import plan
from .render import DEFAULT_MAX_NODES, build_diagram, check_options, check_size, pipe, precheck_size

STEP_FORMATS = ("svg", "png")
CAPTION_SIZE = 13  # points


def _name(node: Node, lang: str) -> str:
    return node.label or (text(lang, "steps.gate_output", op=node.op) if node.op else text(lang, "steps.input"))


def _caption(k: int, n: int, gate: Optional[Node], sent: tuple, upstream: Any, totals: dict, users_left: dict,
             precision: int, lang: str = DEFAULT) -> str:
    """What this step did, in words (viz/locales/<lang>.json); for scalars, each input's chain-rule product."""
    head = text(lang, "steps.head", k=k, n=n)
    if gate is None:
        return head + text(lang, "steps.start", seed=summarize(upstream, precision, lang))
    parts = []
    for parent, g in zip(gate.parents, sent):
        if g is None:
            continue
        total = summarize(totals[parent], precision, lang)
        if isinstance(upstream, float) and upstream != 0.0 and isinstance(g, float):
            part = text(lang, "steps.gets_product", name=_name(parent, lang),
                        local=summarize(g / upstream, precision, lang), up=_paren(summarize(upstream, precision, lang)),
                        grad=summarize(g, precision, lang))
        else:
            part = text(lang, "steps.gets", name=_name(parent, lang), grad=summarize(g, precision, lang))
        if users_left.get(parent):
            part += text(lang, "steps.so_far", total=total, left=users_left[parent])
        elif total != summarize(g, precision, lang):
            part += text(lang, "steps.summed", total=total)
        parts.append(part)
    if not parts:
        return head + text(lang, "steps.no_input", op=gate.op)
    return head + text(lang, "steps.gate", op=gate.op, parts="; ".join(parts))


def _width(caption: str) -> int:
    """About how many points wide a caption is: Helvetica's mean advance, a full em for Hangul and CJK."""
    return int(sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.46 for c in caption) * CAPTION_SIZE)


def _paren(number: str) -> str:
    return f"({number})" if number.startswith("-") else number


def backprop_steps(root: Node, grad: Any = None, style: str = "circuit", rankdir: str = "LR",
                   precision: int = 2, max_nodes: Optional[int] = DEFAULT_MAX_NODES,
                   collapse: Union[bool, Iterable[Any]] = False, trace: Any = None,
                   lang: str = DEFAULT) -> Iterator[graphviz.Digraph]:
    """Yield one Digraph per step of the backward walk from `root`: the seed, then one per gate.

    Takes `draw`'s options; `grad` is the seed (needed only for a Tensor output with more
    than one entry); `lang` the language of the captions ("en", "ko"). The graph's `.grad`
    values are not changed. Raises what `draw` raises, and ValueError for an unknown lang.
    """
    check_language(lang)
    check_options(style, rankdir, max_nodes)
    precheck_size(root, max_nodes, collapse, trace)
    seed, steps = gate_steps(root, grad)
    # How many gates will send to each node, so a caption can say "more to come".
    users: dict = {}
    for step in steps:
        for parent, g in zip(step.gate.parents, step.grads):
            if g is not None:
                users[parent] = users.get(parent, 0) + 1
    # Every state first (what each step knows), so each picture can be as wide as the longest
    # caption and the circuit stays in place between steps.
    known: dict = {root: seed}
    states = [(None, (), dict(known))]
    captions = [_caption(1, len(steps) + 1, None, (), seed, known, users, precision, lang)]
    for k, step in enumerate(steps, start=2):
        for parent, g in zip(step.gate.parents, step.grads):
            if g is not None:
                known[parent] = g if parent not in known else known[parent] + g
                users[parent] -= 1
        states.append((step.gate, step.grads, dict(known)))
        captions.append(_caption(k, len(steps) + 1, step.gate, step.grads, known[step.gate], known, users,
                                 precision, lang))
    width = max(_width(c) for c in captions)
    for k, (gate, sent, grads) in enumerate(states, start=1):

        def grad_of(x: Node, grads: dict = grads) -> Any:
            return grads.get(x, UNKNOWN)

        view = build_view(root, precision=precision, grad_of=grad_of, lang=lang)
        layout = plan(view, trace, collapse)
        if k == 1:
            check_size(layout.drawn_count(), max_nodes, trace, collapse)
            wires, gates = frozenset({view.index[root]}), frozenset()
        else:
            wires = frozenset(view.index[p] for p, g in zip(gate.parents, sent) if g is not None and p in view.index)
            gates = frozenset({view.index[gate]})
        dot = build_diagram(view, layout, style, rankdir, highlight=wires, via=gates)
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
    Other keyword arguments go to `backprop_steps` (`lang="ko"`: Korean captions and slider).
    Every step is rendered to SVG up front, so moving the slider is instant. Raises ImportError naming the package when ipywidgets
    is missing, GraphvizNotFound without `dot`.
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        raise ImportError("step_through needs ipywidgets for its slider: `pip install ipywidgets` "
                          "(included in the project's `notebook` and `test` extras); without it, "
                          "use viz.save_steps(root, folder) or loop over viz.backprop_steps(root)") from None
    svgs = [pipe(dot, "svg").decode("utf-8") for dot in backprop_steps(root, **options)]
    lang = options.get("lang", DEFAULT)
    slider = widgets.IntSlider(value=1, min=1, max=len(svgs), description=text(lang, "steps.slider"),
                               continuous_update=True)
    play = widgets.Play(value=1, min=1, max=len(svgs), interval=900, description=text(lang, "steps.play"))
    widgets.jslink((play, "value"), (slider, "value"))
    picture = widgets.HTML(value=svgs[0])

    def show(change: dict) -> None:
        picture.value = svgs[change["new"] - 1]

    slider.observe(show, names="value")
    return widgets.VBox([widgets.HBox([play, slider]), picture])

