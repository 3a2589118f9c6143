"""PyTorch's Tensor surface against PyTorch itself (float64): for every op added for issue 15 the
values, the gradient (a random upstream gradient, so every entry of the vector-Jacobian product
is checked), the second derivative through `grad(..., create_graph=True)`, PyTorch's choice of
gradient at the kinks, and the layers' defaults; the same spelling on both sides."""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad as cg
import circuitgrad.nn.functional as F
from circuitgrad import nn
from circuitgrad.autograd import Tensor, grad, maximum, minimum


def tf(torch):
    return torch.nn.functional


# name: (our function, PyTorch's function or None for the same code, low, high of the inputs)
UNARY = {
    "sin": (lambda t: t.sin(), None, -3, 3),
    "cos": (lambda t: t.cos(), None, -3, 3),
    "log2": (lambda t: t.log2(), None, 0.2, 3),
    "log10": (lambda t: t.log10(), None, 0.2, 3),
    "log1p": (lambda t: t.log1p(), None, -0.5, 3),
    "expm1": (lambda t: t.expm1(), None, -2, 2),
    "exp2": (lambda t: t.exp2(), None, -2, 2),
    "square": (lambda t: t.square(), None, -2, 2),
    "rsqrt": (lambda t: t.rsqrt(), None, 0.2, 3),
    "reciprocal": (lambda t: t.reciprocal(), None, 0.3, 2),
    "erf": (lambda t: t.erf(), None, -2, 2),
    "sign": (lambda t: t.sign(), None, -3, 3),
    "floor": (lambda t: t.floor(), None, -3, 3),
    "ceil": (lambda t: t.ceil(), None, -3, 3),
    "round": (lambda t: t.round(), None, -3, 3),
    "round(decimals=1)": (lambda t: t.round(decimals=1), None, -3, 3),
    "clamp": (lambda t: t.clamp(min=-0.5, max=0.7), None, -2, 2),
    "clamp(max=)": (lambda t: t.clamp(max=0.7), None, -2, 2),
    "clone": (lambda t: t.clone() * 2, None, -2, 2),
    "gelu": (lambda t: F.gelu(t), lambda t, F: F.gelu(t), -4, 4),
    "gelu tanh": (lambda t: F.gelu(t, approximate="tanh"), lambda t, F: F.gelu(t, approximate="tanh"), -4, 4),
    "elu": (lambda t: F.elu(t, alpha=0.7), lambda t, F: F.elu(t, alpha=0.7), -3, 3),
    "celu": (lambda t: F.celu(t, alpha=0.5), lambda t, F: F.celu(t, alpha=0.5), -3, 3),
    "silu": (lambda t: F.silu(t), lambda t, F: F.silu(t), -5, 5),
    "mish": (lambda t: F.mish(t), lambda t, F: F.mish(t), -5, 5),
    "softplus": (lambda t: F.softplus(t), lambda t, F: F.softplus(t), -5, 5),
    "softplus beta=2 threshold=2": (lambda t: F.softplus(t, beta=2, threshold=2),
                                    lambda t, F: F.softplus(t, beta=2, threshold=2), -3, 3),
    "softsign": (lambda t: F.softsign(t), lambda t, F: F.softsign(t), -4, 4),
    "relu6": (lambda t: F.relu6(t), lambda t, F: F.relu6(t), -2, 8),
    "hardtanh": (lambda t: F.hardtanh(t, -0.5, 1.5), lambda t, F: F.hardtanh(t, -0.5, 1.5), -2, 2),
    "hardswish": (lambda t: F.hardswish(t), lambda t, F: F.hardswish(t), -5, 5),
    "hardsigmoid": (lambda t: F.hardsigmoid(t), lambda t, F: F.hardsigmoid(t), -5, 5),
    "cumsum": (lambda t: t.cumsum(1), None, -2, 2),
    "cumsum dim=-3": (lambda t: t.cumsum(dim=-3), None, -2, 2),
    "flip": (lambda t: t.flip(0, 2), None, -2, 2),
    "flip tuple": (lambda t: t.flip((1,)), None, -2, 2),
    "tril": (lambda t: t.tril(), None, -2, 2),
    "tril diagonal=-1": (lambda t: t.tril(diagonal=-1), None, -2, 2),
    "triu diagonal=1": (lambda t: t.triu(1), None, -2, 2),
    "repeat": (lambda t: t.repeat(2, 1, 3), None, -2, 2),
    "repeat new dims": (lambda t: t.repeat(2, 1, 2, 1), None, -2, 2),
    "pad": (lambda t: F.pad(t, (1, 2)), lambda t, F: F.pad(t, (1, 2)), -2, 2),
    "pad 3 dims": (lambda t: F.pad(t, (0, 1, 2, 0, 1, 1), value=-0.5),
                   lambda t, F: F.pad(t, (0, 1, 2, 0, 1, 1), value=-0.5), -2, 2),
}


