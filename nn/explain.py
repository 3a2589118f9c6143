"""Explaining a model's prediction: saliency, integrated gradients, Grad-CAM, CAM, activation
maximization, feature maps and neuron maps. Each returns numpy arrays; `viz` draws them
(`viz.plot_attributions`, `viz.plot_heatmaps`, `viz.plot_feature_maps`, `viz.plot_neurons`).

All of them ask backprop a different question than training does: not "how should the weights
move?" but "how much does the input, or a layer's output, move this score?".

- Saliency: the gradient of the score with respect to the input. Integrated gradients add it up
  along a straight path from a baseline to the input, so the attributions sum to the change of
  the score between the two (the "completeness" property).
- Grad-CAM (Selvaraju et al., 2017): take a convolutional layer's feature maps A_k (N, K, h, w)
  and the gradient of the target class's score y_c with respect to them. Each map's weight is
  its gradient averaged over the map, alpha_k = mean_ij dy_c/dA_k[i, j], and the heatmap is
  ReLU(sum_k alpha_k A_k): the places whose features push the score up.
- CAM (Zhou et al., 2016), for a network ending in global average pooling and one Linear:
  y_c = sum_k w_ck mean(A_k) + b_c, so the map sum_k w_ck A_k says exactly how much each place
  adds to the score (its mean plus b_c is the score). No gradient needed.
- Activation maximization: gradient *ascent* on the input, starting from faint noise, to find
  the image that most excites a class (or one channel of a layer), with an L2 penalty that
  keeps the image from growing without bound.

A layer's output is caught as in PyTorch: `layer.register_forward_hook(keep)` for one run of
the model, then `handle.remove()`; the gradient there with `layer.register_full_backward_hook`,
whose grad_output[0] is d score / d output.

    cams = nn.explain.grad_cam(model, images, target=labels, layer="6")
    viz.plot_heatmaps(images, cams)
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional, Sequence, Union

import numpy as np

from circuitgrad.autograd import Tensor, enable_grad, no_grad

from .module import Module
from circuitgrad.autograd.checks import is_int, is_real

__all__ = ["saliency", "integrated_gradients", "grad_cam", "class_activation_map", "activation_maximization",
           "feature_maps", "neuron_maps"]

LayerRef = Union[Module, str]  # a module of the model, or its dotted name


# ---- saliency and integrated gradients (any model) ---------------------------------------------------

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
    parameters get gradients too; zero them before training again. Raises ValueError for a
    target out of range (or missing when the model has several outputs).
    """
    inp = Tensor(_as_input(x), requires_grad=True)
    _target_score(model, inp, target).backward()
    return inp.grad.data.copy()


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
    if not is_int(steps) or steps < 1:
        raise ValueError(f"integrated_gradients: steps must be a positive int, got {steps!r}")
    total = np.zeros_like(data)
    for k in range(steps):
        alpha = (k + 0.5) / steps
        total += saliency(model, base + alpha * (data - base), target)
    return (data - base) * total / steps


# ---- inside an image model: a layer's output through a forward hook ----------------------------------

def _number(owner: str, name: str, value: Any, low: float, whole: bool = False) -> Any:
    if not (is_int(value) if whole else is_real(value)):
        raise TypeError(f"{owner}: {name} must be {'an int' if whole else 'a number'}, got {value!r}")
    if not np.isfinite(value) or value < low:
        raise ValueError(f"{owner}: {name} must be at least {low}, got {value!r}")
    return int(value) if whole else float(value)


@contextlib.contextmanager
def _inspecting(model: Any) -> Iterator[None]:
    """Evaluation mode and frozen weights for the block (no weight gradients are computed), then
    each module's mode and each weight's flag back. Gradients are recorded even inside a caller's
    no_grad()."""
    if not isinstance(model, Module):
        with enable_grad():
            yield
        return
    modes = [(m, m.training) for m in model.modules()]
    params = [(p, p.requires_grad) for p in model.parameters() if isinstance(p, Tensor)]
    model.eval()
    for p, _ in params:
        p.requires_grad_(False)
    try:
        with enable_grad():
            yield
    finally:
        for m, mode in modes:
            m.training = mode
        for p, flag in params:
            p.requires_grad_(flag)


