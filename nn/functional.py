"""Functions behind the layers and losses (`import circuitgrad.nn.functional as F`, as in PyTorch).

Most are compositions of autograd's primitive ops, so a diagram shows each step. Two are
fused ops from autograd's op table (`autograd/ops/fused.py`), for the reasons in their
docstrings: `linear` (x @ W.T + b) and `binary_cross_entropy`.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from circuitgrad.autograd import Tensor, Value, ops
from circuitgrad.autograd import functional as _functional
from circuitgrad.autograd.functional import relu6  # noqa: F401  (F.relu6(x): hardtanh's op, not one of its own)
from circuitgrad.autograd.graph import Node

from .checks import as_tensor, drop_probability, real  # noqa: F401  (as_tensor: F.as_tensor for the layers)
from circuitgrad.autograd.checks import is_int

# The activations of the op table (`F.relu`, `F.gelu`, ...: ops registered with `activation=True` in
# autograd/ops/), derived from it; one registered after this module loaded is found by __getattr__.
globals().update({name: getattr(_functional, name) for name in ops.registry.names(activation=True)})


def __getattr__(name: str) -> Any:
    if name in ops.registry.names(activation=True):
        return getattr(_functional, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


REDUCTIONS = ("mean", "sum", "none")


# ---- input checks shared by the losses ----------------------------------------------------------

def check_reduction(reduction: str, op: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def reduce(loss: Node, reduction: str) -> Node:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def class_labels(target: Any, num_classes: int, op: str, shape: Optional[tuple] = None,
                 ignore_index: Optional[int] = None) -> np.ndarray:
    """Integer class labels as an int array, with errors naming any label that is not a class index
    (a label equal to `ignore_index` is allowed wherever it lies)."""
    array = np.asarray(target.data if isinstance(target, Tensor) else target)
    if array.dtype == bool or array.dtype.kind not in "iuf":
        raise TypeError(f"{op}: labels must be integer class indices, got dtype {array.dtype}")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{op}: labels must be class indices, got {np.unique(array[~np.isfinite(array)]).tolist()}")
        fractional = array != np.round(array)
        if fractional.any():
            bad = np.unique(array[fractional])[:5]
            raise ValueError(f"{op}: labels must be whole numbers (class indices), got {bad.tolist()}")
    if shape is not None and array.shape != shape:
        raise ValueError(f"{op}: labels must have shape {shape} (one class index per sample), got {array.shape}")
    labels = array.astype(np.int64)
    outside = (labels < 0) | (labels >= num_classes)
    if ignore_index is not None:
        outside &= labels != ignore_index
    if outside.any():
        bad = np.unique(labels[outside])[:5].tolist()
        skip = "" if ignore_index is None else f", or ignore_index {ignore_index}"
        raise ValueError(f"{op}: labels {bad} are out of range for {num_classes} classes "
                         f"(valid: 0..{num_classes - 1}{skip})")
    return labels


def _fits(weight: Tensor, input: Tensor, op: str, name: str) -> Tensor:
    """A per-entry weight must broadcast onto the loss without making it bigger (a (2, 1) weight on a
    (2,) loss would silently give a (2, 2) one)."""
    try:
        shape = np.broadcast_shapes(weight.shape, input.shape)
    except ValueError:
        shape = None
    if shape != input.shape:
        raise ValueError(f"{op}: {name} of shape {weight.shape} does not broadcast to the input's shape {input.shape}")
    return weight


def _probabilities(t: Tensor, op: str, what: str, hint: str = "") -> None:
    p = t.data
    # nan fails every comparison, so it is caught too. A few entries (the XOR net's 4 targets) are
    # compared as Python floats: 9k instructions, against 20k for the min and max reductions.
    if p.size <= 32:
        inside = all(0 <= v <= 1 for v in p.ravel().tolist())
    else:
        inside = np.minimum.reduce(p, axis=None) >= 0 and np.maximum.reduce(p, axis=None) <= 1
    if inside:
        return
    raise ValueError(f"{op}: {what} must be probabilities in [0, 1], got values from {np.nanmin(p):.4g} to "
                     f"{np.nanmax(p):.4g}{' and nan' if np.isnan(p).any() else ''}{hint}")


def _same_shape(input: Tensor, target: Tensor, op: str) -> None:
    if input.shape != target.shape:
        raise ValueError(f"{op}: input shape {input.shape} and target shape {target.shape} differ; broadcasting "
                         "them would compare every prediction with every target (reshape one of them)")


# ---- fused ops ------------------------------------------------------------------------------------

def linear(x: Any, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x @ weight.T + bias, with weight of shape (out_features, in_features) as PyTorch."""
    x = as_tensor(x, "linear")
    weight = as_tensor(weight, "linear")
    bias = None if bias is None else as_tensor(bias, "linear")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight {weight.shape}: "
                         f"expected last dimension {weight.shape[1]}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return _linear(x, weight, bias)


