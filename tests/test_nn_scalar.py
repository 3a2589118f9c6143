"""Scalar networks on Value: the neuron of seed 004, the perceptron gates of seed 001, MLPs."""
from __future__ import annotations

import math

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value, gradcheck

TRUTH = [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_a_neuron_is_weights_times_inputs_plus_bias_through_the_activation():
    neuron = nn.Neuron(3, activation="tanh", weights=[0.5, -1.0, 2.0], bias=0.1)
    out = neuron([1.0, 2.0, 0.5])
    assert out.data == pytest.approx(math.tanh(0.5 - 2.0 + 1.0 + 0.1))
    out.backward()
    slope = 1 - out.data ** 2
    assert [w.grad for w in neuron.w] == pytest.approx([slope * 1.0, slope * 2.0, slope * 0.5])
    assert neuron.b.grad == pytest.approx(slope)
    assert [p.label for p in neuron.parameters()] == ["w0", "w1", "w2", "b"]
    assert [n for n, _ in neuron.named_parameters()] == ["w0", "w1", "w2", "b"]


@pytest.mark.parametrize("activation,expected", [
    ("relu", max(0.0, -0.4)), ("sigmoid", 1 / (1 + math.exp(0.4))), ("step", 0.0), (None, -0.4), ("linear", -0.4),
    ("leaky_relu", -0.004), ("selu", 1.0507009873554805 * 1.6732632423543772 * (math.exp(-0.4) - 1)),
])
def test_neuron_activations(activation, expected):
    neuron = nn.Neuron(2, activation=activation, weights=[1.0, 1.0], bias=-0.4)
    assert neuron([0.0, 0.0]).data == pytest.approx(expected)


def test_neuron_takes_a_function_as_activation_and_values_as_inputs():
    neuron = nn.Neuron(1, activation=lambda v: v * v, weights=[2.0], bias=0.0)
    x = Value(3.0, "x")
    out = neuron([x])
    assert out.data == 36.0
    out.backward()
    assert x.grad == 2 * 6.0 * 2.0  # d(2x)^2/dx = 8x
    assert "activation='<lambda>'" in repr(neuron)


def test_numbers_become_labelled_input_leaves():
    neuron = nn.Neuron(2, activation=None, weights=[1.0, 1.0], bias=0.0)
    out = neuron([1.0, 2.0])
    assert out.op == "wx+b" and out.data == 3.0  # one gate: w0, w1, x0, x1, b in
    w0, w1, x0, x1, b = out.parents
    assert (w0, w1, b) == (neuron.w[0], neuron.w[1], neuron.b)
    assert [v.label for v in (x0, x1)] == ["x0", "x1"] and [v.data for v in (x0, x1)] == [1.0, 2.0]


def test_the_weighted_sum_gate_gives_the_composed_numbers_to_the_bit():
    import random
    random.seed(3)
    neuron = nn.Neuron(5, activation="tanh")
    xs = [Value(random.uniform(-2, 2)) for _ in range(5)]
    fused = neuron(xs)
    composed = neuron.w[0] * xs[0]
    for w, x in zip(neuron.w[1:], xs[1:]):
        composed = composed + w * x
    composed = (composed + neuron.b).tanh()
    assert fused.data == composed.data
    fused.backward()
    fused_grads = [p.grad for p in [*neuron.w, neuron.b, *xs]]
    for p in [*neuron.w, neuron.b, *xs]:
        p.grad = 0.0
    composed.backward()
    assert fused_grads == [p.grad for p in [*neuron.w, neuron.b, *xs]]


def test_neuron_passes_gradcheck():
    neuron = nn.Neuron(3, activation="tanh")
    xs = [Value(0.3), Value(-0.7), Value(1.1)]
    assert gradcheck(lambda *ps: neuron(xs), *neuron.parameters())
    assert gradcheck(lambda *xs: neuron(list(xs)), *xs)


def test_scalar_errors():
    with pytest.raises(ValueError, match=r"Neuron\(nin=2, activation='relu'\): expected 2 inputs, got 3"):
        nn.Neuron(2)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="input 1 is a str"):
        nn.Neuron(2)([1.0, "2"])
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        nn.Neuron(2, activation="softplus")
    with pytest.raises(ValueError, match="weights needs 2 numbers, got 3"):
        nn.Perceptron(2, weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="nin must be at least 1"):
        nn.Neuron(0)
    with pytest.raises(ValueError, match="nouts must be a non-empty list"):
        nn.MLP(2, 3)


# ---- the perceptron gates of seed 001 ----------------------------------------------------------------------

GATES = {
    "AND": ([0.5, 0.5], -0.7, [0, 0, 0, 1]),
    "OR": ([0.5, 0.5], -0.2, [0, 1, 1, 1]),
    "NAND": ([-0.5, -0.5], 0.7, [1, 1, 1, 0]),
}


