"""The oracle of the property tests: PyTorch float64, with a bound on what rounding explains.

Where a result is ill-conditioned, two correct float64 programs may disagree by more than 1e-9,
so each comparison also allows what the problem's own conditioning explains: PyTorch runs the
program once more with a relative perturbation point after every op (`v * (1 + d)`, a rounding
of the value; inside the op where PyTorch's derivative is computed from the result, as tanh's
1 - y * y is) and on every wire into an op (a rounding of the gradient sent back along it), and
the sum of |d result / d d| over all points, times a few ulps, bounds how far a rounding in any
op can move the result. That is the first-order rounding-error bound of the computation; a
cancellation such as `(x + 1e10) - 1e10` shows up as a bound far above 1e-9 |result|, while a
well-conditioned result gets no allowance at all.

A domain edge is a nan or an inf anywhere in PyTorch's forward or backward pass. There our
engine may refuse with an ArithmeticError (DomainError, OverflowError) or give the same numbers,
with three differences recognised rather than skipped, each named in `assert_edge_agrees`:
a finite result where PyTorch's formula under- or overflows inside, the sign of an infinite
slope at a signed zero, and gradients after a nan in the forward pass.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from hypothesis import event
from hypothesis.control import currently_in_test_context

F64 = torch.float64
RTOL = 1e-9
ULPS = 16 * np.finfo(float).eps   # a few roundings per perturbation point, for either engine
TINY = 1e-300                     # below this, results are subnormal or underflow to zero
HUGE = 1e100                      # beyond this, one engine's formula may overflow where the other's does not
SLOPE = 0.1                       # leaky_relu's slope in both engines


# ---- the comparison -----------------------------------------------------------------------------------------------

def tolerance(reference: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """1e-9 relative, widened only by the rounding-error bound the problem itself has."""
    return RTOL * np.abs(reference) + ULPS * bound + TINY


def assert_agrees(ours, reference, bound, what: str) -> None:
    ours, reference, bound = (np.asarray(a, dtype=float) for a in (ours, reference, bound))
    allowed = tolerance(reference, bound)
    off = np.abs(ours - reference)
    if np.any(ULPS * bound > RTOL * np.abs(reference)) and currently_in_test_context():
        event(f"{what}: ill-conditioned, allowance from the rounding bound")
    assert np.all(off <= allowed), (f"{what}: ours {ours} PyTorch {reference} differ by {off}, allowed {allowed} "
                                    f"(rounding bound {bound})")


def assert_edge_agrees(ours, reference, bound, what: str, nan_inside: bool = False) -> None:
    """At a domain edge: the same infinities, nan or finite where PyTorch has nan, else as `assert_agrees`.

    nan_inside: a forward value was nan (0 / 0, log(-1)), after which a gradient depends on each
    engine's convention at nan (PyTorch's relu passes the gradient through nan, ours blocks it), so
    only the infinities are compared (nan may stand for one).
    """
    ours, reference = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    bound = np.broadcast_to(np.asarray(bound, dtype=float), reference.shape)
    inf = np.isinf(reference)
    # PyTorch's inf may be an overflow inside its formula (-a / (b * b) with b * b underflowing)
    # where ours, written another way, stays finite: then a huge magnitude of the same sign. An
    # infinite slope at zero takes its sign from the sign of the zero (sqrt at -0.0 is 1 / -0.0 in
    # PyTorch, 0.5 * (-0.0) ** -0.5 = +inf in numpy), so the sign of an infinity is not compared.
    mine, theirs = ours[inf], reference[inf]
    assert np.all(np.isinf(mine) | ((np.sign(mine) == np.sign(theirs)) & (np.abs(mine) > HUGE)) |
                  (np.isnan(mine) & nan_inside)), (ours, reference)
    if np.any(np.isfinite(mine)):
        event("domain edge: ours finite where PyTorch overflows")
    if np.any(np.isinf(mine) & (mine != theirs)):
        event("domain edge: an infinite slope at a signed zero, the other sign")
    if np.any(np.isnan(reference) & np.isfinite(ours)):
        event("domain edge: ours finite where PyTorch gives nan")
    if nan_inside:
        event("domain edge: a nan in the forward pass, gradients follow each engine's nan conventions")
        return
    finite = np.isfinite(reference)
    assert np.all(np.isfinite(ours[finite])), (ours, reference)
    assert_agrees(ours[finite], reference[finite], bound[finite], what)


def assert_edge_value(ours: float, reference: float) -> None:
    """At a domain edge, a non-finite PyTorch result is non-finite here too (inf - inf or inf + inf
    may differ by the sign of a zero inside), or a huge number where PyTorch overflowed."""
    if math.isfinite(reference):
        return  # the nan or inf was inside, on a path the result does not depend on
    assert not math.isfinite(ours) or (not math.isnan(reference) and abs(ours) > HUGE and
                                       math.copysign(1, ours) == math.copysign(1, reference)), (ours, reference)


# ---- PyTorch with perturbation points -----------------------------------------------------------------------------

class _Wire(torch.autograd.Function):
    """The identity forward (exact for inf and nan too); backward scales the gradient by 1 + d."""

    @staticmethod
    def forward(ctx, a, d):
        ctx.save_for_backward(d)
        return a.clone()

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        return grad * (1 + d), None  # differentiable in d, for the second derivative


TORCH_UNARY = {"neg": lambda a: -a, "relu": torch.relu, "abs": torch.abs, "exp": torch.exp, "log": torch.log,
               "sqrt": torch.sqrt, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
               "step": lambda a: (a > 0).to(F64) + 0 * a, "selu": torch.nn.functional.selu,
               "leaky_relu": lambda a: torch.nn.functional.leaky_relu(a, SLOPE)}
# Ops whose backward PyTorch computes from the result (derivatives.yaml: `result`), not the input,
# so a rounding of the result also moves the gradient: the local derivative as a function of it.
FROM_RESULT = {"exp": lambda y: y, "tanh": lambda y: 1 - y * y, "sigmoid": lambda y: y * (1 - y),
               "sqrt": lambda y: 1 / (2 * y)}


class _RoundedResult(torch.autograd.Function):
    """y = f(a) * (1 + d) whose backward reads the rounded y, as PyTorch's backward reads its result."""

    @staticmethod
    def forward(ctx, a, d, name):
        ctx.name = name
        ctx.save_for_backward(a, d)
        return TORCH_UNARY[name](a) * (1 + d)

    @staticmethod
    def backward(ctx, grad):
        a, d = ctx.saved_tensors
        exact = TORCH_UNARY[ctx.name](a)
        return grad * FROM_RESULT[ctx.name](exact * (1 + d)), grad * exact, None


