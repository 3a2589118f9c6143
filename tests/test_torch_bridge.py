"""nn.to_torch(model) and nn.from_torch(): every layer with a twin, both ways, same outputs and gradients;
a CNN trained here continues in PyTorch; state_dict in PyTorch's order; a custom class's numbers cross
with into=; weights through cg.save/cg.load and .safetensors into PyTorch and back."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor

TORCH_REASON = "PyTorch is the test oracle and is not installed (install the `oracle` extra: torch==2.13.0)"
torch = pytest.importorskip("torch", reason=TORCH_REASON)


def ids(shape, high, rng):
    return rng.integers(0, high, size=shape)


# (name, our module, a function of rng giving the inputs, whether to compare in eval mode)
LAYERS = [
    ("Linear", lambda: nn.Linear(3, 4), lambda r: [r.normal(size=(5, 3))]),
    ("Linear-nobias", lambda: nn.Linear(3, 4, bias=False), lambda r: [r.normal(size=(5, 3))]),
    ("Identity", lambda: nn.Identity(), lambda r: [r.normal(size=(2, 3))]),
    ("Flatten", lambda: nn.Flatten(), lambda r: [r.normal(size=(2, 3, 4))]),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda r: [r.normal(size=(2, 3))]),
    ("Tanh", lambda: nn.Tanh(), lambda r: [r.normal(size=(2, 3))]),
    ("ReLU", lambda: nn.ReLU(), lambda r: [r.normal(size=(2, 3))]),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), lambda r: [r.normal(size=(2, 3))]),
    ("SELU", lambda: nn.SELU(), lambda r: [r.normal(size=(2, 3))]),
    ("Softmax", lambda: nn.Softmax(dim=0), lambda r: [r.normal(size=(2, 3))]),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=-1), lambda r: [r.normal(size=(2, 3))]),
    ("Dropout-eval", lambda: nn.Dropout(0.3).eval(), lambda r: [r.normal(size=(2, 3))]),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3), lambda r: [r.normal(size=(6, 3))]),
    ("BatchNorm1d-3d", lambda: nn.BatchNorm1d(3, momentum=None), lambda r: [r.normal(size=(4, 3, 5))]),
    ("BatchNorm1d-eval", lambda: _run_once(nn.BatchNorm1d(3)).eval(), lambda r: [r.normal(size=(6, 3))]),
    ("Embedding", lambda: nn.Embedding(7, 3), lambda r: [ids((2, 4), 7, r)]),
    ("RNNCell", lambda: nn.RNNCell(3, 4), lambda r: [r.normal(size=(2, 3)), r.normal(size=(2, 4))]),
    ("RNNCell-relu", lambda: nn.RNNCell(3, 4, nonlinearity="relu"), lambda r: [r.normal(size=(2, 3))]),
    ("LSTMCell", lambda: nn.LSTMCell(3, 4), lambda r: [r.normal(size=(2, 3))]),
    ("GRUCell", lambda: nn.GRUCell(3, 4), lambda r: [r.normal(size=(2, 3)), r.normal(size=(2, 4))]),
    ("RNN", lambda: nn.RNN(3, 4, num_layers=2), lambda r: [r.normal(size=(5, 2, 3))]),
    ("LSTM", lambda: nn.LSTM(3, 4, batch_first=True), lambda r: [r.normal(size=(2, 5, 3))]),
    ("LSTM-2", lambda: nn.LSTM(3, 4, num_layers=2), lambda r: [r.normal(size=(5, 3))]),
    ("GRU", lambda: nn.GRU(3, 4, num_layers=2, batch_first=True), lambda r: [r.normal(size=(2, 5, 3))]),
    ("MultiheadAttention", lambda: nn.MultiheadAttention(4, 2),
     lambda r: [r.normal(size=(3, 2, 4)), r.normal(size=(5, 2, 4)), r.normal(size=(5, 2, 4))]),
    ("Conv1d", lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2),
     lambda r: [r.normal(size=(2, 4, 11))]),
    ("Conv1d-nobias", lambda: nn.Conv1d(2, 3, 4, bias=False), lambda r: [r.normal(size=(2, 2, 9))]),
    ("Conv2d", lambda: nn.Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
     lambda r: [r.normal(size=(2, 2, 7, 8))]),
    ("Conv2d-nobias", lambda: nn.Conv2d(3, 2, 3, bias=False), lambda r: [r.normal(size=(1, 3, 5, 5))]),
    ("ConvTranspose2d", lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2),
     lambda r: [r.normal(size=(2, 4, 3, 4))]),
    ("ConvTranspose2d-dilated", lambda: nn.ConvTranspose2d(2, 3, 2, bias=False, dilation=2),
     lambda r: [r.normal(size=(1, 2, 3, 3))]),
    ("MaxPool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1, dilation=1), lambda r: [r.normal(size=(2, 3, 7, 6))]),
    ("MaxPool2d-dilated", lambda: nn.MaxPool2d(2, dilation=2), lambda r: [r.normal(size=(1, 2, 6, 6))]),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), lambda r: [r.normal(size=(2, 3, 6, 5))]),
    ("AvgPool2d-pad", lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
     lambda r: [r.normal(size=(2, 1, 7, 7))]),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), lambda r: [r.normal(size=(2, 3, 7, 8))]),
    ("AdaptiveAvgPool2d-global", lambda: nn.AdaptiveAvgPool2d(1), lambda r: [r.normal(size=(2, 3, 5, 5))]),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3, eps=1e-3, momentum=0.2), lambda r: [r.normal(size=(4, 3, 2, 3))]),
    ("BatchNorm2d-eval", lambda: _run_once(nn.BatchNorm2d(3)).eval(), lambda r: [r.normal(size=(2, 3, 2, 2))]),
    ("BatchNorm2d-plain", lambda: nn.BatchNorm2d(3, affine=False, track_running_stats=False),
     lambda r: [r.normal(size=(2, 3, 2, 2))]),
    ("LayerNorm", lambda: nn.LayerNorm((3, 4), eps=1e-3), lambda r: [r.normal(size=(2, 3, 4))]),
    ("LayerNorm-no-bias", lambda: nn.LayerNorm(4, bias=False), lambda r: [r.normal(size=(2, 3, 4))]),
    ("LayerNorm-plain", lambda: nn.LayerNorm(4, elementwise_affine=False), lambda r: [r.normal(size=(3, 4))]),
    ("RMSNorm", lambda: nn.RMSNorm(4), lambda r: [r.normal(size=(2, 3, 4))]),
    ("RMSNorm-microgpt", lambda: nn.RMSNorm(4, eps=1e-5, elementwise_affine=False), lambda r: [r.normal(size=(3, 4))]),
    ("Dropout2d-eval", lambda: nn.Dropout2d(0.4).eval(), lambda r: [r.normal(size=(2, 3, 2, 2))]),
    ("Dropout2d-p0", lambda: nn.Dropout2d(0.0), lambda r: [r.normal(size=(2, 3, 2, 2))]),
    ("Flatten-dims", lambda: nn.Flatten(0, 1), lambda r: [r.normal(size=(2, 3, 4))]),
    ("GELU", lambda: nn.GELU(approximate="tanh"), lambda r: [r.normal(size=(2, 3))]),
    ("ELU", lambda: nn.ELU(0.5), lambda r: [r.normal(size=(2, 3))]),
    ("CELU", lambda: nn.CELU(2.0), lambda r: [r.normal(size=(2, 3))]),
    ("SiLU", lambda: nn.SiLU(), lambda r: [r.normal(size=(2, 3))]),
    ("Mish", lambda: nn.Mish(), lambda r: [r.normal(size=(2, 3))]),
    ("Softplus", lambda: nn.Softplus(beta=2.0, threshold=1.0), lambda r: [r.normal(size=(2, 3))]),
    ("Softsign", lambda: nn.Softsign(), lambda r: [r.normal(size=(2, 3))]),
    ("ReLU6", lambda: nn.ReLU6(), lambda r: [3 * r.normal(size=(2, 3))]),
    ("Hardtanh", lambda: nn.Hardtanh(-2.0, 3.0), lambda r: [3 * r.normal(size=(2, 3))]),
    ("Hardswish", lambda: nn.Hardswish(), lambda r: [3 * r.normal(size=(2, 3))]),
    ("Hardsigmoid", lambda: nn.Hardsigmoid(), lambda r: [3 * r.normal(size=(2, 3))]),
    ("MSELoss", lambda: nn.MSELoss(reduction="sum"), lambda r: [r.normal(size=(3, 2)), r.normal(size=(3, 2))]),
    ("L1Loss", lambda: nn.L1Loss(), lambda r: [r.normal(size=(3, 2)), r.normal(size=(3, 2))]),
    ("BCELoss", lambda: nn.BCELoss(weight=[1.0, 2.0]),
     lambda r: [r.uniform(0.1, 0.9, size=(3, 2)), r.integers(0, 2, size=(3, 2)).astype(float)]),
    ("BCEWithLogitsLoss", lambda: nn.BCEWithLogitsLoss(pos_weight=[0.5, 3.0]),
     lambda r: [r.normal(size=(3, 2)), r.integers(0, 2, size=(3, 2)).astype(float)]),
    ("CrossEntropyLoss", lambda: nn.CrossEntropyLoss(label_smoothing=0.1),
     lambda r: [r.normal(size=(4, 3)), r.integers(0, 3, size=4)]),
    ("NLLLoss", lambda: nn.NLLLoss(reduction="sum"), lambda r: [r.normal(size=(4, 3)), r.integers(0, 3, size=4)]),
    ("Sequential-CNN", lambda: _cnn(p=0.0), lambda r: [r.normal(size=(3, 1, 8, 8))]),
    ("Sequential-CNN-eval", lambda: _run_once(_cnn(p=0.3)).eval(), lambda r: [r.normal(size=(3, 1, 8, 8))]),
]


def _cnn(p=0.0):
    """A small CNN of every kind of image layer (dropout p=0 where outputs are compared in training mode)."""
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.BatchNorm2d(6, momentum=None), nn.Tanh(),
                         nn.Dropout2d(p), nn.AvgPool2d(2), nn.Flatten(), nn.Dropout(p), nn.Linear(6, 3))


def _run_once(model):
    """One training forward, so that the running statistics are not 0 and 1 (and num_batches_tracked 1)."""
    shape = (8, model.num_features) if isinstance(model, nn.BatchNorm1d) and not isinstance(model, nn.BatchNorm2d) \
        else (8, model.num_features, 3, 3) if isinstance(model, nn.BatchNorm2d) else (8, 1, 8, 8)
    model(Tensor(np.random.default_rng(0).normal(size=shape) * 2 + 1))
    return model


def ours_out(model, inputs, dtype=np.float64):
    return model(*[Tensor(x.astype(dtype)) if x.dtype.kind == "f" else x for x in inputs])


def theirs_out(model, inputs, dtype=np.float64):
    return model(*[torch.from_numpy(x.astype(dtype)) if x.dtype.kind == "f" else torch.from_numpy(x)
                   for x in inputs])


def flat(out):
    """Every array in an output: a Tensor, a torch tensor, or (nested) tuples of them."""
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in flat(o)]
    return [out.data if isinstance(out, Tensor) else out.detach().numpy()]


def assert_same(a, b, atol):
    a, b = flat(a), flat(b)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape and x.dtype == y.dtype
        np.testing.assert_allclose(x, y, rtol=atol, atol=atol)


def nodes(out):
    """Every output node: a Tensor, a torch tensor, or (nested) tuples of them."""
    return [a for o in out for a in nodes(o)] if isinstance(out, (tuple, list)) else [out]


def outputs_and_gradients(model, xs, weights=None):
    """The outputs, and the gradients of sum(weights * outputs) for the float inputs (a loss's first only) and
    every parameter by name, from circuitgrad or PyTorch alike."""
    theirs = not isinstance(model, nn.Module)
    wanted = xs[:1] if "Loss" in type(model).__name__ else xs
    ins = []
    for x in xs:
        grad = x.dtype.kind == "f" and any(x is w for w in wanted)
        ins.append((torch.tensor(x, requires_grad=grad) if theirs else Tensor(x, requires_grad=grad))
                   if x.dtype.kind == "f" else (torch.from_numpy(x) if theirs else x))
    outs = nodes(model(*ins))
    weights = weights or [np.random.default_rng(1).normal(size=tuple(o.shape)) for o in outs]
    total = sum(((o * torch.from_numpy(w)) if theirs else (o * Tensor(w))).sum() for o, w in zip(outs, weights))
    total.backward()
    arrays = [o.detach().numpy() if theirs else o.data for o in outs]
    grads = [np.asarray(x.grad) for x in ins if getattr(x, "requires_grad", False)]
    params = {k: (p.grad.numpy() if theirs else np.asarray(p.grad)) for k, p in model.named_parameters()
              if p.requires_grad}
    return arrays, grads, params, weights


@pytest.mark.parametrize("name,make,inputs", LAYERS, ids=[case[0] for case in LAYERS])
def test_to_torch_gives_the_same_outputs_and_gradients(rng, name, make, inputs):
    np.random.seed(0)
    ours = make()
    theirs = nn.to_torch(ours)
    assert type(theirs).__name__ == type(ours).__name__
    assert [m.training for m in theirs.modules()] == [m.training for m in ours.modules()]
    assert list(ours.state_dict()) == list(theirs.state_dict())  # the same keys in the same order
    for key, value in ours.state_dict().items():  # copied exactly, dtype kept (num_batches_tracked int64)
        assert theirs.state_dict()[key].numpy().dtype == value.dtype
        assert np.array_equal(theirs.state_dict()[key].numpy(), value)
    xs = inputs(rng)
    out, grads, params, weights = outputs_and_gradients(ours, xs)
    t_out, t_grads, t_params, _ = outputs_and_gradients(theirs, xs, weights)
    # PyTorch's hardsigmoid/hardswish backward uses the float32 constant 1/6 even in float64
    rtol = 1e-7 if name in ("Hardsigmoid", "Hardswish") else 1e-10
    for a, b in zip(out + grads, t_out + t_grads):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)
    assert list(params) == list(t_params)
    for key in params:
        np.testing.assert_allclose(params[key], t_params[key], rtol=1e-10, atol=1e-12, err_msg=key)
    for key, value in ours.state_dict().items():  # buffers updated alike by the training forward
        np.testing.assert_allclose(value, theirs.state_dict()[key].numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,make,inputs", LAYERS, ids=[case[0] for case in LAYERS])
def test_the_round_trip_changes_nothing(rng, name, make, inputs):
    np.random.seed(0)
    ours = make()
    back = nn.from_torch(nn.to_torch(ours))
    assert type(back) is type(ours) and repr(back) == repr(ours)  # every hyperparameter the repr shows
    assert [m.training for m in back.modules()] == [m.training for m in ours.modules()]
    before = ours.state_dict()
    assert list(back.state_dict()) == list(before)
    for key, value in back.state_dict().items():
        assert value.dtype == before[key].dtype and np.array_equal(value, before[key]), key
    xs = inputs(rng)
    np.random.seed(1)
    out, grads, params, weights = outputs_and_gradients(ours, xs)
    np.random.seed(1)
    b_out, b_grads, b_params, _ = outputs_and_gradients(back, xs, weights)
    for a, b in zip(out + grads + list(params.values()), b_out + b_grads + list(b_params.values())):
        assert np.array_equal(a, b)  # the same code on the same numbers


@pytest.mark.parametrize("name,make,inputs", LAYERS, ids=[case[0] for case in LAYERS])
def test_float32_crosses_bit_for_bit(name, make, inputs):
    np.random.seed(0)
    theirs = nn.to_torch(make()).float()
    twice = nn.to_torch(nn.from_torch(theirs))
    for key, value in theirs.state_dict().items():
        assert twice.state_dict()[key].dtype == value.dtype and torch.equal(twice.state_dict()[key], value), key


@pytest.mark.parametrize("name,make,inputs", LAYERS, ids=[case[0] for case in LAYERS])
def test_from_torch_in_float32_gives_the_same_outputs(rng, name, make, inputs):
    np.random.seed(0)
    theirs = nn.to_torch(make()).float()  # a float32 PyTorch module, as PyTorch makes them by default
    ours = nn.from_torch(theirs)
    assert all(p.dtype == np.float32 for p in ours.parameters())
    xs = inputs(rng)
    assert_same(ours_out(ours, xs, np.float32), theirs_out(theirs, xs, np.float32), atol=1e-6)


def test_round_trip_keeps_every_number():
    np.random.seed(1)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.BatchNorm1d(5), nn.Dropout(0.1), nn.Linear(5, 2))
    _run_once(model[2])
    back = nn.from_torch(nn.to_torch(model))
    assert list(back.state_dict()) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert np.array_equal(back.state_dict()[key], value) and back.state_dict()[key].dtype == value.dtype
    assert repr(back) == repr(model)


def test_containers_and_sequential_subclasses_convert():
    class Tower(nn.Sequential):  # only builds layers: its forward is Sequential's
        def __init__(self):
            super().__init__(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))

    np.random.seed(2)
    model = nn.Sequential(OrderedDict(body=Tower(), head=nn.Sigmoid()))
    theirs = nn.to_torch(model)
    assert isinstance(theirs.body, torch.nn.Sequential) and list(dict(theirs.named_children())) == ["body", "head"]
    x = np.random.default_rng(0).normal(size=(4, 2))
    assert_same(model(Tensor(x)), theirs(torch.from_numpy(x)), 1e-12)
    layers = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    converted = nn.to_torch(layers)
    assert isinstance(converted, torch.nn.ModuleList) and len(converted) == 2
    assert isinstance(nn.from_torch(converted), nn.ModuleList)


def test_frozen_parameters_stay_frozen():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    model[0].requires_grad_(False)
    theirs = nn.to_torch(model)
    assert [p.requires_grad for p in theirs.parameters()] == [False, False, True, True]
    assert [p.requires_grad for p in nn.from_torch(theirs).parameters()] == [False, False, True, True]


def test_recurrent_layers_without_bias_convert_both_ways(rng):
    x = rng.normal(size=(4, 2, 3))
    for make in (lambda: nn.GRU(3, 2, bias=False), lambda: nn.LSTMCell(3, 2, bias=False)):
        theirs = nn.to_torch(make())
        back = nn.from_torch(theirs)
        assert not [k for k in back.state_dict() if "bias" in k]
        inp = x if isinstance(theirs, torch.nn.GRU) else x[0]
        assert_same(back(Tensor(inp)), theirs(torch.from_numpy(inp)), 1e-12)


def test_eval_mode_carries_over():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).eval()
    theirs = nn.to_torch(model)
    assert not theirs.training and not theirs[1].training
    assert not nn.from_torch(theirs)[1].training


def test_losses_convert_with_their_arguments(rng):
    x, y = rng.normal(size=(6, 3)), np.array([0, 2, 1, -100, 2, 0])
    loss = nn.CrossEntropyLoss(weight=[1.0, 2.0, 0.5], label_smoothing=0.1)
    theirs = nn.to_torch(loss)
    assert theirs.label_smoothing == 0.1 and theirs.ignore_index == -100
    np.testing.assert_allclose(loss(Tensor(x), y).item(), theirs(torch.from_numpy(x), torch.from_numpy(y)).item(),
                               rtol=1e-12)
    back = nn.from_torch(torch.nn.NLLLoss(ignore_index=1, reduction="sum"))
    assert isinstance(back, nn.NLLLoss) and back.ignore_index == 1 and back.reduction == "sum"


def test_training_continues_in_pytorch_where_it_stopped(rng):
    X, y = rng.normal(size=(16, 2)), rng.integers(0, 2, size=16)
    np.random.seed(3)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(Tensor(X)), y).backward()
        opt.step()
    theirs = nn.to_torch(model)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    state = opt.state_dict()  # the momentum buffers carry over too: same layout, same parameter order
    topt.load_state_dict({"state": {i: {"momentum_buffer": torch.from_numpy(s["momentum_buffer"])}
                                    for i, s in state["state"].items()},
                          "param_groups": [{**topt.state_dict()["param_groups"][0], "params": [0, 1, 2, 3]}]})
    for _ in range(3):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(Tensor(X)), y).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.CrossEntropyLoss()(theirs(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        topt.step()
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, theirs.state_dict()[key].numpy(), rtol=1e-10, atol=1e-12)


OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
]


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}{k}" for n, k in OPTIMIZERS])
def test_an_optimizer_moves_to_pytorch_with_its_state(rng, name, kwargs):
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    np.random.seed(5)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = getattr(nn.optim, name)([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.05}],
                                  **kwargs)

    def step():
        opt.zero_grad()
        nn.MSELoss()(model(Tensor(X)), Y).backward()
        opt.step()

    for _ in range(3):
        step()
    theirs = nn.to_torch(model)
    topt = opt.to_torch(theirs.parameters())
    assert type(topt) is getattr(torch.optim, name) and [g["lr"] for g in topt.param_groups] == [kwargs["lr"], 0.05]
    for _ in range(3):
        step()
        topt.zero_grad()
        torch.nn.MSELoss()(theirs(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
        topt.step()
    for p, q in zip(model.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}{k}" for n, k in OPTIMIZERS])
def test_a_pytorch_optimizers_state_loads_here(rng, name, kwargs):
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    topt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)

    def torch_step():
        topt.zero_grad()
        torch.nn.MSELoss()(theirs(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
        topt.step()

    for _ in range(3):
        torch_step()
    model = nn.from_torch(theirs)
    opt = getattr(nn.optim, name)(model.parameters(), lr=1.0)
    opt.load_state_dict(topt.state_dict())
    assert opt.param_groups[0]["lr"] == kwargs["lr"]
    for _ in range(3):
        torch_step()
        opt.zero_grad()
        nn.MSELoss()(model(Tensor(X)), Y).backward()
        opt.step()
    for p, q in zip(model.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-13)


def test_pytorch_options_circuitgrad_lacks_are_refused():
    theirs = torch.nn.Linear(2, 2).double()
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, maximize=True)
    opt = nn.optim.SGD(nn.from_torch(theirs).parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: parameter group 0 turns on PyTorch options "
                                         r"circuitgrad does not have: \{'maximize': True\}"):
        opt.load_state_dict(topt.state_dict())
    adamw = torch.optim.AdamW(theirs.parameters())
    with pytest.raises(ValueError, match=r"Adam.load_state_dict.*\{'decoupled_weight_decay': True\}"):
        nn.optim.Adam(nn.from_torch(theirs).parameters()).load_state_dict(adamw.state_dict())


def test_optimizer_to_torch_checks_the_parameters():
    model = nn.Linear(2, 3)
    opt = nn.optim.Adam(model.parameters())
    with pytest.raises(ValueError, match="Adam.to_torch: got 1 PyTorch parameters for this optimizer's 2"):
        opt.to_torch([torch.zeros(3, 2)])
    with pytest.raises(ValueError, match=r"Adam.to_torch: parameter 1 has shape \(3,\) here and \(2,\) in PyTorch"):
        opt.to_torch([torch.zeros(3, 2, requires_grad=True), torch.zeros(2, requires_grad=True)])


# ---- every layer is accounted for --------------------------------------------------------------------

def _layer_classes():
    """Every public Module class of circuitgrad.nn (a new layer lands here by being defined)."""
    found, stack = set(), [nn.Module]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return sorted((c for c in found if c.__module__.startswith("circuitgrad.nn.") and not c.__name__.startswith("_")),
                  key=lambda c: c.__name__)


def test_every_layer_has_a_twin_tested_above_or_a_stated_refusal():
    from circuitgrad.nn.torch_twins import NO_TWIN, twin_classes
    twins, tested = twin_classes(), {type(make()) for _, make, _ in LAYERS}
    tested |= {nn.ModuleList, nn.Linear}  # ModuleList: test_containers_and_sequential_subclasses_convert
    classes = _layer_classes()
    assert len(classes) > 50
    for cls in classes:
        if cls in twins:
            assert cls in tested, f"{cls.__name__} has a twin but no case in LAYERS"
        else:
            assert any(c.__name__ in NO_TWIN for c in cls.__mro__), \
                f"{cls.__name__} has neither a PyTorch twin in nn.torch_twins nor a reason in NO_TWIN"


@pytest.mark.parametrize("make,match", [
    (lambda: nn.Step(), "Step has no PyTorch twin: torch.nn has no step layer"),
    (lambda: nn.DropConnect(nn.Linear(2, 2)), r"DropConnect has no PyTorch twin.*nn.to_torch\(layer.module\)"),
    (lambda: nn.TiedAutoencoder(4, 2), "TiedAutoencoder has no PyTorch twin: its forward.. uses one weight twice"),
    (lambda: nn.DenoisingAutoencoder(4, 2), "DenoisingAutoencoder has no PyTorch twin: its forward.. uses one"),
    (lambda: nn.Neuron(2), "Neuron has no PyTorch twin: a scalar network holds one Value per weight"),
    (lambda: nn.Perceptron(2), "Perceptron has no PyTorch twin: a scalar network"),
    (lambda: nn.Layer(2, 2), "Layer has no PyTorch twin: a scalar network"),
    (lambda: nn.Sequential(nn.Linear(2, 2), nn.MLP(2, [2, 1])), r"MLP \(at '1'\) has no PyTorch twin: a scalar"),
])
def test_layers_pytorch_lacks_are_refused_with_the_reason(make, match):
    with pytest.raises(TypeError, match=match):
        nn.to_torch(make())


def test_batchnorm_crosses_with_every_setting_and_buffer():
    np.random.seed(6)
    ours = _run_once(nn.BatchNorm2d(3, eps=1e-3, momentum=None, dtype=np.float32))
    theirs = nn.to_torch(ours)
    assert type(theirs) is torch.nn.BatchNorm2d and theirs.weight.dtype == torch.float32
    assert (theirs.eps, theirs.momentum, theirs.affine, theirs.track_running_stats) == (1e-3, None, True, True)
    assert theirs.num_batches_tracked.dtype == torch.int64 and int(theirs.num_batches_tracked) == 1
    plain = nn.to_torch(nn.BatchNorm1d(2, affine=False, track_running_stats=False, dtype=np.float32))
    assert not plain.affine and not plain.track_running_stats and plain.running_mean is None


# ---- a CNN trained here continues in PyTorch ------------------------------------------------------

def test_a_cnn_trained_here_continues_in_pytorch_with_the_same_losses(rng):
    X, y = rng.normal(size=(6, 1, 8, 8)), rng.integers(0, 3, size=6)
    np.random.seed(7)
    model = _cnn(p=0.0)
    start = nn.to_torch(model)  # the same weights, to run the whole way in PyTorch
    opt = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(Tensor(X)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    theirs = nn.to_torch(model)
    topt = opt.to_torch(theirs.parameters())
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(3):
        topt.zero_grad()
        loss = torch.nn.CrossEntropyLoss()(theirs(Xt), yt)
        loss.backward()
        topt.step()
        losses.append(loss.item())
    ropt, reference = torch.optim.SGD(start.parameters(), lr=0.05, momentum=0.9), []
    for _ in range(6):
        ropt.zero_grad()
        loss = torch.nn.CrossEntropyLoss()(start(Xt), yt)
        loss.backward()
        ropt.step()
        reference.append(loss.item())
    np.testing.assert_allclose(losses, reference, rtol=1e-9)
    assert losses[-1] < losses[0]
    for key, value in start.state_dict().items():  # weights and running statistics alike
        np.testing.assert_allclose(theirs.state_dict()[key].numpy(), value.numpy(), rtol=1e-9, atol=1e-12)


# ---- state_dict in PyTorch's order, and PyTorch's state_dict here ------------------------------------

class Net(nn.Module):
    """A custom class: its own forward, a shared layer, a container, buffers in the middle."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.body = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2))
        self.head = nn.Linear(8, 3)
        self.again = self.head  # the same layer twice: PyTorch lists its keys under both names

    def forward(self, x):
        x = self.bn(self.conv(x)).relu()
        x = (x + self.body(x)).relu()
        return self.head(x.reshape(x.shape[0], -1)[:, :8])


class TorchNet(torch.nn.Module):
    def __init__(self, stride=1):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3, padding=1, stride=stride)
        self.bn = torch.nn.BatchNorm2d(2)
        self.body = torch.nn.Sequential(torch.nn.Conv2d(2, 2, 3, padding=1), torch.nn.BatchNorm2d(2))
        self.head = torch.nn.Linear(8, 3)
        self.again = self.head

    def forward(self, x):
        x = self.bn(self.conv(x)).relu()
        x = (x + self.body(x)).relu()
        return self.head(x.reshape(x.shape[0], -1)[:, :8])


