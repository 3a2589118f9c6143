"""The explorer: one self-contained HTML page to step through a graph's forward and backward pass.

    page = viz.explore(f)          # Jupyter shows it inline
    page.save("graph.html")        # one file, opened by double-click, no network needed
    viz.explore(f, lang="ko")      # the page's words in Korean (viz/locales/ko.json)

The page holds the graph as compact JSON (labels once; ops, parents, modules and every scalar's
value and gradient contribution as base64 typed arrays; a Tensor's summaries as text) and a small
script that formats the numbers, writes each step's caption when it is shown, lays the graph
out and draws it as a CS231n circuit: gates as circles, the forward value above each wire in green, the
gradient below it in red. On the page: backprop gate by gate (buttons, slider, arrow
keys), a forward mode that fills values gate by gate, hover or tap a wire for its full
data and gradient, wheel and drag to zoom and pan, and, for a graph traced with
`nn.trace_modules`, one box per module that opens when clicked (breadcrumbs lead back), so
no view lays out more than the inside of one module.

Which to use: `explore` in notebooks that will be exported or shared (it needs no kernel
and no network); `step_through` only in a live kernel that has ipywidgets.
"""
from __future__ import annotations

import base64
import html
import json
import re
from functools import partial
from os import PathLike
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from circuitgrad.autograd.checks import is_int
from circuitgrad.autograd.graph import Node, gate_steps, topological_order

from . import attention_circuits
from .graph_view import build_view, check_root, format_number, full_values, summarize
from .locale import DEFAULT, check_language, strings
from .modules import plan

ASSETS = Path(__file__).with_name("explorer")
# A tensor with at most this many entries lists every value in its tooltip; a bigger one gets
# its shape, dtype, min/mean/max and a histogram.
MAX_LISTED_VALUES = 64
HISTOGRAM_BINS = 16
# Past these the page stops being usable (bench/explorer.py's traced scalar MLP, headless Chromium,
# 2 busy cores): 50,000 nodes write in 3-4 s (14 MB) and open in 1.5-2 s with 4,300 items in the
# top view; 100,000 nodes write in about 10 s (28 MB) and open in about 4 s with 8,500 items.
DEFAULT_MAX_NODES = 100_000
MAX_VIEW_ITEMS = 5_000


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


def _b64(values: Any, dtype: str) -> str:
    """A column of numbers as base64 of its little-endian bytes: the page reads it as a typed array."""
    return base64.b64encode(np.asarray(values, dtype="<" + dtype).tobytes()).decode("ascii")


def _is_array(data: Any) -> bool:
    return isinstance(data, np.ndarray)


def view_sizes(layout: Any, count: int) -> dict:
    """How many items (nodes and module boxes) each view of the page draws: None for the whole graph,
    a group index for the inside of that module call. What `max_nodes` bounds."""
    chains: dict = {}

    def chain(g: Optional[int]) -> tuple:
        if g is None:
            return ()
        if g not in chains:
            chains[g] = chain(layout.groups[g].parent) + (g,)
        return chains[g]

    items: dict = {None: set()}
    for i in range(count):
        c = chain(layout.group_of[i])
        for k in range(len(c) + 1):
            items.setdefault(None if k == 0 else c[k - 1], set()).add(("b", c[k]) if k < len(c) else i)
    return {view: len(keys) for view, keys in items.items()}


def check_page_size(count: int, sizes: dict, layout: Any, max_nodes: Optional[int], traced: bool) -> None:
    """ValueError for a page past its bounds, before any number is formatted, saying how to show a part."""
    if max_nodes is None:
        return
    if count > max_nodes:
        raise ValueError(
            f"explore: the graph has {count:,} nodes, more than max_nodes={max_nodes:,}; the page would take long "
            f"to write and to open. Explore a part: the output of one module or one sample (explore(layer_out)), "
            f"a smaller batch, or raise the limit with max_nodes={count} (None: no limit)")
    view, biggest = max(sizes.items(), key=lambda kv: kv[1])
    limit = min(max_nodes, MAX_VIEW_ITEMS)
    if biggest > limit:
        where = "the whole graph" if view is None else f"the module box {layout.groups[view].title!r}"
        how = ("split the work into smaller module calls, or explore one module's output" if traced else
               "trace the forward pass (`with nn.trace_modules() as trace:`) and pass trace=trace, so each module "
               "is one box that opens when clicked")
        raise ValueError(
            f"explore: {where} would draw {biggest:,} nodes and boxes at once, more than {limit:,} (the most a "
            f"browser lays out in a few seconds); {how}, explore a part (one neuron, one sample), or pass "
            f"max_nodes=None to write it anyway")