class Perturbed:
    """Builds a PyTorch computation with a perturbation point on every op's output and every wire into an op."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled          # off: the plain computation, watched for non-finite numbers
        self.forward_points: list = []  # d in v * (1 + d): a rounding of a value
        self.wire_points: list = []     # d scaling the gradient sent back along one wire
        self.values: list = []          # every op's output
        self.grads_finite: list = []    # whether each gradient that reached an op's output was finite

    def wire(self, a):
        if not isinstance(a, torch.Tensor) or not self.enabled:
            return a
        d = torch.zeros(a.shape, dtype=F64, requires_grad=True)
        self.wire_points.append(d)
        return _Wire.apply(a, d)

    def out(self, v):
        self.values.append(v.detach())
        if not self.enabled:
            if v.requires_grad:
                v.register_hook(lambda g: self.grads_finite.append(bool(torch.isfinite(g).all())))
            return v
        d = torch.zeros(v.shape, dtype=F64, requires_grad=True)
        self.forward_points.append(d)
        return v * (1 + d)

    def unary(self, name: str, a):
        if self.enabled and name in FROM_RESULT:
            d = torch.zeros(a.shape, dtype=F64, requires_grad=True)
            self.forward_points.append(d)
            return _RoundedResult.apply(a, d, name)
        return self.out(TORCH_UNARY[name](a))

    def finite(self) -> bool:
        return all(bool(torch.isfinite(v).all()) for v in self.values) and all(self.grads_finite)


def torch_result(build, inputs: list) -> dict:
    """Value, gradients and rounding bounds of the scalar `build(P, leaves)` in PyTorch float64.

    `finite` is False at a domain edge: a nan or an inf in any value or gradient on the way.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = Perturbed(enabled=False)
        leaves = [torch.tensor(x, dtype=F64, requires_grad=True) for x in inputs]
        f = build(plain, leaves)
        grads = torch.autograd.grad(f, leaves, allow_unused=True)
        grads = [np.zeros(np.shape(x)) if g is None else g.numpy().copy() for x, g in zip(inputs, grads)]
        result = {"value": f.item(), "grads": grads}
        result["finite"] = plain.finite() and math.isfinite(result["value"]) and all(np.isfinite(g).all() for g in grads)
        result["nan_inside"] = any(bool(torch.isnan(v).any()) for v in plain.values)
        # The same computation with perturbation points, for the rounding bounds.
        P = Perturbed()
        leaves = [torch.tensor(x, dtype=F64, requires_grad=True) for x in inputs]
        f = build(P, leaves)
        grads = torch.autograd.grad(f, leaves, create_graph=True, allow_unused=True)
        points = P.forward_points + P.wire_points
        result["value_bound"] = _sensitivity(f, points)
        result["grad_bounds"] = []
        for x, g in zip(leaves, grads):
            flat = torch.zeros(x.numel()) if g is None else g.reshape(-1)
            bound = [_sensitivity(flat[k], points) for k in range(flat.numel())]
            result["grad_bounds"].append(np.array(bound).reshape(x.shape))
    return result


def _sensitivity(y, points: list) -> float:
    """Sum of |dy/dd| over all perturbation points: how far one rounding per point can move y."""
    if not points or not y.requires_grad:
        return 0.0
    parts = torch.autograd.grad(y, points, retain_graph=True, allow_unused=True)
    # 0 * inf is a relative perturbation of an exact zero, which moves nothing
    return float(sum(torch.nan_to_num(p, nan=0.0).abs().sum() for p in parts if p is not None))


def _binary(op: str, a, b):
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
            "**": lambda: a ** b}[op]()

