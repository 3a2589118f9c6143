"""The engine's structure holds: one table of ops, one chain-rule loop, no import circles, one
namespace; and the engine is safe across threads and atomic when a pass fails."""
from __future__ import annotations

import ast
import math
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from circuitgrad.autograd import DomainError, Tensor, Value, no_grad, ops
from circuitgrad.autograd.mode import enable_grad, is_grad_enabled

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"autograd": "circuitgrad.autograd", "nn": "circuitgrad.nn", "viz": "circuitgrad.viz",
            "circuitgrad": "circuitgrad"}


# ---- one table of ops, one loop ------------------------------------------------------------------

def test_the_derivatives_page_lists_every_op_and_is_fresh():
    out = subprocess.run([sys.executable, "scripts/derivatives.py", "--check"], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    page = (ROOT / "docs" / "derivatives.md").read_text(encoding="utf-8")
    for op in ops.all_ops():
        assert f"`{op.__name__}`" in page
        assert op.derivative, f"{op.__name__} has no derivative line"
        assert "forward" in dir(op) or "scalar" in dir(op), f"{op.__name__} has no forward"


def test_every_op_class_in_the_tree_is_in_the_table():
    listed = {op.__name__ for op in ops.all_ops()}
    for path in list((ROOT / "autograd").rglob("*.py")) + list((ROOT / "nn").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", getattr(b, "attr", "")) == "Op"
                                                      for b in node.bases):
                assert node.name in listed, f"{path.relative_to(ROOT)}: op {node.name} is not in autograd/ops"


def test_one_chain_rule_loop():
    callers = []
    for folder in ("autograd", "nn", "viz", "circuitgrad"):
        for path in (ROOT / folder).rglob("*.py"):
            if ".backward(node.ctx" in path.read_text(encoding="utf-8") or \
                    "fn.backward(" in path.read_text(encoding="utf-8"):
                callers.append(path.relative_to(ROOT).as_posix())
    assert callers == ["autograd/graph.py"]


# ---- imports: one way, no circles, one namespace ---------------------------------------------------

def _imports() -> dict:
    """{module: set of circuitgrad modules it imports}, read from the source."""
    graph = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([package] + parts)
            is_pkg = path.name == "__init__.py"
            found = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = name.split(".") if is_pkg else name.split(".")[:-1]
                        base = base[:len(base) - node.level + 1]
                        target = ".".join(base + ([node.module] if node.module else []))
                    else:
                        target = node.module or ""
                    if target.startswith("circuitgrad"):
                        found.add(target)
                        found.update(f"{target}.{a.name}" for a in node.names)
                elif isinstance(node, ast.Import):
                    found.update(a.name for a in node.names if a.name.startswith("circuitgrad"))
            graph[name] = found
    return {m: {t for t in ts if t in graph and t != m} for m, ts in graph.items()}


def test_arrows_point_one_way_and_nothing_imports_the_program():
    graph = _imports()
    for module, targets in graph.items():
        if module.startswith("circuitgrad.autograd"):
            assert not any(t.startswith(("circuitgrad.nn", "circuitgrad.viz")) for t in targets), module
        if module.startswith("circuitgrad.viz"):
            assert not any(t.startswith("circuitgrad.nn") for t in targets), f"{module} imports nn: viz only draws"
        if module.startswith(("circuitgrad.autograd", "circuitgrad.nn", "circuitgrad.viz")):
            assert not targets & {"circuitgrad.cli", "circuitgrad.demo", "circuitgrad.expression"}, module


def test_no_import_circles():
    graph = _imports()
    # A package's __init__ importing its own submodules is how packages work; a cycle between
    # two modules that are not each other's package is a circle.
    def is_parent(a: str, b: str) -> bool:
        return b.startswith(a + ".")

    state: dict = {}

    def visit(module: str, path: list) -> None:
        state[module] = "open"
        for target in graph.get(module, ()):
            if is_parent(target, module) or is_parent(module, target):
                continue
            if state.get(target) == "open":
                cycle = path[path.index(target):] + [target] if target in path else [module, target]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_importing_from_the_repository_root_loads_each_file_once():
    code = ("import sys, circuitgrad, circuitgrad.nn, circuitgrad.viz, circuitgrad.cli\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('autograd', 'nn', 'viz')]\n"
            "files = [getattr(m, '__file__', None) for m in list(sys.modules.values())]\n"
            "files = [f for f in files if f and f.startswith(sys.argv[1])]\n"
            "assert not bad, bad\n"
            "assert len(files) == len(set(files)), 'a file was loaded under two names'\n"
            "print(circuitgrad.__version__, circuitgrad.Value, circuitgrad.Tensor, circuitgrad.no_grad)\n")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Value" in out.stdout
    # The folders themselves refuse to be imported under their bare names (that would load them twice).
    bare = subprocess.run([sys.executable, "-c", "import autograd"], cwd=ROOT, capture_output=True, text=True)
    assert bare.returncode != 0 and "import it as 'circuitgrad.autograd'" in bare.stderr


def test_the_version_is_the_packages():
    import circuitgrad
    assert isinstance(circuitgrad.__version__, str) and circuitgrad.__version__.count(".") == 2
    assert circuitgrad.nn.Linear and circuitgrad.viz.draw and circuitgrad.no_grad is no_grad


# ---- grad mode is per thread ---------------------------------------------------------------------

def test_no_grad_in_one_thread_leaves_the_others_recording():
    inside, go_on = threading.Event(), threading.Event()
    seen = {}

    def other():
        with no_grad():
            inside.set()
            go_on.wait(5)
            seen["other"] = is_grad_enabled()

    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    seen["main"] = is_grad_enabled()
    x = Value(2.0)
    y = x * x  # recorded here although the other thread is inside no_grad
    go_on.set()
    t.join()
    assert seen == {"main": True, "other": False}
    y.backward()
    assert x.grad == 4.0


def test_overlapping_no_grad_blocks_in_two_threads_restore_each_thread():
    # Thread A enters, thread B enters, A leaves, B leaves: with a process-wide switch the order of
    # restores left recording off for good.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def thread_a():
        with no_grad():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def thread_b():
        a_in.wait(5)
        with no_grad():
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert is_grad_enabled()
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
        assert not is_grad_enabled()


# ---- backward is atomic and safe across threads ------------------------------------------------------

def test_a_backward_pass_that_raises_changes_no_leaf():
    x, y = Value(2.0, "x"), Value(0.0, "y")
    f = x * 3 + y.sqrt()
    with pytest.raises(DomainError, match="sqrt"):
        f.backward()
    assert (x.grad, y.grad) == (0.0, 0.0)
    g = x * 3
    g.backward()
    assert x.grad == 3.0  # not 6: the failed pass left nothing behind


def test_a_tensor_backward_that_raises_changes_no_leaf():
    class Fails(ops.Op):
        name = "fails"
        derivative = "x: (raises)"

        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, grad, out, x):
            raise FloatingPointError("fails: on purpose")

    w = Tensor([1.0, 2.0], requires_grad=True)
    w.grad = np.array([5.0, 5.0])
    loss = (w * 2).sum() + Tensor.apply(Fails, w).sum()
    with pytest.raises(FloatingPointError):
        loss.backward()
    np.testing.assert_array_equal(w.grad, [5.0, 5.0])


