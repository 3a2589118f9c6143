"""Which module made which node: `trace_modules()`, for diagrams that box each layer.

Off by default and free when off: `Module.__call__` only checks `active`. While a trace is
on, every `Tensor` or `Value` created inside a module's `forward` is recorded together with
the innermost module call that was running, and each call knows the call it is nested in,
so a drawing can nest boxes (`Sequential` > `0: Linear`).

How nodes are caught: autograd's documented hook `mode.recording(callback)` shows every
node created in the block (each op's result and each leaf) to the trace, which files it
under the module call that is running. autograd itself knows nothing about modules
(arrows point one way: `nn` uses `autograd`).

    with nn.module.trace_modules() as trace:
        loss = loss_fn(model(x), y)
    trace.module_of(some_node)   # the Linear that made it, or None
    trace.path_of(some_node)     # "0" (PyTorch's dotted names, "" for the outermost module)
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

from circuitgrad.autograd.graph import Node
from circuitgrad.autograd.mode import recording

# The trace in progress, or None. Module.__call__ reads this on every call.
active: Optional["ModuleTrace"] = None


class ModuleCall:
    """One call of a module's forward while tracing.

    `module`: the module; `path`: its dotted name below the outermost traced call ("" for
    that one, "0.fc" below it, like `named_modules()`); `parent`: the call it ran inside
    (None for an outermost call); `depth`: 0 for outermost; `inputs`: the positional
    arguments; `output`: what forward returned (None until it returns); `nodes`: the nodes
    created directly in this call (not in calls nested inside it), in creation order.
    """

    __slots__ = ("module", "path", "parent", "depth", "inputs", "output", "nodes")

    def __init__(self, module: Any, path: str, parent: Optional["ModuleCall"], inputs: tuple) -> None:
        self.module = module
        self.path = path
        self.parent = parent
        self.depth = 0 if parent is None else parent.depth + 1
        self.inputs = inputs
        self.output = None
        self.nodes: list = []

    @property
    def title(self) -> str:
        """A caption for a box around this call: `"0: Linear"`, or the class name for the outermost."""
        kind = type(self.module).__name__
        return f"{self.path}: {kind}" if self.path else kind

    def __repr__(self) -> str:
        return f"ModuleCall({self.title!r}, depth={self.depth}, nodes={len(self.nodes)})"


class ModuleTrace:
    """What `trace_modules()` recorded. Holds references to the nodes so their ids stay valid."""

    def __init__(self) -> None:
        self.calls: list[ModuleCall] = []  # in the order the calls started
        self._stack: list[ModuleCall] = []
        self._by_id: dict[int, tuple[Node, ModuleCall]] = {}

    # ---- queries ----------------------------------------------------------------------------

    def call_of(self, node: Node) -> Optional[ModuleCall]:
        """The innermost module call that created `node`, or None if it was made outside any module."""
        hit = self._by_id.get(id(node))
        return hit[1] if hit is not None and hit[0] is node else None

    def module_of(self, node: Node) -> Any:
        """The innermost module whose forward created `node`, or None."""
        call = self.call_of(node)
        return None if call is None else call.module

    def path_of(self, node: Node) -> Optional[str]:
        """The dotted module path of the call that created `node` ("" for the outermost module), or None."""
        call = self.call_of(node)
        return None if call is None else call.path

    def parameter_name(self, node: Node) -> Optional[str]:
        """The `named_parameters()` name of a parameter of a traced outermost module ("0.weight"), or None."""
        for call in self.calls:
            if call.parent is None:
                for name, p in call.module.named_parameters():
                    if p is node:
                        return name
        return None

    @property
    def module_by_id(self) -> dict:
        """{id(node): innermost module} for every recorded node (the nodes are kept alive by the trace)."""
        return {key: call.module for key, (_, call) in self._by_id.items()}

    def __len__(self) -> int:
        return len(self._by_id)

    # ---- recording (called by Module.__call__ and autograd's recording hook) -------------------

    def _record(self, node: Node) -> None:
        if self._stack:
            call = self._stack[-1]
            self._by_id[id(node)] = (node, call)
            call.nodes.append(node)

    def _call(self, module: Any, args: tuple, kwargs: dict) -> Any:
        parent = self._stack[-1] if self._stack else None
        path = "" if parent is None else _child_path(parent, module)
        call = ModuleCall(module, path, parent, args)
        self.calls.append(call)
        self._stack.append(call)
        try:
            call.output = module.forward(*args, **kwargs)
        finally:
            self._stack.pop()
        return call.output


def _child_path(parent: ModuleCall, module: Any) -> str:
    """Where `module` sits below the calling module ("layers.0" when an MLP loops over its
    ModuleList), joined to the caller's path; for a module made on the fly, its `trace_name`
    (a recurrent layer's "t=3") or else its class name."""
    name = getattr(module, "trace_name", None) or type(module).__name__
    named = getattr(parent.module, "named_modules", None)
    if named is not None:
        for key, child in named():
            if child is module and key:
                name = key
                break
    return f"{parent.path}.{name}" if parent.path else name


@contextlib.contextmanager
def trace_modules() -> Iterator[ModuleTrace]:
    """Record, inside the block, the innermost module call that created each Tensor and Value.

    Yields a `ModuleTrace` (`calls`, `call_of`, `module_of`, `path_of`, `parameter_name`),
    still readable after the block. Raises RuntimeError if a trace is already active.
    """
    global active
    if active is not None:
        raise RuntimeError("trace_modules: a trace is already active; traces do not nest")
    trace = ModuleTrace()
    active = trace
    try:
        with recording(trace._record):
            yield trace
    finally:
        active = None
