"""`Tensor` against PyTorch in float64: for each op the forward values and every gradient
(a random upstream gradient, so each entry of the vector-Jacobian product is checked), and a
2-layer MLP with log-softmax cross-entropy against `torch.nn.functional.cross_entropy`."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad.autograd import Tensor, cat, stack, where


def assert_same(torch, ours, theirs, arrays, rtol=1e-10, atol=1e-12):
    """ours(*Tensors) and theirs(*torch tensors) (ours when None) agree in value and in every input's gradient."""
    xs = [Tensor(np.array(a), requires_grad=True, label=f"x{i}") for i, a in enumerate(arrays)]
    ts = [torch.tensor(np.array(a), requires_grad=True) for a in arrays]
    out = ours(*xs)
    ref = (theirs or ours)(*ts)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(0).uniform(0.5, 1.5, out.shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for x, t in zip(xs, ts):
        expected = np.zeros(x.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(x.shape) if x.grad is None else x.grad
        assert got.shape == x.shape
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"gradient of {x.label}")


def dims(axis, ndim):
    """numpy's axis as torch's dim (None means every axis)."""
    return tuple(range(ndim)) if axis is None else axis


# ---- arithmetic with broadcasting and matmul ----------------------------------------------------------

SHAPE_PAIRS = [((2, 3, 4), (3, 1)), ((4,), ()), ((), (4,)), ((3, 1), (1, 4)), ((2, 3), (2, 3)), ((1,), (2, 3, 1))]


@pytest.mark.parametrize("sa, sb", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_binary_op_matches_torch(torch, rng, op, sa, sb):
    fn = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b, "**": lambda a, b: a ** b}[op]
    a = rng.uniform(0.5, 2.0, sa) if op == "**" else rng.uniform(-2, 2, sa)
    b = rng.uniform(0.3, 2.0, sb) * rng.choice([-1, 1], sb) if op == "/" else rng.uniform(-2, 2, sb)
    assert_same(torch, fn, None, [a, b])


@pytest.mark.parametrize("name, fn", [
    ("t+2", lambda t: t + 2), ("2-t", lambda t: 2 - t), ("3*t", lambda t: 3 * t), ("2/t", lambda t: 2 / t),
    ("t/4", lambda t: t / 4), ("t**3", lambda t: t ** 3), ("t**0.5", lambda t: t ** 0.5),
    ("t**-1.5", lambda t: t ** -1.5), ("2**t", lambda t: 2 ** t), ("-t", lambda t: -t),
])
def test_number_on_either_side_matches_torch(torch, rng, name, fn):
    assert_same(torch, fn, None, [rng.uniform(0.5, 2.0, (3, 2))])


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                                    ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)),
                                    ((2, 1, 2, 3), (4, 3, 2)), ((5, 2, 3), (5, 3, 4))], ids=str)
def test_matmul_matches_torch(torch, rng, sa, sb):
    assert_same(torch, lambda a, b: a @ b, None, [rng.normal(size=sa), rng.normal(size=sb)])


# ---- reductions ---------------------------------------------------------------------------------------

REDUCTIONS = {
    "sum": (lambda t, axis, k: t.sum(axis=axis, keepdims=k), lambda t, axis, k: t.sum(dim=dims(axis, t.ndim), keepdim=k)),
    "mean": (lambda t, axis, k: t.mean(axis=axis, keepdims=k), lambda t, axis, k: t.mean(dim=dims(axis, t.ndim), keepdim=k)),
    "amax": (lambda t, axis, k: t.amax(axis=axis, keepdims=k), lambda t, axis, k: t.amax(dim=dims(axis, t.ndim), keepdim=k)),
    "amin": (lambda t, axis, k: t.amin(axis=axis, keepdims=k), lambda t, axis, k: t.amin(dim=dims(axis, t.ndim), keepdim=k)),
    "var": (lambda t, axis, k: t.var(axis=axis, keepdims=k, correction=0),
            lambda t, axis, k: t.var(dim=dims(axis, t.ndim), keepdim=k, correction=0)),
    "std": (lambda t, axis, k: t.std(axis=axis, keepdims=k, correction=0),
            lambda t, axis, k: t.std(dim=dims(axis, t.ndim), keepdim=k, correction=0)),
    "var ddof=1": (lambda t, axis, k: t.var(axis=axis, keepdims=k, ddof=1),
                   lambda t, axis, k: t.var(dim=dims(axis, t.ndim), keepdim=k, correction=1)),
}


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("op", list(REDUCTIONS))
def test_reduction_matches_torch(torch, rng, op, axis, keepdims):
    ours, theirs = REDUCTIONS[op]
    assert_same(torch, lambda t: ours(t, axis, keepdims), lambda t: theirs(t, axis, keepdims),
                [rng.normal(size=(2, 3, 4))])


