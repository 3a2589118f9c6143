"""The table of ops: every op circuitgrad has, one file per family, each op's forward beside its
local derivative. `docs/derivatives.md` lists them all on one page (`scripts/derivatives.py`
writes it from `ALL`).

    arithmetic.py   + - * / ** neg, and Value's constant gates (x + 1, x * -1, 1 / x)
    functions.py    exp log sqrt log2 log10 log1p expm1 exp2 square rsqrt reciprocal sin cos erf abs
                    tanh sigmoid relu leaky_relu selu step clip astype
    activations.py  gelu elu celu silu softplus mish softsign hardtanh (relu6) hardsigmoid hardswish
    piecewise.py    sign floor ceil round maximum minimum
    reductions.py   sum mean max min var cumsum
    softmax.py      softmax log_softmax
    matmul.py       @
    shape.py        reshape transpose [] unindex cat stack where sum_to broadcast_to clone flip tril triu
                    repeat pad
    fused.py        linear, bce (what nn.functional uses), wx+b (a scalar neuron's sum)
    conv.py         conv2d conv1d conv_transpose2d (im2col / col2im)
    pool.py         max_pool2d avg_pool2d adaptive_avg_pool2d
    assign.py       x[index] = v (what item assignment and the in-place fills record)
    hooks.py        backward_hook piece (the identity a module's full backward hooks run in)
"""
from __future__ import annotations

from ..graph import Op
from . import (activations, arithmetic, assign, conv, functions, fused, hooks, matmul, piecewise, pool, reductions,
               shape, softmax)
from .activations import (CELU, ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, Mish, SiLU, Softplus, Softsign)
from .arithmetic import (Add, AddConst, Div, DivConst, DomainError, Mul, MulConst, Neg, Pow, PowConst, RDivConst,
                         RPowConst, RSubConst, Sub)
from .assign import IndexPut
from .functions import (SELU, Abs, Cast, Clip, Cos, Erf, Exp, Exp2, Expm1, LeakyReLU, Log, Log1p, Log2, Log10,
                        Reciprocal, ReLU, Rsqrt, Sigmoid, Sin, Sqrt, Square, Step, Tanh)
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .fused import BinaryCrossEntropy, Linear, WeightedSum
from .hooks import BackwardHook, Piece
from .matmul import MatMul
from .piecewise import Ceil, Floor, Maximum, Minimum, Round, Sign
from .pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .reductions import Cumsum, Max, Mean, Min, Norm, Std, Sum, Var
from .shape import (BroadcastTo, Cat, Clone, Flip, Index, Pad, Repeat, Reshape, Stack, SumTo, Transpose, Tril, Triu,
                    Unindex, Where)
from .softmax import LogSoftmax, Softmax

FAMILIES = (arithmetic, functions, activations, piecewise, reductions, softmax, matmul, shape, assign, fused, conv,
            pool, hooks)


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
           "Var", "Std", "Norm", "Softmax", "LogSoftmax", "MatMul", "Reshape", "Transpose", "Index", "Unindex", "Cat", "Stack",
           "Where", "SumTo", "BroadcastTo", "Linear", "BinaryCrossEntropy", "WeightedSum",
           "Log2", "Log10", "Log1p", "Expm1", "Exp2", "Square", "Rsqrt", "Reciprocal", "Sin", "Cos", "Erf",
           "GELU", "ELU", "CELU", "SiLU", "Softplus", "Mish", "Softsign", "Hardtanh", "Hardsigmoid", "Hardswish",
           "Sign", "Floor", "Ceil", "Round", "Maximum", "Minimum", "Cumsum", "Clone", "Flip", "Tril", "Triu",
           "Repeat", "Pad", "Conv2d", "Conv1d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
           "AdaptiveAvgPool2d", "IndexPut", "BackwardHook", "Piece"]
