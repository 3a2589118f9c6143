"""numpy functions of a Tensor (issue 22, item 3): each keeps the graph, running the Tensor op with
numpy's arguments, or raises TypeError naming what to write; never a plain array that silently
drops the graph. `np.array(w)` and `np.copy(w)` are snapshots; `np.asarray(w)` shares memory."""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad as cg
from circuitgrad import nn
from circuitgrad.autograd import Tensor, gradcheck, no_grad

X = [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]]
POSITIVE = [[0.5, 1.2, 2.0], [1.5, 0.3, 0.7]]
M = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 1.0]])


def leaf(values=X) -> Tensor:
    return cg.tensor(values, requires_grad=True)


# ---- the reproducer --------------------------------------------------------------------

def test_a_numpy_function_in_a_formula_keeps_the_gradient(torch):
    t = leaf([0.5, 1.0, 1.5])
    (t * np.tanh(t)).sum().backward()
    tt = torch.tensor([0.5, 1.0, 1.5], requires_grad=True)
    (tt * torch.tanh(tt)).sum().backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-12)


# ---- every mapped numpy function: the op, its value, its gradient --------------------------------
# (name, numpy call on a tensor, the same with torch, input) -- the value against numpy on the data,
# the gradient against PyTorch and finite differences.

UNARY = [
    ("exp", np.exp, "exp", X), ("exp2", np.exp2, "exp2", X), ("expm1", np.expm1, "expm1", X),
    ("log", np.log, "log", POSITIVE), ("log2", np.log2, "log2", POSITIVE), ("log10", np.log10, "log10", POSITIVE),
    ("log1p", np.log1p, "log1p", POSITIVE), ("sqrt", np.sqrt, "sqrt", POSITIVE), ("square", np.square, "square", X),
    ("reciprocal", np.reciprocal, "reciprocal", X), ("abs", np.abs, "abs", X), ("fabs", np.fabs, "abs", X),
    ("tanh", np.tanh, "tanh", X), ("sin", np.sin, "sin", X), ("cos", np.cos, "cos", X),
    ("negative", np.negative, "neg", X), ("positive", np.positive, "positive", X),
    ("sign", np.sign, "sign", X), ("floor", np.floor, "floor", X), ("ceil", np.ceil, "ceil", X),
    ("rint", np.rint, "round", X),
]


@pytest.mark.parametrize("name, f, torch_name, values", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ufuncs_run_the_tensor_op(torch, name, f, torch_name, values):
    t = leaf(values)
    out = f(t)
    assert isinstance(out, Tensor) and out.requires_grad and out.grad_fn is not None
    np.testing.assert_allclose(out.data, f(np.array(values)), rtol=1e-12)
    weights = np.arange(1.0, 7.0).reshape(2, 3)
    (out * cg.tensor(weights)).sum().backward()
    tt = torch.tensor(values, requires_grad=True)
    (getattr(torch, torch_name)(tt) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-10)
    if name not in ("sign", "floor", "ceil", "rint"):  # steps: X holds 2.0, where floor and ceil jump
        assert gradcheck(f, leaf(values))


BINARY = [
    ("add", np.add, "add"), ("subtract", np.subtract, "sub"), ("multiply", np.multiply, "mul"),
    ("divide", np.divide, "div"), ("true_divide", np.true_divide, "div"), ("power", np.power, "pow"),
    ("maximum", np.maximum, "maximum"), ("minimum", np.minimum, "minimum"),
]


@pytest.mark.parametrize("name, f, torch_name", BINARY, ids=[b[0] for b in BINARY])
def test_binary_ufuncs_run_the_tensor_op_with_arrays_and_numbers_on_either_side(torch, name, f, torch_name):
    a_vals, b_vals = POSITIVE, [[2.0, 0.5, 1.5], [0.8, 3.0, 1.1]]
    a, b = leaf(a_vals), leaf(b_vals)
    out = f(a, b)
    assert isinstance(out, Tensor) and out.grad_fn is not None
    np.testing.assert_allclose(out.data, f(np.array(a_vals), np.array(b_vals)), rtol=1e-12)
    out.sum().backward()
    ta, tb = torch.tensor(a_vals, requires_grad=True), torch.tensor(b_vals, requires_grad=True)
    getattr(torch, torch_name)(ta, tb).sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-10)
    assert gradcheck(f, leaf(a_vals), leaf(b_vals))
    # an array or a number as the other operand, on the left or the right
    for other in (np.array(b_vals), 1.5, np.float64(1.5)):
        left, right = f(other, leaf(a_vals)), f(leaf(a_vals), other)
        assert isinstance(left, Tensor) and left.requires_grad and isinstance(right, Tensor) and right.requires_grad
        np.testing.assert_allclose(left.data, f(other, np.array(a_vals)), rtol=1e-12)
        np.testing.assert_allclose(right.data, f(np.array(a_vals), other), rtol=1e-12)


