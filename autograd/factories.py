"""Tensor factories with PyTorch's names and arguments: `zeros(2, 3)`, `ones_like(x)`,
`arange(0, 1, 0.25)`, `randn(4, 3, requires_grad=True)`, `tensor([[1, 2], [3, 4]])`.

Dtypes as PyTorch's: `tensor([1, 2])`, `arange(5)`, `randint` and `randperm` are int64,
`tensor([True])` bool, floats the default float dtype (`dtypes.py`). Differences from PyTorch, on
purpose:
- the default float dtype is float64 (circuitgrad's, so that finite-difference checks are exact),
  not PyTorch's float32; pass `dtype=cg.float32` (or call `cg.set_default_dtype(cg.float32)`)
  to match PyTorch.
- `rand`/`randn`/`randint`/`randperm` draw from circuitgrad's random state, numpy's global one
  (`cg.manual_seed(s)` or `np.random.seed(s)` makes them reproducible, as for `nn.Linear`'s
  weights and dropout masks; see autograd/random.py) unless given `generator=`: a
  `np.random.Generator` or an int seed. The numbers differ from PyTorch's for the same seed.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional, Union

import numpy as np

from . import dtypes
from .graph import Node
from .random import source as _source
from .tensor import Tensor, _as_array, _check_requires_grad
from .checks import is_float_dtype, is_int, real

Size = Union[int, tuple, list]


def _dtype(op: str, dtype: Any, default: Any = None, floats: bool = False) -> np.dtype:
    """`dtype` as a numpy dtype (the default float dtype for None); `floats`: only a float dtype
    will do (random draws), else TypeError as PyTorch's "not implemented for 'Long'"."""
    kind = dtypes.as_dtype(op, dtypes.get_default_dtype() if dtype is None and default is None else
                           default if dtype is None else dtype)
    if floats and not is_float_dtype(kind):
        raise TypeError(f"{op}: dtype must be a float dtype (float16, float32, float64), got {kind}")
    return kind


def _size(op: str, size: tuple) -> tuple:
    """`zeros(2, 3)` or `zeros((2, 3))` as the shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not is_int(n):
            raise TypeError(f"{op}: sizes must be ints, got {type(n).__name__} {n!r} in {size!r}")
        if n < 0:
            raise ValueError(f"{op}: sizes must be >= 0, got {size!r}")
    return tuple(int(n) for n in size)


def _leaf(op: str, array: np.ndarray, requires_grad: Any) -> Tensor:
    _check_requires_grad(op, requires_grad, array)
    return Tensor(array, requires_grad=requires_grad, dtype=array.dtype)


def _number(op: str, name: str, value: Any) -> float:
    real(op, name, value)  # TypeError for what is not a real number (True is not one)
    return value  # as given: arange keeps whole numbers whole


def _like(op: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    return input


# ---- filled -------------------------------------------------------------------------------------

def zeros(*size: Size, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _leaf("zeros", np.zeros(_size("zeros", size), _dtype("zeros", dtype)), requires_grad)


def ones(*size: Size, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _leaf("ones", np.ones(_size("ones", size), _dtype("ones", dtype)), requires_grad)


def full(size: Size, fill_value: float, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` (a tuple, as PyTorch) filled with `fill_value`; its dtype follows the
    value's kind as PyTorch's (`full((2,), 7)` is int64, `full((2,), True)` bool) unless given."""
    shape = _size("full", size if isinstance(size, (tuple, list)) else (size,))
    if not isinstance(fill_value, bool):
        _number("full", "fill_value", fill_value)
    kind = _dtype("full", dtype, np.asarray(fill_value).dtype if isinstance(fill_value, (bool, numbers.Integral))
                  else None)
    return _leaf("full", np.full(shape, fill_value, kind), requires_grad)


