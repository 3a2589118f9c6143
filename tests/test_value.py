"""The scalar `Value`: the CS231n worked circuits, every op against finite differences,
gradient bookkeeping (reuse, accumulation), and every bad input a learner can type."""
from __future__ import annotations

import math

import pytest

from circuitgrad import autograd
from circuitgrad.autograd import DomainError, GradcheckError, Value, gradcheck, no_grad

SIGMA = 1 / (1 + math.exp(-1.0))  # the sigmoid neuron's weighted sum is w0*x0 + w1*x1 + w2 = 1


# ---- the CS231n circuits, with the numbers from seed 001 --------------------------------------

def test_cs231n_add_multiply_circuit():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)  # the + gate copies -4 to both, * swaps
    assert (q.grad, f.grad) == (-4.0, 1.0)
    assert (q.op, f.op) == ("+", "*")
    assert q.parents == (x, y) and f.parents == (q, z)


def _neuron():
    w0, x0, w1, x1, w2 = (Value(v, n) for v, n in
                          [(2.0, "w0"), (-1.0, "x0"), (-3.0, "w1"), (-2.0, "x1"), (-3.0, "w2")])
    return (w0, x0, w1, x1, w2), w0 * x0 + w1 * x1 + w2


def _check_neuron(f, inputs):
    w0, x0, w1, x1, w2 = inputs
    f.backward()
    assert round(f.data, 2) == 0.73
    # the numbers as the lecture rounds them ...
    assert [round(v.grad, 2) for v in inputs] == [-0.20, 0.39, -0.39, -0.59, 0.20]
    # ... and exactly: d sigma / ds = sigma (1 - sigma), times the other input of each * gate
    ds = SIGMA * (1 - SIGMA)
    assert f.data == pytest.approx(SIGMA, abs=1e-15)
    expected = [x0.data * ds, w0.data * ds, x1.data * ds, w1.data * ds, ds]
    assert [v.grad for v in inputs] == pytest.approx(expected, abs=1e-15)


def test_cs231n_sigmoid_neuron_from_primitive_gates():
    inputs, s = _neuron()
    neg = -s
    e = neg.exp()
    d = e + 1
    f = 1 / d
    assert [n.op for n in (neg, e, d, f)] == ["*-1", "exp", "+1", "1/x"]  # the lecture's gates
    _check_neuron(f, inputs)
    # the lecture's intermediate gradients on the wires
    assert round(d.grad, 2) == -0.53 and round(e.grad, 2) == -0.53 and round(neg.grad, 2) == -0.20


def test_cs231n_sigmoid_neuron_with_fused_sigmoid_gate():
    inputs, s = _neuron()
    f = s.sigmoid()
    assert f.op == "sigmoid" and f.parents == (s,)
    _check_neuron(f, inputs)
    assert s.grad == pytest.approx(SIGMA * (1 - SIGMA), abs=1e-15)


# ---- what a Value is ----------------------------------------------------------------------------

def test_leaf_attributes_and_repr():
    v = Value(3, "w")
    assert type(v.data) is float and v.data == 3.0
    assert v.grad == 0.0 and v.label == "w" and v.op == "" and v.parents == () and v.is_leaf
    assert "w" in repr(v) and "data=3" in repr(v)
    y = v * 2
    assert "op='*2'" in repr(y) and not y.is_leaf
    assert v.item() == 3.0 and float(v) == 3.0


@pytest.mark.parametrize("make, op", [
    (lambda x: x + 1, "+1"), (lambda x: 1 + x, "+1"), (lambda x: x - 1, "-1"), (lambda x: 3 - x, "3-x"),
    (lambda x: x * 3, "*3"), (lambda x: 3 * x, "*3"), (lambda x: -x, "*-1"), (lambda x: x / 2, "/2"),
    (lambda x: 1 / x, "1/x"), (lambda x: x ** 2, "**2"), (lambda x: 2 ** x, "2**x"), (lambda x: x ** 0.5, "**0.5"),
])
def test_number_operand_stays_inside_the_gate(make, op):
    x = Value(1.5)
    y = make(x)
    assert y.op == op and y.parents == (x,)


