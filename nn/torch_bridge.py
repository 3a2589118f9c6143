"""Graduate to PyTorch and back: `nn.to_torch(model)` and `nn.from_torch(torch_model)`.

What crosses whole: every layer with a PyTorch twin (same equations, same parameter names,
shapes and state_dict order; the table in nn.torch_twins), with copies of its weights and buffers
(bit for bit, in their dtype; `num_batches_tracked` as int64), its hyperparameters (stride,
padding, dilation, groups, bias, momentum, eps, affine, ...), train/eval mode and frozen
parameters, so the twin gives the same outputs and gradients; and `Sequential`/`ModuleList`,
child by child, including a subclass of them that only builds layers in `__init__` (its forward
is the container's).

What crosses of your own Module class, whose `forward` is circuitgrad code PyTorch cannot run:
its numbers, not its code. Write the same class in torch.nn with the same attribute names, then
`nn.to_torch(model, into=TorchNet())` copies every weight, buffer, mode and frozen flag key for
key (and `nn.from_torch(torch_model, into=Net())` back); every layer of it with a twin is checked
against the layer at the same place on the other side (class and hyperparameters), so a stride of
2 here and 1 there is an error, not a different number. Without `into`, such a class is refused
with a TypeError naming it.

Refused, each with its reason: the layers PyTorch has no twin for (`NO_TWIN`: Step, DropConnect,
the tied autoencoders, the scalar Value networks), and PyTorch options circuitgrad does not have
(bidirectional, ceil_mode, padding_mode, ...), named in the error.

PyTorch is imported only inside these functions: circuitgrad does not need it otherwise.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Optional

import numpy as np

from circuitgrad.autograd.graph import Node

from . import losses
from .containers import ModuleList, Sequential
from .module import Module
from .torch_twins import CONTAINERS, NO_TWIN, TWINS, twin_names

__all__ = ["to_torch", "from_torch"]


def _torch(op: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(f"{op} needs PyTorch, which circuitgrad itself does not: pip install torch "
                          "(or the `oracle` extra of circuitgrad)") from None
    return torch


def _our_kind(m: Module, where: str) -> type:
    """The circuitgrad class whose twin `m` has: its own class, or a base it inherits forward from."""
    for cls in type(m).__mro__:
        if cls in TWINS or cls in CONTAINERS:
            if type(m).forward is not cls.forward or type(m).__call__ is not Module.__call__:
                break  # a subclass with a forward of its own: PyTorch cannot run that code
            return cls
        if cls.__name__ in NO_TWIN and cls.__module__.startswith("circuitgrad.nn."):
            raise TypeError(f"to_torch: {type(m).__name__}{where} has no PyTorch twin: {NO_TWIN[cls.__name__]}")
    raise TypeError(f"to_torch: {type(m).__name__}{where} has no PyTorch twin: its forward() is circuitgrad code, "
                    "which PyTorch cannot run. What crosses is its numbers: write the same class in torch.nn with "
                    "the same attribute names and copy every weight and buffer with nn.to_torch(model, "
                    "into=torch_model); or build the model from nn.Sequential of layers that have twins "
                    f"({twin_names()})")


def _at(path: str) -> str:
    return f" (at {path!r})" if path else ""


def _same_setting(a: Any, b: Any) -> bool:
    """Whether two hyperparameters are the same (2 and (2, 2) are; arrays compare by value)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is not None and b is not None and np.array_equal(a, b)
    if isinstance(a, tuple) != isinstance(b, tuple):
        a, b = (a, b) if isinstance(a, tuple) else (b, a)
        return all(x == b for x in a)
    return a == b


def _check_twins(ours: Module, theirs: Any, torch: Any, op: str) -> None:
    """Every layer of `ours` with a twin has, where `theirs` has a module at the same place, that twin
    with the same hyperparameters; TypeError/ValueError naming each one that differs."""
    problems = []
    for path, m in ours.named_modules():
        kind = next((c for c in type(m).__mro__ if c in TWINS), None)
        if kind is None or type(m).forward is not kind.forward:
            continue
        try:
            tm = theirs.get_submodule(path)
        except AttributeError:
            continue  # the other side's forward does this step its own way (F.relu, F.max_pool2d)
        twin, where = TWINS[kind], path or "the model"
        if not isinstance(tm, getattr(torch.nn, twin.name)):
            raise TypeError(f"{op}: {where} is {type(m).__name__} here and {type(tm).__name__} in PyTorch")
        mine, yours = twin.to_kwargs(m), twin.from_kwargs(tm)
        problems += [f"{where}.{k}: {mine.get(k)!r} here, {yours.get(k)!r} in PyTorch"
                     for k in mine if not _same_setting(mine.get(k), yours.get(k))]
    if problems:
        raise ValueError(f"{op}: the two models differ in hyperparameters, so the same numbers would give "
                         "different outputs: " + "; ".join(problems))


