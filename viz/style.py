"""What the two diagram styles share: every autograd node is drawn as its op's gate (none for
an input) and a label node for its value, fed by an edge from the gate. A style says how the
gate and the label look (`gate_attrs`, `value_label`) and how edges attach."""
from __future__ import annotations

from typing import Any

from . import theme as T
from .graph_view import NodeView


class Style:
    def __init__(self, rankdir: str = "LR") -> None:
        self.rankdir = rankdir

    def gate_attrs(self, view: NodeView, highlight: bool) -> dict:
        raise NotImplementedError

    def value_label(self, view: NodeView, highlight: bool) -> str:
        raise NotImplementedError

    def feed(self, g: Any, src: str, view: NodeView) -> None:
        raise NotImplementedError

    def add_node(self, g: Any, view: NodeView, wire: bool = False, gate: bool = False) -> None:
        """The node's gate (unless it is an input) and its value, with the edge between them.

        `wire` and `gate` highlight the value and the gate: a backprop step marks the value
        that just got its gradient and the gates that gradient came back through.
        """
        if view.op:
            g.node(view.id, label=T.text_label(view.op), style="filled", tooltip=T.tooltip(view.tooltip),
                   **self.gate_attrs(view, gate), **T.gate_shape(view.op))
        self.add_output(g, view, wire)
        if view.op:
            self.feed(g, view.id, view)

    def add_output(self, g: Any, view: NodeView, wire: bool = False) -> None:
        """Only the value (its gate is hidden inside a collapsed module's box)."""
        g.node(self.out_id(view), label=self.value_label(view, wire), shape="plaintext",
               tooltip=T.tooltip(view.tooltip))

    def out_id(self, view: NodeView) -> str:
        return view.id + "v"

    def in_id(self, view: NodeView) -> str:
        return view.id

    def add_box(self, g: Any, box_id: str, title: str, detail: str, tip: str) -> None:
        """A collapsed module: one rounded box that stands for every gate made inside it."""
        T.module_box(g, box_id, title, detail, tip)
