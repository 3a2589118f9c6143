"""Samplers, as `torch.utils.data.sampler`: which dataset indices a DataLoader reads, in which order.

`SequentialSampler` reads 0..n-1, `RandomSampler` a new permutation each pass (or draws with
replacement), `SubsetRandomSampler` a permutation of given indices, `WeightedRandomSampler`
draws by weight (to balance classes), `BatchSampler` groups indices into batches. Randomness:
`generator=np.random.default_rng(s)` or `seed=s` for a generator of its own, neither for
numpy's global RNG.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional, Sequence

import numpy as np

from circuitgrad.autograd import Tensor

from .checks import flag, integer
from .datasets import rng_for

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


def _array(x: Any, what: str, name: str = "arrays") -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected {name} of numbers, got dtype {array.dtype}")
    return array


class Sampler:
    """Base of samplers: an iterable of dataset indices with a length."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order every pass (a permutation), or `num_samples` draws with `replacement`."""

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: Optional[int] = None,
                 generator: Any = None, seed: Optional[int] = None) -> None:
        self.data_source = data_source
        self.replacement = flag("RandomSampler", "replacement", replacement)
        if num_samples is not None:
            num_samples = integer("RandomSampler", "num_samples", num_samples, low=1)
        self._num_samples = num_samples
        self._rng = _rng("RandomSampler", generator, seed)

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.replacement:
            return iter(self._rng.randint(0, n, self.num_samples).tolist() if self._rng is np.random
                        else self._rng.integers(0, n, self.num_samples).tolist())
        rounds = -(-self.num_samples // n) if n else 0  # more samples than rows: whole permutations, then a part
        order = np.concatenate([self._rng.permutation(n) for _ in range(rounds)]) if rounds else np.zeros(0, int)
        return iter(order[:self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a new random order every pass (e.g. the training rows of a split)."""

    def __init__(self, indices: Sequence[int], generator: Any = None, seed: Optional[int] = None) -> None:
        self.indices = list(indices)
        self._rng = _rng("SubsetRandomSampler", generator, seed)

    def __iter__(self) -> Iterator[int]:
        return iter([self.indices[i] for i in self._rng.permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Draw `num_samples` indices with probability proportional to `weights` (as PyTorch's).

    With per-sample weights from `sample_weights(labels)`, every class is drawn about equally
    often: oversampling the rare classes in each epoch. Give it to `DataLoader(sampler=...)`.
    """

    def __init__(self, weights: Any, num_samples: int, replacement: bool = True, generator: Any = None,
                 seed: Optional[int] = None) -> None:
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
        self._rng = _rng("WeightedRandomSampler", generator, seed)

    def __iter__(self) -> Iterator[int]:
        picks = self._rng.choice(len(self.weights), self.num_samples, replace=self.replacement,
                                 p=self.weights / self.weights.sum())
        return iter(picks.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups a sampler's indices into lists of `batch_size` (the last one shorter unless `drop_last`)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        self.sampler = sampler
        self.batch_size = integer("BatchSampler", "batch_size", batch_size, low=1)
        self.drop_last = flag("BatchSampler", "drop_last", drop_last)

    def __iter__(self) -> Iterator[list]:
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def _rng(owner: str, generator: Any, seed: Optional[int]) -> Any:
    if generator is not None and seed is not None:
        raise ValueError(f"{owner}: give a generator or a seed, not both")
    if generator is None:
        try:
            return rng_for(seed)
        except TypeError as e:
            raise TypeError(f"{owner}: {e}") from None
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{owner}: generator must be a numpy Generator such as np.random.default_rng(0), "
                        f"got {type(generator).__name__}")
    return generator
