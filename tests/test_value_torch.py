"""`Value` against PyTorch in float64: random composed expressions with reused nodes, every op,
and the accumulation rules (fresh graphs, and the same graph twice with retain_graph)."""
from __future__ import annotations

import math
import random

import pytest

from circuitgrad.autograd import Value


class ValueOps:
    """The functions whose spelling differs between a Value and a torch tensor."""

    @staticmethod
    def leaky_relu(x, slope):
        return x.leaky_relu(slope)

    @staticmethod
    def selu(x):
        return x.selu()


def torch_ops(torch):
    class TorchOps:
        @staticmethod
        def leaky_relu(x, slope):
            return torch.nn.functional.leaky_relu(x, slope)

        @staticmethod
        def selu(x):
            return torch.nn.functional.selu(x)
    return TorchOps


def both(torch, values):
    """The same leaves as Values and as float64 torch scalars that require grad."""
    ours = [Value(v, f"x{i}") for i, v in enumerate(values)]
    theirs = [torch.tensor(float(v), requires_grad=True) for v in values]
    return ours, theirs


def assert_same(torch, fn, values, rel=1e-10):
    """fn(ops, *leaves) gives the same value and the same leaf gradients for Value and torch."""
    ours, theirs = both(torch, values)
    out = fn(ValueOps, *ours)
    ref = fn(torch_ops(torch), *theirs)
    out.backward()
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=rel, abs=1e-12)
    for v, t in zip(ours, theirs):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=rel, abs=1e-12), v.label


# Ops that are defined everywhere (or made so), each taking the op table, two operands and a number.
SAFE_OPS = [
    lambda F, a, b, c: a + b,
    lambda F, a, b, c: a - b,
    lambda F, a, b, c: a * b,
    lambda F, a, b, c: a / (b * b + 1),
    lambda F, a, b, c: (a * a + 0.5) ** b.tanh(),          # Value ** Value, base > 0
    lambda F, a, b, c: a.tanh(),
    lambda F, a, b, c: a.sigmoid(),
    lambda F, a, b, c: a.relu() + b,
    lambda F, a, b, c: F.leaky_relu(a, 0.05),
    lambda F, a, b, c: F.selu(a),
    lambda F, a, b, c: a.tanh().exp(),
    lambda F, a, b, c: (a * a + 1).log(),
    lambda F, a, b, c: (b * b + 0.25).sqrt(),
    lambda F, a, b, c: a.abs() * c,
    lambda F, a, b, c: a + c,
    lambda F, a, b, c: c - a,
    lambda F, a, b, c: c / (a * a + 1),
    lambda F, a, b, c: a ** 2,
    lambda F, a, b, c: a.tanh() ** 3,
    lambda F, a, b, c: 2 ** a.tanh(),
    lambda F, a, b, c: -a,
]


def random_program(seed: int, n_leaves: int = 3, n_ops: int = 25):
    """A random expression DAG: each op picks operands among all earlier nodes, so many are reused."""
    r = random.Random(seed)
    steps = [(r.randrange(len(SAFE_OPS)), r.random(), r.random(), round(r.uniform(-2, 2), 3))
             for _ in range(n_ops)]

    def fn(F, *leaves):
        nodes = list(leaves)
        for op, i, j, c in steps:
            a, b = nodes[int(i * len(nodes))], nodes[int(j * len(nodes))]
            nodes.append(SAFE_OPS[op](F, a, b, c))
        out = nodes[-1]
        for node in nodes[-4:-1]:  # several outputs feed the loss, so gradients meet on the way back
            out = out + node.tanh()
        return out

    leaves = [round(r.uniform(-1.5, 1.5), 3) for _ in range(n_leaves)]
    return fn, leaves


@pytest.mark.parametrize("seed", range(30))
def test_random_composed_expression_matches_torch(torch, seed):
    fn, leaves = random_program(seed)
    assert_same(torch, fn, leaves)


@pytest.mark.parametrize("name, fn, at", [
    ("(x+y)*z", lambda F, x, y, z: (x + y) * z, [-2.0, 5.0, -4.0]),
    ("neuron primitives", lambda F, w0, x0, w1, x1, w2: 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()),
     [2.0, -1.0, -3.0, -2.0, -3.0]),
    ("neuron fused", lambda F, w0, x0, w1, x1, w2: (w0 * x0 + w1 * x1 + w2).sigmoid(), [2.0, -1.0, -3.0, -2.0, -3.0]),
    ("1/v", lambda F, v: 1 / v, [-0.7]),
    ("2**v", lambda F, v: 2 ** v, [1.3]),
    ("v**0.5", lambda F, v: v ** 0.5, [2.2]),
    ("3-v", lambda F, v: 3 - v, [0.4]),
    ("v/3", lambda F, v: v / 3, [0.4]),
    ("v**-2", lambda F, v: v ** -2, [-1.4]),
    ("a**b", lambda F, a, b: a ** b, [1.7, -0.8]),
    ("a/b", lambda F, a, b: a / b, [1.7, -0.8]),
    ("exp log", lambda F, a: a.exp() + (a * 3).log(), [0.9]),
    ("relu at 0", lambda F, a: (a * 0).relu() + a.relu(), [0.0]),
    ("abs at 0", lambda F, a: a.abs(), [0.0]),
    ("leaky_relu at 0 and below", lambda F, a, b: F.leaky_relu(a, 0.2) + F.leaky_relu(b, 0.3), [0.0, -1.0]),
    ("selu at 0 and below", lambda F, a, b: F.selu(a) * F.selu(b), [0.0, -0.6]),
    ("sigmoid far out", lambda F, a, b: a.sigmoid() + b.sigmoid(), [40.0, -40.0]),
    ("reused leaf", lambda F, a: a * a * a + a.tanh() * a, [0.8]),
    ("a ** 0 at 0", lambda F, a: a ** 0 + a, [0.0]),
])
def test_op_matches_torch(torch, name, fn, at):
    assert_same(torch, fn, at)


def test_reused_interior_node_matches_torch(torch):
    def fn(F, a, b):
        h = (a * b + 1).tanh()   # one node feeding four uses
        return h * h + h * a - h / (b * b + 1) + h.sigmoid()
    assert_same(torch, fn, [0.3, -1.2])


def test_accumulation_over_fresh_graphs_matches_torch(torch):
    (x, y), (tx, ty) = both(torch, [0.5, -1.5])
    for _ in range(3):  # three forward/backward passes without resetting, as in PyTorch
        (x * y + x.tanh()).backward()
        (tx * ty + tx.tanh()).backward()
    assert (x.grad, y.grad) == pytest.approx((tx.grad.item(), ty.grad.item()), rel=1e-12)
    x.grad = 0.0
    tx.grad = None
    (x * y).backward()
    (tx * ty).backward()
    assert (x.grad, y.grad) == pytest.approx((tx.grad.item(), ty.grad.item()), rel=1e-12)


def test_backward_twice_on_the_same_graph_matches_torch_retain_graph(torch):
    (x, y), (tx, ty) = both(torch, [0.5, -1.5])
    f = (x * y).exp() * x
    tf = (tx * ty).exp() * tx
    f.backward()
    f.backward()
    tf.backward(retain_graph=True)
    tf.backward()
    assert (x.grad, y.grad) == pytest.approx((tx.grad.item(), ty.grad.item()), rel=1e-12)
    # d/dx [x e^(xy)] = e^(xy) (1 + xy), counted twice
    assert x.grad == pytest.approx(2 * math.exp(x.data * y.data) * (1 + x.data * y.data), rel=1e-12)