def eye(n: int, m: Optional[int] = None, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (n x n by default)."""
    rows, = _size("eye", (n,))
    cols = rows if m is None else _size("eye", (m,))[0]
    return _leaf("eye", np.eye(rows, cols, dtype=_dtype("eye", dtype)), requires_grad)


def arange(start: float, end: Optional[float] = None, step: float = 1, *, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to but not including end; `arange(n)` is 0 .. n-1, int64 when
    every argument is an int (as PyTorch), else the default float dtype."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number("arange", k, v) for k, v in (("start", start), ("end", end), ("step", step)))
    if step == 0:
        raise ValueError("arange: step must not be 0")
    if (end - start) * step < 0:
        raise ValueError(f"arange: end {end} cannot be reached from start {start} with step {step}")
    whole = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    kind = _dtype("arange", dtype, np.int64 if whole else None)
    return _leaf("arange", np.arange(start, end, step, dtype=kind), requires_grad)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced numbers from start to end, both included."""
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    n, = _size("linspace", (steps,))
    return _leaf("linspace", np.linspace(start, end, n, dtype=_dtype("linspace", dtype)), requires_grad)


def tensor(data: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of `data` (numbers, nested lists, an array or a Tensor).

    The dtype is inferred as PyTorch's: bools give a bool tensor, ints int64, floats the default
    float dtype; an array or Tensor keeps its dtype. Raises TypeError for requires_grad=True on an
    integer or bool tensor (only float tensors have gradients)."""
    if isinstance(data, Node):
        if not isinstance(data, Tensor):
            _as_array("tensor", data)  # raises, naming the Value
        data = data.data
    kind = None if dtype is None else _dtype("tensor", dtype)
    return _leaf("tensor", _as_array("tensor", data, kind, keep_kind=True), requires_grad)  # Tensor copies it


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares `array`'s memory and dtype (changing one changes the other), as
    `torch.from_numpy`. Raises TypeError for what is not a numpy array of numbers or bools."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: can't convert an array of dtype {array.dtype}; the only supported kinds "
                        "are float, integer and bool")
    return Tensor._constant(array)


# ---- random ------------------------------------------------------------------------------------

def rand(*size: Size, generator: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), from numpy's global RNG or `generator` (see the module docstring)."""
    shape, kind = _size("rand", size), _dtype("rand", dtype, floats=True)
    rng = _source("rand", generator)
    draw = rng.random(shape) if isinstance(rng, np.random.Generator) else rng.random_sample(shape)
    return _leaf("rand", np.asarray(draw).astype(kind), requires_grad)


def randn(*size: Size, generator: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal, from numpy's global RNG or `generator` (see the module docstring)."""
    shape, kind = _size("randn", size), _dtype("randn", dtype, floats=True)
    draw = _source("randn", generator).standard_normal(shape)
    return _leaf("randn", np.asarray(draw).astype(kind), requires_grad)


def _int_dtype(op: str, dtype: Any) -> np.dtype:
    kind = np.dtype(np.int64 if dtype is None else dtype)
    if kind.kind not in "iu":
        raise TypeError(f"{op}: dtype must be an integer dtype (int64 by default), got {kind}")
    return kind


def _integers(rng: Any, low: int, high: int, shape: tuple) -> np.ndarray:
    if isinstance(rng, np.random.Generator):
        return rng.integers(low, high, shape)
    return rng.randint(low, high, shape)


def randint(low: int, high: Optional[int] = None, size: Optional[Size] = None, *, generator: Any = None,
            dtype: Any = None) -> Tensor:
    """Whole numbers drawn uniformly from [low, high) (`randint(high, size)` starts at 0), as
    torch.randint: an int64 Tensor (see the module docstring). ValueError for high <= low."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: give the size, randint(high, size) or randint(low, high, size)")
        low, high, size = 0, low, high
    low, high = (int(_number("randint", k, v)) for k, v in (("low", low), ("high", high)))
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be above low ({low})")
    shape = _size("randint", tuple(size) if isinstance(size, (tuple, list)) else (size,))
    draw = _integers(_source("randint", generator), low, high, shape)
    return Tensor._constant(np.asarray(draw).astype(_int_dtype("randint", dtype)))


def randperm(n: int, *, generator: Any = None, dtype: Any = None) -> Tensor:
    """The numbers 0 .. n-1 in a random order, as torch.randperm: an int64 Tensor."""
    count, = _size("randperm", (n,))
    order = _source("randperm", generator).permutation(count).astype(_int_dtype("randperm", dtype))
    return Tensor._constant(order)


def multinomial(input: Any, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
    """Indices drawn from the categorical distribution(s) whose weights are `input`, as
    torch.multinomial: `input` (k,) gives (num_samples,) indices, (n, k) gives (n, num_samples), an
    int64 Tensor. The weights need not sum to 1; without `replacement` an index is drawn at most
    once. From circuitgrad's random state (`cg.manual_seed`), or `generator`. Raises ValueError for
    negative or non-finite weights, a row of zeros, or more samples than nonzero weights without
    replacement."""
    weights = np.asarray(input.data if isinstance(input, Node) else input, dtype=np.float64)
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ValueError(f"multinomial: input must be weights of shape (k,) or (n, k), got shape {weights.shape}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("multinomial: weights must be finite and >= 0 (probabilities, or scores after softmax)")
    if not is_int(num_samples) or num_samples < 1:
        raise ValueError(f"multinomial: num_samples must be an int >= 1, got {num_samples!r}")
    rows = weights.reshape(-1, weights.shape[-1])
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError("multinomial: a row of weights sums to 0; nothing can be drawn from it")
    if not replacement and num_samples > int((rows > 0).sum(axis=1).min()):
        raise ValueError(f"multinomial: {num_samples} samples without replacement, but a row has only "
                         f"{int((rows > 0).sum(axis=1).min())} nonzero weights (pass replacement=True)")
    rng = _source("multinomial", generator)
    uniform = rng.random if isinstance(rng, np.random.Generator) else rng.random_sample
    out = np.empty((rows.shape[0], int(num_samples)), dtype=np.int64)
    for r, row in enumerate(rows):
        left = row.copy()
        for j in range(int(num_samples)):
            cumulative = np.cumsum(left)
            # the first index whose running total passes a uniform draw scaled to the total
            pick = int(np.searchsorted(cumulative, uniform() * cumulative[-1], side="right"))
            if pick >= row.size:  # the draw rounded up to the total: the last index that has weight
                pick = int(np.flatnonzero(left)[-1])
            out[r, j] = pick
            if not replacement:
                left[out[r, j]] = 0.0
    return Tensor._constant(out.reshape(weights.shape[:-1] + (int(num_samples),)))


# ---- shaped like another tensor (its dtype unless dtype= is given) ------------------------------

def zeros_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    x = _like("zeros_like", input)
    return zeros(x.shape, dtype=_dtype("zeros_like", dtype, x.dtype), requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    x = _like("ones_like", input)
    return ones(x.shape, dtype=_dtype("ones_like", dtype, x.dtype), requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: float, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    x = _like("full_like", input)
    return full(x.shape, fill_value, dtype=_dtype("full_like", dtype, x.dtype), requires_grad=requires_grad)


def rand_like(input: Tensor, *, generator: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    x = _like("rand_like", input)
    return rand(x.shape, generator=generator, dtype=_dtype("rand_like", dtype, x.dtype), requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    x = _like("randn_like", input)
    return randn(x.shape, generator=generator, dtype=_dtype("randn_like", dtype, x.dtype),
                 requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: Optional[int] = None, *, generator: Any = None,
                 dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Whole numbers from [low, high) in a tensor of input's shape and (float) dtype, as
    torch.randint_like; `randint_like(x, high)` starts at 0."""
    x = _like("randint_like", input)
    if high is None:
        low, high = 0, low
    draw = randint(low, high, x.shape, generator=generator).data
    return _leaf("randint_like", draw.astype(_dtype("randint_like", dtype, x.dtype)), requires_grad)


__all__ = ["zeros", "ones", "full", "eye", "arange", "linspace", "tensor", "from_numpy", "rand", "randn",
           "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "randint", "randperm", "randint_like",
           "multinomial"]
