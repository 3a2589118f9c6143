"""Optimizers, learning-rate schedules and gradient clipping against PyTorch, step by step."""
from __future__ import annotations

import math

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value, is_grad_enabled
from circuitgrad.autograd.graph import set_grad


def small_model(seed: int = 0, dtype=np.float64) -> nn.Sequential:
    np.random.seed(seed)
    return nn.Sequential(nn.Linear(3, 4, dtype=dtype), nn.Tanh(), nn.Linear(4, 2, dtype=dtype))


def torch_copy(torch, model: nn.Sequential):
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return ref


OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.5, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5, eps=1e-8)),
]


def train_both(torch, model, ref, opt, topt, X, Y, steps):
    """The same MSE steps on our model and its PyTorch copy."""
    for _ in range(steps):
        opt.zero_grad()
        nn.MSELoss()(model(Tensor(X)), Y).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.MSELoss()(ref(torch.tensor(X)), torch.tensor(Y)).backward()
        topt.step()


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}{k}" for n, k in OPTIMIZERS])
def test_optimizer_matches_torch_over_several_steps(torch, rng, name, kwargs):
    model = small_model()
    ref = torch_copy(torch, model)
    opt = getattr(nn.optim, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(ref.parameters(), **kwargs)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    train_both(torch, model, ref, opt, topt, X, Y, steps=6)
    for (key, ours), theirs in zip(model.state_dict().items(), ref.state_dict().values()):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-12, err_msg=key)


def test_sgd_float32_stays_float32_and_close_to_torch(torch, rng):
    model = small_model(dtype=np.float32)
    ref = torch_copy(torch, model).float()
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    X, Y = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 2)).astype(np.float32)
    train_both(torch, model, ref, opt, topt, X, Y, steps=5)
    assert all(p.dtype == np.float32 for p in model.parameters())
    for ours, theirs in zip(model.state_dict().values(), ref.state_dict().values()):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda p: nn.optim.Adam(p, lr=0.1), lambda p: nn.optim.SGD(p, lr=0.1),
                                  lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1)],
                         ids=["Adam", "SGD", "SGD momentum"])
def test_step_builds_no_graph_and_updates_in_place(make):
    model = small_model()
    weight = model[0].weight
    array, view = weight.data, weight.data[0]
    before = array.copy()
    opt = make(model.parameters())
    model(Tensor(np.ones((2, 3)))).sum().backward()
    grad = weight.grad.clone()
    opt.step()
    assert weight.data is array and weight.is_leaf and weight.fn is None
    assert not np.array_equal(array, before) and np.array_equal(view, array[0])  # a view sees the new numbers
    np.testing.assert_array_equal(weight.grad, grad)  # the update leaves the gradient as it was
    assert is_grad_enabled()


def test_parameters_without_gradient_or_frozen_are_skipped():
    model = small_model()
    before = model.state_dict()
    opt = nn.optim.SGD(model.parameters(), lr=1.0, weight_decay=0.5)
    opt.step()  # no backward yet: every grad is None, nothing moves (not even by weight decay)
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in before.items())
    model(Tensor(np.ones((2, 3)))).sum().backward()
    model[2].weight.requires_grad_(False)
    opt.step()
    after = model.state_dict()
    assert np.array_equal(after["2.weight"], before["2.weight"])
    assert not np.array_equal(after["0.weight"], before["0.weight"])


def test_optimizers_train_value_parameters_of_scalar_networks():
    np.random.seed(1)
    neuron = nn.Neuron(2, activation=None)
    opt = nn.optim.SGD(neuron.parameters(), lr=0.1, momentum=0.5)
    data = [([1.0, 2.0], 5.0), ([0.0, 1.0], 1.0), ([2.0, 0.0], 3.0), ([1.0, 1.0], 3.0)]  # y = 2 x0 + 2 x1 - 1
    for _ in range(300):
        opt.zero_grad()
        loss = nn.MSELoss()([neuron(x) for x, _ in data], [y for _, y in data])
        loss.backward()
        opt.step()
    assert loss.data < 1e-6
    assert [w.data for w in neuron.w] == pytest.approx([2.0, 2.0], abs=1e-3)
    assert neuron.b.data == pytest.approx(-1.0, abs=1e-3)
    assert all(isinstance(p.data, float) for p in neuron.parameters())
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in neuron.parameters())