@pytest.mark.parametrize("op", ["amax", "amin"])
@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
def test_max_min_ties_split_evenly_like_torch_amax_amin(torch, op, axis):
    data = np.array([[2.0, 2.0, -1.0], [2.0, -1.0, -1.0]])
    ours, theirs = REDUCTIONS[op]
    assert_same(torch, lambda t: ours(t, axis, False), lambda t: theirs(t, axis, False), [data])


# ---- shape ops, indexing, cat / stack / where ------------------------------------------------------------

@pytest.mark.parametrize("name, ours, theirs", [
    ("reshape", lambda t: t.reshape(4, -1), None), ("reshape tuple", lambda t: t.reshape((6, 4)), None),
    ("flatten", lambda t: t.flatten(), None),
    ("transpose", lambda t: t.transpose(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    ("transpose all", lambda t: t.transpose(), lambda t: t.permute(2, 1, 0)),
    ("T of matrix", lambda t: t.reshape(6, 4).T, None),
    ("unsqueeze", lambda t: t.unsqueeze(1), None), ("squeeze", lambda t: t.unsqueeze(-1).squeeze(-1), None),
])
def test_shape_op_matches_torch(torch, rng, name, ours, theirs):
    assert_same(torch, ours, theirs, [rng.normal(size=(2, 3, 4))])


INDEXES = {
    "int": 1, "ints": (1, -1), "slice": (slice(None), slice(1, 3)), "None and ...": (None, Ellipsis, 2),
    "int array with repeats": [0, 1, 1, 0], "tuple of int arrays with repeats": ([0, 1, 0, 0], [2, 2, 0, 2]),
    "int arrays and slice": ([1, 1], slice(None), [3, 3]),
    "mask": np.array([[True, False, True], [False, False, True]]), "mask on axis 1": (slice(None), [True, False, True]),
}


def torch_index(torch, index):
    """The same index for torch: lists and numpy arrays become tensors (bool or int64)."""
    def one(i):
        if isinstance(i, (list, np.ndarray)):
            return torch.tensor(np.asarray(i))
        return i
    return tuple(one(i) for i in index) if isinstance(index, tuple) else one(index)


@pytest.mark.parametrize("name", list(INDEXES))
def test_indexing_matches_torch(torch, rng, name):
    index = INDEXES[name]
    assert_same(torch, lambda t: t[index], lambda t: t[torch_index(torch, index)], [rng.normal(size=(2, 3, 4))])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat_stack_where_match_torch(torch, rng, axis):
    arrays = [rng.normal(size=(2, 3)) for _ in range(3)]
    assert_same(torch, lambda *ts: cat(ts, axis=axis), lambda *ts: torch.cat(ts, dim=axis), arrays)
    assert_same(torch, lambda *ts: stack(ts, axis=axis), lambda *ts: torch.stack(ts, dim=axis), arrays)
    cond = arrays[0] > 0
    assert_same(torch, lambda a, b: where(cond, a, b), lambda a, b: torch.where(torch.tensor(cond), a, b),
                [arrays[1], arrays[2][0]])


# ---- elementwise, softmax ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, ours, theirs", [
    ("exp", lambda t: t.exp(), None), ("log", lambda t: t.abs().log(), None), ("sqrt", lambda t: t.abs().sqrt(), None),
    ("abs", lambda t: t.abs(), None), ("tanh", lambda t: t.tanh(), None), ("sigmoid", lambda t: t.sigmoid(), None),
    ("relu", lambda t: t.relu(), None),
    ("leaky_relu", lambda t: t.leaky_relu(0.2), lambda F, t: F.leaky_relu(t, 0.2)),
    ("selu", lambda t: t.selu(), lambda F, t: F.selu(t)),
    ("step", lambda t: t.step() * t, lambda F, t: (t > 0).double() * t),
    ("clip", lambda t: t.clip(-0.5, 0.8), lambda F, t: t.clamp(-0.5, 0.8)),
    ("clip low", lambda t: t.clip(-0.5), lambda F, t: t.clamp(min=-0.5)),
    ("softmax", lambda t: t.softmax(), lambda F, t: t.softmax(-1)),
    ("softmax axis 0", lambda t: t.softmax(0), None),
    ("log_softmax", lambda t: t.log_softmax(), lambda F, t: t.log_softmax(-1)),
    ("log_softmax axis 1", lambda t: t.log_softmax(1), None),
])
def test_elementwise_matches_torch(torch, rng, name, ours, theirs):
    F = torch.nn.functional
    assert_same(torch, ours, theirs and (lambda t: theirs(F, t)), [rng.normal(size=(3, 4, 5)) * 2])


