"""Functions over several tensors (`cat`, `stack`, `where`) and function-style spellings of
the methods (`exp(x)` for `x.exp()`), which work on a `Value` and a `Tensor` alike."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import ops as O
from .graph import Node
from .tensor import Tensor, tensors


def cat(items: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis; each gets its slice of the gradient back."""
    parts = tensors(items, "cat")
    if not parts:
        raise ValueError("cat: needs at least one tensor")
    first = parts[0]
    ok = first.ndim > 0 and -first.ndim <= axis < first.ndim and all(
        p.ndim == first.ndim and all(n == m for i, (n, m) in enumerate(zip(p.shape, first.shape))
                                     if i != axis % first.ndim) for p in parts)
    if not ok:
        raise ValueError(f"cat: cannot join shapes {[p.shape for p in parts]} along axis {axis}")
    return Tensor.apply(O.Cat, *parts, ctx=axis % parts[0].ndim)


def stack(items: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    parts = tensors(items, "stack")
    if not parts:
        raise ValueError("stack: needs at least one tensor")
    shapes = {p.shape for p in parts}
    if len(shapes) != 1 or not -parts[0].ndim - 1 <= axis <= parts[0].ndim:
        raise ValueError(f"stack: cannot stack shapes {[p.shape for p in parts]} along axis {axis}: "
                         "all must have one shape and the axis must fit it")
    return Tensor.apply(O.Stack, *parts, ctx=axis % (parts[0].ndim + 1))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Entries of `a` where `condition` holds, else of `b`; the gradient follows the choice."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    x, y = tensors((a, b), "where")
    # A Python number takes the other operand's dtype, as in `t + 1`: float32 stays float32.
    if isinstance(a, Tensor) and isinstance(b, (int, float)):
        y = a._lift("where", b)
    elif isinstance(b, Tensor) and isinstance(a, (int, float)):
        x = b._lift("where", a)
    try:
        shape = np.broadcast_shapes(cond.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {x.shape} and {y.shape} do not broadcast") from None
    return Tensor.apply(O.Where, x, y, ctx=np.broadcast_to(cond, shape))


def _method(name: str):
    def function(x: Node, *args: Any, **kwargs: Any) -> Node:
        if not isinstance(x, Node):
            raise TypeError(f"{name}: expected a Value or a Tensor, got {type(x).__name__}")
        return getattr(x, name)(*args, **kwargs)
    function.__name__ = name
    function.__doc__ = f"`x.{name}(...)` for a Value or a Tensor."
    return function


exp = _method("exp")
log = _method("log")
sqrt = _method("sqrt")
tanh = _method("tanh")
sigmoid = _method("sigmoid")
relu = _method("relu")
leaky_relu = _method("leaky_relu")
selu = _method("selu")
step = _method("step")
softmax = _method("softmax")
log_softmax = _method("log_softmax")
