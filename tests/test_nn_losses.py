"""Losses against PyTorch (values and gradients, every reduction), gradcheck, and their error messages."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn
import circuitgrad.nn.functional as F
from circuitgrad.autograd import Tensor, Value, gradcheck
from conftest import leaf  # noqa: E402

REDUCTIONS = ["mean", "sum", "none"]

def compare(torch, ours_fn, torch_fn, x_np, rng, rtol=1e-10):
    """Run both on the same input; compare the loss and the input's gradient."""
    x = leaf(x_np)
    tx = torch.tensor(x_np, requires_grad=True)
    out, tout = ours_fn(x), torch_fn(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=rtol, atol=1e-13)
    g = rng.uniform(0.5, 1.5, size=out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol, atol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1_match_torch(torch, rng, reduction):
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    for ours, theirs in [(nn.MSELoss, torch.nn.MSELoss), (nn.L1Loss, torch.nn.L1Loss)]:
        compare(torch, lambda x: ours(reduction=reduction)(x, y),
                lambda tx: theirs(reduction=reduction)(tx, torch.tensor(y)), x, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_torch_with_and_without_weight(torch, rng, reduction):
    p = rng.uniform(0.01, 0.99, size=(5, 3))
    y = (rng.uniform(size=(5, 3)) > 0.5).astype(float)
    y[0, 0] = 0.3  # soft targets are allowed
    w = rng.uniform(0.5, 2.0, size=(5, 3))
    compare(torch, lambda x: nn.BCELoss(reduction=reduction)(x, y),
            lambda tx: torch.nn.BCELoss(reduction=reduction)(tx, torch.tensor(y)), p, rng)
    compare(torch, lambda x: nn.BCELoss(weight=w, reduction=reduction)(x, y),
            lambda tx: torch.nn.BCELoss(weight=torch.tensor(w), reduction=reduction)(tx, torch.tensor(y)), p, rng)


def test_bce_clamps_its_logs_at_minus_100_like_torch(torch, rng):
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-60, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5])
    compare(torch, lambda x: F.binary_cross_entropy(x, y, reduction="none"),
            lambda tx: torch.nn.functional.binary_cross_entropy(tx, torch.tensor(y), reduction="none"), p, rng)
    loss = F.binary_cross_entropy(Tensor(p), y, reduction="none")
    assert loss.data[0] == 100.0 and loss.data[1] == 100.0 and np.isfinite(loss.data).all()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_reduced_inside_its_node_matches_torch_at_the_clamps(torch, rng, reduction):
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-60, 0.5, 0.25]).astype(np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.5, 1.0]).astype(np.float32)
    x = Tensor(p.copy(), requires_grad=True)
    loss = F.binary_cross_entropy(x, y, reduction=reduction)
    tx = torch.tensor(p, requires_grad=True)
    tloss = torch.nn.functional.binary_cross_entropy(tx, torch.tensor(y), reduction=reduction)
    loss.backward()
    tloss.backward()
    assert loss.data.dtype == np.float32 and loss.shape == ()
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)
    assert loss.op == f"bce {reduction}" and loss.parents == (x, loss.parents[1])  # one node, no mean gate


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_names_a_bad_prediction_whatever_the_reduction(reduction):
    for bad in ([0.5, 1.25], [-0.5, 0.5], [0.5, np.nan], [np.inf, 0.5]):
        with pytest.raises(ValueError, match="predictions must be probabilities"):
            F.binary_cross_entropy(Tensor(bad), [0.0, 1.0], reduction=reduction)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_gradient_with_respect_to_the_target_when_reduced(torch, rng, reduction):
    p, y = rng.uniform(0.1, 0.9, size=4), leaf(rng.uniform(size=4))
    ty = torch.tensor(y.data, requires_grad=True)
    F.binary_cross_entropy(Tensor(p), y, reduction=reduction).backward()
    torch.nn.functional.binary_cross_entropy(torch.tensor(p), ty, reduction=reduction).backward()
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-10)


def test_bce_gradient_with_respect_to_the_target(torch, rng):
    p, y = rng.uniform(0.1, 0.9, size=4), leaf(rng.uniform(size=4))
    ty = torch.tensor(y.data, requires_grad=True)
    F.binary_cross_entropy(Tensor(p), y).backward()
    torch.nn.functional.binary_cross_entropy(torch.tensor(p), ty).backward()
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch_even_for_huge_logits(torch, rng, reduction):
    x = np.concatenate([rng.normal(size=6) * 3, [0.0, 800.0, -800.0, 40.0]]).reshape(5, 2)
    y = (rng.uniform(size=(5, 2)) > 0.5).astype(float)
    pos = np.array([3.0, 0.5])
    w = rng.uniform(0.5, 2.0, size=(5, 2))
    compare(torch, lambda t: nn.BCEWithLogitsLoss(reduction=reduction)(t, y),
            lambda t: torch.nn.BCEWithLogitsLoss(reduction=reduction)(t, torch.tensor(y)), x, rng)
    compare(torch, lambda t: nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pos)(t, y),
            lambda t: torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), reduction=reduction,
                                                 pos_weight=torch.tensor(pos))(t, torch.tensor(y)), x, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_torch(torch, rng, reduction, smoothing, weighted):
    logits = rng.normal(size=(7, 4)) * 2
    labels = np.array([0, 3, 1, 1, 2, 3, 3])
    w = np.array([0.5, 2.0, 1.0, 3.0]) if weighted else None
    tw = None if w is None else torch.tensor(w)
    compare(torch, lambda x: nn.CrossEntropyLoss(weight=w, reduction=reduction, label_smoothing=smoothing)(x, labels),
            lambda tx: torch.nn.CrossEntropyLoss(weight=tw, reduction=reduction, label_smoothing=smoothing)(
                tx, torch.tensor(labels)), logits, rng)


