"""Bad arguments to nn.save/nn.load, gradient clipping and lr schedules are named, never a silent wrong number."""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value


# ---- serialization -------------------------------------------------------------------------------------------

def test_load_says_a_text_file_is_not_a_weights_file(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello world\n")
    with pytest.raises(ValueError, match=r"refusing .*notes.txt.: it is not an .npz weights file written by "
                                         r"Module.save \(it starts with b'hello '\)"):
        nn.load(text)
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"weight": 1}))
    with pytest.raises(ValueError, match="pickled Python objects"):  # a real pickle is still called one
        nn.load(evil)


def test_save_and_load_name_a_wrong_path_or_state(tmp_path):
    with pytest.raises(TypeError, match="load: path must be a file name .* got NoneType None"):
        nn.load(None)
    with pytest.raises(TypeError, match="save: path must be a file name .* got int 3"):
        nn.save({"w": np.ones(2)}, 3)
    with pytest.raises(TypeError, match=r"save: state must be a dict of named arrays such as model.state_dict\(\), "
                                        "got list"):
        nn.save([1, 2], tmp_path / "w")
    with pytest.raises(TypeError, match="save: every key must be a name"):
        nn.save({0: np.ones(2)}, tmp_path / "w")


def test_complex_weights_are_refused_by_name(tmp_path):
    path = tmp_path / "complex.npz"
    np.savez(path, weight=np.ones((1, 2)) + 1j, bias=np.zeros(1))
    with pytest.raises(ValueError, match="entry 'weight' has dtype complex128, not real numbers"):
        nn.load(path)
    with pytest.raises(TypeError, match="'weight' holds complex128 data; only arrays of real numbers"):
        nn.save({"weight": np.ones(2) + 1j}, tmp_path / "w")
    with pytest.raises(ValueError, match="weight: not real numbers"):  # Module.load_state_dict's own check
        nn.Linear(2, 1).load_state_dict({"weight": np.ones((1, 2)) + 1j, "bias": np.zeros(1)})


# ---- gradient clipping ---------------------------------------------------------------------------------------

def grads(*values: float) -> list:
    t = Tensor(np.zeros(len(values)), requires_grad=True)
    t.grad = np.array(values, dtype=float)
    return [t]


def test_clipping_refuses_nan_limits():
    params = grads(3.0, 4.0)
    with pytest.raises(ValueError, match="clip_grad_norm_: max_norm must be a finite number, got nan"):
        nn.utils.clip_grad_norm_(params, float("nan"))  # used to leave the gradients unclipped
    with pytest.raises(ValueError, match="clip_grad_value_: clip_value must be a finite number, got nan"):
        nn.utils.clip_grad_value_(params, float("nan"))  # used to make every gradient nan
    assert params[0].grad.tolist() == [3.0, 4.0]


def test_clipping_limits_pytorch_accepts():
    params = grads(3.0, 4.0)
    assert nn.utils.clip_grad_norm_(params, math.inf) == 5.0 and params[0].grad.tolist() == [3.0, 4.0]
    nn.utils.clip_grad_value_(params, math.inf)
    assert params[0].grad.tolist() == [3.0, 4.0]
    assert nn.utils.clip_grad_norm_(params, np.float32(1.0), norm_type=np.int64(2)) == pytest.approx(5.0)
    assert nn.utils.clip_grad_norm_(params, 0) == pytest.approx(1.0)  # max_norm=0 zeroes, as in PyTorch
    assert np.allclose(params[0].grad, 0.0)
    v = Value(1.0)
    v.grad = -3.0
    nn.utils.clip_grad_value_(v, np.float64(2.0))
    assert v.grad == -2.0


def test_clipping_names_a_model_and_a_wrong_norm_type():
    model = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"clip_grad_norm_: pass model.parameters\(\), not the Linear module itself"):
        nn.utils.clip_grad_norm_(model, 1)
    with pytest.raises(TypeError, match=r"clip_grad_value_: pass model.parameters\(\)"):
        nn.utils.clip_grad_value_(model, 1)
    with pytest.raises(TypeError, match="clip_grad_norm_: parameters must be a Tensor, a Value or an iterable"):
        nn.utils.clip_grad_norm_(5, 1)
    with pytest.raises(TypeError, match="clip_grad_norm_: norm_type must be a number, got str 'fro'"):
        nn.utils.clip_grad_norm_(grads(1.0), 1, norm_type="fro")
    with pytest.raises(ValueError, match="clip_grad_norm_: norm_type must be > 0, got -1.0"):
        nn.utils.clip_grad_norm_(grads(1.0), 1, norm_type=-1)
    with pytest.raises(TypeError, match="error_if_nonfinite must be True or False"):
        nn.utils.clip_grad_norm_(grads(1.0), 1, error_if_nonfinite="yes")


# ---- learning-rate schedules ---------------------------------------------------------------------------------

def optimizer() -> nn.optim.SGD:
    return nn.optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1)


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.optim.StepLR(optimizer(), 2, gamma=float("nan")), ValueError, "StepLR: gamma must be a finite"),
    (lambda: nn.optim.ExponentialLR(optimizer(), gamma=math.inf), ValueError, "ExponentialLR: gamma must be a finite"),
    (lambda: nn.optim.CosineAnnealingLR(optimizer(), 5, eta_min=float("nan")), ValueError,
     "CosineAnnealingLR: eta_min must be a finite number, got nan"),
    (lambda: nn.optim.CosineAnnealingLR(optimizer(), 5, eta_min=None), TypeError,
     "CosineAnnealingLR: eta_min must be a number, got NoneType None"),
    (lambda: nn.optim.StepLR(optimizer(), 2, last_epoch=-5), ValueError,
     "StepLR: last_epoch must be at least -1, got -5"),  # used to set lr 10.0 from 0.1
    (lambda: nn.optim.StepLR(optimizer(), 2, last_epoch=0.5), TypeError, "StepLR: last_epoch must be a whole number"),
])
def test_schedules_refuse_values_that_give_nan_or_wrong_rates(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_schedules_take_numpy_numbers():
    sched = nn.optim.StepLR(optimizer(), np.int64(1), gamma=np.float32(0.5))
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.05])
    assert type(sched.step_size) is int
    cosine = nn.optim.CosineAnnealingLR(optimizer(), np.int64(2), eta_min=np.float64(0.0))
    cosine.step()
    assert cosine.get_last_lr() == pytest.approx([0.05])
