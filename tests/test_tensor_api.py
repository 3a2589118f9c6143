"""PyTorch's Tensor surface without PyTorch: every new op against finite differences (first and,
through `grad(create_graph=True)`, second derivatives), float32 kept, 0-d results as 0-d arrays,
factories, conversions, and a clear error for each bad input."""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad as cg
import circuitgrad.nn.functional as F
from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value, gradcheck, grad, maximum, minimum, ops

# name: (function of one Tensor, low, high); inputs stay away from kinks and jumps.
OPS = {
    "sin": (lambda t: t.sin(), -3, 3), "cos": (lambda t: t.cos(), -3, 3), "erf": (lambda t: t.erf(), -2, 2),
    "log2": (lambda t: t.log2(), 0.2, 3), "log10": (lambda t: t.log10(), 0.2, 3),
    "log1p": (lambda t: t.log1p(), -0.5, 3), "expm1": (lambda t: t.expm1(), -2, 2),
    "exp2": (lambda t: t.exp2(), -2, 2), "square": (lambda t: t.square(), -2, 2),
    "rsqrt": (lambda t: t.rsqrt(), 0.2, 3), "reciprocal": (lambda t: t.reciprocal(), 0.3, 2),
    "sign": (lambda t: t.sign(), -3, 3), "floor": (lambda t: t.floor(), 0.1, 0.9),
    "ceil": (lambda t: t.ceil(), 0.1, 0.9), "round": (lambda t: t.round(), 0.1, 0.4),
    "clamp": (lambda t: t.clamp(min=-0.5), -2, 2), "clone": (lambda t: t.clone(), -2, 2),
    "gelu": (lambda t: t.gelu(), -4, 4), "gelu tanh": (lambda t: t.gelu(approximate="tanh"), -4, 4),
    "elu": (lambda t: t.elu(0.5), 0.1, 2), "elu below": (lambda t: t.elu(0.5), -3, -0.1),
    "celu": (lambda t: t.celu(2.0), -3, -0.1), "silu": (lambda t: t.silu(), -5, 5),
    "mish": (lambda t: t.mish(), -5, 5), "softplus": (lambda t: t.softplus(beta=0.5), -5, 5),
    "softsign": (lambda t: t.softsign(), -4, 4), "relu6": (lambda t: t.relu6(), 0.1, 5.9),
    "hardtanh": (lambda t: t.hardtanh(), -0.9, 0.9), "hardswish": (lambda t: t.hardswish(), -2.9, 2.9),
    "hardsigmoid": (lambda t: t.hardsigmoid(), -2.9, 2.9),
    "maximum": (lambda t: t.maximum(t[0] * 0.5), -2, 2), "minimum": (lambda t: minimum(t, 0.3), -2, 2),
    "cumsum": (lambda t: t.cumsum(0), -2, 2), "flip": (lambda t: t.flip(1), -2, 2),
    "tril": (lambda t: t.tril(), -2, 2), "triu": (lambda t: t.triu(-1), -2, 2),
    "repeat": (lambda t: t.repeat(1, 2, 2), -2, 2), "pad": (lambda t: t.pad((2, 1, 0, 1), value=3.0), -2, 2),
}


@pytest.mark.parametrize("name", list(OPS))
def test_gradient_matches_finite_differences(rng, name):
    fn, low, high = OPS[name]
    x = Tensor(rng.uniform(low, high, (3, 4)), requires_grad=True)
    assert gradcheck(fn, x)


@pytest.mark.parametrize("name", list(OPS))
def test_second_derivative_matches_finite_differences_of_the_first(rng, name):
    """The backward pass recorded with create_graph=True is differentiated again: its gradient is the
    finite-difference slope of the first derivative (of f(x)^2, so the linear ops have one too)."""
    fn, low, high = OPS[name]
    a = rng.uniform(low, high, (2, 3))
    v = rng.uniform(0.5, 1.5, a.shape)

    def first(b):  # v . d(sum f(x)^2)/dx, a number
        x = Tensor(b, requires_grad=True)
        return float((grad((fn(x) * fn(x)).sum(), x)[0] * v).sum())

    x = Tensor(a.copy(), requires_grad=True)
    (g,) = grad((fn(x) * fn(x)).sum(), x, create_graph=True)
    (h,) = grad((g * v).sum(), x)
    numeric = np.zeros(a.shape)
    for i in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric[i] = (first(up) - first(down)) / 2e-6
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(OPS))
def test_float32_stays_float32(rng, name):
    fn, low, high = OPS[name]
    x = Tensor(rng.uniform(low, high, (3, 4)), requires_grad=True, dtype=np.float32)
    out = fn(x)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, np.float32))
    assert x.grad.dtype == np.float32


