"""Graduate to PyTorch: `model.to_torch()` and `nn.Module.from_torch(torch_model)`.

Every circuitgrad layer with a PyTorch twin (same equations, same parameter names and
shapes) converts both ways with its weights, buffers, dtype and train/eval mode, so the two
give the same outputs. Containers (`Sequential`, `ModuleList`) convert child by child.

The rule for your own modules: a subclass converts if it does not override `forward`
(e.g. `class MLP(nn.Sequential)` that only builds layers in `__init__`), because then its
forward is the twin's. A module whose own `forward` is written against circuitgrad cannot
be run by PyTorch, so it raises TypeError naming it; build it from `nn.Sequential`, or
convert its layers one by one (`model.fc1.to_torch()`) and write the forward in PyTorch.

PyTorch is imported only inside these functions: circuitgrad does not need it otherwise.
"""
from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any, Callable, NamedTuple

import numpy as np

from circuitgrad.autograd.graph import Node

from . import activations as A
from . import layers as L
from . import losses
from .attention import MultiheadAttention
from .containers import ModuleList, Sequential
from .embedding import Embedding
from .module import Module
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .regularization import BatchNorm1d, Dropout

__all__ = ["to_torch", "from_torch"]


def _torch(op: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(f"{op} needs PyTorch, which circuitgrad itself does not: pip install torch "
                          "(or the `oracle` extra of circuitgrad)") from None
    return torch


# ---- the twins: how to build each side from the other -------------------------------------------

def _same(*names: str) -> Callable[[Any], dict]:
    return lambda m: {n: getattr(m, n) for n in names}


def _loss(*names: str) -> Callable[[Any], dict]:
    def read(m: Any) -> dict:
        out = {n: getattr(m, n) for n in names if n not in ("weight", "pos_weight")}
        for n in ("weight", "pos_weight"):
            if n in names:
                value = getattr(m, n)
                out[n] = None if value is None else np.array(value.detach().numpy() if hasattr(value, "detach")
                                                             else value)
        return out
    return read


def _check_torch_rnn(tm: Any) -> None:
    for attr, plain in (("bidirectional", False), ("dropout", 0.0), ("proj_size", 0)):
        if getattr(tm, attr, plain) != plain:
            raise TypeError(f"from_torch: {type(tm).__name__} with {attr}={getattr(tm, attr)!r} has no circuitgrad "
                            f"twin (only {attr}={plain!r})")


def _rnn_from(tm: Any) -> dict:
    _check_torch_rnn(tm)
    kw = dict(input_size=tm.input_size, hidden_size=tm.hidden_size, num_layers=tm.num_layers, bias=tm.bias,
              batch_first=tm.batch_first)
    if type(tm).__name__ == "RNN":
        kw["nonlinearity"] = tm.nonlinearity
    return kw


def _mha_from(tm: Any) -> dict:
    plain = (tm._qkv_same_embed_dim and tm.in_proj_bias is not None and tm.bias_k is None
             and not tm.add_zero_attn and tm.dropout == 0.0)
    if not plain:
        raise TypeError("from_torch: MultiheadAttention with separate kdim/vdim, bias=False, add_bias_kv, "
                        "add_zero_attn or dropout has no circuitgrad twin")
    return dict(embed_dim=tm.embed_dim, num_heads=tm.num_heads, batch_first=tm.batch_first)


def _embedding_from(tm: Any) -> dict:
    if tm.padding_idx is not None or tm.max_norm is not None or tm.sparse or tm.scale_grad_by_freq:
        raise TypeError("from_torch: Embedding with padding_idx, max_norm, sparse or scale_grad_by_freq has no "
                        "circuitgrad twin")
    return dict(num_embeddings=tm.num_embeddings, embedding_dim=tm.embedding_dim)


def _batchnorm_from(tm: Any) -> dict:
    if tm.affine and tm.bias is None:
        raise TypeError("from_torch: BatchNorm1d with bias=False has no circuitgrad twin")
    return _same("num_features", "eps", "momentum", "affine", "track_running_stats")(tm)


def _softmax_from(tm: Any) -> dict:
    if tm.dim is None:
        raise TypeError(f"from_torch: {type(tm).__name__}(dim=None) picks its dim implicitly; give it a dim")
    return dict(dim=tm.dim)


class Twin(NamedTuple):
    """How one circuitgrad layer and its PyTorch twin are built from each other."""

    name: str                           # the class in torch.nn
    to_kwargs: Callable[[Any], dict]    # our module -> the PyTorch constructor's arguments
    from_kwargs: Callable[[Any], dict]  # the PyTorch module -> our constructor's arguments (and checks)
    renames: dict = {}                  # our parameter names -> PyTorch's, where they differ
    takes_dtype: bool = False           # our constructor takes dtype (the others' arrays are replaced)


def _twin(name: str, *attributes: str, read: Callable[..., Callable] = _same, **kw: Any) -> Twin:
    """A twin whose constructor arguments are the same attributes on both sides."""
    return Twin(name, read(*attributes), kw.pop("from_kwargs", read(*attributes)), **kw)


_CELL = ("input_size", "hidden_size", "bias")
_RECURRENT = ("input_size", "hidden_size", "num_layers", "bias", "batch_first")
_NORM = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_TWINS: "OrderedDict[type, Twin]" = OrderedDict([
    (L.Linear, Twin("Linear", lambda m: dict(in_features=m.in_features, out_features=m.out_features,
                                             bias=m.bias is not None),
                    lambda t: dict(in_features=t.in_features, out_features=t.out_features, bias=t.bias is not None),
                    takes_dtype=True)),
    (L.Identity, _twin("Identity")),
    (L.Flatten, _twin("Flatten", "start_dim", "end_dim")),
    (L.Sigmoid, _twin("Sigmoid")),
    (L.Tanh, _twin("Tanh")),
    (L.ReLU, _twin("ReLU")),
    (L.LeakyReLU, _twin("LeakyReLU", "negative_slope")),
    (L.SELU, _twin("SELU")),
    (A.GELU, _twin("GELU", "approximate")), (A.ELU, _twin("ELU", "alpha")), (A.CELU, _twin("CELU", "alpha")),
    (A.SiLU, _twin("SiLU")), (A.Mish, _twin("Mish")), (A.Softplus, _twin("Softplus", "beta", "threshold")),
    (A.Softsign, _twin("Softsign")), (A.ReLU6, _twin("ReLU6")), (A.Hardtanh, _twin("Hardtanh", "min_val", "max_val")),
    (A.Hardswish, _twin("Hardswish")), (A.Hardsigmoid, _twin("Hardsigmoid")),
    (L.LogSoftmax, _twin("LogSoftmax", "dim", from_kwargs=_softmax_from)),
    (L.Softmax, _twin("Softmax", "dim", from_kwargs=_softmax_from)),
    (Dropout, _twin("Dropout", "p")),
    (BatchNorm1d, _twin("BatchNorm1d", *_NORM, from_kwargs=_batchnorm_from, takes_dtype=True)),
    (Embedding, _twin("Embedding", "num_embeddings", "embedding_dim", from_kwargs=_embedding_from)),
    (RNNCell, _twin("RNNCell", *_CELL, "nonlinearity")),
    (LSTMCell, _twin("LSTMCell", *_CELL)),
    (GRUCell, _twin("GRUCell", *_CELL)),
    (RNN, _twin("RNN", *_RECURRENT, "nonlinearity", from_kwargs=_rnn_from)),
    (LSTM, _twin("LSTM", *_RECURRENT, from_kwargs=_rnn_from)),
    (GRU, _twin("GRU", *_RECURRENT, from_kwargs=_rnn_from)),
    (MultiheadAttention, _twin("MultiheadAttention", "embed_dim", "num_heads", "batch_first", from_kwargs=_mha_from,
                               renames={"out_proj_weight": "out_proj.weight", "out_proj_bias": "out_proj.bias"})),
    (losses.MSELoss, _twin("MSELoss", "reduction")),
    (losses.L1Loss, _twin("L1Loss", "reduction")),
    (losses.BCELoss, _twin("BCELoss", "weight", "reduction", read=_loss)),
    (losses.BCEWithLogitsLoss, _twin("BCEWithLogitsLoss", "weight", "reduction", "pos_weight", read=_loss)),
    (losses.CrossEntropyLoss, _twin("CrossEntropyLoss", "weight", "reduction", "label_smoothing", "ignore_index",
                                    read=_loss)),
    (losses.NLLLoss, _twin("NLLLoss", "weight", "reduction", "ignore_index", read=_loss)),
])
_CONTAINERS = {Sequential: "Sequential", ModuleList: "ModuleList"}


def _twin_names() -> str:
    return ", ".join([twin.name for twin in _TWINS.values()] + list(_CONTAINERS.values()))


def _our_kind(m: Module, where: str) -> type:
    """The circuitgrad class whose twin `m` has: its own class, or a base it inherits forward from."""
    for cls in type(m).__mro__:
        if cls in _TWINS or cls in _CONTAINERS:
            if type(m).forward is not cls.forward or type(m).__call__ is not Module.__call__:
                break  # a subclass with a forward of its own: PyTorch cannot run that code
            return cls
    raise TypeError(f"to_torch: {type(m).__name__}{where} has no PyTorch twin: its forward() is circuitgrad code, "
                    "which PyTorch cannot run. Build the model from nn.Sequential of layers that have twins "
                    f"({_twin_names()}), or convert its layers one by one (layer.to_torch()) and write the "
                    "forward in a torch.nn.Module")


def _at(path: str) -> str:
    return f" (at {path!r})" if path else ""


# ---- circuitgrad -> PyTorch ---------------------------------------------------------------------

def to_torch(module: Module) -> Any:
    """The equivalent `torch.nn.Module`, with copies of the weights, buffers, dtype and train/eval mode.

    Raises TypeError naming the first module (and where it sits) that has no PyTorch twin,
    ImportError without PyTorch.
    """
    torch = _torch("to_torch")
    if not isinstance(module, Module):
        raise TypeError(f"to_torch: expected a circuitgrad nn.Module, got {type(module).__name__}")
    return _to(torch, module, "")


def _dtype_of(torch: Any, m: Module) -> Any:
    params = [p for p in m.parameters() if isinstance(p, Node)]
    kind = np.dtype(params[0].data.dtype) if params else np.dtype(np.float64)
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float16): torch.float16}.get(kind, torch.float64)