def run(torch, name, shape=(2, 3, 4), rng=None):
    ours, theirs, low, high = UNARY[name]
    data = rng.uniform(low, high, shape)
    x = Tensor(data.copy(), requires_grad=True)
    t = torch.tensor(data.copy(), requires_grad=True)
    return x, t, ours, (lambda u: theirs(u, tf(torch))) if theirs else ours


@pytest.mark.parametrize("name", list(UNARY))
def test_value_and_gradient_match_torch(torch, rng, name):
    x, t, ours, theirs = run(torch, name, rng=rng)
    out, ref = ours(x), theirs(t)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-13)
    upstream = rng.uniform(0.5, 1.5, out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=GRAD_RTOL.get(name, 1e-12), atol=1e-13)


# PyTorch's hardsigmoid backward multiplies by the float32 number nearest 1/6, even in float64.
GRAD_RTOL = {"hardsigmoid": 1e-7}


def torch_grad(torch, out, x, **kwargs):
    """torch.autograd.grad, with zeros where the gradient is a constant (PyTorch then has no graph)."""
    if not out.requires_grad:
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(out, x, allow_unused=True, **kwargs)
    return torch.zeros_like(x) if g is None else g


@pytest.mark.parametrize("name", list(UNARY))
def test_second_derivative_matches_torch(torch, rng, name):
    """d/dx of (v . d(w . f(x)^2)/dx): the backward pass of every op differentiated again, on both
    (against finite differences of the first derivative where PyTorch has no double backward)."""
    x, t, ours, theirs = run(torch, name, shape=(2, 3, 3), rng=rng)
    w = rng.uniform(0.5, 1.5, ours(x).shape)
    v = rng.uniform(0.5, 1.5, x.shape)
    (g,) = grad((ours(x) * ours(x) * w).sum(), x, create_graph=True)
    (h,) = grad((g * v).sum(), x)
    tg = torch_grad(torch, (theirs(t) * theirs(t) * torch.tensor(w)).sum(), t, create_graph=True)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=GRAD_RTOL.get(name, 1e-11), atol=1e-12)
    try:
        expected = torch_grad(torch, (tg * torch.tensor(v)).sum(), t).numpy()
    except RuntimeError as e:  # "derivative for aten::hardsigmoid_backward is not implemented"
        assert "not implemented" in str(e)
        expected = first_derivative_by_differences(ours, x.data, w, v)
        np.testing.assert_allclose(h, expected, rtol=1e-6, atol=1e-6)
        return
    np.testing.assert_allclose(h, expected, rtol=1e-10, atol=1e-11)


def first_derivative_by_differences(f, a, w, v, eps=1e-6):
    """d/da of v . d(w . f(a)^2)/da by central differences of the (backprop) first derivative."""
    def first(b):
        x = Tensor(b, requires_grad=True)
        return float((grad((f(x) * f(x) * w).sum(), x)[0] * v).sum())
    out = np.zeros(a.shape)
    for i in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[i] += eps
        down[i] -= eps
        out[i] = (first(up) - first(down)) / (2 * eps)
    return out


