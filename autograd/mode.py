"""Grad mode, per thread: `no_grad`, `enable_grad`, `detect_anomaly`, and the `recording` hook.

PyTorch's grad mode is thread-local, and so is this: `no_grad()` in one thread leaves every
other thread recording. Making a node asks one question first, "is anything unusual on?":
`switched.count`, how many switches are on in any thread. While none is (training, as a rule),
the node is recorded with no thread-local read at all; otherwise `make` reads this thread's
switches, so each thread still gets its own mode.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator


class _GradMode(threading.local):
    """Per-thread switches, documented as `no_grad()` and `detect_anomaly()`; `recorders` are
    the callbacks of `recording()`."""

    enabled = True
    anomaly = False
    recorders: tuple = ()


grad_mode = _GradMode()


class _Switched:
    """How many switches (`no_grad`, `enable_grad`, `detect_anomaly`, `recording`) are on in any
    thread. While none is, every thread records with no one watching, so building a node need
    not read the thread-local state: reading it costs about a tenth of making a Value."""

    count = 0


switched = _Switched()
_switch_lock = threading.Lock()


def _count(step: int) -> None:
    with _switch_lock:
        switched.count += step


@contextlib.contextmanager
def _switch(name: str, value: Any) -> Iterator[None]:
    previous = getattr(grad_mode, name)
    _count(1)
    setattr(grad_mode, name, value)
    try:
        yield
    finally:
        setattr(grad_mode, name, previous)
        _count(-1)


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
    previous = grad_mode.recorders
    _count(1)
    grad_mode.recorders = previous + (callback,)
    try:
        yield
    finally:
        grad_mode.recorders = previous
        _count(-1)


def created(node: Any) -> None:
    """Show a new node to the callbacks of `recording()` (leaves call this; `make` does for results)."""
    if switched.count:
        for callback in grad_mode.recorders:
            callback(node)