def test_comparisons_look_at_data_and_equality_is_identity():
    a, b = Value(1.0), Value(1.0)
    assert a < 2 and a <= b and not a > b and a >= 1.0 and Value(3) > a
    assert a != b and a == a  # == is identity, so Values can be dict keys and set members
    assert len({a, b, a}) == 2
    with pytest.raises(TypeError, match="comparison"):
        a < "1"


def test_function_spellings_match_methods():
    x = Value(0.3)
    for name in ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "selu", "step"]:
        assert getattr(autograd, name)(x).data == getattr(x, name)().data
    with pytest.raises(TypeError, match="exp: expected a Value or a Tensor, got float"):
        autograd.exp(0.3)


# ---- every op against finite differences --------------------------------------------------------

UNARY = {
    "x+2": lambda x: x + 2, "2+x": lambda x: 2 + x, "x-2": lambda x: x - 2, "3-x": lambda x: 3 - x,
    "x*2": lambda x: x * 2.5, "2*x": lambda x: 2.5 * x, "x/2": lambda x: x / 2, "1/x": lambda x: 1 / x,
    "-x": lambda x: -x, "x**3": lambda x: x ** 3, "x**2": lambda x: x ** 2, "x**0.5": lambda x: x ** 0.5,
    "x**-1.5": lambda x: x ** -1.5, "2**x": lambda x: 2 ** x, "0.5**x": lambda x: 0.5 ** x,
    "exp": Value.exp, "log": Value.log, "sqrt": Value.sqrt, "abs": Value.abs, "tanh": Value.tanh,
    "sigmoid": Value.sigmoid, "relu": Value.relu, "leaky_relu": lambda x: x.leaky_relu(0.1),
    "selu": Value.selu, "step": Value.step,
}
POSITIVE_ONLY = {"log", "sqrt", "x**0.5", "x**-1.5"}


@pytest.mark.parametrize("name, at", [(name, at) for name in sorted(UNARY) for at in [0.7, -1.3, 2.1]
                                      if at > 0 or name not in POSITIVE_ONLY])  # domains: see the bad-input tests
def test_unary_op_gradcheck(name, at):
    assert gradcheck(UNARY[name], Value(at, "x"))


@pytest.mark.parametrize("name, fn", [
    ("+", lambda a, b: a + b), ("-", lambda a, b: a - b), ("*", lambda a, b: a * b),
    ("/", lambda a, b: a / b), ("**", lambda a, b: a ** b),
])
@pytest.mark.parametrize("a, b", [(1.7, -0.6), (0.4, 2.3), (3.0, 2.0)])
def test_binary_op_gradcheck(name, fn, a, b):
    assert gradcheck(fn, Value(a, "a"), Value(b, "b"))


def test_power_of_value_with_integer_exponent_and_negative_base():
    # x ** 3 is defined for x < 0; its slope is 3 x^2
    x = Value(-2.0)
    (x ** 3).backward()
    assert x.grad == 12.0


