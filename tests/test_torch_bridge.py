"""nn.to_torch(model) and nn.from_torch(): every layer with a twin, both ways, same outputs;
and weights through .safetensors into PyTorch and back."""
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
]


def _run_once(bn):
    bn(Tensor(np.random.default_rng(0).normal(size=(8, bn.num_features)) * 2 + 1))  # running stats not 0 and 1
    return bn


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


@pytest.mark.parametrize("name,make,inputs", LAYERS, ids=[case[0] for case in LAYERS])
def test_to_torch_gives_the_same_outputs(rng, name, make, inputs):
    np.random.seed(0)
    ours = make()
    theirs = nn.to_torch(ours)
    assert type(theirs).__name__ == type(ours).__name__ and theirs.training == ours.training
    xs = inputs(rng)
    assert_same(ours_out(ours, xs), theirs_out(theirs, xs), atol=1e-12)
    for key, value in ours.state_dict().items():  # buffers updated alike by the training forward
        assert np.allclose(value, theirs.state_dict()[key.replace("out_proj_", "out_proj.")].numpy(), atol=1e-12)


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
    (torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.LayerNorm(2)), r"LayerNorm \(at '1'\) has no circuitgrad"),
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
