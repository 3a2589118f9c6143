"""Functions over several tensors (`cat`, `stack`, `where`, `maximum`, `minimum`) and
function-style spellings of the methods (`exp(x)` for `x.exp()`, `gelu(x)` for `x.gelu()`, as
`torch.exp` and `torch.nn.functional.gelu`), which work on whatever has the method: the
elementwise basics on a `Value` and a `Tensor` alike, the rest on a `Tensor`."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from . import ops as O
from .dtypes import promote
from .graph import Node
from .ops.shape import dim as check_dim
from .tensor import Tensor
from .tensor import tensors as tensors_of
from .checks import is_int


def _join_dim(op: str, dim: Any, axis: Any) -> int:
    if axis is not None:
        if dim != 0:
            raise TypeError(f"{op}: give dim= or axis=, not both")
        dim = axis
    if not is_int(dim):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    return int(dim)


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: Optional[int] = None) -> Tensor:
    """Join tensors along an existing dim (`dim=`, or numpy's `axis=`); each gets its slice of the
    gradient back. The dtype is the promoted one of the parts (int with float is float). Raises
    IndexError for a dim out of range, ValueError for shapes that differ off that dim."""
    d = _join_dim("cat", dim, axis)
    parts = tensors_of(tensors, "cat")
    if not parts:
        raise ValueError("cat: needs at least one tensor")
    first = parts[0]
    if first.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated (use stack)")
    a = check_dim(first, d, "cat")
    ok = all(p.ndim == first.ndim and all(n == m for i, (n, m) in enumerate(zip(p.shape, first.shape)) if i != a)
             for p in parts)
    if not ok:
        raise ValueError(f"cat: cannot join shapes {[p.shape for p in parts]} along dim {d}")
    return Tensor.apply(O.Cat, *_same_dtype(parts), ctx=a)


def stack(tensors: Sequence[Any], dim: int = 0, *, axis: Optional[int] = None) -> Tensor:
    """Join same-shaped tensors along a new dim (`dim=` or `axis=`). Raises IndexError for a dim
    out of range, ValueError for shapes that differ."""
    d = _join_dim("stack", dim, axis)
    parts = tensors_of(tensors, "stack")
    if not parts:
        raise ValueError("stack: needs at least one tensor")
    if len({p.shape for p in parts}) != 1:
        raise ValueError(f"stack: cannot stack shapes {[p.shape for p in parts]}: all must have one shape")
    return Tensor.apply(O.Stack, *_same_dtype(parts), ctx=check_dim(parts[0], d, "stack", extra=1))


def _same_dtype(parts: tuple) -> tuple:
    """The parts in one dtype, PyTorch's promotion of them all (float parts keep numpy's rule)."""
    kinds = {p.data.dtype for p in parts}
    if len(kinds) == 1 or all(k.kind == "f" for k in kinds):
        return parts
    dtype = parts[0].data.dtype
    for p in parts[1:]:
        dtype = promote(np.empty((1,), dtype), p.data)
    return tuple(p if p.data.dtype == dtype else p._cast("cat", dtype) if p.requires_grad
                 else Tensor._constant(p.data.astype(dtype)) for p in parts)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Entries of `a` where `condition` holds, else of `b`; the gradient follows the choice."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if cond.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {cond.dtype}")
    # The two branches in one dtype, PyTorch's promotion as in `a + b`: a Python number takes the
    # tensor's dtype when it fits (float32 stays float32), an int tensor with 0.5 becomes float.
    if isinstance(a, Tensor):
        x, y = a._pair("where", b)
    elif isinstance(b, Tensor):
        y, x = b._pair("where", a)
    else:
        x, y = tensors_of((a, b), "where")
    try:
        shape = np.broadcast_shapes(cond.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {x.shape} and {y.shape} do not broadcast") from None
    return Tensor.apply(O.Where, x, y, ctx=np.broadcast_to(cond, shape))


def maximum(input: Any, other: Any) -> Tensor:
    """The larger entry of the two, broadcasting (torch.maximum); a tie gives each half the gradient."""
    return _tensor(input, "maximum").maximum(other)


def minimum(input: Any, other: Any) -> Tensor:
    """The smaller entry of the two, broadcasting (torch.minimum); a tie gives each half the gradient."""
    return _tensor(input, "minimum").minimum(other)


def _tensor(x: Any, op: str) -> Tensor:
    return x if isinstance(x, Tensor) else tensors_of((x,), op)[0]


def _method(name: str):
    def function(x: Node, *args: Any, **kwargs: Any) -> Node:
        if not isinstance(x, Node):
            raise TypeError(f"{name}: expected a Value or a Tensor, got {type(x).__name__}")
        method = getattr(x, name, None)
        if method is None:
            raise TypeError(f"{name}: works on a Tensor, not on a {type(x).__name__}")
        return method(*args, **kwargs)
    function.__name__ = name
    function.__doc__ = f"`x.{name}(...)`: the method of that name of a Tensor (or a Value, where it has one)."
    return function


# Every registered op by its name (`exp(x)`, `erf(x)`, `gelu(x)`), derived from the op table
# (`@register` in autograd/ops/); an op registered after this module loaded is found by
# __getattr__ below.
globals().update({name: _method(name) for name in O.registry.names()})


def __getattr__(name: str) -> Any:
    if name in O.registry.registered():
        return _method(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The methods that are not an op of their own (softmax takes its axis; clamp is clip; relu6 is hardtanh).
softmax, log_softmax = _method("softmax"), _method("log_softmax")
clamp, cumsum, flip, tril, triu = (_method(n) for n in ("clamp", "cumsum", "flip", "tril", "triu"))
relu6, pad = _method("relu6"), _method("pad")

# ---- PyTorch's functions of one tensor along dims (`torch.sum(x, 1)`, `torch.max(x, 1)`) ------------

sum, mean, amax, amin = (_method(n) for n in ("sum", "mean", "amax", "amin"))  # noqa: A001
argmax, argmin, sort, argsort, topk = (_method(n) for n in ("argmax", "argmin", "sort", "argsort", "topk"))
matmul, mm, logsumexp, norm = (_method(n) for n in ("matmul", "mm", "logsumexp", "norm"))
max, min = _method("max"), _method("min")  # noqa: A001  (torch.max(x), torch.max(x, dim), torch.max(a, b))