def test_power_zero_has_zero_slope_even_at_zero():
    # x ** 0 is the constant 1, so its slope is 0 everywhere (PyTorch agrees), not an error
    x = Value(0.0)
    (x ** 0).backward()
    assert x.grad == 0.0
    a, b = Value(0.0), Value(0.0)
    (a ** b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_relu_abs_step_have_the_pytorch_subgradient_at_zero():
    for fn, slope in [(Value.relu, 0.0), (Value.abs, 0.0), (Value.step, 0.0),
                      (lambda v: v.leaky_relu(0.2), 0.2)]:
        x = Value(0.0)
        fn(x).backward()
        assert x.grad == slope


def test_sigmoid_is_finite_for_huge_inputs_of_either_sign():
    big, small = Value(800.0).sigmoid(), Value(-800.0).sigmoid()
    assert (big.data, small.data) == (1.0, 0.0)


# ---- gradient bookkeeping -----------------------------------------------------------------------

def test_node_used_twice_gets_both_contributions():
    a = Value(3.0)
    f = a * a + a  # df/da = 2a + 1
    f.backward()
    assert a.grad == 7.0
    b = Value(-2.0)
    c = b + b       # reused interior node below
    g = c * c       # (2b)^2 = 4 b^2, dg/db = 8b
    g.backward()
    assert b.grad == -16.0 and c.grad == -8.0


def test_leaf_gradients_accumulate_over_fresh_graphs_until_reset():
    x, y = Value(2.0), Value(-3.0)
    (x * y).backward()
    (x * y).backward()
    assert (x.grad, y.grad) == (-6.0, 4.0)  # two passes over two graphs add up, as in PyTorch
    x.grad = y.grad = 0.0
    (x + y).backward()
    assert (x.grad, y.grad) == (1.0, 1.0)


def test_backward_twice_on_the_same_graph_doubles_leaves_but_not_interior_nodes():
    x = Value(1.5)
    h = x.tanh()
    f = h * h
    f.backward()
    once = (x.grad, h.grad, f.grad)
    f.backward()
    assert x.grad == 2 * once[0]
    assert (h.grad, f.grad) == once[1:]  # interior nodes show the latest pass only


def test_backward_with_an_explicit_seed():
    x = Value(2.0)
    (x * 3).backward(0.5)
    assert x.grad == 1.5
    with pytest.raises(TypeError, match="backward: expected a Value or a real number, got str"):
        (x * 3).backward("1")


def test_no_grad_builds_no_graph():
    x = Value(2.0)
    with no_grad():
        y = (x * 3).exp() + x
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    assert y.parents == () and y.op == "" and y.is_leaf
    assert y.data == pytest.approx(math.exp(6) + 2)
    y.backward()
    assert x.grad == 0.0


# ---- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data, kind", [("a", "str"), (None, "NoneType"), ([1.0], "list"), (True, "bool"),
                                        (1 + 2j, "complex")])
def test_value_of_non_number_is_a_type_error(data, kind):
    with pytest.raises(TypeError, match=rf"Value: expected a Value or a real number, got {kind}"):
        Value(data)


def test_value_of_a_value_is_a_type_error():
    with pytest.raises(TypeError, match="Value: data is already a Value"):
        Value(Value(1.0))


@pytest.mark.parametrize("make, op, kind", [
    (lambda v: v + "two", r"\+", "str"), (lambda v: "two" + v, r"\+", "str"), (lambda v: v * None, r"\*", "NoneType"),
    (lambda v: v - [1], "-", "list"), (lambda v: v / "x", "/", "str"), (lambda v: v ** "2", r"\*\*", "str"),
    (lambda v: "2" ** v, r"\*\*", "str"), (lambda v: v.leaky_relu("0.1"), "leaky_relu", "str"),
])
def test_arithmetic_with_non_number_is_a_type_error_naming_op_and_type(make, op, kind):
    with pytest.raises(TypeError, match=rf"^{op}: expected a Value or a real number, got {kind}"):
        make(Value(1.0))


def test_matmul_of_values_is_a_type_error():
    with pytest.raises(TypeError, match=r"@: matrix multiplication needs Tensors, got Value @ Value"):
        Value(1) @ Value(2)
    with pytest.raises(TypeError, match=r"@: .*got Value @ int"):
        Value(1) @ 2


