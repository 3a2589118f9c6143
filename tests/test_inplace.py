"""In-place operations and version counters, tried with a PyTorch learner's habits (issue 22, items 1-2).

Each habit either does what PyTorch does (checked against PyTorch where it is installed, and
against finite differences always) or stops with PyTorch's kind of error; never a silent
different number.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from circuitgrad import autograd, nn
from circuitgrad.autograd import Tensor, Value, gradcheck, no_grad

# ---- the tutorial's manual update --------------------------------------------------------------------------


def _fit_cubic(lib, a, b, c, d, steps=60, lr=1e-5):
    """PyTorch's "Learning PyTorch with examples": y = a + b x + c x^2 + d x^3 fitted to sin(x) by hand."""
    x = lib.linspace(-np.pi, np.pi, 200)
    y = lib.sin(x)
    losses = []
    for _ in range(steps):
        loss = (a + b * x + c * x ** 2 + d * x ** 3 - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None
    return losses


class _Lib:
    """The few torch.* names the tutorial calls, on circuitgrad."""

    linspace = staticmethod(autograd.linspace)
    sin = staticmethod(autograd.sin)
    no_grad = staticmethod(no_grad)


def _cubic_weights(lib_tensor):
    rng = np.random.default_rng(3)
    return [lib_tensor(rng.normal(), requires_grad=True) for _ in range(4)]


def test_the_tutorials_manual_sgd_loop_trains_the_same_leaves():
    a, b, c, d = params = _cubic_weights(Tensor)
    losses = _fit_cubic(_Lib, a, b, c, d)
    assert losses[-1] < losses[0] / 10  # it trains (it stayed at losses[0] when -= rebound the name)
    assert all(p.is_leaf and p.requires_grad for p in params)  # the same trainable leaves
    assert [p._version for p in params] == [60] * 4  # one in-place change per step


def test_the_manual_sgd_loop_follows_pytorch_from_the_same_weights(torch):
    ours = _fit_cubic(_Lib, *_cubic_weights(Tensor))
    theirs = _fit_cubic(torch, *_cubic_weights(lambda v, requires_grad: torch.tensor(v, requires_grad=requires_grad)))
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_a_model_parameters_loop_trains_a_module():
    rng = np.random.default_rng(0)
    X = Tensor(rng.normal(size=(32, 3)))
    y = Tensor(X.data @ np.array([1.0, -2.0, 0.5]) + 0.3)
    model = nn.Linear(3, 1)
    first = None
    for _ in range(100):
        loss = ((model(X).reshape(-1) - y) ** 2).mean()
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
    assert loss.item() < first / 100
    assert all(isinstance(p, nn.Parameter) and p.is_leaf for p in model.parameters())


# ---- what is refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    lambda w: w.__iadd__(1.0), lambda w: w.__isub__(1.0), lambda w: w.__imul__(2.0), lambda w: w.__itruediv__(2.0),
    lambda w: w.add_(1.0), lambda w: w.sub_(1.0), lambda w: w.mul_(2.0), lambda w: w.div_(2.0), lambda w: w.zero_(),
    lambda w: w.fill_(1.0), lambda w: w.copy_(np.ones(3)), lambda w: w.clamp_(0, 1), lambda w: w.normal_(),
    lambda w: w.uniform_(), lambda w: w.__setitem__(0, 5.0), lambda w: w.__ipow__(2.0), lambda w: w.pow_(2.0),
    lambda w: w.relu_(), lambda w: w.masked_fill_(np.array([True, False, True]), 0.0),
])
def test_every_in_place_op_on_a_leaf_that_requires_grad_raises_pytorchs_error(change):
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                           "operation.*no_grad"):
        change(w)
    np.testing.assert_array_equal(w.data, [1.0, 2.0, 3.0])
    assert w._version == 0
    with no_grad():  # the same change as a weight update
        change(w)
    assert w.is_leaf and w.requires_grad and w._version == 1


def test_the_issues_reproducer_raises_instead_of_a_zero_gradient():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x.exp()
    s = y.sum()
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. "
                                           r"Use tensor.detach\(\).numpy\(\) instead."):
        y.numpy()[...] = 0
    s.backward()
    np.testing.assert_allclose(x.grad, np.exp(x.data))


def test_writing_through_a_detached_copy_is_counted_and_refused_in_backward():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x.exp()
    s = (y * y).sum()
    d = y.detach()
    assert np.shares_memory(d.numpy(), y.data)  # the same memory, as PyTorch's detach()
    d.zero_()
    assert y._version == d._version == 1
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[Tensor of shape \(3,\)\], "
                                           r"input 0 of the '\*' op, is at version 1; expected version 0 instead"):
        s.backward()
    assert x.grad is None  # a pass that raises changes no leaf


