"""What the live page needs to replay one sample's forward and backward pass in the browser.

The page (viz/explorer/live.js) recomputes a chosen sample's graph from the weights recorded at
each epoch: every neuron's pre-activation z = w . a + b and activation a = f(z), the loss of that
one sample, and the gradient of that loss with respect to every z, a, weight, bias and input.
It does so with the same formulas as circuitgrad's ops (Linear, the activations below, the
losses below), in float64, so its numbers equal `model(x)` and its backward to rounding.

`replay_spec` describes the model and the loss for the page and refuses, with a ValueError
naming the layer or loss, anything the page has no formula for. The weights of an epoch travel
as the float64 bytes of every layer's weight (row-major) then bias, base64: bit for bit, so
`unpack` restores exactly what the model held.
"""
from __future__ import annotations

import base64
from typing import Any

import numpy as np

from circuitgrad.autograd.ops.fused import BCE_EPS
from circuitgrad.autograd.ops.maths import exp_limit

from .neurons import columns

# module class name -> the page's name for it (the formulas are in live.js, as in autograd/ops/functions.py)
ACTIVATIONS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "LeakyReLU": "leaky_relu"}
LOSSES = {"BCELoss": "bce", "MSELoss": "mse", "CrossEntropyLoss": "cross_entropy"}
MAX_NODES = 400  # the page's graph stays readable (and redraws at >= 10 fps) up to this many neurons


def replay_spec(model: Any, loss: Any) -> dict:
    """The layers and the loss as the page replays them: {"layers": [...], "loss": {...}}.

    Raises ValueError for a layer or loss the page cannot replay (say which, and what it can),
    a model without 2 inputs, or a graph of more than MAX_NODES neurons; TypeError for a model
    that is not a stack of Linear layers and activations.
    """
    layers = []
    for col in columns("live", model):
        linear, rest = col[0], col[1:]
        if type(linear).__name__ != "Linear":
            raise ValueError(f"live: the sample's graph replays Linear layers only, got {type(linear).__name__}")
        if len(rest) > 1 or (rest and type(rest[0]).__name__ not in ACTIVATIONS):
            names = ", ".join(type(m).__name__ for m in rest)
            raise ValueError(f"live: after each Linear the sample's graph replays one of {', '.join(ACTIVATIONS)} "
                             f"(or nothing), got {names}; drop it or draw this model with viz.explore instead")
        out, inp = np.shape(linear.weight.data)
        act = ACTIVATIONS[type(rest[0]).__name__] if rest else None
        layers.append({"in": int(inp), "out": int(out), "bias": linear.bias is not None, "act": act,
                       "slope": float(getattr(rest[0], "negative_slope", 0.0)) if rest else 0.0})
    nodes = 2 + sum(layer["out"] for layer in layers)
    if nodes > MAX_NODES:
        raise ValueError(f"live: the sample's graph would have {nodes} neurons, more than the {MAX_NODES} the page "
                         "draws legibly; train a narrower model, or pass loss=None to watch only the curves and maps, "
                         "or draw one pass collapsed to a box a layer: with nn.trace_modules() as trace: "
                         "loss = loss_fn(model(X), y); then viz.draw(loss, trace=trace, collapse=True)")
    return {"layers": layers, "loss": _loss_spec(loss, layers[-1])}


def _loss_spec(loss: Any, last: dict) -> dict:
    kind = LOSSES.get(type(loss).__name__)
    if kind is None:
        raise ValueError(f"live: the sample's graph replays {', '.join(LOSSES)}, got {type(loss).__name__}; "
                         "pass loss=None to watch only the curves and maps")
    if getattr(loss, "weight", None) is not None or getattr(loss, "label_smoothing", 0.0) != 0.0:
        raise ValueError(f"live: the sample's graph replays {type(loss).__name__} without weight= or "
                         "label_smoothing=")
    if loss.reduction not in ("mean", "sum"):
        raise ValueError(f"live: the loss must reduce (reduction 'mean' or 'sum'), got {loss.reduction!r}")
    if kind == "bce" and last["act"] != "sigmoid":
        raise ValueError("live: BCELoss takes probabilities, so the model must end in Sigmoid")
    if kind == "cross_entropy" and last["act"] is not None:
        raise ValueError("live: CrossEntropyLoss takes raw scores, so the model must end in a Linear layer")
    if kind in ("bce", "mse") and last["out"] != 1:
        raise ValueError(f"live: the sample's graph replays {type(loss).__name__} on one output, the model has "
                         f"{last['out']}")
    # the constants of circuitgrad's own formulas, so the page computes the same numbers
    return {"kind": kind, "reduction": loss.reduction, "eps": BCE_EPS, "exp_limit": float(exp_limit(np.float64))}


def parameters(model: Any) -> list:
    """Every Linear layer's weight then bias (None without bias), in the page's order."""
    out = []
    for col in columns("live", model):
        out += [col[0].weight, col[0].bias]
    return [p for p in out if p is not None]


def pack(model: Any) -> str:
    """The model's weights as base64 of their float64 bytes, little-endian, in `parameters` order."""
    flat = np.concatenate([np.asarray(p.data, dtype="<f8").ravel() for p in parameters(model)])
    return base64.b64encode(flat.tobytes()).decode("ascii")


def unpack(text: str, model: Any) -> list:
    """The arrays `pack` wrote, shaped as `model`'s parameters (ValueError if the sizes differ)."""
    flat = np.frombuffer(base64.b64decode(text), dtype="<f8")
    params = parameters(model)
    if flat.size != sum(int(np.size(p.data)) for p in params):
        raise ValueError(f"live: recorded weights hold {flat.size} numbers, the model has "
                         f"{sum(int(np.size(p.data)) for p in params)}")
    arrays, at = [], 0
    for p in params:
        n = int(np.size(p.data))
        arrays.append(flat[at:at + n].reshape(np.shape(p.data)).copy())
        at += n
    return arrays
