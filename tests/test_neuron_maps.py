"""Neuron maps (TensorFlow Playground's pictures) are read from the model by nn, through forward
hooks, and drawn by viz from the arrays: what each neuron computes over the plane."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor
from circuitgrad.nn.explain import neuron_maps

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])


def xor_net():
    np.random.seed(0)
    return nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())


def test_each_map_is_that_neurons_activation_at_each_point_of_the_plane():
    model = xor_net()
    info = neuron_maps(model, X, resolution=5)
    assert [m.shape for m in info["maps"]] == [(2, 5, 5), (4, 5, 5), (1, 5, 5)]
    assert [w.shape for w in info["weights"]] == [(4, 2), (1, 4)]
    x0, x1, y0, y1 = info["extent"]
    assert (x0, x1, y0, y1) == (-0.5, 1.5, -0.5, 1.5)
    w, b = model[0].weight.data, model[0].bias.data
    # pixel [0, 0] is the top-left point (x0, y1); a hidden neuron there is tanh(W p + b)
    np.testing.assert_allclose(info["maps"][1][:, 0, 0], np.tanh(w @ np.array([x0, y1]) + b), rtol=1e-12)
    np.testing.assert_allclose(info["maps"][2][0, 2, 2], model(Tensor([[0.5, 0.5]])).item(), rtol=1e-12)
    assert model.training and all(p.requires_grad for p in model.parameters())  # mode and flags restored
    assert all(not m._forward_hooks for m in model.modules())  # the hooks are removed


def test_viz_legacy_walk_gives_the_same_arrays_as_the_hooks():
    # viz.live still computes the maps by walking the layers (viz/neurons.py); it must agree.
    from circuitgrad.viz.neurons import neuron_maps as walked
    model = xor_net()
    ours, theirs = neuron_maps(model, X, 6), walked(model, X, 6)
    assert all(np.array_equal(a, b) for a, b in zip(ours["maps"], theirs["maps"]))
    assert all(np.array_equal(a, b) for a, b in zip(ours["weights"], theirs["weights"]))


def test_plot_neurons_draws_the_arrays_and_the_model_form_is_deprecated():
    pytest.importorskip("matplotlib", reason="plot_neurons needs matplotlib")
    model = xor_net()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = viz.plot_neurons(neuron_maps(model, X, 8), X, Y)
    assert len(fig.axes) == 2 + 4 + 1 + 1 and len(fig.artists) == 2 * 4 + 4 * 1
    with pytest.warns(DeprecationWarning, match=r"plot_neurons\(nn.explain.neuron_maps\(model, X\), X, y\)"):
        old = viz.plot_neurons(model, X, Y, resolution=8)
    assert len(old.axes) == len(fig.axes)
    with pytest.raises(ValueError, match="what nn.explain.neuron_maps"):
        viz.plot_neurons({"maps": []}, X)


def test_neuron_maps_refuse_what_they_cannot_draw():
    model = xor_net()
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\).*\(4, 3\)"):
        neuron_maps(model, np.ones((4, 3)))
    with pytest.raises(ValueError, match="2 inputs .* has 3"):
        neuron_maps(nn.Sequential(nn.Linear(3, 1)), X)
    with pytest.raises(TypeError, match="nn.Sequential .* got function"):
        neuron_maps(lambda x: x, X)
    with pytest.raises(TypeError, match="must start with a Linear layer, got Tanh"):
        neuron_maps(nn.Sequential(nn.Tanh(), nn.Linear(2, 1)), X)
    with pytest.raises(ValueError, match="resolution must be an int >= 2, got 1"):
        neuron_maps(model, X, resolution=1)
