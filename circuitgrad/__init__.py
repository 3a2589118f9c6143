"""circuitgrad: an autograd engine you can look inside.

    >>> import circuitgrad as cg
    >>> x, y, z = cg.Value(-2.0, "x"), cg.Value(5.0, "y"), cg.Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> x.grad, y.grad, z.grad
    (-4.0, -4.0, 3.0)

The engine is `circuitgrad.autograd`, the layers `circuitgrad.nn` and the pictures
`circuitgrad.viz`; this package gathers the names a learner types most. The command-line
program (`circuitgrad draw`, `circuitgrad demo`) lives in `circuitgrad.cli`, which nothing
here imports.
"""
from __future__ import annotations

import os as _os
from typing import Any as _Any

# Run from a checkout that was never installed, `circuitgrad.autograd` (and nn, viz) are the
# folders beside this one; installed, they sit inside it and this line changes nothing.
_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if not _os.path.isdir(_os.path.join(__path__[0], "autograd")) and \
        _os.path.isfile(_os.path.join(_root, "autograd", "graph.py")) and \
        _os.path.isfile(_os.path.join(_root, "pyproject.toml")):
    __path__.append(_root)

__version__ = "0.2.0"

# The engine loads with the package; nn and viz (and, through viz, graphviz) load on first use
# (PEP 562), so `import circuitgrad` and `import circuitgrad.autograd` load the engine only and
# the command line starts fast. A lazy name is "module" or ("module", "attribute").
from . import autograd  # noqa: E402
from .autograd import (Tensor, Value, enable_grad, gradcheck, is_grad_enabled,  # noqa: E402
                       no_grad)
from .autograd.factories import (arange, eye, full, full_like, linspace, ones, ones_like, rand,  # noqa: E402
                                 rand_like, randn, randn_like, tensor, zeros, zeros_like)

_LAZY = {  # loaded on first use (PEP 562): `import circuitgrad` loads the engine only
    "nn": "circuitgrad.nn",
    "viz": "circuitgrad.viz",
    "optim": "circuitgrad.nn.optim",  # torch.optim
    "save": ("circuitgrad.nn.torch_save", "save"),  # torch.save / torch.load of a state dict, never a pickle
    "load": ("circuitgrad.nn.torch_save", "load"),
}

__all__ = ["__version__", "Value", "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck",
           "autograd", "zeros", "ones", "full", "eye", "arange", "linspace", "tensor", "rand", "randn",
           "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", *_LAZY]
from .autograd import (get_rng_state, initial_seed, manual_seed, multinomial, randint,  # noqa: E402
                       randint_like, randperm, seed, set_rng_state)
__all__ += ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "randint", "randperm",
            "randint_like", "multinomial"]

# ---- PyTorch's top-level names (issue 22 item 8): `import circuitgrad as torch` runs a beginner
# tutorial. The dtype names are numpy dtypes (`cg.float32 == np.float32`); `cg.float`, `cg.int`,
# `cg.bool` are PyTorch's spellings, so they shadow Python's builtins in this namespace only.
from . import accelerator, cuda  # noqa: E402
from .autograd import return_types  # noqa: E402  (torch.return_types: x.max(1) is a return_types.max)
from .autograd import dtypes as _dtypes  # noqa: E402
from .autograd.dtypes import (double, float16, float32, float64, get_default_dtype, half, int8,  # noqa: E402
                              int16, int32, int64, long, set_default_dtype, short, uint8)
from .autograd.factories import from_numpy  # noqa: E402
from .autograd.functional import (amax, amin, argmax, argmin, argsort, cat, exp, log, logsumexp,  # noqa: E402
                                  matmul, max, maximum, mean, min, minimum, mm, norm, relu, sigmoid, softmax, sort, sqrt,
                                  stack, sum, tanh, topk, where)
from .device import device  # noqa: E402

float = _dtypes.NAMES["float"]  # noqa: A001
int = _dtypes.NAMES["int"]  # noqa: A001
bool = _dtypes.NAMES["bool"]  # noqa: A001

# `float`, `int`, `bool`, `sum`, `max` and `min` are left out of __all__: `from circuitgrad import *`
# must not replace Python's builtins in the importer's namespace.
__all__ += ["accelerator", "cuda", "device", "return_types", "from_numpy", "get_default_dtype",
            "set_default_dtype", "float16", "half", "float32", "float64", "double", "uint8", "int8", "int16",
            "short", "int32", "int64", "long",
            "cat", "stack", "where", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softmax", "logsumexp",
            "matmul", "mm", "mean", "amax", "amin", "maximum", "minimum", "argmax", "argmin",
            "sort", "argsort", "topk", "norm"]


def __getattr__(name: str) -> _Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'circuitgrad' has no attribute {name!r}")
    import importlib

    module, attribute = (where, None) if isinstance(where, str) else where
    value = importlib.import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value  # loaded once: later lookups do not come here
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
