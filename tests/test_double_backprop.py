"""Double backprop: `x.grad` after `backward(create_graph=True)` is a node whose backward is the second
derivative; a small MLP's Hessian-vector product and gradient-penalty training against PyTorch with
copied weights (float64); the clear errors of `grad()` and of an op with no differentiable backward;
`viz.draw` of a gradient, which draws the backward pass. The ops' derivatives one by one are in
tests/test_higher_order.py."""
from __future__ import annotations


import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor, Value, grad, topological_order
from conftest import svg_texts as texts  # noqa: E402

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
    assert isinstance(x.grad, Tensor) and x.grad.fn is None  # a plain pass stores numbers again


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
    assert h.grad.fn is None and x.grad.fn is not None  # the interior node shows numbers; the leaf keeps the graph
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
        assert isinstance(a, Tensor) and a.fn is None  # numbers, as torch.autograd.grad's (no graph asked for)
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