def test_array_operators_with_a_tensor_on_the_right_come_to_the_tensor():
    t = leaf()
    for out in (np.ones((2, 3)) + t, np.ones((2, 3)) * t, np.ones((2, 3)) - t, np.ones((2, 3)) / t,
                np.ones((2, 3)) ** t, np.float64(2.0) * t, np.ones((4, 2)) @ t, -np.ones(3) * t):
        assert isinstance(out, Tensor) and out.requires_grad and out.grad_fn is not None
    (np.full((2, 3), 3.0) * t).sum().backward()
    assert np.array_equal(t.grad, np.full((2, 3), 3.0))


def test_float32_stays_float32_through_numpy():
    t = cg.tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    for out in (np.exp(t), np.multiply(t, 2.0), np.sum(t), np.add(1, t)):
        assert out.dtype == np.float32


def test_comparisons_are_the_tensors_own():
    t, u = leaf(), np.zeros((2, 3))
    for f, op in ((np.greater, "__gt__"), (np.greater_equal, "__ge__"), (np.less, "__lt__"),
                  (np.less_equal, "__le__"), (np.equal, "__eq__"), (np.not_equal, "__ne__")):
        ours, direct = f(t, u), getattr(t, op)(u)
        assert type(ours) is type(direct) and np.array_equal(np.asarray(ours), np.asarray(direct))
    assert np.array_equal(np.asarray(np.isnan(t)), np.asarray(t.isnan()))
    assert np.isfinite(t).all() and not np.isinf(t).any()  # tests on the numbers: no gradient to lose