def _copy_modes(pairs: Any) -> None:
    """train/eval mode, module by module ((target, source) pairs): one Dropout may be in eval alone."""
    for target, source in pairs:
        target.training = bool(source.training)


# ---- circuitgrad -> PyTorch ---------------------------------------------------------------------

def to_torch(module: Module, into: Any = None) -> Any:
    """The equivalent `torch.nn.Module`, with copies of the weights, buffers, hyperparameters, dtype,
    train/eval mode and frozen flags: `torch_model = nn.to_torch(model)`.

    `into`, a `torch.nn.Module` you wrote as the twin of your own class, receives the numbers key
    for key instead (cast to its dtypes, as PyTorch's load_state_dict does; call `.double()` on it
    first to keep float64), and is returned. Raises TypeError naming the first module (and where it
    sits) that has no PyTorch twin, ValueError for keys, shapes or hyperparameters that differ from
    `into`'s, ImportError without PyTorch.
    """
    torch = _torch("to_torch")
    if not isinstance(module, Module):
        raise TypeError(f"to_torch: expected a circuitgrad nn.Module, got {type(module).__name__}")
    if into is None:
        return _to(torch, module, "")
    if not isinstance(into, torch.nn.Module):
        raise TypeError(f"to_torch: into must be a torch.nn.Module, got {type(into).__name__}")
    _check_twins(module, into, torch, "to_torch")
    _copy_into_torch(torch, module, into, "to_torch")
    _copy_modes((into.get_submodule(path), m) for path, m in module.named_modules() if _has(into, path))
    return into


def _has(module: Any, path: str) -> bool:
    try:
        module.get_submodule(path)
    except AttributeError:
        return False
    return True


def _dtype_of(torch: Any, m: Module) -> Any:
    arrays = [p.data for p in m.parameters() if isinstance(p, Node)] + [b for b in m.buffers() if b.dtype.kind == "f"]
    kind = np.dtype(arrays[0].dtype) if arrays else np.dtype(np.float64)
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float16): torch.float16}.get(kind, torch.float64)


def _to(torch: Any, m: Module, path: str) -> Any:
    kind = _our_kind(m, _at(path))
    if kind in CONTAINERS:
        if m._parameters or m._buffers:
            raise TypeError(f"to_torch: {type(m).__name__}{_at(path)} holds parameters of its own "
                            f"({sorted(list(m._parameters) + list(m._buffers))}), which a PyTorch {CONTAINERS[kind]} "
                            "cannot; put them in a layer")
        children = [(name, _to(torch, child, f"{path}.{name}" if path else name)) for name, child in m._modules.items()]
        out = torch.nn.Sequential(OrderedDict(children)) if kind is Sequential else \
            torch.nn.ModuleList([c for _, c in children])
        out.training = m.training
        return out
    twin = TWINS[kind]
    kwargs = twin.to_kwargs(m)
    for key in ("weight", "pos_weight"):  # a loss's weights are constructor arguments too
        if kwargs.get(key) is not None:
            kwargs[key] = torch.from_numpy(np.array(kwargs[key]))
    if m.parameters() or (m._buffers and not isinstance(m, losses._Loss)):
        kwargs["dtype"] = _dtype_of(torch, m)
    out = getattr(torch.nn, twin.name)(**kwargs)
    if list(m.state_dict()) != list(out.state_dict()):
        raise TypeError(f"to_torch: {type(m).__name__}{_at(path)} has the parameters {list(m.state_dict())}, "
                        f"its PyTorch twin {list(out.state_dict())}; a subclass that adds parameters has no twin")
    _copy_into_torch(torch, m, out, "to_torch")
    _copy_modes((out.get_submodule(p), sub) for p, sub in m.named_modules() if _has(out, p))
    return out