def _linear(x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    """The linear node, shapes already checked."""
    if bias is None:
        return Tensor.apply(ops.Linear, x, weight, ctx=(x.requires_grad, weight.requires_grad))
    return Tensor.apply(ops.Linear, x, weight, bias, ctx=(x.requires_grad, weight.requires_grad, bias.requires_grad))


# ---- losses ---------------------------------------------------------------------------------------

def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Node:
    """Mean squared error: mean((input - target)^2). Takes Tensors, or a Value / list of Values."""
    check_reduction(reduction, "mse_loss")
    if _is_values(input):
        return _value_loss(input, target, reduction, "mse_loss", lambda d: d * d)
    input = as_tensor(input, "mse_loss")
    target = as_tensor(target, "mse_loss", input.dtype)
    _same_shape(input, target, "mse_loss")
    return reduce((input - target) ** 2, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Node:
    """Mean absolute error: mean(|input - target|). Takes Tensors, or a Value / list of Values."""
    check_reduction(reduction, "l1_loss")
    if _is_values(input):
        return _value_loss(input, target, reduction, "l1_loss", lambda d: d.abs())
    input = as_tensor(input, "l1_loss")
    target = as_tensor(target, "l1_loss", input.dtype)
    _same_shape(input, target, "l1_loss")
    return reduce((input - target).abs(), reduction)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """BCE on probabilities in [0, 1] (after a sigmoid); raises ValueError for anything outside [0, 1]."""
    check_reduction(reduction, "binary_cross_entropy")
    input = as_tensor(input, "binary_cross_entropy")
    target = as_tensor(target, "binary_cross_entropy", input.dtype)
    _same_shape(input, target, "binary_cross_entropy")
    _probabilities(target, "binary_cross_entropy", "targets")
    if weight is None and reduction != "none":
        # One node, reduced inside. A prediction outside [0, 1] or nan makes the loss nan, so the
        # predictions are checked only then (their check is two reductions, 1.6 us on 4 entries).
        loss = Tensor.apply(ops.BinaryCrossEntropy, input, target, ctx=(target.requires_grad, reduction))
        if loss.data != loss.data:
            _probabilities(input, "binary_cross_entropy", "predictions", _BCE_HINT)
        return loss
    _probabilities(input, "binary_cross_entropy", "predictions", _BCE_HINT)
    loss = Tensor.apply(ops.BinaryCrossEntropy, input, target, ctx=(target.requires_grad, "none"))
    if weight is not None:
        loss = loss * _fits(as_tensor(weight, "binary_cross_entropy", input.dtype), input, "binary_cross_entropy",
                            "weight")
    return reduce(loss, reduction)


_BCE_HINT = " (apply a sigmoid first, or use BCEWithLogitsLoss on the raw outputs)"


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """BCE on raw scores x, i.e. BCE(sigmoid(x), y) computed without overflow for any x.

    Uses PyTorch's form (1 - y) x + w (log(e^-m + e^(-x-m)) + m) with m = max(-x, 0) and
    w = 1 + (pos_weight - 1) y: both exponents are <= 0, and the identity holds for any m,
    so the derivative is right even at x = 0 where m has a kink.
    """
    op = "binary_cross_entropy_with_logits"
    check_reduction(reduction, op)
    x = as_tensor(input, op)
    y = as_tensor(target, op, x.dtype)
    _same_shape(x, y, op)
    _probabilities(y, op, "targets")
    m = (-x).relu()
    softplus = ((-m).exp() + (-x - m).exp()).log() + m  # log(1 + e^-x)
    if pos_weight is not None:
        softplus = softplus * ((_fits(as_tensor(pos_weight, op, x.dtype), x, op, "pos_weight") - 1) * y + 1)
    loss = (1 - y) * x + softplus
    if weight is not None:
        loss = loss * _fits(as_tensor(weight, op, x.dtype), x, op, "weight")
    return reduce(loss, reduction)


def nll_loss(input: Any, target: Any, weight: Any = None, reduction: str = "mean",
             ignore_index: int = -100) -> Tensor:
    """Negative log-likelihood of class `target` given log-probabilities `input` of shape (N, C) or (C,).

    With `weight`, the mean is sum(w[y_i] * loss_i) / sum(w[y_i]), as PyTorch. Samples whose
    label is `ignore_index` (padding, unlabelled) count for nothing: loss 0, and left out of
    the mean's denominator; if every sample is ignored the mean is nan (0 / 0), as PyTorch's.
    """
    check_reduction(reduction, "nll_loss")
    ignore_index = _ignore_index("nll_loss", ignore_index)
    logp, labels, w = _classification_inputs(input, target, weight, "nll_loss", ignore_index)
    return _nll(logp, labels, w, reduction, ignore_index)


def cross_entropy(input: Any, target: Any, weight: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0, ignore_index: int = -100) -> Tensor:
    """Softmax cross-entropy of raw scores (N, C) or (C,) against integer class labels.

    `weight` (C,) rescales each class; `label_smoothing` eps mixes the one-hot target with
    the uniform distribution: (1 - eps) * nll + eps / C * (-sum_c w_c log p_c), with the
    same weighted mean as the nll part (PyTorch's formula). Samples labelled `ignore_index`
    add nothing to either part, nor to the mean's denominator.
    """
    op = "cross_entropy"
    check_reduction(reduction, op)
    label_smoothing = real(op, "label_smoothing", label_smoothing, 0.0, 1.0)
    ignore_index = _ignore_index(op, ignore_index)
    x = as_tensor(input, op)
    logp, labels, w = _classification_inputs(x.log_softmax(axis=-1) if x.ndim in (1, 2) else x, target, weight, op,
                                             ignore_index)
    loss = _nll(logp, labels, w, reduction, ignore_index)
    if label_smoothing == 0.0:
        return loss
    classes = logp.shape[-1]
    keep = labels != ignore_index
    smooth = -(logp * w if w is not None else logp).sum(axis=-1)
    if not keep.all():
        smooth = smooth * keep.astype(logp.dtype)
    if reduction == "mean":
        smooth = _divide(smooth.sum(), _weight_total(labels, keep, w))
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1.0 - label_smoothing) * loss + (label_smoothing / classes) * smooth


def _ignore_index(op: str, ignore_index: Any) -> int:
    if not is_int(ignore_index):
        raise TypeError(f"{op}: ignore_index must be an int (a label to skip, -100 by default), "
                        f"got {type(ignore_index).__name__} {ignore_index!r}")
    return int(ignore_index)


def _classification_inputs(logp: Any, target: Any, weight: Any, op: str, ignore_index: int) -> tuple:
    logp = as_tensor(logp, op)
    if logp.ndim not in (1, 2):
        raise ValueError(f"{op}: input must have shape (N, C) or (C,), got {logp.shape}")
    classes = logp.shape[-1]
    labels = class_labels(target, classes, op, shape=logp.shape[:-1], ignore_index=ignore_index)
    w = None
    if weight is not None:
        w = as_tensor(weight, op, logp.dtype)
        if w.shape != (classes,):
            raise ValueError(f"{op}: weight must have one entry per class, shape ({classes},), got {w.shape}")
    return logp, labels, w


def _weight_total(labels: np.ndarray, keep: np.ndarray, w: Optional[Tensor]) -> float:
    """The mean's denominator: the number of kept samples, or the sum of their class weights."""
    if w is None:
        return float(keep.sum())
    return float(w.data[labels[keep]].sum())


def _divide(total_loss: Tensor, total: float) -> Tensor:
    return total_loss / total if total else total_loss * float("nan")  # every sample ignored: 0 / 0, as PyTorch


def _nll(logp: Tensor, labels: np.ndarray, w: Optional[Tensor], reduction: str, ignore_index: int) -> Tensor:
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)  # an ignored row picks class 0, then is multiplied by 0
    picked = logp[np.arange(len(labels)), safe] if logp.ndim == 2 else logp[int(safe)]
    if w is None and keep.all():
        return reduce(-picked, reduction)
    scale = keep.astype(logp.dtype) if w is None else np.where(keep, w.data[safe], 0.0).astype(logp.dtype)
    loss = -picked * scale
    if reduction == "mean":
        return _divide(loss.sum(), _weight_total(labels, keep, w))
    return reduce(loss, reduction)


