"""Autoencoders with tied weights: the decoder reuses the encoder's weight, transposed.

Tying halves the parameters and is a classic regularizer. In the graph the one weight
feeds two matmuls, so backprop adds the gradients of both uses into it: the same rule as
any node used twice. The denoising variant corrupts its input while training so that it
must learn structure rather than the identity.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from circuitgrad.autograd import Tensor

from .module import Module, Parameter
from circuitgrad.autograd.checks import is_int

_ACTIVATIONS = ("sigmoid", "tanh", "relu")


def _activate(x: Tensor, name: str) -> Tensor:
    return getattr(x, name)()


class TiedAutoencoder(Module):
    """x -> act(x W^T + b_enc) = code -> act_out(code W + b_dec): one weight W of shape (hidden, in)."""

    def __init__(self, in_features: int, hidden_features: int, activation: str = "sigmoid",
                 output_activation: str = "sigmoid") -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("hidden_features", hidden_features)):
            if not is_int(n) or n <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive int, got {n!r}")
        for name, act in (("activation", activation), ("output_activation", output_activation)):
            if act not in _ACTIVATIONS:
                raise ValueError(f"{type(self).__name__}: {name} must be one of {_ACTIVATIONS}, got {act!r}")
        self.in_features, self.hidden_features = int(in_features), int(hidden_features)
        self.activation, self.output_activation = activation, output_activation
        bound = math.sqrt(6.0 / (in_features + hidden_features))  # Xavier: both directions use W
        self.weight = Parameter(np.random.uniform(-bound, bound, (hidden_features, in_features)), label="weight")
        self.encoder_bias = Parameter(np.zeros(hidden_features), label="encoder_bias")
        self.decoder_bias = Parameter(np.zeros(in_features), label="decoder_bias")

    def extra_repr(self) -> str:
        return f"{self.in_features} -> {self.hidden_features} -> {self.in_features}, tied"

    def encode(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.in_features:
            raise ValueError(f"{type(self).__name__}: expected input of shape (batch, {self.in_features}), "
                             f"got {x.shape}")
        return _activate(x @ self.weight.T + self.encoder_bias, self.activation)

    def decode(self, code: Tensor) -> Tensor:
        return _activate(code @ self.weight + self.decoder_bias, self.output_activation)

    def forward(self, x: Any) -> Tensor:
        return self.decode(self.encode(x))


class DenoisingAutoencoder(TiedAutoencoder):
    """A tied autoencoder that, in training mode, sees its input corrupted and must rebuild the clean one.

    `noise="gaussian"` adds N(0, noise_level^2); `noise="masking"` zeroes each input with
    probability noise_level. Evaluation mode passes the input unchanged. Noise is drawn from
    numpy's global RNG, so `np.random.seed` makes a run repeatable.
    """

    def __init__(self, in_features: int, hidden_features: int, noise: str = "masking", noise_level: float = 0.3,
                 activation: str = "sigmoid", output_activation: str = "sigmoid") -> None:
        super().__init__(in_features, hidden_features, activation, output_activation)
        if noise not in ("gaussian", "masking"):
            raise ValueError(f"DenoisingAutoencoder: noise must be 'gaussian' or 'masking', got {noise!r}")
        if not 0.0 <= noise_level < (1.0 if noise == "masking" else math.inf):
            raise ValueError(f"DenoisingAutoencoder: noise_level {noise_level!r} is out of range for {noise} noise")
        self.noise, self.noise_level = noise, noise_level

    def corrupt(self, x: Tensor) -> Tensor:
        """The input as the encoder sees it while training (a constant: no gradient flows into the noise)."""
        if self.noise == "gaussian":
            return Tensor(x.data + np.random.normal(0.0, self.noise_level, x.shape).astype(x.dtype))
        return Tensor(x.data * (np.random.random_sample(x.shape) >= self.noise_level))

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        return self.decode(self.encode(self.corrupt(x) if self.training else x))
