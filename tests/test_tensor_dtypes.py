"""PyTorch's dtypes and return types, side by side with PyTorch (issue 22, item 4): bool and int64
tensors from Python lists, type promotion, comparisons as bool Tensors, masks and integer indices
with their gradients, `values, indices = x.max(1)`, sort/topk, `dim=()`, 0-d dims, out-of-range
dims, and the functional pieces (`F.batch_norm`, `attn_mask`, `calculate_gain`, `retain_graph`).

The `torch` fixture sets PyTorch's default dtype to float64, circuitgrad's, so dtype names compare
one to one."""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad as cg
import circuitgrad.nn.functional as F
from circuitgrad import nn
from circuitgrad.autograd import Tensor, gradcheck


def name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def both(torch, fn, *arrays, grad=True):
    """fn on circuitgrad tensors and on torch tensors made from the same arrays (floats require grad)."""
    ours = [cg.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return ours, theirs, fn(*ours), fn(*theirs)


# ---- dtypes of literals and factories ---------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda m: m.tensor([True, False]), lambda m: m.tensor([0, 2, 1]), lambda m: m.tensor([0.5, 1]),
    lambda m: m.tensor(3), lambda m: m.tensor([[1, 2], [3, 4]]), lambda m: m.Tensor([0, 2, 1]),
    lambda m: m.arange(5), lambda m: m.arange(0, 1, 0.25), lambda m: m.arange(1.0, 4), lambda m: m.full((2,), 7),
    lambda m: m.full((2,), True), lambda m: m.full((2,), 1.5), lambda m: m.zeros(2), lambda m: m.ones(2, dtype=m.long),
    lambda m: m.zeros_like(m.tensor([1, 2])), lambda m: m.linspace(0, 1, 3),
    lambda m: m.tensor([1, 2], dtype=m.float32),
    lambda m: m.from_numpy(np.array([1, 2], np.int32)), lambda m: m.from_numpy(np.array([1.0], np.float32)),
], ids=["bools", "ints", "floats", "int scalar", "int matrix", "legacy Tensor", "arange int", "arange float",
        "arange float start", "full int", "full bool", "full float", "zeros", "ones long", "zeros_like int",
        "linspace", "tensor dtype=", "from_numpy int32", "from_numpy float32"])
def test_dtype_of_literals_and_factories_matches_torch(torch, make):
    ours, ref = make(cg), make(torch)
    assert name(ours.dtype) == name(ref.dtype)
    np.testing.assert_array_equal(ours.data, ref.numpy())


def test_a_bool_tensor_masks_and_an_int_tensor_gathers_with_gradients(torch):
    data = np.array([10.0, 20.0, 30.0])
    for index in ([True, False, True], [0, 2, 1, 2]):
        x, t = cg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        out, ref = x[cg.tensor(index)], t[torch.tensor(index)]
        np.testing.assert_array_equal(out.data, ref.detach().numpy())
        upstream = np.arange(1.0, len(out) + 1)
        out.backward(upstream)
        ref.backward(torch.tensor(upstream))
        np.testing.assert_array_equal(x.grad, t.grad.numpy())
    # the case: a mask, not the rows 1, 0, 1
    np.testing.assert_array_equal(cg.tensor(data)[cg.tensor([True, False, True])].data, [10.0, 30.0])
    # a 2-D mask from a comparison, and integer rows of a matrix, against finite differences
    m = Tensor(np.arange(6.0).reshape(2, 3) - 2.5, requires_grad=True)
    assert gradcheck(lambda a: a[a.detach() > 0] * 2.0, m)
    assert gradcheck(lambda a: a[cg.tensor([1, 0, 1])], m)


def test_only_float_tensors_can_require_grad(torch):
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        torch.tensor([1, 2], requires_grad=True)
    for make in (lambda: cg.tensor([1, 2], requires_grad=True), lambda: cg.tensor([True], requires_grad=True),
                 lambda: cg.zeros(2, dtype=cg.int64, requires_grad=True), lambda: cg.arange(3, requires_grad=True),
                 lambda: Tensor([1, 2], dtype=np.int64, requires_grad=True),
                 lambda: cg.tensor([1, 2]).requires_grad_()):
        with pytest.raises(TypeError, match="Only Tensors of floating point and complex dtype can require gradients; "
                                            "this one is (int64|bool)"):
            make()
    assert cg.arange(3.0, requires_grad=True).requires_grad