# ---- Value (scalar) versions of the regression losses -------------------------------------------

def _is_values(x: Any) -> bool:
    if isinstance(x, Value):
        return True
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(isinstance(v, Value) for v in x)


def _value_loss(input: Any, target: Any, reduction: str, op: str, per_item) -> Any:
    preds = [input] if isinstance(input, Value) else list(input)
    targets = [target] if isinstance(target, (int, float, Value)) else list(np.ravel(target)) \
        if not isinstance(target, (list, tuple)) else list(target)
    if len(targets) != len(preds):
        raise ValueError(f"{op}: {len(preds)} predictions but {len(targets)} targets")
    terms = [per_item(p - (t if isinstance(t, Value) else real(op, "target", t))) for p, t in zip(preds, targets)]
    if reduction == "none":
        return terms
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total / len(terms) if reduction == "mean" else total


# ---- other layers' functions ----------------------------------------------------------------------

def dropout(x: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each entry with probability p and scale the rest by 1 / (1 - p) (inverted dropout).

    The mask comes from numpy's global RNG, so `cg.manual_seed` (or `np.random.seed`) makes it reproducible.
    Off (the identity) when not training or p == 0. Raises ValueError for p outside [0, 1).
    """
    drop_probability("dropout", p, " (p = 1 would drop everything and the 1/(1-p) scale is undefined)")
    x = as_tensor(x, "dropout")
    if not training or p == 0.0:
        return x
    keep = np.random.random_sample(x.shape) >= p
    return x * (keep / (1.0 - p)).astype(x.dtype)


def softmax(x: Any, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (PyTorch's argument name; Tensor.softmax calls it axis)."""
    return as_tensor(x, "softmax").softmax(axis=dim)


def log_softmax(x: Any, dim: int = -1) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably."""
    return as_tensor(x, "log_softmax").log_softmax(axis=dim)


def leaky_relu(x: Node, negative_slope: float = 0.01) -> Node:
    """x for x > 0, else negative_slope * x, on a Tensor or a Value."""
    if not isinstance(x, Node):
        x = as_tensor(x, "leaky_relu")
    return x.leaky_relu(negative_slope)


def pad(input: Any, pad: Any, mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Constant padding, `pad` = (left, right) for the last dim, then (top, bottom) for the one
    before, ... (PyTorch's order). Only mode="constant"; raises ValueError for another mode."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is implemented, got {mode!r}")
    return as_tensor(input, "pad").pad(pad, value)


def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Class indices (N,) as rows of a (N, C) Tensor with a 1 in each label's column.

    `num_classes=-1` uses the largest label + 1. Raises ValueError for negative,
    fractional or too-large labels.
    """
    array = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if num_classes == -1:
        if array.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from no labels; pass num_classes")
        num_classes = int(np.max(class_labels(array, np.iinfo(np.int64).max, "one_hot"))) + 1
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive int, got {num_classes!r}")
    idx = class_labels(array, int(num_classes), "one_hot")
    return Tensor(np.eye(int(num_classes))[idx])


__all__ = [
    "linear", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "dropout", "one_hot",
    "leaky_relu", "softmax", "log_softmax", "scaled_dot_product_attention", "relu6", "pad",
    *(name for name in ops.registry.names(activation=True) if name != "leaky_relu"),
    "conv2d", "conv1d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "dropout2d",
    "batch_norm", "layer_norm", "rms_norm",
]

from .attention import scaled_dot_product_attention  # noqa: E402  (F.scaled_dot_product_attention, as PyTorch)
from .normalization import batch_norm, layer_norm, rms_norm  # noqa: E402  (nn.BatchNorm1d/2d call batch_norm)
from .convolution import (adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, conv_transpose2d,  # noqa: E402,F401
                          dropout2d, max_pool2d)
