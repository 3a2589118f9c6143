"""Feeding data to a model: minibatches, splits, k folds, standardization and imbalanced classes.

Arrays in, `Tensor` batches out. Randomness follows one rule everywhere: `seed=None` uses
numpy's global RNG (so `np.random.seed(s)` reproduces a run), an int seed uses a
generator of its own. The generated datasets (`xor`, `moons`, `circles`, `spirals`,
`height_weight`) are importable from here too.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

from circuitgrad.autograd import Tensor

from .checks import flag, integer, real
from .datasets import circles, digits, height_weight, moons, rng_for, shapes, spirals, xor  # noqa: F401

__all__ = ["TensorDataset", "DataLoader", "WeightedRandomSampler", "train_val_split", "kfold", "Standardizer",
           "class_weights", "sample_weights", "xor", "moons", "circles", "spirals", "height_weight", "shapes",
           "digits"]


def _array(x: Any, what: str, name: str = "arrays") -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected {name} of numbers, got dtype {array.dtype}")
    return array


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


class TensorDataset:
    """Arrays that share their first dimension, indexed together: `ds[i]` is a tuple of rows."""

    def __init__(self, *arrays: Any) -> None:
        self.arrays = _arrays(arrays, "TensorDataset")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple:
        return tuple(a[index] for a in self.arrays)


class WeightedRandomSampler:
    """Draw `num_samples` indices with probability proportional to `weights` (as PyTorch's).

    With per-sample weights from `sample_weights(labels)`, every class is drawn about equally
    often: oversampling the rare classes in each epoch. Give it to `DataLoader(sampler=...)`.
    """

    def __init__(self, weights: Any, num_samples: int, replacement: bool = True, seed: Optional[int] = None) -> None:
        w = _array(weights, "WeightedRandomSampler", "weights").astype(float).reshape(-1)
        if w.size == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() == 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, >= 0 and not all 0")
        num_samples = integer("WeightedRandomSampler", "num_samples", num_samples)
        if num_samples < 1:
            raise ValueError(f"WeightedRandomSampler: num_samples must be a positive int, got {num_samples!r}")
        replacement = flag("WeightedRandomSampler", "replacement", replacement)
        if not replacement and num_samples > int((w > 0).sum()):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} distinct indices from "
                             f"{int((w > 0).sum())} with nonzero weight; use replacement=True")
        self.weights, self.num_samples, self.replacement = w, num_samples, replacement
        self._rng = rng_for(seed)

    def __iter__(self) -> Iterator[int]:
        picks = self._rng.choice(len(self.weights), self.num_samples, replace=self.replacement,
                                 p=self.weights / self.weights.sum())
        return iter(picks.tolist())

    def __len__(self) -> int:
        return self.num_samples


class DataLoader:
    """Minibatches of a dataset, as Tensors: `for xb, yb in DataLoader((X, y), batch_size=32, shuffle=True)`.

    `dataset` is a TensorDataset or a tuple of arrays with the same first dimension.
    `shuffle` reorders every epoch (reproducibly with `seed`); `sampler` (e.g. a
    WeightedRandomSampler) chooses the indices instead; `drop_last` skips a short last batch.
    `transform` is called on the inputs (the first array) and `target_transform` on the
    targets (the second) of every batch, before they become Tensors: augmentation and
    DisturbLabel from `nn.transforms`, drawn afresh for each batch.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, seed: Optional[int] = None,
                 sampler: Any = None, drop_last: bool = False, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None) -> None:
        self.dataset = dataset if isinstance(dataset, TensorDataset) else TensorDataset(*_as_tuple(dataset))
        batch_size = integer("DataLoader", "batch_size", batch_size)
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        shuffle, drop_last = flag("DataLoader", "shuffle", shuffle), flag("DataLoader", "drop_last", drop_last)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: give either shuffle=True or a sampler, not both")
        if sampler is not None and not hasattr(sampler, "__iter__"):
            raise TypeError(f"DataLoader: sampler must be an iterable of row indices (a list or a "
                            f"WeightedRandomSampler), got {type(sampler).__name__} {sampler!r}")
        self.batch_size, self.shuffle, self.sampler, self.drop_last = batch_size, shuffle, sampler, drop_last
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} must be a function of a batch array, got {type(fn).__name__}")
        if target_transform is not None and len(self.dataset.arrays) < 2:
            raise ValueError("DataLoader: target_transform needs a dataset of (inputs, targets); this one has "
                             f"{len(self.dataset.arrays)} array")
        self.transform, self.target_transform = transform, target_transform
        self._rng = rng_for(seed)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if self.sampler is not None:
            return _indices(list(self.sampler), n)
        return self._rng.permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self) -> Iterator[tuple]:
        order = self._order()
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            rows = order[start:start + self.batch_size]
            batch = [a[rows] for a in self.dataset.arrays]
            for i, fn in ((0, self.transform), (1, self.target_transform)):
                if fn is not None:
                    changed = np.asarray(fn(batch[i]))
                    if changed.shape != batch[i].shape:
                        raise ValueError(f"DataLoader: {fn!r} changed a batch's shape from {batch[i].shape} "
                                         f"to {changed.shape}")
                    batch[i] = changed
            yield tuple(Tensor(a) for a in batch)

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)


