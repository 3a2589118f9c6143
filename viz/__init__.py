"""Pictures of the autograd graph (CS231n circuits, record boxes, backprop step by step) and
training plots.

    >>> import viz
    >>> from autograd import Value
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> viz.render(f, "circuit.svg")   # doctest: +SKIP

`draw` returns a `graphviz.Digraph`, which Jupyter shows inline. The plots need
matplotlib, which is imported only when a plot function is first called, so `import viz`
stays cheap and works without it.
"""
from __future__ import annotations

from typing import Any

from .explain import integrated_gradients, plot_attributions, saliency
from .render import GraphvizNotFound, draw, render
from .steps import backprop_steps, save_steps, step_through

_PLOTS = ("plot_history", "plot_decision_boundary", "plot_grad_flow", "plot_activations")

__all__ = ["draw", "render", "backprop_steps", "save_steps", "step_through", "GraphvizNotFound",
           "saliency", "integrated_gradients", "plot_attributions", *_PLOTS]


def __getattr__(name: str) -> Any:
    # The plot functions live in viz.plots, which imports matplotlib; load it on first use.
    if name in _PLOTS:
        from . import plots
        return getattr(plots, name)
    raise AttributeError(f"module 'viz' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(list(globals()) + list(_PLOTS))
