"""`F.batch_norm`, PyTorch's functional batch normalization, which `nn.BatchNorm1d` and
`nn.BatchNorm2d` call: one formula for the layers and the function.

    training:   x_hat = (x - mean_batch) / sqrt(var_batch + eps)     (biased variance)
                running = (1 - momentum) * running + momentum * batch  (unbiased variance, in place)
    evaluation: x_hat = (x - running_mean) / sqrt(running_var + eps)
    out = x_hat * weight + bias                                       (per channel, dim 1)

Composed of primitive ops (mean, var, sqrt, divide), so a diagram shows each step and the
gradient through the batch statistics is the chain rule through them.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from circuitgrad.autograd import Tensor

from .checks import as_tensor


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Optional[Tensor] = None,
               bias: Optional[Tensor] = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dim 1) of `input` (N, C, ...) over every other dim, as
    `torch.nn.functional.batch_norm`. With `training=True` the batch's statistics are used and
    `running_mean`/`running_var` (arrays or Tensors, or None) are updated in place; otherwise
    the running statistics are used. Raises ValueError for an input of fewer than 2 dims, for
    statistics or weights of another size than C, for one value per channel in training, and
    for missing running statistics in evaluation."""
    op = "batch_norm"
    x = as_tensor(input, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input of shape (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and np.shape(t.data if isinstance(t, Tensor) else t) != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},), one entry per channel, "
                             f"got {np.shape(t.data if isinstance(t, Tensor) else t)}")
    axes = (0,) + tuple(range(2, x.ndim))  # every dim but the channels
    shape = (c,) + (1,) * (x.ndim - 2)  # broadcasts per channel
    if training:
        count = x.numel() // c
        if count < 2:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got input of shape "
                             f"{x.shape}")
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True, correction=0)  # normalizing uses the biased variance, as PyTorch
        _update(running_mean, mean.data.reshape(-1), momentum)
        _update(running_var, var.data.reshape(-1) * count / (count - 1), momentum)  # the unbiased one is kept
        x_hat = (x - mean) / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: running_mean and running_var must be given when training=False")
        mean = _array(running_mean).reshape(shape).astype(x.dtype)
        std = np.sqrt(_array(running_var) + eps).reshape(shape).astype(x.dtype)
        x_hat = (x - mean) / std
    if weight is not None:
        x_hat = x_hat * (weight if x.ndim == 2 else weight.reshape(shape))
    if bias is not None:
        x_hat = x_hat + (bias if x.ndim == 2 else bias.reshape(shape))
    return x_hat


def _array(stat: Any) -> np.ndarray:
    return stat.data if isinstance(stat, Tensor) else np.asarray(stat)


def _update(running: Any, batch: np.ndarray, momentum: float) -> None:
    """running = (1 - momentum) running + momentum batch, written into the same array."""
    if running is None:
        return
    target = running.data if isinstance(running, Tensor) else running
    if not isinstance(target, np.ndarray):
        raise TypeError(f"batch_norm: running statistics must be arrays or Tensors to update in place, "
                        f"got {type(running).__name__}")
    target[...] = (1 - momentum) * target + momentum * batch


__all__ = ["batch_norm"]
