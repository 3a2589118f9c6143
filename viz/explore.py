"""The explorer: one self-contained HTML page to step through a graph's forward and backward pass.

    page = viz.explore(f)          # Jupyter shows it inline
    page.save("graph.html")        # one file, opened by double-click, no network needed

The page holds the graph as JSON (every node's op, label, module, value and gradient, and
every step of the backward walk) and a small script that lays it out and draws it as a
CS231n circuit: gates as circles, the forward value above each wire in green, the
gradient below it in red. On the page: backprop gate by gate (buttons, slider, arrow
keys), a forward mode that fills values gate by gate, hover or tap a wire for its full
data and gradient, wheel and drag to zoom and pan, and, for a graph traced with
`nn.trace_modules`, one box per module that opens when clicked (breadcrumbs lead back), so
no view lays out more than the inside of one module.

Which to use: `explore` in notebooks that will be exported or shared (it needs no kernel
and no network); `step_through` only in a live kernel that has ipywidgets.
"""
from __future__ import annotations

import html
import json
from os import PathLike
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from circuitgrad.autograd.graph import Node, gate_steps

from .graph_view import build_view, full_values, summarize
from .modules import plan

ASSETS = Path(__file__).with_name("explorer")
# A tensor with at most this many entries lists every value in its tooltip; a bigger one gets
# its shape, dtype, min/mean/max and a histogram.
MAX_LISTED_VALUES = 64
HISTOGRAM_BINS = 16
INFIX = {"+": "+", "-": "\u2212", "*": "\u00d7", "/": "/", "**": "^", "@": "@"}


def _gate_steps(root: Node, grad: Any = None) -> tuple:
    """(seed, [(gate, grads sent to each of its parents), ...]) in the order the engine runs the gates.

    The engine's own walk (`gate_steps`), which touches no `.grad`; the one place the page asks
    the engine for gradients.
    """
    seed, steps = gate_steps(root, grad)
    return seed, [(step.gate, tuple(step.grads)) for step in steps]


def _sum_to(grad: Any, like: Any) -> Any:
    """A gradient summed back to its input's shape, where broadcasting stretched the input."""
    shape = np.shape(like)
    g = np.asarray(grad)
    if g.shape == shape or not shape and g.ndim == 0:
        return grad
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g if shape else float(g)


def _detail(data: Any, precision: int) -> dict:
    """What a tooltip shows for a value or gradient: every number of a small one, statistics of a big one."""
    a = np.asarray(data)
    if a.size <= MAX_LISTED_VALUES:
        return {"text": full_values(data, precision + 2)}
    finite = a[np.isfinite(a)] if np.issubdtype(a.dtype, np.floating) else a
    f = lambda v: summarize(v, precision + 2)  # noqa: E731
    out = {"shape": list(a.shape), "dtype": str(a.dtype)}
    if finite.size:
        counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
        out.update(min=f(finite.min()), mean=f(finite.mean()), max=f(finite.max()), std=f(finite.std()),
                   hist=counts.tolist(), lo=f(edges[0]), hi=f(edges[-1]))
    if finite.size != a.size:
        out["nonfinite"] = int(a.size - finite.size)
    return out


def _is_number(x: Any) -> bool:
    return isinstance(x, (float, int)) or (isinstance(x, np.ndarray) and x.size == 1)


def _name(view: Any) -> str:
    """How a caption calls a node: its label, else its gate in brackets, else what kind of leaf it is."""
    if view.name:
        return view.name
    if view.op:
        return f"[{view.op}]"
    return "const" if view.is_constant else "input"


def _forward_caption(view: Any, views: list, k: int, n: int) -> str:
    args = [views[p] for p in view.parents]
    names, values = [_name(a) for a in args], [a.value for a in args]
    sym = INFIX.get(view.op)
    if sym and len(args) == 2:
        expr = f"{names[0]} {sym} {names[1]} = {_paren(values[0], True)} {sym} {_paren(values[1])}"
    else:
        expr = f"{view.op}({', '.join(names)}) = {view.op}({', '.join(values)})"
    return f"Forward step {k} of {n}: {_name(view)} = {expr} = {view.value}"


def _paren(text: str, first: bool = False) -> str:
    return f"({text})" if text.startswith("-") and not first else text


def _backward_caption(gate: Any, views: list, upstream: Any, sends: list, root: str, k: int, n: int,
                      precision: int, derivative: str) -> str:
    """The chain rule of one gate with its numbers: dR/dp = dR/dgate x dgate/dp, for each input p."""
    g = _name(gate)
    named = f" (its output is {gate.name})" if gate.name else ""
    head = (f"Backward step {k} of {n}: gate {gate.op}{named} gets \u2202{root}/\u2202{g} = "
            f"{summarize(upstream, precision)} from above")
    parts = []
    for p, contribution, _total, first in sends:
        pn = _name(views[p])
        acc = "=" if first else "+="
        if _is_number(upstream) and _is_number(contribution) and float(np.asarray(upstream)) != 0.0:
            local = float(np.asarray(contribution)) / float(np.asarray(upstream))
            parts.append(f"\u2202{root}/\u2202{pn} {acc} \u2202{root}/\u2202{g} \u00d7 \u2202{g}/\u2202{pn} = "
                         f"{_paren(summarize(upstream, precision), True)} \u00d7 {_paren(summarize(local, precision))}"
                         f" = {summarize(contribution, precision)}")
        else:
            parts.append(f"\u2202{root}/\u2202{pn} {acc} {summarize(contribution, precision)}")
    if not parts:
        return head + "; none of its inputs needs a gradient"
    tail = f"  (rule: {derivative})" if derivative else ""
    return head + ": " + ";  ".join(parts) + tail


