"""Training plots with matplotlib: loss curves, decision boundaries, gradient flow, activations.

Every function builds a `matplotlib.figure.Figure` directly (not through pyplot), so it
never opens a window, never calls `plt.show()` and is not drawn twice in Jupyter; the
notebook shows the returned Figure, and `fig.savefig(path)` writes it. matplotlib is
imported here only, and `viz` imports this module on first use.

Titles and legends may be Korean (`plot_history(h, title="학습 곡선")`): each figure is built
with an installed Korean font as the fallback after the user's own font, for that figure only
(`viz.fonts`); matplotlib's global settings (`rcParams`) are never changed.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from circuitgrad.autograd import Tensor, no_grad
from circuitgrad.autograd.graph import Node

from .fonts import korean_fallback, korean_font  # noqa: F401 (korean_font: viz.plots.korean_font, as before)
from .neurons import CLASS_COLOURS, MIDDLE, NEGATIVE, POSITIVE
from .theme import GRAD_COLOR, VALUE_COLOR
from circuitgrad.autograd.checks import is_int

_LOSS_COLORS = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f")


def _series(history: Mapping[str, Sequence[float]]) -> dict:
    if not isinstance(history, Mapping):
        raise TypeError(f"plot_history: history must be a dict of lists, like {{'loss': [0.7, 0.5, ...]}}, "
                        f"got {type(history).__name__}")
    if not history:
        raise ValueError("plot_history: history is empty; record at least one metric, e.g. {'loss': [...]}")
    out = {}
    for name, values in history.items():
        try:
            array = np.asarray([float(v) for v in values], dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"plot_history: {name!r} must be a list of numbers, got {values!r:.60}") from None
        if array.size:  # an empty list is a metric not recorded (no validation set): skip it
            out[str(name)] = array
    if not out:
        raise ValueError(f"plot_history: every list in history is empty ({', '.join(map(str, history))}); "
                         "train for at least one epoch first")
    return out


@korean_fallback
def plot_history(history: Mapping[str, Sequence[float]], title: str = "Training history",
                 log_loss: bool = False) -> Figure:
    """Loss (and validation loss) per epoch on the left, other metrics (accuracy, ...) on the right.

    `history` maps a name to one number per epoch: `{"loss": [...], "val_loss": [...],
    "accuracy": [...]}` (what `nn.fit` returns). Names containing "loss" share the loss axis
    (log scale with `log_loss=True`); a learning rate ("lr") gets its own panel; empty lists
    are skipped. Returns the Figure. Raises TypeError/ValueError for a history that is not
    a dict of number lists with at least one number.
    """
    series = _series(history)
    losses = {k: v for k, v in series.items() if "loss" in k.lower()}
    rates = {k: v for k, v in series.items() if k.lower() in ("lr", "learning_rate")}
    metrics = {k: v for k, v in series.items() if k not in losses and k not in rates}
    panels = [p for p in (losses, metrics, rates) if p]
    fig = Figure(figsize=(5.5 * len(panels), 3.8), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, panel in zip(axes, panels):
        bases: list = []  # "val_loss" takes the colour of "loss", dashed
        for name, values in panel.items():
            held_out = name.lower().startswith(("val_", "test_"))
            base = name.split("_", 1)[1] if held_out else name
            if base not in bases:
                bases.append(base)
            color = _LOSS_COLORS[bases.index(base) % len(_LOSS_COLORS)]
            epochs = np.arange(1, values.size + 1)
            ax.plot(epochs, values, "--" if held_out else "-", color=color, label=name,
                    marker="o" if values.size <= 30 else None, markersize=3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
        if panel is losses:
            ax.set_ylabel("loss")
            if log_loss:
                ax.set_yscale("log")
        else:
            ax.set_ylabel("learning rate" if panel is rates else next(iter(panel)) if len(panel) == 1 else "metric")
    fig.suptitle(title)
    return fig


def _as_array(name: str, x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Node) else x, dtype=float)


@korean_fallback
def plot_decision_boundary(model: Callable[[Tensor], Any], X: Any, y: Any, resolution: int = 200,
                           margin: float = 0.5, title: str = "Decision boundary") -> Figure:
    """Colour the plane by the class `model` predicts, with the points `X` coloured by label `y`.

    `model` takes a Tensor of shape (N, 2) and returns (N, 1) probabilities (class 1 where
    p > 0.5) or (N, k) scores (the class is the argmax); it runs under `no_grad()`. Returns
    the Figure. Raises ValueError when X is not (N, 2), y does not have N labels, or the
    model's output has the wrong shape.
    """
    X = _as_array("X", X)
    labels = _as_array("y", y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (N, 2) (two input features), got {X.shape}")
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
        raise ValueError(f"plot_decision_boundary: y must hold one label per row of X ({X.shape[0]}), "
                         f"got shape {labels.shape}")
    if not is_int(resolution) or resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be an int >= 2, got {resolution!r}")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    with no_grad():
        out = _as_array("output", model(Tensor(grid)))
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != grid.shape[0]:
        raise ValueError(f"plot_decision_boundary: the model returned shape {out.shape} for an input of shape "
                         f"{grid.shape}; expected (N, 1) probabilities or (N, k) scores")
    fig = Figure(figsize=(5.2, 4.4), layout="constrained")
    ax = fig.subplots()
    if out.shape[1] == 1:
        p = out[:, 0].reshape(gx.shape)
        filled = ax.contourf(gx, gy, p, levels=np.linspace(0, 1, 11), cmap=PLAYGROUND, alpha=0.55)
        ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.2)
        fig.colorbar(filled, ax=ax, label="p(class 1)")
    else:
        k = out.shape[1]
        cls = out.argmax(axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, cls, levels=np.arange(k + 1) - 0.5, colors=[CLASS_COLOURS[c % 10] for c in range(k)],
                    alpha=0.35)
    classes = np.unique(labels)
    if classes.size <= 2:  # the ends of the probability shading's red/blue, one legend entry per class
        low, high = classes.min(), max(classes.max(), classes.min() + 1)
        palette = {c: PLAYGROUND(0.0 if c == low else 1.0 if c == high else 0.5) for c in classes}
    else:
        palette = {c: CLASS_COLOURS[int(c) % 10] for c in classes}
    for c in classes:
        picked = labels == c
        ax.scatter(X[picked, 0], X[picked, 1], color=palette[c], edgecolors="white", linewidths=1.2, s=56,
                   zorder=3, label=f"class {c:g}")
    ax.legend(loc="best", fontsize=8, framealpha=0.85)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(6))  # few enough ticks that their labels never touch
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    return fig


# class 0 orange, class 1 blue: the colours of viz.live's page and plot_neurons (TensorFlow Playground's)
PLAYGROUND = LinearSegmentedColormap.from_list("playground", [np.array(c) / 255 for c in (NEGATIVE, MIDDLE, POSITIVE)])


@korean_fallback
def plot_grad_flow(model: Any, title: str = "Gradient flow") -> Figure:
    """Mean and max |grad| of each parameter (from `model.named_parameters()`), layer by layer.

    Bars near zero in the first layers while later layers have large ones show vanishing
    gradients; a log scale makes both visible. Call it after `loss.backward()`. Returns the
    Figure. Raises TypeError for a model without named_parameters(), ValueError when no
    parameter has a gradient yet.
    """
    named = getattr(model, "named_parameters", None)
    if not callable(named):
        raise TypeError(f"plot_grad_flow: expected an nn.Module (with named_parameters()), got {type(model).__name__}")
    names, means, maxes = [], [], []
    for name, p in named():
        if p.grad is None:
            continue
        g = np.abs(np.asarray(p.grad, dtype=float))
        names.append(name)
        means.append(g.mean())
        maxes.append(g.max())
    if not names:
        raise ValueError("plot_grad_flow: no parameter has a gradient yet; call loss.backward() first")
    x = np.arange(len(names))
    fig = Figure(figsize=(max(5.0, 0.55 * len(names) + 2), 4.0), layout="constrained")
    ax = fig.subplots()
    ax.bar(x, maxes, color=GRAD_COLOR, alpha=0.35, label="max |grad|")
    ax.bar(x, means, color=GRAD_COLOR, label="mean |grad|")
    ax.set_xticks(x, names, rotation=45 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    if max(maxes) > 0:
        ax.set_yscale("log")
    ax.set_ylabel("|grad|")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    ax.set_title(title)
    return fig


# (title, function of a Tensor); leaky ReLU uses slope 0.1 so its left side is visible.
ACTIVATIONS = (
    ("step", lambda t: t.step()),
    ("sigmoid", lambda t: t.sigmoid()),
    ("tanh", lambda t: t.tanh()),
    ("relu", lambda t: t.relu()),
    ("leaky relu (slope 0.1)", lambda t: t.leaky_relu(0.1)),
    ("selu", lambda t: t.selu()),
)


def activation_curves(x: np.ndarray) -> list:
    """(name, f(x), f'(x)) for each activation, the derivative computed by backprop."""
    curves = []
    for name, fn in ACTIVATIONS:
        t = Tensor(x, requires_grad=True)
        y = fn(t)
        y.sum().backward()  # d(sum f(x_i))/dx_i = f'(x_i): one backward gives every slope
        curves.append((name, y.data.copy(), t.grad.data.copy()))
    return curves


@korean_fallback
def plot_activations(x: Optional[Sequence[float]] = None) -> Figure:
    """Each activation (step, sigmoid, tanh, relu, leaky relu, selu) and its derivative.

    The derivatives come from autograd (`y.sum().backward()`), not from formulas, so the
    picture also shows what backprop sends through each function: nothing through a step,
    at most 0.25 through a sigmoid. `x` defaults to 401 points from -4 to 4. Returns the Figure.
    """
    x = np.linspace(-4.0, 4.0, 401) if x is None else _as_array("x", x).reshape(-1)
    if x.size < 2:
        raise ValueError("plot_activations: x needs at least two points")
    fig = Figure(figsize=(10.5, 6.0), layout="constrained")
    axes = fig.subplots(2, 3, sharex=True).ravel()
    for ax, (name, y, dy) in zip(axes, activation_curves(x)):
        ax.axhline(0, color="0.75", linewidth=0.8)
        ax.axvline(0, color="0.75", linewidth=0.8)
        ax.plot(x, y, color=VALUE_COLOR, linewidth=2, label="f(x)")
        ax.plot(x, dy, "--", color=GRAD_COLOR, linewidth=1.6, label="f'(x) (autograd)")
        ax.set_title(name)
        ax.grid(alpha=0.25)
    axes[0].legend(frameon=False, loc="upper left")
    fig.suptitle("Activation functions (green) and their derivatives (red)")
    return fig