def test_a_saved_tensor_changed_in_place_raises_as_in_pytorch(torch):
    for lib in (torch, None):
        w = (torch.tensor([1.0, 2.0], requires_grad=True) if lib else Tensor([1.0, 2.0], requires_grad=True))
        x = torch.tensor([3.0, 4.0]) if lib else Tensor([3.0, 4.0])
        z = (w * x).sum()
        with (torch.no_grad() if lib else no_grad()):
            x.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()


def test_backward_after_an_optimizer_step_on_the_stale_graph_raises():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    loss = model(Tensor(rng.normal(size=(5, 3)))).sum()
    loss.backward()
    opt.step()
    assert all(p._version == 1 for p in model.parameters())
    with pytest.raises(RuntimeError, match=r"\[Tensor 'weight' of shape \(1, 4\)\].*is at version 1; expected "
                                           r"version 0.*loss.backward\(\) before optimizer.step\(\)"):
        loss.backward()


def test_an_interior_node_changed_under_no_grad_is_refused_in_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    with no_grad():
        h += 1
    with pytest.raises(RuntimeError, match="the output of the 'exp' op, is at version 1; expected version 0"):
        h.sum().backward()


# ---- names and memory: `y = x; x += 1` ---------------------------------------------------------------------


def test_every_name_for_a_tensor_sees_its_in_place_change():
    x = Tensor([1.0, 2.0])
    y = x
    x += 1
    assert y is x
    np.testing.assert_array_equal(y.data, [2.0, 3.0])
    view = x.reshape(2, 1)  # a view shares the memory and the version counter, as in PyTorch
    x *= 10
    np.testing.assert_array_equal(view.data.ravel(), [20.0, 30.0])
    assert view._version == x._version == 2


def test_an_indexed_part_is_a_view_as_in_pytorch(torch):
    for lib in ("cg", "torch"):
        make = Tensor if lib == "cg" else torch.tensor
        x = make([1.0, 2.0, 3.0])
        row, one = x[1:], x[0]
        x += 10  # seen through the parts taken before
        row *= 2  # and a change of a part is a change of x
        one -= 1
        got = [t.tolist() for t in (x, row, one)]
        assert got == [[10.0, 24.0, 26.0], [24.0, 26.0], 10.0], lib
    w = Tensor([1.0, 2.0], requires_grad=True)
    first = w[0]
    s = first * first
    with no_grad():
        w -= 1  # the part shares w's version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        s.backward()


def test_an_interior_tensor_changed_in_place_is_the_same_object_with_the_right_gradient(torch):
    for lib in ("cg", "torch"):
        make = (lambda v: Tensor(v, requires_grad=True)) if lib == "cg" else \
            (lambda v: torch.tensor(v, requires_grad=True))
        x = make([1.0, -2.0, 0.5])
        h = x * 3
        alias = h
        h += 1
        h *= 2
        assert alias is h
        h.sum().backward()
        got = x.grad if lib == "cg" else x.grad.numpy()
        np.testing.assert_allclose(got, [6.0, 6.0, 6.0])


def test_x_times_itself_in_place_uses_the_old_value_where_pytorch_refuses(torch):
    # PyTorch's mul_ saved h for the gradient and then changed it; circuitgrad's hidden node holds a
    # copy of the old h, so the number is right. One of the habits that differ (never silently wrong).
    x = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    h = x * 3 + 1
    h *= h
    h.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * (3 * x.data + 1) * 3)
    tx = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    th = tx * 3 + 1
    th *= th
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        th.sum().backward()


def test_the_recorded_change_shows_in_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.add_(5)
    assert h.op == "+" and not h.is_leaf
    old, five = h.parents
    np.testing.assert_array_equal(old.data, [2.0, 4.0])  # the hidden node keeps the value before the change
    assert old.op == "*" and old.parents[0] is x and five.data == 5.0


