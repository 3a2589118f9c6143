"""Recurrent cells and layers with PyTorch's equations, parameter names, shapes and init.

A cell maps (input x_t, state h_{t-1}) to h_t; a layer runs the cell along a sequence. The
graph of an unrolled sequence is the cell's graph repeated once per time step, which is
what backpropagation through time walks. Parameter names match PyTorch's (`weight_ih`,
`weight_hh_l0`, ...), so weights copy across with `load_state_dict`.

Gates are stacked in one matrix in PyTorch's order: LSTM (input, forget, cell, output),
GRU (reset, update, new).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Union

import numpy as np

from circuitgrad.autograd import Tensor

from .module import Module, Parameter
from circuitgrad.autograd.checks import is_int

State = Union[Tensor, tuple]


def _uniform(shape: tuple, bound: float, label: str) -> Tensor:
    return Parameter(np.random.uniform(-bound, bound, size=shape), label=label)


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _chunk(t: Tensor, n: int) -> list:
    """Split the last axis into n equal gates."""
    size = t.shape[-1] // n
    return [t[..., k * size:(k + 1) * size] for k in range(n)]


# ---- the step equations, shared by cells and layers -----------------------------------------

def rnn_step(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
             b_hh: Optional[Tensor], nonlinearity: str = "tanh") -> Tensor:
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    z = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
    return z.tanh() if nonlinearity == "tanh" else z.relu()


def lstm_step(x: Tensor, state: tuple, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
              b_hh: Optional[Tensor]) -> tuple:
    """i, f, g, o gates; c' = f c + i g; h' = o tanh(c')."""
    h, c = state
    i, f, g, o = _chunk(_affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh), 4)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_next.tanh(), c_next


def gru_step(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
             b_hh: Optional[Tensor]) -> Tensor:
    """r, z gates; n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = (1 - z) n + z h."""
    xr, xz, xn = _chunk(_affine(x, w_ih, b_ih), 3)
    hr, hz, hn = _chunk(_affine(h, w_hh, b_hh), 3)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * h


def _affine(x: Tensor, w: Tensor, b: Optional[Tensor]) -> Tensor:
    y = x @ w.T
    return y if b is None else y + b


_STEPS = {"RNN": rnn_step, "LSTM": lstm_step, "GRU": gru_step}
_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


# ---- cells --------------------------------------------------------------------------------------

class _Cell(Module):
    kind = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        for name, n in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not is_int(n) or n <= 0:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive int, got {n!r}")
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bias
        gates, bound = _GATES[self.kind] * hidden_size, 1 / math.sqrt(hidden_size)
        self.weight_ih = _uniform((gates, input_size), bound, "weight_ih")
        self.weight_hh = _uniform((gates, hidden_size), bound, "weight_hh")
        self.bias_ih = _uniform((gates,), bound, "bias_ih") if bias else None
        self.bias_hh = _uniform((gates,), bound, "bias_hh") if bias else None

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _check(self, x: Tensor, state: Any) -> tuple:
        name = type(self).__name__
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (batch, {self.input_size}) or ({self.input_size},), "
                             f"got {x.shape}")
        want = x.shape[:-1] + (self.hidden_size,)
        if state is None:
            zeros = Tensor(np.zeros(want, dtype=x.dtype))
            return (zeros, Tensor(np.zeros(want, dtype=x.dtype))) if self.kind == "LSTM" else zeros
        parts = state if self.kind == "LSTM" else (state,)
        if self.kind == "LSTM" and (not isinstance(state, tuple) or len(state) != 2):
            raise ValueError(f"{name}: the state must be a tuple (h, c)")
        parts = tuple(_as_tensor(p) for p in parts)
        for p in parts:
            if p.shape != want:
                raise ValueError(f"{name}: hidden state must have shape {want} for input {x.shape}, got {p.shape}")
        return parts if self.kind == "LSTM" else parts[0]

    def forward(self, x: Any, state: Optional[State] = None) -> State:
        x = _as_tensor(x)
        state = self._check(x, state)
        return _STEPS[self.kind](x, state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)


