"""Normalization's formulas: `F.batch_norm` (which `nn.BatchNorm1d`/`2d` in `regularization.py`
call), and `LayerNorm` and `RMSNorm` with their functional forms.

BatchNorm normalizes each channel over the batch; LayerNorm and RMSNorm normalize each sample
over its own features, so they work the same in training and evaluation, on a batch of one and on
one token of a sequence: the normalization of transformers.

- batch_norm: training: x_hat = (x - mean_batch) / sqrt(var_batch + eps) (biased variance), and
  running = (1 - momentum) * running + momentum * batch (unbiased variance, in place);
  evaluation: x_hat = (x - running_mean) / sqrt(running_var + eps); out = x_hat * weight + bias
  (per channel, dim 1).

- LayerNorm (Ba et al. 2016): y = (x - mean) / sqrt(var + eps) * weight + bias, the mean and the
  biased variance taken over the last `len(normalized_shape)` dims.
- RMSNorm (Zhang & Sennrich 2019; microgpt and LLaMA use it): y = x / sqrt(mean(x^2) + eps) * weight,
  no centring and no bias.

All three are written from primitive ops (mean, var, sqrt, division), so a diagram shows every
step and the derivatives, second ones included, come from the op table (through the batch
statistics too).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from circuitgrad.autograd import Tensor

from .checks import as_tensor, float_dtype, real
from .module import Module, Parameter
from circuitgrad.autograd.checks import is_int

Shape = Union[int, Sequence[int]]


def _normalized_shape(owner: str, shape: Any) -> tuple:
    """`normalized_shape` as a tuple of positive ints (an int is one dim, as in PyTorch)."""
    dims = (shape,) if is_int(shape) else shape
    try:
        dims = tuple(dims)
    except TypeError:
        raise TypeError(f"{owner}: normalized_shape must be an int or a tuple of ints, got {shape!r}") from None
    if not dims or any(not is_int(d) or d < 1 for d in dims):
        raise ValueError(f"{owner}: normalized_shape must be positive ints, like 16 or (4, 16), got {shape!r}")
    return tuple(int(d) for d in dims)


def _check_input(owner: str, x: Tensor, dims: tuple) -> tuple:
    """The axes to normalize over; raises naming the shapes when x does not end in `dims`."""
    if x.dtype.kind != "f":
        raise TypeError(f"{owner}: expected a float input, got dtype {x.dtype}")
    if x.ndim < len(dims) or x.shape[-len(dims):] != dims:
        raise ValueError(f"{owner}: expected an input whose last dims are normalized_shape {dims}, "
                         f"got shape {x.shape}")
    return tuple(range(x.ndim - len(dims), x.ndim))


def _affine(owner: str, y: Tensor, weight: Any, bias: Any, dims: tuple) -> Tensor:
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(np.shape(getattr(p, "data", p))) != dims:
            raise ValueError(f"{owner}: {name} must have shape {dims} (normalized_shape), "
                             f"got {tuple(np.shape(getattr(p, 'data', p)))}")
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def layer_norm(input: Any, normalized_shape: Shape, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """PyTorch's `F.layer_norm`: each sample minus its mean, over its standard deviation, over the
    last dims given by `normalized_shape`; then times `weight` plus `bias` when given.
    Raises ValueError when the input does not end in `normalized_shape`."""
    return _layer_norm("layer_norm", input, normalized_shape, weight, bias, eps)


def _layer_norm(owner: str, input: Any, normalized_shape: Shape, weight: Any, bias: Any, eps: float) -> Tensor:
    dims = _normalized_shape(owner, normalized_shape)
    x = as_tensor(input, owner)
    axes = _check_input(owner, x, dims)
    eps = real(owner, "eps", eps, low=0.0, low_open=True)
    mean = x.mean(dim=axes, keepdim=True)
    var = x.var(dim=axes, keepdim=True, correction=0)  # the biased variance, as PyTorch
    return _affine(owner, (x - mean) / (var + eps).sqrt(), weight, bias, dims)


def rms_norm(input: Any, normalized_shape: Shape, weight: Any = None, eps: Optional[float] = None) -> Tensor:
    """PyTorch's `F.rms_norm`: each sample over the root of its mean square, over the last dims
    given by `normalized_shape`, then times `weight` when given. `eps=None` is the machine epsilon
    of the input's dtype (PyTorch's default); microgpt uses 1e-5."""
    return _rms_norm("rms_norm", input, normalized_shape, weight, eps)


def _rms_norm(owner: str, input: Any, normalized_shape: Shape, weight: Any, eps: Optional[float]) -> Tensor:
    dims = _normalized_shape(owner, normalized_shape)
    x = as_tensor(input, owner)
    axes = _check_input(owner, x, dims)
    eps = float(np.finfo(x.dtype).eps) if eps is None else real(owner, "eps", eps, low=0.0, low_open=True)
    mean_square = (x * x).mean(dim=axes, keepdim=True)
    return _affine(owner, x / (mean_square + eps).sqrt(), weight, None, dims)


class LayerNorm(Module):
    """Normalize each sample over its last dims (`normalized_shape`), then scale and shift by learned
    `weight` (ones) and `bias` (zeros), one per normalized entry. PyTorch's `nn.LayerNorm`.

    Input (..., *normalized_shape): a batch of vectors (N, D), or of sequences (N, T, D) with
    `normalized_shape=D` normalizing each token. Raises ValueError for an input that does not end
    in `normalized_shape`.
    """

    def __init__(self, normalized_shape: Shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape("LayerNorm", normalized_shape)
        self.eps = real("LayerNorm", "eps", eps, low=0.0, low_open=True)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = float_dtype("LayerNorm", dtype)
        self.weight = Parameter(np.ones(self.normalized_shape), label="weight", dtype=dtype) \
            if self.elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape), label="bias", dtype=dtype) \
            if self.elementwise_affine and bias else None

    def forward(self, x: Any) -> Tensor:
        return _layer_norm("LayerNorm", x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class RMSNorm(Module):
    """Divide each sample by the root of its mean square over its last dims (`normalized_shape`),
    then scale by a learned `weight` (ones). PyTorch's `nn.RMSNorm`; `eps=None` is the machine
    epsilon of the input's dtype, as in PyTorch. microgpt's `rmsnorm` is `RMSNorm(d, eps=1e-5,
    elementwise_affine=False)`.
    """

    def __init__(self, normalized_shape: Shape, eps: Optional[float] = None, elementwise_affine: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape("RMSNorm", normalized_shape)
        self.eps = None if eps is None else real("RMSNorm", "eps", eps, low=0.0, low_open=True)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = float_dtype("RMSNorm", dtype)
        self.weight = Parameter(np.ones(self.normalized_shape), label="weight", dtype=dtype) \
            if self.elementwise_affine else None

    def forward(self, x: Any) -> Tensor:
        return _rms_norm("RMSNorm", x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


# ---- batch normalization ------------------------------------------------------------------

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
