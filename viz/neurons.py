"""What every neuron of a small MLP computes over the input plane, as in TensorFlow Playground.

A network of 2 inputs is a stack of columns: a Linear-like layer (a module with a 2-D
`weight` of shape (out, in)) followed by elementwise modules (Sigmoid, ReLU, ...). Each
neuron of a column is one function of the two inputs; evaluated on a grid it is a small
heat map, orange where it is negative (or near 0 for a sigmoid), blue where positive
(near 1). Connections are the weights: width for size, colour for sign. `neuron_maps`
gives the numbers; `plot_neurons` draws them with matplotlib (a Figure, never pyplot), and
`viz.live` draws them as a page while training runs.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from circuitgrad.autograd.checks import is_int
from circuitgrad.autograd import Tensor, no_grad

from .fonts import korean_fallback

NEGATIVE, MIDDLE, POSITIVE = (245, 147, 34), (246, 246, 246), (8, 119, 189)  # Playground's orange and blue
# One colour a class in every picture: class 0 and 1 are the two ends above (as a binary net's plane
# shows them), then matplotlib's tab10 from its green on.
CLASS_COLOURS = ("#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                 "#17becf")


def _array(owner: str, name: str, a: Any) -> np.ndarray:
    return np.asarray(a.data if isinstance(a, Tensor) else a, dtype=float)


def columns(owner: str, model: Any) -> list:
    """The model's children grouped into columns, each starting at a layer with a 2-D weight."""
    children = getattr(model, "children", None)
    if not callable(children):
        raise TypeError(f"{owner}: model must be an nn.Sequential of Linear layers and activations, "
                        f"got {type(model).__name__}")
    cols: list = []
    for child in children():
        w = getattr(child, "weight", None)
        if w is not None and np.ndim(getattr(w, "data", w)) == 2:
            cols.append([child])
        elif cols:
            cols[-1].append(child)
        else:
            raise TypeError(f"{owner}: the model must start with a Linear layer, got {type(child).__name__} first")
    if not cols:
        raise TypeError(f"{owner}: {type(model).__name__} has no Linear layer to draw neurons of")
    first = np.shape(cols[0][0].weight.data)[1]
    if first != 2:
        raise ValueError(f"{owner}: neuron heat maps need a model with 2 inputs (the plane), this one has {first}")
    return cols


def plane(X: np.ndarray, resolution: int, margin: float = 0.5) -> tuple:
    """A resolution x resolution grid over the data's box (with a margin): (points (R*R, 2), extent)."""
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(hi[1], lo[1], resolution))
    return np.column_stack([gx.ravel(), gy.ravel()]), (lo[0], hi[0], lo[1], hi[1])


def neuron_maps(model: Any, X: Any, resolution: int = 24, owner: str = "neuron_maps") -> dict:
    """Every neuron's activation on a grid over the plane of `X` (N, 2), and the weights between columns.

    Returns {"maps": [array (width, R, R) per column, the inputs first], "weights": [array (out, in)],
    "extent": (x0, x1, y0, y1)}. Runs the model in eval mode without a graph; the mode is restored.
    Raises TypeError for a model that is not a stack of Linear layers and activations, ValueError
    for X not (N, 2) or a model without 2 inputs.
    """
    X = _array(owner, "X", X)
    if X.ndim != 2 or X.shape[1] != 2 or not len(X):
        raise ValueError(f"{owner}: X must have shape (N, 2) (points of the plane), got {X.shape}")
    if not is_int(resolution) or resolution < 2:
        raise ValueError(f"{owner}: resolution must be an int >= 2, got {resolution!r}")
    cols = columns(owner, model)
    grid, extent = plane(X, int(resolution))
    dtype = np.asarray(cols[0][0].weight.data).dtype
    r = int(resolution)
    maps = [grid.T.reshape(2, r, r)]
    was_training = getattr(model, "training", False)
    if callable(getattr(model, "eval", None)):
        model.eval()
    try:
        with no_grad():
            x = Tensor(grid.astype(dtype))
            for col in cols:
                for layer in col:
                    x = layer(x)
                a = np.asarray(x.data, dtype=float)
                maps.append(a.T.reshape(a.shape[1], r, r))
    finally:
        if callable(getattr(model, "train", None)):
            model.train(was_training)
    weights = [np.asarray(col[0].weight.data, dtype=float) for col in cols]
    return {"maps": maps, "weights": weights, "extent": extent}


def colour_range(a: np.ndarray) -> tuple:
    """0..1 for probabilities (a sigmoid's output), else symmetric about 0."""
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    if lo >= 0.0 and hi <= 1.0:
        return 0.0, 1.0
    m = max(abs(lo), abs(hi), 1e-12)
    return -m, m


