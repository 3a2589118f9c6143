"""optimizer.state_dict() / load_state_dict(): PyTorch's layout, and training resumes bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5)),
]
IDS = [f"{n}{k}" for n, k in OPTIMIZERS]


def small_model(seed: int) -> nn.Sequential:
    np.random.seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def data():
    rng = np.random.default_rng(7)
    return Tensor(rng.normal(size=(8, 3))), rng.normal(size=(8, 2))


def train(model, opt, steps, scheduler=None):
    X, Y = data()
    for _ in range(steps):
        opt.zero_grad()
        nn.MSELoss()(model(X), Y).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=IDS)
def test_training_resumes_exactly_from_a_saved_state(name, kwargs):
    model = small_model(0)
    opt = getattr(nn.optim, name)(model.parameters(), **kwargs)
    train(model, opt, 5)
    saved_model, saved_opt = model.state_dict(), opt.state_dict()
    train(model, opt, 5)

    fresh = small_model(1)  # other numbers, overwritten by the load
    fresh.load_state_dict(saved_model)
    fresh_opt = getattr(nn.optim, name)(fresh.parameters(), lr=0.5)  # other lr, overwritten too
    fresh_opt.load_state_dict(saved_opt)
    train(fresh, fresh_opt, 5)
    for key, value in model.state_dict().items():
        assert np.array_equal(fresh.state_dict()[key], value), key  # bit for bit, not approximately


def test_the_saved_state_is_a_snapshot():
    model = small_model(0)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    train(model, opt, 2)
    saved = opt.state_dict()
    moment = saved["state"][0]["exp_avg"].copy()
    train(model, opt, 2)
    assert np.array_equal(saved["state"][0]["exp_avg"], moment) and saved["state"][0]["step"] == 2


def test_scalar_value_parameters_resume_exactly():
    np.random.seed(0)
    mlp = nn.MLP(2, [3, 1], activation="tanh")
    X, Y = [[0.5, -1.0], [1.0, 2.0]], [1.0, -1.0]

    def steps(model, opt, n):
        for _ in range(n):
            opt.zero_grad()
            sum((model(x) - y) ** 2 for x, y in zip(X, Y)).backward()
            opt.step()

    opt = nn.optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9)
    steps(mlp, opt, 3)
    saved_model, saved_opt = mlp.state_dict(), opt.state_dict()
    steps(mlp, opt, 3)
    np.random.seed(1)
    fresh = nn.MLP(2, [3, 1], activation="tanh")
    fresh.load_state_dict(saved_model)
    fresh_opt = nn.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    fresh_opt.load_state_dict(saved_opt)
    steps(fresh, fresh_opt, 3)
    assert [p.data for p in fresh.parameters()] == [p.data for p in mlp.parameters()]


def test_param_groups_number_parameters_across_groups():
    model = small_model(0)
    opt = nn.optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.01}],
                       lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.01]
    assert sd["state"] == {}  # no step taken yet
    train(model, opt, 1)
    assert sorted(opt.state_dict()["state"]) == [0, 1, 2, 3]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=IDS)
def test_layout_matches_pytorch(torch, name, kwargs):
    model = small_model(0)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    opt = getattr(nn.optim, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(ref.parameters(), **kwargs)
    train(model, opt, 3)
    X, Y = data()
    for _ in range(3):
        topt.zero_grad()
        torch.nn.MSELoss()(ref(torch.tensor(X.data)), torch.tensor(Y)).backward()
        topt.step()
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert set(ours) == set(theirs) == {"state", "param_groups"}
    assert [g["params"] for g in ours["param_groups"]] == [g["params"] for g in theirs["param_groups"]]
    assert set(ours["param_groups"][0]) <= set(theirs["param_groups"][0])  # theirs adds foreach, fused, ...
    assert sorted(ours["state"]) == sorted(theirs["state"])
    for i, entries in ours["state"].items():
        assert set(entries) == set(theirs["state"][i])
        for key, value in entries.items():
            expected = theirs["state"][i][key]
            if key == "step":
                assert value == int(expected)
            else:
                np.testing.assert_allclose(value, expected.numpy(), rtol=1e-9, atol=1e-12)


def test_scheduler_state_resumes_the_schedule():
    model = small_model(0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = nn.optim.StepLR(opt, step_size=2, gamma=0.5)
    train(model, opt, 3, sched)
    saved = model.state_dict(), opt.state_dict(), sched.state_dict()
    train(model, opt, 4, sched)

    fresh = small_model(1)
    fresh.load_state_dict(saved[0])
    fresh_opt = nn.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    fresh_sched = nn.optim.StepLR(fresh_opt, step_size=2, gamma=0.5)
    fresh_opt.load_state_dict(saved[1])
    fresh_sched.load_state_dict(saved[2])
    assert fresh_sched.get_last_lr() == [0.05] and fresh_opt.param_groups[0]["lr"] == 0.05
    train(fresh, fresh_opt, 4, fresh_sched)
    assert fresh_sched.get_last_lr() == sched.get_last_lr() == [0.1 * 0.5 ** 3]
    for key, value in model.state_dict().items():
        assert np.array_equal(fresh.state_dict()[key], value)


def test_scheduler_state_keys_are_checked():
    sched = nn.optim.ExponentialLR(nn.optim.SGD([nn.Parameter([1.0])], lr=1.0), gamma=0.5)
    sd = sched.state_dict()
    assert sd["last_epoch"] == 0 and sd["gamma"] == 0.5 and "optimizer" not in sd
    with pytest.raises(ValueError, match=r"ExponentialLR.load_state_dict: unknown keys \['T_max'\]"):
        sched.load_state_dict({**sd, "T_max": 3})
    with pytest.raises(ValueError, match="base_lrs has 2 entries, the optimizer 1"):
        sched.load_state_dict({**sd, "base_lrs": [1.0, 2.0]})
    with pytest.raises(TypeError, match="expected a dict"):
        sched.load_state_dict([sd])


def trained_adam():
    model = small_model(0)
    opt = nn.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    train(model, opt, 2)
    return model, opt


@pytest.mark.parametrize("change,message", [
    (lambda sd: {**sd, "extra": 1}, r"expected the keys 'state' and 'param_groups', got \['extra'"),
    (lambda sd: {"state": sd["state"]}, r"expected the keys 'state' and 'param_groups', got \['state'\]"),
    (lambda sd: {**sd, "param_groups": sd["param_groups"] * 2}, "has 2 parameter groups, this optimizer 1"),
    (lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "params": [0, 1, 2]}]},
     "parameter group 0 has 3 parameters in the saved state, 4 in this optimizer"),
    (lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "momentum": 0.9}]},
     r"unknown hyperparameters \['momentum'\] in parameter group 0"),
    (lambda sd: {**sd, "param_groups": [{**sd["param_groups"][0], "lr": -1.0}]}, "lr must be >= 0"),
    (lambda sd: {**sd, "state": {**sd["state"], 9: {}}}, "state for parameter 9"),
    (lambda sd: {**sd, "state": {**sd["state"], 0: {**sd["state"][0], "momentum_buffer": 0}}},
     r"unknown state \['momentum_buffer'\] for parameter 0"),
    (lambda sd: {**sd, "state": {**sd["state"], 0: {"step": 2, "exp_avg": sd["state"][0]["exp_avg"]}}},
     r"the state of parameter 0 lacks \['exp_avg_sq', 'max_exp_avg_sq'\]"),
    (lambda sd: {**sd, "state": {**sd["state"], 1: {**sd["state"][1], "exp_avg": np.zeros(3)}}},
     r"state\[1\]\['exp_avg'\] has shape \(3,\), its parameter \(4,\)"),
])
def test_bad_optimizer_states_are_refused_and_change_nothing(change, message):
    model, opt = trained_adam()
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(change(opt.state_dict()))
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert all(np.array_equal(after["state"][i][k], v) for i, s in before["state"].items() for k, v in s.items())


def test_an_optimizer_state_that_is_not_a_dict_is_a_type_error():
    _, opt = trained_adam()
    with pytest.raises(TypeError, match="Adam.load_state_dict: expected the dict from optimizer.state_dict"):
        opt.load_state_dict([1, 2])


def test_lambda_lr_state_leaves_the_function_out():
    opt = nn.optim.SGD([nn.Parameter([1.0])], lr=1.0)
    sched = nn.optim.LambdaLR(opt, lambda epoch: 0.5 ** epoch)
    sched.step()
    sched.step()
    sd = sched.state_dict()
    assert "lr_lambdas" not in sd and sd["last_epoch"] == 2
    fresh_opt = nn.optim.SGD([nn.Parameter([1.0])], lr=1.0)
    fresh = nn.optim.LambdaLR(fresh_opt, lambda epoch: 0.5 ** epoch)
    fresh.load_state_dict(sd)
    fresh.step()
    assert fresh.get_last_lr() == [0.125]


def test_new_scheduler_arguments_are_checked():
    opt = nn.optim.SGD([nn.Parameter([1.0])], lr=1.0)
    with pytest.raises(TypeError, match="MultiStepLR: milestones must be a list of epochs, got 3"):
        nn.optim.MultiStepLR(opt, milestones=3)
    with pytest.raises(TypeError, match="MultiStepLR: milestones must be a whole number, got float 2.5"):
        nn.optim.MultiStepLR(opt, milestones=[2.5])
    with pytest.raises(TypeError, match="LambdaLR: lr_lambda must be a function of the epoch, got float"):
        nn.optim.LambdaLR(opt, 0.5)
    with pytest.raises(ValueError, match="LambdaLR: got 2 lr_lambdas for 1 parameter groups"):
        nn.optim.LambdaLR(opt, [abs, abs])
