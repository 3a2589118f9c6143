"""The graph engine shared by `Value` and `Tensor`: topological order, the backward walk and its
accumulation rules, `no_grad`, `detect_anomaly`, depth without recursion, memory freed by
reference counting, `gradcheck` itself, and a new op written the documented way."""
from __future__ import annotations

import gc
import sys
import time
import weakref

import numpy as np
import pytest

from circuitgrad import autograd
from circuitgrad.autograd import (GradcheckError, Op, Tensor, Value, backpropagate, detect_anomaly, enable_grad, gradcheck,
                      is_grad_enabled, no_grad, topological_order)


def assert_topological(order, root):
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    assert order[-1] is root
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)], f"{parent!r} placed after its child {node!r}"


# ---- topological order ------------------------------------------------------------------------------

def test_topological_order_of_a_diamond_lists_each_node_once_after_its_parents():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = c * d + c.exp()  # c is used three times, a twice
    order = topological_order(e)
    assert_topological(order, e)
    assert {id(n) for n in order} >= {id(a), id(b), id(c), id(d)}
    assert len(order) == 7  # a, b, c, d, c*d, exp(c), e


def test_topological_order_of_a_random_dag(rng):
    nodes = [Value(float(v)) for v in rng.normal(size=5)]
    for _ in range(300):
        i, j = rng.integers(0, len(nodes), size=2)
        nodes.append(nodes[i] * 0.5 + nodes[j] * 0.25)
    order = topological_order(nodes[-1])
    assert_topological(order, nodes[-1])


def test_topological_order_of_tensors_and_of_a_lone_leaf():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * 2).sum() + x.mean()
    assert_topological(topological_order(y), y)
    assert topological_order(x) == [x]


def test_backpropagate_returns_the_ops_it_ran_in_order_and_seeds_the_root():
    x = Value(3.0)
    h = x * x
    y = h + x
    order = backpropagate(y, 2.0)
    assert order == [h, y]
    assert topological_order(y, leaves=False) == [h, y]
    assert (y.grad, h.grad, x.grad) == (2.0, 2.0, 14.0)


def _random_scalar_graph(rng, n_ops=200):
    """A random graph over every kind of scalar op, with reuse, from four leaves."""
    leaves = [Value(float(v), f"x{i}") for i, v in enumerate(rng.uniform(0.5, 1.5, size=4))]
    nodes = list(leaves)
    unary = [lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: a * 0.7 + 0.1, lambda a: a.relu(),
             lambda a: (a * a + 1.0).sqrt(), lambda a: 1.0 / (a * a + 1.0), lambda a: -a]
    binary = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
              lambda a, b: a / (b * b + 1.0), lambda a, b: (a * a + 1.0) ** (b.sigmoid())]
    for _ in range(n_ops):
        i, j = rng.integers(0, len(nodes), size=2)
        if rng.random() < 0.4:
            nodes.append(unary[rng.integers(len(unary))](nodes[i]))
        else:
            nodes.append(binary[rng.integers(len(binary))](nodes[i], nodes[j]))
    return leaves, nodes[-1]


def test_value_backward_gives_exactly_what_the_general_walk_gives(rng):
    # Value.backward takes a float-only path through the same order and the same ops.
    leaves, root = _random_scalar_graph(rng)
    backpropagate(root, 1.5)
    general = [x.grad for x in leaves]
    for x in leaves:
        x.grad = 0.0
    root.backward(1.5)
    assert [x.grad for x in leaves] == general
    assert any(g != 0.0 for g in general)


class _Sum3(Op):
    name = "sum3"
    derivative = "a: grad;  b: 2 grad;  c: 3 grad"

    @staticmethod
    def scalar(ctx, a, b, c):
        return a + 2.0 * b + 3.0 * c

    @staticmethod
    def backward(ctx, grad, out, a, b, c):
        return grad, 2.0 * grad, 3.0 * grad  # d(a + 2b + 3c) / d(a, b, c)


