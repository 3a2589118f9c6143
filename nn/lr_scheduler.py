"""Learning-rate schedules, as `torch.optim.lr_scheduler`: call `scheduler.step()` once per epoch.

Each schedule is a closed formula of the epoch count `last_epoch` and each group's
starting lr (`base_lrs`), so it gives the same numbers as PyTorch's step-by-step versions
(to rounding) and does not drift. Setting an lr by hand is overwritten at the next step.
"""
from __future__ import annotations

import bisect
import math
import numbers
from typing import Any, Callable, Sequence, Union

from .checks import integer, real


class LRScheduler:
    """Base class: sets every parameter group's lr to `get_lr()` on each `step()`.

    Creating a scheduler counts as step 0 (lr = base lr), as in PyTorch.
    """

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        groups = getattr(optimizer, "param_groups", None)
        if not isinstance(groups, list):
            raise TypeError(f"{type(self).__name__}: expected an optimizer, got {type(optimizer).__name__}")
        last_epoch = integer(type(self).__name__, "last_epoch", last_epoch, low=-1)
        self.optimizer = optimizer
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._last_lr = [group["lr"] for group in groups]
        self.step()

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rates."""
        self.last_epoch += 1
        self._last_lr = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group, as set by the last step."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimizer (epoch count, base lrs, the schedule's settings), as PyTorch."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume a schedule from `state_dict()`; raises ValueError for keys this schedule does not have."""
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict: expected a dict from scheduler.state_dict(), "
                            f"got {type(state_dict).__name__}")
        own = {k for k in self.__dict__ if k != "optimizer"}
        if set(state_dict) != own:
            raise ValueError(f"{name}.load_state_dict: unknown keys {sorted(set(state_dict) - own)}, missing keys "
                             f"{sorted(own - set(state_dict))}")
        for key in ("base_lrs", "_last_lr"):
            if len(state_dict[key]) != len(self.optimizer.param_groups):
                raise ValueError(f"{name}.load_state_dict: {key} has {len(state_dict[key])} entries, the optimizer "
                                 f"{len(self.optimizer.param_groups)} parameter groups")
        self.__dict__.update({k: (list(v) if isinstance(v, list) else v) for k, v in state_dict.items()})


def _positive(owner: str, name: str, value: Any, whole: bool = False) -> Any:
    """A finite number > 0, or an int > 0 when `whole` (a count of epochs); numpy scalars count."""
    if whole and not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int (epochs), got {type(value).__name__} {value!r}")
    number = integer(owner, name, value) if whole else real(owner, name, value)
    if number <= 0:
        raise ValueError(f"{owner}: {name} must be positive, got {number}")
    return number


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): drop by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = _positive("StepLR", "step_size", step_size, whole=True)
        self.gamma = _positive("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch: multiply by `gamma` every epoch."""

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2.

    Falls from base_lr to eta_min over T_max epochs along half a cosine (then rises again,
    as PyTorch's does, if you keep stepping).
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = _positive("CosineAnnealingLR", "T_max", T_max, whole=True)
        self.eta_min = real("CosineAnnealingLR", "eta_min", eta_min, low=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones passed): drop by `gamma` at each milestone epoch."""

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1) -> None:
        try:
            milestones = [integer("MultiStepLR", "milestones", m, low=0) for m in milestones]
        except TypeError as e:
            if "milestones" in str(e):
                raise
            raise TypeError(f"MultiStepLR: milestones must be a list of epochs, got {milestones!r}") from None
        self.milestones = sorted(milestones)
        self.gamma = _positive("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma ** bisect.bisect_right(self.milestones, self.last_epoch) for base in self.base_lrs]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch): any schedule you can write as a function (one per group, or one for all).

    As in PyTorch, `state_dict()` leaves the functions out (they are code, not numbers).
    """

    def __init__(self, optimizer: Any, lr_lambda: Union[Callable[[int], float], Sequence[Callable]],
                 last_epoch: int = -1) -> None:
        groups = getattr(optimizer, "param_groups", None)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * len(groups or [])
        if groups is not None and len(lambdas) != len(groups):
            raise ValueError(f"LambdaLR: got {len(lambdas)} lr_lambdas for {len(groups)} parameter groups")
        for f in lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {type(f).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict:
        state = super().state_dict()
        del state["lr_lambdas"]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict({**state_dict, "lr_lambdas": self.lr_lambdas} if isinstance(state_dict, dict)
                                else state_dict)
