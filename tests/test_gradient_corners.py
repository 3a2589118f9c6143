"""Gradients where PyTorch has a number (issue 22, item 6): std and var at zero spread, elu, celu,
selu and hardswish at +-inf, and `a ** b` at a = 0 (and the other corners of the table). Each is
compared with PyTorch, values and gradients, and with second gradients where the op is smooth."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import circuitgrad as cg
from circuitgrad.autograd import grad, gradcheck

INF = math.inf


def same(ours, theirs) -> None:
    """Equal to 1e-12, nan where nan, and the same sign of infinity."""
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol=1e-12, atol=1e-12)


def first_and_second(f, values, weights):
    """f(x), d sum(w f)/dx and d sum(d sum(w f)/dx)/dx, from circuitgrad."""
    x = cg.tensor(values, requires_grad=True)
    y = f(x)
    g, = grad((y * cg.tensor(weights)).sum(), x, create_graph=True)
    h, = grad(g.sum(), x)  # an array: this pass was not recorded
    return y.data, g.data, h


def torch_first_and_second(torch, f, values, weights):
    x = torch.tensor(values, requires_grad=True)
    y = f(x)
    g, = torch.autograd.grad((y * torch.tensor(weights)).sum(), x, create_graph=True)
    h, = torch.autograd.grad(g.sum(), x)
    return y.detach().numpy(), g.detach().numpy(), h.numpy()


# ---- std and var where the spread is zero --------------------------------------------------------

def test_std_of_a_constant_has_gradient_zero_as_pytorch():
    for values in ([0.0, 0.0, 0.0], [2.5, 2.5, 2.5, 2.5]):
        x = cg.tensor(values, requires_grad=True)
        x.std().backward()
        assert np.array_equal(x.grad, np.zeros(len(values)))


def test_normalizing_a_constant_row_by_std_plus_eps_trains(torch):
    """The layer-norm habit `(x - mean) / (std + eps)`: the constant row's gradients are 0, not nan."""
    rows, weights = [[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]], [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]

    def norm(x):
        return (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + 1e-5)

    ours = first_and_second(norm, rows, weights)
    theirs = torch_first_and_second(torch, norm, rows, weights)
    # Values and first gradients; not the second: std has a kink (like |x|) at zero spread, where
    # PyTorch's second derivative of this composite is nan and circuitgrad's 0.
    for a, b in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    assert np.isfinite(ours[1]).all()
    np.testing.assert_allclose(ours[2][1], theirs[2][1], atol=1e-9)  # the row with a spread: smooth there


