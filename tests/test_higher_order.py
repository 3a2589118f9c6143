"""Gradients of gradients: `backward(create_graph=True)` and `grad(..., create_graph=True)` record the
backward pass as a graph, so it can be differentiated again.

Every op's second and third derivatives are checked two ways: against PyTorch's
`torch.autograd.grad(..., create_graph=True)` in float64, and against finite differences of the
derivative one order below (gradcheck of a function that itself runs `grad`). Tensor outputs are
contracted with fixed random weights, so one scalar per order checks every entry (a
Hessian-vector product, then a third-derivative-vector-vector product)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import circuitgrad.nn.functional as F
from circuitgrad import nn, viz
from circuitgrad.autograd import (Tensor, Value, cat, enable_grad, grad, gradcheck, no_grad, stack, topological_order,
                                  where)

ORDER = 3  # derivatives 1, 2 and 3 of every smooth op


def texts(svg: bytes) -> list:
    """Every <text> of an SVG, unescaped, in document order."""
    return [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]


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
        "max": (lambda a: a.max(dim=1) ** 3, lambda a: a.amax(dim=1) ** 3, [x]),
        "min": (lambda a: a.min(dim=0).exp(), lambda a: a.amin(dim=0).exp(), [x]),
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
    ("max", lambda a: a.max(dim=0), lambda torch, a: a.amax(dim=0)),
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


# ---- backward(create_graph=True): x.grad is a node, and its backward is the second derivative --------

def test_tensor_double_backward_as_pytorch(torch):
    data = np.array([0.3, -1.2, 0.8])
    x = Tensor(data, requires_grad=True)
    ((x.tanh() ** 2) * x).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Tensor) and g.requires_grad and g.fn is not None  # the backward pass, recorded
    x.grad = None
    g.sum().backward()
    xt = torch.tensor(data, requires_grad=True)
    ((xt.tanh() ** 2) * xt).sum().backward(create_graph=True)
    gt = xt.grad
    xt.grad = None
    gt.sum().backward()
    np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-13)
    assert isinstance(x.grad, np.ndarray)  # a plain pass stores arrays again


def test_tensor_double_backward_without_reset_accumulates_as_pytorch(torch):
    data = np.array([0.5, 2.0])
    x = Tensor(data, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    x.grad.sum().backward()  # x.grad becomes 3x^2 + 6x, as in PyTorch
    xt = torch.tensor(data, requires_grad=True)
    (xt ** 3).sum().backward(create_graph=True)
    xt.grad.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), xt.grad.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(x.grad), 3 * data ** 2 + 6 * data, rtol=1e-14)


def test_value_double_backward():
    x = Value(0.5, "x")
    (x * x * x).backward(create_graph=True)  # x.grad = 3x^2, a Value whose graph is the backward pass
    g = x.grad
    assert isinstance(g, Value) and g.fn is not None and g.data == pytest.approx(0.75)
    x.grad = 0.0
    g.backward()
    assert x.grad == pytest.approx(3.0)  # 6x
    x.grad = 0.0
    g = grad(x.tanh(), x, create_graph=True)[0]
    g.backward()
    assert x.grad == pytest.approx(-2 * np.tanh(0.5) * (1 - np.tanh(0.5) ** 2), rel=1e-14)


def test_interior_nodes_keep_plain_gradients_after_create_graph():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x.exp()
    h.sum().backward(create_graph=True)
    assert isinstance(h.grad, np.ndarray) and isinstance(x.grad, Tensor)
    np.testing.assert_allclose(x.grad.data, np.exp([1.0, 2.0]))


# ---- a small MLP: Hessian-vector product and the gradient penalty, against PyTorch ------------------

def twin_mlps(torch, rng, sizes=(3, 6, 2)):
    """nn.Sequential(Linear, Tanh, Linear) here and in PyTorch, with the same weights."""
    ours = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.Tanh(), nn.Linear(sizes[1], sizes[2]))
    theirs = torch.nn.Sequential(torch.nn.Linear(sizes[0], sizes[1]), torch.nn.Tanh(),
                                 torch.nn.Linear(sizes[1], sizes[2])).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            p.data[...] = rng.uniform(-1, 1, p.shape)
            q.copy_(torch.tensor(p.data))
    return ours, theirs


def test_hessian_vector_product_of_an_mlp_loss(torch, rng):
    model, twin = twin_mlps(torch, rng)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    params, tparams = list(model.parameters()), list(twin.parameters())
    vs = [rng.normal(size=p.shape) for p in params]

    def hvp(weights=None):
        loss = nn.MSELoss()(model(Tensor(X)), Tensor(Y))
        gs = grad(loss, params, create_graph=True)
        dot = (gs[0] * Tensor(vs[0])).sum()
        for g, v in zip(gs[1:], vs[1:]):
            dot = dot + (g * Tensor(v)).sum()
        return gs, grad(dot, params)

    gs, hv = hvp()
    loss_t = torch.nn.MSELoss()(twin(torch.tensor(X)), torch.tensor(Y))
    gts = torch.autograd.grad(loss_t, tparams, create_graph=True)
    hvt = torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in zip(gts, vs)), tparams)
    for a, b in zip(hv, hvt):
        assert isinstance(a, np.ndarray)
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-10, atol=1e-13)
    # Finite differences: H v is the change of the gradient along v, (g(w + h v) - g(w - h v)) / 2h.
    h = 1e-5
    moved = []
    for sign in (1, -1):
        for p, v in zip(params, vs):
            p.data += sign * h * v
        moved.append([g.data.copy() for g in hvp()[0]])
        for p, v in zip(params, vs):
            p.data -= sign * h * v
    for a, up, down in zip(hv, *moved):
        np.testing.assert_allclose(a, (up - down) / (2 * h), rtol=1e-6, atol=1e-8)


def test_gradient_penalty_training_matches_pytorch(torch, rng):
    """Double backprop: loss + lam ||d loss / d x||^2, trained with SGD; the penalty's gradient flows
    through the recorded backward pass into the weights."""
    model, twin = twin_mlps(torch, rng)
    X, Y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    lam, steps = 10.0, 5
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        x = Tensor(X, requires_grad=True)
        fit = nn.MSELoss()(model(x), Tensor(Y))
        (gx,) = grad(fit, x, create_graph=True)
        loss = fit + lam * (gx * gx).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()

        xt = torch.tensor(X, requires_grad=True)
        fit_t = torch.nn.MSELoss()(twin(xt), torch.tensor(Y))
        (gxt,) = torch.autograd.grad(fit_t, xt, create_graph=True)
        loss_t = fit_t + lam * (gxt * gxt).sum()
        twin.zero_grad()
        loss_t.backward()
        with torch.no_grad():  # plain SGD by hand: torch.optim takes seconds to import
            for q in twin.parameters():
                q -= 0.1 * q.grad
        assert loss.item() == pytest.approx(loss_t.item(), rel=1e-9)
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12)
    # The penalty's own gradient is far from negligible, so the agreement above checks the double backprop.
    x = Tensor(X, requires_grad=True)
    fit = nn.MSELoss()(model(x), Tensor(Y))
    (gx,) = grad(fit, x, create_graph=True)
    w = model[0].weight
    (from_penalty,), (from_fit,) = grad(lam * (gx * gx).sum(), w), grad(fit, w)
    assert np.linalg.norm(from_penalty) > 0.1 * np.linalg.norm(from_fit)


LAYERS = {
    "ReLU, CrossEntropyLoss": lambda m: m.Sequential(m.Linear(4, 5), m.ReLU(), m.Linear(5, 3)),
    "BatchNorm1d, Sigmoid": lambda m: m.Sequential(m.Linear(4, 5), m.BatchNorm1d(5), m.Sigmoid(), m.Linear(5, 3)),
    "SELU, LeakyReLU": lambda m: m.Sequential(m.Linear(4, 5), m.SELU(), m.Linear(5, 5), m.LeakyReLU(0.1),
                                               m.Linear(5, 3)),
    "LSTM": lambda m: m.LSTM(4, 3),
    "GRU": lambda m: m.GRU(4, 3),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_gradient_penalty_through_layers_matches_pytorch(torch, rng, name):
    """d/dweights of ||d loss / d x||^2 through each kind of layer, against PyTorch with the same weights."""
    ours, theirs = LAYERS[name](nn), LAYERS[name](torch.nn).double()
    with torch.no_grad():
        for (key, p), (key_t, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert key == key_t and p.shape == tuple(q.shape)
            p.data[...] = rng.uniform(-0.8, 0.8, p.shape)
            q.copy_(torch.tensor(p.data))
    recurrent = name in ("LSTM", "GRU")
    X = rng.normal(size=(5, 2, 4) if recurrent else (6, 4))
    labels = rng.integers(0, 3, 6)
    if recurrent:
        loss, loss_t = (lambda o: (o[0] ** 2).sum()), (lambda o: (o[0] ** 2).sum())
    else:
        loss = lambda o: nn.CrossEntropyLoss()(o, labels)  # noqa: E731
        loss_t = lambda o: torch.nn.CrossEntropyLoss()(o, torch.tensor(labels))  # noqa: E731
    x, xt = Tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    (gx,) = grad(loss(ours(x)), x, create_graph=True)
    (gxt,) = torch.autograd.grad(loss_t(theirs(xt)), xt, create_graph=True)
    np.testing.assert_allclose(gx.data, gxt.detach().numpy(), rtol=1e-10, atol=1e-14)
    params = list(ours.parameters())
    got = grad((gx * gx).sum(), params, allow_unused=True)
    want = torch.autograd.grad((gxt * gxt).sum(), list(theirs.parameters()), allow_unused=True)
    scale = max(float(np.abs(w.numpy()).max()) for w in want if w is not None)
    for p, a, b in zip(params, got, want):
        a = np.zeros(p.shape) if a is None else a
        b = np.zeros(p.shape) if b is None else b.numpy()
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * scale)


# ---- what cannot be done, said clearly ---------------------------------------------------------------

def test_create_graph_through_bce_raises_and_changes_nothing():
    p = Tensor(np.array([0.3, 0.6]), requires_grad=True)
    loss = nn.BCELoss()(p, Tensor(np.array([0.0, 1.0])))
    with pytest.raises(NotImplementedError, match="bce op has no differentiable backward"):
        loss.backward(create_graph=True)
    with pytest.raises(NotImplementedError, match="bce"):
        grad(loss, p, create_graph=True)
    assert p.grad is None  # the failed pass changed no leaf
    (g,) = grad(loss, p)  # a first-order pass through the same op is fine
    np.testing.assert_allclose(g, (p.data - [0.0, 1.0]) / (p.data * (1 - p.data)) / 2)


def test_grad_errors_are_clear():
    x, unused = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(3.0, requires_grad=True, label="b")
    y = (x * x).sum()
    with pytest.raises(ValueError, match=r"input 1 \(b\) is not used.*allow_unused=True"):
        grad(y, [x, unused])
    gx, gb = grad(y, [x, unused], allow_unused=True)
    assert gb is None and np.allclose(gx, [2.0, 4.0])
    with pytest.raises(ValueError, match=r"grad_outputs has 2 seeds for 1 output"):
        grad(y, x, grad_outputs=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"grad_outputs has 1 seed for 2 outputs"):
        grad([y, 2 * y], x, grad_outputs=[1.0])
    with pytest.raises(TypeError, match="grad: inputs must be a Value or Tensor"):
        grad(y, 3.0)
    with pytest.raises(TypeError, match="grad: outputs must be a Value or Tensor"):
        grad([], x)
    with pytest.raises(ValueError, match=r"input 0 .*does not require grad"):
        grad(y, Tensor(np.array([1.0, 2.0])))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        grad(x * 2, x)  # a non-scalar output needs grad_outputs


def test_grad_returns_without_touching_dot_grad():
    x = Value(2.0)
    y = x * x * x
    (g,) = grad(y, x)
    assert g == 12.0 and x.grad == 0.0  # returned, not stored
    t = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    (gt,) = grad(t * 3.0, t, grad_outputs=np.array([1.0, 2.0]))
    assert t.grad is None and np.allclose(gt, [3.0, 6.0])


# ---- viz.draw of a gradient: the graph of the backward pass ----------------------------------------

def test_draw_value_gradient_shows_the_backward_pass():
    x = Value(0.5, "x")
    x.tanh().backward(create_graph=True)
    dot = viz.draw(x.grad)  # d tanh/dx = grad * (1 - tanh(x)^2): tanh, *, 1-x, *
    words = texts(dot.pipe(format="svg"))
    for gate in ("tanh", "1-x", "*"):
        assert gate in words
    assert sum(line.count("->") for line in dot.body) >= len(topological_order(x.grad)) - 1
    # the root's wire carries the value of the first derivative, 1 - tanh(0.5)^2 = 0.79
    assert "0.79" in words
    # the backward pass of the backward pass, step by step: the seed, then one picture per gate
    gates = [n for n in topological_order(x.grad) if n.fn is not None]
    assert len(list(viz.backprop_steps(x.grad))) == 1 + len(gates) == 5


def test_draw_tensor_gradient_shows_the_backward_pass():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True, label="x")
    (x.tanh() * x).sum().backward(create_graph=True)
    words = texts(viz.draw(x.grad, rankdir="TB").pipe(format="svg"))
    for gate in ("tanh", "-", "*", "+"):
        assert gate in words
    assert "x" in words
