"""nn.data: batches, splits, k folds, standardization, imbalanced classes and the generated datasets."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor
from circuitgrad.nn.data import (DataLoader, Standardizer, TensorDataset, WeightedRandomSampler, class_weights, kfold,
                     sample_weights, train_val_split)


def test_dataloader_yields_tensor_batches_covering_every_sample_once():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    loader = DataLoader((X, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(xb) for xb, _ in batches] == [4, 4, 2]
    assert all(isinstance(xb, Tensor) and isinstance(yb, Tensor) for xb, yb in batches)
    assert np.array_equal(np.concatenate([yb.data for _, yb in batches]), y)  # in order without shuffle
    assert np.array_equal(batches[1][0].data, X[4:8])
    dropped = DataLoader(TensorDataset(X, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(xb) for xb, _ in dropped] == [4, 4]


def test_shuffle_is_a_new_order_each_epoch_and_reproducible():
    X = np.arange(50.0).reshape(50, 1)
    loader = DataLoader((X,), batch_size=50, shuffle=True, seed=3)
    first, second = [next(iter(loader))[0].data.ravel() for _ in range(2)]
    assert sorted(first) == list(X.ravel()) and not np.array_equal(first, second)
    again = DataLoader((X,), batch_size=50, shuffle=True, seed=3)
    assert np.array_equal(next(iter(again))[0].data.ravel(), first)
    np.random.seed(9)  # seed=None follows numpy's global RNG
    a = next(iter(DataLoader((X,), batch_size=50, shuffle=True)))[0].data
    np.random.seed(9)
    assert np.array_equal(a, next(iter(DataLoader((X,), batch_size=50, shuffle=True)))[0].data)


def test_dataloader_errors():
    with pytest.raises(ValueError, match=r"different numbers of samples \[3, 2\]"):
        DataLoader((np.ones((3, 2)), np.ones(2)))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader((np.ones(3),), batch_size=0)
    with pytest.raises(ValueError, match="either shuffle=True or a sampler"):
        DataLoader((np.ones(3),), shuffle=True, sampler=[0, 1])
    with pytest.raises(TypeError, match=r"dataset must be a map-style dataset \(with __getitem__ and __len__\).*"
                                        r"or a tuple of arrays \(X, y\), got int"):
        DataLoader(5)
    with pytest.raises(TypeError, match="expected arrays of numbers"):
        TensorDataset(np.array(["a", "b"]))


def test_train_val_split_is_disjoint_and_complete():
    X, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    (X_tr, y_tr), (X_val, y_val) = train_val_split(X, y, val_fraction=0.3, seed=0)
    assert len(y_val) == 3 and len(y_tr) == 7
    assert sorted(np.concatenate([y_tr, y_val]).tolist()) == list(range(10))
    assert np.array_equal(X_tr.ravel(), y_tr)  # rows stay together
    (_, y_tr2), _ = train_val_split(X, y, val_fraction=0.3, seed=0)
    assert np.array_equal(y_tr, y_tr2)
    (_, y_plain), (_, y_last) = train_val_split(X, y, val_fraction=0.2, shuffle=False)
    assert y_last.tolist() == [0, 1] and y_plain.tolist() == list(range(2, 10))


def test_stratified_split_keeps_class_shares():
    y = np.array([0] * 90 + [1] * 10)
    X = np.arange(100.0)
    (_, y_tr), (_, y_val) = train_val_split(X, y, val_fraction=0.2, seed=1, stratify=y)
    assert (y_val == 1).sum() == 2 and (y_val == 0).sum() == 18
    assert (y_tr == 1).sum() == 8


def test_train_val_split_errors():
    with pytest.raises(ValueError, match=r"val_fraction must be in \(0, 1\)"):
        train_val_split(np.ones(5), val_fraction=1.0)
    with pytest.raises(ValueError, match="no training samples would remain"):
        train_val_split(np.ones(1), val_fraction=0.5)
    with pytest.raises(ValueError, match="stratify needs one label per sample"):
        train_val_split(np.ones(5), stratify=np.ones(4))


def test_kfold_partitions_the_samples():
    folds = kfold(10, k=3, seed=0)
    assert [len(v) for _, v in folds] == [4, 3, 3]
    assert sorted(np.concatenate([v for _, v in folds]).tolist()) == list(range(10))
    for train, val in folds:
        assert set(train).isdisjoint(val) and len(train) + len(val) == 10
    assert [v.tolist() for _, v in kfold(4, k=2, shuffle=False)] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match=r"k must be an int from 2 to n_samples \(3\)"):
        kfold(3, k=5)
    with pytest.raises(TypeError, match=r"use len\(X\)"):
        kfold(np.ones(5))


def test_standardizer_uses_training_statistics():
    train = np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0]])
    scaler = Standardizer().fit(train)
    z = scaler.transform(train)
    np.testing.assert_allclose(z, [[-1, -1, 0], [1, 1, 0]])  # a constant column stays finite
    np.testing.assert_allclose(scaler.transform([[2.0, 50.0, 5.0]]), [[0, 3, 0]])
    np.testing.assert_allclose(scaler.inverse_transform(z), train)
    np.testing.assert_allclose(Standardizer().fit_transform(train), z)
    with pytest.raises(RuntimeError, match=r"call fit\(X_train\) first"):
        Standardizer().transform(train)


def test_class_weights_are_n_over_k_times_count():
    y = np.array([0] * 10 + [1] * 50 + [2] * 40)  # the seed's example: 10, 50, 40
    np.testing.assert_allclose(class_weights(y), [100 / 30, 100 / 150, 100 / 120])
    w = sample_weights(y)
    assert w.shape == (100,) and w[0] == pytest.approx(100 / 30)
    assert [w[y == c].sum() for c in range(3)] == pytest.approx([100 / 3] * 3)  # each class weighs the same
    with pytest.raises(ValueError, match=r"classes \[1\] have no samples"):
        class_weights([0, 2, 2])
    with pytest.raises(ValueError, match="whole numbers"):
        class_weights([0.5, 1.0])
    with pytest.raises(ValueError, match=r"labels must be >= 0, got \[-1\]"):
        class_weights([0, -1])


def test_class_weights_feed_cross_entropy_for_imbalanced_data():
    y = np.array([0, 0, 0, 1])
    loss = nn.CrossEntropyLoss(weight=class_weights(y))(Tensor(np.zeros((4, 2))), y)
    assert loss.item() == pytest.approx(np.log(2))


def test_weighted_sampler_balances_classes():
    y = np.array([0] * 95 + [1] * 5)
    sampler = WeightedRandomSampler(sample_weights(y), num_samples=4000, seed=0)
    drawn = y[np.array(list(sampler))]
    assert len(sampler) == 4000 and abs(drawn.mean() - 0.5) < 0.05
    loader = DataLoader((np.arange(100.0), y), batch_size=100, sampler=WeightedRandomSampler(sample_weights(y), 100,
                                                                                             seed=1))
    assert len(loader) == 1 and 25 < next(iter(loader))[1].data.sum() < 75
    distinct = list(WeightedRandomSampler(np.ones(5), 5, replacement=False, seed=2))
    assert sorted(distinct) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="cannot draw 3 distinct indices from 2"):
        WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False)
    with pytest.raises(ValueError, match="not all 0"):
        WeightedRandomSampler([0.0, 0.0], 2)


# ---- generated datasets ------------------------------------------------------------------------------------

def test_xor_is_the_truth_table_of_the_tutorial():
    X, y = nn.data.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [[0], [1], [1], [0]]
    Xn, yn = nn.data.xor(n_samples=10, noise=0.1, seed=0)
    assert Xn.shape == (10, 2) and yn.shape == (10, 1)
    assert np.abs(Xn - X[np.arange(10) % 4]).max() < 0.5


@pytest.mark.parametrize("make,classes", [(nn.data.moons, 2), (nn.data.circles, 2), (nn.data.spirals, 3)])
def test_classification_sets_shapes_balance_and_seeds(make, classes):
    X, y = make(n_samples=91, seed=4)
    assert X.shape == (91, 2) and y.shape == (91,) and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(classes))
    assert np.bincount(y).max() - np.bincount(y).min() <= 1
    X2, _ = make(n_samples=91, seed=4)
    assert np.array_equal(X, X2)
    np.random.seed(8)
    a, _ = make(n_samples=20)
    np.random.seed(8)
    assert np.array_equal(a, make(n_samples=20)[0])


def test_dataset_geometry():
    X, y = nn.data.circles(n_samples=100, factor=0.5, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)
    X, y = nn.data.moons(n_samples=100, seed=0)
    assert X[y == 0, 1].min() >= -1e-12 and X[y == 1, 1].max() <= 0.5 + 1e-12


def test_height_weight_is_noisy_and_curved():
    X, y = nn.data.height_weight(n_samples=400, noise=2.0, seed=0)
    assert X.shape == y.shape == (400, 1)
    assert 40 <= X.min() and X.max() <= 110
    line = np.polyval(np.polyfit(X.ravel(), y.ravel(), 1), X.ravel())
    assert np.mean((y.ravel() - line) ** 2) > 3 * 2.0 ** 2  # a straight line leaves far more than the noise


def test_dataset_argument_errors():
    with pytest.raises(ValueError, match="moons: noise must be >= 0, got -1.0"):
        nn.data.moons(noise=-1)
    with pytest.raises(ValueError, match="n_samples must be at least 2"):
        nn.data.circles(n_samples=1)
    with pytest.raises(ValueError, match=r"factor .* must be in \(0, 1\)"):
        nn.data.circles(factor=1.5)
    with pytest.raises(ValueError, match="spirals: n_classes must be at least 2, got 1"):
        nn.data.spirals(n_classes=1)
    with pytest.raises(TypeError, match="seed must be an int or None"):
        nn.data.moons(seed="x")


# ---- bad input is named, never a silent wrong number ---------------------------------------------------------

def test_a_stratified_split_that_would_leave_a_part_empty_is_an_error():
    y = np.array([0] * 5 + [1] * 5)
    with pytest.raises(ValueError, match="leaves 10 training and 0 validation samples"):
        train_val_split(np.ones((10, 2)), y, val_fraction=0.01, stratify=y)  # each class rounds 0.05 down to 0
    pairs = np.repeat(np.arange(6), 2)
    with pytest.raises(ValueError, match="leaves 0 training and 12 validation samples"):
        train_val_split(np.ones((12, 2)), pairs, val_fraction=0.9, stratify=pairs)  # each rounds 1.8 up to 2
    (_, y_tr), (_, y_val) = train_val_split(np.ones(10), y, val_fraction=np.float32(0.2), stratify=y, seed=0)
    assert len(y_val) == 2 and len(y_tr) == 8  # numpy numbers are numbers


def test_standardizer_refuses_data_of_another_width():
    scaler = Standardizer().fit(np.arange(20.0).reshape(10, 2))
    with pytest.raises(ValueError, match=r"Standardizer.transform: fitted on samples of shape \(2,\) \(2 columns\), "
                                         r"got X of shape \(3, 1\)"):
        scaler.transform(np.ones((3, 1)))  # numpy would broadcast the one column against both
    with pytest.raises(ValueError, match=r"inverse_transform: .*got X of shape \(3, 3\)"):
        scaler.inverse_transform(np.ones((3, 3)))


@pytest.mark.parametrize("sampler, error, match", [
    ([0, -1], ValueError, r"the sampler gave indices \[-1\] outside the dataset's 4 rows \(0 to 3\)"),
    ([0, 50], ValueError, r"indices \[50\] outside"),
    ([0.5, 1.7], TypeError, r"the sampler must give whole-number row indices, got \[0.5, 1.7\]"),
    (["a"], TypeError, "whole-number row indices"),
])
def test_sampler_indices_must_be_rows_of_the_dataset(sampler, error, match):
    loader = DataLoader((np.arange(4.0), np.arange(4)), sampler=sampler)
    with pytest.raises(error, match=match):
        list(loader)  # numpy would wrap -1 to the last row and truncate 1.7 to row 1


def test_data_arguments_are_named():
    X = np.ones((4, 2))
    with pytest.raises(TypeError, match="DataLoader: shuffle must be True or False, got str 'no'"):
        DataLoader((X,), shuffle="no")
    with pytest.raises(TypeError, match="DataLoader: sampler must be an iterable of row indices"):
        DataLoader((X,), sampler=5)
    with pytest.raises(ValueError, match="class_weights: labels is empty"):
        class_weights([])
    with pytest.raises(TypeError, match="WeightedRandomSampler: expected weights of numbers, got dtype <U1"):
        WeightedRandomSampler(["a", "b"], 3)
    with pytest.raises(TypeError, match="replacement must be True or False"):
        WeightedRandomSampler([1.0, 1.0], 1, replacement="no")
    assert len(DataLoader((X,), batch_size=np.int64(3))) == 2
    assert len(WeightedRandomSampler(np.ones(3), np.int64(2))) == 2
    X2, _ = nn.data.moons(np.int64(10), noise=np.float32(0.1), seed=0)
    assert X2.shape == (10, 2)