def test_default_dtype_switch_covers_literals_factories_and_layers():
    assert cg.get_default_dtype() == cg.float64
    cg.set_default_dtype(cg.float32)
    try:
        assert cg.get_default_dtype() == np.float32
        assert cg.tensor([0.5]).dtype == cg.Tensor([1, 2]).dtype == cg.zeros(2).dtype == np.float32
        assert cg.randn(2).dtype == cg.arange(0.5, 2).dtype == np.float32
        assert (cg.tensor([1, 2]) / cg.tensor([2, 2])).dtype == np.float32  # int / int: the default float
        assert (cg.tensor([1, 2]) * 0.5).dtype == np.float32
        assert nn.Linear(2, 3).weight.dtype == np.float32
        assert cg.tensor([1, 2]).dtype == np.int64
        assert cg.tensor(np.array([0.5])).dtype == np.float64  # an array keeps its own dtype, as torch.tensor
        with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
            cg.set_default_dtype(cg.int64)
    finally:
        cg.set_default_dtype(cg.float64)
    assert cg.tensor([0.5]).dtype == np.float64


def test_a_float32_model_fed_float32_data_stays_float32():
    model = nn.Sequential(nn.Linear(3, 4, dtype=cg.float32), nn.ReLU(), nn.Linear(4, 2, dtype=cg.float32))
    x = cg.from_numpy(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32))
    out = model(x)
    loss = nn.CrossEntropyLoss()(out, cg.tensor([0, 1, 1, 0, 1]))
    assert out.dtype == loss.dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert (out.argmax(1) == cg.tensor([0, 1, 1, 0, 1])).type(cg.float).sum().dtype == np.float32


# ---- type promotion ---------------------------------------------------------------------------------------

CASTS = {"int64": np.int64, "int32": np.int32, "uint8": np.uint8, "int8": np.int8, "bool": np.bool_,
         "float32": np.float32, "float64": np.float64}
PAIRS = [("int64", "int64"), ("int64", "float64"), ("int64", "float32"), ("bool", "float32"), ("bool", "int64"),
         ("int32", "int64"), ("uint8", "int8"), ("bool", "bool"), ("float32", "float64"), ("int32", "float32")]


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
@pytest.mark.parametrize("a, b", PAIRS, ids=str)
def test_binary_op_promotes_as_torch(torch, op, a, b):
    x = np.array([3, 1, 2]).astype(CASTS[a])
    y = np.array([2, 1, 1]).astype(CASTS[b])
    if op == "-" and "bool" in (a, b):
        return  # PyTorch refuses subtraction with bools; numpy too
    fn = {"+": lambda p, q: p + q, "-": lambda p, q: p - q, "*": lambda p, q: p * q, "/": lambda p, q: p / q}[op]
    ours, ref = fn(cg.tensor(x), cg.tensor(y)), fn(torch.tensor(x), torch.tensor(y))
    assert name(ours.dtype) == name(ref.dtype), (a, op, b)
    np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-6 if "float32" in (a, b) else 1e-15)


@pytest.mark.parametrize("number", [2, 0.5, True])
@pytest.mark.parametrize("a", ["int64", "int32", "bool", "float32", "float64"])
def test_a_python_number_does_not_widen_a_tensor_as_in_torch(torch, a, number):
    x = np.array([3, 0, 2]).astype(CASTS[a])
    for fn in (lambda p: p * number, lambda p: number + p, lambda p: p / number):
        if a == "bool" and number is True and fn(torch.tensor(x)).dtype == torch.bool:
            continue
        ours, ref = fn(cg.tensor(x)), fn(torch.tensor(x))
        assert name(ours.dtype) == name(ref.dtype), (a, number)
        np.testing.assert_allclose(ours.data.astype(float), ref.numpy().astype(float), rtol=1e-6)


def test_where_maximum_and_minimum_promote_as_torch(torch):
    ints, mask = np.array([1, 2, 3]), np.array([True, False, True])
    for fn in (lambda m, t: m.where(m.tensor(mask), t, 0.5), lambda m, t: m.where(m.tensor(mask), 2, t),
               lambda m, t: t.maximum(m.tensor(1.5)), lambda m, t: m.minimum(t, m.tensor([0.5, 9.0, 2.5])),
               lambda m, t: m.where(m.tensor(mask), t, m.tensor([0.5, 0.5, 0.5]))):
        ours, ref = fn(cg, cg.tensor(ints)), fn(torch, torch.tensor(ints))
        assert name(ours.dtype) == name(ref.dtype)
        np.testing.assert_array_equal(ours.data, ref.numpy())