def test_state_dict_keys_are_in_pytorchs_order():
    np.random.seed(8)
    assert list(Net().state_dict()) == list(TorchNet().state_dict())
    cnn = _cnn()
    assert list(cnn.state_dict()) == list(nn.to_torch(cnn).state_dict())
    assert list(cnn.state_dict())[:7] == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                          "1.running_var", "1.num_batches_tracked"]


def test_a_pytorch_state_dict_loads_here_key_for_key(rng):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(64, 3)).double()
    x = torch.from_numpy(rng.normal(size=(5, 1, 8, 8)))
    theirs(x)  # running statistics that are not 0 and 1
    theirs.eval()
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64, 3)).eval()
    assert ours.load_state_dict(theirs.state_dict()) == ([], [])
    assert ours[1].num_batches_tracked.dtype == np.int64 and int(ours[1].num_batches_tracked) == 1
    np.testing.assert_allclose(ours(Tensor(x.numpy())).data, theirs(x).detach().numpy(), rtol=1e-10, atol=1e-12)
    mine, yours = Net(), TorchNet().double()  # a custom class with a shared layer, key for key
    mine.load_state_dict(yours.state_dict())
    for key, value in yours.state_dict().items():
        assert np.array_equal(mine.state_dict()[key], value.numpy())