def test_a_tensor_that_does_not_require_grad_takes_a_tracked_value():
    out = Tensor(np.zeros(3))  # the RNN habit: fill a buffer with results, then backprop through it
    v = Tensor([2.0, 5.0], requires_grad=True)
    out[0] = v[0] * 2
    out[2] = v[1] ** 2
    (out * Tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(out.data, [4.0, 0.0, 25.0])
    np.testing.assert_array_equal(v.grad, [2.0, 1000.0])


# ---- each in-place op: value, gradient and second gradient ------------------------------------------------

CASES = {
    "+=": lambda h, o: h.__iadd__(o),
    "-=": lambda h, o: h.__isub__(o),
    "*=": lambda h, o: h.__imul__(o),
    "**=": lambda h, o: h.__ipow__(2.0),
    "pow_": lambda h, o: h.clamp_(0.2, 2.0).pow_(o * o + 1.0),
    "/=": lambda h, o: h.__itruediv__(o + 3.0),
    "add_ alpha": lambda h, o: h.add_(o, alpha=-0.5),
    "sub_ alpha": lambda h, o: h.sub_(o, alpha=2.0),
    "mul_": lambda h, o: h.mul_(o),
    "div_": lambda h, o: h.div_(o * o + 1.0),
    "clamp_": lambda h, o: h.clamp_(-0.8, 1.1),
    "relu_": lambda h, o: h.relu_(),
    "masked_fill_": lambda h, o: h.masked_fill_(o > 0, 0.5),
    "[] = slice": lambda h, o: h.__setitem__((slice(None), slice(1, 3)), o[:, :2] * 2.0),
    "[] = list": lambda h, o: h.__setitem__([0, 2], o[0]),
    "[] = number": lambda h, o: h.__setitem__((1, 0), 7.0),
    "fill_": lambda h, o: h.fill_(o.sum()),
    "copy_": lambda h, o: h.copy_(o.exp()),
    "zero_": lambda h, o: h.zero_(),
}


def _run(case, x, o):
    h = x * 1.5  # an interior node, so the change is recorded
    CASES[case](h, o)
    return (h * h * x).sum() + h.sum()  # nonlinear in h, so a second gradient has something to find


def _inputs(rng):
    return rng.uniform(-1, 1, size=(3, 4)), rng.uniform(-1, 1, size=(3, 4))


@pytest.mark.parametrize("case", CASES)
def test_each_in_place_op_has_the_finite_difference_gradient(case, rng):
    xv, ov = _inputs(rng)
    xv[np.abs(np.abs(xv * 1.5) - 0.9) < 0.1] = 0.3  # keep clamp_'s kinks away from the finite differences
    x, o = Tensor(xv, requires_grad=True), Tensor(ov, requires_grad=True)
    assert gradcheck(lambda a, b: _run(case, a, b), x, o)


@pytest.mark.parametrize("case", CASES)
def test_each_in_place_op_matches_pytorch_in_value_gradient_and_second_gradient(case, rng, torch):
    xv, ov = _inputs(rng)
    x, o = Tensor(xv, requires_grad=True), Tensor(ov, requires_grad=True)
    tx, to = torch.tensor(xv, requires_grad=True), torch.tensor(ov, requires_grad=True)
    out, tout = _run(case, x, o), _run(case, tx, to)
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-12)
    gx, go = autograd.grad(out, [x, o], create_graph=True, allow_unused=True)
    tgx, tgo = torch.autograd.grad(tout, [tx, to], create_graph=True, allow_unused=True)
    np.testing.assert_allclose(gx.data, tgx.detach().numpy(), rtol=1e-10, atol=1e-12)
    if tgo is None:
        assert go is None or not np.any(go.data)
        return
    np.testing.assert_allclose(go.data, tgo.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.linspace(-1, 1, 12).reshape(3, 4)
    second = autograd.grad((gx * Tensor(w)).sum() + (go * Tensor(w.T[::-1].T)).sum(), [x, o], allow_unused=True)
    tsecond = torch.autograd.grad((tgx * torch.tensor(w)).sum() + (tgo * torch.tensor(w.T[::-1].T.copy())).sum(),
                                  [tx, to], allow_unused=True)
    for ours, theirs in zip(second, tsecond):
        if theirs is None:
            assert ours is None or not np.any(ours)
        else:
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_random_fills_replace_every_entry_and_send_no_gradient_to_the_old_value():
    x = Tensor(np.ones(4), requires_grad=True)
    h = x * 2
    np.random.seed(0)
    h.normal_(3.0, 0.1)
    assert abs(h.data.mean() - 3.0) < 0.3
    g = np.random.default_rng(0)
    h.uniform_(5.0, 6.0, generator=g)
    assert ((h.data >= 5) & (h.data < 6)).all()
    (h * x).sum().backward()
    np.testing.assert_array_equal(x.grad, h.data)  # only through the product: the fills cut the old path


def test_detach_in_place_cuts_the_graph_as_pytorch(torch):
    for lib in ("cg", "torch"):
        x = Tensor([1.0, 2.0], requires_grad=True) if lib == "cg" else torch.tensor([1.0, 2.0], requires_grad=True)
        h = x * 2
        h.detach_()
        assert h.is_leaf and not h.requires_grad and h.grad_fn is None
        h += 1  # now an ordinary tensor
        assert h.tolist() == [3.0, 5.0]


def test_masked_fill_in_place_wants_a_boolean_mask_of_a_fitting_shape():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="masked_fill_: mask must be boolean"):
        x.masked_fill_(np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match=r"masked_fill_: mask of shape \(2,\) does not broadcast to \(2, 3\)"):
        x.masked_fill_(np.array([True, False]), 1.0)
    x.masked_fill_(np.array([True, False, True]), -np.inf)  # attention's causal mask
    assert x.data.tolist() == [[-np.inf, 0.0, -np.inf]] * 2


