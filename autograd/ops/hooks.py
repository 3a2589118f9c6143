"""The identity whose backward calls hooks: how a module's full backward hooks see the gradients
reaching its output and leaving through its inputs (PyTorch's `BackwardHookFunction`).

`nn.Module` passes a hooked module's inputs, and then its outputs, through `BackwardHook`. The
forward changes no number; the backward hands the gradients that arrived to `ctx` (a function
that runs the hooks) and sends on what it returns: the same gradients, or the hooks'
replacements. The chain-rule loop knows nothing of hooks: they are one more gate in the graph.

A hook sees the gradients of all the module's inputs (or outputs) at once, and a node has one
result, so several tensors go through one node as one flat array, and `Piece` cuts each back
out in its own shape and dtype (for one tensor there is no flat array and no piece). A piece's
backward also tells `ctx` that its tensor was reached, so a hook sees None, as in PyTorch, for
an output the loss does not use.
"""
from __future__ import annotations

import math

import numpy as np

from ..graph import Node, Op
from .maths import call
from .shape import Pad


class BackwardHook(Op):
    name = "backward_hook"
    derivative = "each input: the hooks' replacement for its part of grad, else that part unchanged"
    # PyTorch refuses an in-place change of what this op returns (its result is its input, as is);
    # `tensor_inplace.py` reads this flag and raises PyTorch's error.
    forbids_inplace = True

    @staticmethod
    def forward(on_grads, *xs):
        if len(xs) == 1:
            return xs[0]  # as is: the same memory, as PyTorch returns the input itself
        return np.concatenate([x.ravel() for x in xs])  # one flat array; `Piece`s cut it up again

    @staticmethod
    def backward(on_grads, grad, out, *xs):
        if len(xs) == 1:
            return tuple(on_grads((grad,)))
        parts, start = [], 0
        for x in xs:
            shape = x.data.shape if isinstance(x, Node) else x.shape
            n = math.prod(shape)
            part = grad[start:start + n].reshape(shape)
            parts.append(part if part.dtype == x.dtype else part.astype(x.dtype))  # the flat array's dtype was promoted
            start += n
        return tuple(on_grads(tuple(parts)))


class Piece(Op):
    name = "piece"
    derivative = "flat: grad in this piece's place of the flat array, zeros elsewhere"
    forbids_inplace = True  # as BackwardHook's result: PyTorch's pieces are views of the inputs

    @staticmethod
    def label(out) -> str:
        return f"piece {out.ctx[1]}"

    @staticmethod
    def forward(ctx, flat):
        reached, i, start, shape, dtype = ctx
        return flat[start:start + math.prod(shape)].reshape(shape).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, grad, out, flat):
        reached, i, start, shape, dtype = ctx
        reached(i)  # this tensor's gradient is part of the pass (before BackwardHook's backward runs)
        size = (flat.data if isinstance(flat, Node) else flat).size
        n = math.prod(shape)
        return (call(Pad, (((start, size - start - n),), 0.0), grad.reshape(-1)),)
