"""Pictures of an image model: its filters, its feature maps, and heatmaps over its inputs.

Each function returns a `matplotlib.figure.Figure` built without pyplot (see `viz.plots`).
The numbers behind the pictures (feature maps, Grad-CAM, CAM, activation maximization) come
from `nn.explain`; this file only draws arrays.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
from matplotlib.figure import Figure

from .fonts import korean_fallback


def _bare(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _planes(images: Any) -> np.ndarray:
    """Images (N, H, W) or (N, C, H, W), an array or a Tensor, as floats (N * C, H, W): one plane each."""
    array = np.asarray(getattr(images, "data", images), dtype=float)
    return array.reshape((-1,) + array.shape[-2:])


def _weight_of(conv: Any) -> np.ndarray:
    weight = getattr(conv, "weight", conv)
    array = np.asarray(getattr(weight, "data", weight), dtype=float)
    if array.ndim != 4:
        raise ValueError(f"plot_filters: expected a Conv2d (weight of shape (out, in/groups, kH, kW)) or a "
                         f"4-D array, got {type(conv).__name__} with weight shape {array.shape}")
    return array


@korean_fallback
def plot_filters(conv: Any, max_filters: int = 32, max_channels: int = 8, title: Optional[str] = None) -> Figure:
    """Every learned kernel of a convolution as a small image: one row per output filter
    (at most `max_filters`), one column per input channel (at most `max_channels`).

    Red is a positive weight, blue a negative one, on one colour scale for the whole layer,
    so a filter that looks for a vertical edge shows as a red column beside a blue one.
    `conv` is a Conv2d or its weight array (out, in/groups, kH, kW). Raises ValueError for
    anything else.
    """
    full = _weight_of(conv)
    w = full[:max_filters, :max_channels]
    rows, cols = w.shape[:2]
    limit = float(np.abs(w).max()) or 1.0
    if cols == 1:  # one input channel: lay the filters out in a grid of up to 8 per row
        per_row = min(8, rows)
        grid_rows = -(-rows // per_row)
        fig = Figure(figsize=(1.1 * per_row + 0.8, 1.1 * grid_rows + 0.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(grid_rows, per_row, squeeze=False)).ravel()
        for k, ax in enumerate(axes):
            _bare(ax)
            if k < rows:
                shown = ax.imshow(w[k, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
                ax.set_title(f"{k}", fontsize=8)
            else:
                ax.set_axis_off()
    else:
        fig = Figure(figsize=(0.9 * cols + 1.4, 0.9 * rows + 0.6), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for o in range(rows):
            for c in range(cols):
                shown = axes[o, c].imshow(w[o, c], cmap="RdBu_r", vmin=-limit, vmax=limit)
                _bare(axes[o, c])
                if c == 0:
                    axes[o, c].set_ylabel(f"out {o}", fontsize=7)
                if o == 0:
                    axes[o, c].set_title(f"in {c}", fontsize=7)
    fig.colorbar(shown, ax=fig.axes, shrink=0.6, label="weight")
    fig.suptitle(title or f"{w.shape[2]}x{w.shape[3]} filters ({full.shape[0]} out, {full.shape[1]} in per group)")
    return fig


@korean_fallback
def plot_feature_maps(x: Any, maps: Sequence[tuple], max_maps: int = 8) -> Figure:
    """What each convolution, activation and pooling layer makes of one image `x`: the first
    `max_maps` channels of each layer's maps, one row per layer, the input in the first column.

    `maps` is [(title, array (C, H, W))], as `nn.explain.feature_maps(model, x)` returns it.
    Early rows look like the digit with edges picked out; later rows are coarser and more
    abstract. Dark is a large activation. Raises ValueError for an empty list or a map that
    is not (C, H, W).
    """
    maps = [(str(title), np.asarray(m, dtype=float)) for title, m in maps]
    if not maps or any(m.ndim != 3 for _, m in maps):
        raise ValueError("plot_feature_maps: maps must be a non-empty list of (title, array (C, H, W)), as "
                         "nn.explain.feature_maps returns; got "
                         f"{[m.shape for _, m in maps] if maps else 'an empty list'}")
    image = _planes(x)[0]  # the first input channel
    cols = 1 + min(max_maps, max(m.shape[0] for _, m in maps))
    fig = Figure(figsize=(1.2 * cols + 0.5, 1.3 * len(maps) + 0.5), layout="constrained")
    axes = fig.subplots(len(maps), cols, squeeze=False)
    for r, (title, m) in enumerate(maps):
        if r == 0:
            axes[r, 0].imshow(image, cmap="gray_r")
        else:
            axes[r, 0].set_frame_on(False)
        axes[r, 0].set_ylabel(title, fontsize=8, rotation=0, ha="right", va="center")
        for c in range(cols):
            _bare(axes[r, c])
            if c == 0:
                continue
            if c - 1 < m.shape[0]:
                axes[r, c].imshow(m[c - 1], cmap="gray_r")
                if r == 0:
                    axes[r, c].set_title(f"ch {c - 1}", fontsize=8)
            else:
                axes[r, c].set_axis_off()
    axes[0, 0].set_title("input", fontsize=8)
    fig.suptitle("Feature maps")
    return fig


@korean_fallback
def plot_heatmaps(images: Any, heatmaps: Any, titles: Optional[Sequence[str]] = None,
                  title: str = "Grad-CAM") -> Figure:
    """Each image (N, H, W) in grey with its heatmap (N, h, w) over it, stretched to the image's size.

    For Grad-CAM and CAM maps (`nn.explain.grad_cam`, `nn.explain.class_activation_map`): red where the model looked. Raises ValueError
    when the counts differ.
    """
    imgs, maps = _planes(images), _planes(heatmaps)
    if len(imgs) != len(maps):
        raise ValueError(f"plot_heatmaps: {len(imgs)} images but {len(maps)} heatmaps")
    if titles is not None and len(titles) != len(imgs):
        raise ValueError(f"plot_heatmaps: {len(titles)} titles for {len(imgs)} images")
    n = len(imgs)
    fig = Figure(figsize=(1.9 * n + 0.6, 2.3), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    h, w = imgs.shape[1:]
    for k, ax in enumerate(axes):
        ax.imshow(imgs[k], cmap="gray_r", extent=(0, w, h, 0))
        ax.imshow(maps[k], cmap="jet", alpha=0.45, extent=(0, w, h, 0), interpolation="bilinear",
                  vmin=0, vmax=max(float(maps[k].max()), 1e-12))
        _bare(ax)
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    fig.suptitle(title)
    return fig


@korean_fallback
def plot_images(images: Any, titles: Optional[Sequence[str]] = None, title: str = "", cmap: str = "gray_r",
                per_row: int = 10) -> Figure:
    """A row (or rows of `per_row`) of images (N, H, W) or (N, 1, H, W), dark where the value is high.

    For samples of a dataset, augmented batches, reconstructions and activation-maximization
    results. Each image gets its own grey scale. Raises ValueError for titles of another count.
    """
    imgs = _planes(images)
    if titles is not None and len(titles) != len(imgs):
        raise ValueError(f"plot_images: {len(titles)} titles for {len(imgs)} images")
    cols = min(per_row, len(imgs))
    rows = -(-len(imgs) // cols)
    fig = Figure(figsize=(1.3 * cols + 0.4, 1.4 * rows + (0.4 if title else 0.1)), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for k, ax in enumerate(axes):
        _bare(ax)
        if k >= len(imgs):
            ax.set_axis_off()
            continue
        ax.imshow(imgs[k], cmap=cmap)
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    if title:
        fig.suptitle(title)
    return fig