@pytest.mark.parametrize("gate", GATES)
def test_hand_set_perceptrons_compute_the_logic_gates(gate):
    weights, bias, table = GATES[gate]
    p = nn.Perceptron(2, weights=weights, bias=bias)
    assert [p(list(x)).data for x in TRUTH] == table
    assert repr(p) == f"Perceptron(nin=2, weights=[{weights[0]:g}, {weights[1]:g}], bias={bias:g})"


def test_weights_can_be_set_by_hand_after_construction():
    p = nn.Perceptron(2)
    p.w[0].data, p.w[1].data, p.b.data = 0.5, 0.5, -0.7  # AND
    assert [p(list(x)).data for x in TRUTH] == [0, 0, 0, 1]
    p.load_state_dict({"w0": 0.5, "w1": 0.5, "b": -0.2})  # OR
    assert [p(list(x)).data for x in TRUTH] == [0, 1, 1, 1]


def test_xor_needs_two_layers_of_perceptrons():
    nand, or_, and_ = (nn.Perceptron(2, weights=GATES[g][0], bias=GATES[g][1]) for g in ("NAND", "OR", "AND"))
    xor = [and_([nand(list(x)), or_(list(x))]).data for x in TRUTH]
    assert xor == [0, 1, 1, 0]


def test_the_perceptron_rule_learns_and_but_never_xor():
    np.random.seed(0)
    p = nn.Perceptron(2)
    for _ in range(30):
        errors = sum(abs(p.learn(list(x), t, lr=0.1)) for x, t in zip(TRUTH, [0, 0, 0, 1]))
    assert errors == 0 and [p(list(x)).data for x in TRUTH] == [0, 0, 0, 1]
    q = nn.Perceptron(2)
    for _ in range(100):
        errors = sum(abs(q.learn(list(x), t, lr=0.1)) for x, t in zip(TRUTH, [0, 1, 1, 0]))
    assert errors > 0  # no line separates XOR


def test_step_lets_no_gradient_through():
    p = nn.Perceptron(2, weights=[1.0, 1.0], bias=-0.5)
    p([1.0, 0.0]).backward()
    assert all(w.grad == 0.0 for w in p.parameters())


# ---- layers and MLPs ----------------------------------------------------------------------------------------------

def test_layer_and_mlp_shapes_and_names():
    np.random.seed(1)
    layer = nn.Layer(2, 3, activation="tanh")
    assert len(layer([1.0, 2.0])) == 3
    single = nn.Layer(2, 1)([1.0, 2.0])
    assert isinstance(single, Value)
    mlp = nn.MLP(2, [4, 4, 1])
    assert isinstance(mlp([0.5, -0.5]), Value)
    assert len(mlp.parameters()) == (2 * 4 + 4) + (4 * 4 + 4) + (4 + 1)
    assert repr(mlp) == ("MLP(\n  (layers): ModuleList(\n"
                         "    (0): Layer(nin=2, nout=4, activation='relu')\n"
                         "    (1): Layer(nin=4, nout=4, activation='relu')\n"
                         "    (2): Layer(nin=4, nout=1, activation=None)\n  )\n)")


def test_mlp_starts_from_the_same_numbers_as_linear_layers():
    np.random.seed(42)
    mlp = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid")
    np.random.seed(42)
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
    for x in [[0.3, -1.2], [2.0, 0.5]]:
        assert mlp(x).data == pytest.approx(seq(Tensor([x])).item(), rel=1e-12)


def test_scalar_mlp_learns_xor_by_backprop():
    np.random.seed(3)
    mlp = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid")
    opt = nn.optim.SGD(mlp.parameters(), lr=0.5, momentum=0.9)
    targets = [0.0, 1.0, 1.0, 0.0]
    for _ in range(150):
        opt.zero_grad()
        loss = nn.MSELoss()([mlp(list(x)) for x in TRUTH], targets)
        loss.backward()
        opt.step()
    assert loss.data < 0.02
    assert [round(mlp(list(x)).data) for x in TRUTH] == [0, 1, 1, 0]


def test_layer_and_mlp_label_each_parameter_with_its_place():
    # In a diagram of an MLP, three "w0" would not say which neuron each belongs to.
    np.random.seed(0)
    assert [p.label for p in nn.Layer(2, 2).parameters()] == ["n0.w0", "n0.w1", "n0.b", "n1.w0", "n1.w1", "n1.b"]
    labels = [p.label for p in nn.MLP(2, [3, 1]).parameters()]
    assert labels[:3] == ["L0.n0.w0", "L0.n0.w1", "L0.n0.b"] and labels[-1] == "L1.n0.b"
    assert len(set(labels)) == len(labels)
