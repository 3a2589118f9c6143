"""Which module made which node: `trace_modules()`, for diagrams that box each layer.

A trace is an observer built on public hooks, nothing more: a forward pre-hook and a forward
hook on every module (`nn.register_module_forward_pre_hook`, `..._forward_hook`) keep a stack of
the module calls running in this thread, and autograd's documented hook
`mode.recording(callback)` shows every node created in this thread (each op's result and each
leaf) to the trace, which files it under the innermost call. Each call knows the call it is
nested in, so a drawing can nest boxes (`Sequential` > `0: Linear`). Modules run the same code
whether or not they are traced, and autograd knows nothing about modules.

Per thread: module calls in other threads are not recorded, and two threads can trace at once.
Weak: the trace holds the nodes (and the calls' inputs and outputs) by weak reference, so a
graph the caller drops is freed as usual; training for hours inside a trace stays flat in memory.

    with nn.trace_modules() as trace:
        loss = loss_fn(model(x), y)
    trace.module_of(some_node)   # the Linear that made it, or None
    trace.path_of(some_node)     # "0" (PyTorch's dotted names, "" for the outermost module)
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any, Callable, Iterator, Optional

from circuitgrad.autograd.graph import Node
from circuitgrad.autograd.mode import recording

from .hooks import register_module_forward_hook, register_module_forward_pre_hook


def _weak(obj: Any) -> Any:
    """`obj` with every node in it (also inside lists and tuples) replaced by a weak reference."""
    if isinstance(obj, Node):
        return weakref.ref(obj)
    if type(obj) in (list, tuple):
        return type(obj)(_weak(item) for item in obj)
    return obj


def _strong(obj: Any) -> Any:
    """What `_weak` stored, with the references followed (None for a node that was freed)."""
    if isinstance(obj, weakref.ref):
        return obj()
    if type(obj) in (list, tuple):
        return type(obj)(_strong(item) for item in obj)
    return obj


def _alive(obj: Any) -> bool:
    if isinstance(obj, weakref.ref):
        return obj() is not None
    if type(obj) in (list, tuple):
        return any(_alive(item) for item in obj)
    return False


class ModuleCall:
    """One call of a module's forward while tracing.

    `module`: the module; `path`: its dotted name below the outermost traced call ("" for
    that one, "0.fc" below it, like `named_modules()`); `parent`: the call it ran inside
    (None for an outermost call); `depth`: 0 for outermost; `inputs`: the positional
    arguments; `output`: what forward returned (None until it returns, or once the caller has
    dropped it); `nodes`: the nodes created directly in this call (not in calls nested inside
    it) that are still alive, in creation order.
    """

    __slots__ = ("module", "path", "parent", "depth", "_inputs", "_output", "_nodes")

    def __init__(self, module: Any, path: str, parent: Optional["ModuleCall"], inputs: tuple) -> None:
        self.module = module
        self.path = path
        self.parent = parent
        self.depth = 0 if parent is None else parent.depth + 1
        self._inputs = _weak(inputs)
        self._output: Any = None
        self._nodes: list = []  # weak references

    @property
    def inputs(self) -> tuple:
        return _strong(self._inputs)

    @property
    def output(self) -> Any:
        return _strong(self._output)

    @property
    def nodes(self) -> list:
        return [n for n in (ref() for ref in self._nodes) if n is not None]

    def _alive(self) -> bool:
        return _alive(self._output) or any(ref() is not None for ref in self._nodes)

    @property
    def title(self) -> str:
        """A caption for a box around this call: `"0: Linear"`, or the class name for the outermost."""
        kind = type(self.module).__name__
        return f"{self.path}: {kind}" if self.path else kind

    def __repr__(self) -> str:
        return f"ModuleCall({self.title!r}, depth={self.depth}, nodes={len(self.nodes)})"


class ModuleTrace:
    """What `trace_modules()` recorded: the module calls of one thread and the nodes each made.

    Nodes are held weakly: a node the caller dropped is forgotten, and so is a finished
    outermost call once nothing it made (or returned) is alive any more.
    """

    def __init__(self) -> None:
        self.calls: list[ModuleCall] = []  # in the order the calls started
        self._stack: list[ModuleCall] = []
        self._by_id: dict[int, tuple[weakref.ref, ModuleCall]] = {}
        self._thread = threading.get_ident()
        self._kept = 64  # prune dead calls when `calls` has grown to twice what was kept last time

    # ---- queries ----------------------------------------------------------------------------

    def call_of(self, node: Node) -> Optional[ModuleCall]:
        """The innermost module call that created `node`, or None if it was made outside any module."""
        hit = self._by_id.get(id(node))
        return hit[1] if hit is not None and hit[0]() is node else None

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
        seen: set = set()
        for call in self.calls:
            if call.parent is None and id(call.module) not in seen:
                seen.add(id(call.module))
                for name, p in call.module.named_parameters():
                    if p is node:
                        return name
        return None

    @property
    def module_by_id(self) -> dict:
        """{id(node): innermost module} for every recorded node that is still alive."""
        return {key: call.module for key, (ref, call) in list(self._by_id.items()) if ref() is not None}

    def __len__(self) -> int:
        return len(self._by_id)

    # ---- recording (the module hooks and autograd's recording hook) -----------------------------

    def _record(self, node: Node) -> None:
        if self._stack:
            call = self._stack[-1]
            key = id(node)
            ref = weakref.ref(node, self._forgetter(key))
            self._by_id[key] = (ref, call)
            call._nodes.append(ref)

    def _forgetter(self, key: int) -> Callable[[weakref.ref], None]:
        def forget(ref: weakref.ref) -> None:  # runs when the node is freed
            hit = self._by_id.get(key)
            if hit is not None and hit[0] is ref:
                del self._by_id[key]
        return forget

    def _enter(self, module: Any, args: tuple) -> None:
        if threading.get_ident() != self._thread:
            return
        parent = self._stack[-1] if self._stack else None
        if parent is None and len(self.calls) >= 2 * self._kept:
            self._prune()
        path = "" if parent is None else _child_path(parent, module)
        call = ModuleCall(module, path, parent, args)
        self.calls.append(call)
        self._stack.append(call)

    def _exit(self, module: Any, args: tuple, output: Any) -> None:
        if threading.get_ident() != self._thread or not self._stack or self._stack[-1].module is not module:
            return
        self._stack.pop()._output = _weak(output)

    def _prune(self) -> None:
        """Forget the finished outermost calls (with the calls inside them) that made nothing still alive."""
        live_roots: set = set()
        for call in self.calls:
            if call._alive():
                while call.parent is not None:
                    call = call.parent
                live_roots.add(id(call))

        def root(call: ModuleCall) -> ModuleCall:
            while call.parent is not None:
                call = call.parent
            return call
        self.calls = [c for c in self.calls if id(root(c)) in live_roots]
        self._kept = max(64, len(self.calls))


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
    """Record, inside the block, the innermost module call (in this thread) that created each Tensor
    and Value.

    Yields a `ModuleTrace` (`calls`, `call_of`, `module_of`, `path_of`, `parameter_name`),
    still readable after the block, that holds nodes only while the caller does. Traces in
    other threads, or nested in this one, record independently.
    """
    trace = ModuleTrace()
    before = register_module_forward_pre_hook(lambda module, args: trace._enter(module, args))
    after = register_module_forward_hook(lambda module, args, output: trace._exit(module, args, output),
                                         always_call=True)
    try:
        with recording(trace._record):
            yield trace
    finally:
        before.remove()
        after.remove()
        trace._stack.clear()
