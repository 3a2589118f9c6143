"""Pictures of the autograd graph (CS231n circuits, record boxes, backprop step by step) and
training plots.

    >>> from circuitgrad import viz
    >>> from circuitgrad.autograd import Value
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> viz.render(f, "circuit.svg")   # doctest: +SKIP

`draw` returns a `graphviz.Digraph`, which Jupyter shows inline. The plots need
matplotlib, which is imported only when a plot function is first called, so importing viz
stays cheap and works without it.
"""


from __future__ import annotations

if __name__ == "viz":  # this folder imported as a top-level package, e.g. from the repository root
    raise ImportError("circuitgrad's viz folder was imported as 'viz'; import it as "
                      "'circuitgrad.viz' (PyPI has unrelated top-level packages of that name)")

from typing import Any

from .attributions import plot_attributions
from .explore import Explorer, explore
from .live import Live, live
from .neurons import plot_neurons
from .render import GraphvizNotFound, draw, render
from .steps import backprop_steps, save_steps, step_through

_PLOTS = ("plot_history", "plot_decision_boundary", "plot_grad_flow", "plot_activations")
_IMAGES = ("plot_filters", "plot_feature_maps", "plot_heatmaps", "plot_images")

# Explaining a model is nn's work (viz draws arrays and never imports nn): these names moved.
_MOVED = ("saliency", "integrated_gradients", "grad_cam", "class_activation_map", "activation_maximization",
          "feature_maps")

__all__ = ["draw", "render", "explore", "Explorer", "live", "Live", "plot_neurons", "backprop_steps", "save_steps",
           "step_through", "GraphvizNotFound", "plot_attributions", *_PLOTS, *_IMAGES]


def __getattr__(name: str) -> Any:
    # The plot functions live in viz.plots, which imports matplotlib; load it on first use.
    if name in _PLOTS:
        from . import plots
        return getattr(plots, name)
    if name in _IMAGES:
        from . import images
        return getattr(images, name)
    if name in _MOVED:
        raise AttributeError(f"viz.{name} moved to nn.explain.{name} (viz draws the arrays it returns): "
                             f"from circuitgrad import nn; nn.explain.{name}(...)")
    raise AttributeError(f"module 'circuitgrad.viz' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(list(globals()) + list(_PLOTS) + list(_IMAGES))