def _indices(picks: list, n: int) -> np.ndarray:
    """A sampler's picks as row numbers 0..n-1; numpy would wrap -1 to the last row and truncate 1.7 to 1."""
    order = np.asarray(picks) if picks else np.zeros(0, dtype=np.int64)
    if order.dtype.kind not in "iu" or order.ndim != 1:
        raise TypeError(f"DataLoader: the sampler must give whole-number row indices, got {picks[:5]!r}")
    bad = order[(order < 0) | (order >= n)]
    if bad.size:
        raise ValueError(f"DataLoader: the sampler gave indices {bad[:5].tolist()} outside the dataset's "
                         f"{n} rows (0 to {n - 1})")
    return order


def _as_tuple(dataset: Any) -> tuple:
    if isinstance(dataset, (tuple, list)):
        return tuple(dataset)
    raise TypeError(f"DataLoader: dataset must be a TensorDataset or a tuple of arrays (X, y), "
                    f"got {type(dataset).__name__}")


def train_val_split(*arrays: Any, val_fraction: float = 0.2, shuffle: bool = True, seed: Optional[int] = None,
                    stratify: Any = None) -> tuple:
    """Split arrays into (train, val) tuples: `(X_tr, y_tr), (X_val, y_val) = train_val_split(X, y)`.

    The validation part has ceil(val_fraction * n) samples. `stratify=y` keeps each class's
    share in both parts (for imbalanced classes). Raises ValueError if a part would be empty.
    """
    data = _arrays(arrays, "train_val_split")
    n = len(data[0])
    val_fraction = real("train_val_split", "val_fraction", val_fraction, 0, 1, low_open=True, high_open=True)
    shuffle = flag("train_val_split", "shuffle", shuffle)
    n_val = math.ceil(val_fraction * n)
    if n_val >= n:
        raise ValueError(f"train_val_split: {n} samples cannot be split with val_fraction={val_fraction} "
                         "(no training samples would remain)")
    rng = rng_for(seed)
    if stratify is not None:
        labels = _array(stratify, "train_val_split")
        if labels.ndim == 0 or len(labels) != n:
            raise ValueError(f"train_val_split: stratify needs one label per sample ({n}), got shape {labels.shape}")
        labels = labels.reshape(n, -1)[:, 0]
        val_idx = []
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            members = rng.permutation(members) if shuffle else members
            val_idx.extend(members[:round(val_fraction * len(members))].tolist())
        is_val = np.zeros(n, dtype=bool)
        is_val[val_idx] = True
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_idx, val_idx = order[~is_val[order]], order[is_val[order]]
        if len(train_idx) == 0 or len(val_idx) == 0:  # each class's share is rounded, possibly to all or none
            raise ValueError(f"train_val_split: stratifying {n} samples over {len(np.unique(labels))} classes with "
                             f"val_fraction={val_fraction} leaves {len(train_idx)} training and {len(val_idx)} "
                             "validation samples; change val_fraction or drop stratify")
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_idx, val_idx = order[n_val:], order[:n_val]
    return tuple(a[train_idx] for a in data), tuple(a[val_idx] for a in data)


