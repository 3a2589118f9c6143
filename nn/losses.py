"""Loss functions as modules, with PyTorch's names, arguments and formulas.

Each is called as `loss_fn(input, target)` and reduces with `reduction="mean"` (default),
`"sum"` or `"none"` (one loss per entry). The math is in `nn.functional`.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from circuitgrad.autograd.graph import Node

from . import functional as F
from .checks import real
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F.check_reduction(reduction, type(self).__name__)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""

    def _weight_buffer(self, name: str, weight: Any) -> None:
        """A class or entry weight is a buffer, as in PyTorch: in state_dict(), never learned; None is no buffer."""
        array = _weight(type(self).__name__, weight)
        if array is None:
            setattr(self, name, None)
        else:
            self.register_buffer(name, array)


def _weight(owner: str, weight: Any) -> Optional[np.ndarray]:
    if weight is None:
        return None
    array = np.asarray(weight.data if isinstance(weight, Node) else weight)
    if array.dtype == bool or array.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: weight must be real numbers, got {array.dtype} {array.tolist()!r:.60}")
    array = np.array(array, dtype=array.dtype if array.dtype.kind == "f" else np.float64)  # a copy, float kept
    if not np.isfinite(array).all() or (array < 0).any():
        raise ValueError(f"{owner}: weight must be finite and non-negative, got {array}")
    return array


class MSELoss(_Loss):
    """Mean squared error, mean((input - target)^2): the regression loss."""

    def forward(self, input: Any, target: Any) -> Node:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error, mean(|input - target|): less swayed by outliers than MSE."""

    def forward(self, input: Any, target: Any) -> Node:
        return F.l1_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities (after a sigmoid), each log clamped at -100.

    `weight` rescales each entry's loss. Raises ValueError for a prediction outside [0, 1].
    """

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._weight_buffer("weight", weight)

    def forward(self, input: Any, target: Any) -> Node:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable formula, on raw scores (logits).

    `pos_weight` multiplies the loss of positive targets (> 1 for a rare positive class).
    """

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self._weight_buffer("weight", weight)
        self._weight_buffer("pos_weight", pos_weight)

    def forward(self, input: Any, target: Any) -> Node:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Softmax plus negative log-likelihood on raw scores (N, C) and integer labels (N,).

    `weight` (C,) gives each class a weight (for imbalanced classes, e.g.
    `nn.data.class_weights(y)`); the mean is then sum(w[y_i] loss_i) / sum(w[y_i]).
    `label_smoothing` eps trains towards (1 - eps) on the true class plus eps/C on every
    class. Samples labelled `ignore_index` (default -100, e.g. padding) are skipped: they add
    nothing and are not counted in the mean. Raises ValueError naming labels that are out of
    range or not whole numbers.
    """

    def __init__(self, weight: Any = None, reduction: str = "mean", label_smoothing: float = 0.0,
                 ignore_index: int = -100) -> None:
        super().__init__(reduction)
        self._weight_buffer("weight", weight)
        self.label_smoothing = real("CrossEntropyLoss", "label_smoothing", label_smoothing, 0.0, 1.0)
        self.ignore_index = F._ignore_index("CrossEntropyLoss", ignore_index)

    def forward(self, input: Any, target: Any) -> Node:
        return F.cross_entropy(input, target, self.weight, self.reduction, self.label_smoothing, self.ignore_index)

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] if super().extra_repr() else []
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        return ", ".join(parts)


class NLLLoss(_Loss):
    """Negative log-likelihood on log-probabilities (after LogSoftmax) and integer labels.

    Samples labelled `ignore_index` (default -100) are skipped, as in CrossEntropyLoss.
    """

    def __init__(self, weight: Any = None, reduction: str = "mean", ignore_index: int = -100) -> None:
        super().__init__(reduction)
        self._weight_buffer("weight", weight)
        self.ignore_index = F._ignore_index("NLLLoss", ignore_index)

    def forward(self, input: Any, target: Any) -> Node:
        return F.nll_loss(input, target, self.weight, self.reduction, self.ignore_index)

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] if super().extra_repr() else []
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        return ", ".join(parts)
