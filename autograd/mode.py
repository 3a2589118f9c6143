"""Grad mode, per thread: `no_grad`, `enable_grad`, `detect_anomaly`, and the `recording` hook.

PyTorch's grad mode is thread-local, and so is this: `no_grad()` in one thread leaves every
other thread recording. Making a node reads one flag of this thread, `grad_mode.usual`: True
while no switch is on here (record the graph, check nothing, no one is watching), so the
ordinary node reads nothing else. Each switch sets it when it turns on and when it turns off.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator


class _GradMode(threading.local):
    """Per-thread switches, documented as `no_grad()` and `detect_anomaly()`; `recorders` are
    the callbacks of `recording()`; `usual` is True while all three are as they start."""

    enabled = True
    anomaly = False
    recorders: tuple = ()
    usual = True


grad_mode = _GradMode()


@contextlib.contextmanager
def _switch(name: str, value: Any) -> Iterator[None]:
    previous = getattr(grad_mode, name)
    _set(name, value)
    try:
        yield
    finally:
        _set(name, previous)


def _set(name: str, value: Any) -> None:
    setattr(grad_mode, name, value)
    usual = grad_mode.enabled and not grad_mode.anomaly and not grad_mode.recorders
    if usual:
        # Back to the class's default: a thread-local read of a class attribute is faster than
        # of one set on this thread (about 80 ns against 130, timeit), and every node makes one.
        grad_mode.__dict__.pop("usual", None)
    else:
        grad_mode.usual = False


def no_grad() -> contextlib.AbstractContextManager:
    """Build no graph inside the block (in this thread): for evaluation and optimizer updates."""
    return _switch("enabled", False)


def enable_grad() -> contextlib.AbstractContextManager:
    """Build graphs again inside a `no_grad()` block."""
    return _switch("enabled", True)


def is_grad_enabled() -> bool:
    """True when ops record a graph in this thread (outside `no_grad()`)."""
    return grad_mode.enabled


def detect_anomaly() -> contextlib.AbstractContextManager:
    """Raise at the first op whose forward result holds a nan or an inf, naming the op.

    Numpy semantics (nan and inf allowed) are the default because checking every result
    costs a pass over the data.
    """
    return _switch("anomaly", True)


@contextlib.contextmanager
def recording(callback: Callable[[Any], None]) -> Iterator[None]:
    """Call `callback(node)` for every node created in this thread inside the block: each op's
    result and each leaf (`Value(...)`, `Tensor(...)`, the constants an op lifts).

    This is the hook `nn.trace_modules()` uses to learn which module made which node;
    autograd itself knows nothing about modules.
    """
    with _switch("recorders", grad_mode.recorders + (callback,)):
        yield


def created(node: Any) -> None:
    """Show a new node to the callbacks of `recording()` (leaves call this; `make` does for results)."""
    if not grad_mode.usual:
        for callback in grad_mode.recorders:
            callback(node)
