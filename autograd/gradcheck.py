"""Check backprop against the definition of a derivative: (f(x + h) - f(x - h)) / 2h."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .graph import Node
from .mode import no_grad
from .tensor import Tensor
from .value import Value


class GradcheckError(AssertionError):
    """Backward and finite-difference gradients disagree; the message names each input."""


def _scalar(out: Any, weights: Any) -> float:
    """The number a gradient check differentiates: the output itself, or a fixed weighted sum."""
    if isinstance(out, Value):
        return out.data
    return float(np.sum(out.data * weights))


def gradcheck(fn: Callable[..., Node], *inputs: Node, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0) -> bool:
    """Compare `fn`'s backward gradients for each input with central finite differences.

    Inputs are Values or float64 Tensors with `requires_grad=True`. A Tensor output with
    more than one entry is reduced to `sum(out * w)` with fixed random weights `w`, so every
    entry's gradient is checked. Returns True, or raises GradcheckError naming every input
    whose gradients disagree (with the worst entry), and ValueError for unusable inputs.
    """
    if not inputs:
        raise ValueError("gradcheck: give at least one input")
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            if not x.requires_grad:
                raise ValueError(f"gradcheck: input {i} ({x.label or 'unnamed'}) needs requires_grad=True")
            if x.dtype != np.float64:
                raise ValueError(f"gradcheck: input {i} is {x.dtype}; finite differences need float64")
        elif not isinstance(x, Value):
            raise TypeError(f"gradcheck: input {i} is a {type(x).__name__}, not a Value or Tensor")

    out = fn(*inputs)
    if not isinstance(out, Node):
        raise TypeError(f"gradcheck: fn must return a Value or a Tensor, got {type(out).__name__}")
    weights = None
    if isinstance(out, Tensor):
        weights = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape)

    saved = [x.grad for x in inputs]
    for x in inputs:
        x.grad = x._grad_init
    out.backward(None if weights is None else weights)
    analytic = [np.zeros_like(np.asarray(x.data, float)) if x.grad is None else np.array(x.grad, float)
                for x in inputs]
    for x, g in zip(inputs, saved):
        x.grad = g

    problems = []
    with no_grad():
        for i, x in enumerate(inputs):
            numeric = _finite_difference(fn, inputs, x, weights, eps)
            diff = np.abs(numeric - analytic[i])
            bad = diff > atol + rtol * np.abs(numeric)
            if np.any(bad):
                worst = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
                name = x.label or f"input {i}"
                where = f" at index {tuple(int(k) for k in worst)}" if worst else ""
                problems.append(f"{name}{where}: backward gives {analytic[i][worst]:.6g}, "
                                f"finite differences give {numeric[worst]:.6g} ({int(bad.sum())} of {bad.size} entries differ)")
    if problems:
        raise GradcheckError("gradcheck failed for " + "; ".join(problems))
    return True


def _finite_difference(fn: Callable, inputs: tuple, x: Node, weights: Any, eps: float) -> np.ndarray:
    if isinstance(x, Value):
        x0 = x.data
        x.data = x0 + eps
        up = _scalar(fn(*inputs), weights)
        x.data = x0 - eps
        down = _scalar(fn(*inputs), weights)
        x.data = x0
        return np.asarray((up - down) / (2 * eps))
    numeric = np.zeros(x.shape)
    data = x.data  # nudged in place by index, so any memory layout (a transpose, a slice) works
    for k in np.ndindex(*x.shape):
        x0 = data[k]
        data[k] = x0 + eps
        up = _scalar(fn(*inputs), weights)
        data[k] = x0 - eps
        down = _scalar(fn(*inputs), weights)
        data[k] = x0
        numeric[k] = (up - down) / (2 * eps)
    return numeric
