"""The image layers against PyTorch with copied weights (outputs and every gradient, float64), through
gradcheck, with PyTorch's init, and with a clear error for every bad input."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, gradcheck
import circuitgrad.nn.functional as F


def copy_into(torch, ours, theirs):
    """Our parameters into the PyTorch module, by name (the same names and layouts)."""
    named = dict(theirs.named_parameters())
    assert set(named) == {name for name, _ in ours.named_parameters()}
    with torch.no_grad():
        for name, p in ours.named_parameters():
            assert tuple(named[name].shape) == p.shape, name
            named[name].copy_(torch.tensor(p.data))


def assert_layer_matches(torch, ours, theirs, x, rtol=1e-9, atol=1e-10):
    """Same output, same input gradient and same parameter gradients for a random upstream gradient."""
    copy_into(torch, ours, theirs)
    xs, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = ours(xs), theirs(xt)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol, err_msg="output")
    upstream = np.random.default_rng(1).normal(size=out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xs.grad, xt.grad.numpy(), rtol=rtol, atol=atol, err_msg="input gradient")
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, named[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


CONV2D = [dict(kernel_size=3), dict(kernel_size=3, padding=1), dict(kernel_size=(3, 2), stride=2, padding=(1, 0)),
          dict(kernel_size=2, stride=(1, 2), dilation=2, groups=2), dict(kernel_size=3, padding=2, dilation=2, groups=4,
                                                                         bias=False)]


@pytest.mark.parametrize("kwargs", CONV2D, ids=str)
def test_conv2d_matches_torch(torch, rng, kwargs):
    assert_layer_matches(torch, nn.Conv2d(4, 8, **kwargs), torch.nn.Conv2d(4, 8, **kwargs),
                         rng.normal(size=(3, 4, 9, 8)))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3), dict(kernel_size=5, stride=2, padding=2),
                                    dict(kernel_size=3, dilation=3, groups=2, bias=False)], ids=str)
def test_conv1d_matches_torch(torch, rng, kwargs):
    assert_layer_matches(torch, nn.Conv1d(4, 6, **kwargs), torch.nn.Conv1d(4, 6, **kwargs), rng.normal(size=(2, 4, 17)))


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2, stride=2), dict(kernel_size=3, stride=2, padding=1, output_padding=1),
                                    dict(kernel_size=(3, 2), stride=(2, 1), groups=2, bias=False),
                                    dict(kernel_size=3, dilation=2, padding=1)], ids=str)
def test_conv_transpose2d_matches_torch(torch, rng, kwargs):
    assert_layer_matches(torch, nn.ConvTranspose2d(4, 6, **kwargs), torch.nn.ConvTranspose2d(4, 6, **kwargs),
                         rng.normal(size=(2, 4, 5, 4)))


@pytest.mark.parametrize("make", [lambda t: t.MaxPool2d(2), lambda t: t.MaxPool2d(3, stride=1, padding=1),
                                  lambda t: t.MaxPool2d((3, 2), stride=(2, 1), dilation=(1, 2)),
                                  lambda t: t.AvgPool2d(2), lambda t: t.AvgPool2d(3, stride=2, padding=1),
                                  lambda t: t.AvgPool2d(3, 1, 1, count_include_pad=False),
                                  lambda t: t.AdaptiveAvgPool2d(1), lambda t: t.AdaptiveAvgPool2d((3, 5)),
                                  lambda t: t.AdaptiveAvgPool2d((None, 2))])
def test_pooling_matches_torch(torch, rng, make):
    ours, theirs = make(nn), make(torch.nn)
    assert_layer_matches(torch, ours, theirs, rng.normal(size=(2, 3, 9, 8)))


def test_batchnorm2d_matches_torch_in_training_and_evaluation(torch, rng):
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    ours.weight.data[:] = rng.uniform(0.5, 1.5, 3)
    ours.bias.data[:] = rng.normal(size=3)
    for _ in range(2):
        assert_layer_matches(torch, ours, theirs, rng.normal(2.0, 3.0, size=(4, 3, 5, 6)))
        for p in ours.parameters():
            p.zero_grad()
        theirs.zero_grad()
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    assert_layer_matches(torch, ours, theirs, rng.normal(size=(2, 3, 4, 4)))


def test_a_small_cnn_matches_torch(torch, rng):
    def build(t):
        return t.Sequential(t.Conv2d(1, 4, 3, padding=1), t.ReLU(), t.MaxPool2d(2), t.Conv2d(4, 6, 3, padding=1),
                            t.BatchNorm2d(6), t.ReLU(), t.AdaptiveAvgPool2d(2), t.Flatten(), t.Linear(24, 3))
    ours = build(nn)
    theirs = build(torch.nn)
    theirs.double()
    assert_layer_matches(torch, ours, theirs, rng.normal(size=(5, 1, 8, 8)))


# ---- gradcheck (finite differences) ---------------------------------------------------------------

@pytest.mark.parametrize("layer", [nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.Conv2d(4, 4, 2, dilation=2, groups=2),
                                   nn.Conv1d(2, 3, 3, padding=1), nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1),
                                   nn.MaxPool2d(2), nn.MaxPool2d(3, 1, 1), nn.AvgPool2d(3, 2, 1),
                                   nn.AdaptiveAvgPool2d((2, 3)), nn.BatchNorm2d(4)], ids=repr)
def test_layers_pass_gradcheck(layer, rng):
    channels = getattr(layer, "in_channels", getattr(layer, "num_features", 4))
    shape = (2, channels, 7) if isinstance(layer, nn.Conv1d) else (2, channels, 6, 5)
    x = Tensor(rng.normal(size=shape), requires_grad=True)
    assert gradcheck(lambda x: layer(x), x)
    for p in layer.parameters():
        assert gradcheck(lambda p: layer(x.detach()), p)


def test_functional_forms_pass_gradcheck_in_every_input(rng):
    x = Tensor(rng.normal(size=(2, 4, 6, 6)), requires_grad=True)
    w = Tensor(rng.normal(size=(6, 2, 3, 3)), requires_grad=True)
    b = Tensor(rng.normal(size=6), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2), x, w, b)
    wt = Tensor(rng.normal(size=(4, 3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2), x, wt)
    assert gradcheck(lambda x: F.max_pool2d(x, 2) + F.avg_pool2d(x, 2) + F.adaptive_avg_pool2d(x, 3), x)


# ---- init, modes, dtype ---------------------------------------------------------------------------

def test_conv_init_is_pytorchs_uniform_bound():
    np.random.seed(0)
    conv = nn.Conv2d(4, 64, 3, groups=2)
    bound = 1 / np.sqrt(2 * 3 * 3)  # fan_in = in_channels / groups * kH * kW
    for p in (conv.weight, conv.bias):
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.95 * bound
    assert conv.weight.shape == (64, 2, 3, 3)
    deconv = nn.ConvTranspose2d(4, 6, 2, groups=2)
    assert deconv.weight.shape == (4, 3, 2, 2)  # (in, out / groups, kH, kW), as PyTorch
    assert np.abs(deconv.weight.data).max() <= 1 / np.sqrt(3 * 2 * 2)
    np.random.seed(3)
    a = nn.Conv2d(1, 2, 3).weight.data.copy()
    np.random.seed(3)
    assert np.array_equal(a, nn.Conv2d(1, 2, 3).weight.data)
    assert nn.Conv2d(1, 2, 3, dtype=np.float32)(np.ones((1, 1, 4, 4), np.float32)).dtype == np.float32


def test_reprs_read_like_pytorchs():
    assert repr(nn.Conv2d(1, 8, 3, padding=1)) == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(nn.Conv1d(2, 4, 5, bias=False)) == "Conv1d(2, 4, kernel_size=(5,), stride=(1,), bias=False)"
    assert "output_padding=(1, 1)" in repr(nn.ConvTranspose2d(2, 2, 3, 2, output_padding=1))
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"


def test_dropout2d_drops_whole_channels():
    np.random.seed(0)
    layer = nn.Dropout2d(0.5)
    out = layer(Tensor(np.ones((20, 10, 3, 3)))).data
    per_map = out.reshape(20, 10, 9)
    assert set(np.unique(per_map)) == {0.0, 2.0}
    assert (per_map.min(axis=2) == per_map.max(axis=2)).all()  # a map is dropped or kept as a whole
    assert 0.35 < (per_map[:, :, 0] == 0).mean() < 0.65
    layer.eval()
    assert np.array_equal(layer(Tensor(np.ones((2, 3, 3, 3)))).data, np.ones((2, 3, 3, 3)))


# ---- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, shape, match", [
    (nn.Conv2d(1, 8, 3), (8, 8), r"Conv2d\(1, 8, kernel_size=\(3, 3\).*\): expected input \(N, C, H, W\) with C = 1 "
                                  r"channels, got shape \(8, 8\)"),
    (nn.Conv2d(1, 8, 3), (1, 8, 8), r"got shape \(1, 8, 8\) \(for one sample use x\[None\]\)"),
    (nn.Conv2d(3, 8, 3), (2, 1, 8, 8), r"with C = 3 channels, got shape \(2, 1, 8, 8\)"),
    (nn.Conv2d(1, 8, 5, padding=1), (2, 1, 2, 8), r"Conv2d\(1, 8, .*\): kernel height 5 .* larger than the padded "
                                                   r"input height 2 \+ 2\*1 = 4 \(input shape \(2, 1, 2, 8\)\)"),
    (nn.Conv1d(2, 4, 3), (2, 3, 10), r"Conv1d\(2, 4, .*\): expected input \(N, C, L\) with C = 2 channels"),
    (nn.ConvTranspose2d(4, 2, 3), (1, 2, 4, 4), r"ConvTranspose2d\(4, 2, .*\): expected input .* C = 4 channels"),
    (nn.MaxPool2d(2), (4, 8, 8), r"MaxPool2d\(kernel_size=\(2, 2\).*\): expected a 4-D input \(N, C, H, W\), got "
                                 r"shape \(4, 8, 8\) \(for one image use x\[None\]\)"),
    (nn.MaxPool2d(5), (1, 1, 4, 8), r"MaxPool2d.*: kernel height 5 .* larger than the padded input height 4"),
    (nn.AvgPool2d(3), (1, 1, 8), r"AvgPool2d.*: expected a 4-D input"),
    (nn.AdaptiveAvgPool2d(2), (2, 4), r"AdaptiveAvgPool2d\(output_size=2\): expected a 4-D input"),
    (nn.BatchNorm2d(3), (2, 4, 5, 5), r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\), got shape \(2, 4, 5, 5\)"),
    (nn.Dropout2d(), (2, 3), r"Dropout2d: expected a 4-D input \(N, C, H, W\), got shape \(2, 3\)"),
])
def test_bad_input_names_the_layer_and_the_shapes(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(Tensor(np.ones(shape)))


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.Conv2d(1, 8, 3, stride=0), ValueError, r"Conv2d: stride must be a positive integer .* got 0"),
    (lambda: nn.Conv2d(1, 8, 3, stride=(1, -2)), ValueError, r"Conv2d: stride must be a positive integer"),
    (lambda: nn.Conv2d(1, 8, 3, padding=-1), ValueError, r"Conv2d: padding must be a non-negative integer .* got -1"),
    (lambda: nn.Conv2d(1, 8, 0), ValueError, r"Conv2d: kernel_size must be a positive integer"),
    (lambda: nn.Conv2d(1, 8, 3, dilation=0), ValueError, r"Conv2d: dilation must be a positive integer"),
    (lambda: nn.Conv2d(1, 8, 2.5), TypeError, r"Conv2d: kernel_size must be an int or a tuple of 2 ints, got 2.5"),
    (lambda: nn.Conv2d(1, 8, (3, 3, 3)), TypeError, r"kernel_size must be an int or a tuple of 2 ints"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, r"Conv2d: groups=4 must .* divides in_channels 4 and "
                                                       r"out_channels 6"),
    (lambda: nn.Conv2d(4, 6, 3, groups=0), ValueError, r"groups=0 must be a positive int"),
    (lambda: nn.Conv2d(0, 6, 3), ValueError, r"Conv2d: in_channels must be at least 1"),
    (lambda: nn.Conv1d(4, 6, 3, stride=0), ValueError, r"Conv1d: stride must be a positive integer"),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=3), ValueError, r"ConvTranspose2d: groups=3"),
    (lambda: nn.MaxPool2d(2, stride=0), ValueError, r"MaxPool2d: stride must be a positive integer"),
    (lambda: nn.MaxPool2d(2, padding=2), ValueError, r"MaxPool2d: padding \(2, 2\) must be at most half"),
    (lambda: nn.AvgPool2d(3, padding=-1), ValueError, r"AvgPool2d: padding must be a non-negative integer"),
    (lambda: nn.AdaptiveAvgPool2d(0), ValueError, r"AdaptiveAvgPool2d: output_size must be a positive integer"),
    (lambda: nn.Dropout2d(1.0), ValueError, r"Dropout2d: p must be a probability in \[0, 1\)"),
])
def test_bad_arguments_are_refused_when_the_layer_is_made(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_wrong_image_size_for_the_linear_after_flatten():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
    assert model(Tensor(np.ones((2, 1, 8, 8)))).shape == (2, 10)
    with pytest.raises(ValueError, match=r"Linear\(in_features=64, .*\): expected input of shape \(N, 64\).* got shape "
                                         r"\(2, 100\)"):
        model(Tensor(np.ones((2, 1, 10, 10))))


def test_functional_errors_name_the_function(rng):
    x = Tensor(rng.normal(size=(1, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"conv2d: input of shape \(1, 4, 5, 5\) has 4 channels, but the weight "
                                         r"\(2, 3, 3, 3\) expects 3"):
        F.conv2d(x, np.ones((2, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(2,\)"):
        F.conv2d(x, np.ones((2, 4, 3, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"conv2d: groups=3 must be a positive int that divides in_channels 4"):
        F.conv2d(x, np.ones((3, 1, 3, 3)), groups=3)
    with pytest.raises(ValueError, match=r"conv_transpose2d: output_padding \(2, 2\) must be smaller than stride"):
        F.conv_transpose2d(x, np.ones((4, 2, 3, 3)), stride=2, output_padding=2)
    with pytest.raises(TypeError, match="avg_pool2d: count_include_pad must be True or False"):
        F.avg_pool2d(x, 2, count_include_pad="no")


def test_a_cnn_draws_one_box_per_layer_with_its_output_shape():
    from circuitgrad import viz
    np.random.seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 2))
    with nn.trace_modules() as trace:
        loss = nn.CrossEntropyLoss()(model(Tensor(np.random.rand(1, 1, 4, 4))), np.array([1]))
    loss.backward()
    source = viz.draw(loss, trace=trace, collapse=True).source
    for title in ("0: Conv2d(1, 2, kernel_size=(3, 3)", "2: MaxPool2d(kernel_size=(2, 2)", "4: Linear(8, 2)"):
        assert title in source, title
    for shape in ("(1, 2, 4, 4)", "(1, 2, 2, 2)", "(1, 8)"):  # each layer's output on its wire
        assert shape in source, shape
    full = viz.draw(loss, trace=trace).source
    assert "conv2d" in full and "max_pool2d" in full  # uncollapsed, the gates of the op table