def _to(torch: Any, m: Module, path: str) -> Any:
    kind = _our_kind(m, _at(path))
    if kind in _CONTAINERS:
        if m._parameters or m._buffers:
            raise TypeError(f"to_torch: {type(m).__name__}{_at(path)} holds parameters of its own "
                            f"({sorted(list(m._parameters) + list(m._buffers))}), which a PyTorch {_CONTAINERS[kind]} "
                            "cannot; put them in a layer")
        children = [(name, _to(torch, child, f"{path}.{name}" if path else name)) for name, child in m._modules.items()]
        out = torch.nn.Sequential(OrderedDict(children)) if kind is Sequential else \
            torch.nn.ModuleList([c for _, c in children])
    else:
        twin = _TWINS[kind]
        kwargs = twin.to_kwargs(m)
        for key in ("weight", "pos_weight"):
            if kwargs.get(key) is not None:
                kwargs[key] = torch.from_numpy(np.array(kwargs[key], dtype=np.float64))
        if m.parameters() or m._buffers:
            kwargs["dtype"] = _dtype_of(torch, m)
        out = getattr(torch.nn, twin.name)(**kwargs)
        _copy_into_torch(torch, m, out, twin.renames, path)
    out.train(m.training)
    return out


def _copy_into_torch(torch: Any, m: Module, out: Any, renames: dict, path: str) -> None:
    ours = {renames.get(k, k): v for k, v in m.state_dict().items()}
    theirs = out.state_dict()
    if isinstance(m, losses._Loss):  # a loss's weight is an argument, already given
        return
    if set(ours) != set(theirs):
        raise TypeError(f"to_torch: {type(m).__name__}{_at(path)} has the parameters {sorted(ours)}, its PyTorch "
                        f"twin {sorted(theirs)}; a subclass that adds parameters has no twin")
    with torch.no_grad():
        for key, target in theirs.items():
            target.copy_(torch.from_numpy(np.array(ours[key], order="C")))  # ascontiguousarray would make 0-d 1-d
    frozen = {renames.get(k, k) for k, p in m.named_parameters() if not p.requires_grad}
    for key, p in out.named_parameters():
        p.requires_grad_(key not in frozen)


