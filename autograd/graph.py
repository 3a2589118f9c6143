"""The one graph engine behind `Value` and `Tensor`.

Every result of an op is a `Node` that remembers its operands (`parents`), the op that made
it (`fn`) and what else the op was given (`ctx`). `backward()` puts the graph in topological
order (a node is made after its operands, so sorting by creation number is enough) and walks it
in reverse, asking each op for the gradients of its operands: the chain rule, local derivative
times the gradient that arrived from above. That walk, `chain_rule`, is written once;
`backward()`, `grad()` and the step pictures all use it. After it, `_commit` adds the gradients
into the leaves, all at once.

Nodes hold no closures and no reference to their children, so a graph has no reference
cycles and is freed by reference counting as soon as the last result is dropped.

Grad mode (`no_grad`, `enable_grad`, `detect_anomaly`, `recording`) is per thread, as in
PyTorch, and lives in `mode.py`; making a node reads one flag, `switched.count` (see `make`).

Speed, in one place: these loops run once per node, so they avoid what costs most in CPython
3.11 per node where a C-level loop does the same work: the sort is one `list.sort` of nodes found
in nearly falling order; the interior nodes' gradients are stored, and the leaves' set, by `map`
calls; and an op's backward gets its operands' data listed (`a.data, b.data`), because a call
with `*args` runs through a slower path of the interpreter: with it, the walk over the
100,000-term sum of products took 18.6k instructions a term instead of 12.8k (cachegrind). The
walk reads the node kind once a pass (`tensors`) and indexes the gradients an op sent instead of
zipping them: together 8% of that walk (197 against 183 ms, best of 7 interleaved runs).
Everything else is plain Python, the same for a Value and a Tensor.
"""
from __future__ import annotations

import threading
from collections import Counter, deque
from itertools import count, repeat
from operator import add, attrgetter
from typing import Any, Callable, NamedTuple, Optional, Sequence

import numpy as np

from .mode import created, enable_grad, grad_mode, switched


# Leaves are updated at the end of a pass under this lock, so two threads backpropagating into
# one shared weight never lose an update (one lock round per pass, not per node).
_leaf_lock = threading.Lock()

# Every node gets the next number when it is made: its operands always have smaller ones.
# (`next` of an itertools.count is one call into C, so two threads never get the same number.)
next_number = count().__next__


class Op:
    """An operation: its forward and, beside it, its local derivative. See `autograd/ops/`.

    - `forward(ctx, *arrays)`: the result on numpy arrays (Tensor);
      `scalar(ctx, *floats)`: the result on floats (Value), for the ops a Value has.
    - `backward(ctx, grad, out, *inputs)`: one gradient per input (None where none is needed),
      given the gradient `grad` that reached the result `out`. In an ordinary pass the
      arguments are floats or arrays; with `create_graph=True` they are the nodes themselves,
      so the same formula builds the backward pass as a graph that can be differentiated again.
    - `derivative`: the formula in one line per input, as `docs/derivatives.md` lists it.
    - `broadcasts`: True for ops whose inputs numpy broadcasts; the engine then sums each
      gradient back to its input's shape, so the formulas need not.
    Ops are classes used as namespaces, never instantiated: a node stores only its op's class.
    """

    name = "op"
    derivative = ""
    broadcasts = False
    differentiable_backward = True  # False: backward runs on arrays only (no create_graph through it)

    @staticmethod
    def label(out: "Node") -> str:
        return ""

    @staticmethod
    def backward(ctx: Any, grad: Any, out: Any, *inputs: Any) -> tuple:
        raise NotImplementedError