SMOOTH = ["sin", "cos", "log2", "log10", "log1p", "expm1", "exp2", "square", "rsqrt", "reciprocal", "erf", "gelu",
          "gelu tanh", "silu", "mish", "softplus", "softsign"]


@pytest.mark.parametrize("name", SMOOTH)
def test_third_derivative_of_smooth_ops_matches_torch(torch, rng, name):
    x, t, ours, theirs = run(torch, name, shape=(5,), rng=rng)
    (g,) = grad(ours(x).sum(), x, create_graph=True)
    (h,) = grad(g.sum(), x, create_graph=True)
    # square's second derivative is the constant 2: no graph left to differentiate (as in PyTorch)
    k = grad(h.sum(), x)[0] if h.requires_grad else np.zeros(x.shape)
    tg = torch_grad(torch, theirs(t).sum(), t, create_graph=True)
    th = torch_grad(torch, tg.sum(), t, create_graph=True)
    tk = torch_grad(torch, th.sum(), t)
    np.testing.assert_allclose(h.data, th.detach().numpy(), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(k, tk.numpy(), rtol=1e-9, atol=1e-10)


# ---- PyTorch's gradient at the kinks ----------------------------------------------------------------

KINKS = {
    "relu6": [-1.0, 0.0, 3.0, 6.0, 7.0],
    "hardtanh": [-1.0, -0.5, 0.0, 1.5, 2.0],
    "hardswish": [-4.0, -3.0, 0.0, 3.0, 4.0],
    "hardsigmoid": [-4.0, -3.0, 0.0, 3.0, 4.0],
    "elu": [-1.0, 0.0, 1.0],
    "celu": [-1.0, 0.0, 1.0],
    "clamp": [-1.0, -0.5, 0.0, 0.7, 1.0],
    "softplus beta=2 threshold=2": [0.5, 1.0, 1.5],
    "sign": [-1.0, 0.0, 1.0],
    "round": [-1.5, -0.5, 0.5, 2.5],
    "floor": [-1.0, 0.0, 1.0],
}


@pytest.mark.parametrize("name", list(KINKS))
def test_gradient_at_kinks_is_pytorchs(torch, name):
    ours, theirs = UNARY[name][0], UNARY[name][1]
    theirs = (lambda u: UNARY[name][1](u, tf(torch))) if theirs else ours
    x = Tensor(np.array(KINKS[name]), requires_grad=True)
    t = torch.tensor(KINKS[name], requires_grad=True)
    out, ref = ours(x), theirs(t)
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=GRAD_RTOL.get(name, 0), atol=0)


@pytest.mark.parametrize("fn", ["maximum", "minimum"])
@pytest.mark.parametrize("sa, sb", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 5)), ((), (3,))], ids=str)
def test_maximum_minimum_match_torch_with_ties_and_broadcasting(torch, rng, fn, sa, sb):
    # Whole numbers in a small range, so that many entries tie.
    a, b = rng.integers(-2, 3, sa).astype(float), rng.integers(-2, 3, sb).astype(float)
    if sa == sb:
        b[0] = a[0]  # a row of ties for certain
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    s, u = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours = {"maximum": maximum, "minimum": minimum}[fn](x, y)
    ref = getattr(torch, fn)(s, u)
    np.testing.assert_array_equal(ours.data, ref.detach().numpy())
    upstream = rng.uniform(0.5, 1.5, ours.shape)
    ours.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, s.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(y.grad, u.grad.numpy(), rtol=1e-15)


