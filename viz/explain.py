"""Explaining a prediction with gradients: saliency and integrated gradients (any model, images too).

Both ask backprop a different question than training does: not "how should the weights
move?" but "how much does each input feature move this output?". The gradient with respect
to the input is exactly that, for small moves (saliency). Integrated gradients add up the
gradient along a straight path from a baseline to the input, so the attributions sum to
the change of the output between the two (the "completeness" property).

Grad-CAM, CAM and activation maximization, which look inside an image model's layers, are in
`viz.cam`.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from circuitgrad.autograd import Tensor

from .fonts import korean_fallback


def _target_score(model: Callable[[Tensor], Tensor], x: Tensor, target: Optional[int]) -> Tensor:
    out = model(x)
    if not isinstance(out, Tensor):
        raise TypeError(f"saliency: the model must return a Tensor, got {type(out).__name__}")
    if out.ndim == 0 or (out.ndim >= 1 and out.shape[-1] == 1 and target in (None, 0)):
        return out.sum()
    if target is None:
        raise ValueError(f"saliency: the model has {out.shape[-1]} outputs; say which one with target=")
    if not isinstance(target, (int, np.integer)) or not 0 <= target < out.shape[-1]:
        raise ValueError(f"saliency: target {target!r} is out of range for {out.shape[-1]} outputs")
    return out[..., int(target)].sum()


def _as_input(x: Any) -> np.ndarray:
    data = np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
    if data.ndim == 0:
        raise ValueError("saliency: the input must have at least one feature axis")
    return data


def saliency(model: Callable[[Tensor], Tensor], x: Any, target: Optional[int] = None) -> np.ndarray:
    """d(score of `target`)/d(input): an array of `x`'s shape.

    `model` maps a (batch, features...) Tensor to (batch, outputs); for a batch, each row's
    score gets its own gradient (the scores are summed, and rows do not interact in a model
    without batch statistics, so put BatchNorm models in eval mode first). The model's
    parameters get gradients too; zero them before training again.
    """
    inp = Tensor(_as_input(x), requires_grad=True)
    _target_score(model, inp, target).backward()
    return inp.grad.copy()


def integrated_gradients(model: Callable[[Tensor], Tensor], x: Any, target: Optional[int] = None,
                         baseline: Any = None, steps: int = 50) -> np.ndarray:
    """(x - baseline) times the average gradient along the straight path from baseline to x.

    Uses the midpoint rule with `steps` points; the attributions of one input sum to
    f(x) - f(baseline) up to that quadrature's error. The baseline defaults to zeros
    ("no signal"). Raises ValueError for a baseline of another shape or steps < 1.
    """
    data = _as_input(x)
    base = np.zeros_like(data) if baseline is None else _as_input(baseline)
    if base.shape != data.shape:
        raise ValueError(f"integrated_gradients: baseline shape {base.shape} differs from input shape {data.shape}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"integrated_gradients: steps must be a positive int, got {steps!r}")
    total = np.zeros_like(data)
    for k in range(steps):
        alpha = (k + 0.5) / steps
        total += saliency(model, base + alpha * (data - base), target)
    return (data - base) * total / steps


@korean_fallback
def plot_attributions(x: Any, attributions: Any, feature_names: Optional[Sequence[str]] = None,
                      image_shape: Optional[tuple] = None, title: str = "attribution") -> Any:
    """Show one input beside its attributions: as images when `image_shape` is given, else as bars.

    Returns the matplotlib Figure (the input in dark ink on white; red pushes the score up, blue
    pushes it down). Built without pyplot, as in `viz.plots`, so Jupyter shows it once (as the
    cell's result) and no window opens.
    """
    from matplotlib.figure import Figure

    data, attr = np.asarray(x, dtype=float).reshape(-1), np.asarray(attributions, dtype=float).reshape(-1)
    if data.shape != attr.shape:
        raise ValueError(f"plot_attributions: input has {data.size} values but attributions {attr.size}")
    limit = float(np.abs(attr).max()) or 1.0
    if image_shape is not None:
        if int(np.prod(image_shape)) != data.size:
            raise ValueError(f"plot_attributions: image_shape {image_shape} does not hold {data.size} values")
        fig = Figure(figsize=(6, 3))
        left, right = fig.subplots(1, 2)
        left.imshow(data.reshape(image_shape), cmap="gray_r")  # high values dark, like ink on paper
        left.set_title("input")
        shown = right.imshow(attr.reshape(image_shape), cmap="RdBu_r", vmin=-limit, vmax=limit)
        right.set_title(title)
        fig.colorbar(shown, ax=right, fraction=0.046)
        for ax in (left, right):
            ax.set_xticks([])
            ax.set_yticks([])
    else:
        names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(data.size)]
        if len(names) != data.size:
            raise ValueError(f"plot_attributions: {len(names)} feature names for {data.size} features")
        fig = Figure(figsize=(max(4, 0.5 * data.size + 2), 3))
        ax = fig.subplots()
        ax.bar(names, attr, color=["#d6604d" if a >= 0 else "#4393c3" for a in attr])
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel(title)
    fig.tight_layout()
    return fig

