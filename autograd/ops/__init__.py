"""The table of ops: every op circuitgrad has, one file per family, each op's forward beside its
local derivative. `docs/derivatives.md` lists them all on one page (`scripts/derivatives.py`
writes it from `ALL`).

    arithmetic.py   + - * / ** neg, and Value's constant gates (x + 1, x * -1, 1 / x)
    functions.py    exp log sqrt abs tanh sigmoid relu leaky_relu selu step clip astype
    reductions.py   sum mean max min var
    softmax.py      softmax log_softmax
    matmul.py       @
    shape.py        reshape transpose [] unindex cat stack where sum_to broadcast_to
    fused.py        linear, bce (what nn.functional uses)
    conv.py         conv2d conv1d conv_transpose2d (im2col / col2im)
    pool.py         max_pool2d avg_pool2d adaptive_avg_pool2d
"""
from __future__ import annotations

from ..graph import Op
from . import arithmetic, conv, functions, fused, matmul, pool, reductions, shape, softmax
from .arithmetic import (Add, AddConst, Div, DivConst, DomainError, Mul, MulConst, Neg, Pow, PowConst, RDivConst,
                         RPowConst, RSubConst, Sub)
from .functions import (SELU, Abs, Cast, Clip, Exp, LeakyReLU, Log, ReLU, Sigmoid, Sqrt, Step, Tanh)
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .fused import BinaryCrossEntropy, Linear
from .matmul import MatMul
from .pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .reductions import Max, Mean, Min, Sum, Var
from .shape import BroadcastTo, Cat, Index, Reshape, Stack, SumTo, Transpose, Unindex, Where
from .softmax import LogSoftmax, Softmax

FAMILIES = (arithmetic, functions, reductions, softmax, matmul, shape, fused, conv, pool)


def all_ops() -> list[type]:
    """Every op class, family by family in file order (the order of docs/derivatives.md)."""
    found = []
    for family in FAMILIES:
        for value in vars(family).values():
            if isinstance(value, type) and issubclass(value, Op) and value is not Op and \
                    value.__module__ == family.__name__ and value not in found:
                found.append(value)
    return found


__all__ = ["Op", "DomainError", "all_ops", "FAMILIES", "Add", "Sub", "Mul", "Div", "Pow", "Neg", "AddConst",
           "RSubConst", "MulConst", "DivConst", "RDivConst", "PowConst", "RPowConst", "Exp", "Log", "Sqrt", "Abs",
           "Tanh", "Sigmoid", "ReLU", "LeakyReLU", "SELU", "Step", "Clip", "Cast", "Sum", "Mean", "Max", "Min",
           "Var", "Softmax", "LogSoftmax", "MatMul", "Reshape", "Transpose", "Index", "Unindex", "Cat", "Stack",
           "Where", "SumTo", "BroadcastTo", "Linear", "BinaryCrossEntropy", "Conv2d", "Conv1d", "ConvTranspose2d",
           "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]
