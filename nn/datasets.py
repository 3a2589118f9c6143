"""Datasets for the tutorials: generated xor, moons, circles, spirals, height_weight and shapes
(images), and scikit-learn's 8x8 digits.

Each returns numpy arrays `(X, y)`. `seed=None` draws from numpy's global RNG (so
`np.random.seed` reproduces it); an int seed uses its own generator and leaves the global
one alone. Classification labels are int arrays of shape (n,), except `xor`, whose targets
are a float column (4, 1) shaped for `BCELoss`, exactly as in the XOR tutorial.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .checks import integer, real
from circuitgrad.autograd.checks import is_int

__all__ = ["xor", "moons", "circles", "spirals", "height_weight", "shapes", "digits"]


def rng_for(seed: Optional[int]) -> Any:
    """numpy's global RNG for seed=None, else a Generator of its own (both have uniform/normal/permutation)."""
    if seed is None:
        return np.random
    if not is_int(seed):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    return np.random.default_rng(int(seed))


def _count(name: str, n: Any, least: int) -> int:
    return integer(name, "n_samples", n, low=least)


def _noise(name: str, noise: Any) -> float:
    """A standard deviation: a finite number >= 0."""
    return real(name, "noise", noise, low=0)


def xor(n_samples: Optional[int] = None, noise: float = 0.0, seed: Optional[int] = None) -> tuple:
    """The XOR truth table: X (4, 2) of 0/1 inputs and y (4, 1) = x0 xor x1, as floats.

    With `n_samples`, the four corners repeated in turn with Gaussian `noise` added to X.
    """
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    labels = np.array([[0], [1], [1], [0]], dtype=float)
    noise = _noise("xor", noise)
    if n_samples is None:
        X, y = corners.copy(), labels.copy()
    else:
        n = _count("xor", n_samples, 1)
        X, y = corners[np.arange(n) % 4], labels[np.arange(n) % 4]
    if noise:
        X = X + rng_for(seed).normal(0.0, noise, X.shape)
    return X, y


def moons(n_samples: int = 100, noise: float = 0.0, seed: Optional[int] = None) -> tuple:
    """Two interleaving half circles (label 0 the upper, 1 the lower), shuffled; X (n, 2), y (n,)."""
    n = _count("moons", n_samples, 2)
    noise, rng = _noise("moons", noise), rng_for(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n - n_out, dtype=np.int64)])
    return _shuffled(X, y, noise, rng)


def circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, seed: Optional[int] = None) -> tuple:
    """A circle of radius 1 (label 0) around one of radius `factor` (label 1), shuffled; X (n, 2), y (n,)."""
    n = _count("circles", n_samples, 2)
    factor = real("circles", "factor (inner radius / outer radius)", factor, 0, 1, low_open=True, high_open=True)
    noise, rng = _noise("circles", noise), rng_for(seed)
    n_out = n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n - n_out, endpoint=False)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n - n_out, dtype=np.int64)])
    return _shuffled(X, y, noise, rng)


def spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: Optional[int] = None) -> tuple:
    """Interleaved spiral arms, one per class (the CS231n toy set); X (n, 2), y (n,) in 0..n_classes-1.

    `noise` jitters each point's angle (in radians), as in CS231n.
    """
    n = _count("spirals", n_samples, 1)
    n_classes = integer("spirals", "n_classes", n_classes, low=2)
    noise, rng = _noise("spirals", noise), rng_for(seed)
    sizes = [n // n_classes + (1 if k < n % n_classes else 0) for k in range(n_classes)]
    Xs, ys = [], []
    for k, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, m) + rng.normal(0.0, 1.0, m) * noise
        Xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(m, k, dtype=np.int64))
    return _shuffled(np.concatenate(Xs), np.concatenate(ys), 0.0, rng)


def height_weight(n_samples: int = 100, noise: float = 2.0, seed: Optional[int] = None) -> tuple:
    """Body weight (kg) in X (n, 1) and height (cm) in y (n, 1): a curved, saturating relation.

    height = 150 + 30 tanh((weight - 62) / 12) + N(0, noise^2), weights uniform in 40..110:
    a straight line fits it badly, a small ReLU MLP (1-8-4-1, as in the tutorial) well.
    Standardize both before training (`nn.data.Standardizer`).
    """
    n = _count("height_weight", n_samples, 2)
    noise, rng = _noise("height_weight", noise), rng_for(seed)
    weight = rng.uniform(40.0, 110.0, (n, 1))
    height = 150.0 + 30.0 * np.tanh((weight - 62.0) / 12.0)
    if noise:
        height = height + rng.normal(0.0, noise, (n, 1))
    return weight, height


def _shuffled(X: np.ndarray, y: np.ndarray, noise: float, rng: Any) -> tuple:
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(0.0, noise, X.shape)
    return X, y


# ---- images (N, 1, H, W) ---------------------------------------------------------------------------

def digits(seed: Optional[int] = None) -> tuple:
    """scikit-learn's 8x8 handwritten digits: X (1797, 1, 8, 8) in [0, 1] and y (1797,) in 0..9.

    The images are scikit-learn's (pixel counts 0..16, here divided by 16), laid out as one
    channel for `Conv2d`; `X.reshape(len(X), -1)` gives the 64 features for an MLP. In
    scikit-learn's order unless `seed` is given, which shuffles (samples of one writer come in
    runs, so shuffle or stratify before a split). Raises ImportError saying how to install
    scikit-learn when it is missing (it ships the data; no download).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("nn.datasets.digits needs scikit-learn, which ships the 8x8 digits: "
                          "pip install scikit-learn (or the 'notebook' / 'test' extra of circuitgrad)") from None
    bunch = load_digits()
    X = (bunch.images / 16.0).reshape(-1, 1, 8, 8)
    y = bunch.target.astype(np.int64)
    if seed is not None:
        order = rng_for(seed).permutation(len(X))
        X, y = X[order], y[order]
    return X, y


SHAPE_NAMES = ("bar", "cross", "circle")


def shapes(n_samples: int = 300, size: int = 12, noise: float = 0.1, seed: Optional[int] = None) -> tuple:
    """Small generated images of a bar (label 0), a cross (1) or a ring (2), with Gaussian noise.

    X (n, 1, size, size), y (n,); classes take turns, then the set is shuffled. Each shape has
    a random centre, size and (for bars) direction, so a model must find the pattern, not a
    fixed pixel. Needs nothing beyond numpy: for tests and quick CNN demos (`SHAPE_NAMES`).
    """
    n = _count("shapes", n_samples, 3)
    size = integer("shapes", "size", size, low=8)
    noise, rng = _noise("shapes", noise), rng_for(seed)
    y = np.arange(n) % 3
    cy, cx = (rng.uniform(0.35, 0.65, (2, n)) * (size - 1))[:, :, None, None]
    r = rng.uniform(0.2, 0.32, n)[:, None, None] * size
    rows, cols = np.mgrid[0:size, 0:size].astype(float)
    across = (np.abs(rows - cy) <= 0.6) & (np.abs(cols - cx) <= r)  # a horizontal stroke
    down = (np.abs(cols - cx) <= 0.6) & (np.abs(rows - cy) <= r)
    vertical = (rng.uniform(0, 1, n) < 0.5)[:, None, None]
    bar = np.where(vertical, down, across)
    ring = np.abs(np.hypot(rows - cy, cols - cx) - r) <= 0.7
    images = np.where((y == 0)[:, None, None], bar, np.where((y == 1)[:, None, None], across | down, ring))
    X = images.astype(float)[:, None]
    return _shuffled(X, y.astype(np.int64), noise, rng)
