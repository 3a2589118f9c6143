"""`fit`: the training loop every tutorial writes, once, with validation, metrics and early stopping.

    history = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=1), (X, y), epochs=1000)
    history["loss"][-1]

Each epoch: for every batch, zero_grad, forward, loss (+ an optional penalty such as L1),
backward, step; then the validation loss and metrics without a graph, in eval mode.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import numpy as np

from circuitgrad.autograd import Tensor, no_grad

from .checks import flag, integer, real
from .module import Module
from circuitgrad.autograd.checks import is_int

log = logging.getLogger(__name__)

__all__ = ["fit", "evaluate", "EarlyStopping", "History", "accuracy"]


def accuracy(pred: Any, target: Any, threshold: float = 0.5) -> float:
    """Fraction of correct predictions.

    Scores of shape (N, C) with C > 1: the argmax against integer labels (N,). One score
    per sample, (N,) or (N, 1): `pred > threshold` against 0/1 targets (use threshold=0.0
    for logits).
    """
    p = np.asarray(pred.data if isinstance(pred, Tensor) else pred)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if p.ndim == 2 and p.shape[1] > 1:
        if t.shape != (len(p),):
            raise ValueError(f"accuracy: scores of shape {p.shape} need labels of shape ({len(p)},), got {t.shape}")
        return float((p.argmax(axis=1) == t).mean())
    if p.reshape(-1).shape != t.reshape(-1).shape:
        raise ValueError(f"accuracy: predictions {p.shape} and targets {t.shape} do not match")
    return float(((p.reshape(-1) > threshold) == (t.reshape(-1) > 0.5)).mean())


class EarlyStopping:
    """Stop when the monitored number has not improved by more than `min_delta` for `patience` epochs.

    `monitor` defaults to "val_loss" when `fit` has validation data, else "loss"; `mode`
    "auto" minimizes names containing "loss" and maximizes others (accuracy). With
    `restore_best_weights`, the model ends with the weights of its best epoch.
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, monitor: Optional[str] = None,
                 mode: str = "auto", restore_best_weights: bool = True) -> None:
        patience = integer("EarlyStopping", "patience", patience)
        if patience < 1:
            raise ValueError(f"EarlyStopping: patience must be a positive int (epochs), got {patience!r}")
        min_delta = real("EarlyStopping", "min_delta", min_delta, low=0)
        if monitor is not None and not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be a history name such as 'val_loss' or None, "
                            f"got {type(monitor).__name__} {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.monitor, self.mode = patience, min_delta, monitor, mode
        self.restore_best_weights = flag("EarlyStopping", "restore_best_weights", restore_best_weights)
        self.start(monitor or "loss")

    def start(self, monitor: str) -> None:
        """Forget earlier runs and watch `monitor` (fit calls this, so one instance can serve many fits)."""
        self.monitoring = monitor
        self.best: Optional[float] = None
        self.best_epoch: Optional[int] = None
        self.best_state: Optional[dict] = None
        self.wait = 0

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        lower = self.mode == "min" or (self.mode == "auto" and "loss" in self.monitoring)
        return value < self.best - self.min_delta if lower else value > self.best + self.min_delta

    def update(self, epoch: int, value: float, model: Module) -> bool:
        """Record one epoch's number; True when training should stop."""
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = model.state_dict()
            return False
        self.wait += 1
        return self.wait >= self.patience


class History(dict):
    """Per-epoch lists by name ("loss", "val_loss", "accuracy", "val_accuracy", "lr"), plus
    `epochs` (how many ran), `stopped_early` and `best_epoch` (0-based, with early stopping)."""

    epochs: int = 0
    stopped_early: bool = False
    best_epoch: Optional[int] = None


def _metric_table(metrics: Any) -> dict:
    if metrics is None:
        return {}
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    elif not isinstance(metrics, (list, tuple)):  # a bare 'accuracy' would be read letter by letter
        raise TypeError(f"fit: metrics must be a list such as ['accuracy'] or a dict name -> function, "
                        f"got {type(metrics).__name__} {metrics!r}")
    else:
        items = [(m, m) if isinstance(m, str) else (getattr(m, "__name__", "metric"), m) for m in metrics]
    table = {}
    for name, fn in items:
        if fn == "accuracy":
            fn = accuracy
        if not callable(fn):
            raise ValueError(f"fit: metric {name!r} is not a function of (prediction, target); "
                             "use 'accuracy' or a function")
        table[name] = fn
    return table


