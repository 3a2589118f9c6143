"""Module hooks behave as PyTorch's: what they see, their order, removal, changing args and output;
and the trace built on them is per thread and holds graphs only as long as the caller does."""
from __future__ import annotations

import gc
import sys
import threading
import tracemalloc

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor
from circuitgrad.nn import hooks


def script(t, log):
    """The same hooks on the same little net, for t = circuitgrad.nn or torch.nn: returns the net."""
    model = t.Sequential(t.Linear(2, 3), t.Tanh(), t.Linear(3, 1))
    tag = lambda name: (lambda module, *rest: log.append((name, type(module).__name__)))  # noqa: E731
    model[1].register_forward_hook(tag("post A"))
    model[1].register_forward_hook(tag("post B"))
    model[1].register_forward_hook(tag("post first"), prepend=True)
    model[1].register_forward_pre_hook(tag("pre A"))
    model[1].register_forward_pre_hook(tag("pre first"), prepend=True)
    model.register_forward_pre_hook(tag("outer pre"))
    model.register_forward_hook(tag("outer post"))
    gone = model[1].register_forward_hook(tag("removed"))
    gone.remove()
    gone.remove()  # twice is harmless
    return model


def test_hooks_run_in_pytorchs_order(torch):
    ours, theirs = [], []
    script(nn, ours)(Tensor(np.ones((1, 2))))
    script(torch.nn, theirs)(torch.ones(1, 2))
    assert ours == theirs == [("outer pre", "Sequential"), ("pre first", "Tanh"), ("pre A", "Tanh"),
                              ("post first", "Tanh"), ("post A", "Tanh"), ("post B", "Tanh"),
                              ("outer post", "Sequential")]


def test_hooks_see_the_args_and_output_and_can_replace_them(torch):
    results = []
    for t, tensor in ((nn, lambda a: Tensor(np.array(a, dtype=float))), (torch.nn, lambda a: torch.tensor(a).double())):
        model = t.Sequential(t.Identity(), t.ReLU(), t.Identity())
        seen = []
        model[1].register_forward_hook(lambda m, args, out: seen.append((len(args), float(args[0].sum()),
                                                                         float(out.sum()))))
        model[1].register_forward_pre_hook(lambda m, args: args[0] * 2)  # one value: the new single arg
        model[1].register_forward_hook(lambda m, args, out: out + 1)  # a new output, seen by the next layer
        model[1].register_forward_hook(lambda m, args, out: None)  # None keeps it
        out = model(tensor([[-1.0, 2.0]]))
        results.append((seen, out.tolist()))
    assert results[0] == results[1] == ([(1, 2.0, 4.0)], [[1.0, 5.0]])


def test_kwargs_hooks_and_a_hook_handle_as_a_context_manager():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    x = Tensor([1.0, 2.0])
    with m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 10.0}), with_kwargs=True):
        with m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["factor"], with_kwargs=True):
            assert m(x, factor=3.0).tolist() == [20.0, 30.0]
    assert m(x, factor=3.0).tolist() == [3.0, 6.0] and not m._forward_hooks and not m._forward_pre_hooks
    m.register_forward_pre_hook(lambda mod, args, kwargs: "no", with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple \(args, kwargs\), got str"):
        m(x)


def test_always_call_hooks_run_when_forward_raises(torch):
    logs = []
    for t in (nn, torch.nn):
        class Failing(t.Module):
            def forward(self, x):
                raise ValueError("boom")

        log = []
        m = Failing()
        m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
        m.register_forward_hook(lambda mod, args, out: log.append(("normal", out)))
        with pytest.raises(ValueError, match="boom"):
            m(1.0)
        logs.append(log)
    assert logs[0] == logs[1] == [("always", None)]


def test_global_hooks_run_first_for_every_module_and_are_removed():
    log = []
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    model[0].register_forward_hook(lambda m, a, o: log.append(("own", type(m).__name__)))
    handles = [nn.register_module_forward_pre_hook(lambda m, a: log.append(("all pre", type(m).__name__))),
               nn.register_module_forward_hook(lambda m, a, o: log.append(("all post", type(m).__name__)))]
    try:
        model(Tensor(np.ones((1, 2))))
    finally:
        for h in handles:
            h.remove()
    assert log == [("all pre", "Sequential"), ("all pre", "Linear"), ("all post", "Linear"), ("own", "Linear"),
                   ("all pre", "ReLU"), ("all post", "ReLU"), ("all post", "Sequential")]
    assert not hooks.global_forward_hooks and not hooks.global_forward_pre_hooks
    log.clear()
    model(Tensor(np.ones((1, 2))))
    assert log == [("own", "Linear")]


def test_a_hook_must_be_callable():
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be a function, got int"):
        nn.Linear(1, 1).register_forward_hook(3)
    with pytest.raises(TypeError, match="register_module_forward_pre_hook: the hook must be a function, got str"):
        nn.register_module_forward_pre_hook("print")


# ---- the trace: per thread, weak -----------------------------------------------------------------

def test_two_threads_trace_at_once_and_each_sees_only_its_own_calls():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so that their calls interleave
    models = {name: nn.Sequential(nn.Linear(2, 2), nn.Tanh()) for name in ("a", "b", "untraced")}
    start = threading.Barrier(3)
    found, errors = {}, []

    def run(name):
        try:
            start.wait()
            x = Tensor(np.ones((1, 2)))
            if name == "untraced":
                for _ in range(200):
                    models[name](x)
                return
            with nn.trace_modules() as trace:
                outs = [models[name](x) for _ in range(200)]
            found[name] = (trace, outs)
        except Exception as error:  # a failure inside a thread must fail the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in models]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors
    for name in ("a", "b"):
        trace, outs = found[name]
        assert {id(c.module) for c in trace.calls} == {id(m) for m in models[name].modules()}
        assert len(trace.calls) == 3 * 200 and all(trace.module_of(o) is models[name][1] for o in outs)
        assert all(c.parent is None or c.parent.module is models[name] for c in trace.calls)


def test_training_inside_a_trace_stays_flat_in_memory():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    loss_fn, opt = nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=1.0)
    X, y = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)), Tensor(np.array([[0], [1], [1], [0]], float))

    def steps(n):
        for _ in range(n):
            opt.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            opt.step()

    tracemalloc.start()
    try:
        with nn.trace_modules() as trace:
            steps(200)
            gc.collect()
            early = tracemalloc.get_traced_memory()[0]
            steps(800)
            gc.collect()
            late = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # Keeping each step's graph (as the trace did before it held nodes weakly) added 3.8 MB over 800 steps.
    assert late - early < 200_000, f"memory grew by {late - early} bytes over 800 steps inside a trace"
    assert len(trace.calls) <= 6 * 256 and len(trace) == 0