def test_param_groups_have_their_own_lr(torch, rng):
    model = small_model()
    ref = torch_copy(torch, model)
    opt = nn.optim.SGD([{"params": model[0].parameters(), "lr": 0.5}, {"params": model[2].parameters()}],
                       lr=0.01, momentum=0.9)
    topt = torch.optim.SGD([{"params": ref[0].parameters(), "lr": 0.5}, {"params": ref[2].parameters()}],
                           lr=0.01, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.01]
    X = rng.normal(size=(4, 3))
    for _ in range(3):
        opt.zero_grad()
        model(Tensor(X)).sum().backward()
        opt.step()
        topt.zero_grad()
        ref(torch.tensor(X)).sum().backward()
        topt.step()
    for ours, theirs in zip(model.state_dict().values(), ref.state_dict().values()):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10)


def test_zero_grad_can_keep_zero_arrays():
    model = small_model()
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    model(Tensor(np.ones((1, 3)))).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad, np.zeros_like(p.data)) for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ---- bad input ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_no_parameters_or_negative_lr_is_a_value_error(name):
    cls = getattr(nn.optim, name)
    with pytest.raises(ValueError, match=f"{name}: got no parameters: an empty list"):
        cls([], lr=0.1)
    with pytest.raises(ValueError, match=f"{name}: got no parameters"):
        cls(nn.ReLU().parameters(), lr=0.1)
    used = iter(small_model().parameters())
    cls(used, lr=0.1)
    with pytest.raises(ValueError, match="a generator already used up"):
        cls(used, lr=0.1)
    with pytest.raises(ValueError, match=f"{name}: lr must be >= 0, got -0.1"):
        cls(small_model().parameters(), lr=-0.1)


