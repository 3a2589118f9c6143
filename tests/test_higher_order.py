"""Gradients of gradients: `backward(create_graph=True)` and `grad(..., create_graph=True)` record the
backward pass as a graph, so it can be differentiated again.

Every op's second and third derivatives are checked two ways: against PyTorch's
`torch.autograd.grad(..., create_graph=True)` in float64, and against finite differences of the
derivative one order below (gradcheck of a function that itself runs `grad`). Tensor outputs are
contracted with fixed random weights, so one scalar per order checks every entry (a
Hessian-vector product, then a third-derivative-vector-vector product). The grad() API itself
(seeds that are nodes, interior inputs, no_grad, dtypes) is here too; tests/test_double_backprop.py
has double backward, an MLP's Hessian-vector product, gradient penalties and the pictures."""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad.nn.functional as F
from circuitgrad.autograd import Tensor, Value, cat, enable_grad, grad, gradcheck, no_grad, stack, where

ORDER = 3  # derivatives 1, 2 and 3 of every smooth op


def chain(f, inputs, weights, order):
    """[s_0, s_1, ..., s_order]: s_0 = sum(f(inputs) * w_0), s_k = sum_i <d s_{k-1} / d input_i, w_k[i]>.

    Works for our Tensors and Values and for torch tensors alike (`grad_fn` does the differentiating);
    d s_k / d inputs is the (k+1)-th derivative of f contracted with w_0..w_k. A term whose input
    the previous scalar does not depend on is zero (None)."""
    out = f(*inputs)
    s = (out * weights[0]).sum() if weights[0] is not None else out
    chain_ = [s]
    for k in range(1, order + 1):
        gs = _grad(chain_[-1], inputs)
        terms = [(g * w).sum() if hasattr(g, "sum") and not isinstance(g, Value) else g * w
                 for g, w in zip(gs, weights[k]) if g is not None]
        if not terms:
            break
        s = terms[0]
        for t in terms[1:]:
            s = s + t
        chain_.append(s)
    return chain_


def _grad(s, inputs):
    if isinstance(s, (Tensor, Value)):
        if not s.requires_grad or not s.parents:
            return [None] * len(inputs)
        return grad(s, inputs, create_graph=True, allow_unused=True)
    import torch
    if not s.requires_grad:
        return [None] * len(inputs)
    return torch.autograd.grad(s, inputs, create_graph=True, allow_unused=True)


def weights_for(rng, shapes, out_shape, order):
    """w_0 of the output's shape, then one weight per input and order."""
    return [rng.uniform(-1.5, 1.5, out_shape)] + [[rng.uniform(-1.5, 1.5, s) for s in shapes] for _ in range(order)]


def compare_with_torch(torch, ours, theirs, arrays, rng, order=ORDER, rtol=1e-9, atol=1e-11):
    """Derivatives 1..order of ours(*Tensors) and theirs(*torch tensors) agree entry by entry."""
    xs = [Tensor(np.ascontiguousarray(a, dtype=float), requires_grad=True) for a in arrays]
    ts = [torch.tensor(np.ascontiguousarray(a, dtype=float), requires_grad=True) for a in arrays]
    shape = ours(*xs).shape
    w = weights_for(rng, [x.shape for x in xs], shape, order)
    s_ours = chain(ours, xs, [Tensor(w[0])] + [[Tensor(v) for v in vs] for vs in w[1:]], order - 1)
    s_torch = chain(theirs, ts, [torch.tensor(w[0])] + [[torch.tensor(v) for v in vs] for vs in w[1:]], order - 1)
    assert len(s_ours) == len(s_torch)
    for k, (a, b) in enumerate(zip(s_ours, s_torch)):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"s_{k}")
        for i, (ga, gb) in enumerate(zip(_grad(a, xs), _grad(b, ts))):
            ga = np.zeros(xs[i].shape) if ga is None else ga.data
            gb = np.zeros(xs[i].shape) if gb is None else gb.detach().numpy()
            np.testing.assert_allclose(ga, gb, rtol=rtol, atol=atol, err_msg=f"derivative {k + 1}, input {i}")