def page_model(root: Node, grad: Any = None, trace: Any = None, precision: int = 2,
               title: Optional[str] = None, max_nodes: Optional[int] = DEFAULT_MAX_NODES, lang: str = DEFAULT) -> dict:
    """The graph and its backward walk as compact plain data (what the page's script draws); see `explore`.

    Scalars travel as numbers (base64 typed arrays) and the page formats them and writes every
    caption itself; a Tensor's texts (summaries, tooltips) are written here, once per node.
    """
    check_root(root)
    if max_nodes is not None and (not is_int(max_nodes) or max_nodes < 1):
        raise ValueError(f"explore: max_nodes must be a positive whole number or None (no limit), got {max_nodes!r}")
    if max_nodes is not None:
        count = len(topological_order(root))
        if count > max_nodes:
            check_page_size(count, {}, None, max_nodes, trace is not None)
    view = build_view(root, precision=precision, show_grad=False, texts=False)
    layout = plan(view, trace)
    views = view.nodes
    n = len(views)
    check_page_size(n, view_sizes(layout, n), layout, max_nodes, trace is not None)
    index = view.index

    ops: dict = {}
    names: dict = {}
    op_of, name_of, flags, values, parents, starts = [], [], [], [], [], [0]
    tensors: dict = {}
    for i, nv in enumerate(views):
        node = nv.node
        if nv.op:
            derivative = getattr(node.fn, "derivative", "") or ""
            op_of.append(ops.setdefault((nv.op, derivative if isinstance(derivative, str) else ""), len(ops)))
        else:
            op_of.append(-1)
        name_of.append(names.setdefault(nv.name, len(names)) if nv.name else -1)
        parents.extend(nv.parents)
        starts.append(len(parents))
        needs = bool(getattr(node, "requires_grad", True))
        array = _is_array(node.data)
        # A number an op wrapped (`x * 2.0`) is a constant; a leaf array that needs no gradient is data.
        const = nv.is_constant and np.ndim(node.data) == 0
        flags.append(needs | const << 1 | (not array) << 2)
        if array:
            values.append(np.nan)
            tensors[i] = {"shape": nv.shape, "value": summarize(node.data, precision, lang),
                          "data": _detail(node.data, precision), "grad": None, "gradDetail": None}
        else:
            values.append(node.data)

    seed, steps = _gate_steps(root, grad)
    totals: dict = {n - 1: seed}
    gates, send_starts, send_to, send_values, tensor_sends = [], [0], [], [], {}
    for gate, sent in steps:
        gates.append(index[gate])
        upstream = totals.get(index[gate])
        for parent, pg in zip(gate.parents, sent):
            if pg is None or not getattr(parent, "requires_grad", True):
                continue
            p = index[parent]
            if _is_array(parent.data):
                pg = _sum_to(pg, parent.data)
                totals[p] = pg if p not in totals else totals[p] + pg
                local = None  # the local derivative, for a caption, when both are single numbers
                if np.size(upstream) == 1 and np.size(pg) == 1 and float(np.asarray(upstream)) != 0.0:
                    local = summarize(float(np.asarray(pg)) / float(np.asarray(upstream)), precision)
                tensor_sends[len(send_to)] = [summarize(pg, precision, lang), summarize(totals[p], precision, lang),
                                              local]
                send_values.append(np.nan)
            else:
                send_values.append(pg)
            send_to.append(p)
        send_starts.append(len(send_to))
    for p, t in tensors.items():
        if p in totals:
            t["grad"] = summarize(totals[p], precision, lang)
            t["gradDetail"] = _detail(totals[p], precision)
    if n - 1 in tensors:
        tensors[n - 1]["grad"] = summarize(seed, precision, lang)
    # Attention weights (a softmax of q k^T): each weight's circuit of scalar gates, opened by a click.
    attention, budget = {}, attention_circuits.MAX_CIRCUITS
    for i, nv in enumerate(views):
        if nv.node.fn is attention_circuits.O.Softmax and i in tensors:
            found = attention_circuits.circuits(nv.node, totals.get(i), partial(page_model, lang=lang), precision,
                                                budget, strings(lang))
            if found is not None:
                attention[str(i)] = found
                budget -= len(found["circuits"])
    tips: dict = {}
    groups = [[g.title, -1 if g.parent is None else g.parent,
               tips.setdefault(id(g.call.module), (len(tips), repr(g.call.module)[:1500]))[0]]
              for g in layout.groups]
    rname = views[-1].name or "out"
    root_text = tensors[n - 1]["value"] if n - 1 in tensors else format_number(views[-1].node.data, precision)
    return {
        "title": title or f"circuitgrad: {rname} = {root_text}",
        "precision": precision, "rootName": rname, "seed": summarize(seed, precision, lang),
        "ops": [list(k) for k in ops], "names": list(names),
        "nodes": {"count": n, "op": _b64(op_of, "i4"), "name": _b64(name_of, "i4"), "flags": _b64(flags, "u1"),
                  "parentStart": _b64(starts, "i4"), "parents": _b64(parents, "i4"),
                  "group": _b64([-1 if g is None else g for g in layout.group_of], "i4"),
                  "value": _b64(values, "f8"), "seed": _b64([np.nan if _is_array(seed) else seed], "f8")},
        "tensors": {str(k): v for k, v in tensors.items()},
        "steps": {"count": len(gates), "gate": _b64(gates, "i4"), "sendStart": _b64(send_starts, "i4"),
                  "sendTo": _b64(send_to, "i4"), "send": _b64(send_values, "f8"),
                  "tensorSends": {str(k): v for k, v in tensor_sends.items()}},
        "groups": groups, "tips": [t for _, t in sorted(tips.values())], "attention": attention,
    }


