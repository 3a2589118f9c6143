"""`x.norm(p, dim, keepdim)`, PyTorch's vector norm: values, gradients (0 where the norm is 0, as
PyTorch), second derivatives, and the p it refuses."""
from __future__ import annotations

import math

import numpy as np
import pytest

import circuitgrad as cg
from circuitgrad.autograd import Tensor, gradcheck

CASES = [(p, dim, keepdim) for p in (2, 1, math.inf, 3, 1.5, "fro") for dim in (None, 1, (0, 1))
         for keepdim in (False, True) if not (p == "fro" and dim == 1)]


def _x() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(3, 4))


@pytest.mark.parametrize("p,dim,keepdim", CASES)
def test_norm_gradient_matches_finite_differences(p, dim, keepdim):
    assert gradcheck(lambda a: a.norm(p, dim, keepdim), Tensor(_x(), requires_grad=True))


@pytest.mark.parametrize("p", [2, 3])
def test_norm_second_derivative_matches_finite_differences(p):
    x = Tensor(_x(), requires_grad=True)
    (g,) = cg.autograd.grad(x.norm(p, 1).sum(), x, create_graph=True)
    (h,) = cg.autograd.grad((g * g).sum(), x)
    eps, base = 1e-6, _x()
    numeric = np.zeros_like(base)
    for i in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[i] += eps
        down[i] -= eps

        def f(a):
            t = Tensor(a, requires_grad=True)
            (gg,) = cg.autograd.grad(t.norm(p, 1).sum(), t)
            return float((gg.data ** 2).sum())
        numeric[i] = (f(up) - f(down)) / (2 * eps)
    np.testing.assert_allclose(h.data, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("p,dim,keepdim", CASES)
def test_norm_matches_pytorch(torch, p, dim, keepdim):
    x = _x()
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours.norm(p, dim, keepdim), theirs.norm(p, dim, keepdim)
    w = np.random.default_rng(1).uniform(0.5, 1.5, yt.shape)
    y.backward(w)
    yt.backward(torch.tensor(w))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("p", [2, 1, 3, math.inf])
def test_the_gradient_is_zero_where_the_norm_is_zero_as_pytorch(torch, p):
    x = np.array([[1.0, -2.0, 0.0], [0.0, 0.0, 0.0]])
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.norm(p, 1).sum().backward()
    theirs.norm(p, 1).sum().backward()
    assert np.isfinite(ours.grad.data).all() and (ours.grad.data[1] == 0).all()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-13)


def test_norm_top_level_and_of_a_gradient():
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    assert cg.norm(w).item() == 5.0
    (w * w).sum().backward()
    assert w.grad.norm().item() == 10.0


@pytest.mark.parametrize("p,error,message", [
    (0.5, ValueError, r"p must be a number >= 1, inf or 'fro', got 0.5"),
    (0, ValueError, "got 0"),
    ("nuc", ValueError, "got 'nuc'"),
    (True, ValueError, "got True"),
    (float("nan"), ValueError, "got nan"),
])
def test_a_p_without_a_gradient_formula_is_refused(p, error, message):
    with pytest.raises(error, match=message):
        Tensor(_x()).norm(p)


def test_norm_of_an_integer_tensor_is_a_type_error_and_a_bad_dim_an_index_error():
    with pytest.raises(TypeError, match="norm: expected a floating point tensor, got dtype int64"):
        cg.tensor([3, 4]).norm()
    with pytest.raises(IndexError):
        Tensor(_x()).norm(2, 5)