# ---- a custom class: its numbers cross into a twin you write ------------------------------------------

def test_a_custom_class_crosses_into_its_pytorch_twin_and_back(rng):
    np.random.seed(9)
    ours = Net()
    ours.bn.eval()
    ours.conv.weight.requires_grad = False
    with pytest.raises(TypeError, match=r"to_torch: Net has no PyTorch twin.*What crosses is its numbers.*into="):
        nn.to_torch(ours)
    theirs = nn.to_torch(ours, into=TorchNet().double())
    assert isinstance(theirs, TorchNet) and not theirs.bn.training and theirs.body.training
    assert not theirs.conv.weight.requires_grad and theirs.conv.bias.requires_grad
    xs = [rng.normal(size=(2, 1, 2, 2))]
    out, grads, params, weights = outputs_and_gradients(ours, xs)
    t_out, t_grads, t_params, _ = outputs_and_gradients(theirs, xs, weights)
    for a, b in zip(out + grads + list(params.values()), t_out + t_grads + list(t_params.values())):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    with pytest.raises(TypeError, match=r"from_torch: TorchNet has no circuitgrad twin.*into=model"):
        nn.from_torch(theirs)
    back = nn.from_torch(theirs, into=Net())
    # Bit for bit what PyTorch holds: ours' running statistics were updated by its own forward above,
    # in numpy's summation order, so they may differ from PyTorch's in the last bits (seen with
    # OPENBLAS_CORETYPE=Prescott); what crossed back is PyTorch's.
    for key, value in theirs.state_dict().items():
        assert np.array_equal(back.state_dict()[key], value.detach().numpy()), key
    assert list(back.state_dict()) == list(ours.state_dict())
    assert not back.bn.training and not back.conv.weight.requires_grad