def colours(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values to RGB bytes: orange at lo, near-white in the middle, blue at hi."""
    t = np.clip((np.nan_to_num(a, nan=(lo + hi) / 2) - lo) / (hi - lo), 0.0, 1.0)[..., None] * 2 - 1
    neg, mid, pos = (np.array(c, dtype=float) for c in (NEGATIVE, MIDDLE, POSITIVE))
    rgb = np.where(t < 0, mid + (neg - mid) * -t, mid + (pos - mid) * t)
    return rgb.round().astype(np.uint8)


@korean_fallback
def plot_neurons(maps: Any, X: Any, y: Any = None, resolution: int = 40, title: str = "What each neuron computes") -> Any:
    """A matplotlib Figure of every neuron's heat map over the input plane, column by column.

    `maps` is what `nn.explain.neuron_maps(model, X)` returns (the arrays; nn reads the model, viz
    draws): `viz.plot_neurons(nn.explain.neuron_maps(model, X, 40), X, y)`. Lines between neurons
    are the weights (width: size, blue: positive, orange: negative); the last column is the
    output, with the points X coloured by their label y. Given a model instead (the older form,
    still working for one release, with a DeprecationWarning), viz computes the maps itself at
    `resolution`. Raises ValueError when y does not hold one label per point, or the arrays are
    not neuron maps.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    if isinstance(maps, dict):
        info = maps
        if not {"maps", "weights", "extent"} <= set(info) or len(info["maps"]) != len(info["weights"]) + 1:
            raise ValueError("plot_neurons: maps must be what nn.explain.neuron_maps(model, X) returns "
                             "({'maps', 'weights', 'extent'}, one more map column than weight matrices)")
    else:
        warnings.warn("plot_neurons(model, X, ...) is deprecated: pass the arrays, "
                      "viz.plot_neurons(nn.explain.neuron_maps(model, X), X, y)", DeprecationWarning, stacklevel=3)
        info = neuron_maps(maps, X, resolution, owner="plot_neurons")
    X = _array("plot_neurons", "X", X)
    labels = None if y is None else _array("plot_neurons", "y", y).reshape(-1)
    if labels is not None and labels.shape[0] != X.shape[0]:
        raise ValueError(f"plot_neurons: y must hold one label per row of X ({X.shape[0]}), got {labels.shape[0]}")
    maps, weights, extent = info["maps"], info["weights"], info["extent"]
    tallest = max(m.shape[0] for m in maps)
    fig = Figure(figsize=(1.25 * len(maps) + 2.2, max(3.2, 0.55 * tallest + 0.8)))
    fig.suptitle(title, fontsize=11)
    top, bottom, cell = 0.9, 0.04, min(0.8 / tallest, 0.14)
    ratio = fig.get_figheight() / fig.get_figwidth()
    xs = np.linspace(0.06, 0.62, len(maps))
    centres = []
    for c, m in enumerate(maps):
        lo, hi = colour_range(m)
        n = m.shape[0]
        size = cell * 0.82
        ys = [top - (top - bottom) / 2 - (k - (n - 1) / 2) * cell - size / 2 for k in range(n)]
        centres.append([(xs[c] + size * ratio / 2, yk + size / 2) for yk in ys])
        for k in range(n):
            ax = fig.add_axes((xs[c], ys[k], size * ratio, size))
            ax.imshow(colours(m[k], lo, hi), extent=extent, aspect="auto", interpolation="bilinear")
            ax.set_xticks([]), ax.set_yticks([])
    for c, w in enumerate(weights):
        scale = max(float(np.abs(w).max()), 1e-12)
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                (x0, y0), (x1, y1) = centres[c][j], centres[c + 1][i]
                colour = np.array(POSITIVE if w[i, j] > 0 else NEGATIVE) / 255
                fig.add_artist(Line2D([x0 + cell * ratio * 0.41, x1 - cell * ratio * 0.41], [y0, y1], color=colour,
                                      linewidth=0.3 + 2.7 * abs(w[i, j]) / scale, alpha=0.55, zorder=0))
    out = maps[-1]
    side = min(0.27 * fig.get_figwidth(), 0.7 * fig.get_figheight())  # inches: a square panel
    w, h = side / fig.get_figwidth(), side / fig.get_figheight()
    ax = fig.add_axes((0.7, (1 - h) / 2 - 0.02, w, h))
    lo, hi = colour_range(out[0])
    ax.imshow(colours(out[0], lo, hi), extent=extent, aspect="auto", interpolation="bilinear")
    if labels is not None:
        ax.scatter(X[:, 0], X[:, 1], c=[np.array(POSITIVE if v > 0.5 else NEGATIVE) / 255 for v in labels],
                   edgecolors="#212121", linewidths=1.2, s=60, zorder=3)
    ax.set_title("output", fontsize=10)
    return fig
