"""The one graph engine behind `Value` and `Tensor`.

Every result of an op is a `Node` that remembers its operands (`parents`) and the op that
made it (`fn`). `backward()` sorts the graph topologically without recursion and walks it
in reverse, asking each op for the gradients of its operands (the chain rule: local
derivative times the gradient that arrived from above).

Nodes hold no closures and no reference to their children, so a graph has no reference
cycles and is freed by reference counting as soon as the last result is dropped.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator


class _GradMode:
    """Process-wide switches; documented as `no_grad()` and `detect_anomaly()`."""

    enabled = True
    anomaly = False


grad_mode = _GradMode()


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Build no graph inside the block: for evaluation and for optimizer updates."""
    previous = grad_mode.enabled
    grad_mode.enabled = False
    try:
        yield
    finally:
        grad_mode.enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Build graphs again inside a `no_grad()` block."""
    previous = grad_mode.enabled
    grad_mode.enabled = True
    try:
        yield
    finally:
        grad_mode.enabled = previous


def is_grad_enabled() -> bool:
    """True when ops record a graph (outside `no_grad()`)."""
    return grad_mode.enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise at the first op whose forward result holds a nan or an inf, naming the op.

    Numpy semantics (nan and inf allowed) are the default because checking every result
    costs a pass over the data.
    """
    previous = grad_mode.anomaly
    grad_mode.anomaly = True
    try:
        yield
    finally:
        grad_mode.anomaly = previous


class Op:
    """An operation: `forward` on plain numbers or arrays and `backward`, its local derivative.

    `backward(out, grad)` receives the node the op made and the gradient arriving at it, and
    returns one gradient per parent (None where a parent needs none). Ops are classes used
    as namespaces, never instantiated, so a node stores only a reference to its op's class.
    """

    name = "op"

    @staticmethod
    def label(out: "Node") -> str:
        return ""

    @staticmethod
    def backward(out: "Node", grad: Any) -> tuple:
        raise NotImplementedError


class Node:
    """A value in the graph: `data`, `grad`, the `parents` it came from and the op `fn`.

    `ctx` keeps what an op needs for its derivative beyond the parents and the output
    (a constant, an axis, a mask).
    """

    __slots__ = ("data", "grad", "parents", "fn", "ctx", "label")

    # What `grad` holds before any backward pass reached the node; subclasses override.
    _grad_init: Any = None

    # Tensor overrides this; a scalar Value always takes part in differentiation.
    requires_grad = True

    @property
    def op(self) -> str:
        """The op that made this node as it reads in a diagram (`"*"`, `"+1"`, `"exp"`); `""` for a leaf."""
        fn = self.fn
        if fn is None:
            return ""
        return fn.label(self) or fn.name

    @property
    def is_leaf(self) -> bool:
        return self.fn is None

    def backward(self, grad: Any = None) -> None:
        """Backpropagate from this node; see `backpropagate`."""
        backpropagate(self, self._seed(grad))

    def _seed(self, grad: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def _own(grad: Any, stored: set) -> Any:
        """The first gradient a leaf keeps. Numbers are immutable, so a Value keeps it as is; Tensor
        copies an array that another node already holds in this pass (`stored` has their ids), that is
        read-only or that is a view, so that editing `leaf.grad` in place changes that leaf alone."""
        return grad


def topological_order(root: Node, leaves: bool = True) -> list[Node]:
    """Every node `root` depends on, each after all of its parents, `root` last.

    Iterative depth-first search with an explicit stack, so a graph a million nodes deep
    works without touching Python's recursion limit. Each node appears once even when it is
    used many times; that is what makes a reused node's gradient the sum of its uses.
    `leaves=False` leaves out the leaves, which the backward walk has nothing to do for.
    """
    order: list[Node] = []
    state: dict = {}  # node -> False while its parents are being visited, True once placed
    stack = [root]
    push, pop, place, get = stack.append, stack.pop, order.append, state.get
    while stack:
        node = pop()
        seen = get(node)
        if seen is None:
            state[node] = False
            push(node)  # placed when popped again, after everything pushed above it
            if leaves:
                for parent in node.parents:
                    if parent not in state:
                        push(parent)
            else:  # asking `parent.parents` first skips half the dict lookups in a typical graph
                for parent in node.parents:
                    if parent.parents and parent not in state:
                        push(parent)
        elif seen is False:
            state[node] = True
            place(node)
    return order


def backpropagate(root: Node, seed: Any) -> list[Node]:
    """Reverse-mode differentiation of `root` with respect to every node it depends on.

    Leaves accumulate: a second backward pass adds to their `.grad`, as PyTorch's leaves
    do, so reset them between steps with `zero_grad()` (or `x.grad = 0.0` on a Value).
    Interior nodes are reset at the start of each pass and then hold that pass's
    gradient, which is what a diagram of one forward and backward pass shows.
    Returns the nodes whose op it ran, in topological order (root last).
    """
    order = topological_order(root, leaves=False)  # only a leaf root stays in it
    for node in order:
        if node.fn is not None:
            node.grad = node._grad_init
    stored: set = set()  # ids of gradient arrays that nodes hold in this pass (Tensor only)
    _store(root, seed, stored)
    for node in reversed(order):
        fn = node.fn
        grad = node.grad
        if fn is None or grad is None:
            continue
        for parent, g in zip(node.parents, fn.backward(node, grad)):
            if g is not None and parent.requires_grad:
                old = parent.grad
                if old is not None:  # a new object, never `+=`: an op may hand one array to two parents
                    parent.grad = old + g
                else:  # only Tensors get here: a Value's gradient starts at 0.0
                    _store(parent, g, stored)
    return order


def backpropagate_scalars(root: Node, seed: float) -> list[Node]:
    """`backpropagate` for a graph of scalar Values, the same walk with the array cases left out.

    Every gradient here is a float and every node takes part, so there is no None to skip,
    no `requires_grad` to ask and no array to copy: each parent's gradient is `+=` the
    op's answer. About two thirds of the general walk's time on a 200,000-node graph.
    """
    order = topological_order(root, leaves=False)
    if root.fn is None:  # a leaf on its own: it accumulates the seed
        root.grad += seed
        return order
    for node in order:
        node.grad = 0.0
    root.grad = seed
    for node in reversed(order):
        parents = node.parents
        if len(parents) == 2:  # unpacking beats a zip loop by a third of the walk
            a, b = parents
            ga, gb = node.fn.backward(node, node.grad)
            a.grad += ga
            b.grad += gb
        elif len(parents) == 1:
            parents[0].grad += node.fn.backward(node, node.grad)[0]
        else:
            for parent, g in zip(parents, node.fn.backward(node, node.grad)):
                parent.grad += g
    return order


def _store(node: Node, grad: Any, stored: set) -> None:
    """A node's first gradient in this pass; a leaf takes one of its own (see Node._own)."""
    old = node.grad
    if old is not None:
        node.grad = old + grad
        return
    if node.fn is None:
        grad = node._own(grad, stored)
    stored.add(id(grad))
    node.grad = grad
