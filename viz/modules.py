"""Which `nn` module made each node, for boxes around layers in a diagram.

The trace comes from `nn.module.trace_modules()`; viz takes it as a duck-typed object (it
needs `call_of(node)` returning a call with `module`, `path` and `parent`), so viz never
imports `nn`. Every module call becomes a group: a labelled cluster around the nodes its
forward made and the parameters it owns, nested as the calls were (`Sequential` >
`0: Linear(2, 10)`). A collapsed group is drawn as one box instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Union

from .graph_view import GraphView

FULL, OUTPUT, HIDDEN = "full", "output", "hidden"


@dataclass
class Group:
    """One module call: a cluster (or, collapsed, a box) in the diagram."""

    id: str                    # "m0", "m1", ...
    title: str                 # "0: Linear(2, 10)"
    parent: Optional[int]      # index of the enclosing group
    call: Any
    collapsed: bool = False
    members: list = field(default_factory=list)  # node indices drawn (or hidden) in this group


@dataclass
class Layout:
    """How each node is drawn: its group and whether it is shown, or hidden in a collapsed box."""

    groups: list               # Group
    group_of: list             # per node: index into groups, or None
    mode: list                 # per node: FULL, OUTPUT (a collapsed box's result: wire only) or HIDDEN
    box_of: list               # per node: index of the collapsed group that hides it, or None

    def drawn_count(self) -> int:
        """Autograd nodes and boxes the diagram will hold (what max_nodes limits)."""
        return sum(m != HIDDEN for m in self.mode) + sum(g.collapsed for g in self.groups)


# Arguments a title shows by value only, as PyTorch's constructors take them: Linear(2, 10).
_POSITIONAL = ("in_features", "out_features", "nin", "nout")


def _split_top_level(text: str) -> list:
    """`a=1, b=[1, 2]` -> ["a=1", "b=[1, 2]"]: commas inside brackets or quotes stay."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def short_repr(module: Any) -> str:
    """`Linear(2, 10)` for `Linear(in_features=2, out_features=10, bias=True)`: a caption, not a repr."""
    extra = getattr(module, "extra_repr", None)
    try:
        args = extra() if callable(extra) else ""
    except Exception:  # a broken extra_repr must not stop a drawing
        args = ""
    kept = []
    for part in _split_top_level(str(args)):
        key, _, value = part.partition("=")
        if part == "bias=True":
            continue  # the default; bias=False still shows
        kept.append(value if key in _POSITIONAL else part)
    kind = type(module).__name__
    return f"{kind}({', '.join(kept)})" if kept else kind


def _module_names(calls: list) -> dict:
    """id(module) -> dotted name (`layers.0`) from the outermost traced modules' named_modules()."""
    names: dict = {}
    for call in calls:
        if call.parent is None and callable(getattr(call.module, "named_modules", None)):
            for name, m in call.module.named_modules():
                names.setdefault(id(m), name)
    return names


def module_title(call: Any, names: dict) -> str:
    """`0: Linear(2, 10)`: where the module sits in the model, and what it is."""
    name = names.get(id(call.module), getattr(call, "path", ""))
    text = short_repr(call.module)
    return f"{name}: {text}" if name else text


def check_trace(trace: Any) -> None:
    if not callable(getattr(trace, "call_of", None)):
        raise TypeError("draw: trace= must be what `with nn.module.trace_modules() as trace:` yields "
                        f"(an object with call_of(node)), got {type(trace).__name__}")


def _parameters(module: Any) -> list:
    named = getattr(module, "named_parameters", None)
    return [p for _, p in named()] if callable(named) else []


