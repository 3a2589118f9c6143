"""Tensor and numpy's protocols: what `np.tanh(t)`, `np.sum(t, axis=0)` and `np.array(t)` do.

A mixin of `Tensor` (autograd/tensor.py), kept in its own file so that each file stays one
concept. numpy hands a function call on a Tensor to the Tensor (`__array_ufunc__` for ufuncs such
as np.tanh and `+`, `__array_function__` for the rest, NEP 13 and NEP 18), and asks it for an
array through `__array__`. The rule, so that no numpy habit gives a silently wrong gradient:

- A numpy function with a circuitgrad op (the tables `UFUNCS` and `FUNCTIONS` below) runs that op
  with numpy's arguments (`np.sum(t, axis=0, keepdims=True)` is `t.sum(0, keepdim=True)`) and
  returns a Tensor, whether or not the tensor requires grad: the graph is kept.
- A function that only looks at the numbers (`np.allclose`, `np.argmax`, `np.shape`, `np.copy`,
  the `INSPECT` set) runs on the data and returns numpy's result: there is no gradient to lose.
- Any other numpy function (np.fft.fft, np.arctan2, np.prod, ...) of a tensor that requires grad
  raises TypeError naming what to write instead; of tensors that do not require grad it returns
  numpy's result on their data (an ndarray), as it does for PyTorch's tensors.
- `out=` is refused (TypeError) unless the result can be written exactly: into plain arrays, from
  tensors that do not require grad.
- `__array__` honours numpy 2's `copy=`: `np.array(t)` and `np.copy(t)` are snapshots (copies),
  `np.asarray(t)` shares the tensor's memory (numpy's meaning: no copy unless needed), and
  `np.asarray(t, dtype=other)` or `copy=False` with another dtype copies or raises as numpy does.

Works with numpy >= 1.24 (all three protocols exist there; numpy 1.x never passes `copy=`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import ops as O

_UNSET = object()


def _needs_grad(items: Any) -> bool:
    """Whether any Tensor in `items` (nested in lists, tuples and dicts) requires grad."""
    if isinstance(items, NumpyMethods):
        return items.requires_grad
    if isinstance(items, (list, tuple)):
        return any(_needs_grad(x) for x in items)
    if isinstance(items, dict):
        return any(_needs_grad(x) for x in items.values())
    return False


def _arrays(items: Any) -> Any:
    """`items` with every Tensor replaced by its data array (nested in lists, tuples and dicts)."""
    if isinstance(items, NumpyMethods):
        return items.data
    if isinstance(items, (list, tuple)):
        return type(items)(_arrays(x) for x in items)
    if isinstance(items, dict):
        return {k: _arrays(v) for k, v in items.items()}
    return items


def _name(func: Any) -> str:
    module = getattr(func, "__module__", None) or "numpy"
    module = "np" if module == "numpy" or module.startswith("numpy._core") or module.startswith("numpy.core") \
        else module.replace("numpy.", "np.")
    return f"{module}.{func.__name__}"


def _refuse(op: str, **given: Any) -> None:
    """TypeError for a numpy keyword that circuitgrad's op cannot honour exactly (out=, dtype=, where=)."""
    for key, value in given.items():
        if value is not None and value is not _UNSET and value is not np._NoValue:
            hint = {"out": "use the returned Tensor (y = np.f(t)); circuitgrad does not write results into arrays "
                           "it does not own",
                    "dtype": "cast the tensor first (t.to(np.float32)) or the result after",
                    }.get(key, "call the Tensor method instead")
            raise TypeError(f"{op}: {key}= is not supported on a Tensor ({hint})")


def _axis(axis: Any) -> Any:
    """numpy's axis as a Tensor method's dim: None, an int or a tuple; () stays () (reduce nothing)."""
    if isinstance(axis, list):
        return tuple(axis)
    return axis