def kfold(n_samples: int, k: int = 5, shuffle: bool = True, seed: Optional[int] = None) -> list:
    """k (train_indices, val_indices) pairs: each sample is in exactly one validation fold.

    Fold sizes differ by at most one (the first n % k folds get one more), as scikit-learn's KFold.
    """
    n_samples = integer("kfold", "n_samples (use len(X))", n_samples)
    k = integer("kfold", "k", k)
    if not 2 <= k <= n_samples:
        raise ValueError(f"kfold: k must be an int from 2 to n_samples ({n_samples}), got {k!r}")
    shuffle = flag("kfold", "shuffle", shuffle)
    order = rng_for(seed).permutation(n_samples) if shuffle else np.arange(n_samples)
    folds = np.array_split(order, k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


class Standardizer:
    """Rescale each column to mean 0 and standard deviation 1, with statistics from the training data.

    `fit` on the training set only, then `transform` train, validation and test alike;
    `inverse_transform` maps predictions back to the original units. A constant column is
    left at scale 1 rather than divided by 0.
    """

    def __init__(self) -> None:
        self.mean: Optional[np.ndarray] = None
        self.std: Optional[np.ndarray] = None

    def fit(self, X: Any) -> "Standardizer":
        X = _array(X, "Standardizer.fit").astype(float)
        if X.ndim == 0 or len(X) == 0:
            raise ValueError("Standardizer.fit: needs at least one sample")
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def _fitted(self, op: str, X: Any) -> np.ndarray:
        """X as an array with the columns the statistics came from (numpy would broadcast 1 column to all)."""
        if self.mean is None:
            raise RuntimeError(f"Standardizer.{op}: call fit(X_train) first")
        X = _array(X, f"Standardizer.{op}")
        if X.shape[1:] != self.mean.shape:
            raise ValueError(f"Standardizer.{op}: fitted on samples of shape {self.mean.shape} "
                             f"({self.mean.size} columns), got X of shape {X.shape}")
        return X

    def transform(self, X: Any) -> np.ndarray:
        return (self._fitted("transform", X) - self.mean) / self.std

    def fit_transform(self, X: Any) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        return self._fitted("inverse_transform", X) * self.std + self.mean


def _labels(labels: Any, op: str) -> np.ndarray:
    y = _array(labels, op, "labels").reshape(-1)
    if y.size == 0:
        raise ValueError(f"{op}: labels is empty; give one class index per sample")
    if y.dtype.kind == "f" and not (np.isfinite(y) & (y == np.round(y))).all():
        raise ValueError(f"{op}: labels must be whole numbers (class indices)")
    y = y.astype(np.int64)
    if (y < 0).any():
        raise ValueError(f"{op}: labels must be >= 0, got {np.unique(y[y < 0])[:5].tolist()}")
    return y


def class_weights(labels: Any, num_classes: Optional[int] = None) -> np.ndarray:
    """n_samples / (n_classes * count_c) per class: rare classes weigh more (scikit-learn's "balanced").

    For `CrossEntropyLoss(weight=...)`. Raises ValueError if a class has no samples.
    """
    y = _labels(labels, "class_weights")
    k = int(y.max()) + 1 if num_classes is None else integer("class_weights", "num_classes", num_classes)
    if y.max() >= k:
        raise ValueError(f"class_weights: labels must lie in 0..{k - 1}, got {int(y.max())}")
    counts = np.bincount(y, minlength=k)
    if (counts == 0).any():
        raise ValueError(f"class_weights: classes {np.flatnonzero(counts == 0).tolist()} have no samples, "
                         "so their weight would be infinite")
    return len(y) / (k * counts)


def sample_weights(labels: Any) -> np.ndarray:
    """One weight per sample, its class's `class_weights`: feed to WeightedRandomSampler to balance classes."""
    y = _labels(labels, "sample_weights")
    return class_weights(y)[y]