def test_into_refuses_a_twin_that_would_compute_something_else():
    np.random.seed(10)
    with pytest.raises(ValueError, match=r"to_torch: the two models differ in hyperparameters.*conv.stride: \(1, 1\) "
                                         r"here, \(2, 2\) in PyTorch"):
        nn.to_torch(Net(), into=TorchNet(stride=2))
    with pytest.raises(ValueError, match=r"from_torch: the two models differ.*conv.stride"):
        nn.from_torch(TorchNet(stride=2), into=Net())
    with pytest.raises(TypeError, match="to_torch: body.1 is BatchNorm2d here and BatchNorm1d in PyTorch"):
        wrong = TorchNet()
        wrong.body[1] = torch.nn.BatchNorm1d(2)
        nn.to_torch(Net(), into=wrong)
    with pytest.raises(ValueError, match=r"keys only in PyTorch's: \['extra.weight', 'extra.bias'\]"):
        more = TorchNet()
        more.extra = torch.nn.Linear(2, 2)
        nn.to_torch(Net(), into=more)
    with pytest.raises(TypeError, match="to_torch: into must be a torch.nn.Module, got Net"):
        nn.to_torch(Net(), into=Net())
    with pytest.raises(TypeError, match="from_torch: into must be a circuitgrad nn.Module, got TorchNet"):
        nn.from_torch(TorchNet(), into=TorchNet())


