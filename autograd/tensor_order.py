"""Tensor's methods that pick entries by their order: `max`/`min` along a dim with the indices,
`argmax`/`argmin`, `sort`, `argsort`, `topk`.

A mixin of `Tensor` (autograd/tensor.py). Each finds positions with numpy (int64 data: an index
has no derivative) and then takes the values by indexing the tensor at those positions, so the
gradient of a picked value goes back to the one entry it came from, as with PyTorch's max(dim),
sort and topk (`amax`, `max()` with no dim, share it among ties instead). The results are
PyTorch's named tuples (`return_types.py`): `values, indices = x.max(1)`.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import return_types as R
from .graph import Node
from .ops import Max, Min
from .ops.shape import dim as check_dim
from .tensor_shape import _alias
from .checks import is_int


class OrderMethods:
    """Methods of `Tensor` that select entries by order."""

    __slots__ = ()

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Optional[bool] = None) -> Any:
        """`max()`: the largest entry (ties share the gradient, as torch.max()). `max(dim)`: the named
        tuple `(values, indices)` along `dim` (the gradient goes to the entry picked, the first of
        ties). `max(other_tensor)`: the entrywise maximum. Raises TypeError for a tuple of dims (use
        `amax`), IndexError for a dim out of range or an empty dim."""
        return self._extreme("max", np.argmax, Max, R.max, dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: Optional[bool] = None) -> Any:
        """As `max`, for the smallest entries: `min()`, `values, indices = min(dim)`, `min(other)`."""
        return self._extreme("min", np.argmin, Min, R.min, dim, keepdim, axis, keepdims)

    def _extreme(self, op: str, find: Any, fn: Any, pair: Any, dim: Any, keepdim: Any, axis: Any,
                 keepdims: Any) -> Any:
        d = _alias(op, "dim", dim, "axis", axis)
        keep = bool(_alias(op, "keepdim", keepdim, "keepdims", keepdims) or False)
        if d is None:
            if self.data.size == 0:
                raise ValueError(f"{op}: the tensor of shape {self.shape} is empty; give a dim")
            return self.apply(fn, self, ctx=(None, keep))
        if isinstance(d, (Node, np.ndarray)):  # torch.max(a, b): the entrywise one
            return self.maximum(d) if op == "max" else self.minimum(d)
        a = self._dim(op, d)
        index = self._find(op, find, a, keep)
        return pair(self._take(index, a, keep), self._constant(index))

    def argmax(self, dim: Optional[int] = None, keepdim: bool = False) -> Any:
        """Index of the largest entry (of the flattened tensor when dim is None), the first one on
        ties, as an int64 Tensor (a constant: an index has no gradient). It indexes a tensor
        (`t[idx]`) and gives `.item()`, `.tolist()`, `int(...)`."""
        return self._arg("argmax", np.argmax, dim, keepdim)

    def argmin(self, dim: Optional[int] = None, keepdim: bool = False) -> Any:
        """Index of the smallest entry, an int64 Tensor like `argmax`'s."""
        return self._arg("argmin", np.argmin, dim, keepdim)

    def _arg(self, op: str, find: Any, dim: Any, keepdim: bool) -> Any:
        if dim is None:
            if self.data.size == 0:
                raise ValueError(f"{op}: the tensor of shape {self.shape} is empty")
            index = np.asarray(find(self.data), np.int64)
            return self._constant(index.reshape((1,) * self.ndim) if keepdim else index)
        return self._constant(self._find(op, find, self._dim(op, dim), bool(keepdim)))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> R.sort:
        """The entries along `dim` in order, as `(values, indices)`. Equal entries keep their order
        (a stable sort, whatever `stable` says); nan counts as the largest, as in PyTorch."""
        a = self._dim("sort", dim)
        order = self._order(a, descending)
        return R.sort(self._take(order, a, True), self._constant(order))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """The indices that sort the entries along `dim` (`sort(...).indices`), an int64 Tensor."""
        return self._constant(self._order(self._dim("argsort", dim), descending))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> R.topk:
        """The `k` largest entries along `dim` (the smallest with largest=False), largest first, as
        `(values, indices)`; of equal entries the first ones win. Raises ValueError for k larger
        than the dim."""
        a = self._dim("topk", dim)
        if not is_int(k):
            raise TypeError(f"topk: k must be an int, got {type(k).__name__} {k!r}")
        n = self.shape[a] if self.ndim else 1
        if not 0 <= k <= n:
            raise ValueError(f"topk: selected index k={k} out of range for dim {dim} of size {n}")
        order = self._order(a, largest)
        if self.ndim:
            order = np.ascontiguousarray(order[(slice(None),) * a + (slice(0, int(k)),)])
        return R.topk(self._take(order, a, True), self._constant(order))

    # ---- positions (numpy) and the values at them (indexing, so the gradient goes back) ----------

    def _dim(self, op: str, dim: Any) -> int:
        if not is_int(dim):
            raise TypeError(f"{op}: dim must be an int, got {dim!r}" +
                            (" (amax/amin reduce several dims)" if isinstance(dim, (tuple, list)) else ""))
        return check_dim(self, dim, op)

    def _find(self, op: str, find: Any, a: int, keep: bool) -> np.ndarray:
        if self.ndim == 0:
            return np.zeros((), np.int64)
        if self.shape[a] == 0:
            raise IndexError(f"{op}: Expected reduction dim {a} to have non-zero size (shape {self.shape})")
        return np.asarray(find(self.data, axis=a, keepdims=keep), np.int64)

    def _order(self, a: int, descending: bool) -> np.ndarray:
        if self.ndim == 0:
            return np.zeros((), np.int64)
        if not descending:
            return np.argsort(self.data, axis=a, kind="stable").astype(np.int64)
        # Stable descending: sort the reversed entries ascending and read that backwards, so equal
        # entries keep their first-come order (negating would break on unsigned ints and bools).
        n = self.shape[a]
        backwards = np.flip(np.argsort(np.flip(self.data, a), axis=a, kind="stable"), a)
        return (n - 1 - backwards).astype(np.int64)

    def _take(self, index: np.ndarray, a: int, keep: bool) -> Any:
        """The entries at positions `index` along dim `a` (the other dims running over their range)."""
        if self.ndim == 0:
            return self[()]
        grids = list(np.indices(index.shape, sparse=True))
        if keep:
            grids[a] = index
        else:
            grids.insert(a, index)
        return self[tuple(grids)]
