"""The autograd graph as a diagram sees it: nodes in drawing order, each with its text.

Both diagram styles (circuit and record) and the backprop steps draw from this one view,
so numbers are formatted, tensors summarized and tooltips written in one place.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from circuitgrad.autograd.graph import Node
from circuitgrad.autograd.checks import is_int

from .locale import DEFAULT, text

# A tensor with at most this many entries shows every value; a bigger one shows min/mean/max.
MAX_SHOWN_VALUES = 6
# Tooltips list every value up to this many entries, then numpy's "..." summary.
MAX_TOOLTIP_VALUES = 1000

# `grad_of(node)` returns the gradient to show, or UNKNOWN while a step-by-step walk has
# not reached the node yet.
UNKNOWN = object()


def format_number(x: float, precision: int = 2) -> str:
    """A number as a diagram shows it: `precision` decimals from 1 up, `precision` significant
    digits below 1, without trailing zeros.

    `-2.0` reads `-2`, `12.3456` reads `12.35`, `0.7310585` reads `0.73` and `0.0072` reads
    `0.0072` (not `0.01`), so a product of two shown numbers can be checked by hand. Below
    0.001 and from a million up it is short scientific notation (`4.2e-4`), so a small
    gradient never looks like no gradient.
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0.0:
        return "0"
    size = abs(x)
    if 1e-3 <= size < 1.0:
        text = f"{x:.{max(precision, 1)}g}"  # %g drops trailing zeros; no exponent above 1e-4
        if "e" not in text:
            return text
    if 1.0 <= size < 1e6:
        text = f"{x:.{precision}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{x:.{max(precision - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _format_array(a: np.ndarray, precision: int) -> str:
    text = np.array2string(a, separator=", ", max_line_width=10_000,
                           formatter={"float_kind": lambda v: format_number(v, precision)})
    return " ".join(line.strip() for line in text.splitlines())  # one line: a label has no room for rows


def summarize(data: Any, precision: int = 2, lang: str = DEFAULT) -> str:
    """Short text for a diagram: the number, every value of a small array, else min/mean/max (words in `lang`)."""
    if isinstance(data, (float, int, np.floating, np.integer)):
        return format_number(data, precision)
    a = np.asarray(data)
    if a.ndim == 0:
        return format_number(a.item(), precision)
    if a.size == 0:
        return text(lang, "graph.empty")
    if a.size <= MAX_SHOWN_VALUES:
        # A row or column vector reads best flat ([1, 2, 3]); the shape line above keeps its form.
        return _format_array(a.reshape(-1) if sum(n > 1 for n in a.shape) <= 1 else a, precision)
    f = lambda v: format_number(v, precision)  # noqa: E731
    return text(lang, "graph.summary", min=f(a.min()), mean=f(a.mean()), max=f(a.max()))


def full_values(data: Any, precision: int = 4) -> str:
    """Every value (up to MAX_TOOLTIP_VALUES) for a tooltip; numbers get two more digits than the label."""
    if isinstance(data, (float, int, np.floating, np.integer)):
        return format_number(data, precision)
    a = np.asarray(data)
    if a.ndim == 0:
        return format_number(a.item(), precision)
    return np.array2string(a, separator=", ", threshold=MAX_TOOLTIP_VALUES, edgeitems=4,
                           max_line_width=100,
                           formatter={"float_kind": lambda v: format_number(v, precision)})


def describe_shape(node: Node) -> Optional[str]:
    """`(4, 2) float64` for a Tensor, None for a scalar Value."""
    shape = getattr(node, "shape", None)
    if shape is None:
        return None
    dims = "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"
    return f"{dims} {node.data.dtype}"


@dataclass
class NodeView:
    """One autograd node with everything a diagram writes about it."""

    id: str                   # the Graphviz name, "n0", "n1", ... in drawing order
    node: Node
    name: str                 # the node's label ("x", "w0"), "" when it has none
    op: str                   # the gate's symbol ("+", "*", "1/x"); "" for a leaf
    shape: Optional[str]      # "(4, 2) float64" for a Tensor
    value: str
    grad: Optional[str]       # None: no gradient to show (hidden, or the node needs none)
    grad_known: bool          # False while a step-by-step walk has not reached the node
    tooltip: str
    parents: list = field(default_factory=list)  # indices into GraphView.nodes, in operand order
    is_root: bool = False

    @property
    def is_leaf(self) -> bool:
        return not self.op

    @property
    def is_constant(self) -> bool:
        """A number an op was given (a Tensor that needs no gradient and has no name)."""
        return self.is_leaf and not self.name and not getattr(self.node, "requires_grad", True)