def _batches(data: Any, owner: str, what: str) -> Iterable:
    """A re-iterable of (input, target) batches: a DataLoader as is, a tuple (X, y) as one full batch."""
    kinds = (np.ndarray, Tensor, list) if isinstance(data, tuple) else (np.ndarray, Tensor)
    arrays = isinstance(data, (tuple, list)) and len(data) > 0 and all(isinstance(a, kinds) for a in data)
    if arrays and len(data) != 2:
        raise ValueError(f"{owner}: {what} must be a pair (X, y) of inputs and targets, "
                         f"got a {type(data).__name__} of length {len(data)}")
    if arrays:
        x, y = (a if isinstance(a, Tensor) else Tensor(a) for a in data)
        if len(x) != len(y):
            raise ValueError(f"{owner}: {what} has {len(x)} inputs but {len(y)} targets")
        if len(x) == 0:
            raise ValueError(f"{owner}: {what} has no samples (X has shape {x.shape})")
        return [(x, y)]
    if isinstance(data, (Mapping, str)) or not hasattr(data, "__iter__"):
        raise TypeError(f"{owner}: {what} must be a tuple (X, y) or a DataLoader, got {type(data).__name__}")
    return data


def _pair(batch: Any, owner: str, what: str, b: int) -> tuple:
    """One batch as (input, target), or an error naming the batch (a DataLoader over (X,) gives 1-tuples)."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        parts = f"{len(batch)} parts" if isinstance(batch, (tuple, list)) else f"a {type(batch).__name__}"
        raise ValueError(f"{owner}: batch {b} of {what} is {parts}, not an (input, target) pair; "
                         "give (X, y) or DataLoader((X, y))")
    return batch


def _check_loss(owner: str, loss_fn: Any) -> None:
    if isinstance(loss_fn, type):
        raise TypeError(f"{owner}: loss_fn must be a loss such as nn.BCELoss() (an instance; got the class "
                        f"{loss_fn.__name__})")
    if not callable(loss_fn):
        raise TypeError(f"{owner}: loss_fn must be a loss such as nn.BCELoss() or a function of (prediction, "
                        f"target), got {type(loss_fn).__name__} {loss_fn!r}")


def _check_stepper(name: str, obj: Any, example: str, methods: tuple) -> None:
    """An optimizer or scheduler is anything with these methods; a class (SGD, not SGD(...)) is named as such."""
    got = f"the class {obj.__name__}" if isinstance(obj, type) else f"{type(obj).__name__} {obj!r}"
    if isinstance(obj, type) or not all(callable(getattr(obj, m, None)) for m in methods):
        raise TypeError(f"fit: {name} must be {example} (with {' and '.join(methods)}), got {got}")


def evaluate(model: Module, loss_fn: Callable, data: Any, metrics: Any = None) -> dict:
    """Mean loss and metrics over `data` in eval mode without building a graph; the mode is restored."""
    _check_loss("evaluate", loss_fn)
    table = _metric_table(metrics)
    batches = _batches(data, "evaluate", "data")
    was_training = model.training
    model.eval()
    sums, count = dict.fromkeys(["loss", *table], 0.0), 0
    try:
        with no_grad():
            for b, batch in enumerate(batches):
                x, y = _pair(batch, "evaluate", "data", b)
                pred = model(x)
                n = len(x)
                sums["loss"] += loss_fn(pred, y).item() * n
                for name, fn in table.items():
                    sums[name] += fn(pred, y) * n
                count += n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the data has no samples")
    return {k: v / count for k, v in sums.items()}


def _progress_bar(epochs: int, progress: bool) -> Any:
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional; training works without a bar
        log.debug("fit: tqdm is not installed, training without a progress bar")
        return None
    return tqdm(total=epochs, desc="fit", unit="epoch")


def fit(model: Module, loss_fn: Callable, optimizer: Any, data: Any, epochs: int = 1, val: Any = None,
        early_stopping: Union[EarlyStopping, int, None] = None, progress: bool = True, metrics: Any = None,
        scheduler: Any = None, penalty: Optional[Callable[[Module], Any]] = None,
        callbacks: Optional[Sequence[Any]] = None) -> History:
    """Train `model` for `epochs` passes over `data` and return the per-epoch History.

    `data` and `val`: a tuple (X, y) (one full batch) or a DataLoader. `metrics`: "accuracy",
    functions of (prediction, target), or a dict name -> function. `early_stopping`: an
    EarlyStopping or a patience in epochs; the best weights are restored at the end.
    `scheduler` is stepped once per epoch. `penalty(model)` is added to the loss that is
    differentiated (e.g. L1), not to the loss that is reported. `progress=False` hides
    the tqdm bar. `callbacks`: objects with any of `on_train_begin(model, data)`,
    `on_epoch_end(epoch, logs)` (logs: that epoch's numbers, as History gets them) and
    `on_train_end(history)`, called in that order (`viz.live()` is one: it draws the
    training as it runs). Raises TypeError or ValueError naming a wrong argument (a loss class
    instead of an instance, data that is not (X, y), no samples), and FloatingPointError
    when the loss becomes nan or inf.
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn.Module, got {type(model).__name__}")
    _check_loss("fit", loss_fn)
    _check_stepper("optimizer", optimizer, "an optimizer such as nn.optim.SGD(model.parameters(), lr=0.1)",
                   ("zero_grad", "step"))
    if scheduler is not None:
        _check_stepper("scheduler", scheduler, "a schedule such as nn.optim.StepLR(optimizer, step_size=10)",
                       ("step",))
    if penalty is not None and not callable(penalty):
        raise TypeError(f"fit: penalty must be a function of the model, such as lambda m: 1e-4 * "
                        f"sum(p.abs().sum() for p in m.parameters()), got {type(penalty).__name__} {penalty!r}")
    epochs = integer("fit", "epochs", epochs)
    if epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    progress = flag("fit", "progress", progress)
    if is_int(early_stopping):
        early_stopping = EarlyStopping(patience=early_stopping)
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"fit: early_stopping must be an EarlyStopping or a patience, got {early_stopping!r}")
        early_stopping.start(early_stopping.monitor or ("val_loss" if val is not None else "loss"))
    hooks = _callbacks(callbacks)
    table = _metric_table(metrics)
    batches = _batches(data, "fit", "data")
    if val is not None:
        val = _batches(val, "fit", "val")
    history = History(loss=[], **{name: [] for name in table})
    if val is not None:
        history.update(val_loss=[], **{f"val_{name}": [] for name in table})
    if scheduler is not None:
        history["lr"] = []
    bar = _progress_bar(epochs, progress)
    _call(hooks, "on_train_begin", model, data)
    try:
        for epoch in range(epochs):
            row = _train_epoch(model, loss_fn, optimizer, batches, table, penalty, epoch)
            if val is not None:
                row.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val, table).items()})
            if scheduler is not None:
                row["lr"] = optimizer.param_groups[0]["lr"]
                scheduler.step()
            for key, value in row.items():
                history[key].append(value)
            history.epochs = epoch + 1
            _call(hooks, "on_epoch_end", epoch, row)
            if bar is not None:
                bar.update(1)
                bar.set_postfix({k: f"{v:.4g}" for k, v in row.items() if k != "lr"}, refresh=False)
            if early_stopping is not None:
                monitor = early_stopping.monitoring
                if monitor not in row:
                    raise ValueError(f"fit: early stopping monitors {monitor!r}, but the epochs record only "
                                     f"{sorted(row)}")
                if early_stopping.update(epoch, row[monitor], model):
                    history.stopped_early = True
                    break
    finally:
        if bar is not None:
            bar.close()
    if early_stopping is not None:
        history.best_epoch = early_stopping.best_epoch
        if early_stopping.best_state is not None:
            model.load_state_dict(early_stopping.best_state)
    _call(hooks, "on_train_end", history)
    return history