def check_finite_differences(ours, arrays, rng, order=ORDER):
    """d s_k / d inputs by backprop through the recorded backward pass, against finite differences of s_k."""
    xs = [Tensor(np.ascontiguousarray(a, dtype=float), requires_grad=True) for a in arrays]
    w = weights_for(rng, [x.shape for x in xs], ours(*xs).shape, order)
    weights = [Tensor(w[0])] + [[Tensor(v) for v in vs] for vs in w[1:]]
    for k in range(order):
        def s_k(*inputs, k=k):
            with enable_grad():  # gradcheck evaluates under no_grad; s_k needs the graph to take gradients
                chain_ = chain(ours, list(inputs), weights, k)
            return chain_[k] if len(chain_) > k else None
        if s_k(*xs) is None or not s_k(*xs).requires_grad:
            break  # the derivative is constant from here on (its gradient is zero, checked against torch)
        assert gradcheck(s_k, *xs, atol=1e-6, rtol=1e-5)


# ---- Tensor ops: derivatives 1 to 3 against PyTorch and finite differences --------------------------

def _cases(rng, torch=None):
    """{name: (ours, theirs or None when the same code runs on torch tensors, input arrays)}; `torch` is
    only looked up when a PyTorch formula runs."""
    x, y = rng.uniform(-1.5, 1.5, (3, 4)), rng.uniform(-1.5, 1.5, (3, 4))
    pos = rng.uniform(0.5, 2.0, (3, 4))
    return {
        "tanh": (lambda a: a.tanh(), None, [x]),
        "sigmoid": (lambda a: a.sigmoid(), None, [x]),
        "exp": (lambda a: a.exp(), None, [x]),
        "log": (lambda a: a.log(), None, [pos]),
        "sqrt": (lambda a: a.sqrt(), None, [pos]),
        "x ** y": (lambda a, b: a ** b, None, [pos, y]),
        "x ** y broadcast": (lambda a, b: a ** b, None, [pos, y[0]]),
        "x ** 3": (lambda a: a ** 3, None, [x]),
        "2 ** x": (lambda a: 2 ** a, None, [x]),
        "x / y": (lambda a, b: a / b, None, [x, pos]),
        "x * y broadcast": (lambda a, b: (a * b).tanh(), None, [x, y[:, :1]]),
        "-x": (lambda a: (-a).exp(), None, [x]),
        "abs": (lambda a: a.abs() ** 3, None, [x]),
        "selu": (lambda a: a.selu(), lambda a: torch.nn.functional.selu(a), [x]),
        "clamp": (lambda a: a.clamp(-0.5, 0.5) * a.exp(), None, [x]),
        "astype": (lambda a: a.astype(np.float64).tanh(), lambda a: a.to(torch.float64).tanh(), [x]),
        "softmax": (lambda a: a.softmax(dim=1), None, [x]),
        "softmax 3-D": (lambda a: a.softmax(dim=0), None, [rng.uniform(-1, 1, (2, 3, 2))]),
        "log_softmax": (lambda a: a.log_softmax(dim=0), None, [x]),
        "sum": (lambda a: a.sum(dim=1, keepdim=True) * a, None, [x]),
        "sum all": (lambda a: a.sum() ** 3, None, [x]),
        "mean": (lambda a: a.mean(dim=0) ** 3, None, [x]),
        "mean over dims": (lambda a: a.mean(dim=(0, 2), keepdim=True).exp() * a, None, [rng.uniform(-1, 1, (2, 3, 2))]),
        "max": (lambda a: a.amax(dim=1) ** 3, lambda a: a.amax(dim=1) ** 3, [x]),
        "min": (lambda a: a.amin(dim=0).exp(), lambda a: a.amin(dim=0).exp(), [x]),
        "std": (lambda a: a.std(dim=0), None, [x]),
        "var": (lambda a: a.var(dim=1) ** 2, None, [x]),
        "var all": (lambda a: a.var().sqrt(), None, [x]),
        "matmul 2-D": (lambda a, b: (a @ b).tanh(), None, [x, y.T]),
        "matmul 1-D": (lambda a, b: (a @ b).tanh(), None, [x[0], y[0]]),
        "matmul 1-D @ 2-D": (lambda a, b: (a @ b).tanh(), None, [x[0], y.T]),
        "matmul 2-D @ 1-D": (lambda a, b: (a @ b).tanh(), None, [x, y[0]]),
        "matmul batched": (lambda a, b: (a @ b).tanh(), None, [rng.uniform(-1, 1, (2, 3, 4)), y.T]),
        "reshape": (lambda a: a.reshape(4, 3).tanh(), None, [x]),
        "transpose": (lambda a: a.transpose(0, 1).exp() * a.T, None, [x]),
        "permute": (lambda a: a.permute(2, 0, 1).tanh(), None, [rng.uniform(-1, 1, (2, 3, 2))]),
        "squeeze, unsqueeze": (lambda a: a.unsqueeze(0).squeeze(0).sigmoid() * a, None, [x]),
        "expand": (lambda a: a.expand(3, 3, 4).tanh() ** 2, None, [x[:1]]),
        "broadcast_to, sum_to": (lambda a: a.broadcast_to((2, 3, 4)).exp().sum_to((1, 4)) ** 2,
                                 lambda a: a.broadcast_to((2, 3, 4)).exp().sum(dim=(0, 1)).reshape(1, 4) ** 2,
                                 [x[:1]]),
        "index": (lambda a: a[1, 1:3].exp(), None, [x]),
        "index repeated": (lambda a: a[[0, 2, 0, 0]].tanh(), None, [x]),
        "index repeated pairs": (lambda a: a[[0, 0, 2], [1, 1, 3]].sigmoid(), None, [x]),
        "index mask": (lambda a: a[x > 0] ** 3, lambda a: a[torch.tensor(x > 0)] ** 3, [x]),
        "cat": (lambda a, b: cat([a, b.tanh()], 1) ** 2, lambda a, b: torch.cat([a, b.tanh()], 1) ** 2,
                [x, y]),
        "stack": (lambda a, b: stack([a * b, b.exp()], 0) ** 2,
                  lambda a, b: torch.stack([a * b, b.exp()], 0) ** 2, [x, y]),
        "where": (lambda a, b: where(x > 0, a ** 3, b.exp()),
                  lambda a, b: torch.where(torch.tensor(x > 0), a ** 3, b.exp()), [x, y]),
        "linear": (lambda a, w, b: F.linear(a, w, b).tanh(),
                   lambda a, w, b: torch.nn.functional.linear(a, w, b).tanh(),
                   [x, rng.uniform(-1, 1, (2, 4)), rng.uniform(-1, 1, 2)]),
        "linear 1-D input": (lambda a, w, b: F.linear(a, w, b).tanh(),
                             lambda a, w, b: torch.nn.functional.linear(a, w, b).tanh(),
                             [x[0], rng.uniform(-1, 1, (2, 4)), rng.uniform(-1, 1, 2)]),
        "linear 3-D input, no bias": (lambda a, w: F.linear(a, w).tanh(),
                                      lambda a, w: torch.nn.functional.linear(a, w).tanh(),
                                      [rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, (2, 4))]),
    }


