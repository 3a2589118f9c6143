"""`Tensor`: construction, and every op against finite differences (with broadcasting) and
against numpy's own results. The backward rules, dtypes and bad input are in test_tensor_rules.py."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from circuitgrad import autograd
from circuitgrad.autograd import Tensor, Value, cat, gradcheck, stack, where
from conftest import uniform_leaf as leaf  # noqa: E402

def nonzero(rng, shape, label="x"):
    """Entries with |x| in [0.3, 2]: away from the kinks of abs/relu/step and from division by 0."""
    return Tensor(rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape), requires_grad=True, label=label)


# ---- construction and attributes ------------------------------------------------------------------

@pytest.mark.parametrize("data", [3, 2.5, [1, 2, 3], [[1.0, 2.0]], np.arange(4), np.array([True, False]),
                                  np.arange(3, dtype=np.int8)])
def test_numbers_lists_int_and_bool_arrays_become_float64(data):
    t = Tensor(data)
    assert t.dtype == np.float64 and t.data.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))


def test_float_arrays_keep_their_dtype_and_dtype_argument_wins():
    assert Tensor(np.ones(3, np.float32)).dtype == np.float32
    assert Tensor(np.ones(3, np.float16)).dtype == np.float16
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2, np.float32), dtype=np.float64).dtype == np.float64


def test_attributes_of_a_leaf():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="W")
    assert (t.shape, t.ndim, t.size(), t.size(1), t.numel(), t.dim(), len(t)) == ((2, 3), 2, (2, 3), 3, 6, 2, 2)
    assert t.grad is None and t.requires_grad and t.label == "W" and t.op == "" and t.parents == () and t.is_leaf
    assert t.detach().numpy() is t.data  # shared, not copied (t.numpy() is refused: t requires grad)
    t.data[0, 0] = 10.0         # data is mutable in place and later ops see it
    assert (t * 1).data[0, 0] == 10.0
    assert Tensor([[4.0]]).item() == 4.0 and type(Tensor([[4.0]]).item()) is float
    assert bool(Tensor(1.0)) and not bool(Tensor([0.0]))


def test_repr_shows_values_label_and_dtype_and_abridges_large_tensors():
    small = repr(Tensor([1.5, 2.0], requires_grad=True, label="b"))
    assert "1.5" in small and "label='b'" in small and "requires_grad=True" in small
    assert "dtype=float32" in repr(Tensor(np.ones(2, np.float32)))
    assert "op='*'" in repr(Tensor([1.0], requires_grad=True) * Tensor([2.0]))
    big = repr(Tensor(np.arange(10_000.0)))
    assert "..." in big and len(big) < 200


def test_result_of_an_op_knows_its_op_and_parents():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    c = a * b
    assert c.op == "*" and c.parents == (a, b) and c.requires_grad and not c.is_leaf
    d = Tensor([1.0]) * 2  # nothing requires grad: no graph kept
    assert not d.requires_grad and d.parents == () and d.op == ""


# ---- arithmetic with broadcasting, against finite differences --------------------------------------

BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b, "**": lambda a, b: a ** b}
SHAPE_PAIRS = [((2, 3, 4), (3, 1)), ((3, 1), (2, 3, 4)), ((4,), ()), ((), (4,)), ((3, 1), (1, 4)),
               ((2, 3), (2, 3)), ((), ()), ((1,), (2, 3, 1))]


def binary_operands(rng, op, sa, sb):
    if op == "**":  # a positive base keeps a ** b real and its d/db = a^b ln(a) defined
        return leaf(rng, sa, 0.5, 2.0, "a"), leaf(rng, sb, -1.5, 1.5, "b")
    if op == "/":
        return leaf(rng, sa, label="a"), nonzero(rng, sb, "b")
    return leaf(rng, sa, label="a"), leaf(rng, sb, label="b")


@pytest.mark.parametrize("sa, sb", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_op_broadcasts_and_gradchecks(rng, op, sa, sb):
    a, b = binary_operands(rng, op, sa, sb)
    out = BINARY[op](a, b)
    np.testing.assert_allclose(out.data, BINARY[op](a.data, b.data), rtol=1e-15)
    assert gradcheck(BINARY[op], a, b)
    out.sum().backward()
    assert a.grad.shape == sa and b.grad.shape == sb  # summed back to each operand's own shape


@pytest.mark.parametrize("name, fn", [
    ("t+2", lambda t: t + 2), ("2+t", lambda t: 2 + t), ("t-2", lambda t: t - 2), ("2-t", lambda t: 2 - t),
    ("t*2", lambda t: t * 2), ("2*t", lambda t: 2 * t), ("t/2", lambda t: t / 2), ("2/t", lambda t: 2 / t),
    ("t**2", lambda t: t ** 2), ("t**0.5", lambda t: t ** 0.5), ("2**t", lambda t: 2 ** t), ("-t", lambda t: -t),
    ("+t", lambda t: +t),
    ("array+t", lambda t: np.array([1.0, -2.0, 3.0]) + t), ("t*array", lambda t: t * np.array([[2.0], [-1.0]])),
    ("array/t", lambda t: np.full((2, 3), 3.0) / t), ("list-t", lambda t: [1.0, 2.0, 3.0] - t),
    ("t@array", lambda t: t @ np.ones((3, 2))), ("array@t", lambda t: np.ones((4, 2)) @ t),
])
def test_numbers_and_arrays_on_either_side(rng, name, fn):
    t = leaf(rng, (2, 3), 0.5, 2.0, "t")
    out = fn(t)
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, fn(t.data), rtol=1e-15)
    assert gradcheck(fn, t)


# ---- matmul with numpy's rules ---------------------------------------------------------------------

MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                 ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((2, 1, 2, 3), (4, 3, 2)), ((5, 2, 3), (5, 3, 4)),
                 ((2, 3), (2, 3, 4))]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=str)
def test_matmul_follows_numpy_and_gradchecks(rng, sa, sb):
    a, b = leaf(rng, sa, label="A"), leaf(rng, sb, label="B")
    out = a @ b
    assert out.shape == np.matmul(a.data, b.data).shape
    np.testing.assert_allclose(out.data, np.matmul(a.data, b.data), rtol=1e-14)
    np.testing.assert_allclose(a.matmul(b).data, out.data, rtol=0)
    assert gradcheck(lambda x, y: x @ y, a, b)


def test_linear_layer_gradients_by_hand(rng):
    # Y = X W + b: dW = X^T dY, db = dY summed over the batch, dX = dY W^T
    X, W, b = leaf(rng, (5, 3), label="X"), leaf(rng, (3, 2), label="W"), leaf(rng, (2,), label="b")
    dY = rng.normal(size=(5, 2))
    (X @ W + b).backward(dY)
    np.testing.assert_allclose(W.grad, X.data.T @ dY, rtol=1e-14)
    np.testing.assert_allclose(b.grad, dY.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(X.grad, dY @ W.data.T, rtol=1e-14)


# ---- reductions -------------------------------------------------------------------------------------

AXES = [None, 0, -1, 1, (0, 2), (2, 0), (0, 1, 2), ()]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op, axis", [(op, axis) for op in ["sum", "mean", "amax", "amin", "var", "std"]
                                      for axis in AXES if not (op in ("var", "std") and axis == ())], ids=str)
def test_reduction_matches_numpy_and_gradchecks(rng, op, axis, keepdims):
    x = leaf(rng, (2, 3, 4))
    fn = lambda t: getattr(t, op)(axis=axis, keepdims=keepdims)  # noqa: E731
    out = fn(x)
    # PyTorch's var and std divide by N - 1 (correction=1) by default; numpy's by N.
    extra = {"ddof": 1} if op in ("var", "std") else {}
    # dim=() is every dim in PyTorch (numpy's axis=() would be none)
    expected = getattr(np, op.replace("amax", "max").replace("amin", "min"))(
        x.data, axis=None if axis == () else axis, keepdims=keepdims, **extra)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-14)
    assert gradcheck(fn, x)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_and_std_with_ddof(rng, op):
    x = leaf(rng, (3, 5))
    fn = lambda t: getattr(t, op)(axis=1, ddof=1)  # noqa: E731
    np.testing.assert_allclose(fn(x).data, getattr(np, op)(x.data, axis=1, ddof=1), rtol=1e-14)
    assert gradcheck(fn, x)


def test_max_ties_split_the_gradient_evenly_between_tied_entries():
    x = Tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5, 0.0])


def test_min_ties_split_the_gradient_evenly_per_row():
    x = Tensor([[1.0, 1.0, 1.0], [2.0, 0.0, 5.0]], requires_grad=True)
    x.amin(axis=1).backward(np.array([3.0, 1.0]))
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])


def test_max_ties_split_over_a_tuple_of_axes_with_keepdims():
    x = Tensor(np.array([[[4.0, 0.0], [4.0, 1.0]], [[2.0, 2.0], [2.0, 2.0]]]), requires_grad=True)
    x.amax(axis=(1, 2), keepdims=True).backward(np.ones((2, 1, 1)))
    np.testing.assert_array_equal(x.grad, [[[0.5, 0.0], [0.5, 0.0]], [[0.25, 0.25], [0.25, 0.25]]])


# ---- shape ops, indexing, cat/stack/where -------------------------------------------------------------

SHAPE_OPS = {
    "reshape(6, 4)": (lambda t: t.reshape(6, 4), lambda a: a.reshape(6, 4)),
    "reshape((4, -1))": (lambda t: t.reshape((4, -1)), lambda a: a.reshape(4, -1)),
    "reshape([24])": (lambda t: t.reshape([24]), lambda a: a.reshape(24)),
    "flatten": (lambda t: t.flatten(), lambda a: a.reshape(-1)),
    "transpose()": (lambda t: t.transpose(), lambda a: a.transpose()),
    "transpose(1, 0, 2)": (lambda t: t.transpose(1, 0, 2), lambda a: a.transpose(1, 0, 2)),
    "transpose((2, 0, 1))": (lambda t: t.transpose((2, 0, 1)), lambda a: a.transpose(2, 0, 1)),
    "transpose(-1, 0, 1)": (lambda t: t.transpose(-1, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ".T": (lambda t: t.T, lambda a: a.T),
    "unsqueeze(0)": (lambda t: t.unsqueeze(0), lambda a: a[None]),
    "unsqueeze(-1)": (lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    "unsqueeze(1)": (lambda t: t.unsqueeze(1), lambda a: a[:, None]),
    "squeeze()": (lambda t: t.unsqueeze(1).unsqueeze(-1).squeeze(), lambda a: a),
    "squeeze(1)": (lambda t: t.unsqueeze(1).squeeze(1), lambda a: a),
    "squeeze((0, -1))": (lambda t: t.reshape(1, 2, 3, 4, 1).squeeze((0, -1)), lambda a: a),
}


@pytest.mark.parametrize("name", list(SHAPE_OPS))
def test_shape_op_matches_numpy_and_gradchecks(rng, name):
    ours, theirs = SHAPE_OPS[name]
    x = leaf(rng, (2, 3, 4))
    out = ours(x)
    np.testing.assert_array_equal(out.data, theirs(x.data))
    assert gradcheck(ours, x)


def test_transpose_of_a_matrix_and_a_vector():
    m = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.T.data, m.data.T)
    np.testing.assert_array_equal(Tensor([1.0, 2.0]).T.data, [1.0, 2.0])


MASK = np.array([[[True, False, True, False], [False, False, True, True], [True, True, True, False]],
                 [[False, True, False, False], [True, False, False, False], [False, False, True, True]]])
INDEXES = {
    "int": 1, "negative int": -1, "ints": (1, 2), "all ints": (0, 2, 3), "slice": slice(0, 1),
    "step slice": (slice(None), slice(None, None, 2)), "None": (None, 1), "...": (Ellipsis, 0),
    "int ... None": (1, Ellipsis, None), "empty tuple": (),
    "int array": np.array([0, 1, 1]), "list": [1, 0],
    "repeated on axis 2": (slice(None), slice(None), [0, 0, 3, 0]),
    "tuple of int arrays": (np.array([0, 1, 1]), np.array([2, 0, 2])),
    "repeated pairs": ([0, 0, 1, 0], [1, 1, 2, 1], [3, 3, 0, 3]),
    "2-D int array": np.array([[0, 1], [1, 1]]),
    "mask": MASK, "mask on axis 1": (slice(None), np.array([True, False, True])),
    "mask and int": (np.array([False, True]), 2),
    "array and slice": (np.array([1, 0, 1]), slice(1, 3)),
}


@pytest.mark.parametrize("name", list(INDEXES))
def test_indexing_matches_numpy_and_gradchecks(rng, name):
    index = INDEXES[name]
    x = leaf(rng, (2, 3, 4))
    out = x[index]
    np.testing.assert_array_equal(out.data, x.data[index])
    assert gradcheck(lambda t: t[index], x)


def test_repeated_indices_accumulate():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])
    m = Tensor(np.zeros((2, 2)), requires_grad=True)
    m[[1, 1, 0], [0, 0, 1]].backward(np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(m.grad, [[0.0, 4.0], [3.0, 0.0]])


def test_index_with_a_comparison_mask_and_with_an_integer_valued_tensor():
    x = Tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    x[x > 0].sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(x[autograd.tensor([3, 3, 0])].data, [4.0, 4.0, -1.0])
    with pytest.raises(IndexError, match="tensors used as indices must be long, int or bool tensors, got float64"):
        x[Tensor([3, 3, 0])]  # a float tensor could be positions or a 0/1 mask: PyTorch refuses it too


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat_and_stack_gradcheck(rng, axis):
    a, b, c = leaf(rng, (2, 3), label="a"), leaf(rng, (2, 3), label="b"), leaf(rng, (2, 3), label="c")
    np.testing.assert_array_equal(cat([a, b, c], axis).data, np.concatenate([a.data, b.data, c.data], axis))
    np.testing.assert_array_equal(stack([a, b, c], axis).data, np.stack([a.data, b.data, c.data], axis))
    assert gradcheck(lambda *ts: cat(ts, axis=axis), a, b, c)
    assert gradcheck(lambda *ts: stack(ts, axis=axis), a, b, c)


def test_cat_of_different_lengths_and_with_a_constant(rng):
    a, b = leaf(rng, (2, 3), label="a"), leaf(rng, (2, 5), label="b")
    assert cat([a, b], axis=1).shape == (2, 8)
    assert gradcheck(lambda x, y: cat([x, np.ones((2, 1)), y], axis=-1), a, b)


def test_where_picks_and_routes_the_gradient_with_broadcasting(rng):
    a, b = leaf(rng, (2, 3), label="a"), leaf(rng, (3,), label="b")
    cond = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(where(cond, a, b).data, np.where(cond, a.data, b.data))
    assert gradcheck(lambda x, y: where(cond, x, y), a, b)
    assert gradcheck(lambda x: where(x > 0, x, 0.1 * x), a)  # a leaky relu made with where
    where(Tensor(cond) > 0, a, 0.0).sum().backward()
    assert a.grad.shape == (2, 3)


# ---- elementwise functions, softmax -------------------------------------------------------------------

ELEMENTWISE = {
    "exp": (Tensor.exp, np.exp, "any"), "log": (Tensor.log, np.log, "positive"),
    "sqrt": (Tensor.sqrt, np.sqrt, "positive"), "abs": (Tensor.abs, np.abs, "nonzero"),
    "tanh": (Tensor.tanh, np.tanh, "any"), "sigmoid": (Tensor.sigmoid, lambda a: 1 / (1 + np.exp(-a)), "any"),
    "relu": (Tensor.relu, lambda a: np.maximum(a, 0), "nonzero"),
    "leaky_relu": (lambda t: t.leaky_relu(0.1), lambda a: np.where(a > 0, a, 0.1 * a), "nonzero"),
    "leaky_relu default": (Tensor.leaky_relu, lambda a: np.where(a > 0, a, 0.01 * a), "nonzero"),
    "selu": (Tensor.selu, lambda a: 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 * np.expm1(a)),
             "nonzero"),
    "step": (Tensor.step, lambda a: (a > 0).astype(float), "nonzero"),
    "clip(-1, 1)": (lambda t: t.clip(-1.0, 1.0), lambda a: np.clip(a, -1, 1), "nonzero"),
    "clip(low)": (lambda t: t.clip(0.5), lambda a: np.maximum(a, 0.5), "nonzero"),
    "clip(high)": (lambda t: t.clip(high=-0.5), lambda a: np.minimum(a, -0.5), "nonzero"),
    "astype(float64)": (lambda t: t.astype(np.float64), lambda a: a, "any"),
    "abs()": (abs, np.abs, "nonzero"),
}


@pytest.mark.parametrize("shape", [(3, 4), ()], ids=["(3, 4)", "0-d"])
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_matches_numpy_and_gradchecks(rng, name, shape):
    ours, theirs, domain = ELEMENTWISE[name]
    x = {"any": leaf(rng, shape), "positive": leaf(rng, shape, 0.2, 3.0), "nonzero": nonzero(rng, shape)}[domain]
    if name.startswith("clip"):  # keep entries away from the limits, where the slope jumps
        x.data[np.abs(np.abs(x.data) - 1.0) < 0.05] = 1.5
        x.data[np.abs(np.abs(x.data) - 0.5) < 0.05] = 0.7
    np.testing.assert_allclose(ours(x).data, theirs(x.data), rtol=1e-14, atol=1e-300)
    assert gradcheck(ours, x)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_saturates_quietly_and_exactly_where_a_float_can_tell(dtype):
    """No overflow warning for any input; where e^-x is finite the result is the correctly rounded
    1 / (1 + e^-x) of float64 (the Value's formula), and beyond that it is a subnormal, never
    negative and never above the smallest normal float."""
    x = np.array([-1e4, -800.0, -120.0, -90.0, -60.0, -30.0, -5.0, -1e-3, 0.0, 2.0, 30.0, 800.0, 1e4]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Tensor(x).sigmoid().data
    assert out.dtype == dtype
    limit = np.log(np.finfo(dtype).max)
    exact = np.array([Value(float(v)).sigmoid().data for v in x])
    inside = x.astype(np.float64) >= -limit
    np.testing.assert_allclose(out[inside], exact[inside].astype(dtype), rtol=2 * np.finfo(dtype).eps, atol=0)
    assert ((out[~inside] >= 0) & (out[~inside] <= np.finfo(dtype).tiny)).all() and (~inside).any()
    assert out[-1] == 1.0


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "selu", "step",
                                  "softmax", "log_softmax"])
def test_function_spellings_match_methods(rng, name):
    x = Tensor(rng.uniform(0.1, 2.0, (2, 3)))
    np.testing.assert_array_equal(getattr(autograd, name)(x).data, getattr(x, name)().data)


@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_gradcheck(rng, op, axis):
    x = leaf(rng, (2, 3, 4), -3.0, 3.0)
    out = getattr(x, op)(axis=axis)
    e = np.exp(x.data)
    expected = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(out.data, expected if op == "softmax" else np.log(expected), rtol=1e-13)
    assert gradcheck(lambda t: getattr(t, op)(axis), x)


def test_softmax_is_stable_for_huge_logits():
    s = Tensor([1000.0, 1001.0, 1002.0]).softmax()
    assert np.isfinite(s.data).all() and s.data.sum() == pytest.approx(1.0, abs=1e-15)
    e = np.exp([0.0, 1.0, 2.0])
    np.testing.assert_allclose(s.data, e / e.sum(), rtol=1e-14)  # shifting logits changes nothing
    ls = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True).log_softmax()
    assert np.isfinite(ls.data).all()  # log(softmax) done naively gives -inf for the first two
    np.testing.assert_allclose(ls.data, [-2000.0, -1000.0, 0.0])
    ls[0].backward()
    assert np.isfinite(ls.parents[0].grad).all()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
def test_masked_gradients_select_like_where_bit_for_bit(dtype):
    from circuitgrad.autograd.ops.maths import masked

    # relu, clamp and where send `grad where keep else 0`; ops.maths.masked does that selection on
    # the bits for speed, and must give np.where's result exactly: blocked nan/inf become +0.0,
    # kept entries keep their bits (-0.0, nan, subnormals), for any layout and broadcasting.
    rng = np.random.default_rng(3)
    grad = rng.standard_normal((6, 10)).astype(dtype)
    grad[0, :6] = [np.nan, np.inf, -np.inf, -0.0, np.finfo(dtype).smallest_subnormal, np.finfo(dtype).max]
    grad[1, :6] = grad[0, :6]
    keep = rng.random((6, 10)) > 0.5
    keep[0, :6], keep[1, :6] = False, True
    for g, k in ((grad, keep), (grad.T, keep.T), (grad[:, ::2], keep[:, ::2]), (grad, keep[0]), (grad[0], keep),
                 (grad, np.broadcast_to(keep[:, :1], grad.shape))):
        ours, expected = masked(g, k), np.where(k, g, 0.0).astype(dtype)
        assert ours.dtype == dtype and ours.shape == expected.shape
        assert ours.base is None and ours.flags.writeable  # a leaf may keep it without a copy
        np.testing.assert_array_equal(ours, expected)  # nan where nan
        np.testing.assert_array_equal(np.signbit(ours), np.signbit(expected))  # -0.0 kept, blocked entries +0.0
    assert masked(np.float32(2.0), np.True_) == 2.0 and masked(3.0, False) == 0.0  # numbers go through where


def test_relu_clamp_and_where_gradients_block_a_nan_from_above_in_every_float_dtype():
    for dtype in (np.float16, np.float32, np.float64):
        x = Tensor(np.array([-1.0, 0.0, 2.0, 5.0], dtype), requires_grad=True)
        blocked = x.relu() + x.clamp(0.5, 3.0) + where(x.data > 1, x, 0.0)
        (blocked * Tensor(np.array([np.nan, np.inf, 1.0, 1.0], dtype))).sum().backward()
        # entries 0 and 1 are blocked by all three gates: their nan and inf never reach x
        assert x.grad.dtype == dtype and x.grad.tolist() == [0.0, 0.0, 3.0, 2.0]