_HOOKS = ("on_train_begin", "on_epoch_end", "on_train_end")


def _callbacks(callbacks: Any) -> list:
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"fit: callbacks must be a list such as [viz.live()], got {type(callbacks).__name__}")
    for cb in callbacks:
        if not any(callable(getattr(cb, hook, None)) for hook in _HOOKS):
            raise TypeError(f"fit: callback {type(cb).__name__} has none of the methods {', '.join(_HOOKS)}")
    return list(callbacks)


def _call(hooks: list, name: str, *args: Any) -> None:
    for cb in hooks:
        method = getattr(cb, name, None)
        if callable(method):
            method(*args)


def _train_epoch(model: Module, loss_fn: Callable, optimizer: Any, batches: Iterable, table: dict,
                 penalty: Optional[Callable], epoch: int) -> dict:
    model.train()
    sums, count = dict.fromkeys(["loss", *table], 0.0), 0
    for b, batch in enumerate(batches):
        x, y = _pair(batch, "fit", "data", b)
        optimizer.zero_grad()
        pred = model(x)
        loss = loss_fn(pred, y)
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"fit: the loss became {value} at epoch {epoch}, batch {b}; "
                                     "try a smaller learning rate or standardized inputs")
        (loss + penalty(model) if penalty is not None else loss).backward()
        optimizer.step()
        n = len(x)
        sums["loss"] += value * n
        for name, fn in table.items():
            sums[name] += fn(pred, y) * n
        count += n
    if count == 0:
        raise ValueError("fit: the training data has no samples")
    return {k: v / count for k, v in sums.items()}