@dataclass
class GraphView:
    nodes: list           # NodeView, parents before children, root last
    index: dict           # Node -> position in `nodes`

    @property
    def root(self) -> NodeView:
        return self.nodes[-1]

    def children(self) -> list:
        """For each node, the indices of the nodes that use it."""
        out: list = [[] for _ in self.nodes]
        for i, view in enumerate(self.nodes):
            for p in view.parents:
                out[p].append(i)
        return out


def drawing_order(root: Node) -> list:
    """Every node `root` depends on, parents first, first operands before later ones.

    The same set as `autograd.topological_order`, but ordered so that inputs are emitted
    top to bottom as they appear in the expression (`w0, x0, w1, x1, w2`), which is the
    order Graphviz keeps within a column. Iterative, so deep graphs are fine.
    """
    order: list = []
    placed: set = set()
    stack: list = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in placed:
            continue
        if expanded or not node.parents:
            placed.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        for parent in reversed(node.parents):
            if parent not in placed:
                stack.append((parent, False))
    return order


def _stored_grad(node: Node) -> Any:
    """The node's `.grad` as numbers (a Tensor's gradient is a Tensor: its array is drawn)."""
    g = node.grad
    return g.data if isinstance(g, Node) else g


def check_root(root: Any) -> None:
    """TypeError unless `root` is a Value or a Tensor."""
    if not isinstance(root, Node):
        raise TypeError(f"draw: expected a Value or a Tensor (the output of a computation), "
                        f"got {type(root).__name__}")


def build_view(root: Node, precision: int = 2, show_grad: bool = True,
               grad_of: Callable[[Node], Any] = _stored_grad, texts: bool = True, lang: str = DEFAULT) -> GraphView:
    """Walk the graph behind `root` into a GraphView.

    `grad_of(node)` supplies the gradient to show (the node's own `.grad` by default; the
    step-by-step walk passes its partial results, with UNKNOWN for nodes not reached yet).
    `texts=False` leaves value and tooltip empty (the explorer page formats its numbers itself,
    and formatting 100,000 tooltips would take most of its time). `lang`: the language of their words.
    """
    check_root(root)
    if not is_int(precision) or not 0 <= precision <= 15:
        raise ValueError(f"draw: precision must be a whole number of digits from 0 to 15, got {precision!r}")
    order = drawing_order(root)
    index = {node: i for i, node in enumerate(order)}
    views = []
    if not texts:
        views = [NodeView(id=f"n{i}", node=node, name=node.label, op=node.op, shape=describe_shape(node),
                          value="", grad=None, grad_known=True, tooltip="",
                          parents=[index[p] for p in node.parents]) for i, node in enumerate(order)]
        views[-1].is_root = True
        return GraphView(nodes=views, index=index)
    for i, node in enumerate(order):
        grad = grad_of(node) if show_grad else None
        known = grad is not UNKNOWN
        needs_grad = getattr(node, "requires_grad", True)
        grad_text = None
        if show_grad and needs_grad:
            grad_text = "?" if not known else (None if grad is None else summarize(grad, precision, lang))
        tip = [node.label or (node.op and text(lang, "graph.result_of", op=node.op)) or text(lang, "graph.input")]
        shape = describe_shape(node)
        if shape:
            tip.append(shape)
        tip.append(text(lang, "graph.data", values=full_values(node.data, precision + 2)))
        if show_grad and needs_grad and known and grad is not None:
            tip.append(text(lang, "graph.grad", values=full_values(grad, precision + 2)))
        views.append(NodeView(
            id=f"n{i}", node=node, name=node.label, op=node.op, shape=shape,
            value=summarize(node.data, precision, lang), grad=grad_text, grad_known=known,
            tooltip="\n".join(tip), parents=[index[p] for p in node.parents]))
    views[-1].is_root = True
    return GraphView(nodes=views, index=index)