@pytest.mark.parametrize("make, pattern", [
    (lambda: Value(0.0).log(), r"log: undefined for 0\.0"),
    (lambda: Value(-1.0).log(), r"log: undefined for -1\.0"),
    (lambda: Value(-4.0).sqrt(), r"sqrt: undefined for -4\.0"),
    (lambda: Value(0) ** -1, r"\*\*: 0 \*\* -1 is undefined"),
    (lambda: Value(0.0) ** Value(-1.0), r"\*\*: 0 \*\* -1 is undefined"),
    (lambda: 0 ** Value(-2.0), r"\*\*: 0 \*\* -2 is undefined"),
    (lambda: Value(-8.0) ** (1 / 3), r"\*\*: negative base -8\.0 to the non-integer power"),
    (lambda: Value(1.0) / 0, r"/: division by zero \(1\.0 / 0\)"),
    (lambda: Value(1.0) / Value(0.0), r"/: division by zero"),
    (lambda: 1 / Value(0.0), r"/: division by zero"),
    (lambda: Value(float("nan")), r"Value: result is nan for input nan"),
])
def test_math_domain_error_names_op_and_value(make, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        make()
    assert isinstance(info.value, DomainError)


@pytest.mark.parametrize("make, pattern", [
    (lambda: Value(1000.0).exp(), r"exp: exp\(1000\.0\) overflows"),
    (lambda: Value(1e200) * Value(1e200), r"\*: result overflows a float for input 1e\+200, 1e\+200"),
    (lambda: Value(10.0) ** 400, r"\*\*: 10\.0 \*\* 400\.0 overflows"),
    (lambda: 10 ** Value(400.0), r"\*\*: 10\.0 \*\* 400\.0 overflows"),
    (lambda: Value(float("inf")), r"Value: result overflows"),
])
def test_overflow_names_op_and_value(make, pattern):
    with pytest.raises(OverflowError, match=pattern):
        make()


@pytest.mark.parametrize("make, pattern", [
    (lambda x: x.sqrt(), r"sqrt: the derivative 1/\(2 sqrt\(x\)\) is infinite at x = 0"),
    (lambda x: x ** 0.5, r"\*\*: the derivative of x \*\* 0\.5 is infinite at x = 0"),
])
def test_infinite_slope_in_backward_is_an_error_not_a_nan(make, pattern):
    y = make(Value(0.0))
    assert y.data == 0.0  # the forward value is fine
    with pytest.raises(DomainError, match=pattern):
        y.backward()


def test_exponent_gradient_of_a_negative_base_is_an_error_not_a_nan():
    # (-2) ** n is real for integer n, but d/dn needs ln(-2): Value raises, PyTorch gives nan
    with pytest.raises(DomainError, match=r"\*\*: the gradient with respect to the exponent needs a base > 0"):
        (Value(-2.0) ** Value(2.0)).backward()


def test_gradcheck_rejects_what_it_cannot_check():
    with pytest.raises(ValueError, match="gradcheck: give at least one input"):
        gradcheck(lambda: Value(1.0))
    with pytest.raises(TypeError, match="gradcheck: input 0 is a float"):
        gradcheck(lambda x: x, 1.0)
    with pytest.raises(TypeError, match="gradcheck: fn must return a Value or a Tensor, got float"):
        gradcheck(lambda x: 1.0, Value(1.0))


def test_gradcheck_names_the_input_with_a_wrong_gradient():
    class BadSquare(autograd.Op):  # forward x^2 with a wrong derivative x (should be 2x)
        name = "badsquare"

        @staticmethod
        def scalar(ctx, a):
            return a * a

        @staticmethod
        def backward(ctx, grad, out, a):
            return (a * grad,)

    good, bad = Value(1.5, "good"), Value(2.0, "w")
    with pytest.raises(GradcheckError, match=r"gradcheck failed for w: backward gives 3, finite differences give 6 \(1 of 1 entries differ\)"):
        gradcheck(lambda a, b: a * Value.apply(BadSquare, b), good, bad)
    assert (good.grad, bad.grad) == (0.0, 0.0)  # gradcheck leaves the inputs' gradients as they were
