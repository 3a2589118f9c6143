"""Data augmentation for image batches, and DisturbLabel for label batches.

Each transform is a callable on a numpy batch that returns a new batch of the same shape:
images (N, C, H, W) (or (N, H, W)), labels (N,). A fresh random draw is made for every
sample of every batch, so each epoch sees slightly different images: more data for free,
and a model that cannot memorize exact pixels (an overfitting remedy). Give them to a
DataLoader, which applies them to each training batch:

    loader = nn.data.DataLoader((X, y), batch_size=64, shuffle=True,
                                transform=nn.transforms.Compose([nn.transforms.RandomShift(1),
                                                                 nn.transforms.RandomRotation(10)]),
                                target_transform=nn.transforms.DisturbLabel(0.1, num_classes=10))

Randomness follows the rule of `nn.data`: `seed=None` draws from numpy's global RNG, an int
seed from a generator of its own. Validation data gets no transform.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from .checks import integer, real
from .datasets import rng_for

__all__ = ["Compose", "RandomShift", "RandomRotation", "RandomHorizontalFlip", "RandomVerticalFlip",
           "GaussianNoise", "DisturbLabel"]


def _images(x: Any, owner: str) -> np.ndarray:
    array = np.asarray(getattr(x, "data", x))
    if array.ndim not in (3, 4) or array.dtype.kind not in "biuf":
        raise ValueError(f"{owner}: expected a batch of images (N, C, H, W) or (N, H, W), got shape {array.shape}")
    return array.astype(float) if array.dtype.kind != "f" else array


def _sample(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear reads of each image at (rows, cols) (N, H, W) source coordinates; outside is 0."""
    squeeze = images.ndim == 3
    x = images[:, None] if squeeze else images
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))  # a zero border for reads just outside
    r = np.clip(rows + 1, 0, h + 1 - 1e-9)
    q = np.clip(cols + 1, 0, w + 1 - 1e-9)
    r0, q0 = np.floor(r).astype(int), np.floor(q).astype(int)
    r1, q1 = np.minimum(r0 + 1, h + 1), np.minimum(q0 + 1, w + 1)
    fr, fq = (r - r0)[:, None], (q - q0)[:, None]
    batch = np.arange(n)[:, None, None, None]
    chan = np.arange(c)[None, :, None, None]

    def at(i, j):
        return padded[batch, chan, i[:, None], j[:, None]]

    out = (at(r0, q0) * (1 - fr) * (1 - fq) + at(r0, q1) * (1 - fr) * fq +
           at(r1, q0) * fr * (1 - fq) + at(r1, q1) * fr * fq)
    out = out.astype(x.dtype, copy=False)
    return out[:, 0] if squeeze else out


