"""Image data: scikit-learn's digits, the generated shapes, augmentation transforms, DisturbLabel and
DropConnect."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, gradcheck
from circuitgrad.nn import transforms as T


def test_digits_are_scikit_learns_8x8_images_as_one_channel():
    pytest.importorskip("sklearn", reason="nn.datasets.digits needs scikit-learn (the 'test' extra)")
    X, y = nn.datasets.digits()
    assert X.shape == (1797, 1, 8, 8) and y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    Xs, ys = nn.datasets.digits(seed=0)
    assert not np.array_equal(ys, y) and sorted(ys) == sorted(y)
    i = int(np.flatnonzero((Xs == X[0]).all(axis=(1, 2, 3)))[0])  # shuffling keeps each image with its label
    assert ys[i] == y[0]


def test_digits_without_scikit_learn_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn...` raise ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        nn.datasets.digits()


def test_shapes_are_bars_crosses_and_rings_reproducibly():
    X, y = nn.datasets.shapes(60, size=12, noise=0.0, seed=1)
    assert X.shape == (60, 1, 12, 12) and np.bincount(y).tolist() == [20, 20, 20]
    assert set(np.unique(X)) == {0.0, 1.0}
    ink = X.sum(axis=(1, 2, 3))
    assert np.median(ink[y == 1]) > np.median(ink[y == 0])  # a cross is two bars
    assert np.array_equal(nn.datasets.shapes(60, seed=1)[1], y)
    noisy, _ = nn.datasets.shapes(60, noise=0.2, seed=1)
    assert 0.1 < np.std(noisy - X) < 0.3
    with pytest.raises(ValueError, match="shapes: size must be at least 8"):
        nn.datasets.shapes(size=4)


AUGMENTATIONS = [T.RandomShift(2, seed=0), T.RandomRotation(20, seed=0), T.RandomHorizontalFlip(seed=0),
                 T.RandomVerticalFlip(seed=0), T.GaussianNoise(0.1, seed=0),
                 T.Compose([T.RandomShift(1, seed=0), T.RandomRotation(10, seed=0)])]


@pytest.mark.parametrize("transform", AUGMENTATIONS, ids=repr)
def test_augmentation_keeps_shapes_and_dtype_and_changes_images(transform, rng):
    X = rng.uniform(0, 1, (16, 2, 9, 9)).astype(np.float32)
    out = transform(X)
    assert out.shape == X.shape and out.dtype == np.float32
    assert not np.allclose(out, X)
    assert transform(X[:, 0]).shape == (16, 9, 9)  # (N, H, W) works too


def test_shift_moves_pixels_by_whole_steps_and_fills_with_zeros():
    image = np.zeros((1, 1, 5, 5))
    image[0, 0, 2, 2] = 1.0
    seen = set()
    shift = T.RandomShift(1, seed=3)
    for _ in range(40):
        out = shift(image)[0, 0]
        assert out.sum() == 1.0 and set(np.unique(out)) == {0.0, 1.0}  # moved, not blurred
        seen.add(tuple(int(v) - 2 for v in np.argwhere(out == 1.0)[0]))
    assert seen == {(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)}


def test_rotation_by_90_degrees_turns_a_bar():
    bar = np.zeros((1, 1, 5, 5))
    bar[0, 0, 2, :] = 1.0
    turned = T.RandomRotation(0)(bar)
    np.testing.assert_allclose(turned, bar, atol=1e-12)  # 0 degrees is the identity
    rot = T.RandomRotation(90, seed=0)
    rot._rng = type("Fixed", (), {"uniform": staticmethod(lambda lo, hi, n: np.full(n, 90.0))})()
    np.testing.assert_allclose(rot(bar)[0, 0], bar[0, 0].T, atol=1e-12)


def test_flip_mirrors_about_half_the_images():
    X = np.arange(2 * 3 * 4.0).reshape(1, 1, 3, 8).repeat(200, axis=0)
    out = T.RandomHorizontalFlip(0.5, seed=0)(X)
    flipped = (out == X[:, :, :, ::-1]).all(axis=(1, 2, 3))
    assert ((out == X).all(axis=(1, 2, 3)) | flipped).all() and 60 < flipped.sum() < 140


def test_dataloader_applies_transforms_per_batch_and_keeps_labels(rng):
    X, y = rng.uniform(0, 1, (10, 1, 6, 6)), np.arange(10)
    loader = nn.data.DataLoader((X, y), batch_size=4, transform=T.GaussianNoise(0.5, seed=0))
    first = [(xb.data, yb.data) for xb, yb in loader]
    second = [xb.data for xb, _ in loader]
    assert [xb.shape for xb, _ in first] == [(4, 1, 6, 6), (4, 1, 6, 6), (2, 1, 6, 6)]
    assert np.array_equal(np.concatenate([yb for _, yb in first]), y)
    assert not np.allclose(first[0][0], second[0])  # a fresh draw every epoch
    with pytest.raises(ValueError, match=r"changed a batch's shape from \(4, 1, 6, 6\) to \(4, 36\)"):
        list(nn.data.DataLoader((X, y), batch_size=4, transform=lambda b: b.reshape(len(b), -1)))
    with pytest.raises(TypeError, match="transform must be a function"):
        nn.data.DataLoader((X, y), transform="noise")
    with pytest.raises(ValueError, match="target_transform needs a dataset of"):
        nn.data.DataLoader((X,), target_transform=nn.DisturbLabel())


def test_transform_errors():
    with pytest.raises(ValueError, match=r"RandomShift: expected a batch of images .* got shape \(5, 3\)"):
        T.RandomShift()(np.ones((5, 3)))
    with pytest.raises(ValueError, match="RandomRotation: degrees must be in"):
        T.RandomRotation(200)
    with pytest.raises(TypeError, match="Compose: every transform must be callable"):
        T.Compose([3])


def test_disturb_label_replaces_about_alpha_of_the_labels():
    y = np.repeat(np.arange(10), 500)
    changed = [np.mean(nn.DisturbLabel(0.2, 10, seed=s)(y) != y) for s in range(5)]
    assert 0.15 < np.median(changed) < 0.21  # alpha * (1 - 1/C) = 0.18
    out = nn.DisturbLabel(1.0, 10, seed=0)(y)
    assert out.dtype == y.dtype and set(out) == set(range(10)) and abs(np.mean(out != y) - 0.9) < 0.03
    assert np.array_equal(nn.DisturbLabel(0.0, 10)(y), y)
    loader = nn.data.DataLoader((np.zeros((50, 2)), y[:50]), batch_size=50, target_transform=nn.DisturbLabel(0.5))
    assert next(iter(loader))[1].shape == (50,)
    with pytest.raises(ValueError, match=r"labels \(N,\) in 0..9, got shape \(3,\) with values 0..12"):
        nn.DisturbLabel()(np.array([0, 5, 12]))
    with pytest.raises(ValueError, match="alpha must be in"):
        nn.DisturbLabel(1.5)


def test_dropconnect_drops_weights_not_units_while_training():
    np.random.seed(0)
    layer = nn.Linear(200, 3, bias=False)
    dc = nn.DropConnect(layer, p=0.5)
    x = Tensor(np.ones((1, 200)))
    out = dc(x)
    # Each output sums its kept weights, doubled: not the full sum, not zero.
    full = layer.weight.data.sum(axis=1)
    assert not np.allclose(out.data[0], full)
    out.sum().backward()
    kept = layer.weight.grad != 0
    assert 0.4 < kept.mean() < 0.6 and np.allclose(layer.weight.grad[kept], 2.0)
    assert dc.parameters() == [layer.weight]  # the wrapped weight is still the one parameter
    dc.eval()
    np.testing.assert_allclose(dc(x).data[0], full)
    np.random.seed(1)
    means = np.mean([nn.DropConnect(layer, 0.5)(x).data[0] for _ in range(400)], axis=0)
    np.testing.assert_allclose(means, full, atol=0.6)  # the scaling keeps the expected output


def test_dropconnect_gradcheck_with_a_fixed_mask():
    layer = nn.Linear(4, 3)
    dc = nn.DropConnect(layer, p=0.3)
    x = Tensor(np.random.default_rng(0).normal(size=(2, 4)), requires_grad=True)

    def f(x):
        np.random.seed(5)  # the same mask on every call, so finite differences see one function
        return dc(x)

    assert gradcheck(f, x)


def test_dropconnect_errors():
    with pytest.raises(ValueError, match=r"DropConnect: p must be a probability in \[0, 1\), got 1.0"):
        nn.DropConnect(nn.Linear(2, 2), 1.0)
    with pytest.raises(ValueError, match="DropConnect: ReLU has no Tensor parameter 'weight'"):
        nn.DropConnect(nn.ReLU())
    with pytest.raises(TypeError, match="DropConnect: expected a layer"):
        nn.DropConnect(np.ones(3))
