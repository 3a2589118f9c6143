"""Layers on Tensor (Linear, activations, Sequential, Dropout, BatchNorm1d) against PyTorch and gradcheck."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value, gradcheck
from conftest import leaf  # noqa: E402

def copy_linear(torch, ours: nn.Linear):
    """A torch Linear holding exactly our weights."""
    layer = torch.nn.Linear(ours.in_features, ours.out_features, bias=ours.bias is not None)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(ours.weight.data))
        if ours.bias is not None:
            layer.bias.copy_(torch.tensor(ours.bias.data))
    return layer


def same_as_torch(torch, rng, ours, theirs, x: Tensor, rtol=(1e-12, 1e-12), atol=1e-14) -> None:
    """Run `ours` on x and `theirs` on a torch copy of it, backprop one random gradient through
    both, and check outputs and input gradients agree (rtol for each); parameters are the caller's."""
    tx = torch.tensor(x.data, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=rtol[0], atol=atol)
    g = rng.normal(size=out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol[1], atol=atol)


# ---- Linear --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
def test_linear_matches_torch_outputs_and_gradients(torch, rng, shape):
    lin = nn.Linear(3, 4)
    ref = copy_linear(torch, lin)
    same_as_torch(torch, rng, lin, ref, leaf(rng.normal(size=shape)))
    np.testing.assert_allclose(lin.weight.grad, ref.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lin.bias.grad, ref.bias.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_passes_gradcheck(rng):
    lin = nn.Linear(3, 2)
    x = leaf(rng.normal(size=(4, 3)))
    assert gradcheck(lambda x, w, b: nn.functional.linear(x, w, b), x, lin.weight, lin.bias)
    no_bias = nn.Linear(3, 2, bias=False)
    assert gradcheck(lambda x, w: no_bias(x), x, no_bias.weight)


def test_linear_layout_and_default_init_follow_pytorch():
    np.random.seed(10)
    lin = nn.Linear(4, 3)
    assert lin.weight.shape == (3, 4) and lin.bias.shape == (3,)
    assert lin.weight.dtype == np.float64
    np.random.seed(10)
    bound = 1 / np.sqrt(4)
    expected_w = np.random.uniform(-bound, bound, (3, 4))  # weight first, then bias
    expected_b = np.random.uniform(-bound, bound, 3)
    assert np.array_equal(lin.weight.data, expected_w) and np.array_equal(lin.bias.data, expected_b)
    big = nn.Linear(100, 300)
    assert np.abs(big.weight.data).max() <= 0.1 and np.abs(big.weight.data).max() > 0.099
    assert nn.Linear(2, 2, dtype=np.float32).weight.dtype == np.float32


def test_linear_is_reproducible_from_numpy_seed():
    np.random.seed(3)
    a = nn.Sequential(nn.Linear(2, 5), nn.Linear(5, 1))
    np.random.seed(3)
    b = nn.Sequential(nn.Linear(2, 5), nn.Linear(5, 1))
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert np.array_equal(pa.data, pb.data)


def test_linear_rejects_the_wrong_width_naming_layer_and_shapes():
    lin = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3, out_features=2, bias=True\): expected input of "
                                         r"shape \(N, 3\).*got shape \(4, 5\)"):
        lin(Tensor(np.ones((4, 5))))
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        lin(Tensor(1.0))
    with pytest.raises(TypeError, match="Tensors"):
        lin(Value(1.0))


def test_linear_accepts_arrays_and_checks_its_arguments():
    lin = nn.Linear(2, 1)
    assert lin(np.ones((3, 2))).shape == (3, 1)
    with pytest.raises(ValueError, match="out_features must be at least 1"):
        nn.Linear(2, 0)
    with pytest.raises(TypeError, match="in_features must be an int"):
        nn.Linear(2.5, 1)
    with pytest.raises(TypeError, match="dtype must be a float type"):
        nn.Linear(2, 1, dtype=np.int32)
    with pytest.raises(TypeError, match="Linear: dtype must be a float type such as np.float32, got 'foo'"):
        nn.Linear(2, 1, dtype="foo")
    with pytest.raises(TypeError, match="Linear: bias must be True or False, got str 'no'"):
        nn.Linear(2, 1, bias="no")  # "no" is truthy: it used to make a bias
    assert nn.Linear(np.int64(2), np.int64(1)).in_features == 2