ZERO_D = dict({k: v[0] for k, v in OPS.items() if k not in ("tril", "triu", "repeat", "pad", "maximum", "flip")}, **{
    "+": lambda t: t + 1, "*": lambda t: t * t, "/": lambda t: 1 / t, "**": lambda t: t ** 2, "2**": lambda t: 2 ** t,
    "-": lambda t: -t, "exp": lambda t: t.exp(), "log": lambda t: t.log(), "sqrt": lambda t: t.sqrt(),
    "abs": lambda t: abs(t), "tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(),
    "relu": lambda t: t.relu(), "leaky_relu": lambda t: t.leaky_relu(), "selu": lambda t: t.selu(),
    "step": lambda t: t.step(), "astype": lambda t: t.astype(np.float32), "sum": lambda t: t.sum(),
    "mean": lambda t: t.mean(), "max": lambda t: t.max(), "reshape": lambda t: t.reshape(()),
    "[]": lambda t: t[()], "maximum 0-d": lambda t: t.maximum(Tensor(np.array(0.5))), "T": lambda t: t.T,
    "repeat 0-d": lambda t: t.repeat(()), "cumsum -1": lambda t: t.cumsum(-1), "flip 0-d": lambda t: t.flip(0),
    "@": lambda t: (t.reshape(1) @ t.reshape(1)),
})


@pytest.mark.parametrize("name", list(ZERO_D))
def test_zero_d_results_and_gradients_are_writable_zero_d_arrays(name):
    x = Tensor(np.array(0.7), requires_grad=True)
    y = ZERO_D[name](x)
    assert type(y.data) is np.ndarray and y.shape == ()
    y.backward()
    assert type(x.grad) is Tensor and type(x.grad.data) is np.ndarray and x.grad.shape == ()
    y.data[...] = 1.0  # what a numpy scalar would refuse
    ZERO_D[name](x).backward()  # a second pass adds to the first
    assert type(x.grad) is Tensor and type(x.grad.data) is np.ndarray and x.grad.shape == ()
    x.grad[...] = 0.0


def test_issue_example_pow_of_a_0d_tensor_is_an_array():
    y = Tensor(np.array(2.0), requires_grad=True) ** 2
    assert isinstance(y.data, np.ndarray)
    y.data[...] = 1
    assert y.item() == 1.0


# ---- worked examples --------------------------------------------------------------------------------

def test_cumsum_backward_is_the_reversed_running_sum():
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x.cumsum(0)
    assert y.tolist() == [1.0, 3.0, 6.0, 10.0]
    y.backward(np.array([1.0, 10.0, 100.0, 1000.0]))
    assert x.grad.tolist() == [1111.0, 1110.0, 1100.0, 1000.0]


def test_maximum_tie_splits_the_gradient():
    a, b = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([1.0, 5.0, 0.0], requires_grad=True)
    maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0] and b.grad.tolist() == [0.5, 1.0, 0.0]


def test_repeat_is_tile_and_its_gradient_counts_the_copies():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    y = x.repeat(3, 2)
    assert y.shape == (3, 4) and y.tolist()[0] == [1.0, 2.0, 1.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [[6.0, 6.0]]


def test_pad_order_is_last_dim_first_and_cuts_the_gradient():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = F.pad(x, (1, 2, 3, 0), value=7.0)
    assert y.shape == (5, 6) and y.data[0, 0] == 7.0 and y.data[3:, 1:4].tolist() == [[1.0] * 3] * 2
    (y * Tensor(np.arange(30.0).reshape(5, 6))).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(30.0).reshape(5, 6)[3:, 1:4])


def test_relu6_gate_reads_relu6_in_a_diagram():
    assert Tensor([1.0], requires_grad=True).relu6().op == "relu6"
    assert Tensor([1.0], requires_grad=True).hardtanh().op == "hardtanh"


