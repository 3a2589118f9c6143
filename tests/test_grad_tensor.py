"""`x.grad` is a Tensor, as in PyTorch: the habits learners bring from PyTorch's tutorials on it work.

The engine keeps each gradient as an array in the node's `grad` slot; reading `x.grad` wraps it in
a Tensor sharing that memory. These tests pin what that means for a learner's code.
"""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad as cg
from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value, grad, no_grad


def _quadratic() -> tuple:
    w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    (w * w).sum().backward()
    return w


def test_grad_is_a_tensor_of_the_parameters_shape_and_dtype():
    w = _quadratic()
    assert type(w.grad) is Tensor and not w.grad.requires_grad and w.grad.grad_fn is None
    assert w.grad.shape == w.shape and w.grad.dtype == w.dtype
    assert w.grad.tolist() == [2.0, -4.0, 6.0]
    w32 = Tensor(np.ones(2, np.float32), requires_grad=True)
    (w32 * 3).sum().backward()
    assert w32.grad.dtype == np.float32


def test_zero_in_place_clears_the_gradient_the_optimizer_reads():
    w = _quadratic()
    opt = nn.optim.SGD([w], lr=0.5)
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0, 0.0]
    opt.step()
    assert w.data.tolist() == [1.0, -2.0, 3.0]  # a zero gradient moves nothing


def test_an_in_place_change_of_the_gradient_is_what_the_step_uses():
    w = _quadratic()
    w.grad.mul_(0.5)      # PyTorch's way to scale a gradient before the step
    w.grad[0] = 10.0      # and to edit one entry
    nn.optim.SGD([w], lr=0.1).step()
    np.testing.assert_allclose(w.data, [1.0 - 1.0, -2.0 + 0.2, 3.0 - 0.3])


def test_tutorial_accuracy_and_gradient_habits():
    w = _quadratic()
    assert (w.grad == 0).sum().item() == 0
    assert (w.grad > 0).float().mean().item() == pytest.approx(2 / 3)
    assert w.grad.abs().max().item() == 6.0
    assert f"{(w.grad ** 2).sum().sqrt():.4f}" == f"{np.sqrt(4 + 16 + 36):.4f}"
    assert w.grad.type(cg.float32).dtype == np.float32


def test_gradients_accumulate_and_set_to_none_forgets_them():
    w = _quadratic()
    (w * w).sum().backward()
    assert w.grad.tolist() == [4.0, -8.0, 12.0]
    w.grad = None
    assert w.grad is None
    (3 * w).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0, 3.0]


def test_a_read_gradient_is_a_snapshot_only_after_clone():
    w = _quadratic()
    kept, shared = w.grad.clone(), w.grad
    w.grad.zero_()
    assert kept.tolist() == [2.0, -4.0, 6.0]
    assert shared.tolist() == [0.0, 0.0, 0.0]  # the same memory as w's gradient


def test_manual_sgd_of_pytorchs_tutorial_trains():
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(32, 3)))
    y = x @ Tensor([[1.0], [-2.0], [0.5]])
    w = Tensor(np.zeros((3, 1)), requires_grad=True)
    losses = []
    for _ in range(50):
        loss = ((x @ w - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
    assert losses[-1] < 1e-3 * losses[0]
    np.testing.assert_allclose(w.data.ravel(), [1.0, -2.0, 0.5], atol=0.02)


def test_autograd_grad_returns_tensors_for_tensors_and_numbers_for_values():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = grad((x ** 3).sum(), x)
    assert type(g) is Tensor and g.tolist() == [3.0, 12.0]
    v = Value(2.0)
    (gv,) = grad(v * v, v)
    assert gv == 4.0


def test_a_value_gradient_stays_a_float():
    a = Value(3.0)
    (a * a).backward()
    assert type(a.grad) is float and a.grad == 6.0


@pytest.mark.parametrize("bad,error,message", [
    (np.ones(2), RuntimeError, r"gradient of shape \(2,\) to a tensor of shape \(3,\)"),
    (Tensor(np.ones(3, np.float32)), RuntimeError, "gradient of dtype float32 to a tensor of dtype float64"),
    ([1.0, 2.0, 3.0], TypeError, "expected to be a Tensor or None but got grad of type list"),
    (Value(1.0), TypeError, "expected to be a Tensor or None but got grad of type Value"),
])
def test_assigning_a_gradient_checks_it_as_pytorch_does(bad, error, message):
    w = _quadratic()
    with pytest.raises(error, match=message):
        w.grad = bad
    assert w.grad.tolist() == [2.0, -4.0, 6.0]  # the refused assignment changed nothing


def test_formatting_takes_a_spec_only_for_one_number():
    assert f"{Tensor(2.0):.2f}" == "2.00"
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{Tensor([1.0, 2.0]):.2f}"


def test_the_same_habits_give_pytorchs_numbers(torch):
    data = np.array([[0.5, -1.0], [2.0, 0.25]])
    ours = Tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    for t in (ours, theirs):
        (t.tanh() * t).sum().backward()
        t.grad.mul_(2.0)
        t.grad[0, 1] = -3.0
        (t.exp()).sum().backward()  # accumulates into the edited gradient
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-13)
    assert type(ours.grad).__name__ == type(theirs.grad).__name__ == "Tensor"
    assert (ours.grad > 1).tolist() == (theirs.grad > 1).tolist()
