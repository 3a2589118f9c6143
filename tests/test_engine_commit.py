"""Issue 24: the leaves are updated after the walk, all or nothing, and keep an array without a
copy unless another node of the pass holds it; the order of a pass is the order of creation."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad.autograd import Op, Tensor, Value, topological_order


class Interrupted(Op):
    """Ctrl-C while this op's derivative runs, in the middle of the backward walk."""

    name = "interrupted"
    derivative = "x: (Ctrl-C)"

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def scalar(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad, out, x):
        raise KeyboardInterrupt


def test_ctrl_c_in_the_middle_of_the_walk_changes_no_leaf_and_no_interior_node():
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.grad = np.array([5.0, 5.0])
    h = w * 3.0
    loss = (h * 2.0).sum() + Tensor.apply(Interrupted, w).sum()
    with pytest.raises(KeyboardInterrupt):
        loss.backward()
    np.testing.assert_array_equal(w.grad, [5.0, 5.0])
    assert h.grad is None and loss.grad is None  # the walk had reached h before the interrupt
    x = Value(2.0)
    f = x * 3 + Value.apply(Interrupted, x)
    with pytest.raises(KeyboardInterrupt):
        f.backward()
    assert x.grad == 0.0


def test_a_failing_op_leaves_every_value_leaf_as_it_was():
    a, b = Value(1.0), Value(-1.0)
    a.grad, b.grad = 0.5, 0.25
    g = a * b + (b - b).sqrt()  # sqrt's slope at 0 is infinite: its backward raises, after a * b's ran
    with pytest.raises(ValueError, match="sqrt"):
        g.backward()
    assert (a.grad, b.grad) == (0.5, 0.25)


def test_a_leaf_keeps_its_gradient_array_unless_another_node_holds_it():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    c = Tensor([5.0, 6.0], requires_grad=True)
    s = a + b  # `+` sends one array to both inputs: each leaf keeps a copy
    (s * c).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad *= 2.0
    np.testing.assert_array_equal(b.grad, [5.0, 6.0])
    np.testing.assert_array_equal(c.grad, [4.0, 6.0])
    assert c.grad.data.base is None and c.grad.data.flags.writeable


def test_the_order_of_a_pass_is_the_order_of_creation_even_after_an_inplace_change():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h *= 3.0  # h now stands for the new value: made from a hidden node (the old h), so numbered after it
    order = topological_order(h, leaves=False)
    assert order[-1] is h and len(order) == 2 and order[0] in h.parents
    h.sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