class NumpyMethods:
    """numpy's three protocols for `Tensor`: functions of tensors keep the graph, or raise."""

    __slots__ = ()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The data for numpy: the array itself (`np.asarray(t)` shares memory), a copy for
        `copy=True` (`np.array(t)`, `np.copy(t)`: snapshots), a cast copy for another dtype.
        ValueError for `copy=False` when a copy is needed (numpy's rule).

        For a tensor that requires grad the shared array is read-only: writing into it would change
        numbers a backward pass may use without a word (PyTorch refuses `np.asarray` of such a
        tensor altogether; circuitgrad lets it be read). Write through `t.detach().numpy()`, or
        in place under `no_grad()`."""
        data = self.data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(f"__array__: a Tensor of dtype {data.dtype} cannot be viewed as {np.dtype(dtype)} "
                                 "without a copy (copy=False); pass copy=None or True")
            return data.astype(dtype)
        if copy:
            return data.copy()
        if self.requires_grad:
            view = data.view()
            view.flags.writeable = False
            return view
        return data

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.pop("out", None)
        if out is not None:  # numpy gives `out` as a tuple, and leaves it out when it is all None
            return _into(ufunc, method, inputs, out, kwargs)
        name = f"np.{ufunc.__name__}" if method == "__call__" else f"np.{ufunc.__name__}.{method}"
        op = UFUNCS.get(ufunc) if method == "__call__" else None
        if op is not None:
            _refuse(name, **kwargs)
            like = next(x for x in inputs if isinstance(x, NumpyMethods))
            return op(*(like._lift(name, x) for x in inputs))
        if ufunc in INSPECT_UFUNCS and method == "__call__":
            return getattr(ufunc, method)(*_arrays(inputs), **kwargs)
        return _elsewhere(name, lambda: getattr(ufunc, method)(*_arrays(inputs), **kwargs), inputs,
                          HINTS.get(ufunc.__name__ if method == "__call__" else method))

    def __array_function__(self, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
        handler = FUNCTIONS.get(func)
        if handler is not None:
            return handler(self, *args, **kwargs)
        if func in INSPECT:
            return func(*_arrays(args), **_arrays(kwargs))
        return _elsewhere(_name(func), lambda: func(*_arrays(args), **_arrays(kwargs)), (args, kwargs),
                          HINTS.get(func.__name__))


def _elsewhere(name: str, run: Callable, inputs: Any, hint: Any) -> Any:
    """A numpy function with no circuitgrad op: numpy's result for tensors without grad, else TypeError."""
    if _needs_grad(inputs):
        instead = f"write it with Tensor ops ({hint})" if hint else "circuitgrad has no op for it"
        raise TypeError(f"{name} does not keep circuitgrad's graph: {instead} to get a gradient, or call it on "
                        "t.detach().numpy() for the numbers alone")
    return run()


def _into(ufunc: np.ufunc, method: str, inputs: tuple, out: tuple, kwargs: dict) -> Any:
    """`out=`: written exactly by numpy into plain arrays from tensors without grad; else TypeError.
    This is the path of `w.data -= lr * w.grad`, once per weight a step, so it is one plain loop."""
    for o in out:
        if isinstance(o, NumpyMethods):
            name = _ufunc_name(ufunc, method)
            raise TypeError(f"{name}: out= a Tensor is not supported (numpy would write into its data behind the "
                            f"graph); use the result, y = {name}(...), or an in-place Tensor op")
    arrays = []
    for x in inputs:
        if isinstance(x, NumpyMethods) and not x.requires_grad:
            x = x.data
        elif _needs_grad(x):
            name = _ufunc_name(ufunc, method)
            raise TypeError(f"{name}: out= an array would drop the graph of a tensor that requires grad; "
                            f"use the returned Tensor, y = {name}(...)")
        elif type(x) is not np.ndarray:
            x = _arrays(x)
        arrays.append(x)
    return getattr(ufunc, method)(*arrays, out=out, **kwargs)


def _ufunc_name(ufunc: np.ufunc, method: str) -> str:
    return f"np.{ufunc.__name__}" if method == "__call__" else f"np.{ufunc.__name__}.{method}"


# ---- ufuncs: each numpy ufunc and the Tensor op it is (operands lifted to Tensors first) -----------

def _clip_ufunc(a: Any, low: Any, high: Any) -> Any:
    return _clip(a, low, high)


UFUNCS: dict = {
    np.add: lambda a, b: a + b,
    np.subtract: lambda a, b: a - b,
    np.multiply: lambda a, b: a * b,
    np.true_divide: lambda a, b: a / b,  # np.divide is the same ufunc
    np.power: lambda a, b: a ** b,
    np.negative: lambda a: -a,
    np.positive: lambda a: a.clone(),
    np.matmul: lambda a, b: a @ b,
    np.exp: lambda a: a.exp(),
    np.exp2: lambda a: a.exp2(),
    np.expm1: lambda a: a.expm1(),
    np.log: lambda a: a.log(),
    np.log2: lambda a: a.log2(),
    np.log10: lambda a: a.log10(),
    np.log1p: lambda a: a.log1p(),
    np.sqrt: lambda a: a.sqrt(),
    np.square: lambda a: a.square(),
    np.reciprocal: lambda a: a.reciprocal(),
    np.absolute: lambda a: a.abs(),  # np.abs is the same ufunc
    np.fabs: lambda a: a.abs(),
    np.tanh: lambda a: a.tanh(),
    np.sin: lambda a: a.sin(),
    np.cos: lambda a: a.cos(),
    np.sign: lambda a: a.sign(),
    np.floor: lambda a: a.floor(),
    np.ceil: lambda a: a.ceil(),
    np.rint: lambda a: a.round(),  # both round halves to even
    np.maximum: lambda a, b: a.maximum(b),
    np.minimum: lambda a, b: a.minimum(b),
    np.greater: lambda a, b: a > b,
    np.greater_equal: lambda a, b: a >= b,
    np.less: lambda a, b: a < b,
    np.less_equal: lambda a, b: a <= b,
    np.equal: lambda a, b: a == b,
    np.not_equal: lambda a, b: a != b,
    np.isnan: lambda a: a.isnan(),
}
_CLIP_UFUNC = getattr(getattr(np, "_core", getattr(np, "core", None)), "umath", None)
if _CLIP_UFUNC is not None and isinstance(getattr(_CLIP_UFUNC, "clip", None), np.ufunc):
    UFUNCS[_CLIP_UFUNC.clip] = _clip_ufunc

# Tests on the numbers: no gradient flows through a boolean, so these run on the data.
INSPECT_UFUNCS = {np.isfinite, np.isinf, np.signbit, np.logical_and, np.logical_or, np.logical_not,
                  np.logical_xor}

# What to write instead, for the commonest numpy functions with no circuitgrad op.
HINTS = {
    "sinh": "(t.exp() - (-t).exp()) / 2", "cosh": "(t.exp() + (-t).exp()) / 2", "tan": "t.sin() / t.cos()",
    "logaddexp": "cg.stack([a, b]).logsumexp(0)", "prod": "t.log().sum(dim).exp() for positive entries",
    "norm": "t.norm(p, dim)", "einsum": "t @ u, t * u and .sum(dim)", "tensordot": "t @ u",
    "cbrt": "t.sign() * t.abs() ** (1 / 3)", "moveaxis": "t.permute(...)",
    "reduce": "t.sum(dim), t.amax(dim) or t.amin(dim)", "accumulate": "t.cumsum(dim)",
    "pad": "t.pad(widths), with PyTorch's F.pad order of widths",
}


# ---- numpy functions: each handler takes numpy's arguments and calls the Tensor method ----------

def _lift(like: Any, name: str, x: Any) -> Any:
    return like._lift(name, x)


def _reduction(method: str) -> Callable:
    """np.sum/np.mean/np.max/np.min as `t.<method>(dim, keepdim)`; axis=() reduces nothing (numpy)."""
    def handler(like, a, axis=None, dtype=None, out=None, keepdims=False, initial=_UNSET, where=_UNSET):
        name = f"np.{method.lstrip('a') if method in ('amax', 'amin') else method}"
        _refuse(name, dtype=dtype, out=out, initial=initial, where=where)
        a, axis = _lift(like, name, a), _axis(axis)
        keepdims = bool(keepdims) if keepdims is not np._NoValue else False
        if axis == ():
            return a.clone()
        if axis is None:
            out = getattr(a, method)()
            return out.reshape((1,) * a.ndim) if keepdims else out
        return getattr(a, method)(axis, keepdims)
    return handler


def _mean(like, a, axis=None, dtype=None, out=None, keepdims=False, *, where=_UNSET):
    return _reduction("mean")(like, a, axis, dtype, out, keepdims, _UNSET, where)


def _spread(method: str) -> Callable:
    """np.var/np.std, numpy's default ddof=0 (Tensor.var's default divides by N - 1, PyTorch's)."""
    def handler(like, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_UNSET, mean=_UNSET,
                correction=_UNSET):
        name = f"np.{method}"
        _refuse(name, dtype=dtype, out=out, where=where, mean=mean)
        a, axis = _lift(like, name, a), _axis(axis)
        if correction is not _UNSET and correction is not np._NoValue:
            if ddof != 0:
                raise ValueError(f"{name}: give ddof= or correction=, not both")
            ddof = correction
        if isinstance(ddof, float) and ddof.is_integer():
            ddof = int(ddof)
        keepdims = bool(keepdims) if keepdims is not np._NoValue else False
        if axis == ():
            raise ValueError(f"{name}: axis=() (the spread of each single entry) is not supported on a Tensor")
        return getattr(a, method)(axis, keepdims, correction=ddof)
    return handler


def _reshape(like, a, shape=None, order="C", *, newshape=None, copy=None):
    shape = newshape if shape is None else shape
    if shape is None:
        raise TypeError("np.reshape: give the new shape")
    if order != "C":
        raise TypeError(f"np.reshape: order={order!r} is not supported on a Tensor (circuitgrad reshapes in C order)")
    if copy is False:
        raise TypeError("np.reshape: copy=False is not supported on a Tensor (numpy decides whether it copies)")
    return _lift(like, "np.reshape", a).reshape(shape)


def _ravel(like, a, order="C"):
    if order != "C":
        raise TypeError(f"np.ravel: order={order!r} is not supported on a Tensor")
    return _lift(like, "np.ravel", a).reshape(-1)


def _transpose(like, a, axes=None):
    a = _lift(like, "np.transpose", a)
    return a.T if axes is None else a.permute(tuple(axes))


def _squeeze(like, a, axis=None):
    a = _lift(like, "np.squeeze", a)
    if axis is not None:
        for d in (axis if isinstance(axis, (tuple, list)) else (axis,)):
            if a.shape[O.shape.dim(a, d, "np.squeeze")] != 1:  # numpy refuses; PyTorch leaves the dim
                raise ValueError(f"np.squeeze: dim {d} of shape {a.shape} has size {a.shape[d]}, not 1")
        axis = tuple(axis) if isinstance(axis, list) else axis
    return a.squeeze(axis)


def _expand_dims(like, a, axis):
    a = _lift(like, "np.expand_dims", a)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = a.ndim + len(axes)
    for d in sorted(int(d) % ndim if -ndim <= d < ndim else d for d in axes):
        a = a.unsqueeze(d)
    return a


def _dot(like, a, b, out=None):
    _refuse("np.dot", out=out)
    a, b = _lift(like, "np.dot", a), _lift(like, "np.dot", b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2 or b.ndim == 1:
        return a @ b
    raise TypeError(f"np.dot: for shapes {a.shape} and {b.shape} numpy's dot is not a matrix product; use "
                    "np.matmul / t @ u for batched matrices (or sums of products with .sum(dim))")


def _outer(like, a, b, out=None):
    _refuse("np.outer", out=out)
    a, b = _lift(like, "np.outer", a), _lift(like, "np.outer", b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _parts(like: Any, name: str, arrays: Any) -> list:
    if isinstance(arrays, NumpyMethods) or not isinstance(arrays, (list, tuple)):
        raise TypeError(f"{name}: give a list or tuple of tensors (a Tensor is not split into its rows here)")
    if not arrays:
        raise ValueError(f"{name}: needs at least one array")
    return [_lift(like, name, x) for x in arrays]


def _concatenate(like, arrays, axis=0, out=None, *, dtype=None, casting=_UNSET):
    _refuse("np.concatenate", out=out, dtype=dtype, casting=casting)
    parts = _parts(like, "np.concatenate", arrays)
    if axis is None:
        parts, axis = [p.reshape(-1) for p in parts], 0
    first = parts[0]
    if first.ndim == 0:
        raise ValueError("np.concatenate: zero-dimensional arrays cannot be concatenated")
    d = O.shape.dim(first, axis, "np.concatenate")
    for p in parts:
        if p.ndim != first.ndim or any(n != m for i, (n, m) in enumerate(zip(p.shape, first.shape)) if i != d):
            raise ValueError(f"np.concatenate: shapes {[q.shape for q in parts]} do not join along axis {axis}")
    return first.apply(O.Cat, *parts, ctx=d)


def _stack(like, arrays, axis=0, out=None, *, dtype=None, casting=_UNSET):
    _refuse("np.stack", out=out, dtype=dtype, casting=casting)
    parts = _parts(like, "np.stack", arrays)
    if len({p.shape for p in parts}) != 1:
        raise ValueError(f"np.stack: all input arrays must have the same shape, got {[p.shape for p in parts]}")
    n = parts[0].ndim + 1
    if not -n <= axis < n:
        raise IndexError(f"np.stack: axis {axis} is out of bounds for the result's {n} dims")
    return parts[0].apply(O.Stack, *parts, ctx=axis % n)


def _where(like, condition, x=_UNSET, y=_UNSET):
    if x is _UNSET and y is _UNSET:  # np.where(cond) is np.nonzero(cond): indices, no gradient
        return np.where(_arrays(condition))
    if x is _UNSET or y is _UNSET:
        raise TypeError("np.where: give the condition alone, or the condition, x and y")
    cond = np.asarray(_arrays(condition))
    if cond.dtype != bool:
        cond = cond.astype(bool)  # numpy's truth of each entry
    x, y = _lift(like, "np.where", x), _lift(like, "np.where", y)
    try:
        shape = np.broadcast_shapes(cond.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(f"np.where: shapes {cond.shape}, {x.shape} and {y.shape} do not broadcast") from None
    return x.apply(O.Where, x, y, ctx=np.broadcast_to(cond, shape))


def _clip(a: Any, low: Any, high: Any) -> Any:
    bounds = []
    for b in (low, high):
        if b is None or b is np._NoValue or b is _UNSET:
            bounds.append(None)
        elif np.ndim(_arrays(b)) == 0 and not isinstance(b, NumpyMethods):
            bounds.append(float(b))
        else:
            raise TypeError("np.clip: array bounds are not supported on a Tensor; use t.maximum(low).minimum(high), "
                            "or numbers for the bounds")
    return a.clip(*bounds)


def _clip_function(like, a, a_min=_UNSET, a_max=_UNSET, out=None, *, min=_UNSET, max=_UNSET, **kwargs):
    _refuse("np.clip", out=out, **kwargs)
    low = min if a_min is _UNSET or a_min is np._NoValue else a_min
    high = max if a_max is _UNSET or a_max is np._NoValue else a_max
    return _clip(_lift(like, "np.clip", a), low, high)


def _cumsum(like, a, axis=None, dtype=None, out=None):
    _refuse("np.cumsum", dtype=dtype, out=out)
    a = _lift(like, "np.cumsum", a)
    return a.reshape(-1).cumsum(0) if axis is None else a.cumsum(axis)


def _flip(like, m, axis=None):
    m = _lift(like, "np.flip", m)
    if axis is None:
        return m.flip(tuple(range(m.ndim))) if m.ndim else m.clone()
    return m.flip(axis)


def _tril(like, m, k=0):
    return _lift(like, "np.tril", m).tril(k)


def _triu(like, m, k=0):
    return _lift(like, "np.triu", m).triu(k)


def _tile(like, A, reps):
    A = _lift(like, "np.tile", A)
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    return A.repeat((1,) * (A.ndim - len(reps)) + reps)


def _round(like, a, decimals=0, out=None):
    _refuse("np.round", out=out)
    return _lift(like, "np.round", a).round(decimals)


def _broadcast_to(like, array, shape, subok=False):
    return _lift(like, "np.broadcast_to", array).broadcast_to(shape)


def _swapaxes(like, a, axis1, axis2):
    return _lift(like, "np.swapaxes", a).swapaxes(axis1, axis2)


def _copy(like, a, order="K", subok=False):
    """A snapshot of the numbers (numpy's copy, an ndarray): later in-place steps do not change it."""
    return np.copy(_arrays(a), order=order)


FUNCTIONS: dict = {
    np.sum: _reduction("sum"), np.mean: _mean, np.amax: _reduction("amax"), np.amin: _reduction("amin"),
    np.max: _reduction("amax"), np.min: _reduction("amin"), np.var: _spread("var"), np.std: _spread("std"),
    np.reshape: _reshape, np.ravel: _ravel, np.transpose: _transpose, np.swapaxes: _swapaxes,
    np.squeeze: _squeeze, np.expand_dims: _expand_dims, np.broadcast_to: _broadcast_to,
    np.dot: _dot, np.outer: _outer, np.concatenate: _concatenate, np.stack: _stack, np.where: _where,
    np.clip: _clip_function, np.cumsum: _cumsum, np.flip: _flip, np.tril: _tril, np.triu: _triu,
    np.tile: _tile, np.round: _round, np.around: _round, np.copy: _copy,
}

# Functions that only look at the numbers (or the shape): no gradient to lose, numpy's answer.
INSPECT = {np.allclose, np.isclose, np.array_equal, np.array_equiv, np.shape, np.ndim, np.size,
           np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero, np.count_nonzero,
           np.any, np.all, np.array2string, np.array_repr, np.array_str, np.may_share_memory,
           np.shares_memory, np.iscomplexobj, np.isrealobj, np.result_type, np.zeros_like, np.ones_like,
           np.empty_like, np.full_like, np.save, np.savez, np.savetxt, np.searchsorted}