# ---- PyTorch -> circuitgrad ---------------------------------------------------------------------

def from_torch(torch_module: Any) -> Module:
    """The circuitgrad module equivalent to a `torch.nn.Module`, with copies of its weights (dtype kept).

    Raises TypeError naming the first PyTorch module (and where it sits) that has no
    circuitgrad twin, or a twin only without some option (bidirectional, padding_idx, ...).
    """
    torch = _torch("from_torch")
    if not isinstance(torch_module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(torch_module).__name__}")
    return _from(torch, torch_module, "")


def _their_kind(torch: Any, tm: Any, where: str) -> type:
    by_name = {twin.name: k for k, twin in _TWINS.items()}
    by_name.update({v: k for k, v in _CONTAINERS.items()})
    for cls in type(tm).__mro__:
        if cls.__module__.startswith("torch.nn") and cls.__name__ in by_name and getattr(torch.nn, cls.__name__,
                                                                                         None) is cls:
            if type(tm).forward is not cls.forward:
                break
            return by_name[cls.__name__]
    raise TypeError(f"from_torch: {type(tm).__name__}{where} has no circuitgrad twin (its forward() is PyTorch "
                    f"code); modules that convert: {_twin_names()}")


def _from(torch: Any, tm: Any, path: str) -> Module:
    kind = _their_kind(torch, tm, _at(path))
    if kind in _CONTAINERS:
        children = [(name, _from(torch, child, f"{path}.{name}" if path else name))
                    for name, child in tm._modules.items()]
        out = Sequential(OrderedDict(children)) if kind is Sequential else ModuleList([c for _, c in children])
    else:
        twin = _TWINS[kind]
        renames = twin.renames
        kwargs = twin.from_kwargs(tm)
        state = {k: v.detach().cpu().numpy().copy() for k, v in tm.state_dict().items()}
        floats = [v for v in state.values() if v.dtype.kind == "f"]
        if twin.takes_dtype and floats:
            kwargs["dtype"] = floats[0].dtype
        out = kind(**kwargs)
        if not isinstance(out, losses._Loss):
            frozen = {k for k, p in tm.named_parameters() if not p.requires_grad}
            for name, p in out.named_parameters():
                p.data = state[renames.get(name, name)]
                p.requires_grad = renames.get(name, name) not in frozen
            for name, b in out.named_buffers():
                b[...] = state[renames.get(name, name)]
    out.train(bool(tm.training))
    return out


