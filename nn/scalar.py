"""Networks built from scalar `Value`s, one gate per multiply and add: small enough to draw whole.

`Neuron` computes act(w0*x0 + w1*x1 + ... + b), the sum as one `wx+b` gate (as perceptron
diagrams draw it; build it from * and + yourself to see every gate); `Layer` is neurons side by side; `MLP`
stacks layers; `Perceptron` is a neuron with the step activation whose weights you set by
hand (the AND, OR and NAND gates). Weights are drawn like `Linear`'s, uniform in
+-1/sqrt(nin) from numpy's global RNG, one layer's weight matrix (nout, nin) before its
biases, so after the same `np.random.seed` an MLP and the `Sequential` of `Linear` layers
with the same sizes start from the same numbers.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from circuitgrad.autograd import Value, no_grad, ops
from circuitgrad.autograd.checks import is_real

from .containers import ModuleList
from .layers import _positive_int
from .module import Module

Activation = Union[str, None, Callable[[Value], Value]]

_ACTIVATIONS = {
    "relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "step": Value.step,
    "leaky_relu": Value.leaky_relu, "selu": Value.selu, "linear": None, None: None,
}


def _activation(owner: str, activation: Activation) -> Optional[Callable[[Value], Value]]:
    if callable(activation):
        return activation
    if activation not in _ACTIVATIONS:
        names = ", ".join(repr(k) for k in _ACTIVATIONS)
        raise ValueError(f"{owner}: unknown activation {activation!r}; use one of {names} or a function of a Value")
    return _ACTIVATIONS[activation]


def _activation_name(activation: Activation) -> Any:
    return getattr(activation, "__name__", activation) if callable(activation) else activation


def _numbers(owner: str, name: str, values: Any, n: int) -> list:
    array = np.asarray(values, dtype=float).reshape(-1) if not isinstance(values, (int, float)) \
        else np.array([values], dtype=float)
    if array.size != n:
        raise ValueError(f"{owner}: {name} needs {n} numbers, got {array.size}")
    return [float(v) for v in array]


class Neuron(Module):
    """act(w0*x0 + ... + w[nin-1]*x[nin-1] + b) on Values.

    `activation`: "relu" (default), "tanh", "sigmoid", "step", "leaky_relu", "selu",
    "linear" or None (no activation), or any function of a Value. `weights` and `bias` set
    the starting numbers by hand; otherwise they are drawn from numpy's global RNG. The
    weights are the list `w` (also registered as `w0`, `w1`, ...) and the bias is `b`.
    """

    _repr_children = False

    def __init__(self, nin: int, activation: Activation = "relu", weights: Optional[Sequence[float]] = None,
                 bias: Optional[float] = None) -> None:
        super().__init__()
        self.nin = _positive_int(type(self).__name__, "nin", nin)
        self.activation = activation
        self._act = _activation(type(self).__name__, activation)
        bound = 1.0 / math.sqrt(self.nin)
        w = np.random.uniform(-bound, bound, self.nin) if weights is None else \
            _numbers(type(self).__name__, "weights", weights, self.nin)
        b = np.random.uniform(-bound, bound) if bias is None else _numbers(type(self).__name__, "bias", bias, 1)[0]
        self.w = [Value(float(wi), f"w{i}") for i, wi in enumerate(w)]
        for i, wi in enumerate(self.w):
            self.register_parameter(f"w{i}", wi)
        self.b = Value(float(b), "b")

    def forward(self, x: Sequence[Any]) -> Value:
        return self._fire(_inputs(self, x, self.nin))

    def _fire(self, xs: list) -> Value:
        """act(w . x + b) on inputs already checked to be `nin` Values; the sum is one `wx+b` gate."""
        total = Value.apply(ops.WeightedSum, *self.w, *xs, self.b, ctx=self.nin)
        return total if self._act is None else self._act(total)

    def extra_repr(self) -> str:
        return f"nin={self.nin}, activation={_activation_name(self.activation)!r}"


def _inputs(owner: Module, x: Any, n: int) -> list:
    """The inputs as Values (numbers become leaves labelled x0, x1, ... so a diagram shows them)."""
    if isinstance(x, Value) or isinstance(x, (int, float)):
        x = [x]
    try:
        items = list(x)
    except TypeError:
        raise TypeError(f"{owner!r}: input must be a list of numbers or Values, got {type(x).__name__}") from None
    if len(items) != n:
        raise ValueError(f"{owner!r}: expected {n} inputs, got {len(items)}")
    if all(type(xi) is Value for xi in items):  # the layers of an MLP pass Values on: nothing to make
        return items
    out = []
    for i, xi in enumerate(items):
        if isinstance(xi, Value):
            out.append(xi)
        elif is_real(xi):
            out.append(Value(float(xi), f"x{i}"))
        else:
            raise TypeError(f"{owner!r}: input {i} is a {type(xi).__name__}, not a number or a Value")
    return out


def _prefix_labels(children: ModuleList, letter: str) -> None:
    """Label each child's parameters with the child's place, so a diagram tells them apart."""
    for i, child in enumerate(children):
        for p in child.parameters():
            p.label = f"{letter}{i}.{p.label}"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; returns a list of Values (one Value if nout == 1)."""

    _repr_children = False

    def __init__(self, nin: int, nout: int, activation: Activation = "relu") -> None:
        super().__init__()
        self.nin = _positive_int("Layer", "nin", nin)
        self.nout = _positive_int("Layer", "nout", nout)
        self.activation = activation
        _activation("Layer", activation)
        bound = 1.0 / math.sqrt(self.nin)
        weight = np.random.uniform(-bound, bound, (self.nout, self.nin))  # drawn as Linear draws them
        bias = np.random.uniform(-bound, bound, self.nout)
        self.neurons = ModuleList(Neuron(self.nin, activation, weight[i], bias[i]) for i in range(self.nout))
        _prefix_labels(self.neurons, "n")  # n0.w1: in a diagram, every neuron's weights look alike otherwise

    def forward(self, x: Sequence[Any]) -> Union[Value, list]:
        xs = _inputs(self, x, self.nin)
        # The inputs are checked once for the layer, and the neurons fire without a module call
        # each (calling them as modules makes micrograd's demo step 10% slower): a layer is one
        # module call, so hooks and a diagram's boxes see the layer, as with nn.Linear.
        outs = [n._fire(xs) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nout={self.nout}, activation={_activation_name(self.activation)!r}"


class MLP(Module):
    """Layers of neurons: `MLP(2, [4, 4, 1])` has two hidden layers of 4 and one output.

    Hidden layers use `activation`; the last layer uses `output_activation` (None: the raw
    sum, for regression or a loss on scores). Returns a Value if the last layer has one
    neuron, else a list.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: Activation = "relu",
                 output_activation: Activation = None) -> None:
        super().__init__()
        if isinstance(nouts, (int, np.integer)) or not len(nouts):
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes like [4, 4, 1], got {nouts!r}")
        sizes = [_positive_int("MLP", "nin", nin)] + [_positive_int("MLP", "layer size", n) for n in nouts]
        acts = [activation] * (len(nouts) - 1) + [output_activation]
        self.layers = ModuleList(Layer(sizes[i], sizes[i + 1], acts[i]) for i in range(len(nouts)))
        _prefix_labels(self.layers, "L")  # L0.n2.w1: layer 0, neuron 2, weight of input 1

    def forward(self, x: Sequence[Any]) -> Union[Value, list]:
        for layer in self.layers:
            x = layer(x)
        return x


class Perceptron(Neuron):
    """A neuron with the step activation: 1 if w . x + b > 0, else 0 (Rosenblatt, 1958).

    Set the weights by hand (`Perceptron(2, weights=[0.5, 0.5], bias=-0.7)` is AND) or
    learn them with `learn`, the perceptron rule. The step has no slope, so backprop
    cannot train it; that is why MLPs use smooth activations.
    """

    def __init__(self, nin: int, weights: Optional[Sequence[float]] = None, bias: Optional[float] = None) -> None:
        super().__init__(nin, "step", weights, bias)

    def learn(self, x: Sequence[float], target: float, lr: float = 0.1) -> float:
        """One step of the perceptron rule, w += lr (target - output) x; returns target - output."""
        with no_grad():
            xs = _inputs(self, x, self.nin)
            error = float(target) - self(xs).data
        for wi, xi in zip(self.w, xs):
            wi.data += lr * error * xi.data
        self.b.data += lr * error
        return error

    def extra_repr(self) -> str:
        weights = ", ".join(f"{w.data:g}" for w in self.w)
        return f"nin={self.nin}, weights=[{weights}], bias={self.b.data:g}"