def test_int_and_mask_operands_leave_no_graph_unless_a_float_needs_grad(torch):
    labels, mask = cg.tensor([0, 2, 1]), cg.tensor([True, False, True])
    assert not (labels + labels).requires_grad and (labels + labels).is_leaf
    w = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = (w * mask + labels).sum()
    out.backward()
    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (t * torch.tensor([True, False, True]) + torch.tensor([0, 2, 1])).sum().backward()
    np.testing.assert_array_equal(w.grad, t.grad.numpy())


# ---- comparisons, logic and conversions ------------------------------------------------------------------

def test_comparisons_give_bool_tensors_for_the_tutorial_accuracy_line(torch):
    scores = np.array([[0.1, 2.0, 0.3], [1.5, 0.2, 0.1], [0.0, 0.1, 0.9], [0.3, 0.2, 0.1]])
    labels = np.array([1, 0, 1, 0])
    correct = {}
    for m in (cg, torch):
        pred, y = m.tensor(scores), m.tensor(labels)
        hits = pred.argmax(1) == y
        assert name(hits.dtype) == "bool" and name(pred.argmax(1).dtype) == "int64"
        correct[m.__name__] = (hits.type(m.float).sum().item(), hits.float().mean().item(), hits.sum().item(),
                               hits.long().tolist(), hits.int().tolist(), hits.any().item(), hits.all().item(),
                               (~hits).tolist(), (hits & (y > 0)).tolist(), (hits | (y > 0)).tolist(),
                               pred.eq(pred).all().item(), (pred > 1).bool().tolist(), y.double().tolist())
    assert correct["circuitgrad"] == correct["torch"]
    assert type(correct["circuitgrad"][2]) is int and type(correct["circuitgrad"][5]) is bool


def test_type_and_to_accept_dtypes_and_torch_strings():
    x = cg.tensor([1.7, -1.2], requires_grad=True)
    assert x.type() == "torch.DoubleTensor" and cg.tensor([1]).type() == "torch.LongTensor"
    assert x.type(cg.float64) is x and x.type("torch.FloatTensor").dtype == np.float32
    assert x.long().tolist() == [1, -1] and not x.long().requires_grad  # truncated toward 0, as PyTorch
    assert x.to(cg.int32).dtype == np.int32 and x.to(cg.device("cpu")) is x
    y = x.type(cg.float32)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])  # a cast to float keeps the graph
    assert int(cg.tensor([7])) == 7 and [10, 20, 30][cg.tensor(1)] == 20
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][cg.tensor(1.0)]
    with pytest.raises(TypeError, match="&: needs bool or integer tensors"):
        cg.tensor([1.0]) & cg.tensor([True])


# ---- max/min with indices, sort, topk --------------------------------------------------------------------

M = np.array([[1.0, 3.0, 3.0, -2.0], [4.0, 2.0, 0.5, 4.0], [-1.0, -1.0, 5.0, 0.0]])


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_along_a_dim_return_values_and_indices_as_torch(torch, op, dim, keepdim):
    (x,), (t,), out, ref = both(torch, lambda a: getattr(a, op)(dim, keepdim), M)
    values, indices = out  # the PyTorch idiom unpacks the named tuple
    assert type(out).__name__ == op and out.values is values and out.indices is indices
    assert name(indices.dtype) == "int64" and not indices.requires_grad
    np.testing.assert_array_equal(indices.data, ref.indices.numpy())  # ties: the first, as PyTorch on the CPU
    np.testing.assert_array_equal(values.data, ref.values.detach().numpy())
    upstream = np.random.default_rng(1).normal(size=values.shape)
    values.backward(upstream)
    ref.values.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad, t.grad.numpy())  # the gradient goes to the index picked, not shared