# ---- optimizers ---------------------------------------------------------------------------------

def optimizer_to_torch(optimizer: Any, params: Any) -> Any:
    """The same optimizer in PyTorch over `params` (e.g. `torch_model.parameters()`), with its
    hyperparameters and state (momentum buffers, moments, step counts), so the next PyTorch step
    is the step circuitgrad would have taken. Raises ValueError if the parameters do not match."""
    torch = _torch("optimizer.to_torch")
    params = list(params)
    name = type(optimizer).__name__
    ours = [p for g in optimizer.param_groups for p in g["params"]]
    if len(params) != len(ours):
        raise ValueError(f"{name}.to_torch: got {len(params)} PyTorch parameters for this optimizer's {len(ours)}")
    for i, (p, q) in enumerate(zip(ours, params)):
        if tuple(np.shape(p.data)) != tuple(q.shape):
            raise ValueError(f"{name}.to_torch: parameter {i} has shape {np.shape(p.data)} here and "
                             f"{tuple(q.shape)} in PyTorch")
    groups, start = [], 0
    for g in optimizer.param_groups:
        n = len(g["params"])
        groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": params[start:start + n]})
        start += n
    out = getattr(torch.optim, name)(groups)
    saved = optimizer.state_dict()
    state = {i: {k: torch.tensor(float(v)) if k == "step" else torch.from_numpy(np.array(v, order="C"))
                 for k, v in s.items()} for i, s in saved["state"].items()}
    out.load_state_dict({"state": state, "param_groups": [{**t, **{k: v for k, v in o.items() if k != "params"}}
                                                          for t, o in zip(out.state_dict()["param_groups"],
                                                                          saved["param_groups"])]})
    return out


Module._torch_bridge = sys.modules[__name__]  # what Module.to_torch / from_torch call