def test_layers_take_numpy_numbers_and_name_odd_inputs():
    from circuitgrad.nn.attention import MultiheadAttention
    from circuitgrad.nn.embedding import Embedding
    from circuitgrad.nn.recurrent import RNN
    assert nn.Dropout(np.float32(0.5)).p == 0.5 and nn.LeakyReLU(np.float64(0.1)).negative_slope == 0.1
    assert RNN(np.int64(3), 4).input_size == 3 and Embedding(np.int64(4), 2).num_embeddings == 4
    assert MultiheadAttention(np.int64(4), np.int64(2)).num_heads == 2
    with pytest.raises(ValueError, match=r"RNN: the sequence is empty \(shape \(0, 2, 3\)\)"):
        RNN(3, 4)(np.ones((0, 2, 3)))
    with pytest.raises(ValueError, match="Embedding: ids must be a rectangular array of integers"):
        Embedding(5, 2)([[0, 1], [2]])
    with pytest.raises(TypeError, match="clip: low must be a number, got str 'a'"):
        Tensor([1.0, 2.0]).clip("a")


def test_functional_linear_checks_shapes():
    w = leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"input of shape \(4, 2\) does not fit weight \(2, 3\)"):
        nn.functional.linear(np.ones((4, 2)), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        nn.functional.linear(np.ones((4, 3)), w, leaf(np.ones(3)))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        nn.functional.linear(np.ones((4, 3)), leaf(np.ones(3)))


def test_linear_float32_stays_float32():
    lin = nn.Linear(2, 2, dtype=np.float32)
    out = lin(Tensor(np.ones((3, 2)), dtype=np.float32))
    out.sum().backward()
    assert out.dtype == np.float32 and lin.weight.grad.dtype == np.float32


# ---- activations -------------------------------------------------------------------------------------------

ACTIVATIONS = [
    (lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda t: t.nn.Tanh()),
    (lambda: nn.ReLU(), lambda t: t.nn.ReLU()),
    (lambda: nn.LeakyReLU(0.1), lambda t: t.nn.LeakyReLU(0.1)),
    (lambda: nn.LeakyReLU(), lambda t: t.nn.LeakyReLU()),
    (lambda: nn.SELU(), lambda t: t.nn.SELU()),
    (lambda: nn.Softmax(dim=1), lambda t: t.nn.Softmax(dim=1)),
    (lambda: nn.Softmax(), lambda t: t.nn.Softmax(dim=-1)),
    (lambda: nn.LogSoftmax(dim=1), lambda t: t.nn.LogSoftmax(dim=1)),
    (lambda: nn.Identity(), lambda t: t.nn.Identity()),
    (lambda: nn.Flatten(), lambda t: t.nn.Flatten()),
    (lambda: nn.Flatten(0, 1), lambda t: t.nn.Flatten(0, 1)),
]


@pytest.mark.parametrize("make", ACTIVATIONS, ids=lambda m: repr(m[0]()))
def test_activations_match_torch(torch, rng, make):
    ours, theirs = make[0](), make[1](torch)
    x = leaf(rng.normal(size=(4, 3, 2)) * 3 if isinstance(ours, nn.Flatten) else rng.normal(size=(5, 4)) * 3)
    same_as_torch(torch, rng, ours, theirs, x, rtol=(1e-12, 1e-10))


@pytest.mark.parametrize("layer", [nn.Sigmoid(), nn.Tanh(), nn.SELU(), nn.LeakyReLU(0.2), nn.Softmax(),
                                   nn.LogSoftmax(), nn.Flatten()], ids=repr)
def test_activations_pass_gradcheck(rng, layer):
    x = leaf(rng.normal(size=(3, 4)) + 0.05)  # away from the kinks at 0
    assert gradcheck(layer, x)


def test_step_gives_zero_gradient_and_activations_work_on_values():
    x = leaf([-1.0, 0.0, 2.0])
    out = nn.Step()(x)
    assert out.data.tolist() == [0.0, 0.0, 1.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    v = Value(0.5)
    assert nn.Sigmoid()(v).data == pytest.approx(1 / (1 + np.exp(-0.5)))
    assert nn.ReLU()(Value(-2.0)).data == 0.0
    assert nn.LeakyReLU(0.1)(Value(-2.0)).data == pytest.approx(-0.2)
    with pytest.raises(TypeError, match="Sigmoid: expected a Tensor or a Value"):
        nn.Sigmoid()("x")
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        nn.LeakyReLU("0.1")


def test_flatten_rejects_bad_dims():
    with pytest.raises(IndexError, match=r"Flatten: dim 3 is out of range for a tensor of shape \(2, 3\): Dimension "):
        nn.Flatten(3)(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="start_dim 1 comes after end_dim 0"):
        nn.Flatten(1, 0)(Tensor(np.ones((2, 3))))


# ---- Sequential ------------------------------------------------------------------------------------------------

def test_sequential_is_indexable_sliceable_and_iterable():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    x = Tensor(np.ones((4, 2)))
    assert np.array_equal(model(x).data, layers[2](layers[1](layers[0](x))).data)
    model.append(nn.Sigmoid())
    assert len(model) == 4 and [n for n, _ in model.named_modules()][-1] == "3"
    with pytest.raises(IndexError, match="index 4 is out of range for 4 modules"):
        model[4]


def test_sequential_takes_an_ordered_dict_of_names():
    from collections import OrderedDict
    model = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias"]
    assert model.hidden is model[0]


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match=r"argument 1 is a type, not a Module \(write nn.ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)
    with pytest.raises(TypeError, match=r"Sequential\(\*layers\)"):
        nn.Sequential([nn.Linear(2, 2)])
    with pytest.raises(TypeError, match="not a Module"):
        nn.ModuleList([nn.ReLU(), "relu"])


# ---- Dropout ---------------------------------------------------------------------------------------------------

def test_dropout_drops_about_p_and_scales_the_rest():
    np.random.seed(0)
    drop = nn.Dropout(0.25)
    x = leaf(np.ones((200, 50)))
    out = drop(x)
    kept = out.data != 0
    assert abs(1 - kept.mean() - 0.25) < 0.02
    assert np.allclose(out.data[kept], 1 / 0.75)
    out.sum().backward()
    assert np.array_equal(x.grad, out.data)  # the gradient goes through the same mask and scale


def test_dropout_is_off_in_eval_and_reproducible_from_the_seed():
    drop = nn.Dropout(0.5)
    x = Tensor(np.arange(12.0).reshape(3, 4))
    drop.eval()
    assert drop(x) is x
    drop.train()
    np.random.seed(1)
    a = drop(x).data
    np.random.seed(1)
    assert np.array_equal(a, drop(x).data)
    assert nn.Dropout(0.0)(x) is x


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "half", True])
def test_dropout_rejects_p_outside_zero_to_one(p):
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\)"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"dropout: p must be a probability in \[0, 1\)"):
        nn.functional.dropout(Tensor([1.0]), p)


