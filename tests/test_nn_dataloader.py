"""nn.data.Dataset, samplers and DataLoader over any map-style dataset, collated as PyTorch's default."""
from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value
from circuitgrad.nn.data import (BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, Subset,
                                 TensorDataset, default_collate, random_split)


class Squares(Dataset):
    """Sample i is (features [i, i^2], label i % 3)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return np.array([i, i * i], dtype=float), i % 3


class Duck:
    """Not a Dataset subclass: only __getitem__ and __len__, as PyTorch accepts."""

    def __getitem__(self, i):
        return np.full(3, float(i))

    def __len__(self):
        return 5


def test_a_dataset_subclass_gives_tuples_of_tensor_batches():
    batches = list(DataLoader(Squares(10), batch_size=4))
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    xb, yb = batches[1]
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor) and isinstance(batches[1], tuple)
    assert xb.shape == (4, 2) and xb.data.tolist() == [[4, 16], [5, 25], [6, 36], [7, 49]]
    assert yb.shape == (4,) and yb.data.tolist() == [1, 2, 0, 1]


def test_any_object_with_getitem_and_len_is_a_dataset():
    loader = DataLoader(Duck(), batch_size=2, drop_last=True)
    assert len(loader) == 2
    assert [b.data[:, 0].tolist() for b in loader] == [[0, 1], [2, 3]]
    rows = np.arange(12.0).reshape(6, 2)  # an array is a dataset of its rows
    assert np.array_equal(next(iter(DataLoader(rows, batch_size=6))).data, rows)
    samples = [(np.ones(2), 0.0), (np.zeros(2), 1.0)]  # so is a list of samples
    xb, yb = next(iter(DataLoader(samples, batch_size=2)))
    assert xb.data.tolist() == [[1, 1], [0, 0]] and yb.data.tolist() == [0, 1]


def test_batches_match_pytorchs_default_collate(torch):
    from torch.utils.data import DataLoader as TorchLoader
    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=20)):
        ours, theirs = DataLoader(Squares(10), **kwargs), TorchLoader(Squares(10), **kwargs)
        assert len(ours) == len(theirs)
        for (xb, yb), (txb, tyb) in zip(ours, theirs, strict=True):
            assert np.array_equal(xb.data, txb.numpy()) and np.array_equal(yb.data, tyb.numpy())


def test_dicts_namedtuples_and_strings_are_collated_field_by_field(torch):
    Pair = namedtuple("Pair", "x y")
    samples = [{"x": np.array([1.0, 2.0]), "name": "a", "pair": Pair(1.0, np.zeros(2))},
               {"x": np.array([3.0, 4.0]), "name": "b", "pair": Pair(2.0, np.ones(2))}]
    ours = default_collate(samples)
    theirs = torch.utils.data.default_collate(samples)
    assert set(ours) == set(theirs) and ours["name"] == theirs["name"] == ["a", "b"]
    assert np.array_equal(ours["x"].data, theirs["x"].numpy())
    assert type(ours["pair"]) is Pair and np.array_equal(ours["pair"].y.data, theirs["pair"].y.numpy())
    assert default_collate([Tensor([1.0]), Tensor([2.0])]).shape == (2, 1)


def test_shuffle_with_a_generator_or_seed_is_reproducible_and_covers_each_sample():
    def epoch(loader):
        return np.concatenate([yb.data for _, yb in loader])
    ds = TensorDataset(np.zeros((30, 1)), np.arange(30))
    a = DataLoader(ds, batch_size=7, shuffle=True, generator=np.random.default_rng(5))
    b = DataLoader(ds, batch_size=7, shuffle=True, generator=np.random.default_rng(5))
    first, second = epoch(a), epoch(a)
    assert sorted(first) == list(range(30)) and not np.array_equal(first, second)  # a new order per pass
    assert np.array_equal(epoch(b), first) and np.array_equal(epoch(b), second)
    c = DataLoader(ds, batch_size=7, shuffle=True, seed=5)
    assert np.array_equal(epoch(c), first)  # seed=5 is generator=np.random.default_rng(5)


def test_the_generic_path_agrees_with_the_fast_path_for_tensor_datasets():
    ds = TensorDataset(np.arange(20.0).reshape(10, 2), np.arange(10))
    fast = list(DataLoader(ds, batch_size=4, seed=1, shuffle=True))
    generic = list(DataLoader(ds, batch_size=4, seed=1, shuffle=True, collate_fn=default_collate))
    for (x1, y1), (x2, y2) in zip(fast, generic, strict=True):
        assert np.array_equal(x1.data, x2.data) and np.array_equal(y1.data, y2.data)


def test_samplers_batch_samplers_and_unbatched_loading():
    ds = Squares(6)
    picked = [yb.data.tolist() for _, yb in DataLoader(ds, batch_size=2, sampler=[5, 4, 3])]
    assert picked == [[2, 1], [0]]
    batches = BatchSampler(SequentialSampler(ds), batch_size=4, drop_last=False)
    assert list(batches) == [[0, 1, 2, 3], [4, 5]] and len(batches) == 2
    loader = DataLoader(ds, batch_sampler=[[0, 5], [1]])
    assert len(loader) == 2 and [len(xb) for xb, _ in loader] == [2, 1]
    x, y = next(iter(DataLoader(ds, batch_size=None)))
    assert isinstance(x, Tensor) and x.shape == (2,) and y == 0 and len(DataLoader(ds, batch_size=None)) == 6
    draws = list(RandomSampler(ds, replacement=True, num_samples=50, seed=0))
    assert len(draws) == 50 and set(draws) <= set(range(6)) and len(set(draws)) > 1
    longer = list(RandomSampler(ds, num_samples=8, seed=0))  # a whole permutation, then part of another
    assert len(longer) == 8 and sorted(longer[:6]) == list(range(6)) and len(set(longer[6:])) == 2
    assert list(DataLoader(ds, batch_size=3, collate_fn=len)) == [3, 3]


def test_random_split_makes_disjoint_subsets():
    train, val = random_split(Squares(10), [7, 3], seed=0)
    assert isinstance(train, Subset) and (len(train), len(val)) == (7, 3)
    assert sorted(train.indices + val.indices) == list(range(10))
    a, b, c = random_split(Squares(10), [0.5, 0.3, 0.2], generator=np.random.default_rng(1))
    assert [len(a), len(b), len(c)] == [5, 3, 2]
    assert np.array_equal(train[0][0], Squares(10)[train.indices[0]][0])
    with pytest.raises(ValueError, match="random_split: lengths must be counts adding up to the dataset's 10"):
        random_split(Squares(10), [5, 4])


def test_fit_trains_from_a_custom_dataset():
    class Blobs(Dataset):
        def __init__(self):
            rng = np.random.default_rng(0)
            self.y = np.arange(40) % 2
            self.x = rng.normal(size=(40, 2)) + 3.0 * self.y[:, None]

        def __len__(self):
            return 40

        def __getitem__(self, i):
            return self.x[i], self.y[i]

    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.05),
                     DataLoader(Blobs(), batch_size=8, shuffle=True, seed=0), epochs=30, progress=False)
    assert history["loss"][-1] < 0.3 * history["loss"][0]  # separable blobs: the loss falls far


def test_bad_data_loading_arguments_are_named():
    class NoLen:
        def __getitem__(self, i):
            return np.zeros(1)

    with pytest.raises(TypeError, match=r"DataLoader: the dataset \(NoLen\) has no __len__\(\)"):
        DataLoader(NoLen())
    assert next(iter(DataLoader(NoLen(), sampler=[0, 1], batch_size=2))).shape == (2, 1)  # a sampler suffices
    with pytest.raises(TypeError, match="DataLoader: generator must be a numpy Generator.*got int"):
        DataLoader(Duck(), shuffle=True, generator=3)
    with pytest.raises(ValueError, match="DataLoader: give a generator or a seed, not both"):
        DataLoader(Duck(), generator=np.random.default_rng(0), seed=0)
    with pytest.raises(ValueError, match="num_workers must be 0"):
        DataLoader(Duck(), num_workers=2)
    with pytest.raises(TypeError, match="collate_fn must be a function"):
        DataLoader(Duck(), collate_fn="stack")
    with pytest.raises(ValueError, match="batch_sampler chooses the batches itself"):
        DataLoader(Duck(), batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(TypeError, match="dataset must be a map-style dataset.*got dict"):
        DataLoader({"x": np.ones(3)})
    with pytest.raises(ValueError, match=r"samples of different shapes \[\(2,\), \(3,\)\] cannot be stacked"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match=r"samples have different lengths \[1, 2\]"):
        default_collate([(1.0,), (1.0, 2.0)])
    with pytest.raises(TypeError, match="a sample is a Value"):
        default_collate([Value(1.0)])
    with pytest.raises(TypeError, match="cannot stack samples of dtype <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(ValueError, match=r"the sampler gave indices \[5\] outside the dataset's 5 rows"):
        list(DataLoader(Duck(), sampler=[0, 5]))
    with pytest.raises(NotImplementedError, match="define it"):
        Dataset()[0]


def test_concat_datasets_subset_random_sampler_and_default_convert(torch):
    from circuitgrad.nn.data import ConcatDataset, SubsetRandomSampler, default_convert
    both = Squares(3) + Squares(2)
    assert isinstance(both, ConcatDataset) and len(both) == 5
    assert [both[i][1] for i in range(5)] == [0, 1, 2, 0, 1] and both[-1][1] == 1
    with pytest.raises(IndexError, match="ConcatDataset: index 5 is out of range for 5 samples"):
        both[5]
    theirs = torch.utils.data.ConcatDataset([Squares(3), Squares(2)])
    assert theirs.cumulative_sizes == both.cumulative_sizes
    sampler = SubsetRandomSampler([4, 7, 9], seed=0)
    assert sorted(sampler) == [4, 7, 9] and len(sampler) == 3
    x, y = default_convert((np.ones(2), 3))
    assert isinstance(x, Tensor) and x.shape == (2,) and y == 3  # a Python number stays one, as in PyTorch
    theirs = torch.utils.data.default_convert({"x": np.ones(2), "n": np.int64(3), "s": "a"})
    ours = default_convert({"x": np.ones(2), "n": np.int64(3), "s": "a"})
    assert ours["s"] == theirs["s"] and ours["n"].item() == theirs["n"].item() and ours["x"].shape == (2,)


def test_an_iterable_dataset_is_batched_as_it_streams(torch):
    from circuitgrad.nn.data import IterableDataset

    class Counting(IterableDataset):
        def __iter__(self):
            for i in range(7):
                yield np.array([i, -i], dtype=float), i

    class TorchCounting(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(Counting())

    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        ours = list(DataLoader(Counting(), **kwargs))
        theirs = list(torch.utils.data.DataLoader(TorchCounting(), **kwargs))
        assert len(ours) == len(theirs)
        for (xb, yb), (txb, tyb) in zip(ours, theirs):
            assert np.array_equal(xb.data, txb.numpy()) and np.array_equal(np.asarray(yb), np.asarray(tyb))
    with pytest.raises(ValueError, match="Counting is an IterableDataset, which has no indices to shuffle"):
        DataLoader(Counting(), shuffle=True)
    with pytest.raises(TypeError, match=r"the dataset \(Counting\) has no __len__\(\)"):
        len(DataLoader(Counting()))