# ---- what has no twin --------------------------------------------------------------------------------

class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return x + self.fc(x)


@pytest.mark.parametrize("model,match", [
    (Residual(), r"to_torch: Residual has no PyTorch twin: its forward\(\) is circuitgrad code.*nn.Sequential"),
    (nn.Sequential(nn.Linear(2, 2), nn.Step()), r"to_torch: Step \(at '1'\) has no PyTorch twin"),
    (nn.Sequential(nn.Sequential(Residual())), r"Residual \(at '0.0'\) has no PyTorch twin"),
    (nn.MLP(2, [2, 1]), r"to_torch: MLP has no PyTorch twin"),
    (nn.TiedAutoencoder(4, 2), r"to_torch: TiedAutoencoder has no PyTorch twin"),
])
def test_modules_without_a_twin_are_named(model, match):
    with pytest.raises(TypeError, match=match):
        nn.to_torch(model)


def test_subclasses_that_add_parameters_are_refused():
    class Scaled(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(2, 2))
            self.scale = nn.Parameter([2.0])

    with pytest.raises(TypeError, match=r"Scaled holds parameters of its own \(\['scale'\]\)"):
        nn.to_torch(Scaled())


class TorchResidual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)

    def forward(self, x):
        return x + self.fc(x)


@pytest.mark.parametrize("module,match", [
    (TorchResidual(), r"from_torch: TorchResidual has no circuitgrad twin"),
    (torch.nn.Sequential(torch.nn.MaxPool1d(3)), r"from_torch: MaxPool1d \(at '0'\) has no circuitgrad twin"),
    (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GroupNorm(1, 2)), r"GroupNorm \(at '1'\) has no circuitgrad"),
    (torch.nn.Conv2d(1, 2, 3, padding_mode="reflect"), "Conv2d with padding_mode='reflect' has no circuitgrad twin"),
    (torch.nn.Conv1d(1, 2, 4, padding="same"), r"Conv1d\(padding='same'\) with kernel_size \(4,\).*pads one side"),
    (torch.nn.MaxPool2d(2, ceil_mode=True), "MaxPool2d with ceil_mode=True has no circuitgrad twin"),
    (torch.nn.MaxPool2d(2, return_indices=True), "MaxPool2d with return_indices=True"),
    (torch.nn.AvgPool2d(2, divisor_override=3), "AvgPool2d with divisor_override=3"),
    (torch.nn.BatchNorm2d(3, bias=False), "BatchNorm2d with bias=False"),
    (torch.nn.LSTM(3, 4, bidirectional=True), "LSTM with bidirectional=True has no circuitgrad twin"),
    (torch.nn.GRU(3, 4, num_layers=2, dropout=0.5), "GRU with dropout=0.5 has no circuitgrad twin"),
    (torch.nn.Embedding(5, 2, padding_idx=0), "Embedding with padding_idx"),
    (torch.nn.Softmax(), r"Softmax\(dim=None\) picks its dim implicitly"),
    (torch.nn.MultiheadAttention(4, 2, kdim=3, vdim=3), "MultiheadAttention with separate kdim/vdim"),
    (torch.nn.BatchNorm1d(3, bias=False), "BatchNorm1d with bias=False"),
])
def test_torch_modules_without_a_twin_are_named(module, match):
    with pytest.raises(TypeError, match=match):
        nn.from_torch(module)


