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

# Run from a checkout that was never installed, `circuitgrad.autograd` (and nn, viz) are the
# folders beside this one; installed, they sit inside it and this line changes nothing.
_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if not _os.path.isdir(_os.path.join(__path__[0], "autograd")) and \
        _os.path.isfile(_os.path.join(_root, "autograd", "graph.py")) and \
        _os.path.isfile(_os.path.join(_root, "pyproject.toml")):
    __path__.append(_root)

__version__ = "0.2.0"

from . import autograd, nn, viz  # noqa: E402
from .autograd import (Tensor, Value, enable_grad, gradcheck, is_grad_enabled,  # noqa: E402
                       no_grad)
from .autograd.factories import (arange, eye, full, full_like, linspace, ones, ones_like, rand,  # noqa: E402
                                 rand_like, randn, randn_like, tensor, zeros, zeros_like)
from .nn.torch_save import load, save  # noqa: E402  (torch.save/torch.load of a state dict, never a pickle)

__all__ = ["__version__", "Value", "Tensor", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck",
           "autograd", "nn", "viz",
           "zeros", "ones", "full", "eye", "arange", "linspace", "tensor", "rand", "randn", "zeros_like",
           "ones_like", "full_like", "rand_like", "randn_like"]