def test_maximum_second_derivative_matches_torch(torch, rng):
    a, b = rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (4,))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    s, u = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    gx, gy = grad((x.maximum(y) * x.minimum(y) * x).sum(), [x, y], create_graph=True)
    hx, hy = grad((gx * gx).sum() + (gy * gy).sum(), [x, y])
    tx, ty = torch.autograd.grad((s.maximum(u) * s.minimum(u) * s).sum(), [s, u], create_graph=True)
    rx, ry = torch.autograd.grad((tx * tx).sum() + (ty * ty).sum(), [s, u])
    for ours, theirs in ((gx.data, tx), (gy.data, ty), (hx, rx), (hy, ry)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("fn", ["argmax", "argmin"])
def test_argmax_argmin_match_torch(torch, rng, fn, dim, keepdim):
    data = rng.integers(0, 4, (3, 5)).astype(float)  # ties: both take the first
    ours = getattr(Tensor(data), fn)(dim, keepdim)
    ref = getattr(torch.tensor(data), fn)(dim=dim, keepdim=keepdim) if dim is not None or keepdim else \
        getattr(torch.tensor(data), fn)()
    assert isinstance(ours, Tensor) and ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, ref.numpy())


# ---- the lead's dim/shape surface, spelled the same on both sides -----------------------------------

SAME_CALL = {
    "sum(dim, keepdim)": lambda t: t.sum(dim=1, keepdim=True),
    "sum(dims)": lambda t: t.sum((0, 2)),
    "mean(-1)": lambda t: t.mean(-1),
    "var()": lambda t: t.var(),
    "var(dim)": lambda t: t.var(1),
    "std(dim, keepdim)": lambda t: t.std(dim=0, keepdim=True),
    "var(correction=0)": lambda t: t.var(2, correction=0),
    "transpose(d0, d1)": lambda t: t.transpose(0, 2),
    "transpose(-1, -2)": lambda t: t.transpose(-1, -2),
    "permute": lambda t: t.permute(2, 0, 1),
    "permute tuple": lambda t: t.permute((1, 2, 0)),
    "view": lambda t: t.view(4, -1),
    "view tuple": lambda t: t.view((6, 4)),
    "flatten": lambda t: t.flatten(),
    "flatten(1)": lambda t: t.flatten(1),
    "flatten(0, 1)": lambda t: t.flatten(start_dim=0, end_dim=1),
    "swapaxes": lambda t: t.swapaxes(0, 1),
    "swapdims": lambda t: t.swapdims(1, 2),
    "mT": lambda t: t.mT,
    "expand": lambda t: t[:, :1].expand(2, 5, 4),
    "expand new dim": lambda t: t.expand(3, -1, -1, -1),
    "broadcast_to": lambda t: t.broadcast_to((2, 2, 3, 4)),
    "sum_to_size": lambda t: t.sum_to_size(3, 1),
    "squeeze/unsqueeze": lambda t: t.unsqueeze(1).squeeze(1),
    "add(alpha)": lambda t: t.add(t * t, alpha=-0.5), "sub": lambda t: t.sub(2.0), "mul": lambda t: t.mul(t),
    "div": lambda t: t.div(t + 3), "pow": lambda t: t.pow(2), "neg": lambda t: t.neg(),
    "amax": lambda t: t.amax(1), "amin keepdim": lambda t: t.amin(dim=(0, 2), keepdim=True),
    "logsumexp": lambda t: t.logsumexp(1), "logsumexp dims keepdim": lambda t: t.logsumexp((0, 2), keepdim=True),
    "select": lambda t: t.select(1, -1), "narrow": lambda t: t.narrow(2, 1, 2),
    "narrow from the end": lambda t: t.narrow(2, -3, 2),
    "split": lambda t: t.split(3, 2)[1], "split sizes": lambda t: t.split([1, 3], dim=2)[1],
    "chunk": lambda t: t.chunk(2, dim=1)[1], "unbind": lambda t: t.unbind(2)[3] * t.unbind(2)[0],
    "masked_fill": lambda t: t.masked_fill(t > 0.5, -1.0), "expand_as": lambda t: t.sum(0).expand_as(t),
    "reshape_as": lambda t: t.reshape_as(t.flatten()), "view_as": lambda t: t[0].view_as(t[0].flatten()),
    "t()": lambda t: t[0].t(),
}