def find_layer(model: Any, layer: LayerRef, owner: str) -> tuple:
    """(name, module) for a module of `model` or its dotted name; ValueError when it is not in the model,
    TypeError when `layer` is neither a Module nor a name."""
    named = list(model.named_modules()) if isinstance(model, Module) else []
    if isinstance(layer, str):
        for name, m in named:
            if name == layer:
                return name, m
        names = ", ".join(repr(n) for n, _ in named if n) or "none"
        raise ValueError(f"{owner}: the model has no layer named {layer!r}; its layers are {names}")
    if not isinstance(layer, Module):
        raise TypeError(f"{owner}: layer must be a module of the model or its name, got {type(layer).__name__}")
    for name, m in named:
        if m is layer:
            return name, m
    if named:
        raise ValueError(f"{owner}: {layer!r} is not a layer of this model (look it up in model.named_modules())")
    return type(layer).__name__, layer  # a plain function as the model, calling this layer: trust the caller


def _images(x: Any, owner: str) -> np.ndarray:
    data = np.array(getattr(x, "data", x), dtype=np.float64)
    if data.ndim == 3:
        data = data[None]
    if data.ndim != 4:
        raise ValueError(f"{owner}: expected images (N, C, H, W) or one image (C, H, W), got shape {data.shape}")
    return data


def _target_scores(out: Any, target: Any, n: int, owner: str) -> Tensor:
    """The sum over the batch of each image's target score (rows do not interact in eval mode)."""
    if not isinstance(out, Tensor) or out.ndim != 2:
        raise ValueError(f"{owner}: the model must return class scores (N, classes), got "
                         f"{getattr(out, 'shape', type(out).__name__)}")
    targets = np.broadcast_to(np.asarray(target), (n,)) if np.ndim(target) == 0 else np.asarray(target)
    if targets.shape != (n,) or targets.dtype.kind not in "iu" or targets.min() < 0 or targets.max() >= out.shape[1]:
        raise ValueError(f"{owner}: target must be a class index in 0..{out.shape[1] - 1} (one, or one per image), "
                         f"got {target!r}")
    return out[np.arange(n), targets].sum()


def _run_keeping(model: Any, x: Tensor, name: str, layer: Module, owner: str) -> tuple:
    """Run `model(x)` with a forward hook on `layer` that keeps its output: (scores, feature maps).
    ValueError when the layer's output is not feature maps (N, C, H, W), or the layer is never called."""
    kept: list = []

    def keep(module: Module, args: tuple, output: Any) -> None:
        if not isinstance(output, Tensor) or output.ndim != 4:
            raise ValueError(f"{owner}: layer {name!r} ({type(module).__name__}) outputs "
                             f"{getattr(output, 'shape', type(output).__name__)}, not feature maps (N, C, H, W); "
                             "choose a convolutional layer (a Conv2d, or the activation or pooling after one)")
        kept.append(output)

    handle = layer.register_forward_hook(keep)
    try:
        scores = model(x)
    finally:
        handle.remove()
    if not kept:
        raise ValueError(f"{owner}: the model never called layer {name!r}")
    return scores, kept[-1]


def grad_cam(model: Any, x: Any, target: Any, layer: LayerRef) -> np.ndarray:
    """Grad-CAM heatmaps (N, h, w) of `layer` for class `target` (an int, or one per image).

    ReLU(sum_k alpha_k A_k) with alpha_k the mean over the map of d score / d A_k: large where
    the layer found something that raises the class's score. At the layer's resolution
    (`viz.plot_heatmaps` stretches it over the image). Runs the model in eval mode with its
    weights frozen and restores both. Raises ValueError for a layer not in the model, one
    that does not output feature maps (N, C, H, W), or a target out of range.
    """
    name, module = find_layer(model, layer, "grad_cam")
    data = _images(x, "grad_cam")
    # As a learner writes Grad-CAM in PyTorch: a forward hook keeps the layer's feature maps (in
    # `_run_keeping`) and a full backward hook keeps d score / d maps, its grad_output[0].
    kept: list = []
    handle = module.register_full_backward_hook(lambda m, grad_input, grad_output: kept.append(grad_output[0]))
    try:
        with _inspecting(model):
            # The input asks for a gradient so that the layer's output is part of the graph even with
            # the weights frozen (so the backward pass changes no weight's .grad).
            scores, maps = _run_keeping(model, Tensor(data, requires_grad=True), name, module, "grad_cam")
            _target_scores(scores, target, len(data), "grad_cam").backward()
    finally:
        handle.remove()
    grads = kept[0].data  # the backward pass reaches the layer's last call first
    alpha = grads.mean(axis=(2, 3), keepdims=True)  # (N, K, 1, 1): how much each map matters
    return np.maximum((alpha * maps.data).sum(axis=1), 0.0)