CASES = list(_cases(np.random.default_rng(0)))


@pytest.mark.parametrize("name", CASES)
def test_tensor_derivatives_match_torch(torch, rng, name):
    ours, theirs, arrays = _cases(rng, torch)[name]
    compare_with_torch(torch, ours, theirs or ours, arrays, rng)


@pytest.mark.parametrize("name", CASES)
def test_tensor_derivatives_match_finite_differences(rng, name):
    ours, _, arrays = _cases(rng)[name]
    check_finite_differences(ours, arrays, rng)


@pytest.mark.parametrize("name, ours, theirs", [
    ("relu", lambda a: a.relu(), lambda torch, a: a.relu()),
    ("leaky_relu", lambda a: a.leaky_relu(0.1), lambda torch, a: torch.nn.functional.leaky_relu(a, 0.1)),
    ("max", lambda a: a.amax(dim=0), lambda torch, a: a.amax(dim=0)),
    ("step", lambda a: a.step() * 2 + a, lambda torch, a: (a > 0).to(a.dtype) * 2 + a),
])
def test_piecewise_linear_ops_have_zero_second_derivative(torch, rng, name, ours, theirs):
    # Away from the kinks: every entry at least 0.2 from 0, and the column maxima unique.
    x = rng.uniform(0.2, 1.5, (3, 4)) * rng.choice([-1, 1], (3, 4))
    t = Tensor(x, requires_grad=True)
    v = rng.uniform(-1, 1, ours(t).shape)
    (g,) = grad((ours(t) * Tensor(v)).sum(), t, create_graph=True)
    tt = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad((theirs(torch, tt) * torch.tensor(v)).sum(), tt, create_graph=True)
    np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-12)
    # The second derivative is zero: PyTorch returns zeros (or, for amax, a gradient with no graph);
    # ours finds that g does not depend on x at all.
    (h,) = grad((g * Tensor(x)).sum(), t, allow_unused=True) if g.requires_grad else (None,)
    (ht,) = torch.autograd.grad((gt * torch.tensor(x)).sum(), tt, allow_unused=True) if gt.requires_grad else (None,)
    assert h is None or not np.any(h)
    assert ht is None or not torch.any(ht)