def test_every_new_op_is_in_the_op_table_with_a_derivative():
    table = ops.all_ops()
    for name in ("Sin", "Cos", "Erf", "Log2", "Log10", "Log1p", "Expm1", "Exp2", "Square", "Rsqrt", "Reciprocal",
                 "Sign", "Floor", "Ceil", "Round", "Maximum", "Minimum", "Cumsum", "Clone", "Flip", "Tril", "Triu",
                 "Repeat", "Pad", "GELU", "ELU", "CELU", "SiLU", "Mish", "Softplus", "Softsign", "Hardtanh",
                 "Hardsigmoid", "Hardswish"):
        op = getattr(ops, name)
        assert op in table and op.derivative and "\n" not in op.derivative and op.differentiable_backward


# ---- argmax, conversions -------------------------------------------------------------------------------

def test_argmax_returns_int64_indices_that_index_a_tensor():
    x = Tensor([[0.1, 0.9, 0.3], [0.8, 0.2, 0.8]])
    idx = x.argmax(dim=1)
    assert idx.dtype == np.int64 and idx.tolist() == [1, 0]
    assert x.argmin().item() == 0 and x.argmax(1, keepdim=True).shape == (2, 1)
    assert int(x.argmax()) == 1 and x.argmax().shape == ()
    assert x[np.arange(2), idx].tolist() == [0.9, 0.8]


def test_conversions():
    x = Tensor([[1.5, -2.0]], requires_grad=True)
    assert x.tolist() == [[1.5, -2.0]] and Tensor(3.0).tolist() == 3.0
    assert float(x[0, 0]) == 1.5 and int(Tensor([-2.7])) == -2 and float(Tensor([[4.0]])) == 4.0
    assert x.float().dtype == np.float32 and x.float().double().dtype == np.float64 and x.half().dtype == np.float16
    assert x.to(np.float32).dtype == x.to("float32").dtype == x.to(dtype=np.float32).dtype == np.float32
    assert x.to("cpu") is x and x.to(np.float64) is x and x.to(x.float()).dtype == np.float32
    (x.float() * 2).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [[2.0, 2.0]]


def test_pytorch_attribute_spellings():
    x = Tensor([[1.0, float("nan")]], requires_grad=True)
    assert x.device == "cpu" and x.cpu() is x and x.grad_fn is None and x.retain_grad() is None
    assert (x * 2).grad_fn is ops.Mul and x.isnan().tolist() == [[False, True]]
    assert x.eq(1.0).tolist() == [[True, False]] and x.gt(0).tolist() == [[True, False]]


def test_logsumexp_is_finite_where_the_naive_form_overflows():
    x = Tensor([1000.0, 1000.0], requires_grad=True)
    y = x.logsumexp(0)
    assert abs(y.item() - (1000.0 + np.log(2.0))) < 1e-9
    y.backward()
    assert x.grad.tolist() == [0.5, 0.5]


def test_clone_copies_the_data_and_keeps_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    y.data[0] = 9.0
    assert x.data[0] == 1.0 and y.op == "clone"
    (y * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert x.detach().requires_grad is False


# ---- factories ----------------------------------------------------------------------------------------

def test_factories_take_pytorch_arguments():
    assert cg.zeros(2, 3).shape == cg.zeros((2, 3)).shape == cg.zeros([2, 3]).shape == (2, 3)
    assert cg.ones(3, dtype=np.float32).dtype == np.float32 and cg.ones(3, dtype="float16").dtype == np.float16
    w = cg.randn(3, 2, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == np.float64
    assert cg.full((2,), 2.5).tolist() == [2.5, 2.5] and cg.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert cg.arange(3).tolist() == [0.0, 1.0, 2.0] and cg.linspace(0, 1, 3).tolist() == [0.0, 0.5, 1.0]
    x = cg.tensor([[1, 2]], dtype=np.float32, requires_grad=True)
    assert x.dtype == np.float32 and x.requires_grad
    z = cg.zeros_like(x)
    assert z.dtype == np.float32 and z.shape == (1, 2) and not z.requires_grad
    assert cg.full_like(x, 3).tolist() == [[3.0, 3.0]] and cg.rand_like(x).dtype == np.float32
    assert cg.randn_like(x, dtype=np.float64).dtype == np.float64 and cg.ones_like(x).tolist() == [[1.0, 1.0]]


def test_tensor_copies_its_data():
    a = np.zeros(2)
    t = cg.tensor(a)
    a[0] = 5.0
    assert t.data[0] == 0.0 and cg.tensor(t).data is not t.data


def test_random_factories_use_numpys_global_rng_or_a_generator():
    np.random.seed(3)
    a = cg.rand(4)
    np.random.seed(3)
    assert np.array_equal(a.data, cg.rand(4).data)
    assert np.array_equal(cg.randn(3, generator=7).data, cg.randn(3, generator=np.random.default_rng(7)).data)
    u = cg.rand(1000, generator=0).data
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.05
    n = cg.randn(1000, generator=0).data
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1.0) < 0.1


def test_activation_layers_in_a_network(rng):
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 4), nn.Mish(), nn.Linear(4, 1), nn.Hardsigmoid())
    x = Tensor(rng.normal(size=(5, 3)))
    out = model(x)
    assert out.shape == (5, 1) and ((0 <= out.data) & (out.data <= 1)).all()
    out.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