def class_activation_map(model: Any, x: Any, target: Any, layer: LayerRef, linear: LayerRef) -> np.ndarray:
    """CAM heatmaps (N, h, w): sum_k w[target, k] A_k for a model that global-average-pools
    `layer`'s maps (K channels) into the Linear `linear` (K inputs).

    Each map's mean plus the Linear's bias is the target's score. Raises ValueError when the
    layers are not in the model, or the Linear does not take one input per channel.
    """
    _, fc = find_layer(model, linear, "class_activation_map")
    weight = getattr(fc, "weight", None)
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"class_activation_map: {fc!r} is not a Linear layer (weight (classes, channels))")
    name, module = find_layer(model, layer, "class_activation_map")
    data = _images(x, "class_activation_map")
    with _inspecting(model), no_grad():
        _, maps = _run_keeping(model, Tensor(data), name, module, "class_activation_map")
    if maps.shape[1] != weight.shape[1]:
        raise ValueError(f"class_activation_map: layer outputs {maps.shape[1]} channels but {fc!r} takes "
                         f"{weight.shape[1]} inputs; CAM needs global average pooling straight into the Linear")
    targets = np.broadcast_to(np.asarray(target), (len(maps.data),))
    if targets.dtype.kind not in "iu" or targets.min() < 0 or targets.max() >= weight.shape[0]:
        raise ValueError(f"class_activation_map: target must be a class index in 0..{weight.shape[0] - 1}, "
                         f"got {target!r}")
    w = weight.data[targets]  # (N, K)
    return np.einsum("nk,nkhw->nhw", w, maps.data)


def activation_maximization(model: Any, shape: tuple, target: int, layer: Optional[LayerRef] = None,
                            steps: int = 200, lr: float = 0.1, l2: float = 0.01,
                            clip: Optional[tuple] = (0.0, 1.0), seed: int = 0) -> np.ndarray:
    """The input (1, C, H, W) that most raises class `target`'s score (or, with `layer`, the mean
    of that layer's channel `target`), by `steps` of gradient ascent from faint noise.

    Each step climbs score - l2 * ||x||^2 with learning rate `lr` and clips the pixels to
    `clip` (the range the model was trained on; None for no limit). `shape` is one image's
    (C, H, W). Runs in eval mode with the weights frozen. Raises ValueError for bad numbers.
    """
    owner = "activation_maximization"
    steps = _number(owner, "steps", steps, 1, whole=True)
    lr, l2 = _number(owner, "lr", lr, 0), _number(owner, "l2", l2, 0)
    if len(tuple(shape)) != 3:
        raise ValueError(f"activation_maximization: shape must be one image's (C, H, W), got {shape!r}")
    x = np.random.default_rng(seed).normal(0.5 if clip else 0.0, 0.01, (1,) + tuple(shape))
    if layer is not None:
        name, module = find_layer(model, layer, owner)
    with _inspecting(model):
        for _ in range(steps):
            inp = Tensor(x, requires_grad=True)
            if layer is None:
                score = _target_scores(model(inp), target, 1, owner)
            else:
                _, out = _run_keeping(model, inp, name, module, owner)
                if not 0 <= target < out.shape[1]:
                    raise ValueError(f"activation_maximization: layer {name!r} must output feature maps "
                                     f"(N, C, H, W) with a channel {target}, got {out.shape}")
                score = out[0, target].mean()
            (score - l2 * (inp * inp).sum()).backward()
            x = x + lr * inp.grad.data
            if clip is not None:
                x = np.clip(x, clip[0], clip[1])
    return x


def feature_maps(model: Module, x: Any, layers: Optional[Sequence[LayerRef]] = None) -> list:
    """[(title, maps (C, H, W))] of every leaf module (one without children) whose output is an
    image batch, for one input image, in the order the model calls them: for `viz.plot_feature_maps`.

    Titles read "0: Conv2d (8, 8, 8)": the module's dotted name, its class and the output
    shape without the batch axis. `layers` (modules or their dotted names) picks which ones.
    The model runs once without a graph, with a forward hook on each leaf module. Raises
    TypeError for a model that is not an nn.Module, ValueError for a batch of more than one
    image and for `layers` that do not output image batches.
    """
    data = np.asarray(getattr(x, "data", x), dtype=float)
    if data.ndim == 3:
        data = data[None]
    if data.ndim != 4 or data.shape[0] != 1:
        raise ValueError(f"feature_maps: expected one image (C, H, W) or (1, C, H, W), got shape {data.shape}")
    if not isinstance(model, Module):
        raise TypeError(f"feature_maps: expected an nn.Module, got {type(model).__name__}")
    leaves = [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]
    found: list = []

    def watcher(name: str) -> Callable:
        def watch(module: Module, args: tuple, output: Any) -> None:
            if isinstance(output, Tensor) and output.ndim == 4:
                found.append((name, module, output.data[0]))
        return watch

    handles = [m.register_forward_hook(watcher(name)) for name, m in leaves]
    try:
        with _inspecting(model), no_grad():
            model(Tensor(data))
    finally:
        for handle in handles:
            handle.remove()
    if layers is not None:
        found = [f for f in found if any(f[1] is want or f[0] == want for want in layers)]
        if len(found) < len(layers):
            raise ValueError(f"feature_maps: the model made image outputs in {len(found)} of the "
                             f"{len(layers)} layers asked for; give modules of the model (or their names) "
                             "that output (N, C, H, W)")
    if not found:
        raise ValueError("feature_maps: no layer of the model produced an image batch (N, C, H, W)")
    return [(f"{name}: {type(m).__name__} {maps.shape}", maps) for name, m, maps in found]