def test_value_backward_handles_an_op_with_three_operands():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    out = Value.apply(_Sum3, a, b, c)
    assert out.data == 14.0 and out.parents == (a, b, c)
    (out * out).backward()
    assert (a.grad, b.grad, c.grad) == (2 * 14.0, 4 * 14.0, 6 * 14.0)


def test_every_walk_sees_the_operands_of_an_op_with_three_or_more_in_order():
    # The first two operands sit in slots of their own and the others in `_rest`: the sort, the
    # step pictures and a recorded (create_graph) pass must all see them as one ordered tuple.
    a, b, c, d = Value(1.0), Value(2.0), Value(3.0), Value(4.0)
    out = Value.apply(_Sum3, a, b, c) * Value.apply(_Sum3, b, c, d)  # 14 * 20
    first, second = out.parents
    assert first.parents == (a, b, c) and second.parents == (b, c, d)
    order = topological_order(out)
    assert_topological(order, out)
    assert len(order) == 7
    seed, steps = autograd.gate_steps(out)
    sent = {step.gate: step.grads for step in steps}
    assert sent[first] == (20.0, 40.0, 60.0) and sent[second] == (14.0, 28.0, 42.0)
    ga, gd = autograd.grad(out, [a, d], create_graph=True)
    assert (ga.data, gd.data) == (20.0, 42.0) and isinstance(ga, Value)
    assert a.grad == 0.0  # grad() and gate_steps() leave every .grad as it was


# ---- accumulation semantics ----------------------------------------------------------------------------

def test_leaves_accumulate_interior_nodes_hold_the_latest_pass():
    x = Value(2.0)
    h = x * x
    y = h * 3
    y.backward()
    y.backward(10.0)
    assert x.grad == 4 * 3 + 4 * 30  # both passes add up in the leaf
    assert (h.grad, y.grad) == (30.0, 10.0)  # only the latest pass in interior nodes


def test_tensor_interior_grads_are_reset_per_pass_and_leaves_accumulate():
    x = Tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    y = h.sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    np.testing.assert_array_equal(h.grad, [1.0, 1.0])


def test_a_root_that_is_a_leaf_accumulates_too():
    x = Value(5.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0
    t = Tensor(5.0, requires_grad=True)
    t.backward()
    t.backward()
    assert t.grad == 2.0


def test_leaves_never_share_a_gradient_array_with_another_node():
    """`+` sends one array to both inputs, and to an interior node: each leaf keeps its own copy, so
    editing one leaf's gradient in place (clipping, say) changes no other node's."""
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    h = a * 2.0
    s = (a + b) + h  # the outer + hands its gradient to the inner + (interior) and to h
    s.backward(np.array([1.0, 10.0]))
    for x, y in [(a.grad, b.grad), (a.grad, h.grad), (a.grad, s.grad), (b.grad, h.grad), (b.grad, s.grad)]:
        assert not np.shares_memory(x, y)
    b.grad *= 0.5
    np.testing.assert_array_equal(a.grad, [3.0, 30.0])
    np.testing.assert_array_equal(h.grad, [1.0, 10.0])
    np.testing.assert_array_equal(b.grad, [0.5, 5.0])


def test_a_gradient_seed_the_caller_keeps_is_not_kept_by_a_leaf():
    seed = np.array([1.0, 1.0])
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x + 0.0).backward(seed)
    x.grad[0] = 7.0
    np.testing.assert_array_equal(seed, [1.0, 1.0])


# ---- no_grad / enable_grad ----------------------------------------------------------------------------------

def test_no_grad_nests_with_enable_grad_and_restores_after_an_error():
    w = Tensor([1.0], requires_grad=True)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled() and not (w * 2).requires_grad
        with enable_grad():
            assert is_grad_enabled() and (w * 2).requires_grad
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_grad_enabled()