# ---- BatchNorm1d ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 3), (5, 3, 4)])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_matches_torch_in_training_and_eval(torch, rng, shape, momentum):
    bn = nn.BatchNorm1d(3, momentum=momentum)
    ref = torch.nn.BatchNorm1d(3, momentum=momentum)
    with torch.no_grad():  # non-trivial affine parameters
        ref.weight.copy_(torch.tensor([1.5, -0.5, 2.0]))
        ref.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    bn.weight.data[...] = [1.5, -0.5, 2.0]
    bn.bias.data[...] = [0.1, 0.2, -0.3]
    for _ in range(3):  # several batches move the running statistics
        same_as_torch(torch, rng, bn, ref, leaf(rng.normal(2.0, 3.0, size=shape)), rtol=(1e-10, 1e-9), atol=1e-12)
    np.testing.assert_allclose(bn.weight.grad, ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.bias.grad, ref.bias.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, ref.running_var.numpy(), rtol=1e-12)  # unbiased, as torch
    assert int(bn.num_batches_tracked) == int(ref.num_batches_tracked) == 3
    bn.eval()
    ref.eval()
    x = rng.normal(size=shape)
    np.testing.assert_allclose(bn(Tensor(x)).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_batchnorm_eval_leaves_running_stats_alone_and_passes_gradcheck(rng):
    bn = nn.BatchNorm1d(2)
    bn.eval()
    bn(Tensor(rng.normal(size=(4, 2))))
    assert int(bn.num_batches_tracked) == 0 and np.array_equal(bn.running_mean, [0.0, 0.0])
    bn.train()
    x = leaf(rng.normal(size=(5, 2)))
    bn.weight.data[...] = [1.3, 0.7]
    assert gradcheck(lambda x, w, b: bn(x), x, bn.weight, bn.bias)


def test_batchnorm_without_affine_or_running_stats():
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert bn.parameters() == [] and bn.state_dict() == {}
    x = np.array([[1.0, 10.0], [3.0, 20.0]])
    bn.eval()  # without running statistics, eval also uses the batch's
    np.testing.assert_allclose(bn(Tensor(x)).data, [[-1, -1], [1, 1]], atol=1e-4)


def test_batchnorm_rejects_wrong_rank_width_and_single_samples():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\) or \(N, 3, L\), got shape \(3,\)"):
        bn(Tensor(np.ones(3)))
    with pytest.raises(ValueError, match=r"got shape \(4, 2\)"):
        bn(Tensor(np.ones((4, 2))))
    with pytest.raises(ValueError, match="more than 1 value per feature when training"):
        bn(Tensor(np.ones((1, 3))))
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be positive"):
        nn.BatchNorm1d(3, eps=0)
    for layer in (nn.BatchNorm1d, nn.BatchNorm2d):  # the layer named, as Linear and Conv2d do
        with pytest.raises(TypeError, match=f"{layer.__name__}: dtype must be a float type such as np.float32, "
                                            "got <class 'numpy.int32'>"):
            layer(3, dtype=np.int32)