def test_jacobian_vector_product_by_two_vector_jacobian_products(torch, rng):
    """The double-vjp trick: u = grad(y, x, v) is linear in the seed v, so grad(u, v, w) = J w.
    The seed of the first pass is itself a node here, and the second pass differentiates through it."""
    a, v0, w0 = rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (3, 2))
    x, v = Tensor(a, requires_grad=True), Tensor(v0, requires_grad=True)
    (u,) = grad((x.tanh() * x).softmax(dim=0), x, grad_outputs=v, create_graph=True)
    (jvp,) = grad(u, v, grad_outputs=w0)
    xt, vt = torch.tensor(a, requires_grad=True), torch.tensor(v0, requires_grad=True)
    (ut,) = torch.autograd.grad((xt.tanh() * xt).softmax(dim=0), xt, grad_outputs=vt, create_graph=True)
    (jvpt,) = torch.autograd.grad(ut, vt, grad_outputs=torch.tensor(w0))
    np.testing.assert_allclose(jvp, jvpt.numpy(), rtol=1e-12, atol=1e-14)
    # Finite differences: J w = (f(x + h w) - f(x - h w)) / 2h.
    def f(z):
        e = np.exp(np.tanh(z) * z)
        return e / e.sum(axis=0)
    np.testing.assert_allclose(jvp, (f(a + 1e-6 * w0) - f(a - 1e-6 * w0)) / 2e-6, rtol=1e-6, atol=1e-9)


def test_backward_with_a_node_as_seed_differentiates_through_the_seed(torch):
    x, v = Tensor(np.array([0.2, -0.9]), requires_grad=True), Tensor(np.array([1.5, 0.5]), requires_grad=True)
    x.exp().backward(v, create_graph=True)  # x.grad = v * e^x, a graph of v and x
    (dv,) = grad(x.grad.sum(), v)
    np.testing.assert_allclose(dv, np.exp([0.2, -0.9]), rtol=1e-15)
    xt, vt = torch.tensor([0.2, -0.9], requires_grad=True), torch.tensor([1.5, 0.5], requires_grad=True)
    xt.exp().backward(vt, create_graph=True)
    (dvt,) = torch.autograd.grad(xt.grad.sum(), vt)
    np.testing.assert_allclose(dv, dvt.numpy(), rtol=1e-15)