# ---- bad input -------------------------------------------------------------------------------------

T = Tensor(np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: T.cumsum(2), IndexError, r"cumsum: dim 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda: T.cumsum("0"), TypeError, r"cumsum: dim must be an int"),
    (lambda: T.flip(), TypeError, r"flip: give the dims"),
    (lambda: T.flip(-3), IndexError, r"flip: dim -3 is out of range"),
    (lambda: T.flip(0, -2), ValueError, r"flip: dim repeated in \(0, -2\)"),
    (lambda: T[0].tril(), ValueError, r"tril: needs a tensor of at least 2 dims \(a matrix\), got shape \(3,\)"),
    (lambda: T.triu(0.5), TypeError, r"triu: diagonal must be an int, got float 0.5"),
    (lambda: T.repeat(2), ValueError, r"repeat: give at least one count per dim \(2 for shape \(2, 3\)\)"),
    (lambda: T.repeat(2, -1), ValueError, r"repeat: counts must be >= 0"),
    (lambda: T.repeat(2, 1.5), TypeError, r"repeat: sizes must be ints"),
    (lambda: T.pad((1,)), ValueError, r"pad: pad must hold an even number of sizes"),
    (lambda: T.pad((1,) * 6), ValueError, r"at most 4 for shape \(2, 3\); got 6"),
    (lambda: T.pad((1, -1)), ValueError, r"pad: negative padding \(cropping\) is not supported"),
    (lambda: T.pad(2), TypeError, r"pad: pad must be a tuple of ints"),
    (lambda: T.pad((1, 1), value="0"), TypeError, r"pad: value must be a number"),
    (lambda: F.pad(T, (1, 1), mode="reflect"), ValueError, r"pad: only mode='constant'"),
    (lambda: T.maximum(Tensor(np.ones(4))), ValueError, r"maximum: cannot apply to shapes \(2, 3\) and \(4,\)"),
    (lambda: T.minimum("a"), TypeError, r"minimum: data must be real numbers"),
    (lambda: maximum(T, Value(1.0)), TypeError, r"maximum: cannot combine a Tensor with a Value"),
    (lambda: T.gelu(approximate="fast"), ValueError, r"gelu: approximate must be 'none' or 'tanh', got 'fast'"),
    (lambda: T.elu("1"), TypeError, r"elu: alpha must be a number, got str"),
    (lambda: T.celu(0), ValueError, r"celu: alpha must not be 0"),
    (lambda: T.softplus(beta=0), ValueError, r"softplus: beta must not be 0"),
    (lambda: T.softplus(threshold=None), TypeError, r"softplus: threshold must be a number"),
    (lambda: T.hardtanh(2, 1), ValueError, r"hardtanh: min_val 2 is above max_val 1"),
    (lambda: T.round(1.5), TypeError, r"round: decimals must be an int"),
    (lambda: T.clamp(), ValueError, r"clamp: give min, max or both"),
    (lambda: T.clamp(min="a"), TypeError, r"clamp: min must be a number"),
    (lambda: T.clamp(2, 1), ValueError, r"clamp: min 2 is above max 1"),
    (lambda: T.argmax(2), IndexError, r"argmax: dim 2 is out of range"),
    (lambda: Tensor(np.ones(0)).argmin(), ValueError, r"argmin: the tensor of shape \(0,\) is empty"),
    (lambda: T.to("complex64"), TypeError, r"to: dtype must be a float, integer or bool type, got complex64"),
    (lambda: T.to("cuda"), ValueError, r"to: circuitgrad computes on the CPU only; there is no device 'cuda'"),
    (lambda: T.to("banana"), TypeError, r"to: 'banana' is not a dtype"),
    (lambda: T.to(np.float32, dtype=np.float16), TypeError, r"to: give the dtype once"),
    (lambda: T.astype(np.complex64), TypeError, r"astype: dtype must be a float, integer or bool type"),
    (lambda: float(T), ValueError, r"float: only a one-element tensor converts to a number, this one has shape \(2, 3"),
    (lambda: int(T), ValueError, r"int: only a one-element tensor"),
    (lambda: T.select(1, 3), IndexError, r"select: index 3 is out of range for dim 1 of size 3"),
    (lambda: T.select(1, 0.5), TypeError, r"select: index must be an int"),
    (lambda: T.narrow(1, 2, 2), ValueError, r"narrow: start 2 \+ length 2 exceeds dim 1 of size 3"),
    (lambda: T.split([1, 1], 1), ValueError, r"split: sizes \(1, 1\) add up to 2, not to the size 3 of dim 1"),
    (lambda: T.split(0), ValueError, r"split: split_size must be > 0"),
    (lambda: T.chunk(0), ValueError, r"chunk: chunks must be > 0"),
    (lambda: T.unbind(2), IndexError, r"unbind: dim 2 is out of range"),
    (lambda: T.masked_fill(T.data, 0.0), TypeError, r"masked_fill: mask must be boolean"),
    (lambda: T.masked_fill(np.ones(4, bool), 0.0), ValueError, r"masked_fill: mask of shape \(4,\) does not broadcast"),
    (lambda: T.masked_fill(T > 1, "x"), TypeError, r"masked_fill: value must be a number"),
    (lambda: T.reshape(1, 2, 3).t(), ValueError, r"t: expects a tensor of at most 2 dims"),
    (lambda: T.add(1, alpha="2"), TypeError, r"add: alpha must be a number"),
    (lambda: T.logsumexp(2), IndexError, r"logsumexp: dim 2 is out of range"),
    (lambda: cg.zeros(2, 1.5), TypeError, r"zeros: sizes must be ints, got float 1.5"),
    (lambda: cg.ones(-1), ValueError, r"ones: sizes must be >= 0, got \(-1,\)"),
    (lambda: cg.rand(2, dtype=np.int64), TypeError, r"rand: dtype must be a float dtype .* got int64"),
    (lambda: cg.zeros(2, dtype="floaty"), TypeError, r"zeros: 'floaty' is not a dtype"),
    (lambda: cg.ones(2, requires_grad="yes"), TypeError, r"ones: requires_grad must be True or False"),
    (lambda: cg.full((2,), "a"), TypeError, r"full: fill_value must be a number, got str"),
    (lambda: cg.eye(2.0), TypeError, r"eye: sizes must be ints"),
    (lambda: cg.arange(0, 1, 0), ValueError, r"arange: step must not be 0"),
    (lambda: cg.arange(1, 0), ValueError, r"arange: end 0 cannot be reached from start 1 with step 1"),
    (lambda: cg.linspace(0, 1, -1), ValueError, r"linspace: sizes must be >= 0"),
    (lambda: cg.rand(2, generator="x"), TypeError, r"rand: generator must be a np.random.Generator or an int seed"),
    (lambda: cg.zeros_like(np.ones(2)), TypeError, r"zeros_like: input must be a Tensor, got ndarray"),
    (lambda: cg.tensor(Value(1.0)), TypeError, r"tensor: cannot make a Tensor from a Value"),
    (lambda: cg.tensor([[1], [2, 3]]), TypeError, r"tensor: data must be numbers or a regular"),
    (lambda: cg.autograd.gelu(1.0), TypeError, r"gelu: expected a Value or a Tensor, got float"),
    (lambda: cg.autograd.gelu(Value(1.0)), TypeError, r"gelu: works on a Tensor, not on a Value"),
    (lambda: nn.GELU("fast"), ValueError, r"GELU: approximate must be 'none' or 'tanh'"),
    (lambda: nn.ELU("a"), TypeError, r"ELU: alpha must be a number"),
    (lambda: nn.CELU(0), ValueError, r"CELU: alpha must not be 0"),
    (lambda: nn.Softplus(beta=0), ValueError, r"Softplus: beta must not be 0"),
    (lambda: nn.Hardtanh(1, -1), ValueError, r"Hardtanh: min_val 1 is above max_val -1"),
    (lambda: nn.SiLU()(Value(1.0)), TypeError, r"SiLU: got a Value; this function works on Tensors"),
])
def test_bad_input_raises_a_clear_error(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
