"""nn.Parameter is a Tensor subclass, and only Parameters are registered, as in PyTorch;
`circuitgrad.no_grad` is the same switch as `torch.no_grad`."""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad
from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, Tensor) and type(p) is nn.Parameter
    assert p.requires_grad and p.is_leaf and p.grad is None
    frozen = nn.Parameter(np.zeros(3), requires_grad=False)
    assert not frozen.requires_grad
    assert nn.Parameter().shape == (0,)  # torch.nn.Parameter() is empty too
    assert nn.Parameter([1, 2], dtype=np.float32).dtype == np.float32


def test_parameter_has_no_instance_dict():
    p = nn.Parameter([1.0])
    assert not hasattr(p, "__dict__")  # __slots__ = (): as small as a Tensor
    with pytest.raises(AttributeError):
        p.anything = 1


def test_parameter_from_a_tensor_shares_its_numbers():
    t = Tensor([1.0, 2.0])
    p = nn.Parameter(t)
    p.data[0] = 5.0
    assert t.data[0] == 5.0


def test_results_computed_from_a_parameter_are_plain_tensors():
    p = nn.Parameter([1.0, -2.0])
    y = (p * 3).relu().sum()
    assert type(y) is Tensor and type(p + p) is Tensor and type(p.detach()) is Tensor
    y.backward()
    assert p.grad.tolist() == [3.0, 0.0]


def test_parameter_repr_reads_like_pytorch():
    text = repr(nn.Parameter([1.0, 2.0]))
    assert text.startswith("Parameter containing:\nTensor([1., 2.]") and "requires_grad=True" in text


def test_parameter_repr_first_line_is_pytorchs(torch):
    ours = repr(nn.Parameter([1.0, 2.0])).splitlines()[0]
    theirs = repr(torch.nn.Parameter(torch.tensor([1.0, 2.0]))).splitlines()[0]
    assert ours == theirs == "Parameter containing:"


class Scaled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter([1.0, 2.0])
        self.plain = Tensor([3.0], requires_grad=True)  # a Tensor, not a Parameter: not registered
        self.frozen = nn.Parameter([4.0], requires_grad=False)  # registered, though frozen
        self.register_buffer("count", np.zeros(1))

    def forward(self, x):
        return x * self.w


def test_only_parameters_are_registered():
    m = Scaled()
    assert [n for n, _ in m.named_parameters()] == ["w", "frozen"]
    assert list(m.state_dict()) == ["w", "frozen", "count"]
    m.count = np.ones(1)  # a buffer stays a buffer
    assert [n for n, _ in m.named_buffers()] == ["count"]


def test_registration_matches_pytorch(torch):
    class TorchScaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
            self.plain = torch.tensor([3.0], requires_grad=True)
            self.frozen = torch.nn.Parameter(torch.tensor([4.0]), requires_grad=False)
            self.register_buffer("count", torch.zeros(1))

    assert list(TorchScaled().state_dict()) == list(Scaled().state_dict())


def test_assigning_a_plain_tensor_to_a_parameter_name_is_refused():
    m = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="cannot assign a Tensor to parameter 'weight'.*nn.Parameter"):
        m.weight = Tensor(np.zeros((3, 2)))
    m.weight = nn.Parameter(np.zeros((3, 2)))  # a new Parameter is fine
    assert m.parameters()[0] is m.weight  # in the old one's place, as in PyTorch
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]


def test_register_parameter_needs_a_parameter():
    m = nn.Module()
    with pytest.raises(TypeError, match="'w' must be an nn.Parameter.*got a Tensor"):
        m.register_parameter("w", Tensor([1.0], requires_grad=True))
    with pytest.raises(TypeError, match="'w' must be an nn.Parameter.*got a ndarray"):
        m.register_parameter("w", np.zeros(2))
    with pytest.raises(TypeError, match="got a computed Value"):
        m.register_parameter("w", Value(1.0) * 2)
    m.register_parameter("w", nn.Parameter([1.0]))
    assert [n for n, _ in m.named_parameters()] == ["w"]


