"""The table of ops: every op circuitgrad has, one file per family, each op's forward beside its
local derivative. `docs/derivatives.md` lists them all on one page (`scripts/derivatives.py`
writes it from `all_ops()`), with the Tensor method and function each registered op has.

    arithmetic.py   + - * / ** neg, and Value's constant gates (x + 1, x * -1, 1 / x)
    functions.py    elementwise maths (exp log sqrt sin erf ...), tanh sigmoid relu selu, clip, astype
    activations.py  the smooth and piecewise activations of torch.nn.functional (gelu silu softplus ...)
    piecewise.py    sign floor ceil round maximum minimum
    reductions.py   sum mean max min var std norm cumsum
    softmax.py      softmax log_softmax
    matmul.py       @
    shape.py        reshape transpose indexing cat stack where broadcasting flip tril triu repeat pad
    fused.py        linear, bce (what nn.functional uses), wx+b (a scalar neuron's sum)
    conv.py         conv2d conv1d conv_transpose2d (im2col / col2im)
    pool.py         max_pool2d avg_pool2d adaptive_avg_pool2d
    assign.py       x[index] = v (what item assignment and the in-place fills record)
    hooks.py        backward_hook piece (the identity a module's full backward hooks run in)


Adding an op is its class in one of these files plus one `@register` line above it
(`registry.py`), which gives it its Tensor method and its functional names. Every op class
is a name of this package (`ops.Erf`), found in the family files, not listed again here.
"""
from __future__ import annotations

from ..graph import Op
from . import (activations, arithmetic, assign, conv, functions, fused, hooks, matmul, piecewise, pool, reductions,
               shape, softmax)
from . import registry
from .arithmetic import DomainError
from .registry import register, unregister

FAMILIES = (arithmetic, functions, activations, piecewise, reductions, softmax, matmul, shape, assign, fused, conv,
            pool, hooks)


def all_ops() -> list[type]:
    """Every op class, family by family in file order (the order of docs/derivatives.md), then any
    op registered from elsewhere (a toy op in a test)."""
    found = []
    for family in FAMILIES:
        for value in vars(family).values():
            if isinstance(value, type) and issubclass(value, Op) and value is not Op and \
                    value.__module__ == family.__name__ and value not in found:
                found.append(value)
    found += [entry.op for entry in registry.registered().values() if entry.op not in found]
    return found


# `ops.Erf`, `ops.Linear`, ...: every op class of the families, by its class name.
globals().update({op.__name__: op for op in all_ops()})

__all__ = ["Op", "DomainError", "all_ops", "FAMILIES", "register", "unregister", "registry",
           *(op.__name__ for op in all_ops())]