def test_concurrent_backward_into_a_shared_leaf_loses_no_update():
    w = Value(1.0, "w")
    n = 20_000

    def work():
        for _ in range(n):
            (w * 1.0).backward()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.grad == 2.0 * n


# ---- gradients at the edges, as PyTorch gives them ------------------------------------------------------

def test_tensor_power_zero_has_gradient_one_times_zero_at_zero():
    X = Tensor([0.0, 1.0, 2.0], requires_grad=True)
    (X.reshape(3, 1) ** Tensor(np.arange(3.0))).sum().backward()
    np.testing.assert_array_equal(X.grad, [1.0, 3.0, 5.0])  # PyTorch's figures
    a, b = Tensor(0.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    (a ** b).backward()
    assert a.grad == 0.0 and b.grad == 0.0


@pytest.mark.parametrize("x", [-30.0, -37.0, -40.0, -0.5])
def test_selu_derivative_does_not_cancel_below_zero(x):
    exact = 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717 * math.exp(x)
    v = Value(x)
    v.selu().backward()
    assert v.grad == pytest.approx(exact, rel=1e-12)
    t = Tensor([x], requires_grad=True)
    t.selu().sum().backward()
    assert t.grad[0] == pytest.approx(exact, rel=1e-12)


def test_a_constant_zero_base_has_a_flat_power():
    x = Value(2.0)
    (0.0 ** x).backward()
    assert x.grad == 0.0
    y = Value(2.0)
    (Value(0.0) ** y).backward()
    assert y.grad == 0.0


@pytest.mark.parametrize("seed, error, pattern", [
    (float("nan"), ValueError, "seed gradient must be finite"),
    (float("inf"), ValueError, "seed gradient must be finite"),
    (1 + 2j, TypeError, "must be a real number"),
    ("1", TypeError, "expected a Value or a real number"),
])
def test_bad_value_seeds_are_named(seed, error, pattern):
    x = Value(1.0)
    with pytest.raises(error, match=pattern):
        (x * 2).backward(seed)
    assert x.grad == 0.0


@pytest.mark.parametrize("seed, error, pattern", [
    (np.array([1.0, np.nan]), ValueError, "must be finite"),
    (np.array([1 + 1j, 2.0]), TypeError, "must be real numbers, got complex"),
    ("ab", TypeError, "must be real numbers"),
    (np.ones(3), ValueError, r"grad has shape \(3,\) but the output has shape \(2,\)"),
])
def test_bad_tensor_seeds_are_named(seed, error, pattern):
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(error, match=pattern):
        (w * 2).backward(seed)
    assert w.grad is None


def test_second_derivative_of_a_value():
    x = Value(0.5, "x")
    y = x.tanh()
    y.backward(create_graph=True)
    dx = x.grad
    assert isinstance(dx, Value) and dx.data == pytest.approx(1 - math.tanh(0.5) ** 2)
    x.grad = 0.0
    dx.backward()
    t = math.tanh(0.5)
    assert x.grad == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_zero_d_gradients_are_zero_d_arrays_everywhere():
    from circuitgrad.autograd import grad
    x = Tensor(np.array(2.0), requires_grad=True)
    y = x * x
    z = y.exp()
    z.backward()
    for node in (x, y, z):
        assert type(node.grad) is Tensor and type(node.grad.data) is np.ndarray and node.grad.shape == ()
    y.grad[...] = 1.0  # writable, as a 0-d array is
    (g,) = grad(x * x * x, x)
    assert type(g) is Tensor and g.shape == () and g.item() == 12.0
