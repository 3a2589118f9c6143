"""`Tensor`'s rules: comparisons, dtypes (float32 stays float32), how backward seeds and
accumulates, Value and Tensor kept apart, every bad input with its message, and nan/inf with
and without `detect_anomaly`."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from circuitgrad import autograd
from circuitgrad.autograd import Tensor, Value, cat, detect_anomaly, no_grad, stack, where
from conftest import uniform_leaf as leaf  # noqa: E402

ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
              "/": lambda a, b: a / b, "**": lambda a, b: a ** b}

# ---- comparisons, dtypes, backward rules ------------------------------------------------------------

def test_comparisons_return_bool_tensors_with_no_graph():
    a, b = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([3.0, 2.0, 1.0], requires_grad=True)
    for result, expected in [(a > b, [0, 0, 1]), (a < b, [1, 0, 0]), (a >= 2, [0, 1, 1]), (a <= 2.0, [1, 1, 0]),
                             (a == b, [0, 1, 0]), (a != b, [1, 0, 1]), (a > np.array([0.0, 5.0, 0.0]), [1, 0, 1]),
                             (a.eq(b), [0, 1, 0]), (2 < a, [0, 0, 1])]:
        assert type(result) is Tensor and result.dtype == bool
        assert not result.requires_grad and result.is_leaf
        np.testing.assert_array_equal(result.data, np.array(expected, dtype=bool))
    with pytest.raises(TypeError, match="comparison: Value and Tensor do not mix"):
        a > Value(1.0)


def float32_cases():
    mask = np.array([[True, False, True, False]] * 3)
    return {
        "t+1": lambda t, u: t + 1, "1+t": lambda t, u: 1 + t, "t-1.5": lambda t, u: t - 1.5, "2-t": lambda t, u: 2 - t,
        "t*0.1": lambda t, u: t * 0.1, "3*t": lambda t, u: 3 * t, "t/3": lambda t, u: t / 3, "1/t": lambda t, u: 1 / t,
        "t**2": lambda t, u: t ** 2, "t**0.5": lambda t, u: t ** 0.5, "2**t": lambda t, u: 2 ** t, "-t": lambda t, u: -t,
        "t+u": lambda t, u: t + u, "t*u": lambda t, u: t * u, "t/u": lambda t, u: t / u, "t**u": lambda t, u: t ** u,
        "t@u": lambda t, u: t @ u, "u@t.T": lambda t, u: u @ t.T,
        "exp": lambda t, u: t.exp(), "log": lambda t, u: t.log(), "sqrt": lambda t, u: t.sqrt(),
        "abs": lambda t, u: t.abs(), "tanh": lambda t, u: t.tanh(), "sigmoid": lambda t, u: t.sigmoid(),
        "relu": lambda t, u: (t - 1).relu(), "leaky_relu": lambda t, u: (t - 1).leaky_relu(0.2),
        "selu": lambda t, u: (t - 1).selu(), "step": lambda t, u: (t - 1).step(), "clip": lambda t, u: t.clip(0.7, 1.5),
        "sum": lambda t, u: t.sum(0), "mean": lambda t, u: t.mean(), "max": lambda t, u: t.max(1).values,
        "amax": lambda t, u: t.amax(1),
        "min": lambda t, u: t.min(), "var": lambda t, u: t.var(0), "std": lambda t, u: t.std(),
        "softmax": lambda t, u: t.softmax(), "log_softmax": lambda t, u: t.log_softmax(0),
        "reshape": lambda t, u: t.reshape(4, 3), "transpose": lambda t, u: t.transpose(), "T": lambda t, u: t.T,
        "flatten": lambda t, u: t.flatten(), "unsqueeze": lambda t, u: t.unsqueeze(1).squeeze(),
        "index": lambda t, u: t[1:, 2], "fancy index": lambda t, u: t[[0, 0, 2]],
        "cat": lambda t, u: cat([t, t]), "stack": lambda t, u: stack([u, u], 1),
        "where(mask, t, 0.0)": lambda t, u: where(mask, t, 0.0), "where(mask, 1, u)": lambda t, u: where(mask, 1, u),
        "astype": lambda t, u: t.astype(np.float32),
    }


@pytest.mark.parametrize("name", list(float32_cases()))
def test_float32_stays_float32_and_grads_are_float32_of_the_data_shape(rng, name):
    fn = float32_cases()[name]
    t = Tensor(rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32), requires_grad=True)
    u = Tensor(rng.uniform(0.5, 2.0, (4,)).astype(np.float32), requires_grad=True)
    out = fn(t, u)
    assert out.dtype == np.float32, f"{name} gave {out.dtype}"
    out.backward(np.ones(out.shape, np.float32))
    for x in (t, u):
        if x.grad is not None:
            assert x.grad.dtype == np.float32, f"{name}: grad is {x.grad.dtype}"
            assert x.grad.shape == x.shape


def test_casting_to_float64_and_back_is_differentiable(rng):
    t = Tensor(rng.normal(size=(2, 2)).astype(np.float32), requires_grad=True)
    y = t.astype(np.float64)
    assert y.dtype == np.float64
    (y * 2).sum().backward()
    assert t.grad.dtype == np.float32 and (t.grad == 2).all()


def test_grads_have_the_exact_shape_of_data_for_0d_and_broadcast_operands(rng):
    s, v, m = leaf(rng, ()), leaf(rng, (1, 4)), leaf(rng, (3, 1))
    (s * v + m).sum().backward()
    assert (s.grad.shape, v.grad.shape, m.grad.shape) == ((), (1, 4), (3, 1))
    assert s.grad == pytest.approx(v.data.sum() * 3)


def test_backward_seed_rules():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    (x * 3).sum().backward()  # 0-d output: seed 1
    np.testing.assert_array_equal(x.grad, [[3.0, 3.0]])
    x.zero_grad()
    assert x.grad is None
    (x * 3)[:, :1].backward()  # a (1, 1) output also has one element: seed 1
    np.testing.assert_array_equal(x.grad, [[3.0, 0.0]])
    x.zero_grad()
    (x * 3).backward([[1.0, -1.0]])  # a larger output needs grad= of its shape; a list works
    np.testing.assert_array_equal(x.grad, [[3.0, -3.0]])
    x.zero_grad()
    (x * 3).backward(Tensor([[2.0, 0.0]]))  # ... and so does a Tensor
    np.testing.assert_array_equal(x.grad, [[6.0, 0.0]])


def test_backward_without_grad_on_a_larger_output_is_a_value_error():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"backward: output has shape \(3,\); pass grad= an array of that shape"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"backward: grad has shape \(2,\) but the output has shape \(3,\)"):
        (x * 2).backward(np.ones(2))


def test_backward_with_no_requires_grad_leaf_says_so():
    x = Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="backward: this tensor does not require grad .* requires_grad=True"):
        (x * 2).sum().backward()
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = (w * 2).sum()
    assert not y.requires_grad and y.parents == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_constants_and_detached_tensors_get_no_gradient():
    w = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    d = (w * 5).detach()
    assert not d.requires_grad and d.parents == () and np.array_equal(d.data, [5.0, 10.0])
    (w * c + d * w).sum().backward()
    assert c.grad is None and d.grad is None
    np.testing.assert_array_equal(w.grad, [8.0, 14.0])


def test_requires_grad_switch_on_leaves_only():
    w = Tensor([1.0, 2.0])
    assert w.requires_grad_() is w and w.requires_grad
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    w.requires_grad_(False)
    assert not (w * 2).requires_grad
    with pytest.raises(ValueError, match=r"requires_grad_: only leaves can change requires_grad; .* '\*'"):
        (Tensor([1.0], requires_grad=True) * 2).requires_grad_(False)


def test_leaf_gradients_are_writable_and_not_shared(rng):
    # each leaf owns its .grad, as in PyTorch: editing one in place must not change another (or the seed)
    a, b, c = leaf(rng, (2, 3), label="a"), leaf(rng, (2, 3), label="b"), leaf(rng, (2, 3), label="c")
    seed = np.ones((2, 3))
    (a + b).backward(seed)
    c.sum().backward()
    a.grad *= 0.5
    c.grad[0, 0] = 7.0
    np.testing.assert_array_equal(b.grad, np.ones((2, 3)))
    np.testing.assert_array_equal(seed, np.ones((2, 3)))
    assert a.grad[0, 0] == 0.5 and c.grad[0, 0] == 7.0


def test_tensor_gradients_accumulate_until_zero_grad(rng):
    x = leaf(rng, (3,))
    for _ in range(2):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 4 * x.data, rtol=1e-15)
    x.zero_grad()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data, rtol=1e-15)


# ---- Value and Tensor do not mix --------------------------------------------------------------------------

@pytest.mark.parametrize("make, pattern", [
    (lambda t, v: t + v, r"\+: cannot combine a Tensor with a Value; Value and Tensor do not mix"),
    (lambda t, v: v + t, r"\+: cannot combine a Value with a Tensor; Value and Tensor do not mix"),
    (lambda t, v: v * t, r"\*: cannot combine a Value with a Tensor"),
    (lambda t, v: t ** v, r"\*\*: cannot combine a Tensor with a Value"),
    (lambda t, v: v / t, r"/: cannot combine a Value with a Tensor"),
    (lambda t, v: t @ v, r"@: cannot combine a Tensor with a Value"),
    (lambda t, v: v @ t, r"@: matrix multiplication needs Tensors, got Value @ Tensor"),
    (lambda t, v: Tensor(v), r"Tensor: cannot make a Tensor from a Value"),
    (lambda t, v: cat([t, v]), r"cat: Value and Tensor do not mix"),
    (lambda t, v: stack([v, t]), r"stack: Value and Tensor do not mix"),
    (lambda t, v: where(t > 0, t, v), r"where: .*Value and Tensor do not mix"),
])
def test_value_and_tensor_do_not_mix(make, pattern):
    with pytest.raises(TypeError, match=pattern):
        make(Tensor([1.0, 2.0], requires_grad=True), Value(1.0))


# ---- bad input ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sa, sb", [((3, 4), (5, 2)), ((4,), (3,)), ((2, 3), (4,)), ((2, 3, 4), (3, 4, 5))])
def test_matmul_of_misaligned_shapes_names_both(sa, sb):
    pattern = rf"@: cannot apply to shapes {sa} and {sb}".replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=pattern):
        Tensor(np.ones(sa)) @ Tensor(np.ones(sb))


def test_matmul_with_a_0d_operand_says_to_use_star():
    with pytest.raises(ValueError, match=r"matmul: operands must have at least 1 dimension.*use \* for a scalar"):
        Tensor(np.ones(3)) @ Tensor(2.0)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_operands_that_do_not_broadcast_name_op_and_shapes(op):
    with pytest.raises(ValueError, match="^" + re.escape(f"{op}: cannot apply to shapes (2, 3) and (4,)")):
        ARITHMETIC[op](Tensor(np.ones((2, 3))), Tensor(np.ones(4)))


@pytest.mark.parametrize("make, error, pattern", [
    (lambda t: t.reshape(4, 2), ValueError, r"reshape: cannot reshape \(2, 3\) \(6 entries\) into \(4, 2\)"),
    (lambda t: t.reshape(-1, 4), ValueError, r"reshape: cannot reshape \(2, 3\) \(6 entries\) into \(-1, 4\)"),
    (lambda t: t.reshape(-1, -1), ValueError, r"reshape: cannot reshape"),
    (lambda t: t.reshape(2.0, 3), TypeError, r"reshape: sizes must be ints"),
    (lambda t: t.permute(0, 0), ValueError, r"permute: \(0, 0\) is not a permutation"),
    (lambda t: t.transpose(1), ValueError, r"transpose: \(1,\) does not name each of the 2 dims of shape \(2, 3\)"),
    (lambda t: t.transpose(0, 2), IndexError, r"transpose: dim 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda t: t.unsqueeze(3), IndexError, r"unsqueeze: dim 3 is out of range for a tensor of shape \(2, 3\)"),
    (lambda t: t.sum(axis=2), IndexError, r"sum: dim 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda t: t.sum(dim=-3), IndexError, r"sum: dim -3 is out of range for a tensor of shape \(2, 3\)"),
    (lambda t: t.sum(1, axis=1), TypeError, r"sum: give dim= or axis=, not both"),
    (lambda t: t.mean(axis=(0, 0)), ValueError, r"mean: repeated dim"),
    (lambda t: t.max(axis=1.0), TypeError, r"max: dim must be an int"),
    (lambda t: t.amax(axis=1.0), TypeError, r"amax: dim must be an int or a tuple of ints"),
    (lambda t: t.max((0, 1)), TypeError, r"max: dim must be an int, got \(0, 1\) \(amax/amin reduce several dims\)"),
    (lambda t: t.var(axis=0, ddof=2), ValueError, r"var: correction=2 leaves no degrees of freedom for shape \(2, 3\)"),
    (lambda t: t.var(0, correction=1, ddof=1), TypeError, r"give one of correction=, unbiased= and ddof="),
    (lambda t: t.softmax(axis=2), IndexError, r"softmax: dim 2 is out of range"),
    (lambda t: t.log_softmax(dim=None), TypeError, r"log_softmax: dim must be an int"),
    (lambda t: t.size(2), IndexError, r"size: dim 2 is out of range"),
    (lambda t: t[2], IndexError, r"\[\]: index 2 does not fit a tensor of shape \(2, 3\)"),
    (lambda t: t[:, [0, 5]], IndexError, r"\[\]: index .* does not fit a tensor of shape \(2, 3\)"),
    (lambda t: t.clip(), ValueError, r"clip: give low, high or both"),
    (lambda t: t.clip(2, 1), ValueError, r"clip: low 2 is above high 1"),
    (lambda t: t.astype(np.complex128), TypeError, r"astype: dtype must be a float, integer or bool type, got complex"),
    (lambda t: t.item(), ValueError, r"item: only a one-element tensor has an item, this one has shape \(2, 3\)"),
    (lambda t: bool(t), ValueError, r"bool: the truth value of a tensor of shape \(2, 3\) is ambiguous"),
    (lambda t: len(Tensor(1.0)), TypeError, r"len: a 0-d tensor has no length"),
    (lambda t: cat([]), ValueError, r"cat: needs at least one tensor"),
    (lambda t: cat([t, Tensor(np.ones((3, 3)))], axis=1), ValueError,
     r"cat: cannot join shapes \[\(2, 3\), \(3, 3\)\] along dim 1"),
    (lambda t: stack([t, Tensor(np.ones(3))]), ValueError, r"stack: cannot stack shapes \[\(2, 3\), \(3,\)\]"),
    (lambda t: stack([]), ValueError, r"stack: needs at least one tensor"),
    (lambda t: where(np.ones((2, 3)), t, 0.0), TypeError, r"where: condition must be boolean, got dtype float64"),
    (lambda t: where(np.ones(4, bool), t, 0.0), ValueError, r"where: shapes \(4,\), \(2, 3\) and \(\) do not broadcast"),
    (lambda t: t + "a", TypeError, r"\+: data must be real numbers, got dtype <U1 from str"),
])
def test_bad_shape_and_argument_errors_name_op_and_sizes(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make(Tensor(np.ones((2, 3)), requires_grad=True))


@pytest.mark.parametrize("data, pattern", [
    ("abc", r"Tensor: data must be real numbers, got dtype <U3 from str"),
    (["1", "2"], r"Tensor: data must be real numbers, got dtype <U1 from list"),
    (object(), r"Tensor: data must be real numbers, got dtype object from object"),
    (None, r"Tensor: data must be real numbers, got dtype object from NoneType"),
    ([[1, 2], [3]], r"Tensor: data must be numbers or a regular \(not ragged\) nested list of numbers"),
    ([1 + 2j], r"Tensor: data must be real numbers, got dtype complex128 from list"),
])
def test_non_numeric_data_is_a_type_error(data, pattern):
    with pytest.raises(TypeError, match=pattern):
        Tensor(data)


def test_bad_constructor_arguments():
    with pytest.raises(TypeError, match=r"Tensor: requires_grad must be True or False, got 1"):
        Tensor([1.0], requires_grad=1)


# ---- nan and inf: allowed by default, caught by detect_anomaly ----------------------------------------------

def test_nan_and_inf_are_allowed_without_detect_anomaly():
    x = Tensor([0.0, -1.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own warnings, as numpy gives them
        y = x.log()
        z = x / 0.0
        (y + z).backward(np.ones(3))
    assert y.data[0] == -np.inf and np.isnan(y.data[1]) and y.data[2] == 0.0
    np.testing.assert_array_equal(z.data, [np.nan, -np.inf, np.inf])
    np.testing.assert_array_equal(x.grad, [np.inf, np.inf, np.inf])  # 1/x + 1/0 in each entry


@pytest.mark.parametrize("make, op, bad", [
    (lambda x: x.log() * 0 + 1, "log", "inf"),    # the first bad op is named, not the * 0 after it
    (lambda x: (x - 2).sqrt().exp(), "sqrt", "nan"),
    (lambda x: x / (x - 1), "/", "inf"),
    (lambda x: (x * 800).exp(), "exp", "inf"),
    (lambda x: x ** -1 - 1, "**", "inf"),
    (lambda x: (x * 2 - 2).log(), "log", "nan"),
    (lambda x: cat([x, x.log() - 1]).sum(), "log", "inf"),
    (lambda x: where(x > 5, x, x.log()), "log", "inf"),
])
def test_detect_anomaly_raises_at_the_first_op_making_nan_or_inf(make, op, bad):
    x = Tensor([1.0, 0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with detect_anomaly():
            with pytest.raises(FloatingPointError, match=re.escape(f"detect_anomaly: {op} produced {bad}")):
                make(x)
        make(x)  # outside the block the same expression is allowed


def test_detect_anomaly_passes_finite_results_and_is_restored_after_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly():
        (x.log() * x).sum().backward()
    with pytest.raises(FloatingPointError), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with detect_anomaly():
            Tensor([0.0]).log()
    assert not autograd.mode.grad_mode.anomaly
