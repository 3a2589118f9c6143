"""Layers that behave differently while training: `Dropout`, `Dropout2d`, `BatchNorm1d`,
`BatchNorm2d` and `DropConnect`.

Both follow `module.training`: call `model.eval()` before evaluating and `model.train()`
before training again.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from circuitgrad.autograd import Tensor

from . import functional as F
from .checks import drop_probability, float_dtype
from .convolution import dropout2d
from .layers import _positive_int
from .module import Module, Parameter
from .normalization import batch_norm


class Dropout(Module):
    """While training, zero each entry with probability p and scale the survivors by 1/(1 - p).

    Scaling during training (inverted dropout) keeps each unit's expected value the same,
    so evaluation is the identity. The mask comes from numpy's global RNG. Raises
    ValueError for p outside [0, 1).
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = drop_probability("Dropout", p)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Normalize each feature over the batch, then scale by `weight` and shift by `bias`.

    Input (N, C) or (N, C, L). Training uses the batch's mean and biased variance and
    updates `running_mean` and `running_var` (with the unbiased variance, as PyTorch):
    running = (1 - momentum) * running + momentum * batch; momentum=None averages all
    batches seen. Evaluation uses the running statistics. Raises ValueError for an input
    of the wrong rank or feature count, and for a single value per feature in training.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _positive_int(name, "num_features", num_features)
        if not eps > 0:
            raise ValueError(f"{name}: eps must be positive, got {eps!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum!r}")
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = float_dtype(name, dtype)
        if self.affine:
            self.weight = Parameter(np.ones(num_features), label="weight", dtype=dtype)
            self.bias = Parameter(np.zeros(num_features), label="bias", dtype=dtype)
        else:
            self.weight = self.bias = None
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    # (accepted input ranks, layout for messages); BatchNorm2d overrides these
    _ranks, _layout = (2, 3), "(N, {c}) or (N, {c}, L)"

    def forward(self, x: Any) -> Tensor:
        name = type(self).__name__
        x = F.as_tensor(x, name)
        if x.ndim not in self._ranks or x.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected input of shape "
                             f"{self._layout.format(c=self.num_features)}, got shape {x.shape}")
        if self.training or not self.track_running_stats:
            count = x.numel() // self.num_features
            if count < 2:
                raise ValueError(f"{name}({self.num_features}): expected more than 1 value per feature "
                                 f"when training, got input of shape {x.shape}")
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked[...] += 1
            if momentum is None:  # a cumulative average of every batch seen
                momentum = 1.0 / float(self.num_batches_tracked)
        tracked = self.track_running_stats
        return batch_norm(x, self.running_mean if tracked else None, self.running_var if tracked else None,
                          self.weight, self.bias, self.training or not tracked, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm2d(BatchNorm1d):
    """BatchNorm for images (N, C, H, W): each channel normalized over the batch and all its pixels.

    Same arguments, statistics and running averages as BatchNorm1d (and PyTorch's BatchNorm2d).
    """

    _ranks, _layout = (4,), "(N, {c}, H, W)"


class Dropout2d(Module):
    """While training, zero whole channels (feature maps) with probability p; see `F.dropout2d`."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = drop_probability("Dropout2d", p)

    def forward(self, x: Any) -> Tensor:
        return dropout2d(x, self.p, self.training, op="Dropout2d")

    def extra_repr(self) -> str:
        return f"p={self.p}"


class DropConnect(Module):
    """Wrap a layer so that, while training, each of its weights is dropped with probability p.

    Dropout zeroes units (whole outputs); DropConnect (Wan et al., 2013) zeroes single
    connections: each forward pass draws a fresh mask over `module.weight` (numpy's global
    RNG), uses weight * mask / (1 - p), and leaves the stored weight untouched, so the
    gradient reaches only the weights that were kept. The survivors are scaled as in inverted
    dropout, so evaluation simply uses the weights (the paper's sampling at test time is not
    done). Works for any layer with a `weight` parameter (Linear, Conv2d). Raises ValueError
    for p outside [0, 1) and for a module without a weight.
    """

    def __init__(self, module: Module, p: float = 0.5, name: str = "weight") -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DropConnect: expected a layer (Module) to wrap, got {type(module).__name__}")
        drop_probability("DropConnect", p)
        if not isinstance(module._parameters.get(name), Tensor):
            raise ValueError(f"DropConnect: {type(module).__name__} has no Tensor parameter {name!r} to drop "
                             f"(its parameters: {list(module._parameters) or 'none'})")
        self.module, self.p, self.name = module, float(p), name

    def forward(self, *args: Any) -> Any:
        if not self.training or self.p == 0.0:
            return self.module(*args)
        weight = self.module._parameters[self.name]
        keep = np.random.random_sample(weight.shape) >= self.p
        dropped = weight * (keep / (1.0 - self.p)).astype(weight.dtype)
        # Swap the masked weight in for this call only; the registered parameter stays the same.
        object.__setattr__(self.module, self.name, dropped)
        try:
            return self.module(*args)
        finally:
            object.__setattr__(self.module, self.name, weight)

    def extra_repr(self) -> str:
        return f"p={self.p}" + (f", name={self.name!r}" if self.name != "weight" else "")