def page_model(root: Node, grad: Any = None, trace: Any = None, precision: int = 2,
               title: Optional[str] = None) -> dict:
    """The graph and both walks as plain data (what the page's script draws); see `explore`."""
    view = build_view(root, precision=precision, show_grad=False)
    layout = plan(view, trace)
    views = view.nodes
    index = view.index
    nodes = []
    for i, nv in enumerate(views):
        node = nv.node
        nodes.append({
            "name": nv.name, "op": nv.op, "shape": nv.shape, "value": nv.value,
            "data": _detail(node.data, precision), "parents": nv.parents,
            "needsGrad": bool(getattr(node, "requires_grad", True)), "const": nv.is_constant,
            "group": layout.group_of[i], "grad": None, "gradDetail": None,
        })
    nodes[-1]["root"] = True
    groups = [{"title": g.title, "parent": g.parent, "tip": repr(g.call.module)[:1500]} for g in layout.groups]

    forward_gates = [i for i, nv in enumerate(views) if nv.op]
    forward = [{"node": i, "caption": _forward_caption(views[i], views, k, len(forward_gates))}
               for k, i in enumerate(forward_gates, start=1)]

    seed, steps = _gate_steps(root, grad)
    totals: dict = {len(views) - 1: seed}
    raw = []
    for gate, sent in steps:
        gi = index[gate]
        sends = []
        for parent, pg in zip(gate.parents, sent):
            if pg is None or not getattr(parent, "requires_grad", True):
                continue
            p = index[parent]
            pg = _sum_to(pg, parent.data)
            first = p not in totals
            totals[p] = pg if first else totals[p] + pg
            sends.append((p, pg, totals[p], first))
        raw.append((gi, totals[gi], sends))
    last_send: dict = {}
    for k, (_, _, sends) in enumerate(raw):
        for j, (p, *_) in enumerate(sends):
            last_send[p] = (k, j)  # the gradient on p's wire is final after this one
    rname = views[-1].name or "out"
    backward = []
    for k, (gi, upstream, sends) in enumerate(raw):
        derivative = getattr(views[gi].node.fn, "derivative", "") or ""
        backward.append({
            "gate": gi, "upstream": summarize(upstream, precision),
            "sends": [[p, summarize(c, precision), summarize(t, precision), last_send[p] == (k, j)]
                      for j, (p, c, t, _) in enumerate(sends)],
            "caption": _backward_caption(views[gi], views, upstream, sends, rname, k + 1, len(raw), precision,
                                         derivative if isinstance(derivative, str) else ""),
        })
    for p, total in totals.items():
        nodes[p]["grad"] = summarize(total, precision)
        nodes[p]["gradDetail"] = _detail(total, precision)
    return {
        "title": title or f"circuitgrad: {rname} = {views[-1].value}",
        "root": len(views) - 1, "rootName": rname, "seed": summarize(seed, precision),
        "nodes": nodes, "groups": groups, "forward": forward, "backward": backward,
    }


def _script_json(model: dict) -> str:
    """JSON safe inside a <script> element: no `</` can end it early."""
    text = json.dumps(model, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_page(model: dict, asset: str = "page.html") -> str:
    """The model inlined with the page's script and style into one HTML document."""
    page = (ASSETS / asset).read_text(encoding="utf-8")
    css = (ASSETS / "explorer.css").read_text(encoding="utf-8")
    js = (ASSETS / "explorer.js").read_text(encoding="utf-8")
    return (page.replace("/*CSS*/", css).replace("/*JS*/", js)
            .replace("{{TITLE}}", html.escape(model["title"])).replace("/*DATA*/", _script_json(model)))


class Explorer:
    """A page that shows a graph; `_repr_html_` for Jupyter, `save(path)` for a file, `html` for the text."""

    def __init__(self, model: dict, height: int = 560) -> None:
        self.model = model
        self.height = height
        self._html: Optional[str] = None

    @property
    def html(self) -> str:
        """The whole self-contained page."""
        if self._html is None:
            self._html = render_page(self.model)
        return self._html

    def save(self, path: Union[str, PathLike]) -> Path:
        """Write the page to `path` (UTF-8) and return the path. Raises OSError when it cannot be written."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script and style apart from the notebook's; srcdoc keeps it inline,
        # so an exported notebook shows it with no kernel and no network.
        return (f'<iframe class="circuitgrad-explorer" srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width:100%;height:{self.height}px;border:1px solid #ddd;border-radius:4px" '
                'title="circuitgrad explorer"></iframe>')


def explore(root: Node, grad: Any = None, trace: Any = None, precision: int = 2, title: Optional[str] = None,
            height: int = 560) -> Explorer:
    """The explorer page of the graph behind `root` (see the module docstring).

    `grad`: the seed gradient (needed only for a Tensor output with more than one entry).
    `trace`: what `with nn.trace_modules() as trace:` yields; the page then opens with one box per
    outermost module call. `precision`: digits on the wires (tooltips carry two more).
    `height`: pixels of the inline frame in Jupyter. The graph's `.grad` values are not changed.
    Raises TypeError for a root that is not a Value or Tensor or a bad trace, ValueError for a bad
    precision or seed.
    """
    if isinstance(height, bool) or not isinstance(height, int) or height < 100:
        raise ValueError(f"explore: height must be a whole number of pixels >= 100, got {height!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"explore: title must be a str, got {type(title).__name__}")
    return Explorer(page_model(root, grad=grad, trace=trace, precision=precision, title=title), height=height)