FUNCTIONS = [
    ("sum", lambda a: np.sum(a), lambda a: a.sum()),
    ("sum axis=0 keepdims", lambda a: np.sum(a, axis=0, keepdims=True), lambda a: a.sum(0, keepdim=True)),
    ("sum axis=(0, 1)", lambda a: np.sum(a, axis=(0, 1)), lambda a: a.sum((0, 1))),
    ("sum keepdims", lambda a: np.sum(a, keepdims=True), lambda a: a.sum((0, 1), keepdim=True)),
    ("mean axis=1", lambda a: np.mean(a, axis=1), lambda a: a.mean(1)),
    ("mean axis=-1 keepdims", lambda a: np.mean(a, -1, keepdims=True), lambda a: a.mean(-1, keepdim=True)),
    ("max", lambda a: np.max(a), lambda a: a.amax()),
    ("amax axis=0", lambda a: np.amax(a, axis=0), lambda a: a.amax(0)),
    ("min axis=1 keepdims", lambda a: np.min(a, axis=1, keepdims=True), lambda a: a.amin(1, keepdim=True)),
    ("amin", lambda a: np.amin(a), lambda a: a.amin()),
    ("var (ddof 0)", lambda a: np.var(a), lambda a: a.var(correction=0)),
    ("var axis=0 ddof=1", lambda a: np.var(a, axis=0, ddof=1), lambda a: a.var(0, correction=1)),
    ("std axis=1", lambda a: np.std(a, axis=1), lambda a: a.std(1, correction=0)),
    ("std keepdims", lambda a: np.std(a, axis=1, keepdims=True), lambda a: a.std(1, keepdim=True, correction=0)),
    ("reshape", lambda a: np.reshape(a, (3, 2)), lambda a: a.reshape(3, 2)),
    ("reshape -1", lambda a: np.reshape(a, -1), lambda a: a.reshape(-1)),
    ("ravel", lambda a: np.ravel(a), lambda a: a.reshape(-1)),
    ("transpose", lambda a: np.transpose(a), lambda a: a.T),
    ("transpose axes", lambda a: np.transpose(a.reshape(1, 2, 3), (2, 0, 1)),
     lambda a: a.reshape(1, 2, 3).permute(2, 0, 1)),
    ("swapaxes", lambda a: np.swapaxes(a, 0, 1), lambda a: a.transpose(0, 1)),
    ("squeeze", lambda a: np.squeeze(a.reshape(2, 1, 3)), lambda a: a),
    ("squeeze axis", lambda a: np.squeeze(a.reshape(2, 1, 3), axis=1), lambda a: a),
    ("expand_dims", lambda a: np.expand_dims(a, 1), lambda a: a.unsqueeze(1)),
    ("expand_dims tuple", lambda a: np.expand_dims(a, (0, -1)), lambda a: a.unsqueeze(0).unsqueeze(-1)),
    ("broadcast_to", lambda a: np.broadcast_to(a, (4, 2, 3)), lambda a: a.expand(4, 2, 3)),
    ("dot 2-D", lambda a: np.dot(a, M), lambda a: a @ torch_or_tensor(a, M)),
    ("dot 1-D", lambda a: np.dot(a[0], a[1]), lambda a: (a[0] * a[1]).sum()),
    ("dot scalar", lambda a: np.dot(a, 2.0), lambda a: a * 2.0),
    ("matmul", lambda a: np.matmul(M, a), lambda a: torch_or_tensor(a, M) @ a),
    ("outer", lambda a: np.outer(a[0], a[1]), lambda a: a[0].reshape(-1, 1) * a[1].reshape(1, -1)),
    ("concatenate", lambda a: np.concatenate([a, a * 2]), None),
    ("concatenate axis=1", lambda a: np.concatenate((a, np.ones((2, 1))), axis=1), None),
    ("concatenate axis=None", lambda a: np.concatenate([a, a], axis=None), None),
    ("stack", lambda a: np.stack([a, a * 2]), None),
    ("stack axis=-1", lambda a: np.stack([a, np.ones((2, 3))], axis=-1), None),
    ("where", lambda a: np.where(np.asarray(a.data) > 0, a, 0.0), None),
    ("where both", lambda a: np.where(np.array([True, False, True]), a, a * 3), None),
    ("clip", lambda a: np.clip(a, -1.0, 1.0), lambda a: a.clamp(-1.0, 1.0)),
    ("clip lower only", lambda a: np.clip(a, 0.0, None), lambda a: a.clamp(min=0.0)),
    ("cumsum", lambda a: np.cumsum(a, axis=1), lambda a: a.cumsum(1)),
    ("cumsum flat", lambda a: np.cumsum(a), lambda a: a.reshape(-1).cumsum(0)),
    ("flip", lambda a: np.flip(a, 1), lambda a: a.flip(1)),
    ("flip all", lambda a: np.flip(a), lambda a: a.flip((0, 1))),
    ("tril", lambda a: np.tril(a), lambda a: a.tril()),
    ("triu k=1", lambda a: np.triu(a, 1), lambda a: a.triu(1)),
    ("tile", lambda a: np.tile(a, 2), lambda a: a.repeat(1, 2)),
    ("tile 2-D", lambda a: np.tile(a, (2, 1)), lambda a: a.repeat(2, 1)),
    ("round", lambda a: np.round(a, 1), lambda a: a.round(decimals=1)),
]


def torch_or_tensor(like, array):
    """`array` in the kind of `like`: a torch tensor beside torch, a Tensor beside a Tensor."""
    if isinstance(like, Tensor):
        return cg.tensor(array)
    import torch
    return torch.tensor(array)


