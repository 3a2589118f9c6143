"""Optimizers with PyTorch's names, defaults and update formulas: SGD, Adam, AdamW, RMSprop, Adagrad.

An optimizer holds `param_groups` (lists of parameters with their own hyperparameters,
as PyTorch) and per-parameter `state` (momentum buffers, moment estimates). `step()`
changes each parameter's numbers in place and builds no graph; `zero_grad()` clears the
gradients before the next backward pass. Parameters that are frozen
(`requires_grad=False`) or got no gradient (`grad is None`) are skipped, as PyTorch does.
Works on Tensor parameters and on scalar Value parameters alike. `state_dict()` and
`load_state_dict()` save and restore both, in PyTorch's layout, so a run can stop and resume.

The learning-rate schedulers (`StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR`,
`LambdaLR`) live in
`nn.lr_scheduler` and are importable from here, as `torch.optim.lr_scheduler` is.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Union

import numpy as np

from circuitgrad.autograd import Tensor, Value
from circuitgrad.autograd.graph import Node, get_grad
from circuitgrad.autograd.tensor_inplace import increment_version

from . import lr_scheduler
from .checks import flag, integer, real
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, MultiStepLR, StepLR

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler", "LRScheduler", "StepLR",
           "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"]

Params = Union[Iterable[Node], Iterable[dict]]


class Optimizer:
    """Base class: keeps the parameter groups and state, skips frozen parameters, checks arguments."""

    def __init__(self, params: Params, defaults: dict) -> None:
        name = type(self).__name__
        if isinstance(params, (Node, dict)):
            raise TypeError(f"{name}: params must be an iterable of parameters (e.g. model.parameters()), "
                            f"got a single {type(params).__name__}; wrap it in a list")
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of parameters, got {type(params).__name__}") from None
        if not params:
            raise ValueError(f"{name}: got no parameters: an empty list, or a generator already used up "
                             "(call model.parameters() again for each optimizer)")
        self.defaults = defaults
        self.param_groups: list[dict] = []
        self.state: dict[int, dict] = {}  # keyed by id(param); the groups keep the params alive
        for group in (params if isinstance(params[0], dict) else [{"params": params}]):
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add parameters with their own hyperparameters (the rest come from the defaults)."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group is a dict with a 'params' entry, got {group!r:.60}")
        params = group["params"]
        params = [params] if isinstance(params, Node) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, (Tensor, Value)):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor or a Value")
            if isinstance(p, Tensor) and p.fn is not None:
                raise ValueError(f"{name}: parameter {i} was computed by {p.op!r}; only leaves can be optimized")
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {i} ({p.label or 'unnamed'}) appears more than once")
            seen.add(id(p))
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise TypeError(f"{name}: unknown hyperparameters {sorted(unknown)}; valid: {sorted(self.defaults)}")
        full = {**self.defaults, **group, "params": params}
        self._check(full)
        self.param_groups.append(full)

    def _check(self, group: dict) -> None:
        """Every hyperparameter of a group, whether it came from the constructor or add_param_group."""
        name = type(self).__name__
        for key, value in group.items():
            if key == "params":
                continue
            if key == "betas":
                group[key] = _betas(name, value)
            elif key in ("nesterov", "amsgrad", "centered"):
                group[key] = flag(name, key, value)
            else:
                group[key] = real(name, key, value, low=0.0)
        if group.get("nesterov") and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{name}: nesterov momentum needs momentum > 0 and dampening = 0")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear gradients: None (or zeros with set_to_none=False) for Tensors, 0.0 for Values."""
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, Value):
                    p.grad = 0.0
                elif set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.data)  # a new array: the old one may be shared or read-only

    def step(self) -> None:
        """Update every parameter that has a gradient, in place; builds no graph. Every gradient is
        checked before any parameter changes, so a step that raises changes nothing."""
        state, update = self.state, self._update
        for p, g, group in self._gradients():
            s = state.get(id(p))
            if s is None:
                s = state[id(p)] = {}
            if type(p) is Value:
                p.data = float(update(np.float64(p.data), np.float64(g), s, group))
                continue
            new = update(p.data, g, s, group)
            if new is not p.data:  # in place: views of the weights stay valid
                p.data[...] = new
            # As PyTorch's in-place update: a graph that used the old weights now refuses to backpropagate.
            increment_version(p)

    def _gradients(self) -> list:
        """[(parameter, its gradient's numbers, its group)] for every parameter a step updates, each
        gradient checked (and converted where it was set by hand, or is a node after create_graph=True)."""
        found = []
        for group in self.param_groups:
            for p in group["params"]:
                g = get_grad(p)  # the numbers themselves (a Tensor's `.grad` wraps them)
                if g is None:
                    continue
                if type(p) is Value:
                    if type(g) is not float:
                        g = self._checked_grad(p, g)
                elif not p.requires_grad:
                    continue
                elif type(g) is not np.ndarray or g.shape != p.data.shape or g.dtype.kind != "f":
                    g = self._checked_grad(p, g)
                found.append((p, g, group))
        return found

    def _checked_grad(self, p: Node, g: Any) -> Any:
        """`p.grad` as numbers `step` can use, or an error naming the parameter. A gradient left by
        `backward(create_graph=True)` is a node: its numbers are used, as PyTorch does."""
        if isinstance(g, Node):
            g = g.data
        if isinstance(g, (bool, np.bool_)) or not isinstance(g, (np.ndarray, np.generic, int, float)):
            raise TypeError(f"{self._gradient_of(p)} is a {type(g).__name__}, not numbers")
        g = np.asarray(g)
        if g.dtype.kind not in "fiu":
            raise TypeError(f"{self._gradient_of(p)} has dtype {g.dtype}; expected real numbers")
        if isinstance(p, Value):
            if g.ndim:
                raise ValueError(f"{self._gradient_of(p)} (a Value) has shape {g.shape}; expected a number")
            return float(g)
        if g.shape != p.data.shape:
            raise ValueError(f"{self._gradient_of(p)} has shape {g.shape}, but the parameter has shape "
                             f"{p.data.shape}")
        return g.astype(p.data.dtype) if g.dtype.kind != "f" else g

    def _gradient_of(self, p: Node) -> str:
        """How an error names `p`'s gradient: "SGD.step: the gradient of parameter 1 of group 0 (W1)"."""
        where = next(f"parameter {i} of group {j}" for j, group in enumerate(self.param_groups)
                     for i, q in enumerate(group["params"]) if q is p)
        label = f" ({p.label})" if p.label else ""
        return f"{type(self).__name__}.step: the gradient of {where}{label}"

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict, group: dict) -> np.ndarray:
        """Update `x` in place from its gradient `g` (`x -= lr * g`, as hand-written numpy does) and
        return it. For a Value, `x` is a numpy float, which `-=` replaces: the result is what counts."""
        raise NotImplementedError

    # ---- saving and resuming ------------------------------------------------------------------------

    # The per-parameter state each optimizer keeps (PyTorch's names), for checking a loaded state.
    state_keys: frozenset = frozenset()

    def _required_state(self, group: dict) -> set:
        """The state entries a parameter that has taken a step must have, under this group's settings."""
        return set()

    def state_dict(self) -> dict:
        """PyTorch's layout: {"state": {index: {name: array}}, "param_groups": [{..., "params": [index]}]}.

        Parameters are numbered 0, 1, ... across the groups in order, so the dict names no
        object and can be loaded into a fresh optimizer over a fresh model of the same shape.
        Arrays are copies: the snapshot does not change as training goes on.
        """
        index, groups = {}, []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index[id(p)] = len(index)
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {index[key]: {k: _copy(v) for k, v in s.items()} for key, s in self.state.items()
                 if key in index and s}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume from `state_dict()`: hyperparameters, momentum buffers and moments, so training continues
        exactly where it stopped. A PyTorch optimizer's `state_dict()` loads too (its tensors become
        arrays). Checks everything before changing anything; raises ValueError naming the problem (a
        different number of groups or parameters, an unknown key, a wrong shape)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict: expected the dict from optimizer.state_dict(), "
                            f"got {type(state_dict).__name__}")
        if set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}.load_state_dict: expected the keys 'state' and 'param_groups', got "
                             f"{sorted(map(str, state_dict))}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, list) or not isinstance(saved_state, dict):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list and 'state' a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter groups, "
                             f"this optimizer {len(self.param_groups)}")
        params, groups = {}, []
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"{name}.load_state_dict: parameter group {g} is not a dict with 'params'")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {g} has {len(saved['params'])} "
                                 f"parameters in the saved state, {len(group['params'])} in this optimizer")
            saved = self._without_torch_flags(saved, g)
            unknown = set(saved) - set(self.defaults) - {"params", "initial_lr"}
            if unknown:
                raise ValueError(f"{name}.load_state_dict: unknown hyperparameters {sorted(map(str, unknown))} in "
                                 f"parameter group {g}; {name} has {sorted(self.defaults)}")
            merged = {**group, **{k: v for k, v in saved.items() if k != "params"}, "params": group["params"]}
            self._check(merged)
            groups.append(merged)
            params.update((i, (p, merged)) for i, p in zip(saved["params"], group["params"]))
        state = {}
        for i, entries in saved_state.items():
            if i not in params:
                raise ValueError(f"{name}.load_state_dict: state for parameter {i!r}, but the groups number "
                                 f"their parameters {sorted(params)}")
            if not isinstance(entries, dict):
                raise ValueError(f"{name}.load_state_dict: the state of parameter {i} must be a dict, "
                                 f"got {type(entries).__name__}")
            p, group = params[i]
            entries = {k: v for k, v in entries.items() if v is not None}  # PyTorch's SGD keeps momentum_buffer=None
            unknown = set(entries) - self.state_keys
            if unknown:
                raise ValueError(f"{name}.load_state_dict: unknown state {sorted(map(str, unknown))} for parameter "
                                 f"{i}; {name} keeps {sorted(self.state_keys)}")
            missing = self._required_state(group) - set(entries) if entries else set()
            if missing:
                raise ValueError(f"{name}.load_state_dict: the state of parameter {i} lacks {sorted(missing)}")
            state[id(p)] = {k: _restore(name, i, k, v, p) for k, v in entries.items()}
        for group, merged in zip(self.param_groups, groups):
            group.clear()
            group.update(merged)
        self.state = state

    # Switches PyTorch's optimizers have and circuitgrad's do not, with the value that means "off":
    # a PyTorch state dict that leaves them off loads here; one that turns them on is refused.
    _torch_flags = {"foreach": None, "maximize": False, "capturable": False, "differentiable": False, "fused": None}

    def _without_torch_flags(self, saved: dict, g: int) -> dict:
        flags = dict(self._torch_flags)
        if "amsgrad" in self.defaults:  # Adam and AdamW: PyTorch names the difference decoupled_weight_decay
            flags["decoupled_weight_decay"] = getattr(self, "decoupled", False)
        on = {k: saved[k] for k in flags if k in saved and saved[k] != flags[k] and saved[k] is not flags[k]}
        if on:
            raise ValueError(f"{type(self).__name__}.load_state_dict: parameter group {g} turns on PyTorch options "
                             f"circuitgrad does not have: {on}")
        return {k: v for k, v in saved.items() if k not in flags}

    def to_torch(self, params: Any) -> Any:
        """This optimizer in PyTorch, over `params` (`torch_model.parameters()`, in the same order as
        here), with its state: training continues exactly. Needs PyTorch; see nn.torch_bridge."""
        from .torch_optimizer import optimizer_to_torch
        return optimizer_to_torch(self, params)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in group.items() if k != "params"]
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and weight decay (L2).

    g = grad + weight_decay * p; with momentum: buf = momentum * buf + (1 - dampening) * g
    (buf = g on the first step), then g = g + momentum * buf (nesterov) or g = buf;
    p = p - lr * g.
    """

    state_keys = frozenset({"momentum_buffer"})

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _update(self, x, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(g, copy=True)
            else:
                buf = buf * momentum + (1 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + momentum * buf if group["nesterov"] else buf
        x -= group["lr"] * g  # in place (a float64 scalar for a Value): no copy back
        return x


def _copy(value: Any) -> Any:
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _restore(name: str, i: int, key: str, value: Any, p: Node) -> Any:
    """A loaded state entry, checked against its parameter: `step` a count, the rest arrays of its shape."""
    if hasattr(value, "detach"):  # a torch tensor, from a PyTorch optimizer's state_dict()
        value = value.detach().cpu().numpy()
    if key == "step":
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        if isinstance(value, float) and value.is_integer():  # PyTorch counts steps in a float tensor
            value = int(value)
        return integer(f"{name}.load_state_dict", f"state[{i}]['step']", value, low=0)
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    shape = np.shape(p.data)
    if array.dtype.kind not in "iuf" or array.dtype == bool:
        raise ValueError(f"{name}.load_state_dict: state[{i}][{key!r}] must be real numbers, got {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"{name}.load_state_dict: state[{i}][{key!r}] has shape {array.shape}, "
                         f"its parameter {shape}")
    if isinstance(p, Value):
        return np.float64(array)
    return np.array(array, dtype=p.data.dtype)


def _betas(name: str, betas: Any) -> tuple:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
    return tuple(real(name, f"betas[{i}]", b, 0.0, 1.0, high_open=True) for i, b in enumerate(betas))


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): steps scaled by running averages of the gradient and its square.

    m = m + (1 - b1)(g - m); v = b2 v + (1 - b2) g^2; p = p - lr/(1 - b1^t) * m /
    (sqrt(v) / sqrt(1 - b2^t) + eps). weight_decay adds weight_decay * p to g (L2, unlike
    AdamW); amsgrad uses the largest v seen so far.
    """

    decoupled = False
    state_keys = frozenset({"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"})

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _required_state(self, group: dict) -> set:
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set())

    def _update(self, x, g, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if wd and self.decoupled:
            x *= 1 - lr * wd  # AdamW: shrink the weights directly, outside the moment estimates
        elif wd:
            g = g + wd * x
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(x), exp_avg_sq=np.zeros_like(x))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(x)
        state["step"] += 1
        t = state["step"]
        m = state["exp_avg"] = state["exp_avg"] + (1 - beta1) * (g - state["exp_avg"])
        v = state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * g * g
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = np.maximum(state["max_exp_avg_sq"], v)
        step_size = lr / (1 - beta1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + eps
        x -= step_size * (m / denom)
        return x


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): p = p (1 - lr wd) before the Adam step.

    Default weight_decay 0.01, as PyTorch.
    """

    decoupled = True

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class RMSprop(Optimizer):
    """RMSprop (Hinton): divide the step by a running root-mean-square of recent gradients.

    v = alpha v + (1 - alpha) g^2; centered subtracts the squared running mean of g;
    p = p - lr g / (sqrt(v) + eps), or through a momentum buffer b = momentum b + g / (sqrt(v) + eps).
    """

    state_keys = frozenset({"step", "square_avg", "momentum_buffer", "grad_avg"})

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def _required_state(self, group: dict) -> set:
        return {"step", "square_avg"} | ({"momentum_buffer"} if group["momentum"] else set()) \
            | ({"grad_avg"} if group["centered"] else set())

    def _update(self, x, g, state, group):
        alpha = group["alpha"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        if not state:
            state.update(step=0, square_avg=np.zeros_like(x))
            if group["momentum"]:
                state["momentum_buffer"] = np.zeros_like(x)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(x)
        state["step"] += 1
        sq = state["square_avg"] = state["square_avg"] * alpha + (1 - alpha) * g * g
        if group["centered"]:
            avg_g = state["grad_avg"] = state["grad_avg"] + (1 - alpha) * (g - state["grad_avg"])
            avg = np.sqrt(sq - avg_g * avg_g)
        else:
            avg = np.sqrt(sq)
        avg = avg + group["eps"]
        if group["momentum"]:
            buf = state["momentum_buffer"] = state["momentum_buffer"] * group["momentum"] + g / avg
            x -= group["lr"] * buf
        else:
            x -= group["lr"] * (g / avg)
        return x


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): each weight's step shrinks with the sum of its squared gradients.

    s = s + g^2; p = p - lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps).
    """

    state_keys = frozenset({"step", "sum"})

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _required_state(self, group: dict) -> set:
        return {"step", "sum"}

    def _update(self, x, g, state, group):
        if not state:
            state.update(step=0, sum=np.full_like(x, group["initial_accumulator_value"]))
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * x
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"] = state["sum"] + g * g
        x -= clr * (g / (np.sqrt(s) + group["eps"]))
        return x