class RNNCell(_Cell):
    """Elman cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def forward(self, x: Any, state: Optional[Tensor] = None) -> Tensor:
        x = _as_tensor(x)
        h = self._check(x, state)
        return rnn_step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)


class LSTMCell(_Cell):
    """Long short-term memory cell; returns (h', c')."""

    kind = "LSTM"


class GRUCell(_Cell):
    """Gated recurrent unit cell."""

    kind = "GRU"


# ---- layers over a sequence ---------------------------------------------------------------------

class _Recurrent(Module):
    kind = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, nonlinearity: str = "tanh") -> None:
        super().__init__()
        name = type(self).__name__
        for arg, n in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not is_int(n) or n <= 0:
                raise ValueError(f"{name}: {arg} must be a positive int, got {n!r}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.nonlinearity = bias, batch_first, nonlinearity
        gates, bound = _GATES[self.kind] * hidden_size, 1 / math.sqrt(hidden_size)
        for k in range(num_layers):
            width = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", _uniform((gates, width), bound, f"weight_ih_l{k}"))
            setattr(self, f"weight_hh_l{k}", _uniform((gates, hidden_size), bound, f"weight_hh_l{k}"))
            if bias:
                setattr(self, f"bias_ih_l{k}", _uniform((gates,), bound, f"bias_ih_l{k}"))
                setattr(self, f"bias_hh_l{k}", _uniform((gates,), bound, f"bias_hh_l{k}"))

    def extra_repr(self) -> str:
        extras = [f"{self.input_size}, {self.hidden_size}"]
        if self.num_layers != 1:
            extras.append(f"num_layers={self.num_layers}")
        if self.batch_first:
            extras.append("batch_first=True")
        return ", ".join(extras)

    def _layer(self, k: int) -> tuple:
        get = lambda n: getattr(self, f"{n}_l{k}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _step(self, k: int, x_t: Tensor, state: State) -> State:
        params = self._layer(k)
        if self.kind == "RNN":
            return rnn_step(x_t, state, *params, self.nonlinearity)
        return _STEPS[self.kind](x_t, state, *params)

    def _initial(self, x: Tensor, state: Any, batch: tuple) -> list:
        """One initial state per layer, each (batch..., hidden) or (h, c) for LSTM."""
        name = type(self).__name__
        want = (self.num_layers,) + batch + (self.hidden_size,)
        if state is None:
            def zeros(kind: str, k: int) -> Tensor:  # named, so a diagram shows h0 rather than "const"
                return Tensor(np.zeros(want[1:], dtype=x.dtype), label=f"{kind}0" + (f" l{k}" if k else ""))
            return [(zeros("h", k), zeros("c", k)) if self.kind == "LSTM" else zeros("h", k)
                    for k in range(self.num_layers)]
        if self.kind == "LSTM":
            if not isinstance(state, tuple) or len(state) != 2:
                raise ValueError(f"{name}: the initial state must be a tuple (h_0, c_0)")
            h0, c0 = (_as_tensor(s) for s in state)
        else:
            h0 = c0 = _as_tensor(state)
        for s in (h0, c0):
            if s.shape != want:
                raise ValueError(f"{name}: initial hidden state must have shape {want}, got {s.shape}")
        if self.kind == "LSTM":
            return [(h0[k], c0[k]) for k in range(self.num_layers)]
        return [h0[k] for k in range(self.num_layers)]

    def forward(self, x: Any, state: Optional[State] = None) -> tuple:
        """Run over a sequence: (T, B, F) (or (B, T, F) with batch_first, or unbatched (T, F)).

        Returns (outputs of the last layer at every step, final state of every layer), as PyTorch.
        """
        from circuitgrad.autograd import stack

        x = _as_tensor(x)
        name = type(self).__name__
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected a sequence of shape (seq_len, batch, {self.input_size})"
                             f"{' with batch_first (batch, seq_len, ...)' if self.batch_first else ''} "
                             f"or (seq_len, {self.input_size}), got {x.shape}")
        time_axis = 1 if (self.batch_first and x.ndim == 3) else 0
        if x.shape[time_axis] == 0:
            raise ValueError(f"{name}: the sequence is empty (shape {x.shape}); it needs at least one time step")
        batch = (x.shape[1 - time_axis],) if x.ndim == 3 else ()
        states = self._initial(x, state, batch)
        inputs = [x[:, t] if time_axis == 1 else x[t] for t in range(x.shape[time_axis])]
        for t, x_t in enumerate(inputs):
            if x_t.is_leaf and not x_t.label:  # a slice of an input that needs no gradient
                x_t.label = f"{x.label or 'x'}[t={t}]"
        for k in range(self.num_layers):
            s = states[k]
            outputs = []
            for t, x_t in enumerate(inputs):
                s = TimeStep(self, k, t)(x_t, s)  # a module call per step: a diagram boxes each one
                outputs.append(s[0] if self.kind == "LSTM" else s)
            states[k] = s
            inputs = outputs
        out = stack(inputs, axis=time_axis)
        if self.kind == "LSTM":
            return out, (stack([s[0] for s in states]), stack([s[1] for s in states]))
        return out, stack(states)


class TimeStep(Module):
    """One step of a recurrent layer, called as a module so that hooks see each step and a diagram
    of the unrolled layer (`trace_modules()`) puts each time step in a box of its own
    (`collapse=True` draws each step as one box). It owns no parameters: it runs its layer's step."""

    def __init__(self, layer: "_Recurrent", k: int, t: int) -> None:
        super().__init__()
        object.__setattr__(self, "_layer_ref", layer)  # not registered: the layer is not its child
        self.k, self.t = k, t
        self.trace_name = f"t={t}" if layer.num_layers == 1 else f"l{k} t={t}"

    def extra_repr(self) -> str:
        return f"{type(self._layer_ref).__name__} layer {self.k}"

    def forward(self, x_t: Tensor, state: State) -> State:
        return self._layer_ref._step(self.k, x_t, state)


class RNN(_Recurrent):
    """Elman RNN over a sequence: returns (output, h_n)."""


class LSTM(_Recurrent):
    """LSTM over a sequence: returns (output, (h_n, c_n))."""

    kind = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first)


class GRU(_Recurrent):
    """GRU over a sequence: returns (output, h_n)."""

    kind = "GRU"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first)