def test_max_without_dim_and_of_two_tensors_as_torch(torch):
    for fn in (lambda a: a.max(), lambda a: a.min(), lambda a: a.amax((0, 1)), lambda a: a.amin(dim=0),
               lambda a: a.max(a * 0.5), lambda a: a.amax(1, keepdim=True)):
        (x,), (t,), out, ref = both(torch, fn, M)
        np.testing.assert_array_equal(out.data, ref.detach().numpy())
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_array_equal(x.grad, t.grad.numpy())  # max() and amax share ties evenly, as PyTorch
    x = cg.tensor(M)
    assert cg.max(x).item() == 5.0 and cg.max(x, 1).indices.tolist() == [1, 0, 2]
    assert cg.max(x, cg.zeros(3, 4)).tolist() == np.maximum(M, 0).tolist()


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_argsort_as_torch_stable(torch, dim, descending):
    data = np.array([[2.0, 1.0, 2.0, np.nan], [0.0, 3.0, 0.0, 1.0], [2.0, 2.0, -1.0, 5.0]])
    (x,), (t,), out, ref = both(torch, lambda a: a.sort(dim=dim, descending=descending, stable=True), data)
    np.testing.assert_array_equal(out.indices.data, ref.indices.numpy())  # ties in order, nan largest
    np.testing.assert_array_equal(out.values.data, ref.values.detach().numpy())
    assert x.argsort(dim, descending=descending).tolist() == ref.indices.tolist()
    upstream = np.arange(12.0).reshape(3, 4)
    out.values.backward(upstream)
    ref.values.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k, dim", [(1, 1), (3, 1), (2, 0), (4, -1)])
def test_topk_as_torch(torch, k, dim, largest):
    data = np.random.default_rng(3).permutation(12).astype(float).reshape(3, 4)  # distinct: PyTorch's tie order varies
    (x,), (t,), out, ref = both(torch, lambda a: a.topk(k, dim, largest=largest), data)
    np.testing.assert_array_equal(out.indices.data, ref.indices.numpy())
    np.testing.assert_array_equal(out.values.data, ref.values.detach().numpy())
    assert name(out.indices.dtype) == "int64"
    out.values.sum().backward()
    ref.values.sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    assert gradcheck(lambda a: a.topk(k, dim, largest=largest).values, Tensor(data, requires_grad=True))


def test_order_ops_refuse_bad_arguments():
    x = cg.tensor(M)
    with pytest.raises(TypeError, match=r"max: dim must be an int, got \(0, 1\) \(amax/amin reduce several dims\)"):
        x.max((0, 1))
    with pytest.raises(ValueError, match="topk: selected index k=5 out of range for dim 1 of size 4"):
        x.topk(5, 1)
    with pytest.raises(IndexError, match=r"max: Expected reduction dim 1 to have non-zero size"):
        cg.zeros(2, 0).max(1)


# ---- dims: dim=(), 0-d tensors, out of range, cat/stack ---------------------------------------------------

@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin"])
def test_empty_dim_tuple_reduces_every_dim_as_torch(torch, op):
    (x,), (t,), out, ref = both(torch, lambda a: getattr(a, op)(dim=()), M)
    assert out.shape == tuple(ref.shape) == ()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-14)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize("call", [lambda a: a.sum(0), lambda a: a.mean(-1), lambda a: a.amax(0),
                                  lambda a: a.max(0).values,
                                  lambda a: a.softmax(0), lambda a: a.log_softmax(-1), lambda a: a.logsumexp(0),
                                  lambda a: a.sum(0, keepdim=True), lambda a: a.sort(0).values, lambda a: a.cumsum(0)],
                         ids=["sum", "mean", "amax", "max", "softmax", "log_softmax", "logsumexp", "sum keepdim",
                              "sort", "cumsum"])
def test_a_0d_tensor_takes_dim_0_and_minus_1_as_torch(torch, call):
    (x,), (t,), out, ref = both(torch, call, np.array(1.5))
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-15)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("call", [lambda m, a: a.sum(2), lambda m, a: a.mean(dim=(0, -3)), lambda m, a: a.amax(2),
                                  lambda m, a: a.max(2), lambda m, a: a.argmax(-3), lambda m, a: a.softmax(2),
                                  lambda m, a: a.log_softmax(-3), lambda m, a: a.logsumexp(2), lambda m, a: a.sort(2),
                                  lambda m, a: a.topk(1, 2), lambda m, a: a.any(2), lambda m, a: m.cat([a, a], dim=2),
                                  lambda m, a: m.stack([a, a], dim=3), lambda m, a: a.cumsum(2)],
                         ids=["sum", "mean", "amax", "max", "argmax", "softmax", "log_softmax", "logsumexp", "sort",
                              "topk", "any", "cat", "stack", "cumsum"])