@pytest.mark.parametrize("make", [
    lambda: nn.Linear(3, 2), lambda: nn.BatchNorm1d(3), lambda: nn.Embedding(4, 2), lambda: nn.RNN(3, 2),
    lambda: nn.LSTMCell(3, 2), lambda: nn.GRU(3, 2, num_layers=2), lambda: nn.MultiheadAttention(4, 2),
    lambda: nn.TiedAutoencoder(4, 2),
], ids=["Linear", "BatchNorm1d", "Embedding", "RNN", "LSTMCell", "GRU", "MultiheadAttention", "TiedAutoencoder"])
def test_every_layer_makes_parameters(make):
    params = make().parameters()
    assert params and all(type(p) is nn.Parameter and p.requires_grad for p in params)


def test_scalar_networks_keep_values_as_parameters():
    mlp = nn.MLP(2, [3, 1])
    params = mlp.parameters()
    assert len(params) == 2 * 3 + 3 + 3 * 1 + 1 and all(type(p) is Value for p in params)


def test_no_grad_at_the_top_level_builds_no_graph():
    assert circuitgrad.no_grad is circuitgrad.autograd.no_grad
    w = nn.Parameter([2.0])
    with circuitgrad.no_grad():
        y = w * 3
        assert not circuitgrad.is_grad_enabled()
    assert circuitgrad.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert (w * 3).requires_grad


def test_no_grad_as_a_decorator():
    w = nn.Parameter([2.0])

    @circuitgrad.no_grad()
    def predict(x):
        return w * x

    assert not predict(3.0).requires_grad


def test_add_module_get_submodule_and_buffers_match_pytorch(torch):
    ours, theirs = nn.Module(), torch.nn.Module()
    for m, lib in ((ours, nn), (theirs, torch.nn)):
        m.add_module("body", lib.Sequential(lib.Linear(2, 3), lib.BatchNorm1d(3)))
        m.register_module("head", lib.Linear(3, 1))
    assert set(ours.state_dict()) == set(theirs.state_dict())  # (PyTorch lists each module's buffers with it)
    assert ours.get_submodule("body.1") is ours.body[1] and ours.get_submodule("") is ours
    assert [b.shape for b in ours.buffers()] == [tuple(b.shape) for b in theirs.buffers()]


def test_add_module_and_get_submodule_errors():
    m = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="add_module: the name must be a non-empty string without dots, got 'a.b'"):
        m.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="add_module: 'act' must be a Module or None, got function"):
        m.add_module("act", lambda x: x)
    with pytest.raises(AttributeError, match=r"get_submodule: Sequential has no submodule '3' \(path '3'\); "
                                             r"it has \['0'\]"):
        m.get_submodule("3")


def test_to_float_and_double_cast_parameters_and_buffers(torch):
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert model.float() is model
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float32 and model[1].num_batches_tracked.dtype == np.int64
    assert model[1]._buffers["running_var"] is model[1].running_var
    assert model(Tensor(np.ones((4, 2), dtype=np.float32))).dtype == np.float32
    model.to(torch.float64)  # a torch dtype works too, so code carried over runs
    assert all(p.dtype == np.float64 for p in model.parameters())
    model.to("cpu", dtype="float32").double()
    assert model[1].running_var.dtype == np.float64
    ref = torch.nn.Linear(2, 3).float()
    assert nn.Linear(2, 3).float().weight.dtype == ref.weight.detach().numpy().dtype


def test_to_refuses_other_devices_and_types():
    with pytest.raises(ValueError, match="to: circuitgrad computes with numpy on the CPU; device 'cuda' is not"):
        nn.Linear(2, 2).to("cuda")
    with pytest.raises(TypeError, match="to: dtype must be a float type such as np.float32, got 'int32'"):
        nn.Linear(2, 2).to("int32")
    with pytest.raises(TypeError, match="to: MLP has scalar Value parameters"):
        nn.MLP(2, [1]).float()
