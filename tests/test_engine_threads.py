"""Issue 23: nothing lost and nothing leaked in a backward pass. Two threads backpropagating through
one shared interior node keep their numbers apart (each pass sums its gradients in its own dict);
Ctrl-C while the leaves are being updated leaves all of them or none changed; scalar training with
the cyclic collector switched off holds no memory from one step to the next."""
from __future__ import annotations

import gc
import random
import sys
import threading
import tracemalloc

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value


@pytest.fixture
def short_switch_interval():
    """Let the interpreter switch threads after (almost) every bytecode, so races show at once."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def _in_threads(n: int, work) -> None:
    start = threading.Barrier(n)
    errors = []

    def run():
        try:
            start.wait()
            work()
        except BaseException as e:  # noqa: BLE001 - the test reports it below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_four_threads_through_a_shared_tensor_node_give_the_sequential_gradient(short_switch_interval):
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(8, 5)))
    W = Tensor(rng.normal(size=(5, 6)), requires_grad=True)
    k = Tensor(rng.normal(size=(8, 6)))
    h = (x @ W).tanh()
    for _ in range(4):
        (h * k).sum().backward()
    expected = W.grad.clone()
    for trial in range(8):
        W.grad = None
        _in_threads(4, lambda: (h * k).sum().backward())
        np.testing.assert_allclose(W.grad, expected, rtol=1e-12, err_msg=f"trial {trial}")
    np.testing.assert_allclose(h.grad, k.data)  # the diagrams still see a pass's gradient on h


def test_four_threads_through_a_shared_value_node_give_the_sequential_gradient(short_switch_interval):
    ws = [Value(0.1 * i - 0.3) for i in range(6)]
    h = sum(w * w for w in ws).tanh() * 1.0  # the node every thread's graph goes through

    def work():
        for _ in range(5):
            (h * 3.0 + h * h).backward()

    for _ in range(4):
        work()
    expected = [w.grad for w in ws]
    for trial in range(8):
        for w in ws:
            w.grad = 0.0
        _in_threads(4, work)
        assert [w.grad for w in ws] == pytest.approx(expected, rel=1e-12), f"trial {trial}"


class _Interrupt:
    """A trace function that raises KeyboardInterrupt at the n-th line run inside the engine's
    commit, as Ctrl-C would between two bytecodes."""

    def __init__(self, n: int) -> None:
        self.left = n
        self.fired = False

    def __call__(self, frame, event, arg):
        if frame.f_code.co_name in ("_commit", "_accumulated", "_accumulate") or frame.f_back is not None and \
                frame.f_back.f_code.co_name == "_commit":
            frame.f_trace_lines = True
            if event == "line":
                self.left -= 1
                if self.left == 0:
                    self.fired = True
                    raise KeyboardInterrupt
            return self
        return None


@pytest.mark.parametrize("kind", ["Tensor", "Value"])
def test_ctrl_c_during_the_leaf_update_changes_all_leaves_or_none(kind):
    rnd = random.Random(1)
    if kind == "Tensor":
        leaves = [Tensor(np.ones(2), requires_grad=True) for _ in range(6)]
        loss = sum((leaf * 2.0).sum() for leaf in leaves)
        def grads(): return [None if leaf.grad is None else leaf.grad[0] for leaf in leaves]
    else:
        leaves = [Value(1.0) for _ in range(6)]
        loss = sum(leaf * 2.0 for leaf in leaves)
        def grads(): return [leaf.grad for leaf in leaves]
    before = grads()
    interrupted = 0
    for _ in range(40):
        trace = _Interrupt(rnd.randint(1, 40))
        sys.settrace(trace)
        try:
            loss.backward()
        except KeyboardInterrupt:
            pass
        finally:
            sys.settrace(None)
        after = grads()
        if trace.fired:
            interrupted += 1
        assert after == before or all(a != b for a, b in zip(after, before)), f"half a step: {after}"
        before = after
    assert interrupted >= 10  # the interrupts really landed inside the commit


def test_scalar_training_with_the_collector_off_holds_no_memory_from_step_to_step():
    random.seed(0)
    model = nn.MLP(2, [4, 4, 1])
    opt = nn.optim.SGD(model.parameters(), lr=0.05)
    xs = [[random.uniform(-1, 1), random.uniform(-1, 1)] for _ in range(4)]
    ys = [1.0 if a * b > 0 else -1.0 for a, b in xs]

    def step():
        scores = [model(x) for x in xs]
        loss = sum((1 + -y * s).relu() for y, s in zip(ys, scores)) * (1.0 / len(xs))
        opt.zero_grad()
        loss.backward()
        opt.step()

    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        for _ in range(30):
            step()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            step()
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
        gc.enable()
    assert grown < 10_000, f"1,000 steps kept {grown:,} bytes"