@pytest.mark.parametrize("name, f, torch_f", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_numpy_functions_run_the_tensor_op_with_numpys_arguments(torch, name, f, torch_f):
    t = leaf()
    out = f(t)
    assert isinstance(out, Tensor) and out.requires_grad and out.grad_fn is not None, name
    expected = f(np.array(X))  # numpy's own answer on the data
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)
    assert gradcheck(f, leaf())
    if torch_f is not None:
        weights = np.random.default_rng(0).uniform(0.5, 1.5, out.shape)
        (out * cg.tensor(weights)).sum().backward()
        tt = torch.tensor(X, requires_grad=True)
        (torch_f(tt) * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_numpy_var_keeps_numpys_default_ddof_0_and_the_method_pytorchs_1():
    t = leaf()
    assert np.var(t).item() == pytest.approx(np.var(np.array(X)))
    assert t.var().item() == pytest.approx(np.var(np.array(X), ddof=1))
    assert np.std(t, correction=1).item() == pytest.approx(np.std(np.array(X), ddof=1))


def test_reductions_over_no_axis_reduce_nothing_as_in_numpy():
    t = leaf()
    out = np.sum(t, axis=())
    assert out.shape == (2, 3) and out.requires_grad
    assert np.array_equal(out.data, np.sum(np.array(X), axis=()))


# ---- what raises ------------------------------------------------------------------------------

UNMAPPED = [
    ("np.fft.fft", lambda a: np.fft.fft(a)), ("np.arctan2", lambda a: np.arctan2(a, a)),
    ("np.sinh", lambda a: np.sinh(a)), ("np.prod", lambda a: np.prod(a)),
    ("np.linalg.norm", lambda a: np.linalg.norm(a)), ("np.einsum", lambda a: np.einsum("ij->i", a)),
    ("np.add.reduce", lambda a: np.add.reduce(a)), ("np.maximum.accumulate", lambda a: np.maximum.accumulate(a)),
    ("np.median", lambda a: np.median(a)), ("np.sort", lambda a: np.sort(a)),
    ("np.logaddexp", lambda a: np.logaddexp(a, a)), ("np.diff", lambda a: np.diff(a)),
]


@pytest.mark.parametrize("name, f", UNMAPPED, ids=[u[0] for u in UNMAPPED])
def test_numpy_functions_without_an_op_raise_for_a_tensor_that_requires_grad(name, f):
    with pytest.raises(TypeError, match=rf"{name} does not keep circuitgrad's graph: .* t\.detach\(\)\.numpy\(\)"):
        f(leaf())


@pytest.mark.parametrize("name, f", UNMAPPED, ids=[u[0] for u in UNMAPPED])
def test_numpy_functions_without_an_op_give_numpys_array_for_a_tensor_without_grad(name, f):
    out = f(cg.tensor(X))
    assert not isinstance(out, Tensor)
    np.testing.assert_allclose(out, f(np.array(X)))


def test_the_error_names_what_to_write():
    with pytest.raises(TypeError, match=r"t\.norm\(p, dim\)"):
        np.linalg.norm(leaf())
    with pytest.raises(TypeError, match=r"t\.sum\(dim\)"):
        np.add.reduce(leaf())


def test_a_numpy_function_of_a_tensor_without_grad_is_still_a_tensor():
    """The choice made here: a function with an op returns a Tensor whether or not it requires grad
    (PyTorch's tensors do the same for ufuncs); only functions without an op give an array."""
    t = cg.tensor(X)
    for out in (np.tanh(t), np.sum(t, axis=0), np.reshape(t, -1), np.ones(3) + t):
        assert isinstance(out, Tensor) and not out.requires_grad


def test_functions_that_only_look_at_the_numbers_work_on_a_tensor_that_requires_grad():
    t = leaf()
    assert np.allclose(t, X) and np.array_equal(t, X) and np.isclose(t, X).all()
    assert np.argmax(t) == 2 and np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6
    assert np.count_nonzero(t) == 6 and np.array_equal(np.argsort(t, axis=1), np.argsort(np.array(X), axis=1))
    np.testing.assert_allclose(t, X)
    assert np.zeros_like(t).shape == (2, 3) and isinstance(np.zeros_like(t), np.ndarray)
    assert np.array_equal(np.where(t > 0)[1], np.where(np.array(X) > 0)[1])


def test_unsupported_numpy_arguments_raise():
    t = leaf()
    with pytest.raises(TypeError, match="np.sum: dtype= is not supported on a Tensor"):
        np.sum(t, dtype=np.float32)
    with pytest.raises(TypeError, match="np.exp: dtype= is not supported on a Tensor"):
        np.exp(t, dtype=np.float32)
    with pytest.raises(TypeError, match="np.sum: where= is not supported"):
        np.sum(t, where=np.ones((2, 3), bool))
    with pytest.raises(TypeError, match="np.reshape: order='F' is not supported"):
        np.reshape(t, -1, order="F")
    with pytest.raises(TypeError, match="np.dot: for shapes .* numpy's dot is not a matrix product"):
        np.dot(t.reshape(1, 2, 3), cg.ones(2, 3, 4))
    with pytest.raises(TypeError, match="np.clip: array bounds are not supported"):
        np.clip(t, np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="np.squeeze: dim 0 of shape"):
        np.squeeze(t, axis=0)
    with pytest.raises(ValueError, match="np.concatenate: shapes"):
        np.concatenate([t, cg.ones(2, 2)])
    with pytest.raises(ValueError, match="np.stack: all input arrays must have the same shape"):
        np.stack([t, cg.ones(2, 2)])
    with pytest.raises(IndexError, match="np.stack: axis 5 is out of bounds"):
        np.stack([t, t], axis=5)
    with pytest.raises(TypeError, match="np.concatenate: give a list or tuple"):
        np.concatenate(t)
    with pytest.raises(ValueError, match="np.var: give ddof= or correction=, not both"):
        np.var(t, ddof=1, correction=1)


def test_out_is_refused_unless_numpy_can_write_it_exactly():
    t = leaf()
    with pytest.raises(TypeError, match=r"np.add: out= an array would drop the graph"):
        np.add(t, 1.0, out=np.zeros((2, 3)))
    with pytest.raises(TypeError, match="np.add: out= a Tensor is not supported"):
        np.add(cg.tensor(X), 1.0, out=cg.zeros(2, 3))
    with pytest.raises(TypeError, match="np.sum: out= is not supported on a Tensor"):
        np.sum(t, axis=0, out=np.zeros(3))
    with pytest.raises(TypeError, match="np.add: out= an array would drop the graph"):
        a = np.zeros((2, 3))
        a += t
    written = np.zeros((2, 3))
    result = np.multiply(cg.tensor(X), 2.0, out=written)  # no graph to lose: numpy writes it
    assert result is written and np.array_equal(written, np.array(X) * 2.0)


# ---- conversions: copies are snapshots --------------------------------------------------------

def test_np_copy_and_np_array_are_snapshots_that_an_optimizer_step_does_not_change():
    w = nn.Parameter(np.array([1.0, -2.0, 3.0]))
    opt = nn.optim.SGD([w], lr=0.1)
    copied, arrayed, copy_true, shared = np.copy(w), np.array(w), np.array(w, copy=True), np.asarray(w)
    (w * w).sum().backward()
    opt.step()
    for snapshot in (copied, arrayed, copy_true):
        assert isinstance(snapshot, np.ndarray) and not isinstance(snapshot, Tensor)
        assert np.array_equal(snapshot, [1.0, -2.0, 3.0])
    assert np.array_equal(w.data, [0.8, -1.6, 2.4])
    assert np.shares_memory(shared, w.data) and np.array_equal(shared, w.data)  # asarray: no copy unless needed


def test_array_honours_dtype_and_copy():
    w = leaf([1.0, 2.0])
    as32 = np.asarray(w, dtype=np.float32)
    assert as32.dtype == np.float32 and not np.shares_memory(as32, w.data)
    shared = np.array(w, dtype=np.float64, copy=False)
    assert np.shares_memory(shared, w.data) and not shared.flags.writeable
    with pytest.raises(ValueError, match="cannot be viewed as float32 without a copy"):
        np.array(w, dtype=np.float32, copy=False)
    assert w.__array__(copy=True) is not w.data
    plain = Tensor(np.array([1.0, 2.0]))  # no gradient: numpy gets the array itself, as PyTorch's numpy()
    assert plain.__array__() is plain.data


def test_the_array_numpy_shares_with_a_tensor_that_requires_grad_is_read_only():
    """Writing into it would change numbers a pass may use, without a word: refused, as numpy refuses
    writing into any read-only array. Reading works; the tensor itself changes in place as before."""
    x = leaf([1.0, 2.0, 3.0])
    y = x.exp()
    s = y.sum()
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(y)[...] = 0
    s.backward()
    np.testing.assert_allclose(x.grad, np.exp([1.0, 2.0, 3.0]))  # the gradient the numbers give
    view = np.asarray(x)
    with no_grad():
        x -= 1.0
    assert np.array_equal(view, [0.0, 1.0, 2.0])  # still the tensor's memory

def test_list_of_tensors_to_array_is_a_snapshot_of_their_numbers():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    assert np.array_equal(np.array([a, b]), [[1.0, 2.0], [3.0, 4.0]])