@pytest.mark.parametrize("name", list(SAME_CALL))
def test_dim_and_shape_calls_match_torch(torch, rng, name):
    fn = SAME_CALL[name]
    data = rng.uniform(-2, 2, (2, 3, 4))
    x, t = Tensor(data.copy(), requires_grad=True), torch.tensor(data.copy(), requires_grad=True)
    out, ref = fn(x), fn(t)
    assert out.shape == tuple(ref.shape) and out.size() == tuple(ref.size()) and out.numel() == ref.numel()
    assert out.dim() == ref.dim()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12)
    upstream = rng.uniform(0.5, 1.5, out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("call", [lambda t: t.sum(3), lambda t: t.mean(dim=-4), lambda t: t.transpose(0, 3),
                                  lambda t: t.size(3), lambda t: t.flatten(0, 5), lambda t: t.cumsum(3),
                                  lambda t: t.flip(3), lambda t: t.argmax(3), lambda t: t.softmax(3)],
                         ids=["sum", "mean", "transpose", "size", "flatten", "cumsum", "flip", "argmax", "softmax"])
def test_out_of_range_dim_is_an_index_error_in_both(torch, call):
    with pytest.raises(IndexError):
        call(torch.zeros(2, 3, 4))
    with pytest.raises(IndexError, match=r"dim -?\d is out of range for a tensor of shape \(2, 3, 4\)"):
        call(cg.zeros(2, 3, 4))


# ---- factories and layers ---------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m: m.zeros(2, 3), lambda m: m.zeros((2, 3)), lambda m: m.ones(4), lambda m: m.full((2, 2), 1.5),
    lambda m: m.eye(3), lambda m: m.eye(2, 4), lambda m: m.arange(5), lambda m: m.arange(1, 4),
    lambda m: m.arange(0, 1, 0.1), lambda m: m.arange(3, 0, -0.5), lambda m: m.linspace(-1, 1, 7),
    lambda m: m.tensor([[1, 2], [3, 4.5]]), lambda m: m.zeros_like(m.ones(2, 3)),
    lambda m: m.ones_like(m.zeros(3)), lambda m: m.full_like(m.zeros(2, 1), 7),
], ids=["zeros", "zeros tuple", "ones", "full", "eye", "eye n m", "arange n", "arange a b", "arange step",
        "arange down", "linspace", "tensor", "zeros_like", "ones_like", "full_like"])
def test_factories_match_torch(torch, call):
    ours, ref = call(cg), call(torch)
    # the same kind as PyTorch's: int64 where PyTorch's is, float64 (circuitgrad's default) for its float32
    assert isinstance(ours, Tensor) and ours.dtype == (np.float64 if ref.dtype.is_floating_point else np.int64)
    assert ours.shape == tuple(ref.shape)
    np.testing.assert_allclose(ours.data, ref.numpy().astype(float), rtol=1e-15, atol=1e-15)


LAYERS = {
    "GELU": (), "ELU": (), "CELU": (), "SiLU": (), "Mish": (), "Softplus": (), "Softsign": (), "ReLU6": (),
    "Hardtanh": (), "Hardswish": (), "Hardsigmoid": (),
    "GELU tanh": ("tanh",), "ELU 0.5": (0.5,), "CELU 2": (2.0,), "Softplus 2 1": (2.0, 1.0),
    "Hardtanh -2 0.5": (-2.0, 0.5),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_activation_layers_match_torch_defaults_and_reprs(torch, rng, name):
    cls, args = name.split()[0], LAYERS[name]
    ours, ref = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
    assert repr(ours) == repr(ref)
    data = rng.uniform(-5, 5, (4, 3))
    x, t = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, expected = ours(x), ref(t)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-13)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=GRAD_RTOL.get(cls.lower(), 1e-12), atol=1e-13)
