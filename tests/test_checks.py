"""autograd/checks.py: "a real number, not a bool", "a whole number", "a float dtype" and "the CPU",
written once and used by autograd, nn and viz (issue 24, item 7)."""
from __future__ import annotations

import ast
import fractions
import re
from pathlib import Path

import numpy as np
import pytest

import circuitgrad as cg
from circuitgrad import nn
from circuitgrad.autograd import Tensor, checks

ROOT = Path(__file__).resolve().parent.parent


def test_a_number_is_real_and_not_a_bool():
    for yes in (2, 0.5, -3.0, np.float32(0.1), np.int64(3), np.float64("inf"), fractions.Fraction(1, 3)):
        assert checks.is_real(yes), yes
    for no in (True, False, np.bool_(True), "1", 1j, None, [1.0], np.array(1.0)):
        assert not checks.is_real(no), no
    assert [checks.is_int(v) for v in (3, np.int64(3), np.uint8(1), True, np.bool_(False), 3.0, "3")] == \
        [True, True, True, False, False, False, False]


def test_the_checks_raise_one_message_naming_the_owner_and_what_came():
    assert checks.real("elu", "alpha", np.float32(0.5)) == 0.5 and checks.integer("topk", "k", np.int64(2)) == 2
    with pytest.raises(TypeError, match=r"^elu: alpha must be a number, got bool True$"):
        checks.real("elu", "alpha", True)
    with pytest.raises(TypeError, match=r"^topk: k must be an int, got float 2.0$"):
        checks.integer("topk", "k", 2.0)


def test_a_float_dtype_is_read_one_way():
    for given in (np.float32, "float32", "torch.float32", np.dtype("float16"), float, cg.float, "double"):
        assert checks.float_dtype("Linear", given).kind == "f"
    # PyTorch's names mean what they mean in PyTorch everywhere, as in Tensor.to: "float" is float32.
    assert checks.float_dtype("Linear", "float") == np.float32 == nn.Linear(2, 2, dtype="float").weight.dtype
    for bad in (np.int64, "int32", "foo", None, bool, object()):
        with pytest.raises(TypeError, match=r"^Linear: dtype must be a float type such as np.float32, got "):
            checks.float_dtype("Linear", bad)
    # The messages users know stay where tests and PyTorch fix them, on the same rule.
    with pytest.raises(TypeError, match="to: dtype must be a float type such as np.float32, got 'int32'"):
        nn.Linear(2, 2).to("int32")
    with pytest.raises(TypeError, match="rand: dtype must be a float dtype"):
        cg.rand(2, dtype=np.int64)


def test_the_only_device_is_the_cpu():
    for cpu in ("cpu", "cpu:0", cg.device("cpu")):
        assert checks.is_cpu(cpu) and checks.cpu("to", cpu) == "cpu"
    with pytest.raises(ValueError, match=r"^device: circuitgrad computes with numpy on the CPU; there is no device 'cuda:1'$"):
        checks.cpu("device", "cuda:1")
    assert nn.Linear(2, 2).to("cpu:0") is not None and Tensor([1.0]).to("cpu:0").tolist() == [1.0]
    with pytest.raises(ValueError, match="there is no device 'mps'"):
        cg.device("mps")


def test_checks_sit_at_the_lowest_floor_and_the_packages_use_them():
    tree = ast.parse((ROOT / "autograd" / "checks.py").read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names} | \
        {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "numbers", "typing", "numpy", "dtypes"}, imported
    users = {p.relative_to(ROOT).parts[0] for folder in ("autograd", "nn", "viz")
             for p in (ROOT / folder).rglob("*.py") if "checks import" in p.read_text(encoding="utf-8")}
    assert users == {"autograd", "nn", "viz"}
    # No hand-written "a number but not a bool" test is left outside checks.py.
    by_hand = re.compile(r"isinstance\((\w+), \(?bool[^)]*\)?\) or not isinstance\(\1, (numbers\.|\(int, np\.integer\)|int\))")
    for folder in ("autograd", "nn", "viz", "circuitgrad"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not by_hand.search(path.read_text(encoding="utf-8")), \
                f"{path.relative_to(ROOT)}: use autograd.checks.is_real / is_int"
