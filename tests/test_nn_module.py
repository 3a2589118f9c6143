"""nn.Module: finding parameters, modes, printing, state dicts, files, freezing, and module tracing."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor
from circuitgrad.nn.module import trace_modules


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(3, 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_parameters_are_found_recursively_in_registration_order():
    np.random.seed(0)
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert model.parameters() == [model.fc1.weight, model.fc1.bias, model.fc2.weight, model.fc2.bias]
    assert all(p.requires_grad and p.is_leaf for p in model.parameters())
    assert [p.label for p in model.parameters()] == ["weight", "bias", "weight", "bias"]


def test_shared_layers_and_parameters_appear_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(model.parameters()) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    other = nn.Linear(2, 2)
    other.weight = shared.weight  # a tied weight
    both = nn.Sequential(shared, other)
    assert len(both.parameters()) == 3


def test_reassigning_an_attribute_updates_the_registry():
    model = TwoLayer()
    model.fc2 = nn.Identity()
    assert [n for n, _ in model.named_parameters()] == ["fc1.weight", "fc1.bias"]
    del model.fc1
    assert model.parameters() == []
    lin = nn.Linear(2, 2, bias=False)
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_a_non_parameter_tensor_attribute_is_not_a_parameter():
    class WithConstant(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = Tensor([2.0])  # requires_grad False: a constant, not learned
            self.w = nn.Parameter([1.0, 2.0], label="w")

    m = WithConstant()
    assert [n for n, _ in m.named_parameters()] == ["w"]


def test_forgetting_super_init_names_the_fix():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Broken()


def test_call_runs_forward_and_a_module_without_forward_says_so():
    model = TwoLayer()
    x = Tensor(np.ones((4, 2)))
    assert np.array_equal(model(x).data, model.forward(x).data)
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(x)


def test_zero_grad_resets_tensors_to_none_and_values_to_zero():
    model = TwoLayer()
    model(Tensor(np.ones((4, 2)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    np.random.seed(0)  # weights whose sum is negative for this input would give relu no slope, and grad 0
    neuron = nn.Neuron(2)
    neuron([1.0, 2.0]).backward()
    assert neuron.w[0].grad != 0.0
    neuron.zero_grad()
    assert all(p.grad == 0.0 for p in neuron.parameters())


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="mode must be True or False"):
        model.train("no")


def test_children_modules_and_named_modules():
    model = TwoLayer()
    assert [type(c).__name__ for c in model.children()] == ["Linear", "Tanh", "Linear"]
    assert [n for n, _ in model.named_modules()] == ["", "fc1", "act", "fc2"]
    nested = nn.Sequential(model, nn.Sigmoid())
    assert [n for n, _ in nested.named_modules()] == ["", "0", "0.fc1", "0.act", "0.fc2", "1"]
    assert len(list(nested.modules())) == 6


def test_apply_visits_every_module():
    model = TwoLayer()
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert all((m.weight.data == 0).all() for m in model.modules() if isinstance(m, nn.Linear))


def test_repr_is_a_pytorch_like_tree():
    model = nn.Sequential(nn.Linear(2, 10), nn.Sigmoid(), nn.Sequential(nn.Dropout(0.1), nn.LeakyReLU(0.2)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=10, bias=True)\n"
        "  (1): Sigmoid()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1)\n"
        "    (1): LeakyReLU(negative_slope=0.2)\n"
        "  )\n"
        ")")


# ---- state dicts and files ---------------------------------------------------------------------------

def test_state_dict_is_a_snapshot_of_copies():
    model = TwoLayer()
    state = model.state_dict()
    assert list(state) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    model.fc1.weight.data[...] = 7.0
    assert not (state["fc1.weight"] == 7.0).any()


def test_load_state_dict_copies_in_place():
    np.random.seed(1)
    a, b = TwoLayer(), TwoLayer()
    weight_array = b.fc1.weight.data
    b.load_state_dict(a.state_dict())
    assert b.fc1.weight.data is weight_array  # same array, new numbers
    x = Tensor(np.random.randn(5, 2))
    assert np.array_equal(a(x).data, b(x).data)


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = TwoLayer()
    before = model.state_dict()
    bad = model.state_dict()
    del bad["fc2.bias"]
    bad["fc3.weight"] = np.zeros((1, 3))
    bad["fc1.weight"] = np.zeros((2, 3))
    bad["fc2.weight"] = np.full((1, 3), 5.0)  # fine on its own, but must not be loaded either
    with pytest.raises(ValueError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    assert "missing keys: ['fc2.bias']" in message
    assert "unexpected keys: ['fc3.weight']" in message
    assert "fc1.weight: shape (2, 3) in the file, (3, 2) in the model" in message
    assert "Nothing was changed" in message
    for key, value in model.state_dict().items():
        assert np.array_equal(value, before[key])


def test_load_state_dict_refuses_complex_numbers_and_a_non_bool_strict():
    model = TwoLayer()
    before = model.state_dict()
    bad = model.state_dict()
    bad["fc1.weight"] = bad["fc1.weight"] * 1j  # numpy would silently drop the imaginary part
    with pytest.raises(ValueError, match=r"fc1.weight: not real numbers \(ndarray of complex128\)"):
        model.load_state_dict(bad)
    assert all(np.array_equal(v, before[k]) for k, v in model.state_dict().items())
    with pytest.raises(TypeError, match="load_state_dict: strict must be True or False, got str 'no'"):
        model.load_state_dict(before, strict="no")


def test_load_state_dict_non_strict_reports_skipped_keys_but_still_checks_shapes():
    model = TwoLayer()
    state = {"fc1.weight": np.ones((3, 2)), "extra": np.zeros(1)}
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc1.bias", "fc2.weight", "fc2.bias"]
    assert result.unexpected_keys == ["extra"]
    assert (model.fc1.weight.data == 1).all()
    with pytest.raises(ValueError, match=r"fc1.weight: shape \(2,\)"):
        model.load_state_dict({"fc1.weight": np.ones(2)}, strict=False)
    with pytest.raises(TypeError, match="expected a dict"):
        model.load_state_dict([("fc1.weight", np.ones((3, 2)))])


def test_value_parameters_round_trip_through_a_state_dict():
    np.random.seed(2)
    a = nn.MLP(2, [3, 1])
    np.random.seed(3)
    b = nn.MLP(2, [3, 1])
    b.load_state_dict(a.state_dict())
    assert a([0.5, -1.0]).data == b([0.5, -1.0]).data
    assert isinstance(b.layers[0].neurons[0].w[0].data, float)


def test_save_and_load_round_trip_keeps_dtype(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2, dtype=np.float32), nn.BatchNorm1d(2))
    model(Tensor(np.random.randn(8, 3)))  # moves the running statistics
    path = model.save(tmp_path / "weights")
    assert path.endswith("weights.npz")
    state = nn.load(path)
    assert state["0.weight"].dtype == np.float32
    assert int(state["1.num_batches_tracked"]) == 1
    fresh = nn.Sequential(nn.Linear(3, 2, dtype=np.float32), nn.BatchNorm1d(2))
    fresh.load_state_dict(state)
    for key, value in model.state_dict().items():
        assert np.array_equal(fresh.state_dict()[key], value)


def test_load_refuses_pickles(tmp_path):
    pickled = tmp_path / "evil.pkl"
    with open(pickled, "wb") as f:
        pickle.dump({"weight": np.ones(2)}, f)
    with pytest.raises(ValueError, match="pickled Python objects"):
        nn.load(pickled)
    objects = tmp_path / "objects.npz"
    np.savez(objects, weight=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="refusing .*objects.npz"):
        nn.load(objects)


def test_load_refuses_corrupt_truncated_and_single_array_files(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(ValueError, match="junk.npz"):
        nn.load(junk)
    good = nn.Linear(2, 2).save(tmp_path / "good.npz")
    data = open(good, "rb").read()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.npz"):
        nn.load(truncated)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        nn.load(single)
    with pytest.raises(FileNotFoundError, match="no such file"):
        nn.load(tmp_path / "missing.npz")


def test_buffers_are_saved_but_not_learned():
    bn = nn.BatchNorm1d(2)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    bn.running_mean = np.array([1.0, 2.0])  # stays a buffer when reassigned
    assert "running_mean" in bn.state_dict()


# ---- freezing ------------------------------------------------------------------------------------------

def test_requires_grad_false_freezes_a_module():
    np.random.seed(4)
    model = TwoLayer()
    model.fc1.requires_grad_(False)
    frozen = model.fc1.weight.data.copy()
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    opt.zero_grad()
    model(Tensor(np.random.randn(4, 2))).sum().backward()
    opt.step()
    assert model.fc1.weight.grad is None
    assert np.array_equal(model.fc1.weight.data, frozen)
    assert model.fc2.weight.grad is not None
    model.requires_grad_(True)
    assert all(p.requires_grad for p in model.parameters())


def test_value_modules_cannot_be_frozen():
    with pytest.raises(TypeError, match="Value parameters"):
        nn.Neuron(2).requires_grad_(False)


# ---- tracing which module made which node -----------------------------------------------------------------

def test_trace_maps_each_node_to_its_innermost_module():
    np.random.seed(5)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1), nn.Sigmoid()))
    x = Tensor(np.ones((4, 2)))
    with trace_modules() as trace:
        hidden = model[1](model[0](x))
        out = model[2](hidden)
        loss = (out - 1.0).sum()  # outside any module
    assert trace.module_of(hidden) is model[1]
    assert trace.path_of(hidden) == ""  # model[1] was called directly: it is an outermost call
    assert trace.module_of(out) is model[2][1]
    assert trace.path_of(out) == "1"
    assert trace.module_of(loss) is None
    assert trace.path_of(loss) is None


def test_trace_records_nested_calls_with_paths_and_parents():
    np.random.seed(6)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    loss_fn = nn.MSELoss()
    x = Tensor(np.ones((4, 2)))
    with trace_modules() as trace:
        out = model(x)
        loss = loss_fn(out, np.zeros((4, 1)))
    assert [c.title for c in trace.calls] == ["Sequential", "0: Linear", "1: Tanh", "2: Linear", "MSELoss"]
    first = trace.calls[1]
    assert first.parent is trace.calls[0] and first.depth == 1 and first.inputs == (x,)
    assert [n.op for n in first.nodes] == ["linear"]
    assert trace.calls[0].output is out
    assert trace.call_of(out) is trace.calls[3]
    assert trace.call_of(loss) is trace.calls[4] and trace.path_of(loss) == ""
    assert trace.parameter_name(model[2].weight) == "2.weight"
    assert trace.module_by_id[id(out)] is model[2] and len(trace.module_by_id) == len(trace)
    assert trace.parameter_name(Tensor([1.0])) is None


def test_trace_names_modules_reached_through_a_module_list():
    np.random.seed(7)
    mlp = nn.MLP(2, [2, 1])
    with trace_modules() as trace:
        out = mlp([1.0, 2.0])
    assert trace.path_of(out) == "layers.1"
    inputs = [n for n in trace.calls[1].nodes if n.label in ("x0", "x1")]
    assert len(inputs) == 2  # numbers became input leaves inside the first layer
    first_layer = trace.calls[1]
    assert first_layer.path == "layers.0"
    assert [n.op for n in first_layer.nodes][-2:] == ["wx+b", "relu"]  # a layer's neurons fire inside its call


def test_trace_is_off_by_default_and_restores_autograd_even_after_an_error():
    from circuitgrad.autograd.mode import grad_mode
    from circuitgrad.nn import hooks
    assert grad_mode.recorders == ()

    class Failing(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    outer = nn.Sequential(nn.Identity(), Failing())
    with pytest.raises(RuntimeError, match="boom"):
        with trace_modules() as trace:
            outer(Tensor([1.0]))
    assert grad_mode.recorders == ()  # the recording hook is gone again
    assert not hooks.global_forward_pre_hooks and not hooks.global_forward_hooks  # and so are the module hooks
    assert [c.title for c in trace.calls] == ["Sequential", "0: Identity", "1: Failing"]
    assert trace._stack == []  # the failed calls were closed


def test_traces_nest_and_each_records_its_own_block():
    lin, tanh = nn.Linear(2, 2), nn.Tanh()
    x = Tensor(np.ones((1, 2)))
    with trace_modules() as outer:
        h = lin(x)
        with trace_modules() as inner:
            out = tanh(h)
    assert outer.module_of(h) is lin and outer.module_of(out) is tanh
    assert inner.module_of(h) is None and inner.module_of(out) is tanh
    assert [c.title for c in inner.calls] == ["Tanh"]


def test_trace_holds_nodes_only_while_the_caller_does():
    import gc
    lin = nn.Linear(2, 2)
    x = Tensor(np.ones((1, 2)))
    with trace_modules() as trace:
        kept = lin(x)
        dropped_id = id(lin(x))  # this result is dropped at once
    gc.collect()
    assert [id(n) for n in trace.calls[0].nodes] == [id(kept)] and trace.calls[0].output is kept
    assert trace.calls[1].nodes == [] and trace.calls[1].output is None and trace.calls[1].inputs == (x,)
    assert len(trace) == 1 and dropped_id not in trace.module_by_id
    del kept
    gc.collect()
    assert len(trace) == 0 and trace.calls[0].output is None
