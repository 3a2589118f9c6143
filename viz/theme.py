"""Colours, fonts and the small HTML helpers both diagram styles share.

Forward values are green and gradients red, as in the CS231n backprop figures; a learner
who has seen those reads the diagram without a legend.
"""
from __future__ import annotations

import html
from typing import Any

FONT = "Helvetica,Arial,sans-serif"
VALUE_COLOR = "#2e7d32"    # forward pass: green
GRAD_COLOR = "#c62828"     # backward pass: red
UNKNOWN_COLOR = "#9e9e9e"  # a gradient the step-by-step walk has not reached yet
MUTED_COLOR = "#616161"    # shapes, dtypes, names of intermediate values
WIRE_COLOR = "#212121"
HIGHLIGHT_COLOR = "#ef6c00"  # the node the current backprop step works on
HIGHLIGHT_FILL = "#fff3e0"
CLUSTER_COLOR = "#5c6bc0"
CLUSTER_FILL = "#f5f6fc"
BOX_FILL = "#e8eaf6"

VALUE_SIZE = 13
NAME_SIZE = 16
SMALL_SIZE = 10
GATE_SIZE = 15


def esc(text: str) -> str:
    """Text made safe inside a Graphviz HTML-like label."""
    return html.escape(text, quote=True)


def font(text: str, color: str = WIRE_COLOR, size: int = VALUE_SIZE, bold: bool = False,
         italic: bool = False) -> str:
    body = esc(text)
    if bold:
        body = f"<B>{body}</B>"
    if italic:
        body = f"<I>{body}</I>"
    return f'<FONT COLOR="{color}" POINT-SIZE="{size}">{body}</FONT>'


def tooltip(text: str) -> str:
    """A tooltip attribute value: Graphviz reads backslashes as escapes, so double them first."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def gate_shape(op: str) -> dict:
    """Node attributes for an op: a small circle, or an ellipse for a long name (log_softmax)."""
    if len(op) <= 4:  # a circle grows around a longer symbol (exp, 1/x) with room to spare
        return {"shape": "circle", "width": "0.44", "fixedsize": "false", "margin": "0.02" if len(op) <= 2 else "0.05"}
    return {"shape": "ellipse", "height": "0.44", "margin": "0.04,0.02"}


def module_box(g: Any, box_id: str, title: str, detail: str, tip: str) -> None:
    """A collapsed module: one rounded box (title, and a muted second line) for all it hides."""
    label = (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD>{font(title, bold=True)}</TD></TR>'
             + (f"<TR><TD>{font(detail, MUTED_COLOR, SMALL_SIZE)}</TD></TR>" if detail else "")
             + "</TABLE>>")
    g.node(box_id, label=label, shape="box", style="rounded,filled", fillcolor=BOX_FILL,
           color=CLUSTER_COLOR, penwidth="1.2", margin="0.12,0.06", tooltip=tooltip(tip))