class Compose:
    """Apply transforms one after another (as torchvision's Compose)."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {type(t).__name__}")

    def __call__(self, x: Any) -> np.ndarray:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        return f"Compose([{', '.join(map(repr, self.transforms))}])"


class RandomShift:
    """Move each image by a whole number of pixels, up to `max_shift` in each direction; zeros fill in.

    A digit written a little off centre is still the same digit.
    """

    def __init__(self, max_shift: int = 1, seed: Optional[int] = None) -> None:
        self.max_shift = integer("RandomShift", "max_shift", max_shift, low=0)
        self._rng = rng_for(seed)

    def __call__(self, x: Any) -> np.ndarray:
        images = _images(x, "RandomShift")
        n, h, w = len(images), images.shape[-2], images.shape[-1]
        # Whole numbers from -max_shift to max_shift, each equally likely (uniform works on both RNG kinds).
        dy, dx = np.floor(self._rng.uniform(-self.max_shift, self.max_shift + 1, (2, n, 1, 1)))
        rows, cols = np.mgrid[0:h, 0:w]
        return _sample(images, rows - dy, cols - dx)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift})"


class RandomRotation:
    """Rotate each image about its centre by an angle drawn from [-degrees, degrees] (bilinear, zeros fill in)."""

    def __init__(self, degrees: float = 10.0, seed: Optional[int] = None) -> None:
        self.degrees = real("RandomRotation", "degrees", degrees, 0, 180)
        self._rng = rng_for(seed)

    def __call__(self, x: Any) -> np.ndarray:
        images = _images(x, "RandomRotation")
        n, h, w = len(images), images.shape[-2], images.shape[-1]
        angle = np.radians(self._rng.uniform(-self.degrees, self.degrees, n))[:, None, None]
        rows, cols = np.mgrid[0:h, 0:w].astype(float)
        cy, cx = (h - 1) / 2, (w - 1) / 2
        # Each output pixel reads the input pixel that the rotation would carry onto it.
        cos, sin = np.cos(angle), np.sin(angle)
        src_rows = cy + cos * (rows - cy) - sin * (cols - cx)
        src_cols = cx + sin * (rows - cy) + cos * (cols - cx)
        return _sample(images, src_rows, src_cols)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees})"


class RandomHorizontalFlip:
    """Mirror each image left to right with probability p (for pictures whose class a mirror keeps;
    not for digits, where a mirrored 3 is no longer a 3)."""

    axis = -1

    def __init__(self, p: float = 0.5, seed: Optional[int] = None) -> None:
        self.p = real(type(self).__name__, "p", p, 0, 1)
        self._rng = rng_for(seed)

    def __call__(self, x: Any) -> np.ndarray:
        images = _images(x, type(self).__name__)
        flip = self._rng.uniform(0, 1, len(images)) < self.p
        out = images.copy()
        out[flip] = np.flip(images[flip], axis=self.axis)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror each image top to bottom with probability p."""

    axis = -2


class GaussianNoise:
    """Add N(mean, std^2) noise to every pixel."""

    def __init__(self, std: float = 0.1, mean: float = 0.0, seed: Optional[int] = None) -> None:
        self.std = real("GaussianNoise", "std", std, low=0)
        self.mean = real("GaussianNoise", "mean", mean)
        self._rng = rng_for(seed)

    def __call__(self, x: Any) -> np.ndarray:
        images = _images(x, "GaussianNoise")
        return (images + self._rng.normal(self.mean, self.std, images.shape)).astype(images.dtype, copy=False)

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std}, mean={self.mean})"


class DisturbLabel:
    """Replace each label, with probability `alpha`, by a class drawn uniformly from all `num_classes`.

    DisturbLabel (Xie et al., 2016) regularizes the loss layer as dropout does the units: a
    few wrong targets in every batch keep the network from fitting each training label
    exactly. A drawn class may be the true one, so about alpha (1 - 1/C) of the labels end up
    wrong. Use it as a DataLoader's `target_transform` (training data only). Raises
    ValueError for alpha outside [0, 1] or labels outside 0..num_classes-1.
    """

    def __init__(self, alpha: float = 0.1, num_classes: int = 10, seed: Optional[int] = None) -> None:
        self.alpha = real("DisturbLabel", "alpha", alpha, 0, 1)
        self.num_classes = integer("DisturbLabel", "num_classes", num_classes, low=2)
        self._rng = rng_for(seed)

    def __call__(self, labels: Any) -> np.ndarray:
        y = np.asarray(getattr(labels, "data", labels))
        if y.ndim != 1 or y.dtype.kind not in "iuf" or (y.size and (y.min() < 0 or y.max() >= self.num_classes)):
            raise ValueError(f"DisturbLabel: expected class labels (N,) in 0..{self.num_classes - 1}, got "
                             f"shape {y.shape}" + (f" with values {y.min()}..{y.max()}" if y.size else ""))
        disturb = self._rng.uniform(0, 1, len(y)) < self.alpha
        random = self._rng.uniform(0, self.num_classes, len(y)).astype(np.int64)
        return np.where(disturb, random, y).astype(y.dtype)

    def __repr__(self) -> str:
        return f"DisturbLabel(alpha={self.alpha}, num_classes={self.num_classes})"