def test_cross_entropy_on_one_sample_and_on_float_labels(torch, rng):
    logits = rng.normal(size=4)
    compare(torch, lambda x: F.cross_entropy(x, 2, label_smoothing=0.2),
            lambda tx: torch.nn.functional.cross_entropy(tx, torch.tensor(2), label_smoothing=0.2), logits, rng)
    batch = rng.normal(size=(3, 4))
    from_floats = F.cross_entropy(Tensor(batch), Tensor([1.0, 0.0, 3.0]))  # a Tensor of labels is float
    assert from_floats.item() == pytest.approx(F.cross_entropy(Tensor(batch), np.array([1, 0, 3])).item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_matches_torch(torch, rng, reduction):
    logp = np.log(rng.dirichlet(np.ones(3), size=5))
    labels = np.array([2, 0, 1, 2, 2])
    w = np.array([1.0, 4.0, 0.5])
    compare(torch, lambda x: nn.NLLLoss(weight=w, reduction=reduction)(x, labels),
            lambda tx: torch.nn.NLLLoss(weight=torch.tensor(w), reduction=reduction)(tx, torch.tensor(labels)),
            logp, rng)
    compare(torch, lambda x: nn.NLLLoss(reduction=reduction)(nn.LogSoftmax()(x), labels),
            lambda tx: torch.nn.NLLLoss(reduction=reduction)(torch.nn.LogSoftmax(1)(tx), torch.tensor(labels)),
            logp, rng)


def test_losses_pass_gradcheck(rng):
    x = leaf(rng.normal(size=(4, 3)))
    p = leaf(rng.uniform(0.1, 0.9, size=(4, 3)))
    y = rng.uniform(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    w = np.array([1.0, 2.0, 0.5])
    assert gradcheck(lambda x: F.mse_loss(x, y), x)
    assert gradcheck(lambda p: F.binary_cross_entropy(p, y), p)
    assert gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, y, pos_weight=np.array([2.0, 1.0, 0.5])), x)
    assert gradcheck(lambda x: F.cross_entropy(x, labels, weight=w, label_smoothing=0.1), x)
    assert gradcheck(lambda x: F.nll_loss(x.log_softmax(), labels, weight=w, reduction="sum"), x)
    x_off = leaf(rng.normal(size=(4, 3)) + 3.0)  # away from the kink of |x - y|
    assert gradcheck(lambda x: F.l1_loss(x, y), x_off)


def test_mse_and_l1_on_values_for_scalar_networks():
    preds = [Value(1.0), Value(2.0), Value(4.0)]
    loss = nn.MSELoss()(preds, [1.0, 1.0, 2.0])
    assert loss.data == pytest.approx((0 + 1 + 4) / 3)
    loss.backward()
    assert [p.grad for p in preds] == pytest.approx([0.0, 2 / 3, 4 / 3])
    assert nn.L1Loss(reduction="sum")(preds, [0.0, 0.0, 0.0]).data == 7.0
    assert [t.data for t in nn.MSELoss(reduction="none")(Value(3.0), 1.0)] == [4.0]
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        nn.MSELoss()(preds, [1.0, 2.0])


def test_functional_activations_use_pytorch_argument_names(torch, rng):
    x = rng.normal(size=(3, 4))
    tx = torch.tensor(x)
    np.testing.assert_allclose(F.softmax(x, dim=0).data, torch.softmax(tx, dim=0).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(Tensor(x), dim=1).data, torch.log_softmax(tx, dim=1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.leaky_relu(Tensor(x), negative_slope=0.2).data,
                               torch.nn.functional.leaky_relu(tx, negative_slope=0.2).numpy(), rtol=1e-12)
    assert F.leaky_relu(Value(-1.0), 0.1).data == pytest.approx(-0.1)
    assert F.relu(Value(-1.0)).data == 0.0 and F.sigmoid(Tensor([0.0])).item() == 0.5


def test_one_hot():
    out = F.one_hot(np.array([0, 2, 1]))
    assert out.data.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert F.one_hot([1], num_classes=4).shape == (1, 4)
    with pytest.raises(ValueError, match=r"labels \[5\] are out of range for 4 classes"):
        F.one_hot([5, 1], num_classes=4)
    with pytest.raises(ValueError, match="whole numbers"):
        F.one_hot([0.5])


# ---- bad input -------------------------------------------------------------------------------------------

def test_cross_entropy_names_labels_out_of_range():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"labels \[-1, 4\] are out of range for 4 classes \(valid: 0..3, or ignore_index -100\)"):
        nn.CrossEntropyLoss()(logits, [4, -1, 0])