def test_optimizer_argument_errors():
    params = small_model().parameters()
    with pytest.raises(ValueError, match="nesterov momentum needs momentum > 0 and dampening = 0"):
        nn.optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\), got 1.0"):
        nn.optim.Adam(params, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="betas must be a pair"):
        nn.optim.Adam(params, betas=0.9)
    with pytest.raises(ValueError, match="momentum must be >= 0"):
        nn.optim.SGD(params, lr=0.1, momentum=-1)
    with pytest.raises(TypeError, match="lr must be a number"):
        nn.optim.SGD(params, lr="fast")
    with pytest.raises(ValueError, match="appears more than once"):
        nn.optim.SGD(params + params[:1], lr=0.1)
    with pytest.raises(TypeError, match="got a single Parameter; wrap it in a list"):
        nn.optim.SGD(params[0], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray"):
        nn.optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(ValueError, match="only leaves can be optimized"):
        nn.optim.SGD([params[0] * 2], lr=0.1)
    with pytest.raises(TypeError, match=r"unknown hyperparameters \['momentum'\]"):
        nn.optim.Adam([{"params": params, "momentum": 0.9}])


def test_groups_are_checked_like_constructor_arguments_and_flags_must_be_bools():
    params = small_model().parameters()
    # Hyperparameters in a parameter group used to skip the checks (betas (1.5, 0.9) trained, 1.0 divided by 0).
    with pytest.raises(ValueError, match=r"Adam: betas\[0\] must be in \[0, 1\), got 1.5"):
        nn.optim.Adam([{"params": params, "betas": (1.5, 0.9)}])
    opt = nn.optim.Adam(params[:1])
    with pytest.raises(ValueError, match=r"betas\[0\] must be in \[0, 1\), got 1.0"):
        opt.add_param_group({"params": params[1:], "betas": (1.0, 0.9)})
    with pytest.raises(TypeError, match=r"Adam: betas\[0\] must be a number, got str 'a'"):
        nn.optim.Adam(params, betas=("a", "b"))
    with pytest.raises(TypeError, match="SGD: momentum must be a number, got str 'a'"):
        nn.optim.SGD(params, momentum="a", nesterov=True)
    for opt_name, key in (("SGD", "nesterov"), ("Adam", "amsgrad"), ("RMSprop", "centered")):
        with pytest.raises(TypeError, match=f"{opt_name}: {key} must be True or False, got str 'no'"):
            getattr(nn.optim, opt_name)(params, **{key: "no"})
    with pytest.raises(ValueError, match="SGD: lr must be a finite number, got nan"):
        nn.optim.SGD(params, lr=float("nan"))
    assert nn.optim.SGD(params, lr=np.float64(0.5)).param_groups[0]["lr"] == 0.5  # numpy numbers are numbers


def test_a_value_whose_grad_was_set_to_none_is_skipped():
    v = Value(1.0)
    v.grad = None
    nn.optim.SGD([v], lr=0.1).step()
    assert v.data == 1.0


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
@pytest.mark.parametrize("grad,error,message", [
    (np.ones(2), ValueError, r"has shape \(2,\), but the parameter has shape \(3, 2\)"),  # numpy would broadcast it
    (np.ones((2, 3)), ValueError, r"has shape \(2, 3\), but the parameter has shape \(3, 2\)"),
    ("0.1", TypeError, "is a str, not numbers"),
    ([[1.0, 2.0]] * 3, TypeError, "is a list, not numbers"),
    (np.full((3, 2), 1j), TypeError, "has dtype complex128; expected real numbers"),
    (np.ones((3, 2), bool), TypeError, "has dtype bool; expected real numbers"),
], ids=["broadcastable", "transposed", "str", "list", "complex", "bool"])
def test_a_gradient_set_by_hand_that_does_not_fit_its_parameter_is_an_error_naming_it(name, grad, error, message):
    # A Tensor refuses such a gradient when it is assigned (PyTorch's checks, below); the optimizer
    # checks again before any update, for gradients that reach it another way (here: the slot itself).
    other = Tensor(np.zeros(1), requires_grad=True)
    w = Tensor(np.zeros((3, 2)), requires_grad=True, label="W1")
    opt = getattr(nn.optim, name)([other, w], lr=0.1)
    other.grad = np.ones(1)
    set_grad(w, grad)
    with pytest.raises(error, match=rf"{name}\.step: the gradient of parameter 1 of group 0 \(W1\) " + message):
        opt.step()
    assert (w.data == 0).all() and other.data[0] == 0.0 and not opt.state  # a step that raises changes nothing


@pytest.mark.parametrize("grad,error,message", [
    (np.ones(2), RuntimeError, r"gradient of shape \(2,\) to a tensor of shape \(3, 2\)"),
    (Tensor(np.ones((2, 3))), RuntimeError, r"gradient of shape \(2, 3\) to a tensor of shape \(3, 2\)"),
    (np.ones((3, 2), np.float32), RuntimeError, r"gradient of dtype float32 to a tensor of dtype float64"),
    (np.ones((3, 2), bool), RuntimeError, r"gradient of dtype bool to a tensor of dtype float64"),
    ("0.1", TypeError, "assigned grad expected to be a Tensor or None but got grad of type str"),
    ([[1.0, 2.0]] * 3, TypeError, "assigned grad expected to be a Tensor or None but got grad of type list"),
], ids=["broadcastable", "transposed", "float32", "bool", "str", "list"])
def test_assigning_a_gradient_that_does_not_fit_raises_as_pytorch_does(grad, error, message):
    w = Tensor(np.zeros((3, 2)), requires_grad=True)
    with pytest.raises(error, match=message):
        w.grad = grad
    assert w.grad is None


def test_a_value_gradient_set_by_hand_must_be_a_number():
    v = Value(1.0, label="w")
    opt = nn.optim.SGD([v], lr=0.1)
    for grad, error, message in ((np.ones(2), ValueError, r"\(a Value\) has shape \(2,\); expected a number"),
                                 ("1", TypeError, "is a str, not numbers"), (True, TypeError, "is a bool"),
                                 (1j, TypeError, "is a complex")):
        v.grad = grad
        with pytest.raises(error, match=r"SGD\.step: the gradient of parameter 0 of group 0 \(w\) " + message):
            opt.step()
        assert v.data == 1.0
    for grad in (2, np.float32(2.0), np.array(2.0), Value(2.0)):  # numbers of any kind; a node's number
        v.data, v.grad = 1.0, grad
        opt.step()
        assert v.data == pytest.approx(0.8)


def test_step_uses_the_numbers_of_a_gradient_recorded_with_create_graph():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (w * w).sum().backward(create_graph=True)
    assert isinstance(w.grad, Tensor)  # d/dw sum(w^2) = 2w, as a node
    nn.optim.SGD([w], lr=0.25).step()
    np.testing.assert_array_equal(w.data, [0.5, 1.0])


def test_optimizer_repr_shows_hyperparameters():
    text = repr(nn.optim.SGD(small_model().parameters(), lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1" in text


# ---- schedulers --------------------------------------------------------------------------------------------

SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=5)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.01)),
    ("MultiStepLR", dict(milestones=[6, 2, 9], gamma=0.5)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1.0 / (1 + epoch) ** 0.5)),
]


