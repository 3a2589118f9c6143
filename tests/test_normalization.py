"""LayerNorm and RMSNorm: the numbers by hand, finite differences, second gradients, and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad.nn.functional as F
from circuitgrad import nn
from circuitgrad.autograd import Tensor, grad, gradcheck


def test_layer_norm_of_one_vector_by_hand():
    x = Tensor([1.0, 2.0, 3.0, 6.0])
    mean, var = 3.0, (4 + 1 + 0 + 9) / 4  # the biased variance
    expected = (np.array([1, 2, 3, 6]) - mean) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(nn.LayerNorm(4)(x).data, expected, rtol=1e-12)


def test_rms_norm_of_one_vector_by_hand_as_microgpt_writes_it():
    x = [1.0, -2.0, 3.0, 0.5]
    ms = sum(v * v for v in x) / len(x)
    scale = (ms + 1e-5) ** -0.5  # microgpt's rmsnorm
    got = nn.RMSNorm(4, eps=1e-5, elementwise_affine=False)(Tensor(x)).data
    np.testing.assert_allclose(got, [v * scale for v in x], rtol=1e-12)


@pytest.mark.parametrize("shape, normalized", [((3, 5), 5), ((2, 3, 4), 4), ((2, 3, 4), (3, 4)), ((6,), (6,))])
def test_gradients_match_finite_differences(rng, shape, normalized):
    dims = (normalized,) if isinstance(normalized, int) else normalized
    x = Tensor(rng.normal(size=shape), requires_grad=True)
    w = Tensor(rng.uniform(0.5, 1.5, dims), requires_grad=True)
    b = Tensor(rng.normal(size=dims), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, normalized, w, b), x, w, b)
    assert gradcheck(lambda x, w: F.rms_norm(x, normalized, w, eps=1e-5), x, w)


def test_second_gradients_match_finite_differences_of_the_first(rng):
    """A Hessian-vector product through create_graph=True against central differences of the gradient."""
    x0, v = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    for norm in (lambda t: F.layer_norm(t, 4), lambda t: F.rms_norm(t, 4, eps=1e-5)):
        def first(data):
            x = Tensor(data, requires_grad=True)
            (norm(x) ** 3).sum().backward()
            return x.grad
        x = Tensor(x0, requires_grad=True)
        (g,) = grad((norm(x) ** 3).sum(), x, create_graph=True)
        (g * Tensor(v)).sum().backward()
        h = 1e-6
        np.testing.assert_allclose(x.grad, (first(x0 + h * v) - first(x0 - h * v)) / (2 * h), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_layers_match_torch(torch, rng, dtype):
    x = rng.normal(size=(2, 3, 8)).astype(dtype)
    upstream = rng.uniform(0.5, 1.5, x.shape).astype(dtype)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    pairs = [(nn.LayerNorm(8, dtype=dtype), torch.nn.LayerNorm(8, dtype=getattr(torch, dtype))),
             (nn.LayerNorm((3, 8), eps=1e-3, dtype=dtype), torch.nn.LayerNorm((3, 8), eps=1e-3, dtype=getattr(torch, dtype))),
             (nn.LayerNorm(8, bias=False, dtype=dtype), torch.nn.LayerNorm(8, bias=False, dtype=getattr(torch, dtype))),
             (nn.RMSNorm(8, dtype=dtype), torch.nn.RMSNorm(8, dtype=getattr(torch, dtype))),
             (nn.RMSNorm(8, eps=1e-5, elementwise_affine=False), torch.nn.RMSNorm(8, eps=1e-5, elementwise_affine=False))]
    for ours, theirs in pairs:
        with torch.no_grad():  # weights other than the ones and zeros they start with
            for name, p in theirs.named_parameters():
                p.copy_(torch.tensor(rng.uniform(0.5, 1.5, tuple(p.shape)).astype(dtype)))
                getattr(ours, name).data[...] = p.detach().numpy()
        xs, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, ref = ours(xs), theirs(xt)
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), **tol)
        out.backward(upstream)
        ref.backward(torch.tensor(upstream))
        np.testing.assert_allclose(xs.grad, xt.grad.numpy(), **tol)
        for name, p in theirs.named_parameters():
            np.testing.assert_allclose(getattr(ours, name).grad, p.grad.numpy(), **tol)


def test_parameters_and_repr_as_pytorch():
    assert [n for n, _ in nn.LayerNorm(4).named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in nn.LayerNorm(4, bias=False).named_parameters()] == ["weight"]
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []
    assert [n for n, _ in nn.RMSNorm(4).named_parameters()] == ["weight"]
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"


@pytest.mark.parametrize("make, x, error, words", [
    (lambda: nn.LayerNorm(4), np.zeros((2, 3)), ValueError, "last dims are normalized_shape (4,), got shape (2, 3)"),
    (lambda: nn.RMSNorm((2, 4)), np.zeros((3, 4)), ValueError, "normalized_shape (2, 4), got shape (3, 4)"),
    (lambda: nn.LayerNorm(0), None, ValueError, "normalized_shape must be positive ints"),
    (lambda: nn.LayerNorm("4"), None, ValueError, "normalized_shape must be positive ints"),
    (lambda: nn.LayerNorm(4, eps=0), None, ValueError, "eps must be > 0"),
    (lambda: nn.RMSNorm(4, eps=-1.0), None, ValueError, "eps must be > 0"),
    (lambda: nn.LayerNorm(4, dtype=np.int64), None, TypeError, "dtype must be a float type"),
])
def test_bad_arguments_name_the_layer_and_the_value(make, x, error, words):
    with pytest.raises(error, match=r"(LayerNorm|RMSNorm): ") as info:
        layer = make()
        layer(Tensor(x))
    assert words in str(info.value)


def test_functional_weight_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"layer_norm: weight must have shape \(4,\) \(normalized_shape\), got \(3,\)"):
        F.layer_norm(Tensor(np.zeros((2, 4))), 4, weight=Tensor(np.ones(3)))