def test_cross_entropy_names_non_integer_labels():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"labels must be whole numbers \(class indices\), got \[0.5, 1.5\]"):
        nn.CrossEntropyLoss()(logits, [0.5, 1.5, 1.0])
    with pytest.raises(TypeError, match="labels must be integer class indices, got dtype bool"):
        nn.CrossEntropyLoss()(logits, [True, False, True])
    with pytest.raises(TypeError, match="dtype <U1"):
        nn.CrossEntropyLoss()(logits, ["a", "b", "c"])


def test_cross_entropy_checks_shapes_weight_and_smoothing():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\).*got \(3, 4\)"):
        nn.CrossEntropyLoss()(logits, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"input must have shape \(N, C\) or \(C,\), got \(2, 3, 4\)"):
        nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3, 4))), [0, 1])
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(4,\), got \(3,\)"):
        nn.CrossEntropyLoss(weight=[1.0, 1.0, 1.0])(logits, [0, 1, 2])
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="weight must be finite and non-negative"):
        nn.CrossEntropyLoss(weight=[1.0, -1.0])


def test_bce_says_predictions_must_be_probabilities():
    with pytest.raises(ValueError, match=r"predictions must be probabilities in \[0, 1\], got values from -0.2 "
                                         r"to 1.5 \(apply a sigmoid first"):
        nn.BCELoss()(Tensor([[-0.2], [1.5]]), [[0.0], [1.0]])
    with pytest.raises(ValueError, match="and nan"):
        nn.BCELoss()(Tensor([0.5, np.nan]), [0.0, 1.0])


def test_bce_targets_and_weights_are_checked():
    p, y = Tensor([0.5, 0.2]), Tensor([0.0, 1.0])
    with pytest.raises(ValueError, match=r"binary_cross_entropy: targets must be probabilities in \[0, 1\], "
                                         r"got values from -1 to 0"):
        nn.BCELoss()(p, Tensor([0.0, -1.0]))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits: targets must be probabilities"):
        nn.BCEWithLogitsLoss()(p, Tensor([0.0, 2.0]))
    # A (2, 1) weight on two losses would broadcast them to (2, 2) and give a wrong mean.
    with pytest.raises(ValueError, match=r"weight of shape \(2, 1\) does not broadcast to the input's shape \(2,\)"):
        nn.BCELoss(weight=[[1.0], [2.0]])(p, y)
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2, 1\) does not broadcast"):
        nn.BCEWithLogitsLoss(pos_weight=[[1.0], [2.0]])(p, y)
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast"):
        nn.BCELoss(weight=[1.0, 2.0, 3.0])(p, y)
    assert nn.BCELoss(weight=[1.0, 2.0])(p, y).item() == pytest.approx((np.log(2) + 2 * -np.log(0.2)) / 2)


def test_odd_labels_weights_and_targets_are_named():
    with pytest.raises(ValueError, match=r"cross_entropy: labels must be class indices, got \[inf\]"):
        nn.CrossEntropyLoss()(Tensor(np.zeros((1, 3))), np.array([np.inf]))
    with pytest.raises(TypeError, match="CrossEntropyLoss: weight must be real numbers"):
        nn.CrossEntropyLoss(weight=["a", "b", "c"])
    with pytest.raises(TypeError, match="one_hot: labels must be integer class indices"):
        nn.functional.one_hot(["a"])
    with pytest.raises(TypeError, match="mse_loss: target must be a number"):
        nn.MSELoss()(Value(1.0), "a")
    with pytest.raises(TypeError, match="mse_loss: Tensor: data must be"):
        nn.MSELoss()(Tensor([1.0]), ["a"])
    assert nn.CrossEntropyLoss(label_smoothing=np.float64(0.1)).label_smoothing == 0.1  # numpy numbers are numbers
    np.testing.assert_array_equal(F.linear(Tensor(np.ones((2, 2))), np.ones((3, 2))).data, np.full((2, 3), 2.0))


def test_regression_losses_refuse_silent_broadcasting():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        nn.MSELoss()(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match="l1_loss: input shape"):
        nn.L1Loss()(Tensor(np.zeros((4, 1))), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="binary_cross_entropy: input shape"):
        nn.BCELoss()(Tensor(np.full((4, 1), 0.5)), np.zeros(4))


def test_reduction_must_be_known():
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(Tensor(np.zeros((1, 2))), [0], reduction="total")
    with pytest.raises(TypeError, match="works on Tensors"):
        F.cross_entropy(Value(1.0), [0])


def test_loss_reprs():
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(label_smoothing=0.1)"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
