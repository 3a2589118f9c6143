"""Datasets and the `DataLoader`, shaped like `torch.utils.data` (the samplers are in `nn.sampler`).

A map-style dataset is anything with `__getitem__(i)` and `__len__()`: a `Dataset`
subclass, a `TensorDataset`, a list of samples, an array of rows. A sampler says which
indices to read, in which order; the `DataLoader` reads them `batch_size` at a time and
collates each batch with `default_collate`: numbers, numpy arrays and Tensors are stacked
into one Tensor with a new first (batch) axis, tuples and dicts are collated field by field.
So a dataset whose samples are `(x, y)` pairs gives batches `(xb, yb)` of Tensors.

Randomness follows the rule of `nn.data`: `seed=None` and no `generator` uses numpy's
global RNG (`cg.manual_seed(s)` or `np.random.seed(s)` reproduces a run); `seed=s` or `generator=np.random.default_rng(s)`
uses a generator of its own. Each pass over a shuffling loader is a new order.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import numpy as np

from circuitgrad.autograd import Tensor
from circuitgrad.autograd.graph import Node

from .checks import flag, integer
from .sampler import RandomSampler, SequentialSampler, _array, _rng
from circuitgrad.autograd.checks import is_int

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split", "DataLoader",
           "default_collate", "default_convert"]


# ---- datasets -------------------------------------------------------------------------------------

class Dataset:
    """Base of map-style datasets: subclass it and define `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no __getitem__(); define it to return sample `index`")

    # No __len__ here, as in PyTorch: len() of a dataset that defines none is a TypeError the loader names.

    def __add__(self, other: Any) -> "ConcatDataset":
        """`a + b`: the samples of a, then those of b."""
        return ConcatDataset([self, other])


def _arrays(arrays: Sequence[Any], what: str) -> list:
    if not arrays:
        raise ValueError(f"{what}: give at least one array")
    out = [_array(a, what) for a in arrays]
    for a in out:
        if a.ndim == 0:
            raise ValueError(f"{what}: every array needs a first (sample) dimension, got a scalar")
    lengths = [len(a) for a in out]
    if len(set(lengths)) != 1:
        raise ValueError(f"{what}: arrays have different numbers of samples {lengths}")
    return out


class TensorDataset(Dataset):
    """Arrays (or Tensors) that share their first dimension, indexed together: `ds[i]` is a tuple of rows."""

    def __init__(self, *arrays: Any) -> None:
        self.arrays = _arrays(arrays, "TensorDataset")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple:
        return tuple(a[index] for a in self.arrays)


class IterableDataset(Dataset):
    """Base of iterable-style datasets (a stream, a file read line by line): define `__iter__` to yield
    samples. The DataLoader batches them in the order they come; there is no index to shuffle or sample."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} has no __iter__(); define it to yield the samples")


class ConcatDataset(Dataset):
    """Datasets one after another: index len(a) is b's sample 0."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: give at least one dataset")
        self.cumulative_sizes = np.cumsum([_length("ConcatDataset", d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        index %= n
        k = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order (what `random_split` returns)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Any, lengths: Sequence[float], generator: Any = None, seed: Optional[int] = None) -> list:
    """Split a dataset into non-overlapping random `Subset`s of the given lengths, as PyTorch.

    `lengths` are counts that add up to len(dataset), or fractions that add up to 1 (the
    remainder after flooring is dealt out one by one from the first subset on, as PyTorch).
    """
    n = _length("random_split", dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral) for x in lengths) \
            and math.isclose(sum(lengths), 1.0) and sum(lengths) <= 1.0 + 1e-9:
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if not lengths or any(not is_int(x) or x < 0 for x in lengths) \
            or sum(lengths) != n:
        raise ValueError(f"random_split: lengths must be counts adding up to the dataset's {n} samples, or "
                         f"fractions adding up to 1, got {lengths!r}")
    order = _rng("random_split", generator, seed).permutation(n).tolist()
    out, start = [], 0
    for count in lengths:
        out.append(Subset(dataset, order[start:start + count]))
        start += count
    return out


def _length(owner: str, dataset: Any) -> int:
    try:
        return len(dataset)
    except TypeError:
        raise TypeError(f"{owner}: the dataset ({type(dataset).__name__}) has no __len__(); a map-style "
                        "dataset needs __getitem__ and __len__ (or give the DataLoader a sampler)") from None


# ---- collating samples into a batch ---------------------------------------------------------------

def default_collate(batch: Sequence[Any]) -> Any:
    """Samples to one batch, as PyTorch's default: arrays, Tensors and numbers stack into a Tensor with a
    new first axis, keeping their dtype (Python ints give int64, floats float64, as PyTorch's); tuples,
    lists and dicts are collated field by field (a tuple of Tensors for samples `(x, y)`); strings stay a
    list. Raises ValueError for samples of unequal shape or length, TypeError for a kind it cannot stack
    (name it in your own `collate_fn`)."""
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray, numbers.Real, np.generic)) and not isinstance(elem, str):
        arrays = [b.data if isinstance(b, Tensor) else np.asarray(b) for b in batch]
        if arrays[0].dtype.kind not in "biuf":
            raise TypeError(f"default_collate: cannot stack samples of dtype {arrays[0].dtype}; write a collate_fn")
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"default_collate: samples of different shapes {sorted(shapes)} cannot be stacked "
                             "into one batch (pad them, or write a collate_fn)")
        stacked = np.stack(arrays)
        return Tensor(stacked, dtype=stacked.dtype)  # int64 labels stay int64, a bool mask bool (as PyTorch)
    if isinstance(elem, str):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, (tuple, list)):
        sizes = {len(b) for b in batch}
        if len(sizes) > 1:
            raise ValueError(f"default_collate: samples have different lengths {sorted(sizes)}; each sample must "
                             "have the same fields")
        return type(elem)(default_collate(list(s)) for s in zip(*batch))
    kind = "a Value (nn.data batches Tensors)" if isinstance(elem, Node) else f"a {type(elem).__name__}"
    raise TypeError(f"default_collate: a sample is {kind}; samples must be numbers, arrays, Tensors, or tuples, "
                    "lists and dicts of them (or give the DataLoader a collate_fn)")


# ---- the loader -----------------------------------------------------------------------------------

class DataLoader:
    """Minibatches of a dataset, as Tensors: `for xb, yb in DataLoader(dataset, batch_size=32, shuffle=True)`.

    `dataset`: any map-style dataset (a `Dataset`, a `TensorDataset`, a list of samples, an
    object with `__getitem__` and `__len__`), a tuple of arrays `(X, y)` with the same first
    dimension (read as `TensorDataset(X, y)`), or an `IterableDataset` (batched as it
    streams). `shuffle` reorders every pass (reproducibly with `seed` or `generator`);
    `sampler` (an iterable of indices, e.g. a WeightedRandomSampler) chooses the indices
    instead; `batch_sampler` chooses whole batches;
    `drop_last` skips a short last batch; `collate_fn` turns a list of samples into a batch
    (`default_collate` by default). `batch_size=None` gives the samples one by one, unbatched.
    `transform` is called on the inputs (the first part) and `target_transform` on the targets
    (the second) of every batch, as arrays: augmentation and DisturbLabel from `nn.transforms`,
    drawn afresh for each batch (PyTorch applies them per sample inside the dataset).
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = 1, shuffle: bool = False, sampler: Any = None,
                 batch_sampler: Any = None, num_workers: int = 0, collate_fn: Optional[Callable] = None,
                 drop_last: bool = False, generator: Any = None, *, seed: Optional[int] = None,
                 transform: Optional[Callable] = None, target_transform: Optional[Callable] = None) -> None:
        iterable = isinstance(dataset, IterableDataset)
        if isinstance(dataset, tuple):
            dataset = TensorDataset(*dataset)
        elif not iterable and not hasattr(dataset, "__getitem__") or isinstance(dataset, (str, bytes, Mapping, Node)):
            raise TypeError(f"DataLoader: dataset must be a map-style dataset (with __getitem__ and __len__), such "
                            f"as a TensorDataset, or a tuple of arrays (X, y), got {type(dataset).__name__}")
        self.dataset = dataset
        if batch_size is not None:
            batch_size = integer("DataLoader", "batch_size", batch_size)
            if batch_size < 1:
                raise ValueError(f"DataLoader: batch_size must be a positive int or None, got {batch_size!r}")
        shuffle, drop_last = flag("DataLoader", "shuffle", shuffle), flag("DataLoader", "drop_last", drop_last)
        if integer("DataLoader", "num_workers", num_workers) != 0:
            raise ValueError(f"DataLoader: num_workers must be 0 (circuitgrad loads in the main process), "
                             f"got {num_workers}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: give either shuffle=True or a sampler, not both")
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(f"DataLoader: {type(dataset).__name__} is an IterableDataset, which has no indices to "
                             "shuffle or sample; shuffle inside its __iter__ instead")
        for name, s in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if s is not None and not hasattr(s, "__iter__"):
                raise TypeError(f"DataLoader: {name} must be an iterable of row indices (a list or a "
                                f"WeightedRandomSampler), got {type(s).__name__} {s!r}")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("DataLoader: batch_sampler chooses the batches itself; leave batch_size, shuffle, "
                             "sampler and drop_last at their defaults")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be a function of a list of samples, "
                            f"got {type(collate_fn).__name__}")
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} must be a function of a batch array, got {type(fn).__name__}")
        if target_transform is not None and isinstance(dataset, TensorDataset) and len(dataset.arrays) < 2:
            raise ValueError("DataLoader: target_transform needs a dataset of (inputs, targets); this one has "
                             f"{len(dataset.arrays)} array")
        self.transform, self.target_transform = transform, target_transform
        self._rng = _rng("DataLoader", generator, seed)
        if sampler is None and not iterable:
            _length("DataLoader", dataset)
            own = None if self._rng is np.random else self._rng
            sampler = RandomSampler(dataset, generator=own) if shuffle else SequentialSampler(dataset)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.collate_fn = collate_fn
        self.generator = generator

    def _batches(self) -> Iterator[np.ndarray]:
        """The rows of each batch, checked against the dataset's length (a whole epoch's order at once)."""
        n = len(self.dataset) if hasattr(self.dataset, "__len__") else None
        if self.batch_sampler is not None:
            for rows in self.batch_sampler:
                yield _indices(list(rows), n)
            return
        order = _indices(list(self.sampler), n)
        size = 1 if self.batch_size is None else self.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        for start in range(0, stop, size):
            yield order[start:start + size]

    def _stream(self) -> Iterator[Any]:
        """An IterableDataset's samples, batch_size at a time, in the order they come."""
        collate = self.collate_fn or (default_convert if self.batch_size is None else default_collate)
        if self.batch_size is None:
            yield from (collate(sample) for sample in self.dataset)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    def __iter__(self) -> Iterator[Any]:
        if self.transform is None and self.target_transform is None:
            yield from self._untransformed()
        else:
            yield from (self._transformed(batch) for batch in self._untransformed())

    def _transformed(self, batch: Any) -> tuple:
        """The batch with `transform` applied to its inputs and `target_transform` to its targets."""
        parts = list(batch) if isinstance(batch, (tuple, list)) else [batch]
        for i, fn in ((0, self.transform), (1, self.target_transform)):
            if fn is None:
                continue
            if i >= len(parts):
                raise ValueError("DataLoader: target_transform needs batches of (inputs, targets); this dataset "
                                 f"gives {len(parts)} part")
            before = parts[i].data if isinstance(parts[i], Tensor) else np.asarray(parts[i])
            changed = np.asarray(fn(before))
            if changed.shape != before.shape:
                raise ValueError(f"DataLoader: {fn!r} changed a batch's shape from {before.shape} to {changed.shape}")
            parts[i] = Tensor(changed, dtype=changed.dtype) if isinstance(parts[i], Tensor) else changed
        return tuple(parts)

    def _untransformed(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            yield from self._stream()
            return
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for rows in self._batches():
            if self.batch_size is None and self.batch_sampler is None:
                sample = self.dataset[int(rows[0])]
                yield self.collate_fn(sample) if self.collate_fn else default_convert(sample)
            elif fast:  # one fancy index per array rather than one lookup per sample
                yield tuple(Tensor(a[rows], dtype=a.dtype) for a in self.dataset.arrays)  # int labels stay int
            else:
                yield (self.collate_fn or default_collate)([self.dataset[int(i)] for i in rows])

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else _length("DataLoader", self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def default_convert(sample: Any) -> Any:
    """One sample with its numpy arrays as Tensors, not batched (what `DataLoader(batch_size=None)` gives);
    Python numbers and strings stay as they are, tuples, lists and dicts are converted field by field,
    as PyTorch's default_convert (which returns lists where this keeps tuples)."""
    if isinstance(sample, (np.ndarray, np.generic)) and sample.dtype.kind in "biuf":
        return Tensor(sample, dtype=sample.dtype)
    if isinstance(sample, Mapping):
        return {k: default_convert(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample


def _indices(picks: list, n: Optional[int]) -> np.ndarray:
    """A sampler's picks as row numbers 0..n-1; numpy would wrap -1 to the last row and truncate 1.7 to 1."""
    order = np.asarray(picks) if picks else np.zeros(0, dtype=np.int64)
    if order.dtype.kind not in "iu" or order.ndim != 1:
        raise TypeError(f"DataLoader: the sampler must give whole-number row indices, got {picks[:5]!r}")
    if n is None:  # a dataset without a length: only negative indices are surely wrong
        if (order < 0).any():
            raise ValueError(f"DataLoader: the sampler gave negative indices {order[order < 0][:5].tolist()}")
        return order
    bad = order[(order < 0) | (order >= n)]
    if bad.size:
        raise ValueError(f"DataLoader: the sampler gave indices {bad[:5].tolist()} outside the dataset's "
                         f"{n} rows (0 to {n - 1})")
    return order