# ---- clear errors ------------------------------------------------------------------------------------------


def test_in_place_ops_keep_the_shape_and_dtype_or_raise():
    x = Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"add_: in place, the result must keep the shape \(3,\), but it has "
                                         r"shape \(2, 3\)"):
        x.add_(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\[\]=: a value of shape \(2,\) cannot be broadcast"):
        x[0:3] = Tensor([1.0, 2.0])
    with pytest.raises(IndexError, match=r"\[\]=: index 5 does not fit a tensor of shape \(3,\)"):
        x[5] = 1.0
    np.testing.assert_array_equal(x.data, [0.0, 0.0, 0.0])
    assert x._version == 0  # nothing changed, nothing counted
    h = Tensor(np.ones(3), requires_grad=True) * 1
    with pytest.raises(ValueError, match=r"\[\]=: a value of shape \(2,\) cannot be broadcast"):
        h[0:3] = Tensor([1.0, 2.0], requires_grad=True)
    assert h.op == "*"  # a refused change leaves the graph as it was
    f32 = Tensor(np.ones(2, np.float32))
    f32 += np.ones(2)  # a float64 operand is cast to the tensor's float32, as PyTorch
    assert f32.dtype == np.float32 and f32.data.tolist() == [2.0, 2.0]


def test_a_read_only_array_cannot_be_changed_in_place():
    x = Tensor(np.ones(3))
    x.data.flags.writeable = False  # e.g. an array numpy handed out read-only
    with pytest.raises(RuntimeError, match="cannot be written in place.*clone"):
        x.add_(1.0)


# ---- Value: a number, immutable like a float ---------------------------------------------------------------


def test_value_in_place_operators_rebind_interior_nodes_and_refuse_leaves():
    p = Value(2.0)
    h = p * 3
    before = h
    h += 1  # a new node, as for a float; the gradient is right
    assert h is not before and before.data == 6.0 and h.data == 7.0
    h.backward()
    assert p.grad == 3.0
    for op in ("+=", "-=", "*=", "/=", "**="):
        with pytest.raises(TypeError, match=re.escape(op) + ": a Value is immutable.*p.data"):
            exec(f"p {op} 0.5", {"p": p})
        with no_grad(), pytest.raises(TypeError, match="immutable"):
            exec(f"p {op} 0.5", {"p": p})
    assert p.data == 2.0


# ---- the version record an op keeps: None (all 0) unless some tensor was changed in place ----------


def test_an_input_whose_counter_was_at_0_when_the_op_ran_is_still_checked():
    """A view gives its base a counter at 0; the op then records no versions (None, all 0), and a
    later in-place change of the base must still stop the backward."""
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    x.reshape(3)  # a view: x now has a version counter, still at 0
    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    y = w * x
    assert y._saw is None  # all at 0: nothing kept
    x.mul_(0.0)  # x needs no grad: changed in place, and counted
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[Tensor of shape \(3,\)\], input 1 "
                                           r"of the '\*' op, is at version 1; expected version 0"):
        y.sum().backward()
    assert w.grad is None


def test_a_weight_after_an_optimizer_step_is_checked_through_the_three_input_linear():
    layer = nn.Linear(2, 3)
    optimizer = nn.optim.SGD(layer.parameters(), lr=0.1)
    x = Tensor(np.ones((4, 2)))
    layer(x).sum().backward()
    optimizer.step()  # the weight and bias are now at version 1
    out = layer(x)
    assert out._saw == (0, 0, 1, 1)
    optimizer.step()  # a step between the forward and the backward
    with pytest.raises(RuntimeError, match=r"input 1 of the 'linear' op, is at version 2; expected version 1"):
        out.sum().backward()

