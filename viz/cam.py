"""What an image model looks at: Grad-CAM, class activation maps (CAM) and activation maximization.

All three ask backprop about the input or a layer instead of the weights:

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

Like saliency (`viz.explain`), these need only autograd: the model is anything with
`named_modules()` (an `nn.Module`), found by duck typing, so viz does not import nn. A layer
is reached by putting a wrapper around its `forward` for one call (an instance attribute that
shadows the class's method), which the model's own call then runs. `viz.plot_heatmaps`
draws the maps.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional, Sequence, Union

import numpy as np

from circuitgrad.autograd import Tensor, enable_grad, no_grad

LayerRef = Union[Any, str]  # a module of the model, or its dotted name


def _is_module(obj: Any) -> bool:
    return callable(getattr(obj, "named_modules", None)) and callable(getattr(obj, "forward", None))


def _number(owner: str, name: str, value: Any, low: float, whole: bool = False) -> Any:
    kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(f"{owner}: {name} must be {'an int' if whole else 'a number'}, got {value!r}")
    if not np.isfinite(value) or value < low:
        raise ValueError(f"{owner}: {name} must be at least {low}, got {value!r}")
    return int(value) if whole else float(value)


@contextlib.contextmanager
def _inspecting(model: Any) -> Iterator[None]:
    """Evaluation mode and frozen weights for the block (no weight gradients are computed), then
    the model's own modes and flags back. Gradients are recorded even inside a caller's no_grad()."""
    if not _is_module(model):
        with enable_grad():
            yield
        return
    modes = [(m, m.training) for m in model.modules()]
    params = [(p, p.requires_grad) for p in model.parameters() if isinstance(p, Tensor)]
    model.eval()
    for p, _ in params:
        p.requires_grad = False
    try:
        with enable_grad():
            yield
    finally:
        for m, mode in modes:
            m.__dict__["training"] = mode
        for p, flag in params:
            p.requires_grad = flag


@contextlib.contextmanager
def _wrapping(wrappers: Sequence[tuple]) -> Iterator[None]:
    """For the block, each (module, wrap) pair's module runs `wrap(its forward)` instead: an instance
    attribute that shadows the class's method, deleted afterwards, so the model's own call runs it."""
    try:
        for module, wrap in wrappers:
            object.__setattr__(module, "forward", wrap(module.forward))
        yield
    finally:
        for module, _ in wrappers:
            module.__dict__.pop("forward", None)


def find_layer(model: Any, layer: LayerRef, owner: str) -> tuple:
    """(name, module) for a module of `model` or its dotted name; ValueError when it is not in the model."""
    named = list(model.named_modules()) if _is_module(model) else []
    if isinstance(layer, str):
        for name, m in named:
            if name == layer:
                return name, m
        names = ", ".join(repr(n) for n, _ in named if n) or "none"
        raise ValueError(f"{owner}: the model has no layer named {layer!r}; its layers are {names}")
    if not callable(getattr(layer, "forward", None)):
        raise TypeError(f"{owner}: layer must be a module of the model or its name, got {type(layer).__name__}")
    for name, m in named:
        if m is layer:
            return name, m
    if named:
        raise ValueError(f"{owner}: {layer!r} is not a layer of this model (look it up in model.named_modules())")
    return type(layer).__name__, layer  # a plain callable model: trust the caller


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


def feature_maps_and_gradients(model: Any, x: Any, target: Any, layer: LayerRef, owner: str = "grad_cam") -> tuple:
    """(A, dy/dA, scores): `layer`'s output (N, K, h, w), the target score's gradient there, and
    the model's scores (N, classes), for images x.

    The graph is cut at the layer: its output becomes a leaf that backprop fills, so the
    gradient is read off a leaf whatever the engine keeps on interior nodes.
    """
    name, module = find_layer(model, layer, owner)
    data = _images(x, owner)
    seen: dict = {}

    def cut(original: Any) -> Any:
        def forward(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            if not isinstance(out, Tensor) or out.ndim != 4:
                raise ValueError(f"{owner}: layer {name!r} ({type(module).__name__}) outputs "
                                 f"{getattr(out, 'shape', type(out).__name__)}, not feature maps (N, C, H, W); "
                                 "choose a convolutional layer (a Conv2d, or the activation or pooling after one)")
            leaf = Tensor(out.data, requires_grad=True)
            seen["maps"] = leaf
            return leaf
        return forward

    with _inspecting(model):
        with _wrapping([(module, cut)]):
            scores = model(Tensor(data))
        if "maps" not in seen:
            raise ValueError(f"{owner}: the model never called layer {name!r}")
        _target_scores(scores, target, len(data), owner).backward()
    maps = seen["maps"]
    return maps.data, maps.grad, scores.data


def grad_cam(model: Any, x: Any, target: Any, layer: LayerRef) -> np.ndarray:
    """Grad-CAM heatmaps (N, h, w) of `layer` for class `target` (an int, or one per image).

    ReLU(sum_k alpha_k A_k) with alpha_k the mean over the map of d score / d A_k: large where
    the layer found something that raises the class's score. At the layer's resolution
    (`viz.plot_heatmaps` stretches it over the image). Runs the model in eval mode with its
    weights frozen and restores both. Raises ValueError for a layer not in the model, one
    that does not output feature maps (N, C, H, W), or a target out of range.
    """
    maps, grads, _ = feature_maps_and_gradients(model, x, target, layer, "grad_cam")
    alpha = grads.mean(axis=(2, 3), keepdims=True)  # (N, K, 1, 1): how much each map matters
    return np.maximum((alpha * maps).sum(axis=1), 0.0)


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
    maps, _, _ = feature_maps_and_gradients(model, x, 0, layer, "class_activation_map")
    if maps.shape[1] != weight.shape[1]:
        raise ValueError(f"class_activation_map: layer outputs {maps.shape[1]} channels but {fc!r} takes "
                         f"{weight.shape[1]} inputs; CAM needs global average pooling straight into the Linear")
    targets = np.broadcast_to(np.asarray(target), (len(maps),))
    if targets.dtype.kind not in "iu" or targets.min() < 0 or targets.max() >= weight.shape[0]:
        raise ValueError(f"class_activation_map: target must be a class index in 0..{weight.shape[0] - 1}, "
                         f"got {target!r}")
    w = weight.data[targets]  # (N, K)
    return np.einsum("nk,nkhw->nhw", w, maps)


def activation_maximization(model: Any, shape: tuple, target: int, layer: Optional[LayerRef] = None,
                            steps: int = 200, lr: float = 0.1, l2: float = 0.01,
                            clip: Optional[tuple] = (0.0, 1.0), seed: int = 0) -> np.ndarray:
    """The input (1, C, H, W) that most raises class `target`'s score (or, with `layer`, the mean
    of that layer's channel `target`), by `steps` of gradient ascent from faint noise.

    Each step climbs score - l2 * ||x||^2 with learning rate `lr` and clips the pixels to
    `clip` (the range the model was trained on; None for no limit). `shape` is one image's
    (C, H, W). Runs in eval mode with the weights frozen. Raises ValueError for bad numbers.
    """
    steps = _number("activation_maximization", "steps", steps, 1, whole=True)
    lr, l2 = _number("activation_maximization", "lr", lr, 0), _number("activation_maximization", "l2", l2, 0)
    if len(tuple(shape)) != 3:
        raise ValueError(f"activation_maximization: shape must be one image's (C, H, W), got {shape!r}")
    x = np.random.default_rng(seed).normal(0.5 if clip else 0.0, 0.01, (1,) + tuple(shape))
    seen: dict = {}

    def keep(original: Any) -> Any:
        def forward(*args: Any) -> Any:
            seen["out"] = out = original(*args)
            return out
        return forward

    if layer is not None:
        name, module = find_layer(model, layer, "activation_maximization")
    with _inspecting(model):
        for _ in range(steps):
            inp = Tensor(x, requires_grad=True)
            if layer is None:
                score = _target_scores(model(inp), target, 1, "activation_maximization")
            else:
                with _wrapping([(module, keep)]):
                    model(inp)
                out = seen.get("out")
                if not isinstance(out, Tensor) or out.ndim != 4 or not 0 <= target < out.shape[1]:
                    raise ValueError(f"activation_maximization: layer {name!r} must output feature maps "
                                     f"(N, C, H, W) with a channel {target}, got {getattr(out, 'shape', None)}")
                score = out[0, target].mean()
            (score - l2 * (inp * inp).sum()).backward()
            x = x + lr * inp.grad
            if clip is not None:
                x = np.clip(x, clip[0], clip[1])
    return x


def feature_maps(model: Any, x: Any, layers: Optional[Sequence[Any]] = None) -> list:
    """[(title, maps (C, H, W))] of every leaf module (one without children) whose output is an
    image batch, for one input image, in the order the model calls them.

    Titles read "0: Conv2d (8, 8, 8)": the module's dotted name, its class and the output
    shape without the batch axis. `layers` (modules or their dotted names) picks which ones.
    The model runs once without a graph. Raises ValueError for a batch of more than one image
    and for `layers` that do not output image batches.
    """
    data = np.asarray(getattr(x, "data", x), dtype=float)
    if data.ndim == 3:
        data = data[None]
    if data.ndim != 4 or data.shape[0] != 1:
        raise ValueError(f"plot_feature_maps: expected one image (C, H, W) or (1, C, H, W), got shape {data.shape}")
    if not _is_module(model):
        raise TypeError(f"plot_feature_maps: expected an nn.Module (with named_modules()), got {type(model).__name__}")
    leaves = [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]
    found: list = []

    def watch(name: str, module: Any) -> Any:
        def wrap(original: Any) -> Any:
            def forward(*args: Any, **kwargs: Any) -> Any:
                out = original(*args, **kwargs)
                if isinstance(out, Tensor) and out.ndim == 4:
                    found.append((name, module, out.data[0]))
                return out
            return forward
        return wrap

    with _inspecting(model), no_grad(), _wrapping([(m, watch(name, m)) for name, m in leaves]):
        model(Tensor(data))
    if layers is not None:
        found = [f for f in found if any(f[1] is want or f[0] == want for want in layers)]
        if len(found) < len(layers):
            raise ValueError(f"plot_feature_maps: the model made image outputs in {len(found)} of the "
                             f"{len(layers)} layers asked for; give modules of the model (or their names) "
                             "that output (N, C, H, W)")
    if not found:
        raise ValueError("plot_feature_maps: no layer of the model produced an image batch (N, C, H, W)")
    return [(f"{name}: {type(m).__name__} {maps.shape}", maps) for name, m, maps in found]