def plan(view: GraphView, trace: Any = None,
         collapse: Union[bool, Iterable[Any]] = False) -> Layout:
    """Group the view's nodes by module call and decide which calls are drawn as one box.

    `collapse=True` boxes every innermost call (each layer); a list of modules boxes the
    calls of exactly those modules (`[model]` draws the whole network as one box). Raises
    ValueError when collapse is asked for without a trace, or names a module the trace
    never saw.
    """
    n = len(view.nodes)
    if trace is None:
        if collapse is not False and collapse is not None:
            raise ValueError("draw: collapse needs trace=: run the forward pass inside "
                             "`with nn.module.trace_modules() as trace:` and pass draw(..., trace=trace, collapse=...)")
        return Layout([], [None] * n, [FULL] * n, [None] * n)
    check_trace(trace)

    groups: list = []
    index: dict = {}  # id(call) -> group index
    calls = [trace.call_of(nv.node) for nv in view.nodes]
    roots, seen = [], set()
    for call in calls:
        while call is not None and call.parent is not None:
            call = call.parent
        if call is not None and id(call) not in seen:
            seen.add(id(call))
            roots.append(call)
    names = _module_names(roots)

    def group_for(call: Any) -> int:
        key = id(call)
        if key not in index:
            parent = None if call.parent is None else group_for(call.parent)
            index[key] = len(groups)
            groups.append(Group(id=f"m{len(groups)}", title=module_title(call, names), parent=parent, call=call))
        return index[key]

    group_of: list = [None] * n
    for i, call in enumerate(calls):
        if call is not None:
            group_of[i] = group_for(call)
    # Parameters were made in __init__, not in forward: put each in the group of the first call
    # of the innermost module that owns it, so a layer's weights sit inside the layer's box (and
    # the weights of a scalar Layer's neurons, which are not called as modules, inside the Layer's).
    owner: dict = {}
    asked: set = set()  # a module called once per sample is asked for its parameters once
    for g_index, g in enumerate(list(groups)):
        if id(g.call.module) in asked:
            continue
        asked.add(id(g.call.module))
        depth = _depth(groups, g_index)
        for p in _parameters(g.call.module):
            if id(p) not in owner or owner[id(p)][1] < depth:
                owner[id(p)] = (g_index, depth)
    for i, nv in enumerate(view.nodes):
        if group_of[i] is None and nv.is_leaf and id(nv.node) in owner:
            group_of[i] = owner[id(nv.node)][0]
    for i, g in enumerate(group_of):
        if g is not None:
            groups[g].members.append(i)

    _mark_collapsed(groups, collapse)
    mode, box_of = _hide(view, groups, group_of)
    return Layout(groups, group_of, mode, box_of)


def _depth(groups: list, g: int) -> int:
    depth = 0
    while groups[g].parent is not None:
        g, depth = groups[g].parent, depth + 1
    return depth


def _mark_collapsed(groups: list, collapse: Union[bool, Iterable[Any], None]) -> None:
    if collapse is None or collapse is False:
        return
    if collapse is True:
        has_child = {g.parent for g in groups if g.parent is not None}
        for i, g in enumerate(groups):
            g.collapsed = i not in has_child
        return
    if isinstance(collapse, (str, bytes)) or not hasattr(collapse, "__iter__"):
        raise TypeError(f"draw: collapse must be True, False or a list of modules, got {type(collapse).__name__}")
    wanted = list(collapse)
    for module in wanted:
        if not any(g.call.module is module for g in groups):
            raise ValueError(f"draw: collapse names {type(module).__name__}, which made no node of this graph "
                             "in the trace (was it called inside the trace_modules() block?)")
    for g in groups:
        g.collapsed = any(g.call.module is m for m in wanted)


def _outermost_collapsed(groups: list, g: Optional[int]) -> Optional[int]:
    found = None
    while g is not None:
        if groups[g].collapsed:
            found = g
        g = groups[g].parent
    return found


def _hide(view: GraphView, groups: list, group_of: list) -> tuple:
    n = len(view.nodes)
    box_of = [_outermost_collapsed(groups, g) for g in group_of]
    children = view.children()
    mode = [FULL] * n
    for i, box in enumerate(box_of):
        if box is None:
            continue
        used_outside = view.nodes[i].is_root or any(box_of[c] != box for c in children[i])
        if not used_outside:
            mode[i] = HIDDEN
        elif view.nodes[i].is_leaf:
            box_of[i] = None  # a parameter also used outside its layer stays a normal input
        else:
            mode[i] = OUTPUT  # the layer's result: its wire is drawn, fed by the box
    return mode, box_of


def box_detail(layout: Layout, view: GraphView, g: int) -> str:
    """The second line of a collapsed module's box: its parameters' shapes, or how much it hides."""
    params = [view.nodes[i] for i, b in enumerate(layout.box_of)
              if b == g and view.nodes[i].is_leaf and view.nodes[i].name]
    hidden = sum(1 for b in layout.box_of if b == g)
    if params and len(params) <= 3:
        return "  ".join(f"{p.name} {p.shape.rsplit(' ', 1)[0]}" if p.shape else p.name for p in params)
    nodes = f"{hidden} node{'' if hidden == 1 else 's'} inside"
    if params:
        return f"{len(params)} parameters, {nodes}"
    return nodes
