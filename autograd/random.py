"""The random seed: `manual_seed(n)` makes a run repeatable, as `torch.manual_seed(n)` does.

circuitgrad has one random source, numpy's global RandomState (what `np.random.uniform` and
friends draw from). Every draw not given a generator or seed of its own takes from it: the
factories (`rand`, `randn`, `randint`, `randperm` and their `_like`s), `nn.init` and the layers'
first weights, dropout masks and noise, and a shuffling `DataLoader`'s order. So one call before
building the model makes the whole run repeat:

    >>> import circuitgrad as cg
    >>> _ = cg.manual_seed(777)
    >>> a = cg.rand(2)
    >>> _ = cg.manual_seed(777)
    >>> bool((cg.rand(2) == a).all())
    True

Which seed wins? There is one state, so the later call: `cg.manual_seed(n)` and `np.random.seed(n)`
set the same state (for n < 2**32 the very same one, so code seeded either way draws the same
numbers). The price: `manual_seed` also reseeds the numpy global state other code in the process
may draw from. The numbers differ from PyTorch's for the same seed (its generator is its own).
"""
from __future__ import annotations

import os
from typing import Any, Optional

import numpy as np
from .checks import is_int

__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "generator", "source"]

_WORD = 2 ** 32


class _Seed:
    """The seed last given to `manual_seed` or made by `seed` (None until then): `initial_seed()`."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Optional[int] = None


_last = _Seed()


def generator() -> Any:
    """The source every circuitgrad draw without its own generator takes from: numpy's global
    RandomState, as the `np.random` module (its `uniform`, `normal`, `permutation`, ...)."""
    return np.random


def source(op: str, given: Any = None) -> Any:
    """What a draw takes from: circuitgrad's random state for None, else the np.random.Generator
    given, or a new one from an int seed (the `generator=` argument of the factories and of
    `normal_`/`uniform_`). TypeError naming `op` for anything else."""
    if given is None:
        return generator()
    if isinstance(given, np.random.Generator):
        return given
    if is_int(given):
        return np.random.default_rng(int(given))
    raise TypeError(f"{op}: generator must be a np.random.Generator or an int seed, got {type(given).__name__}")


def manual_seed(seed: int) -> None:
    """Seed circuitgrad's (numpy's global) random state, so that the draws after it repeat.

    Any int PyTorch accepts, -2**63 <= seed < 2**64 (a negative one is taken modulo 2**64, as
    PyTorch does); `manual_seed(n)` is `np.random.seed(n)` for 0 <= n < 2**32. Raises TypeError
    for a non-int (1.5, True) and ValueError for an int out of that range.
    """
    if not is_int(seed):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if not -2 ** 63 <= seed < 2 ** 64:
        raise ValueError(f"manual_seed: seed must be in [-2**63, 2**64), got {seed}")
    seed %= 2 ** 64
    # numpy's legacy seeding takes 32-bit words: one word keeps np.random.seed(n)'s stream for n < 2**32
    np.random.seed(seed if seed < _WORD else [seed % _WORD, seed // _WORD])
    _last.value = seed


def seed() -> int:
    """Seed with a fresh number from the operating system and return it (so the run can be repeated
    with `manual_seed` of that number), as `torch.seed()`."""
    fresh = int.from_bytes(os.urandom(8), "little")
    manual_seed(fresh)
    return fresh


def initial_seed() -> Optional[int]:
    """The seed last set by `manual_seed` or `seed`; None if neither was called (numpy then seeded its
    state from the operating system). A direct `np.random.seed(n)` is not seen here."""
    return _last.value


def get_rng_state() -> tuple:
    """A copy of the random state, numpy's `get_state()` tuple (PyTorch gives a uint8 tensor), for
    `set_rng_state` to return to: draws after it repeat."""
    return np.random.get_state()


def set_rng_state(new_state: tuple) -> None:
    """Return to a state from `get_rng_state()`. TypeError for anything else."""
    if not (isinstance(new_state, tuple) and len(new_state) == 5 and new_state[0] == "MT19937"):
        raise TypeError("set_rng_state: expected the tuple get_rng_state() returned, got "
                        f"{type(new_state).__name__}")
    np.random.set_state(new_state)
