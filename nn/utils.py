"""Gradient clipping, as `torch.nn.utils`: call between `backward()` and `optimizer.step()`."""
from __future__ import annotations

import math
from typing import Iterable, Union

import numpy as np

from circuitgrad.autograd import Tensor, Value
from circuitgrad.autograd.graph import Node

from .checks import flag, real
from .module import Module

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grads(parameters: Union[Node, Iterable[Node]], op: str) -> list:
    if isinstance(parameters, Module):
        raise TypeError(f"{op}: pass model.parameters(), not the {type(parameters).__name__} module itself")
    if not isinstance(parameters, Node) and not hasattr(parameters, "__iter__"):
        raise TypeError(f"{op}: parameters must be a Tensor, a Value or an iterable of them (model.parameters()), "
                        f"got {type(parameters).__name__} {parameters!r}")
    params = [parameters] if isinstance(parameters, Node) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, (Tensor, Value)):
            raise TypeError(f"{op}: parameter {i} is a {type(p).__name__}, not a Tensor or a Value")
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Union[Node, Iterable[Node]], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together so their joint norm is at most `max_norm`; returns the norm before.

    The norm is taken over all gradients as one vector (`norm_type` 2, 1, ... or inf). As
    PyTorch, the scale is max_norm / (norm + 1e-6), applied only when below 1, so max_norm=inf
    only measures the norm. Raises ValueError for a nan or inf norm when `error_if_nonfinite`,
    and for a nan or negative max_norm.
    """
    max_norm = real("clip_grad_norm_", "max_norm", max_norm, finite=False)
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be a number >= 0, got {max_norm!r}")
    norm_type = real("clip_grad_norm_", "norm_type", norm_type, low=0, low_open=True, finite=False)
    error_if_nonfinite = flag("clip_grad_norm_", "error_if_nonfinite", error_if_nonfinite)
    params = _with_grads(parameters, "clip_grad_norm_")
    if not params:
        return 0.0
    grads = [np.abs(np.asarray(p.grad, dtype=float)) for p in params]
    if norm_type == math.inf:
        total = max(float(g.max()) for g in grads)
    else:
        total = float(sum(float((g ** norm_type).sum()) for g in grads) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"clip_grad_norm_: the total gradient norm is {total}; the gradients hold nan or inf")
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in params:
            # A new array, never *=: a gradient array can be shared with other nodes or be read-only.
            p.grad = p.grad * (np.asarray(scale, p.grad.dtype) if isinstance(p, Tensor) else scale)
    return total


def clip_grad_value_(parameters: Union[Node, Iterable[Node]], clip_value: float) -> None:
    """Clip every gradient entry into [-clip_value, clip_value]; nan or a negative limit is a ValueError."""
    clip_value = real("clip_grad_value_", "clip_value", clip_value, finite=False)  # inf clips nothing, as PyTorch
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be a number >= 0, got {clip_value!r}")
    for p in _with_grads(parameters, "clip_grad_value_"):
        p.grad = np.clip(p.grad, -clip_value, clip_value) if isinstance(p, Tensor) else \
            min(max(p.grad, -clip_value), clip_value)
