"""`Embedding`: a lookup table of learned vectors, one row per token id.

Looking rows up is indexing (`weight[ids]`), so a token that appears twice in a batch gets
the gradient of both uses added into its row, as the indexing op's derivative does.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from circuitgrad.autograd import Tensor

from .module import Module, Parameter
from circuitgrad.autograd.checks import is_int


class Embedding(Module):
    """Maps integer ids of shape (...) to vectors of shape (..., embedding_dim); init N(0, 1) as PyTorch."""

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        for name, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not is_int(n) or n <= 0:
                raise ValueError(f"Embedding: {name} must be a positive int, got {n!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = Parameter(np.random.standard_normal((num_embeddings, embedding_dim)), label="weight")

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"

    def forward(self, ids: Any) -> Tensor:
        try:
            raw = ids.data if isinstance(ids, Tensor) else np.asarray(ids)
        except ValueError:  # a ragged list
            raise ValueError("Embedding: ids must be a rectangular array of integers (every row the same length)") \
                from None
        if raw.dtype.kind == "f" and np.all(raw == np.round(raw)):
            raw = raw.astype(np.int64)
        if raw.dtype.kind not in "iu":
            raise ValueError(f"Embedding: ids must be integers, got dtype {raw.dtype}")
        if raw.size and (raw.min() < 0 or raw.max() >= self.num_embeddings):
            bad = raw[(raw < 0) | (raw >= self.num_embeddings)].reshape(-1)[0]
            raise ValueError(f"Embedding: index {int(bad)} is out of range for {self.num_embeddings} embeddings "
                             f"(valid: 0..{self.num_embeddings - 1})")
        return self.weight[raw]