def test_subgradients_at_kinks_match_torch(torch):
    data = np.array([0.0, 1.0, -1.0, 0.8, -0.5])
    assert_same(torch, lambda t: t.relu() + t.abs() + t.leaky_relu(0.3) + t.selu(),
                lambda t: t.relu() + t.abs() + torch.nn.functional.leaky_relu(t, 0.3) + torch.nn.functional.selu(t),
                [data])
    assert_same(torch, lambda t: t.clip(-0.5, 0.8), lambda t: t.clamp(-0.5, 0.8), [data])  # the limits pass it


def test_softmax_of_huge_logits_matches_torch(torch):
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    assert_same(torch, lambda t: t.softmax(), lambda t: t.softmax(-1), [logits])
    assert_same(torch, lambda t: t.log_softmax(), lambda t: t.log_softmax(-1), [logits])


# ---- composed expressions and whole models ---------------------------------------------------------------------

def test_layer_norm_composed_from_ops_matches_torch(torch, rng):
    def norm(x, g, b):
        mu = x.mean(-1, keepdims=True)
        return (x - mu) / (x.var(-1, keepdims=True, correction=0) + 1e-5) ** 0.5 * g + b

    def ref(x, g, b):
        return torch.nn.functional.layer_norm(x, (5,), g, b, eps=1e-5)
    assert_same(torch, norm, ref, [rng.normal(size=(4, 5)), rng.normal(size=5), rng.normal(size=5)])


def test_reused_tensor_in_many_places_matches_torch(torch, rng):
    def fn(x, w, amax):
        h = (x @ w).tanh()
        return (h * h).sum(0) + (h.T @ h).mean(1) - amax(h) * x.sum() / h.abs().sum()
    assert_same(torch, lambda x, w: fn(x, w, lambda h: h.amax(0)), lambda x, w: fn(x, w, lambda h: h.amax(0)),
                [rng.normal(size=(5, 3)), rng.normal(size=(3, 3))])


def mlp_loss(x, W1, b1, W2, b2, labels):
    """Cross-entropy of a 2-layer MLP written with Tensor ops, as a learner would write it."""
    logits = (x @ W1 + b1).relu() @ W2 + b2
    logp = logits.log_softmax(axis=-1)
    return -logp[np.arange(len(labels)), labels].mean()


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_two_layer_mlp_cross_entropy_matches_torch(torch, rng, dtype, rtol):
    n, d, h, k = 16, 5, 12, 4
    arrays = [rng.normal(size=(n, d)), rng.normal(size=(d, h)) / np.sqrt(d), rng.normal(size=h) * 0.1,
              rng.normal(size=(h, k)) / np.sqrt(h), rng.normal(size=k) * 0.1]
    arrays = [a.astype(dtype) for a in arrays]
    labels = rng.integers(0, k, size=n)
    labels[:2] = labels[2]  # a repeated class, so one logit column is picked several times
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss = mlp_loss(*ours, labels)
    x, W1, b1, W2, b2 = theirs
    ref = torch.nn.functional.cross_entropy(torch.relu(x @ W1 + b1) @ W2 + b2, torch.tensor(labels))
    loss.backward()
    ref.backward()
    assert loss.shape == () and loss.dtype == dtype
    assert loss.item() == pytest.approx(ref.item(), rel=rtol)
    for name, a, t in zip(["x", "W1", "b1", "W2", "b2"], ours, theirs):
        assert a.grad.dtype == dtype and a.grad.shape == a.shape
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=rtol, atol=rtol * 1e-2, err_msg=name)


# ---- accumulation -------------------------------------------------------------------------------------------------

def test_accumulation_over_fresh_graphs_and_the_same_graph_matches_torch(torch, rng):
    a = rng.normal(size=(3, 2))
    x, t = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for _ in range(2):  # two fresh graphs on the same leaf: gradients add up
        (x.tanh() * x).sum().backward()
        (t.tanh() * t).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)
    x.zero_grad()
    t.grad = None
    y, u = (x @ x.T).exp().mean(), (t @ t.T).exp().mean()
    y.backward()
    y.backward()  # the same graph twice: the leaf gets twice the gradient, as with retain_graph
    u.backward(retain_graph=True)
    u.backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)
