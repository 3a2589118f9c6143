"""circuitgrad's autograd engine: a scalar `Value` and a numpy `Tensor` on one graph.

    >>> from circuitgrad.autograd import Value
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> x.grad, y.grad, z.grad
    (-4.0, -4.0, 3.0)
"""

if __name__ == "autograd":  # this folder imported as a top-level package, e.g. from the repository root
    raise ImportError("circuitgrad's autograd folder was imported as 'autograd'; import it as "
                      "'circuitgrad.autograd' (PyPI has unrelated top-level packages of that name)")

from .factories import (arange, eye, full, full_like, linspace, ones, ones_like, rand, rand_like, randint,
                        multinomial, randint_like, randn, randn_like, randperm, tensor, zeros,
                        zeros_like)
from .functional import (cat, celu, clamp, cos, cumsum, elu, erf, exp, exp2, expm1, flip, gelu, hardsigmoid,
                         hardswish, hardtanh, leaky_relu, log, log1p, log2, log10, log_softmax, maximum, minimum,
                         mish, reciprocal, relu, relu6, rsqrt, selu, sigmoid, sign, silu, sin, softmax, softplus,
                         softsign, sqrt, square, stack, step, tanh, tril, triu, where)
from .gradcheck import GradcheckError, gradcheck
from . import ops
from .graph import (GateStep, Node, Op, backpropagate, chain_rule, gate_steps, grad, make, topological_order)
from .mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, recording
from .ops import DomainError
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Tensor
from .value import Value

__all__ = [
    "Value", "Tensor", "Node", "Op", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "gradcheck", "GradcheckError", "DomainError", "backpropagate", "topological_order", "grad", "chain_rule",
    "gate_steps", "GateStep", "make", "recording", "ops",
    "cat", "stack", "where", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "selu",
    "step", "softmax", "log_softmax",
    "zeros", "ones", "full", "eye", "arange", "linspace", "tensor", "rand", "randn", "zeros_like", "ones_like",
    "full_like", "rand_like", "randn_like",
    "maximum", "minimum", "log2", "log10", "log1p", "expm1", "exp2", "square", "rsqrt", "reciprocal", "sin", "cos",
    "erf", "sign", "clamp", "cumsum", "flip", "tril", "triu", "gelu", "elu", "celu", "silu", "mish", "softplus",
    "softsign", "relu6", "hardtanh", "hardsigmoid", "hardswish",
    "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "randint", "randperm", "randint_like", "multinomial",
]
