"""The record look: one box per value (`label | data | grad`) with the op that made it beside it.

This is the layout of the micrograd notebooks, which many learners know: every value is
a box, and a small circle for its op sits between the box and the boxes it came from.
Boxes are HTML tables so data and grad can keep the circuit style's colours.
"""
from __future__ import annotations

from typing import Any

from . import theme as T
from .graph_view import NodeView
from .style import Style

_CAPTION = 9  # point size of the small "data" / "grad" captions


class RecordStyle(Style):
    """Draws NodeViews as value boxes and op circles (see the module docstring)."""

    def graph_attrs(self) -> dict:
        return {"rankdir": self.rankdir, "nodesep": "0.25", "ranksep": "0.35", "bgcolor": "white",
                "fontname": T.FONT}

    def node_attrs(self) -> dict:
        return {"fontname": T.FONT, "margin": "0"}

    def edge_attrs(self) -> dict:
        return {"arrowsize": "0.6", "penwidth": "1", "color": "#78909c"}

    # ---- one autograd node ---------------------------------------------------------------

    def gate_attrs(self, view: NodeView, highlight: bool) -> dict:
        return {"fontsize": str(T.GATE_SIZE - 2), "fillcolor": T.HIGHLIGHT_FILL if highlight else "#eceff1",
                "color": T.HIGHLIGHT_COLOR if highlight else "#90a4ae", "penwidth": "2" if highlight else "1"}

    def connect(self, g: Any, parent: NodeView, dst: str, nth: int = 0, uses: int = 1,
                highlight: bool = False) -> None:
        # Graphviz already bends repeated edges between boxes apart, so nth and uses are not needed.
        g.edge(self.out_id(parent), dst, **({"color": T.HIGHLIGHT_COLOR} if highlight else {}))

    def feed(self, g: Any, src: str, view: NodeView) -> None:
        g.edge(src, self.out_id(view))

    def finish(self, g: Any, root: NodeView) -> None:
        pass  # the output is the box nothing points away from; its grad cell shows the seed

    # ---- the value's box ----------------------------------------------------------------

    def value_label(self, view: NodeView, highlight: bool) -> str:
        """The value's box: label | data | grad."""
        cells = []
        if view.name:
            cells.append(T.font(view.name, bold=True))
        elif view.is_constant:
            cells.append(T.font("const", T.MUTED_COLOR, T.SMALL_SIZE + 1, italic=True))
        if view.shape:
            cells.append(T.font(view.shape, T.MUTED_COLOR, T.SMALL_SIZE))
        cells.append(T.font("data ", T.MUTED_COLOR, _CAPTION) + T.font(view.value, T.VALUE_COLOR))
        if view.grad is not None:
            color = T.GRAD_COLOR if view.grad_known else T.UNKNOWN_COLOR
            cells.append(T.font("grad ", T.MUTED_COLOR, _CAPTION) + T.font(view.grad, color, bold=highlight))
        # Dividers between cells, not around them: the table's own rounded border is the outline.
        # A scalar's box is one row (micrograd's look); a tensor's summaries are long, so its
        # cells are stacked, keeping the diagram from growing very wide.
        stacked = view.shape is not None
        divider = f' SIDES="{"T" if stacked else "L"}" BORDER="1" COLOR="#cfd8dc"'
        tds = [f"<TD{divider if k else ''}>{c}</TD>" for k, c in enumerate(cells)]
        rows = "".join(f"<TR>{td}</TR>" for td in tds) if stacked else f"<TR>{''.join(tds)}</TR>"
        border = T.HIGHLIGHT_COLOR if highlight else ("#37474f" if view.is_root else "#90a4ae")
        fill = T.HIGHLIGHT_FILL if highlight else "white"
        width = "2" if highlight or view.is_root else "1"
        return (f'<<TABLE BORDER="{width}" STYLE="rounded" COLOR="{border}" BGCOLOR="{fill}" CELLBORDER="0" '
                f'CELLSPACING="0" CELLPADDING="{4 if stacked else 6}">{rows}</TABLE>>')
