"""Saliency and integrated gradients: checked against finite differences of the model's output."""
import numpy as np
import pytest

from circuitgrad.autograd import Tensor, no_grad
from circuitgrad.nn.explain import integrated_gradients, saliency
from circuitgrad.viz import plot_attributions


def make_model(seed=0):
    rng = np.random.default_rng(seed)
    w1, b1 = rng.normal(size=(4, 6)), rng.normal(size=6)
    w2 = rng.normal(size=(6, 3))
    return lambda x: ((x @ Tensor(w1) + Tensor(b1)).tanh() @ Tensor(w2))


def numeric_gradient(model, x, target, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        with no_grad():
            grad[i] = (model(Tensor(up)).data[..., target].sum() - model(Tensor(down)).data[..., target].sum()) / (2 * eps)
    return grad


def test_saliency_equals_finite_differences():
    model = make_model()
    x = np.random.default_rng(1).normal(size=(2, 4))
    for target in range(3):
        np.testing.assert_allclose(saliency(model, x, target), numeric_gradient(model, x, target), atol=1e-7)


def test_integrated_gradients_are_complete():
    model = make_model(2)
    x = np.random.default_rng(3).normal(size=(1, 4))
    attr = integrated_gradients(model, x, target=1, steps=200)
    change = model(Tensor(x)).data[0, 1] - model(Tensor(np.zeros((1, 4)))).data[0, 1]
    assert attr.shape == x.shape
    assert abs(attr.sum() - change) < 1e-3 * max(1.0, abs(change))


def test_integrated_gradients_of_a_linear_model_are_exact():
    w = np.array([[1.0], [-2.0], [0.5]])
    attr = integrated_gradients(lambda x: x @ Tensor(w), np.array([[2.0, 1.0, 4.0]]), steps=3)
    np.testing.assert_allclose(attr, [[2.0, -2.0, 2.0]])


def test_plot_attributions_bars_and_image():
    import matplotlib
    matplotlib.use("Agg")
    fig = plot_attributions([1, 2, 3, 4], [0.5, -0.2, 0.1, 0.0], image_shape=(2, 2))
    assert len(fig.axes) == 3
    assert fig.axes[0].images[0].get_cmap().name == "gray_r"  # ink (1) dark on a white page (0)
    fig = plot_attributions([1, 2], [0.5, -0.2], feature_names=["height", "weight"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["height", "weight"]


def test_bad_explain_input():
    model = make_model()
    with pytest.raises(ValueError, match="3 outputs; say which one with target="):
        saliency(model, np.zeros((1, 4)))
    with pytest.raises(ValueError, match="target 5 is out of range for 3 outputs"):
        saliency(model, np.zeros((1, 4)), target=5)
    with pytest.raises(ValueError, match=r"baseline shape \(1, 3\) differs from input shape \(1, 4\)"):
        integrated_gradients(model, np.zeros((1, 4)), 0, baseline=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="steps must be a positive int"):
        integrated_gradients(model, np.zeros((1, 4)), 0, steps=0)
    with pytest.raises(ValueError, match="image_shape"):
        plot_attributions([1, 2, 3], [1, 2, 3], image_shape=(2, 2))
