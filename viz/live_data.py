"""The points a watched run trains on, as versions: `watch.data` of `viz.live`.

`nn.fit(model, loss, optimizer, watch.data, callbacks=[watch])` iterates `watch.data` once an
epoch, like a DataLoader of one full batch, so `watch.add_points(X, y)` and
`watch.remove_points(indices)` change what the next epoch trains on (between two `fit` calls, or
from a callback during one). Every change makes a new version and keeps the old ones, and each
recorded epoch notes the version it trained on: the page shows the points each epoch saw, and
rewinding to an epoch gives back its data too.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

from circuitgrad.autograd import Tensor


def _array(a: Any) -> np.ndarray:
    return np.asarray(a.data if isinstance(a, Tensor) else a)


class LiveData:
    """Versions of (X, y); iterating yields the current version as one batch of Tensors."""

    def __init__(self, X: Any, y: Any) -> None:
        X, y = _array(X), _array(y)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"live: X must have shape (N, 2) (points of the plane), got {X.shape}")
        if len(y) != len(X):
            raise ValueError(f"live: X has {len(X)} points but y has {len(y)} labels")
        if not (np.isfinite(X.astype(float)).all() and np.isfinite(y.astype(float)).all()):
            raise ValueError("live: X or y holds nan or inf; the plane drawn around the points would have no extent")
        self.versions: list = [(X, y)]
        self.current = 0          # the version the next epoch trains on
        self.used = 0             # the version the last epoch trained on
        self.edited = False       # changed since the last fit began (fit must be given this object)
        self._tensors: dict = {}
        self.classes: Optional[int] = None  # with CrossEntropyLoss: labels are 0 .. classes - 1
        self.kind: Optional[str] = None     # "bce", "mse" or "cross_entropy" (the page's loss), or None

    @property
    def X(self) -> np.ndarray:
        return self.versions[self.current][0]

    @property
    def y(self) -> np.ndarray:
        return self.versions[self.current][1]

    def __len__(self) -> int:  # batches an epoch, as a DataLoader's len
        return 1

    def __iter__(self):
        self.used = self.current
        if self.current not in self._tensors:
            self._tensors = {self.current: (Tensor(self.X), Tensor(self.y))}
        yield self._tensors[self.current]

    def _new(self, X: np.ndarray, y: np.ndarray) -> None:
        self.versions.append((X, y))
        self.current = len(self.versions) - 1
        self.edited = True

    def add(self, X: Any, y: Any) -> None:
        X = np.asarray(_array(X), dtype=float)
        if X.ndim == 1 and X.shape == (2,):
            X = X[None]
        if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
            raise ValueError(f"live.add_points: X must be points of the plane, shape (n, 2) with n >= 1, got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("live.add_points: X holds nan or inf")
        old_X, old_y = self.versions[self.current]
        y = np.asarray(_array(y))
        if y.size != len(X):
            raise ValueError(f"live.add_points: {len(X)} points need {len(X)} labels, got y of shape {y.shape}")
        y = y.reshape((len(X),) + old_y.shape[1:])
        self._check_labels(y)
        self._new(np.concatenate([old_X, X.astype(old_X.dtype)]), np.concatenate([old_y, y.astype(old_y.dtype)]))

    def _check_labels(self, y: np.ndarray) -> None:
        if y.dtype.kind not in "biuf":
            raise TypeError(f"live.add_points: labels must be numbers, got dtype {y.dtype}")
        if not np.isfinite(y.astype(float)).all():
            raise ValueError("live.add_points: y holds nan or inf")
        if self.kind == "cross_entropy":
            bad = (y != np.round(y)) | (y < 0) | (y >= (self.classes or 0))
            if bad.any():
                raise ValueError(f"live.add_points: CrossEntropyLoss labels are class indices 0 .. "
                                 f"{(self.classes or 0) - 1}, got {y[bad].flat[0].item()!r}")
        elif self.kind == "bce" and ((y < 0) | (y > 1)).any():
            raise ValueError(f"live.add_points: BCELoss labels are probabilities in [0, 1], got "
                             f"{y[(y < 0) | (y > 1)].flat[0].item()!r}")

    def remove(self, indices: Any) -> None:
        X, y = self.versions[self.current]
        idx = np.asarray(indices)
        if idx.ndim == 0:
            idx = idx[None]
        if idx.size == 0:
            raise ValueError("live.remove_points: no index given")
        if idx.dtype.kind not in "iu" or idx.ndim != 1:
            if not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in np.ravel(idx).tolist()):
                raise TypeError(f"live.remove_points: indices must be ints, got {indices!r}")
        idx = idx.astype(int)
        out = idx[(idx < -len(X)) | (idx >= len(X))]
        if out.size:
            raise IndexError(f"live.remove_points: index {int(out[0])} is out of range for {len(X)} points")
        keep = np.ones(len(X), bool)
        keep[idx] = False
        if not keep.any():
            raise ValueError(f"live.remove_points: removing {len(set((idx % len(X)).tolist()))} of {len(X)} points "
                             "would leave nothing to train on")
        self._new(X[keep], y[keep])

    def rewind(self, version: int) -> None:
        """Train the next epochs on an earlier version (rewinding the run to an epoch that saw it)."""
        self.current = self.used = version
        self.edited = False