def test_an_out_of_range_dim_is_an_index_error_with_torch_words(torch, call):
    with pytest.raises(IndexError, match="Dimension out of range"):
        call(torch, torch.zeros(2, 3))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-[23], [12]\], "
                                         r"but got -?[2-4]\)"):
        call(cg, cg.zeros(2, 3))
    with pytest.raises(IndexError, match=r"sum: dim 2 is out of range for a tensor of shape \(2, 3\): Dimension out "
                                         r"of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        cg.zeros(2, 3).sum(2)


@pytest.mark.parametrize("fn", ["cat", "stack"])
def test_cat_and_stack_take_dim_and_promote_as_torch(torch, fn):
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6).reshape(2, 3)
    for kwargs in ({"dim": 1}, {"dim": -1}, {}):
        ours = getattr(cg, fn)([cg.tensor(a), cg.tensor(b)], **kwargs)
        ref = getattr(torch, fn)([torch.tensor(a), torch.tensor(b)], **kwargs)
        assert name(ours.dtype) == name(ref.dtype) and ours.shape == tuple(ref.shape)
        np.testing.assert_array_equal(ours.data, ref.numpy())
    assert getattr(cg, fn)([cg.tensor([1, 2]), cg.tensor([3, 4])], axis=0).dtype == np.int64  # numpy's name too
    with pytest.raises(TypeError, match=f"{fn}: give dim= or axis=, not both"):
        getattr(cg, fn)([cg.tensor([1.0])], dim=1, axis=0)
    x = cg.tensor(a, requires_grad=True)
    assert gradcheck(lambda t: getattr(cg, fn)([t, cg.tensor(b)], dim=1), x)


# ---- backward(retain_graph=) ---------------------------------------------------------------------------------

def test_retain_graph_is_accepted_and_a_second_pass_adds_what_torch_adds(torch):
    x, t = cg.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    y, u = (x * x.exp()).sum(), (t * t.exp()).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=False)
    u.backward(retain_graph=True)
    u.backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-15)
    with pytest.raises(TypeError, match="backward: retain_graph must be True, False or None"):
        y.backward(retain_graph="yes")


# ---- nn.functional: batch_norm, scaled_dot_product_attention; nn.init.calculate_gain ----------------------

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 2, 2)], ids=str)
@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_as_torch(torch, shape, training):
    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=shape), rng.normal(size=3), rng.normal(size=3)
    rm, rv = rng.normal(size=3), rng.uniform(0.5, 2, size=3)
    ours_stats, their_stats = [rm.copy(), rv.copy()], [torch.tensor(rm), torch.tensor(rv)]
    xs = [cg.tensor(a, requires_grad=True) for a in (x, w, b)]
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = F.batch_norm(xs[0], *ours_stats, xs[1], xs[2], training, 0.3, 1e-3)
    ref = torch.nn.functional.batch_norm(ts[0], *their_stats, ts[1], ts[2], training, 0.3, 1e-3)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-13)
    for ours, theirs in zip(ours_stats, their_stats):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-14)
    upstream = rng.normal(size=shape)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for ours, theirs in zip(xs, ts):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_functional_batch_norm_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var must be given when training=False"):
        F.batch_norm(cg.zeros(4, 3), None, None)
    with pytest.raises(ValueError, match=r"batch_norm: weight must have shape \(3,\), one entry per channel"):
        F.batch_norm(cg.zeros(4, 3), None, None, cg.ones(2), training=True)
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training"):
        F.batch_norm(cg.zeros(1, 3), None, None, training=True)


def test_scaled_dot_product_attention_takes_torch_arguments(torch):
    rng = np.random.default_rng(5)
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    masks = {"bool": np.tril(np.ones((4, 5), dtype=bool)), "float": rng.normal(size=(4, 5))}
    for kwargs in ({"attn_mask": "bool"}, {"attn_mask": "float"}, {"is_causal": True}, {"scale": 0.3}):
        mine = {key: masks[val] if key == "attn_mask" else val for key, val in kwargs.items()}
        theirs = {key: torch.tensor(val) if key == "attn_mask" else val for key, val in mine.items()}
        a, b, c = (cg.tensor(x, requires_grad=True) for x in (q, k, v))
        ta, tb, tc = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
        out = F.scaled_dot_product_attention(a, b, c, **mine)
        ref = torch.nn.functional.scaled_dot_product_attention(ta, tb, tc, **theirs)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-13)
        out.sum().backward()
        ref.sum().backward()
        for ours, theirs_t in ((a, ta), (b, tb), (c, tc)):
            np.testing.assert_allclose(ours.grad, theirs_t.grad.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.warns(DeprecationWarning, match="mask= is now attn_mask="):
        old = F.scaled_dot_product_attention(cg.tensor(q), cg.tensor(k), cg.tensor(v), mask=masks["bool"])
    new = F.scaled_dot_product_attention(cg.tensor(q), cg.tensor(k), cg.tensor(v), masks["bool"])
    np.testing.assert_array_equal(old.data, new.data)
    with pytest.raises(ValueError, match="dropout_p=0.1 is not supported"):
        F.scaled_dot_product_attention(cg.tensor(q), cg.tensor(k), cg.tensor(v), dropout_p=0.1)


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
    ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)])
