"""nn.init: PyTorch's gains and fans, the spread of each distribution, and reproducibility from the seed."""
from __future__ import annotations

import math

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor


def weight(shape, dtype=np.float64) -> Tensor:
    return Tensor(np.zeros(shape), requires_grad=True, dtype=dtype)


@pytest.mark.parametrize("name,param", [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(torch, name, param):
    assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_calculate_gain_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")


# (function, kwargs, expected bound or std, uniform?) for a weight of shape (out=200, in=300)
FAN_IN, FAN_OUT = 300, 200
CASES = [
    (nn.init.xavier_uniform_, {}, math.sqrt(6 / (FAN_IN + FAN_OUT)), True),
    (nn.init.xavier_uniform_, {"gain": 2.0}, 2 * math.sqrt(6 / (FAN_IN + FAN_OUT)), True),
    (nn.init.xavier_normal_, {}, math.sqrt(2 / (FAN_IN + FAN_OUT)), False),
    (nn.init.kaiming_uniform_, {}, math.sqrt(2) * math.sqrt(3 / FAN_IN), True),
    (nn.init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(FAN_IN), True),  # Linear's default
    (nn.init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"},
     math.sqrt(2) * math.sqrt(3 / FAN_OUT), True),
    (nn.init.kaiming_normal_, {}, math.sqrt(2 / FAN_IN), False),
    (nn.init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "tanh"}, (5 / 3) / math.sqrt(FAN_OUT), False),
]


@pytest.mark.parametrize("fn,kwargs,scale,uniform", CASES, ids=[f"{c[0].__name__}{c[1]}" for c in CASES])
def test_init_spread_follows_pytorch_formulas(fn, kwargs, scale, uniform):
    np.random.seed(0)
    w = weight((FAN_OUT, FAN_IN))
    assert fn(w, **kwargs) is w
    if uniform:
        assert np.abs(w.data).max() <= scale
        assert np.abs(w.data).max() > 0.99 * scale
        assert w.data.std() == pytest.approx(scale / math.sqrt(3), rel=0.02)
    else:
        assert w.data.std() == pytest.approx(scale, rel=0.02)
    assert abs(w.data.mean()) < 0.02 * scale


def test_fans_of_higher_dimensional_weights_include_the_receptive_field():
    np.random.seed(1)
    w = weight((16, 8, 3, 3))  # conv-like: fan_in 8*9 = 72, fan_out 16*9 = 144
    nn.init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= math.sqrt(6 / (72 + 144))
    assert np.abs(w.data).max() > 0.98 * math.sqrt(6 / (72 + 144))


def test_simple_fills_and_dtype_is_kept():
    w = weight((3, 2), np.float32)
    array = w.data
    nn.init.constant_(w, 0.25)
    assert w.data is array and w.dtype == np.float32 and (w.data == 0.25).all()
    assert (nn.init.ones_(w).data == 1).all() and (nn.init.zeros_(w).data == 0).all()
    np.random.seed(2)
    nn.init.uniform_(w, -2.0, -1.0)
    assert ((w.data >= -2) & (w.data < -1)).all()
    drawn = nn.init.normal_(weight((4000,)), mean=3.0, std=0.5).data
    assert drawn.mean() == pytest.approx(3.0, abs=0.05) and drawn.std() == pytest.approx(0.5, rel=0.05)


def test_init_is_reproducible_from_numpy_seed():
    np.random.seed(5)
    a = nn.init.kaiming_normal_(weight((4, 4))).data.copy()
    np.random.seed(5)
    assert np.array_equal(a, nn.init.kaiming_normal_(weight((4, 4))).data)


def test_init_errors():
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\) \(initialize a bias"):
        nn.init.xavier_uniform_(weight((5,)))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        nn.init.kaiming_uniform_(weight((2, 2)), mode="fan_avg")
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.init.zeros_(np.zeros(3))
    with pytest.raises(ValueError, match="a=1 is above b=0"):
        nn.init.uniform_(weight((2,)), 1, 0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        nn.init.normal_(weight((2,)), std=-1)