# (a function's repr holds its address, which differs between test workers: leave it out of the id)
SCHEDULER_IDS = [n + str({a: v for a, v in k.items() if not callable(v)}) for n, k in SCHEDULERS]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=SCHEDULER_IDS)
def test_schedulers_match_torch(torch, name, kwargs):
    ours_opt = nn.optim.SGD([Tensor([1.0], requires_grad=True)], lr=0.1)
    ref_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours = getattr(nn.optim, name)(ours_opt, **kwargs)
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **kwargs)
    for _ in range(12):  # past T_max: the cosine comes back up, as torch's does
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-12, abs=1e-15)
        assert ours_opt.param_groups[0]["lr"] == pytest.approx(ref_opt.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()


def test_scheduler_shape_by_hand():
    opt = nn.optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    lrs = []
    for _ in range(5):
        lrs.append(sched.get_last_lr()[0])
        sched.step()
    assert lrs == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])
    cosine = nn.optim.CosineAnnealingLR(nn.optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0), T_max=2)
    cosine.step()
    assert cosine.get_last_lr()[0] == pytest.approx(0.5)


def test_scheduler_argument_errors():
    opt = nn.optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="step_size must be positive"):
        nn.optim.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="T_max must be an int"):
        nn.optim.CosineAnnealingLR(opt, T_max=2.5)
    with pytest.raises(TypeError, match="expected an optimizer"):
        nn.optim.ExponentialLR("sgd", gamma=0.9)


# ---- gradient clipping -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("max_norm,norm_type", [(0.5, 2.0), (100.0, 2.0), (0.1, 1.0), (0.2, math.inf)])
def test_clip_grad_norm_matches_torch(torch, rng, max_norm, norm_type):
    model = small_model()
    ref = torch_copy(torch, model)
    X = rng.normal(size=(5, 3))
    model(Tensor(X)).sum().backward()
    ref(torch.tensor(X)).sum().backward()
    shared = model[0].weight.grad  # the clip must not write into an array the graph may share
    saved = shared.clone()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm, norm_type)
    assert total == pytest.approx(float(ttotal), rel=1e-12)
    assert np.array_equal(shared, saved)
    for p, tp in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_and_value_parameters():
    v, w = Value(1.0), Value(2.0)
    v.grad, w.grad = 3.0, -4.0
    assert nn.utils.clip_grad_norm_([v, w], 1.0) == pytest.approx(5.0)
    assert (v.grad, w.grad) == pytest.approx((0.6, -0.8), rel=1e-5)
    t = Tensor([1.0, 2.0], requires_grad=True)
    t.grad = np.array([-3.0, 0.5])
    nn.utils.clip_grad_value_([t], 1.0)
    assert t.grad.tolist() == [-1.0, 0.5]
    assert nn.utils.clip_grad_norm_([Tensor([1.0], requires_grad=True)], 1.0) == 0.0  # no grads yet


def test_clipping_errors():
    t = Tensor([1.0], requires_grad=True)
    t.grad = np.array([np.inf])
    with pytest.raises(ValueError, match="the total gradient norm is inf"):
        nn.utils.clip_grad_norm_([t], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm must be a number >= 0"):
        nn.utils.clip_grad_norm_([t], -1.0)
    with pytest.raises(TypeError, match="parameter 0 is a list"):
        nn.utils.clip_grad_norm_([[1.0]], 1.0)