def test_wrong_types_are_named():
    from circuitgrad.nn.torch_bridge import from_torch, to_torch
    with pytest.raises(TypeError, match="from_torch: expected a torch.nn.Module, got Linear"):
        from_torch(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="to_torch: expected a circuitgrad nn.Module, got Linear"):
        to_torch(torch.nn.Linear(2, 2))


# ---- .safetensors ------------------------------------------------------------------------------------

def test_safetensors_round_trip_and_into_pytorch(tmp_path, rng):
    st = pytest.importorskip("safetensors.torch", reason="the optional safetensors package is not installed")
    np.random.seed(4)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    _run_once(model[1])
    path = model.save(tmp_path / "m.safetensors")
    assert path.endswith("m.safetensors") and open(path, "rb").read(9)[8:9] == b"{"  # a JSON header, no pickle
    loaded = nn.load(path)
    assert list(loaded) == list(model.state_dict()) or set(loaded) == set(model.state_dict())
    for key, value in model.state_dict().items():
        assert np.array_equal(loaded[key], value) and loaded[key].dtype == value.dtype
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2)).double().eval()
    theirs.load_state_dict(st.load_file(path))
    x = rng.normal(size=(5, 3))
    assert_same(model.eval()(Tensor(x)), theirs(torch.from_numpy(x)), 1e-12)
    # and back: a file PyTorch wrote loads here
    st.save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, str(tmp_path / "t.safetensors"))
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).eval()
    fresh.load_state_dict(nn.load(tmp_path / "t.safetensors"))
    assert_same(fresh(Tensor(x)), theirs(torch.from_numpy(x)), 1e-12)