@pytest.mark.parametrize("op", ["std", "var"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": 1, "correction": 0}])
def test_std_and_var_at_zero_spread_match_pytorch_to_second_order(torch, op, kwargs):
    rows = [[3.0, 3.0, 3.0], [0.5, -1.0, 2.0]]
    f = (lambda x: getattr(x, op)(**kwargs))
    shape = np.shape(f(cg.tensor(rows)).data)
    weights = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape).tolist()
    ours = first_and_second(f, rows, weights)
    theirs = torch_first_and_second(torch, f, rows, weights)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_std_gradient_matches_finite_differences_away_from_zero_spread(rng):
    x = cg.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    assert gradcheck(lambda t: t.std(1), x)
    assert gradcheck(lambda t: t.std(), x)
    assert gradcheck(lambda t: t.std(0, keepdim=True, correction=0), x)


def test_std_float32_stays_float32_and_keeps_its_errors():
    x = cg.tensor([1.0, 1.0, 1.0], dtype=np.float32, requires_grad=True)
    y = x.std()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    with pytest.raises(ValueError, match="std: correction=1 leaves no degrees of freedom"):
        cg.tensor([1.0]).std()
    with pytest.raises(TypeError, match="give one of correction="):
        cg.tensor([1.0, 2.0]).std(correction=1, ddof=1)


# ---- activations at +-inf -----------------------------------------------------------------------

ACTIVATIONS = {
    "elu": (lambda x: x.elu(), lambda F, x: F.elu(x)),
    "elu(alpha=2)": (lambda x: x.elu(2.0), lambda F, x: F.elu(x, alpha=2.0)),
    "celu": (lambda x: x.celu(), lambda F, x: F.celu(x)),
    "celu(alpha=0.5)": (lambda x: x.celu(0.5), lambda F, x: F.celu(x, alpha=0.5)),
    "selu": (lambda x: x.selu(), lambda F, x: F.selu(x)),
    "hardswish": (lambda x: x.hardswish(), lambda F, x: F.hardswish(x)),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_at_infinity_match_pytorch(torch, name):
    ours_f, theirs_f = ACTIVATIONS[name]
    values = [-INF, INF, -1000.0, 1000.0, -0.7, 0.4, 2.0, -5.0]
    weights = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    with np.errstate(invalid="ignore"):  # hardswish(-inf) is -inf * 0 = nan, in PyTorch too
        ours = first_and_second(ours_f, values, weights)
    theirs = torch_first_and_second(torch, lambda x: theirs_f(torch.nn.functional, x), values, weights)
    for a, b in zip(ours, theirs):
        same(a, b)
    assert np.isfinite(ours[1]).all() and np.isfinite(ours[2]).all()


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_keep_their_finite_difference_gradient(name, rng):
    x = cg.tensor(rng.uniform(-4, 4, size=7), requires_grad=True)
    assert gradcheck(ACTIVATIONS[name][0], x)


# ---- a ** b at a = 0 and the other corners ------------------------------------------------------

BASES = [0.0, -0.0, 2.0, 0.5, -2.0, -1.0, INF]
EXPONENTS = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, INF, -INF]


def test_pow_table_matches_pytorch(torch):
    """Value, d/da and d/db of a ** b over every pair: 0 with b < 0, = 0, > 0; negative bases with
    integer and non-integer b; infinities. d/db at a = 0, b < 0 is -inf as PyTorch's."""
    pairs = list(itertools.product(BASES, EXPONENTS))
    a_vals = [a for a, _ in pairs]
    b_vals = [b for _, b in pairs]
    a, b = cg.tensor(a_vals, requires_grad=True), cg.tensor(b_vals, requires_grad=True)
    with np.errstate(all="ignore"):
        out = a ** b
        out.sum().backward()
    ta, tb = torch.tensor(a_vals, requires_grad=True), torch.tensor(b_vals, requires_grad=True)
    tout = ta ** tb
    tout.sum().backward()
    for ours, theirs, what in ((out.data, tout.detach().numpy(), "value"), (a.grad, ta.grad.numpy(), "d/da"),
                               (b.grad, tb.grad.numpy(), "d/db")):
        for i, (x, y) in enumerate(zip(ours, theirs)):
            assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-12), \
                f"{what} of {a_vals[i]!r} ** {b_vals[i]!r}: circuitgrad {x!r}, PyTorch {y!r}"


def test_pow_at_zero_base_named_corners():
    with np.errstate(all="ignore"):
        for base, exponent, d_db in ((0.0, -1.0, -INF), (0.0, 0.0, 0.0), (0.0, 2.0, 0.0), (-0.0, -1.0, INF)):
            a, b = cg.tensor(base, requires_grad=True), cg.tensor(exponent, requires_grad=True)
            (a ** b).backward()
            assert b.grad == d_db, (base, exponent, b.grad)


def test_pow_second_gradients_match_pytorch_where_smooth(torch):
    a_vals, b_vals = [0.5, 2.0, 3.0, 1.5], [-1.5, 0.0, 2.5, 3.0]
    a, b = cg.tensor(a_vals, requires_grad=True), cg.tensor(b_vals, requires_grad=True)
    ga, gb = grad((a ** b).sum(), [a, b], create_graph=True)
    haa, hab = grad((ga + gb).sum(), [a, b])
    ta, tb = torch.tensor(a_vals, requires_grad=True), torch.tensor(b_vals, requires_grad=True)
    tga, tgb = torch.autograd.grad((ta ** tb).sum(), [ta, tb], create_graph=True)
    thaa, thab = torch.autograd.grad((tga + tgb).sum(), [ta, tb])
    for ours, theirs in ((ga.data, tga), (gb.data, tgb), (haa, thaa), (hab, thab)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10)
