"""The named tuples PyTorch's selecting ops return, so that `values, indices = x.max(1)` unpacks
as in PyTorch and `x.max(1).indices` reads the same (`torch.return_types`)."""
from __future__ import annotations

from typing import Any, NamedTuple


class max(NamedTuple):  # noqa: A001  (PyTorch's name: torch.return_types.max)
    """`x.max(dim)`: the largest entries and where they are."""
    values: Any
    indices: Any


class min(NamedTuple):  # noqa: A001
    """`x.min(dim)`: the smallest entries and where they are."""
    values: Any
    indices: Any


class sort(NamedTuple):
    """`x.sort(dim)`: the entries in order and where each came from."""
    values: Any
    indices: Any


class topk(NamedTuple):
    """`x.topk(k, dim)`: the k largest (or smallest) entries and where they are."""
    values: Any
    indices: Any


__all__ = ["max", "min", "sort", "topk"]
