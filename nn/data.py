"""Feeding data to a model: minibatches, splits, k folds, standardization and imbalanced classes.

Arrays in, `Tensor` batches out. `Dataset`, `TensorDataset`, the samplers and `DataLoader`
(as `torch.utils.data`) are in `nn.dataloader` and importable from here. Randomness follows
one rule everywhere: `seed=None` uses numpy's global RNG (so `cg.manual_seed(s)` or
`np.random.seed(s)` reproduces a run), an int seed uses a generator of its own. The generated datasets (`xor`, `moons`,
`circles`, `spirals`, `height_weight`) are importable from here too.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from .checks import flag, integer, real
from .dataloader import (ConcatDataset, DataLoader, Dataset, IterableDataset, Subset, TensorDataset,  # noqa: F401
                         _arrays, default_collate, default_convert, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,  # noqa: F401
                      WeightedRandomSampler, _array)
from .datasets import circles, digits, height_weight, moons, rng_for, shapes, spirals, xor  # noqa: F401

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split", "DataLoader",
           "default_collate", "default_convert", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "train_val_split", "kfold",
           "Standardizer", "class_weights", "sample_weights", "xor", "moons", "circles", "spirals", "height_weight",
           "shapes", "digits"]


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
