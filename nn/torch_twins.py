"""The table of twins: each circuitgrad layer, its class in torch.nn, and how each is built from the other.

A twin computes the same equations with the same parameter names, shapes and state_dict order,
so only the constructor arguments (hyperparameters) need translating; `nn.torch_bridge` walks a
model and copies the numbers. `from_kwargs` also refuses the PyTorch options circuitgrad does not
have (bidirectional, ceil_mode, padding_mode, ...), naming them. `NO_TWIN` lists the layers of
circuitgrad.nn PyTorch has no twin for, with what to do instead; a test checks that every layer
is in one of the two.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, NamedTuple

import numpy as np

from . import activations as A
from . import layers as L
from . import losses
from .attention import MultiheadAttention
from .containers import ModuleList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .embedding import Embedding
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .normalization import LayerNorm, RMSNorm
from .regularization import BatchNorm1d, BatchNorm2d, Dropout, Dropout2d

__all__ = ["Twin", "TWINS", "CONTAINERS", "NO_TWIN", "twin_classes", "twin_names"]


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


def _refuse(tm: Any, **plain: Any) -> None:
    """TypeError naming the first PyTorch option of `tm` that is not its plain value here."""
    for attr, value in plain.items():
        if getattr(tm, attr, value) != value:
            raise TypeError(f"from_torch: {type(tm).__name__} with {attr}={getattr(tm, attr)!r} has no circuitgrad "
                            f"twin (only {attr}={value!r})")


def _rnn_from(tm: Any) -> dict:
    _refuse(tm, bidirectional=False, dropout=0.0, proj_size=0)
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
        raise TypeError(f"from_torch: {type(tm).__name__} with bias=False has no circuitgrad twin")
    return _same(*_NORM)(tm)


def _softmax_from(tm: Any) -> dict:
    if tm.dim is None:
        raise TypeError(f"from_torch: {type(tm).__name__}(dim=None) picks its dim implicitly; give it a dim")
    return dict(dim=tm.dim)


_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups")


def _conv_to(m: Any) -> dict:
    kw = {n: getattr(m, n) for n in _CONV}
    kw["bias"] = m.bias is not None
    if m.transposed:
        kw["output_padding"] = m.output_padding
    return kw


def _conv_from(tm: Any) -> dict:
    _refuse(tm, padding_mode="zeros")
    kw = _conv_to(tm)
    if isinstance(tm.padding, str):  # "valid" is no padding; "same" pads dilation (k - 1) in all
        totals = [d * (k - 1) for d, k in zip(tm.dilation, tm.kernel_size)]
        if tm.padding == "same" and any(t % 2 for t in totals):
            raise TypeError(f"from_torch: {type(tm).__name__}(padding='same') with kernel_size {tm.kernel_size} "
                            f"and dilation {tm.dilation} pads one side more than the other, which circuitgrad's "
                            "convolutions do not (an odd kernel pads both sides alike)")
        kw["padding"] = tuple(t // 2 if tm.padding == "same" else 0 for t in totals)
    return kw


def _pool_from(*names: str, **plain: Any) -> Callable[[Any], dict]:
    def read(tm: Any) -> dict:
        _refuse(tm, **plain)
        return _same(*names)(tm)
    return read


class Twin(NamedTuple):
    """How one circuitgrad layer and its PyTorch twin are built from each other."""

    name: str                           # the class in torch.nn
    to_kwargs: Callable[[Any], dict]    # our module -> the PyTorch constructor's arguments
    from_kwargs: Callable[[Any], dict]  # the PyTorch module -> our constructor's arguments (and checks)
    takes_dtype: bool = False           # our constructor takes dtype (the others' arrays are replaced)


def _twin(name: str, *attributes: str, read: Callable[..., Callable] = _same, **kw: Any) -> Twin:
    """A twin whose constructor arguments are the same attributes on both sides."""
    return Twin(name, read(*attributes), kw.pop("from_kwargs", read(*attributes)), **kw)


_CELL = ("input_size", "hidden_size", "bias")
_RECURRENT = ("input_size", "hidden_size", "num_layers", "bias", "batch_first")
_NORM = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_POOL = ("kernel_size", "stride", "padding")
TWINS: "OrderedDict[type, Twin]" = OrderedDict([
    (L.Linear, Twin("Linear", lambda m: dict(in_features=m.in_features, out_features=m.out_features,
                                             bias=m.bias is not None),
                    lambda t: dict(in_features=t.in_features, out_features=t.out_features, bias=t.bias is not None),
                    takes_dtype=True)),
    (Conv1d, Twin("Conv1d", _conv_to, _conv_from, takes_dtype=True)),
    (Conv2d, Twin("Conv2d", _conv_to, _conv_from, takes_dtype=True)),
    (ConvTranspose2d, Twin("ConvTranspose2d", _conv_to, _conv_from, takes_dtype=True)),
    (MaxPool2d, _twin("MaxPool2d", *_POOL, "dilation",
                      from_kwargs=_pool_from(*_POOL, "dilation", return_indices=False, ceil_mode=False))),
    (AvgPool2d, _twin("AvgPool2d", *_POOL, "count_include_pad",
                      from_kwargs=_pool_from(*_POOL, "count_include_pad", ceil_mode=False, divisor_override=None))),
    (AdaptiveAvgPool2d, _twin("AdaptiveAvgPool2d", "output_size")),
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
    (Dropout2d, _twin("Dropout2d", "p")),
    (BatchNorm1d, _twin("BatchNorm1d", *_NORM, from_kwargs=_batchnorm_from, takes_dtype=True)),
    (BatchNorm2d, _twin("BatchNorm2d", *_NORM, from_kwargs=_batchnorm_from, takes_dtype=True)),
    (LayerNorm, Twin("LayerNorm", lambda m: dict(normalized_shape=m.normalized_shape, eps=m.eps,
                                                 elementwise_affine=m.elementwise_affine, bias=m.bias is not None),
                     lambda t: dict(normalized_shape=tuple(t.normalized_shape), eps=t.eps,
                                    elementwise_affine=t.elementwise_affine, bias=t.bias is not None),
                     takes_dtype=True)),
    (RMSNorm, Twin("RMSNorm", lambda m: dict(normalized_shape=m.normalized_shape, eps=m.eps,
                                             elementwise_affine=m.elementwise_affine),
                   lambda t: dict(normalized_shape=tuple(t.normalized_shape), eps=t.eps,
                                  elementwise_affine=t.elementwise_affine),
                   takes_dtype=True)),
    (Embedding, _twin("Embedding", "num_embeddings", "embedding_dim", from_kwargs=_embedding_from)),
    (RNNCell, _twin("RNNCell", *_CELL, "nonlinearity")),
    (LSTMCell, _twin("LSTMCell", *_CELL)),
    (GRUCell, _twin("GRUCell", *_CELL)),
    (RNN, _twin("RNN", *_RECURRENT, "nonlinearity", from_kwargs=_rnn_from)),
    (LSTM, _twin("LSTM", *_RECURRENT, from_kwargs=_rnn_from)),
    (GRU, _twin("GRU", *_RECURRENT, from_kwargs=_rnn_from)),
    (MultiheadAttention, _twin("MultiheadAttention", "embed_dim", "num_heads", "batch_first",
                               from_kwargs=_mha_from)),
    (losses.MSELoss, _twin("MSELoss", "reduction")),
    (losses.L1Loss, _twin("L1Loss", "reduction")),
    (losses.BCELoss, _twin("BCELoss", "weight", "reduction", read=_loss)),
    (losses.BCEWithLogitsLoss, _twin("BCEWithLogitsLoss", "weight", "reduction", "pos_weight", read=_loss)),
    (losses.CrossEntropyLoss, _twin("CrossEntropyLoss", "weight", "reduction", "label_smoothing", "ignore_index",
                                    read=_loss)),
    (losses.NLLLoss, _twin("NLLLoss", "weight", "reduction", "ignore_index", read=_loss)),
])
CONTAINERS = {Sequential: "Sequential", ModuleList: "ModuleList"}

# The layers of circuitgrad.nn that PyTorch has no twin for, and what to do instead (by class name, so that a
# class moved or removed elsewhere leaves this table importable).
NO_TWIN = {
    "Step": "torch.nn has no step layer (the perceptron's threshold, whose gradient is 0 everywhere); "
            "use a layer with a twin such as nn.Sigmoid",
    "DropConnect": "torch.nn has no DropConnect; convert the layer it wraps (nn.to_torch(layer.module))",
    "TiedAutoencoder": "its forward() uses one weight twice, which no torch.nn layer does; write the class in "
                       "torch.nn and copy the numbers with nn.to_torch(model, into=...)",
    "Neuron": "a scalar network holds one Value per weight; build the same network from nn.Linear layers",
    "Layer": "a scalar network holds one Value per weight; build the same network from nn.Linear layers",
    "MLP": "a scalar network holds one Value per weight; build the same network from nn.Linear layers",
    "TimeStep": "it is one time step a diagram draws; convert its recurrent layer",
}


def twin_classes() -> "dict[type, str]":
    """Every circuitgrad class that crosses whole, with the name of its PyTorch twin."""
    return {**{k: t.name for k, t in TWINS.items()}, **CONTAINERS}


def twin_names() -> str:
    return ", ".join([twin.name for twin in TWINS.values()] + list(CONTAINERS.values()))
