"""Scaled dot-product attention and multi-head attention, composed from autograd ops.

attention(Q, K, V) = softmax(Q K^T / sqrt(d) + mask) V: each query takes a weighted average
of the values, weighted by how well it matches each key. Written from primitives (matmul,
softmax, where) so its graph can be drawn and its gradients checked op by op.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from circuitgrad.autograd import Tensor, where

from .module import Module, Parameter
from circuitgrad.autograd.checks import is_int


def _swap_last(t: Tensor) -> Tensor:
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return t.transpose(axes)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: Any = None, *, mask: Any = None) -> Tensor:
    """softmax(q k^T * scale + mask) v, with PyTorch's arguments and shapes (..., L, E), (..., S, E), (..., S, Ev).

    `attn_mask` as PyTorch's: boolean, True where a query may look at a key, or a float mask added
    to the scores; it must broadcast to (..., L, S). `is_causal=True` lets query i see keys 0..i.
    `scale` defaults to 1 / sqrt(E). The old name `mask=` still works, with a DeprecationWarning.
    Raises ValueError for shapes that do not fit, for `dropout_p` other than 0 (apply nn.Dropout to
    the output instead) and for both a mask and is_causal.
    """
    if mask is not None:
        if attn_mask is not None:
            raise TypeError("scaled_dot_product_attention: give attn_mask= (PyTorch's name) or mask=, not both")
        warnings.warn("scaled_dot_product_attention: mask= is now attn_mask=, PyTorch's name", DeprecationWarning,
                      stacklevel=2)
        attn_mask = mask
    if dropout_p != 0.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p={dropout_p!r} is not supported here; "
                         "use dropout_p=0.0 (the default)")
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both")
        attn_mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=bool))
    return _attend(q, k, v, attn_mask, "scaled_dot_product_attention", scale)[0]


def _attend(q: Tensor, k: Tensor, v: Tensor, keep: Any, name: str, scale: Any = None) -> tuple:
    """(attention output, attention weights); `keep` is True where a query may see a key, or a
    float mask added to the scores."""
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(f"{name}: q, k, v need at least 2 dimensions (..., seq, features), "
                         f"got {q.shape}, {k.shape}, {v.shape}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{name}: queries and keys need the same feature size, got {q.shape} and {k.shape}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{name}: keys and values need the same length, got {k.shape} and {v.shape}")
    scores = (q @ _swap_last(k)) * (1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale))
    if keep is not None and np.asarray(keep.data if isinstance(keep, Tensor) else keep).dtype.kind == "f":
        bias = keep if isinstance(keep, Tensor) else Tensor(np.asarray(keep, scores.dtype))  # PyTorch adds it
        try:
            fits = np.broadcast_shapes(bias.shape, scores.shape) == scores.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{name}: mask of shape {bias.shape} does not broadcast to the scores' shape "
                             f"{scores.shape} (..., queries, keys)")
        return _finish(scores + bias, v)
    if keep is not None:
        keep = np.asarray(keep.data if isinstance(keep, Tensor) else keep)
        if keep.dtype != bool:
            raise ValueError(f"{name}: mask must be boolean or float, got dtype {keep.dtype}")
        try:
            keep = np.broadcast_to(keep, scores.shape)
        except ValueError:
            raise ValueError(f"{name}: mask of shape {keep.shape} does not broadcast to the scores' shape "
                             f"{scores.shape} (..., queries, keys)") from None
        if not keep.any(axis=-1).all():
            raise ValueError(f"{name}: the mask hides every key from some query; each query needs one visible key")
        scores = where(keep, scores, np.asarray(-np.inf, scores.dtype))
    return _finish(scores, v)


def _finish(scores: Tensor, v: Tensor) -> tuple:
    weights = scores.softmax(axis=-1)
    return weights @ v, weights


class _OutProjection(Module):
    """MultiheadAttention's `out_proj`: y = x W^T + b, as nn.Linear, which this file cannot import
    (nn.layers imports nn.functional, which imports this file). PyTorch's is a Linear too."""

    def __init__(self, embed_dim: int) -> None:
        super().__init__()
        self.in_features = self.out_features = embed_dim
        bound = 1 / math.sqrt(embed_dim)  # uniform in +-1/sqrt(E) and a zero bias, as PyTorch
        self.weight = Parameter(np.random.uniform(-bound, bound, (embed_dim, embed_dim)), label="out_proj.weight")
        self.bias = Parameter(np.zeros(embed_dim), label="out_proj.bias")

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T + self.bias

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias=True"