# ---- a small MLP on the plane: what each neuron computes (TensorFlow Playground's pictures) -----------

def _columns(model: Module) -> list:
    """The model's children grouped into columns, each starting at a layer with a 2-D weight (out, in)."""
    cols: list = []
    for child in model.children():
        w = getattr(child, "weight", None)
        if isinstance(w, Tensor) and w.ndim == 2:
            cols.append([child])
        elif cols:
            cols[-1].append(child)
        else:
            raise TypeError(f"neuron_maps: the model must start with a Linear layer, got {type(child).__name__} first")
    if not cols:
        raise TypeError(f"neuron_maps: {type(model).__name__} has no Linear layer to draw neurons of")
    first = cols[0][0].weight.shape[1]
    if first != 2:
        raise ValueError(f"neuron_maps: neuron heat maps need a model with 2 inputs (the plane), this one has {first}")
    return cols


def neuron_maps(model: Module, X: Any, resolution: int = 24) -> dict:
    """Every neuron's activation on a resolution x resolution grid over the plane of `X` (N, 2), and
    the weights between the columns: the arrays `viz.plot_neurons` draws.

    A column is a layer with a 2-D weight (a Linear) and the elementwise modules after it, among
    the model's children (an nn.Sequential of Linear layers and activations). The model runs its
    own forward once on the grid, without a graph and in eval mode (restored after), and a forward
    hook on the last module of each column keeps that column's output. Returns {"maps": [array
    (width, R, R) per column, the two inputs first], "weights": [array (out, in) per column],
    "extent": (x0, x1, y0, y1)}; pixel [0, 0] is the point (x0, y1), as an image is drawn. Raises
    TypeError for a model that is not such a stack, ValueError for X not (N, 2), a model without
    2 inputs, or a resolution below 2.
    """
    data = np.asarray(getattr(X, "data", X), dtype=float)
    if data.ndim != 2 or data.shape[1] != 2 or not len(data):
        raise ValueError(f"neuron_maps: X must have shape (N, 2) (points of the plane), got {data.shape}")
    if not is_int(resolution) or resolution < 2:
        raise ValueError(f"neuron_maps: resolution must be an int >= 2, got {resolution!r}")
    if not isinstance(model, Module):
        raise TypeError(f"neuron_maps: model must be an nn.Sequential of Linear layers and activations, "
                        f"got {type(model).__name__}")
    cols, r = _columns(model), int(resolution)
    lo, hi = data.min(axis=0) - 0.5, data.max(axis=0) + 0.5  # the data's box with a margin
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], r), np.linspace(hi[1], lo[1], r))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    outputs: list = []
    lasts = list(dict.fromkeys(col[-1] for col in cols))  # a module that ends two columns is hooked once
    handles = [m.register_forward_hook(lambda module, args, out: outputs.append(out)) for m in lasts]
    try:
        with _inspecting(model), no_grad():
            model(Tensor(grid.astype(cols[0][0].weight.dtype)))
    finally:
        for handle in handles:
            handle.remove()
    if len(outputs) != len(cols):
        raise ValueError(f"neuron_maps: {type(model).__name__}'s forward called its {len(cols)} columns' last modules "
                         f"{len(outputs)} times; it must run its children once each, in order")
    maps = [grid.T.reshape(2, r, r)]
    for out in outputs:
        a = np.asarray(out.data, dtype=float)
        maps.append(a.T.reshape(a.shape[1], r, r))
    weights = [np.asarray(col[0].weight.data, dtype=float) for col in cols]
    return {"maps": maps, "weights": weights, "extent": (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))}