def test_grad_with_respect_to_an_interior_node_and_several_outputs(torch, rng):
    a = rng.uniform(0.5, 1.5, 4)
    x = Tensor(a, requires_grad=True)
    h = x.exp()
    y1, y2 = (h * h).sum(), (h.log() * x).sum()
    gh, gx = grad([y1, y2], [h, x], create_graph=True)
    (hx,) = grad((gh * gx).sum(), x)
    xt = torch.tensor(a, requires_grad=True)
    ht = xt.exp()
    ght, gxt = torch.autograd.grad([(ht * ht).sum(), (ht.log() * xt).sum()], [ht, xt], create_graph=True)
    (hxt,) = torch.autograd.grad((ght * gxt).sum(), xt)
    np.testing.assert_allclose(gh.data, ght.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(gx.data, gxt.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(hx, hxt.numpy(), rtol=1e-12)


def test_create_graph_records_even_inside_no_grad(torch):
    x = Value(0.5)
    y = x.tanh()
    with no_grad():  # PyTorch records the backward pass when create_graph=True is asked for, here too
        (g,) = grad(y, x, create_graph=True)
    (h,) = grad(g, x)
    assert h == pytest.approx(-2 * np.tanh(0.5) * (1 - np.tanh(0.5) ** 2), rel=1e-14)


def test_float32_stays_float32_through_higher_derivatives():
    x = Tensor(np.array([0.1, -0.7, 1.2], dtype=np.float32), requires_grad=True)
    (g,) = grad((x.tanh() ** 3).mean(), x, create_graph=True)
    (h,) = grad(g.sum(), x)
    assert g.dtype == np.float32 and h.dtype == np.float32
    t = np.tanh(x.data.astype(np.float64))
    d = 1 - t ** 2  # d/dx mean(t^3) = t^2 (1 - t^2), whose derivative is 2t (1 - t^2)^2 - 2 t^3 (1 - t^2)
    np.testing.assert_allclose(g.data, t ** 2 * d, rtol=1e-5)
    np.testing.assert_allclose(h, 2 * t * d ** 2 - 2 * t ** 3 * d, rtol=1e-5)


# ---- Value: the scalar ops, derivatives 1 to 3 -------------------------------------------------------

def _selu(a):
    """selu of a Value, or of a torch tensor (which has no .selu method)."""
    if isinstance(a, Value):
        return a.selu()
    import torch
    return torch.nn.functional.selu(a)


VALUE_CASES = {
    "tanh": (lambda a: a.tanh(), [0.7]),
    "sigmoid": (lambda a: a.sigmoid(), [-0.4]),
    "exp": (lambda a: a.exp(), [0.3]),
    "log": (lambda a: a.log(), [1.7]),
    "sqrt": (lambda a: a.sqrt(), [1.7]),
    "x ** y": (lambda a, b: a ** b, [1.3, 2.2]),
    "x ** 3.5": (lambda a: a ** 3.5, [1.3]),
    "x ** 2": (lambda a: a ** 2, [-1.3]),
    "2.5 ** x": (lambda a: 2.5 ** a, [0.3]),
    "3 / x": (lambda a: 3 / a, [0.8]),
    "x / 4 and 3 - x": (lambda a: (a / 4).exp() * (3 - a) ** 3, [0.8]),
    "-x": (lambda a: (-a).tanh(), [0.8]),
    "abs": (lambda a: a.abs() ** 3, [-0.8]),
    "selu": (lambda a: _selu(a) ** 2, [-0.8]),
    "x / y": (lambda a, b: a / b, [0.8, -1.3]),
    "a circuit": (lambda a, b: (a * b + a.exp()).tanh() - b / 2 + (1 - a) * (b - 2), [0.2, -0.5]),
}


def value_chain(f, values, order):
    weights = [None] + [[1.5 + 0.25 * i + 0.5 * k for i in range(len(values))] for k in range(order)]
    return chain(f, values, weights, order)


@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_value_derivatives_match_torch(torch, name):
    f, numbers = VALUE_CASES[name]
    vs = [Value(n) for n in numbers]
    ts = [torch.tensor(n, requires_grad=True) for n in numbers]
    ours, theirs = value_chain(f, vs, ORDER - 1), value_chain(f, ts, ORDER - 1)
    assert len(ours) == len(theirs) == ORDER
    for k, (a, b) in enumerate(zip(ours, theirs)):
        for i, (ga, gb) in enumerate(zip(_grad(a, vs), _grad(b, ts))):
            ga = 0.0 if ga is None else ga.data
            gb = 0.0 if gb is None else gb.item()
            assert ga == pytest.approx(gb, rel=1e-12, abs=1e-14), f"derivative {k + 1}, input {i}"


@pytest.mark.parametrize("name", list(VALUE_CASES))
def test_value_derivatives_match_finite_differences(name):
    f, numbers = VALUE_CASES[name]
    vs = [Value(n) for n in numbers]
    for k in range(ORDER):
        def s_k(*inputs, k=k):
            with enable_grad():  # gradcheck evaluates under no_grad; s_k needs the graph to take gradients
                return value_chain(f, list(inputs), k)[k]
        assert gradcheck(s_k, *vs, atol=1e-6, rtol=1e-5)


def test_value_tanh_derivatives_are_the_textbook_polynomials():
    # With t = tanh(x): t' = 1 - t^2, t'' = -2 t t', t''' = -2 t'^2 - 2 t t''.
    x = Value(0.7)
    t = np.tanh(0.7)
    d1 = 1 - t * t
    d2 = -2 * t * d1
    d3 = -2 * d1 * d1 - 2 * t * d2
    (g1,) = grad(x.tanh(), x, create_graph=True)
    (g2,) = grad(g1, x, create_graph=True)
    (g3,) = grad(g2, x)
    assert (g1.data, g2.data, g3) == pytest.approx((d1, d2, d3), rel=1e-13)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "step"])
def test_value_piecewise_linear_second_derivative_is_zero(torch, name):
    slopes = {"relu": (0.0, 3.0), "leaky_relu": (0.3, 3.0), "step": (3.0, 3.0)}[name]  # below 0, above 0
    for x0 in (-0.8, 0.8):
        x = Value(x0)
        y = x.relu() if name == "relu" else x.leaky_relu(0.1) if name == "leaky_relu" else x.step() + x
        (g,) = grad(y * 3.0, x, create_graph=True)
        assert g.data == pytest.approx(slopes[x0 > 0], rel=1e-15)
        (h,) = grad(g, x, allow_unused=True)
        t = torch.tensor(x0, requires_grad=True)
        yt = t.relu() if name == "relu" else torch.nn.functional.leaky_relu(t, 0.1) if name == "leaky_relu" else \
            (t > 0).to(t.dtype) + t
        (gt,) = torch.autograd.grad(yt * 3.0, t, create_graph=True)
        (ht,) = torch.autograd.grad(gt, t, allow_unused=True) if gt.requires_grad else (None,)
        assert (h or 0.0) == 0.0 and (ht is None or ht.item() == 0.0)