def _copy_into_torch(torch: Any, m: Module, out: Any, op: str) -> None:
    """Every parameter and buffer of `m` into `out`'s, key for key, and the frozen flags."""
    ours, theirs = m.state_dict(), out.state_dict()
    missing, unexpected = [k for k in theirs if k not in ours], [k for k in ours if k not in theirs]
    shapes = [f"{k}: {ours[k].shape} here, {tuple(v.shape)} in PyTorch" for k, v in theirs.items()
              if k in ours and ours[k].shape != tuple(v.shape)]
    if missing or unexpected or shapes:
        raise ValueError(f"{op}: the PyTorch model's state_dict does not match this one's; "
                         f"keys only in PyTorch's: {missing}; keys only here: {unexpected}; shapes: {shapes}. "
                         "Nothing was copied.")
    with torch.no_grad():
        for key, target in theirs.items():
            target.copy_(torch.from_numpy(np.array(ours[key], order="C")))  # ascontiguousarray would make 0-d 1-d
    frozen = {k for k, p in m.named_parameters() if not p.requires_grad}
    for key, p in out.named_parameters():
        p.requires_grad_(key not in frozen)


# ---- PyTorch -> circuitgrad ---------------------------------------------------------------------

def from_torch(torch_module: Any, into: Optional[Module] = None) -> Module:
    """The circuitgrad module equivalent to a `torch.nn.Module`, with copies of its weights (dtype kept),
    buffers, hyperparameters, train/eval mode and frozen flags: `model = nn.from_torch(torch_model)`.

    `into`, a circuitgrad Module you wrote as the twin of a PyTorch class, receives the numbers key
    for key instead (through its `load_state_dict`, cast to its dtypes), and is returned. Raises
    TypeError naming the first PyTorch module (and where it sits) that has no circuitgrad twin, or a
    twin only without some option (bidirectional, padding_idx, ceil_mode, ...); ValueError for keys,
    shapes or hyperparameters that differ from `into`'s.
    """
    torch = _torch("from_torch")
    if not isinstance(torch_module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(torch_module).__name__}")
    if into is None:
        return _from(torch, torch_module, "")
    if not isinstance(into, Module):
        raise TypeError(f"from_torch: into must be a circuitgrad nn.Module, got {type(into).__name__}")
    _check_twins(into, torch_module, torch, "from_torch")
    into.load_state_dict(OrderedDict((k, v.detach().cpu().numpy()) for k, v in torch_module.state_dict().items()))
    _copy_frozen(torch_module, into)
    _copy_modes((m, torch_module.get_submodule(path)) for path, m in into.named_modules() if _has(torch_module, path))
    return into


def _copy_frozen(tm: Any, out: Module) -> None:
    frozen = {k for k, p in tm.named_parameters() if not p.requires_grad}
    for name, p in out.named_parameters():
        p.requires_grad = name not in frozen


def _their_kind(torch: Any, tm: Any, where: str) -> type:
    by_name = {twin.name: k for k, twin in TWINS.items()}
    by_name.update({v: k for k, v in CONTAINERS.items()})
    for cls in type(tm).__mro__:
        if cls.__module__.startswith("torch.nn") and cls.__name__ in by_name and getattr(torch.nn, cls.__name__,
                                                                                         None) is cls:
            if type(tm).forward is not cls.forward:
                break
            return by_name[cls.__name__]
    raise TypeError(f"from_torch: {type(tm).__name__}{where} has no circuitgrad twin (its forward() is PyTorch "
                    f"code); modules that convert: {twin_names()}. For your own class, write it in circuitgrad "
                    "and copy the numbers with nn.from_torch(torch_model, into=model)")


def _from(torch: Any, tm: Any, path: str) -> Module:
    kind = _their_kind(torch, tm, _at(path))
    if kind in CONTAINERS:
        children = [(name, _from(torch, child, f"{path}.{name}" if path else name))
                    for name, child in tm._modules.items()]
        out = Sequential(OrderedDict(children)) if kind is Sequential else ModuleList([c for _, c in children])
        out.training = bool(tm.training)
        return out
    twin = TWINS[kind]
    kwargs = twin.from_kwargs(tm)
    state = {k: v.detach().cpu().numpy().copy() for k, v in tm.state_dict().items()}
    floats = [v for v in state.values() if v.dtype.kind == "f"]
    if twin.takes_dtype and floats:
        kwargs["dtype"] = floats[0].dtype
    out = kind(**kwargs)
    for name, p in out.named_parameters():
        p.data = state[name]
    for name, b in out.named_buffers():
        b[...] = state[name]
    _copy_frozen(tm, out)
    _copy_modes((sub, tm.get_submodule(p)) for p, sub in out.named_modules() if _has(tm, p))
    return out
