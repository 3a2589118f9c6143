"""Item assignment as an op: `x[index] = v` records the result "x with the entries at `index` replaced by v".

PyTorch calls it `index_put_`. The assignment is what `Tensor.__setitem__`, `fill_`, `copy_`,
`zero_`, `normal_` and `uniform_` record when they change a tensor in the graph (see
`tensor_inplace.py`): the entries that were overwritten no longer depend on the old x, so their
gradient goes to v instead.

    out = x with out[index] = v
    dx  = grad with 0 at index        (the old entries there were thrown away)
    dv  = grad[index], summed to v's shape (v was broadcast over x[index])
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Op
from .maths import is_node, sum_to
from .shape import Index, _show


class IndexPut(Op):
    name = "[]="
    derivative = "x: grad with 0 at index;  v: grad[index], summed to v's shape"

    @staticmethod
    def label(out) -> str:
        return f"[{_show(out.ctx)}]="

    @staticmethod
    def forward(index, x, v):
        out = x.copy()
        try:
            out[index] = v
        except IndexError as e:
            raise IndexError(f"[]=: index {_show(index)} does not fit a tensor of shape {x.shape}: {e}") from None
        except ValueError:
            raise ValueError(f"[]=: a value of shape {np.shape(v)} cannot be broadcast to the indexed part "
                             f"x[{_show(index)}] of shape {x[index].shape}") from None
        return out

    @staticmethod
    def backward(index, grad, out, x, v):
        if is_node(grad):  # create_graph: the same two formulas, recorded with the graph's ops
            T = type(grad)
            gx = T.apply(IndexPut, grad, T._constant_like(np.zeros((), grad.data.dtype)), ctx=index)
            return gx, _to_shape(T.apply(Index, grad, ctx=index), v.shape)
        gx = grad.copy()
        gx[index] = 0
        return gx, _to_shape(np.array(grad[index]), v.shape)


def _to_shape(g: Any, shape: tuple) -> Any:
    """The gradient of x[index] summed back to v's shape (numpy also lets v have extra leading 1-dims)."""
    if g.shape == shape:
        return g
    extra = max(len(shape) - len(g.shape), 0)
    g = sum_to(g, shape[extra:])
    return g.reshape(shape) if extra else g