def test_no_grad_values_are_leaves_that_keep_no_reference_to_their_inputs():
    x = Value(2.0)
    base = sys.getrefcount(x)
    with no_grad():
        ys = [x * i for i in range(1, 50)]
    assert sys.getrefcount(x) == base and all(y.parents == () for y in ys)


# ---- depth and memory -----------------------------------------------------------------------------------------

def test_a_node_keeps_up_to_two_operands_in_its_own_slots_and_no_container():
    # Issue 13: the cyclic collector walks every container it tracks; a parents tuple per node
    # would double what it walks while a graph is built (see the comment on Node.__slots__).
    x, y = Value(2.0), Value(3.0)
    t, u = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2))
    for node, parents in ((x, ()), (x.relu(), (x,)), (x * y, (x, y)), (t, ()), (t.exp(), (t,)), (t * u, (t, u))):
        assert node.parents == parents
        assert not [r for r in gc.get_referents(node) if isinstance(r, (tuple, list, dict))], node
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        s = Value(0.0)
        for _ in range(1000):
            s = s + x * y
        made = len(gc.get_objects()) - before
    finally:
        gc.enable()
    assert 2001 <= made <= 2010, f"2,001 nodes added {made:,} objects for the collector to track"


def test_a_chain_a_million_nodes_deep_backprops_without_recursion():
    limit = sys.getrecursionlimit()
    x = Value(0.0, "x")
    y = x
    for _ in range(1_000_000):
        y = y + 1
    start = time.perf_counter()
    y.backward()
    elapsed = time.perf_counter() - start
    assert y.data == 1_000_000.0 and x.grad == 1.0
    assert sys.getrecursionlimit() == limit
    assert elapsed < 20, f"backward over 1,000,000 nodes took {elapsed:.1f} s"
    del y  # freeing a million-deep chain must not overflow the C stack either
    assert sys.getrefcount(x) == 2


def test_a_deep_tensor_chain_backprops():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


@pytest.mark.parametrize("kind", ["Value", "Tensor"])
def test_a_dropped_graph_is_freed_by_reference_counting_without_the_collector(kind):
    make = (lambda: Value(1.5)) if kind == "Value" else (lambda: Tensor(np.ones(3), requires_grad=True))
    x = make()
    base = sys.getrefcount(x)
    gc.disable()
    try:
        y = x
        for _ in range(100):
            y = (y * 0.5).tanh() + x  # x is referenced by every + node
        loss = y if kind == "Value" else y.sum()
        loss.backward()
        assert sys.getrefcount(x) > base + 50
        if kind == "Tensor":
            probe = weakref.ref(y.parents[0].data)  # an interior node's array, alive while the graph is
            assert probe() is not None
        del y, loss
        assert sys.getrefcount(x) == base  # every node that pointed at x is gone, with gc switched off
        if kind == "Tensor":
            assert probe() is None
    finally:
        gc.enable()


def test_a_dropped_graph_leaves_no_cyclic_garbage_for_the_collector():
    # No closures and no child links: a node refers only to its parents, its data and its op's class.
    gc.collect()
    gc.disable()
    try:
        v, t = Value(0.5), Tensor(np.ones((2, 2)), requires_grad=True)
        for _ in range(3):
            a = ((v * v).tanh() + 2 ** v).sigmoid()
            b = (t @ t.T + t[0]).softmax().log().mean()
            a.backward()
            b.backward()
            del a, b
        assert gc.collect() == 0
    finally:
        gc.enable()


# ---- detect_anomaly -----------------------------------------------------------------------------------------------

def test_detect_anomaly_is_off_by_default_and_restored():
    assert not autograd.mode.grad_mode.anomaly
    with detect_anomaly():
        assert autograd.mode.grad_mode.anomaly
        with detect_anomaly():
            pass
        assert autograd.mode.grad_mode.anomaly
    assert not autograd.mode.grad_mode.anomaly


