"""The CS231n circuit look: gates as small circles, values and gradients written on the wires.

Each autograd node becomes two Graphviz nodes: its gate (a circle with the op's symbol,
none for an input) and its wire, a plain HTML table whose middle row is a thin black bar.
The forward value sits above the bar in green and the gradient below it in red, so the
wire reads like the figures in the CS231n notes: `x` then `-2` over `-4`. The edge from a
gate ends where its wire's bar begins, and edges to the next gate start at the bar's far
end, so the bar and the edges draw one continuous line.
"""
from __future__ import annotations

from typing import Any

from . import theme as T
from .graph_view import NodeView
from .style import Style

BAR_LENGTH = 64  # points; the wire grows with its text
TEXT_MARGIN = 8  # points of bare wire either side of the numbers
WIRE_WIDTH = 2  # points; edges use the same pen so bar and edge join seamlessly
# Where a wire's outgoing edges leave the bar, per drawing direction.
_OUT_PORT = {"LR": "e", "RL": "w", "TB": "s", "BT": "n"}
# Where the arrows of an operand used twice or more (x * x) enter the gate, so they do not overlap.
_SPREAD_PORTS = {"LR": ("nw", "sw", "w"), "RL": ("ne", "se", "e"), "TB": ("nw", "ne", "n"), "BT": ("sw", "se", "s")}