class MultiheadAttention(Module):
    """PyTorch's multi-head attention: project q, k, v, attend per head, join, project out.

    Parameters as PyTorch, under its names: `in_proj_weight` (3E, E), `in_proj_bias` (3E,), and
    the linear layer `out_proj` (`out_proj.weight` (E, E), `out_proj.bias` (E,)), so a PyTorch state
    dict loads key for key. Inputs are (L, N, E), or (N, L, E) with batch_first.
    Returns (output, attention weights averaged over heads).
    """

    def __init__(self, embed_dim: int, num_heads: int, batch_first: bool = False) -> None:
        super().__init__()
        if not is_int(embed_dim) or embed_dim <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim must be a positive int, got {embed_dim!r}")
        if not is_int(num_heads) or num_heads <= 0 \
                or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: num_heads ({num_heads!r}) must divide embed_dim ({embed_dim})")
        self.embed_dim, self.num_heads, self.batch_first = int(embed_dim), int(num_heads), batch_first
        bound = math.sqrt(6.0 / (embed_dim + 3 * embed_dim))  # xavier_uniform on (3E, E), as PyTorch
        self.in_proj_weight = Parameter(np.random.uniform(-bound, bound, (3 * embed_dim, embed_dim)),
                                        label="in_proj_weight")
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim), label="in_proj_bias")
        self.out_proj = _OutProjection(embed_dim)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}" + (", batch_first=True" if self.batch_first else "")

    def _heads(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        """(N, L, E) -> (N, heads, L, E / heads)."""
        n, length, _ = x.shape
        y = x @ w.T + b
        return y.reshape(n, length, self.num_heads, self.embed_dim // self.num_heads).transpose(0, 2, 1, 3)

    def forward(self, query: Any, key: Any, value: Any, attn_mask: Any = None, is_causal: bool = False) -> tuple:
        """Attend from `query` to `key`/`value`; `attn_mask` is boolean, True where a query may NOT
        look at a key (PyTorch's convention for this module), of shape (L, S) or, one per batch
        item and head, (batch * num_heads, L, S). For a decoder, the causal mask is
        `np.triu(np.ones((L, L), dtype=bool), k=1)`; `is_causal=True` is PyTorch's hint that the
        mask given is that one, and, as in PyTorch, is refused without a mask (ValueError)."""
        if is_causal and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal=True is a hint that attn_mask is the causal mask; give "
                             "the mask too: attn_mask=np.triu(np.ones((L, L), dtype=bool), k=1) (True = may not "
                             "attend), as PyTorch asks")
        q, k, v = (_as_tensor(t) for t in (query, key, value))
        for name, t in (("query", q), ("key", k), ("value", v)):
            if t.ndim != 3 or t.shape[-1] != self.embed_dim:
                layout = "(batch, seq, embed)" if self.batch_first else "(seq, batch, embed)"
                raise ValueError(f"MultiheadAttention: {name} must have shape {layout} with embed={self.embed_dim}, "
                                 f"got {t.shape}")
        if not self.batch_first:
            q, k, v = (t.transpose(1, 0, 2) for t in (q, k, v))
        if k.shape != v.shape or q.shape[0] != k.shape[0]:
            raise ValueError(f"MultiheadAttention: query {q.shape}, key {k.shape} and value {v.shape} "
                             "must share the batch size, and key and value their shape")
        e = self.embed_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        qh = self._heads(q, w[:e], b[:e])
        kh = self._heads(k, w[e:2 * e], b[e:2 * e])
        vh = self._heads(v, w[2 * e:], b[2 * e:])
        keep = None
        if attn_mask is not None:  # PyTorch's module takes True = may NOT attend (its function the opposite)
            hide = np.asarray(attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask)
            if hide.dtype != bool:
                raise ValueError(f"MultiheadAttention: attn_mask must be boolean (True = may not attend), "
                                 f"got {hide.dtype}")
            n, heads, length, source = qh.shape[0], self.num_heads, qh.shape[2], kh.shape[2]
            # PyTorch's two shapes: one mask for all, or one per (batch item, head) pair, item-major.
            if hide.shape == (n * heads, length, source):
                hide = hide.reshape(n, heads, length, source)
            elif hide.shape != (length, source):
                raise ValueError(f"MultiheadAttention: attn_mask must have shape (L, S) = {(length, source)} or "
                                 f"(batch * num_heads, L, S) = {(n * heads, length, source)}, got {hide.shape}")
            keep = ~hide
        attended, weights = _attend(qh, kh, vh, keep, "MultiheadAttention")
        n, _, length, _ = qh.shape
        joined = attended.transpose(0, 2, 1, 3).reshape(n, length, e)
        out = self.out_proj(joined)
        if not self.batch_first:
            out = out.transpose(1, 0, 2)
        return out, weights.mean(axis=1)
