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
from .functional import (cat, clamp, cumsum, flip, log_softmax, maximum, minimum, relu6, softmax, stack, tril,
                         triu, where)
from . import functional as _functional
from .ops.registry import names as _op_names
from .gradcheck import GradcheckError, gradcheck
from . import ops
from .graph import (GateStep, Node, Op, backpropagate, chain_rule, gate_steps, grad, make, topological_order)
from .mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, recording
from .ops import DomainError
from .random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Tensor
from .value import Value

# Every registered op's function (`exp`, `erf`, `gelu`, ...), derived from the op table (`@register`
# in autograd/ops/); names of Python's builtins (`abs`, `round`) stay out of `from ... import *`.
_OPS = [name for name in _op_names() if name not in ("abs", "round")]
globals().update({name: getattr(_functional, name) for name in _OPS})

__all__ = [
    "Value", "Tensor", "Node", "Op", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly",
    "gradcheck", "GradcheckError", "DomainError", "backpropagate", "topological_order", "grad", "chain_rule",
    "gate_steps", "GateStep", "make", "recording", "ops",
    "cat", "stack", "where", "softmax", "log_softmax", "maximum", "minimum", "clamp", "cumsum", "flip", "tril",
    "triu", "relu6", *_OPS,
    "zeros", "ones", "full", "eye", "arange", "linspace", "tensor", "rand", "randn", "zeros_like", "ones_like",
    "full_like", "rand_like", "randn_like",
    "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "randint", "randperm", "randint_like", "multinomial",
]