# Escapes that keep inlined JSON inside its <script>: no `</script>`, `<!--` or `-->` can form (the
# HTML tokenizer's script states), no `&` can start an entity in a srcdoc copy, and the line
# separators JavaScript once treated as line ends travel escaped.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(model: Any) -> str:
    """JSON safe to inline in a <script> element, whatever text the model holds."""
    text = json.dumps(model, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # One str.replace per character: each is a scan in C (about 1 ms for the live page's 1.2 MB of
    # frames); str.translate looks every character up in a dict, 27 ms for the same text (cProfile).
    # No escape contains a character another one replaces, so the order does not matter.
    for char, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def fill_words(template: str, lang: str) -> str:
    """A page template with its `{{key}}` words in `lang` (HTML-escaped) and `{{lang}}` its language code."""
    words = strings(lang)
    return re.sub(r"\{\{([a-z_]+\.[a-z_.]+|lang)\}\}",
                  lambda m: lang if m.group(1) == "lang" else html.escape(words[m.group(1)]), template)


def render_page(model: dict, asset: str = "page.html", lang: str = DEFAULT) -> str:
    """The model inlined with the page's script, style and words (in `lang`) into one HTML document."""
    page = fill_words((ASSETS / asset).read_text(encoding="utf-8"), lang)
    css = (ASSETS / "explorer.css").read_text(encoding="utf-8")
    js = (ASSETS / "explorer.js").read_text(encoding="utf-8")
    return (page.replace("/*CSS*/", css).replace("/*JS*/", js)
            .replace("/*STRINGS*/", script_json(strings(lang, "explorer.")))
            .replace("{{TITLE}}", html.escape(model["title"])).replace("/*DATA*/", script_json(model)))


class Explorer:
    """A page that shows a graph; `_repr_html_` for Jupyter, `save(path)` for a file, `html` for the text."""

    def __init__(self, model: dict, height: int = 560, lang: str = DEFAULT) -> None:
        self.model = model
        self.height = height
        self.lang = check_language(lang)
        self._html: Optional[str] = None

    @property
    def html(self) -> str:
        """The whole self-contained page."""
        if self._html is None:
            self._html = render_page(self.model, lang=self.lang)
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
                f'title="{html.escape(strings(self.lang)["explorer.frame_title"], quote=True)}"></iframe>')


def explore(root: Node, grad: Any = None, trace: Any = None, precision: int = 2, title: Optional[str] = None,
            height: int = 560, max_nodes: Optional[int] = DEFAULT_MAX_NODES, lang: str = DEFAULT) -> Explorer:
    """The explorer page of the graph behind `root` (see the module docstring).

    `grad`: the seed gradient (needed only for a Tensor output with more than one entry).
    `trace`: what `with nn.trace_modules() as trace:` yields; the page then opens with one box per
    outermost module call. `precision`: digits on the wires (tooltips carry two more).
    `height`: pixels of the inline frame in Jupyter. The graph's `.grad` values are not changed.
    `max_nodes`: the most nodes the page holds (default 100,000); any one view (the whole graph, or
    the inside of one module) also draws at most min(max_nodes, 5,000) nodes and boxes. Past these a
    page takes long to write or to open, so explore raises before formatting anything; None: no limit.
    `lang`: the language of the page's words ("en", the default, or "ko"; viz/locales/ lists them).
    Raises TypeError for a root that is not a Value or Tensor or a bad trace, ValueError for a bad
    precision, seed or max_nodes, for an unknown lang (naming the known ones), and for a graph past
    the bounds (saying how to show a part).
    """
    check_language(lang)
    if not is_int(height) or height < 100:
        raise ValueError(f"explore: height must be a whole number of pixels >= 100, got {height!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"explore: title must be a str, got {type(title).__name__}")
    return Explorer(page_model(root, grad=grad, trace=trace, precision=precision, title=title, max_nodes=max_nodes,
                               lang=lang),
                    height=height, lang=lang)