def test_detect_anomaly_names_the_op_for_tensors_and_values_raise_anyway():
    with detect_anomaly(), np.errstate(over="ignore"):
        with pytest.raises(FloatingPointError, match=r"detect_anomaly: exp produced inf from operands of shape \(2,\)"):
            (Tensor([1.0, 2.0], requires_grad=True) * 1000).exp()
    with pytest.raises(OverflowError, match=r"exp: exp\(1000\.0\) overflows"):
        Value(1000.0).exp()  # a Value never holds nan or inf, with or without detect_anomaly


# ---- gradcheck itself --------------------------------------------------------------------------------------------

class WrongSquare(Op):
    """x^2 with a wrong derivative (x instead of 2x): gradcheck must catch it."""

    name = "wrongsquare"

    @staticmethod
    def forward(ctx, a):
        return a * a

    @staticmethod
    def backward(ctx, grad, out, a):
        return (grad * a,)


class Cube(Op):
    """A new op written the documented way: forward and derivative side by side."""

    name = "cube"

    @staticmethod
    def forward(ctx, a):
        return a ** 3

    @staticmethod
    def backward(ctx, grad, out, a):
        return (grad * 3 * a ** 2,)  # d(x^3)/dx = 3 x^2


def test_a_new_op_made_with_apply_backprops_and_gradchecks(rng):
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True, label="x")
    y = Tensor.apply(Cube, x)
    assert y.op == "cube" and y.parents == (x,)
    np.testing.assert_allclose(y.data, x.data ** 3)
    assert gradcheck(lambda t: Tensor.apply(Cube, t).sum() * 2, x)


def test_gradcheck_catches_a_wrong_derivative_and_names_the_input(rng):
    good = Tensor(rng.uniform(1, 2, (2, 2)), requires_grad=True, label="good")
    bad = Tensor(rng.uniform(1, 2, (3,)), requires_grad=True, label="W")
    with pytest.raises(GradcheckError, match=r"gradcheck failed for W at index \(\d,\): .*\(3 of 3 entries differ\)"):
        gradcheck(lambda a, b: a.sum() * Tensor.apply(WrongSquare, b), good, bad)
    assert good.grad is None and bad.grad is None  # gradcheck leaves the inputs' gradients as they were


def test_gradcheck_reduces_a_tensor_output_with_weights_so_every_entry_counts(rng):
    # a derivative wrong only in the second output entry is caught
    class WrongSecond(Op):
        name = "wrongsecond"

        @staticmethod
        def forward(ctx, a):
            return a * 1.0

        @staticmethod
        def backward(ctx, grad, out, a):
            return (grad * np.array([1.0, 0.0]),)

    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    with pytest.raises(GradcheckError, match=r"x at index \(1,\)"):
        gradcheck(lambda t: Tensor.apply(WrongSecond, t), x)


def test_gradcheck_rejects_unusable_tensor_inputs():
    with pytest.raises(ValueError, match=r"gradcheck: input 0 \(w\) needs requires_grad=True"):
        gradcheck(lambda t: t.sum(), Tensor([1.0], label="w"))
    with pytest.raises(ValueError, match=r"gradcheck: input 0 is float32; finite differences need float64"):
        gradcheck(lambda t: t.sum(), Tensor(np.ones(2, np.float32), requires_grad=True))


def test_gradcheck_keeps_accumulated_gradients_of_its_inputs():
    x = Value(2.0)
    (x * 3).backward()
    assert gradcheck(lambda v: v * v, x)
    assert x.grad == 3.0


def test_gradcheck_nudges_inputs_of_any_memory_layout(rng):
    a = rng.normal(size=(3, 4))
    x = Tensor(a.T, requires_grad=True)  # keeps the transpose's column-major layout
    assert not x.data.flags.c_contiguous
    assert gradcheck(lambda t: (t * t).sum(), x)