class Node:
    """A value in the graph: `data`, `grad`, the `parents` it came from, the op `fn` and its `ctx`."""

    # The operands sit in slots of the node: `_a` and `_b` for the first two, `_rest` (a tuple)
    # for any further ones of an n-ary op, None where there is none. A leaf or a one- or two-input
    # node is then one object, not a node and its `parents` tuple: half as many objects for Python's
    # cyclic garbage collector to walk in the full passes it makes while a big graph is built
    # (building the 100,000-term sum of products with gc on: 751M instructions in the collector,
    # not 997M, by callgrind), and 104 bytes a node, not 144. In time, micrograd's demo step written
    # on Value takes 101 ms instead of 156 with gc on (bench (a)). Read the operands as `node.parents`.
    # `__weakref__` (8 bytes) lets an observer such as `nn.trace_modules` hold nodes without keeping
    # a graph alive.
    # `_number` is the node's creation number (see `next_number`).
    __slots__ = ("data", "grad", "_a", "_b", "_rest", "fn", "ctx", "label", "requires_grad", "_number",
                 "__weakref__")

    # What an interior node's `grad` holds when no gradient reached it; subclasses override.
    _grad_init: Any = None
    # How a gradient number is handed to the user: as it is for a Value; a Tensor wraps its array.
    _shown_grad = staticmethod(lambda g: g)
    # Tensor sets this: its ops broadcast, so the engine sums gradients back to each input's shape.
    _broadcasts = False
    # Whether a result made outside the graph (in no_grad, or from constants) takes part in a later
    # pass: a Value always does; a Tensor only when made with requires_grad=True.
    _untracked_requires_grad = True
    # Tensor sets this: its data can change in place, so its gates check version counters in a pass.
    _versioned = False

    @property
    def parents(self) -> tuple:
        """The operands this node was computed from, in order: `()` for a leaf, `(a,)`, `(a, b)`,
        `(a, b, c, ...)`. A new tuple each time, built from the node's slots (see above)."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None:
            return (a,)
        rest = self._rest
        return (a, b) if rest is None else (a, b, *rest)

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

    def backward(self, grad: Any = None, retain_graph: Optional[bool] = None, create_graph: bool = False,
                 inputs: Any = None) -> None:
        """Backpropagate from this node: every node it depends on gets `.grad` = d(self)/d(node).

        Leaves add to what they hold (reset them with `zero_grad()`); interior nodes show this
        pass's gradient (circuitgrad keeps them for its diagrams, as PyTorch's `retain_grad()` would).
        A pass that raises, or is interrupted with Ctrl-C, changes no leaf. With `create_graph=True` the
        leaves' gradients are themselves nodes, with the backward pass as their graph.

        `retain_graph` is accepted for PyTorch's code and changes nothing: a backward pass here
        never frees the graph (the forward results it needs are the nodes' own data, kept while
        the graph is referenced), so a second `backward()` always works and adds the same
        gradients again, which is what PyTorch gives with `retain_graph=True`. (PyTorch raises on
        a second pass without it; here it is not an error, and the numbers are PyTorch's.)
        `inputs` (PyTorch's "accumulate only into these") is not supported: TypeError if given.
        """
        if retain_graph is not None and not isinstance(retain_graph, bool):
            raise TypeError(f"backward: retain_graph must be True, False or None, got {retain_graph!r}")
        if inputs is not None:
            raise TypeError("backward: inputs= is not supported; use autograd.grad(output, inputs) to get the "
                            "gradients of some inputs only")
        seed = self._seed(grad)
        if create_graph:  # a seed that is a node stays one, so the pass can be differentiated through it too
            seed = grad if isinstance(grad, Node) else self._constant_like(seed)
        backpropagate(self, seed, create_graph)

    def _seed(self, grad: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def _constant_like(cls, data: Any) -> "Node":
        raise NotImplementedError


# The `grad` slot itself. A Value shows it as a plain attribute (a float, as micrograd); a Tensor
# shows it through a property, as a Tensor (PyTorch's `x.grad`; tensor.py). The engine writes the
# slot directly, so that a leaf commit stays one call into C (see `_commit`).
set_grad = Node.__dict__["grad"].__set__
get_grad = Node.__dict__["grad"].__get__


def make(cls: type, fn: Any, parents: tuple, data: Any, ctx: Any = None) -> Node:
    """The one constructor of result nodes: `data` computed by `fn` from `parents`, recorded into
    the graph when grad mode is on and some parent requires grad, and shown to `recording()`.

    Value and Tensor compute `data` (each with its own checks) and call this; so do fused ops.
    The node copies the operands into its slots (see `Node`); the tuple itself is not kept.
    Raises FloatingPointError under `detect_anomaly()` for a result holding nan or inf.
    """
    out = _new(cls)
    out.data = data
    set_grad(out, cls._grad_init)
    out.label = ""
    out._number = next_number()
    if switched.count:  # the one read of the mode: some switch is on in some thread (see mode.py)
        _switched(out, fn, parents, ctx)
        return out
    for p in parents:  # a plain loop: any(generator) costs a generator per op
        if p.requires_grad:
            _record(out, fn, parents, ctx)
            return out
    _untracked(out)
    return out


_new = object.__new__


def _untracked(out: Node) -> None:
    out.requires_grad = out._untracked_requires_grad
    out._a = out._b = out._rest = None  # no operands: a leaf
    out.fn = out.ctx = None


def _record(out: Node, fn: Any, parents: tuple, ctx: Any) -> None:
    out.requires_grad = True
    n = len(parents)
    out._a = parents[0]
    out._b = parents[1] if n > 1 else None
    out._rest = parents[2:] if n > 2 else None
    out.fn = fn
    out.ctx = ctx


def _switched(out: Node, fn: Any, parents: tuple, ctx: Any) -> None:
    """`make` while a switch is on somewhere: this thread's own mode decides. The result is recorded
    unless `no_grad()` is on here; `detect_anomaly()` checks a Tensor's numbers (a Value's are always
    checked); `recording()`'s callbacks see it."""
    if grad_mode.enabled and any(p.requires_grad for p in parents):
        _record(out, fn, parents, ctx)
    else:
        _untracked(out)
    data = out.data
    if grad_mode.anomaly and isinstance(data, np.ndarray) and data.dtype.kind == "f" and not np.isfinite(data).all():
        bad = "nan" if np.isnan(data).any() else "inf"
        shapes = ", ".join(str(p.data.shape) for p in parents)
        raise FloatingPointError(f"detect_anomaly: {fn.name} produced {bad} from operands of shape {shapes}")
    created(out)


def topological_order(root: Node, leaves: bool = True) -> list[Node]:
    """Every node `root` depends on, each after all of its parents, `root` last.

    A node is made after its operands, so its creation number is larger than theirs: the nodes
    reached from `root`, sorted by that number, are in topological order. They are reached with a
    stack, not by recursion, so a graph a million nodes deep works. Each node appears once even
    when it is used many times; that is what makes a reused node's gradient the sum of its uses.
    `leaves=False` leaves out the leaves (but keeps a leaf root), which the backward walk has
    nothing to do for.
    """
    found, reached, todo = [], {root}, [root]
    while todo:
        node = todo.pop()
        found.append(node)  # popped nodes come in nearly falling creation order: the sort below is quick
        a = node._a
        if a is None:  # a leaf
            continue
        for parent in (a, node._b) if node._rest is None else (a, node._b, *node._rest):
            if parent is not None and (leaves or parent.fn is not None) and parent not in reached:
                reached.add(parent)
                todo.append(parent)
    found.sort(key=_creation_number)
    return found


_creation_number = attrgetter("_number")


def chain_rule(root: Node, seed: Any, create_graph: bool = False,
               on_gate: Optional[Callable[[Node, tuple], None]] = None,
               order: Optional[list] = None) -> tuple[list, dict]:
    """The backward walk: in reverse topological order, each op's backward takes the gradient that
    reached its result and sends one to each input, summed where an input is used twice.

    The pass's gradients live in its own dict, `grads` (node -> gradient), never in `.grad`: two
    threads walking one shared node never mix numbers, and a pass that raises changes nothing
    (`_commit` stores them after). A Tensor gate first checks its inputs did not change in place.
    `on_gate(gate, sent)` lets a picture watch each step. Returns (order, grads)."""
    if create_graph and not grad_mode.enabled:  # asked for a graph: record it even inside no_grad(), as PyTorch
        with enable_grad():
            return chain_rule(root, seed, create_graph, on_gate, order)
    if order is None:
        order = topological_order(root, leaves=False)
    grads = {root: seed}
    if root.fn is None:  # a leaf on its own: it only accumulates the seed
        return [], grads
    tensors = root._versioned  # one kind of node in a pass: only Tensors check versions and broadcast
    for node in reversed(order):
        grad = grads.get(node)
        if grad is None:
            continue
        fn, a, b = node.fn, node._a, node._b  # the first two operands (see `Node`)
        parents = (a,) if b is None else (a, b) if node._rest is None else (a, b, *node._rest)
        if tensors:
            node._check_versions(parents)
        if create_graph:
            sent = _on_nodes(fn, node, grad, parents)
        elif b is None:  # the operands' data listed, not unpacked with * (see the module docstring)
            sent = fn.backward(node.ctx, grad, node.data, a.data)
        elif len(parents) == 2:
            sent = fn.backward(node.ctx, grad, node.data, a.data, b.data)
        else:
            sent = fn.backward(node.ctx, grad, node.data, *[p.data for p in parents])
        if tensors and fn.broadcasts:
            sent = _fit_shapes(sent, parents)
        if on_gate is not None:
            on_gate(node, tuple(g if p.requires_grad else None for p, g in zip(parents, sent)))
        for i in range(len(sent)):  # an index, not zip (see the module docstring)
            g, parent = sent[i], parents[i]
            if g is not None and parent.requires_grad:
                old = grads.get(parent)
                grads[parent] = g if old is None else old + g  # a new object, never +=: g may be sent twice
    return order, grads


def _on_nodes(fn: Any, node: Node, grad: Any, parents: tuple) -> tuple:
    """`fn`'s backward run on the nodes themselves (create_graph=True), so the backward pass is
    recorded as a graph; NotImplementedError for an op whose backward works on arrays only."""
    if not fn.differentiable_backward:
        raise NotImplementedError(f"backward(create_graph=True): the {fn.name} op has no differentiable "
                                  "backward; build that part of the model from primitive ops")
    return fn.backward(node.ctx, grad, node, *parents)


def _fit_shapes(sent: tuple, parents: tuple) -> tuple:
    """Each gradient summed over the axes that broadcasting added or stretched in its input."""
    return tuple(g if g is None or g.shape == p.shape else p._sum_to(g, p.shape) for g, p in zip(sent, parents))


def _commit(order: list, grads: dict, create_graph: bool) -> None:
    """Store a finished pass: each interior node shows this pass's gradient in `.grad` (what the
    diagrams draw; never read back by a pass), and each leaf adds its gradient in, all or nothing.

    Every leaf's new gradient is computed first; then they are assigned by one call into C
    (`map(set_grad, ...)` drained by `deque(maxlen=0)`), in which no Python bytecode runs between two
    assignments, so Ctrl-C (a KeyboardInterrupt, delivered between bytecodes) lands before the first
    or after the last: a step is never half taken. The leaves' gradients are read in `_old_grad`
    and written here, nowhere else in the engine.
    """
    root = next(iter(grads))
    shown = list(map(grads.pop, order, repeat(root._grad_init)))  # what is left in `grads` is the leaves'
    arrays = root._broadcasts
    if arrays or create_graph:
        shown = [g if type(g) is np.ndarray else _shown(g) for g in shown]
    deque(map(set_grad, order, shown), maxlen=0)
    leaves = list(grads)
    with _leaf_lock:  # two threads adding into one shared weight never lose an update
        if arrays or create_graph:
            pairs = zip(map(_old_grad, leaves), grads.values())
            twice = _sent_twice(shown, grads.values()) if arrays else frozenset()
            new = [_added(old, g, twice) for old, g in pairs]
        else:  # the gradients of a Value pass: floats, added in one call into C
            new = list(map(add, map(_old_grad, leaves), grads.values()))
        deque(map(set_grad, leaves, new), maxlen=0)


_old_grad = get_grad  # a leaf's gradient before the pass, the slot itself (see `_commit`)


def _shown(g: Any) -> Any:
    """What an interior node's `.grad` shows: numbers (not a recorded node), a 0-d array (not a numpy scalar)."""
    if isinstance(g, Node):
        g = g.data
    return np.asarray(g) if isinstance(g, np.generic) else g


def _sent_twice(shown: list, sent: Any) -> set:
    """The ids of the arrays among the leaves' gradients `sent` that an interior node holds in `shown`
    too, or another leaf (an op may send one array to two inputs, as `+` does): a leaf that keeps
    one of them keeps a copy. (`map(id, ...)` runs in C: the usual pass, every array held once,
    costs two set builds.)"""
    leaf_ids = list(map(id, sent))
    held = set(map(id, shown))
    once = set(leaf_ids)
    if len(once) == len(leaf_ids) and held.isdisjoint(once):
        return set()
    return {i for i, n in Counter(leaf_ids).items() if n > 1} | held.intersection(once)


def _added(old: Any, g: Any, twice: Any) -> Any:
    """A leaf's gradient after a pass that sent it `g`: `old + g`, or `g` itself where there was
    none (None, or a Value's untouched 0.0 when `g` is a recorded node, with create_graph=True).
    An array another node holds too, or a view of one, is copied, so that editing `leaf.grad` in
    place changes that leaf alone; numpy's scalar of a 0-d result becomes a writable 0-d array."""
    if isinstance(g, Node):
        return g if old is None or (type(old) is float and old == 0.0) else old + g
    if old is not None:
        g = old + g
    elif id(g) in twice or g.base is not None:
        g = g.copy()
    return np.array(g) if isinstance(g, np.generic) else g


def backpropagate(root: Node, seed: Any, create_graph: bool = False) -> list[Node]:
    """Run `chain_rule` from `root` and store its gradients (what `backward()` does).
    Returns the interior nodes in topological order."""
    order, grads = chain_rule(root, seed, create_graph)
    _commit(order, grads, create_graph)
    return order


def _watch(root: Node, seed: Any, create_graph: bool = False,
           on_gate: Optional[Callable[[Node, tuple], None]] = None) -> dict:
    """`chain_rule` touching no `.grad`: {node: gradient} of this pass."""
    return chain_rule(root, seed, create_graph, on_gate)[1]


class GateStep(NamedTuple):
    """One step of the backward walk: `gate` ran its local backward and sent `grads[i]` to `gate.parents[i]`."""

    gate: Node
    grads: tuple


def gate_steps(root: Node, grad: Any = None) -> tuple[Any, list[GateStep]]:
    """The backward walk from `root` one gate at a time, without touching any `.grad`.

    Returns (seed, steps): the root's starting gradient and the steps in the order the engine
    runs them. For the step pictures and the explorer page.
    """
    seed = root._seed(grad)
    steps: list[GateStep] = []
    _watch(root, seed, on_gate=lambda gate, sent: steps.append(GateStep(gate, sent)))
    return seed, steps


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """d(outputs)/d(inputs), returned rather than stored (PyTorch's `torch.autograd.grad`).

    `outputs` and `inputs` are a node or a sequence of nodes; `grad_outputs` the seed for each
    output (None for a one-element output). With `create_graph=True` the gradients are nodes
    whose graph is the backward pass, so they can be differentiated again (a Hessian-vector
    product, a gradient penalty). Raises ValueError for an input the outputs do not depend on,
    unless `allow_unused=True` (its gradient is then None).
    """
    outs = _as_nodes(outputs, "grad: outputs")
    ins = _as_nodes(inputs, "grad: inputs")
    seeds = _as_list(grad_outputs, len(outs))
    for i, x in enumerate(ins):
        if not x.requires_grad:
            raise ValueError(f"grad: input {i} ({x.label or type(x).__name__}) does not require grad "
                             "(create it with requires_grad=True)")
    total: dict = {}
    for i, (out, seed) in enumerate(zip(outs, seeds)):
        if seed is None and getattr(out.data, "size", 1) != 1:
            raise ValueError(f"grad: output {i} has shape {out.data.shape}; pass grad_outputs= a seed of that "
                             "shape, or reduce the output first (e.g. .sum())")
        s = out._seed(seed.data if isinstance(seed, Node) and not create_graph else seed)
        if create_graph:
            s = seed if isinstance(seed, Node) else out._constant_like(s)
        for node, g in _watch(out, s, create_graph).items():
            old = total.get(node)
            total[node] = g if old is None else old + g
    result = []
    for i, x in enumerate(ins):
        g = total.get(x)
        if g is None and not allow_unused:
            raise ValueError(f"grad: input {i} ({x.label or type(x).__name__}) is not used to compute the outputs "
                             "(pass allow_unused=True to get None for it)")
        if g is not None and not create_graph and isinstance(g, Node):
            g = g.data
        if isinstance(g, np.generic):  # a 0-d gradient stays a 0-d array, as every Tensor's data is
            g = np.asarray(g)
        result.append(g if g is None or isinstance(g, Node) else x._shown_grad(g))
    return tuple(result)


def _as_nodes(x: Any, what: str) -> list:
    items = [x] if isinstance(x, Node) else list(x) if isinstance(x, Sequence) else None
    if not items or not all(isinstance(n, Node) for n in items):
        raise TypeError(f"{what} must be a Value or Tensor, or a non-empty sequence of them; got {type(x).__name__}")
    return items


def _as_list(seeds: Any, n: int) -> list:
    if seeds is None:
        return [None] * n
    if n == 1 and not isinstance(seeds, (list, tuple)):
        return [seeds]
    if not isinstance(seeds, (list, tuple)) or len(seeds) != n:
        given = f"{len(seeds)} seed{'s' * (len(seeds) != 1)}" if isinstance(seeds, (list, tuple)) else "one seed"
        raise ValueError(f"grad: grad_outputs has {given} for {n} output{'s' * (n != 1)}; give one per output")
    return list(seeds)
