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

from .functional import (cat, exp, leaky_relu, log, log_softmax, relu, selu, sigmoid, softmax, sqrt,
                         stack, step, tanh, where)
from .gradcheck import GradcheckError, gradcheck
from . import ops
from .graph import (GateStep, Node, Op, backpropagate, chain_rule, detect_anomaly, enable_grad, gate_steps, grad,
                    is_grad_enabled, make, no_grad, recording, topological_order)
from .ops import DomainError
from .tensor import Tensor
from .value import Value

__all__ = [
    "Value", "Tensor", "Node", "Op", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "gradcheck", "GradcheckError", "DomainError", "backpropagate", "topological_order", "grad", "chain_rule",
    "gate_steps", "GateStep", "make", "recording", "ops",
    "cat", "stack", "where", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "selu",
    "step", "softmax", "log_softmax",
]
