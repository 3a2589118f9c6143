"""Write an op once: its class in `autograd/ops/` and one `@register` line give it its Tensor method,
its functional names and its row in docs/derivatives.md (issue 24, item 7)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from circuitgrad.autograd import Op, Tensor, functional, gradcheck, ops
from circuitgrad.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent


def _derivatives_script():
    spec = importlib.util.spec_from_file_location("derivatives_page", ROOT / "scripts" / "derivatives.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ToyCube(Op):
    """x^3, an op a test adds."""
    name = "toy_cube"
    derivative = "x: grad * 3 x^2"

    @staticmethod
    def forward(ctx, x):
        return x * x * x

    @staticmethod
    def backward(ctx, grad, out, x):
        return (grad * 3 * x * x,)  # d x^3/dx = 3 x^2


def test_a_registered_toy_op_gets_its_method_its_functions_and_its_row():
    page = _derivatives_script()
    before = page.render()
    ops.register(ToyCube, activation=True)
    try:
        x = Tensor([-1.5, 0.5, 2.0], requires_grad=True)
        y = x.toy_cube()
        assert y.op == "toy_cube" and y.tolist() == [-3.375, 0.125, 8.0]
        y.sum().backward()
        np.testing.assert_allclose(x.grad, [6.75, 0.75, 12.0])
        assert gradcheck(lambda t: t.toy_cube(), Tensor([0.3, -0.7], dtype=np.float64, requires_grad=True))
        assert functional.toy_cube(x).tolist() == y.tolist()  # autograd.functional.toy_cube
        assert F.toy_cube(x).tolist() == y.tolist()           # nn.functional, as an activation
        assert ToyCube in ops.all_ops()
        row = "| `toy_cube` | `ToyCube` | Tensor | `x.toy_cube()`, `toy_cube(x)`, `F.toy_cube(x)` | x: grad * 3 x^2 |"
        assert row in page.render()
    finally:
        ops.unregister(ToyCube)
    # Gone again: nothing of it is left in the real table, the page or the namespaces.
    assert not hasattr(Tensor, "toy_cube") and ToyCube not in ops.all_ops()
    with pytest.raises(AttributeError):
        functional.toy_cube
    with pytest.raises(AttributeError):
        F.toy_cube
    assert page.render() == before == (ROOT / "docs" / "derivatives.md").read_text(encoding="utf-8")


def test_registration_names_are_unique_and_hand_written_methods_are_kept():
    class OtherExp(ToyCube):
        name = "exp"
    with pytest.raises(ValueError, match="'exp' is already the name of Exp"):
        ops.register(OtherExp)
    assert Tensor([0.0]).exp().tolist() == [1.0]
    class Total(ToyCube):
        name = "sum"
    with pytest.raises(ValueError, match="register: Tensor already has 'sum'; give Total another name"):
        ops.register(Total)
    assert Tensor([1.0, 2.0]).sum().item() == 3.0 and "sum" not in ops.registry.names()
    with pytest.raises(ValueError, match="unregister: ToyCube is not registered"):
        ops.unregister(ToyCube)
    # An op whose method takes arguments keeps the method written for them (tensor_math.py).
    assert "leaky_relu" in ops.registry.names() and Tensor([-2.0]).leaky_relu(0.5).tolist() == [-1.0]
    assert not hasattr(Tensor.leaky_relu, "__wrapped_op__") and Tensor.erf.__wrapped_op__ is ops.Erf


def test_every_registered_op_is_a_method_a_function_and_on_the_page():
    page = (ROOT / "docs" / "derivatives.md").read_text(encoding="utf-8")
    for name, entry in ops.registry.registered().items():
        assert callable(getattr(Tensor, name)) and callable(getattr(functional, name)), name
        assert (name in F.__all__) == entry.activation, name
        assert f"`x.{name}(" in page, name
