"""Attributions beside their input: `plot_attributions`, for what `nn.explain.saliency` and
`nn.explain.integrated_gradients` compute (how much each input feature moves a score).

    attr = nn.explain.integrated_gradients(model, x[None], target=3)[0]
    viz.plot_attributions(x, attr, image_shape=(8, 8))
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from .fonts import korean_fallback


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