class CircuitStyle(Style):
    """Draws NodeViews as gates and labelled wires (see the module docstring)."""

    # ---- graph-wide attributes ---------------------------------------------------------

    def graph_attrs(self) -> dict:
        return {"rankdir": self.rankdir, "nodesep": "0.22", "ranksep": "0.02", "bgcolor": "white",
                "fontname": T.FONT, "splines": "spline"}

    def node_attrs(self) -> dict:
        return {"fontname": T.FONT, "margin": "0", "color": T.WIRE_COLOR}

    def edge_attrs(self) -> dict:
        return {"arrowsize": "0.55", "penwidth": str(WIRE_WIDTH), "color": T.WIRE_COLOR}

    # ---- one autograd node ---------------------------------------------------------------

    def gate_attrs(self, view: NodeView, highlight: bool) -> dict:
        return {"fontsize": str(T.GATE_SIZE), "color": T.HIGHLIGHT_COLOR if highlight else T.WIRE_COLOR,
                "penwidth": "2.2" if highlight else "1.2", "fillcolor": T.HIGHLIGHT_FILL if highlight else "white"}

    def connect(self, g: Any, parent: NodeView, dst: str, nth: int = 0, uses: int = 1,
                highlight: bool = False) -> None:
        """An arrow from the far end of `parent`'s wire into the gate or box `dst`.

        The `nth` of `uses` arrows from one wire into one gate enters at its own side of it.
        """
        if uses > 1:
            dst = f"{dst}:{_SPREAD_PORTS[self.rankdir][min(nth, 2)]}"
        extra = {"color": T.HIGHLIGHT_COLOR} if highlight else {}
        g.edge(f"{self.out_id(parent)}:w:{_OUT_PORT[self.rankdir]}", dst, tailclip="false", **extra)

    def feed(self, g: Any, src: str, view: NodeView) -> None:
        """The line from a gate (or a collapsed module) to the near end of `view`'s wire, so that a
        line arriving at an angle joins the wire where it starts instead of crossing its numbers."""
        g.edge(src, f"{self.out_id(view)}:i:c", arrowhead="none", headclip="false")

    def finish(self, g: Any, root: NodeView) -> None:
        """The output's wire ends in an arrow, the stub that carries the seed gradient 1."""
        g.node("out_end", shape="point", width="0", style="invis")
        g.edge(f"{self.out_id(root)}:w:{_OUT_PORT[self.rankdir]}", "out_end", tailclip="false")

    # ---- the wire's label --------------------------------------------------------------

    def value_label(self, view: NodeView, highlight: bool) -> str:
        """The wire: name, value above the bar, gradient below."""
        above = []
        if view.name and not view.is_leaf:
            above.append(T.font(view.name, T.MUTED_COLOR, T.SMALL_SIZE + 1, italic=True))
        if view.shape:
            above.append(T.font(view.shape, T.MUTED_COLOR, T.SMALL_SIZE))
        above.append(T.font(view.value, T.VALUE_COLOR))
        below = []
        if view.grad is not None:
            color = T.GRAD_COLOR if view.grad_known else T.UNKNOWN_COLOR
            below.append(T.font(view.grad, color, bold=highlight))
        name = ""
        if view.is_leaf:
            name = view.name if view.name else ("const" if view.is_constant else "")
        bar = T.HIGHLIGHT_COLOR if highlight else T.WIRE_COLOR
        if self.rankdir in ("LR", "RL"):
            return self._horizontal(above, below, name, bar, view.is_constant)
        return self._vertical(above, below, name, bar, view.is_constant)

    def _horizontal(self, above: list, below: list, name: str, bar: str, constant: bool) -> str:
        # As many rows below the bar as above it, so the bar runs through the wire's middle
        # and the edges on either side stay straight.
        blank = T.font(" ", size=T.VALUE_SIZE)
        below = below + [blank] * (len(above) - len(below))
        above = [blank] * (len(below) - len(above)) + above
        # Text cells sit between two spacers, so the bar runs past the text on both sides and an
        # edge bending away from the wire's end does not cross the numbers.
        wide = f'<TD COLSPAN="2" WIDTH="{TEXT_MARGIN}" CELLPADDING="0"></TD>'  # also spans a cap
        rows = [f"{wide}<TD>{cell}</TD>{wide}" for cell in above]
        # The outgoing edge starts one point past the port's end: a short cap fills that gap.
        # The incoming edge ends in the middle of a one-point cell (port "i") where the bar begins.
        port = (f'<TD PORT="w" COLSPAN="3" BGCOLOR="{bar}" HEIGHT="{WIRE_WIDTH}" WIDTH="{BAR_LENGTH}" '
                'CELLPADDING="0"></TD>')
        cap = f'<TD BGCOLOR="{bar}" HEIGHT="{WIRE_WIDTH}" WIDTH="1" CELLPADDING="0"></TD>'
        start = f'<TD PORT="i" BGCOLOR="{bar}" HEIGHT="{WIRE_WIDTH}" WIDTH="1" CELLPADDING="0"></TD>'
        rows.append(start + port + cap if self.rankdir == "LR" else cap + port + start)
        rows += [f"{wide}<TD>{cell}</TD>{wide}" for cell in below]
        if name:
            size = T.SMALL_SIZE + 1 if constant else T.NAME_SIZE
            color = T.MUTED_COLOR if constant else T.WIRE_COLOR
            cell = f'<TD ROWSPAN="{len(rows)}" CELLPADDING="4">{T.font(name, color, size, italic=constant)}</TD>'
            rows[0] = cell + rows[0] if self.rankdir == "LR" else rows[0] + cell
        body = "".join(f"<TR>{r}</TR>" for r in rows)
        return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'

    def _vertical(self, above: list, below: list, name: str, bar: str, constant: bool) -> str:
        # Top-to-bottom drawings turn the wire upright: value on its left, gradient on its right.
        left = "<BR/>".join(above)
        right = "<BR/>".join(below) or T.font(" ")
        row = (f'<TR><TD ALIGN="RIGHT">{left}</TD>'
               f'<TD PORT="w" BGCOLOR="{bar}" WIDTH="{WIRE_WIDTH}" HEIGHT="{BAR_LENGTH // 2}" CELLPADDING="0"></TD>'
               f'<TD ALIGN="LEFT">{right}</TD></TR>')
        cap = f'<TR><TD></TD><TD BGCOLOR="{bar}" WIDTH="{WIRE_WIDTH}" HEIGHT="1" CELLPADDING="0"></TD><TD></TD></TR>'
        start = (f'<TR><TD></TD><TD PORT="i" BGCOLOR="{bar}" WIDTH="{WIRE_WIDTH}" HEIGHT="1" CELLPADDING="0"></TD>'
                 '<TD></TD></TR>')
        row = start + row + cap if self.rankdir == "TB" else cap + row + start
        if name:
            size = T.SMALL_SIZE + 1 if constant else T.NAME_SIZE
            name_row = f'<TR><TD COLSPAN="3" CELLPADDING="3">{T.font(name, T.WIRE_COLOR, size)}</TD></TR>'
            row = name_row + row if self.rankdir == "TB" else row + name_row
        return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{row}</TABLE>>'