def test_the_activation_layers_cross_to_pytorch_and_back():
    torch = pytest.importorskip("torch", reason="to_torch needs PyTorch")
    from circuitgrad.nn import activations as A
    x = np.linspace(-4, 4, 17).reshape(1, -1)
    for layer in (A.GELU(), A.GELU(approximate="tanh"), A.ELU(0.5), A.CELU(2.0), A.SiLU(), A.Mish(),
                  A.Softplus(beta=2.0, threshold=10.0), A.Softsign(), A.ReLU6(), A.Hardtanh(-2.0, 3.0),
                  A.Hardswish(), A.Hardsigmoid()):
        twin = nn.to_torch(layer)
        assert type(twin).__name__ == type(layer).__name__
        np.testing.assert_allclose(twin(torch.from_numpy(x)).numpy(), layer(Tensor(x)).data, rtol=1e-7, atol=1e-7)
        back = nn.from_torch(twin)
        assert type(back) is type(layer) and repr(back) == repr(layer)


# ---- cg.save / cg.load: PyTorch's tutorial lines, never a pickle ---------------------------------------

def test_save_and_load_a_state_dict_as_pytorchs_tutorial_does(tmp_path, rng):
    import circuitgrad as cg
    np.random.seed(11)
    model = _run_once(_cnn(p=0.3)).eval()
    path = tmp_path / "model.pth"
    assert cg.save(model.state_dict(), path) is None
    assert path.read_bytes()[:4] == b"PK\x03\x04" and not list(tmp_path.glob("*.npz"))  # our .npz, under its name
    fresh = _cnn(p=0.3).eval()
    fresh.load_state_dict(cg.load(path, weights_only=True))
    for key, value in model.state_dict().items():
        assert fresh.state_dict()[key].dtype == value.dtype and np.array_equal(fresh.state_dict()[key], value)
    x = rng.normal(size=(2, 1, 8, 8))
    assert np.array_equal(fresh(Tensor(x)).data, model(Tensor(x)).data)
    assert list(cg.load(str(path), map_location="cpu")) == list(model.state_dict())
    cg.save(nn.to_torch(model).state_dict(), tmp_path / "from_torch.pt")  # PyTorch tensors are saved as arrays
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in cg.load(tmp_path / "from_torch.pt").items())


