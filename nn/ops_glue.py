"""Record an op written in the op-table convention on whichever engine is installed.

The conv and pooling ops in `autograd/ops/conv.py` and `pool.py` are written as the op table
wants them: `forward(ctx, *arrays)` and `backward(ctx, grad, out, *arrays)`. The engine this
branch started from calls `backward(out_node, grad)` instead; `apply` bridges the two until
the op table is merged, and then simply calls `Tensor.apply`.
"""
from __future__ import annotations

from typing import Any

from circuitgrad.autograd import Tensor
from circuitgrad.autograd.graph import Op

_adapted: dict = {}


def _adapter(op: type) -> type:
    if op not in _adapted:
        def backward(out, grad):
            return op.backward(out.ctx, grad, out.data, *[p.data for p in out.parents])

        _adapted[op] = type(op.__name__, (Op,), {"name": op.name, "derivative": getattr(op, "derivative", ""),
                                                 "forward": staticmethod(op.forward),
                                                 "backward": staticmethod(backward)})
    return _adapted[op]


def apply(op: type, *operands: Tensor, ctx: Any = None) -> Tensor:
    """`op` applied to the operands as one node of the graph."""
    if hasattr(Tensor, "apply"):  # the op-table engine
        return Tensor.apply(op, *operands, ctx=ctx)
    return Tensor._apply(_adapter(op), *operands, ctx=ctx)