def test_calculate_gain_matches_torch_for_every_name(torch, nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


# ---- the torch.* names at the top level -----------------------------------------------------------------

def test_top_level_names_behave_as_torch(torch):
    a, b = np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(3, 2) - 2
    for fn in (lambda m: m.matmul(m.tensor(a), m.tensor(b)), lambda m: m.mm(m.tensor(a), m.tensor(b)),
               lambda m: m.tensor(a).mm(m.tensor(b)), lambda m: m.exp(m.tensor(a)), lambda m: m.log(m.tensor(a) + 1),
               lambda m: m.tanh(m.tensor(a)), lambda m: m.sigmoid(m.tensor(a)), lambda m: m.relu(m.tensor(b)),
               lambda m: m.sum(m.tensor(a), 1), lambda m: m.mean(m.tensor(a)), lambda m: m.max(m.tensor(a), 0).values,
               lambda m: m.argmax(m.tensor(a), dim=1), lambda m: m.cat([m.tensor(a), m.tensor(a)], dim=1),
               lambda m: m.stack([m.tensor(a), m.tensor(a)], dim=0)):
        ours, ref = fn(cg), fn(torch)
        assert name(ours.dtype) == name(ref.dtype)
        np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-15)
    assert (cg.float32, cg.float, cg.float64, cg.double, cg.int64, cg.long, cg.int32, cg.bool) == \
        (np.float32, np.float32, np.float64, np.float64, np.int64, np.int64, np.int32, np.bool_)
    assert [name(d) for d in (cg.float, cg.double, cg.long, cg.int, cg.bool)] == \
        [name(d) for d in (torch.float, torch.double, torch.long, torch.int, torch.bool)]
    assert cg.cuda.is_available() is False and cg.accelerator.is_available() is False
    assert cg.optim.SGD is nn.optim.SGD and cg.optim.lr_scheduler.StepLR is nn.optim.StepLR
    assert str(cg.device("cpu")) == "cpu" and cg.device("cpu") == "cpu"
    with pytest.raises(ValueError, match="there is no device 'cuda'"):
        cg.device("cuda")
    array = np.zeros(3, np.int64)
    shared = cg.from_numpy(array)
    array[0] = 5
    assert shared.tolist() == [5, 0, 0] and shared.dtype == np.int64  # shares memory, as torch.from_numpy
    with pytest.raises(ValueError, match=r"mm: both operands must be matrices \(2-D\), got shapes \(3,\) and \(3, 2\)"):
        cg.tensor([1.0, 2, 3]).mm(cg.tensor(b))
    with cg.no_grad():  # the tutorial's `with torch.no_grad():`
        assert not cg.is_grad_enabled()


def test_losses_and_embedding_take_int64_tensors_and_whole_floats_as_before(torch):
    logits = np.random.default_rng(6).normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    ref_ce = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(labels)).item()
    ref_nll = torch.nn.functional.nll_loss(torch.tensor(logits).log_softmax(1), torch.tensor(labels)).item()
    for target in (cg.tensor(labels), Tensor(labels), labels):  # int64 Tensor, float Tensor, array
        assert nn.CrossEntropyLoss()(cg.tensor(logits), target).item() == pytest.approx(ref_ce, rel=1e-14)
        assert F.nll_loss(cg.tensor(logits).log_softmax(1), target).item() == pytest.approx(ref_nll, rel=1e-14)
    emb = nn.Embedding(5, 2)
    np.testing.assert_array_equal(emb(cg.tensor([[0, 4], [4, 1]])).data, emb.weight.data[[[0, 4], [4, 1]]])
    np.testing.assert_array_equal(emb(Tensor([0, 4])).data, emb.weight.data[[0, 4]])