def test_save_and_load_refuse_what_would_need_pickle(tmp_path):
    import circuitgrad as cg
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"save: got a Linear; save its numbers with cg.save\(model.state_dict\(\)"):
        cg.save(model, tmp_path / "m.pth")
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(TypeError, match="save: 'state' holds a dict; cg.save writes one flat dict of named arrays"):
        cg.save(opt.state_dict(), tmp_path / "opt.pth")
    with pytest.raises(TypeError, match="save: expected a file name"):
        cg.save(model.state_dict(), 3)
    torch.save(nn.to_torch(model).state_dict(), tmp_path / "torch.pth")
    with pytest.raises(ValueError, match=r"load: .*torch.pth' was written by torch.save.*never reads one; save it "
                                         r"from PyTorch as safetensors instead: from safetensors.torch import"):
        cg.load(tmp_path / "torch.pth")
    torch.save(nn.to_torch(model).state_dict(), tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="was written by torch.save"):
        cg.load(tmp_path / "old.pth")
    cg.save(model.state_dict(), tmp_path / "m.pth")
    with pytest.raises(ValueError, match="load: weights_only=False asks to unpickle"):
        cg.load(tmp_path / "m.pth", weights_only=False)
    with pytest.raises(ValueError, match="load: circuitgrad computes with numpy on the CPU; map_location 'cuda:0'"):
        cg.load(tmp_path / "m.pth", map_location="cuda:0")
    with pytest.raises(FileNotFoundError):
        cg.load(tmp_path / "missing.pth")
    (tmp_path / "text.pth").write_text("hello")
    with pytest.raises(ValueError, match="not an .npz weights file"):
        cg.load(tmp_path / "text.pth")


def test_save_as_safetensors_loads_in_pytorch(tmp_path):
    st = pytest.importorskip("safetensors.torch", reason="the optional safetensors package is not installed")
    import circuitgrad as cg
    np.random.seed(12)
    model = _run_once(_cnn()).eval()
    cg.save(model.state_dict(), tmp_path / "model.safetensors")
    theirs = nn.to_torch(_cnn()).eval()
    theirs.load_state_dict(st.load_file(str(tmp_path / "model.safetensors")))
    for key, value in model.state_dict().items():
        assert np.array_equal(theirs.state_dict()[key].numpy(), value)
    assert set(cg.load(tmp_path / "model.safetensors")) == set(model.state_dict())  # safetensors sorts its keys
