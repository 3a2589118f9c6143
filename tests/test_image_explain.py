"""Explaining image models: Grad-CAM (against PyTorch's version of the same formula), CAM, activation
maximization, saliency and integrated gradients on images, and the image plots of viz."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor
from circuitgrad.nn import explain


def small_cnn(t, gap=False):
    """The same little network in circuitgrad (t = nn) and PyTorch (t = torch.nn)."""
    head = [t.AdaptiveAvgPool2d(1), t.Flatten(), t.Linear(6, 3)] if gap else \
        [t.MaxPool2d(2), t.Flatten(), t.Linear(6 * 3 * 3, 3)]
    return t.Sequential(t.Conv2d(1, 4, 3, padding=1), t.ReLU(), t.Conv2d(4, 6, 3, padding=1), t.ReLU(), *head)


def copied(torch, ours):
    theirs = small_cnn(torch.nn, gap=isinstance(ours[4], nn.AdaptiveAvgPool2d)).double()
    with torch.no_grad():
        for (_, p), q in zip(theirs.named_parameters(), ours.parameters()):
            p.copy_(torch.tensor(q.data))
    return theirs


@pytest.mark.parametrize("layer", [2, 3])
def test_grad_cam_matches_a_pytorch_implementation_of_the_formula(torch, rng, layer):
    np.random.seed(0)
    ours = small_cnn(nn)
    theirs = copied(torch, ours)
    x = rng.uniform(0, 1, (4, 1, 6, 6))
    targets = np.array([0, 2, 1, 2])
    cam = explain.grad_cam(ours, x, targets, str(layer))
    # PyTorch: the layer's output A, d score / dA by autograd, alpha = mean over the map, ReLU(sum alpha A).
    A = theirs[:layer + 1](torch.tensor(x))
    A.retain_grad()
    theirs[layer + 1:](A)[torch.arange(4), torch.tensor(targets)].sum().backward()
    alpha = A.grad.mean(dim=(2, 3), keepdim=True)
    expected = torch.relu((alpha * A).sum(dim=1)).detach().numpy()
    assert cam.shape == (4, 6, 6)
    np.testing.assert_allclose(cam, expected, rtol=1e-10, atol=1e-12)
    assert cam.max() > 0


def test_cam_of_a_gap_network_adds_up_to_the_score_and_agrees_with_grad_cam(rng):
    np.random.seed(1)
    model = small_cnn(nn, gap=True)
    x = rng.uniform(0, 1, (3, 1, 6, 6))
    scores = model(Tensor(x)).data
    for c in range(3):
        cam = explain.class_activation_map(model, x, c, layer=model[3], linear=model[6])
        np.testing.assert_allclose(cam.mean(axis=(1, 2)) + model[6].bias.data[c], scores[:, c], rtol=1e-10)
        # With global average pooling each map's gradient is w_ck / (h w) everywhere, so Grad-CAM is ReLU(CAM) / (h w).
        np.testing.assert_allclose(explain.grad_cam(model, x, c, model[3]), np.maximum(cam, 0) / 36, rtol=1e-9, atol=1e-12)


def test_explanations_leave_the_model_as_they_found_it(rng):
    model = small_cnn(nn)
    model[0].weight.requires_grad_(False)
    explain.grad_cam(model, rng.uniform(0, 1, (2, 1, 6, 6)), 1, model[1])
    assert model.training and all(m.training for m in model.modules())
    assert [p.requires_grad for p in model.parameters()] == [False] + [True] * 5
    assert all(p.grad is None for p in model.parameters())  # frozen while explaining: no weight gradients
    assert all(not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
               for m in model.modules())  # the hooks are removed
    assert "forward" not in model[1].__dict__  # and no method was shadowed


def test_grad_cam_errors(rng):
    model = small_cnn(nn)
    x = rng.uniform(0, 1, (2, 1, 6, 6))
    with pytest.raises(ValueError, match=r"grad_cam: the model has no layer named '9'; its layers are '0', '1'"):
        explain.grad_cam(model, x, 0, "9")
    with pytest.raises(ValueError, match=r"grad_cam: Conv2d\(1, 4, .*\) is not a layer of this model"):
        explain.grad_cam(model, x, 0, nn.Conv2d(1, 4, 3))
    with pytest.raises(ValueError, match=r"grad_cam: layer '5' \(Flatten\) outputs \(2, 54\), not feature maps "
                                         r"\(N, C, H, W\); choose a convolutional layer"):
        explain.grad_cam(model, x, 0, "5")
    with pytest.raises(ValueError, match=r"grad_cam: target must be a class index in 0..2"):
        explain.grad_cam(model, x, 3, "2")
    with pytest.raises(ValueError, match=r"grad_cam: expected images \(N, C, H, W\)"):
        explain.grad_cam(model, np.ones((6, 6)), 0, "2")
    with pytest.raises(TypeError, match="grad_cam: layer must be a module of the model or its name"):
        explain.grad_cam(model, x, 0, 2)
    with pytest.raises(ValueError, match=r"class_activation_map: layer outputs 6 channels but Linear\(in_features=54"):
        explain.class_activation_map(model, x, 0, "3", "6")


def test_activation_maximization_finds_an_input_with_a_higher_score():
    np.random.seed(2)
    model = small_cnn(nn)
    start = np.full((1, 1, 6, 6), 0.5)
    with_grad = explain.activation_maximization(model, (1, 6, 6), 2, steps=60, lr=0.5, l2=0.0)
    assert with_grad.shape == (1, 1, 6, 6) and with_grad.min() >= 0 and with_grad.max() <= 1
    score = lambda img: model(Tensor(img)).data[0, 2]  # noqa: E731
    randoms = np.random.default_rng(0).uniform(0, 1, (50, 1, 6, 6))
    assert score(with_grad) > max(model(Tensor(randoms)).data[:, 2])  # beats 50 random images
    assert score(with_grad) > score(start)
    shrunk = explain.activation_maximization(model, (1, 6, 6), 2, steps=60, lr=0.5, l2=0.5)
    assert np.sum(shrunk ** 2) < np.sum(with_grad ** 2)  # the L2 penalty keeps the image small
    unit = explain.activation_maximization(model, (1, 6, 6), 3, layer="1", steps=40, lr=0.5, l2=0.0)
    feature = lambda img: model[:2](Tensor(img)).data[0, 3].mean()  # noqa: E731
    assert feature(unit) > feature(start)
    with pytest.raises(ValueError, match=r"shape must be one image's \(C, H, W\)"):
        explain.activation_maximization(model, (6, 6), 0)
    with pytest.raises(ValueError, match=r"layer '5' \(Flatten\) outputs \(1, 54\), not feature maps"):
        explain.activation_maximization(model, (1, 6, 6), 0, layer="5", steps=1)


def test_saliency_and_integrated_gradients_work_on_images(rng):
    np.random.seed(3)
    model = small_cnn(nn).eval()
    x = rng.uniform(0, 1, (1, 1, 6, 6))
    sal = explain.saliency(model, x, target=1)
    assert sal.shape == x.shape and np.abs(sal).sum() > 0
    ig = explain.integrated_gradients(model, x, target=1, steps=64)
    gain = model(Tensor(x)).data[0, 1] - model(Tensor(np.zeros_like(x))).data[0, 1]
    assert ig.shape == x.shape and abs(ig.sum() - gain) < 0.05 * abs(gain) + 1e-3  # completeness


# ---- the image plots ------------------------------------------------------------------------------

matplotlib = pytest.importorskip("matplotlib", reason="the plots need matplotlib (the test extra)")


def test_plot_filters_feature_maps_and_heatmaps_return_figures(rng, tmp_path):
    from matplotlib.figure import Figure
    model = small_cnn(nn)
    fig = viz.plot_filters(model[0])
    assert isinstance(fig, Figure) and len([a for a in fig.axes if a.images]) == 4 and len(fig.axes) == 5  # + colour bar
    assert isinstance(viz.plot_filters(model[2].weight.data, max_filters=3), Figure)
    maps = explain.feature_maps(model, rng.uniform(0, 1, (1, 6, 6)))
    assert [title for title, _ in maps] == ["0: Conv2d (4, 6, 6)", "1: ReLU (4, 6, 6)", "2: Conv2d (6, 6, 6)",
                                            "3: ReLU (6, 6, 6)", "4: MaxPool2d (6, 3, 3)"]
    picked = explain.feature_maps(model, rng.uniform(0, 1, (1, 1, 6, 6)), layers=[model[4], "0"])
    assert [m.shape for _, m in picked] == [(4, 6, 6), (6, 3, 3)]
    image = rng.uniform(0, 1, (1, 6, 6))
    fig = viz.plot_feature_maps(image, explain.feature_maps(model, image), max_maps=4)
    assert isinstance(fig, Figure) and len(fig.axes) == 5 * 5
    heat = viz.plot_heatmaps(rng.uniform(0, 1, (3, 1, 6, 6)), rng.uniform(0, 1, (3, 3, 3)), titles=["a", "b", "c"])
    assert isinstance(heat, Figure) and [a.get_title() for a in heat.axes] == ["a", "b", "c"]
    fig.savefig(tmp_path / "maps.png")
    assert (tmp_path / "maps.png").stat().st_size > 1000


def test_image_plot_errors(rng):
    model = small_cnn(nn)
    with pytest.raises(ValueError, match=r"plot_filters: expected a Conv2d .* got Linear with weight shape \(3, 54\)"):
        viz.plot_filters(model[6])
    with pytest.raises(ValueError, match=r"feature_maps: expected one image"):
        explain.feature_maps(model, rng.uniform(0, 1, (2, 1, 6, 6)))
    with pytest.raises(TypeError, match=r"feature_maps: expected an nn.Module, got function"):
        explain.feature_maps(lambda x: x, rng.uniform(0, 1, (1, 6, 6)))
    with pytest.raises(ValueError, match=r"plot_feature_maps: maps must be a non-empty list of \(title, array"):
        viz.plot_feature_maps(np.ones((1, 6, 6)), [("0: Conv2d", np.ones((6, 6)))])
    with pytest.raises(ValueError, match="made image outputs in 1 of the 2 layers"):
        explain.feature_maps(model, rng.uniform(0, 1, (1, 6, 6)), layers=["0", "6"])
    with pytest.raises(ValueError, match="plot_heatmaps: 2 images but 3 heatmaps"):
        viz.plot_heatmaps(np.ones((2, 6, 6)), np.ones((3, 3, 3)))


def test_the_old_viz_names_say_where_they_moved():
    for name in ("grad_cam", "class_activation_map", "activation_maximization", "feature_maps", "saliency",
                 "integrated_gradients"):
        with pytest.raises(AttributeError, match=rf"viz.{name} moved to nn.explain.{name}"):
            getattr(viz, name)


def test_grad_cam_works_inside_no_grad(rng):
    from circuitgrad.autograd import no_grad
    model = small_cnn(nn)
    x = rng.uniform(0, 1, (2, 1, 6, 6))
    expected = explain.grad_cam(model, x, 1, "2")
    with no_grad():
        np.testing.assert_allclose(explain.grad_cam(model, x, 1, "2"), expected)
