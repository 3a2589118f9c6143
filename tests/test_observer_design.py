"""How the house watches a model: through public hooks only. No module reads a trace global, no
layer runs other code while traced, viz never writes into a module, and the umbrella package
loads the engine only (nn, viz and graphviz on first use)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np

from circuitgrad import nn
from circuitgrad.autograd import Tensor

ROOT = Path(__file__).resolve().parents[1]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_no_module_reads_a_trace_global():
    # nn.trace keeps no state at module level: everything lives in the ModuleTrace a block yields.
    tree = _tree(ROOT / "nn" / "trace.py")
    assigned = [t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
    assert assigned == [], f"nn/trace.py has module-level state {assigned}"
    # and nothing but module.py (which re-exports trace_modules) imports it
    for path in sorted((ROOT / "nn").rglob("*.py")):
        if path.name in ("trace.py", "module.py"):
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [a.name for a in node.names]
                assert node.module != "trace" and not (node.module is None and "trace" in names), \
                    f"{path.name} imports nn.trace: a layer must not know whether it is traced"


def test_module_call_runs_hooks_and_nothing_else():
    source = ast.get_source_segment((ROOT / "nn" / "module.py").read_text(encoding="utf-8"),
                                    next(n for n in ast.walk(_tree(ROOT / "nn" / "module.py"))
                                         if isinstance(n, ast.FunctionDef) and n.name == "__call__"))
    assert "trace" not in source and "active" not in source


def test_a_traced_layer_computes_what_an_untraced_one_does():
    np.random.seed(3)
    for model, x in ((nn.MLP(2, [3, 1]), [0.5, -1.0]), (nn.GRU(2, 3, num_layers=2), Tensor(np.random.randn(3, 1, 2)))):
        plain = model(x)
        with nn.trace_modules():
            traced = model(x)
        plain, traced = (p[0] if isinstance(p, tuple) else p for p in (plain, traced))
        np.testing.assert_array_equal(plain.data, traced.data)


def test_viz_never_writes_into_an_object_it_draws():
    for path in sorted((ROOT / "viz").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "object.__setattr__" not in text and "__dict__[" not in text, path.name


def test_importing_the_engine_loads_neither_nn_nor_viz_nor_graphviz():
    # One fresh process, step by step: what each import has loaded so far.
    code = """if True:
        import sys
        def loaded():
            return sorted(m for m in ("circuitgrad.nn", "circuitgrad.viz", "graphviz", "matplotlib") if m in sys.modules)
        import circuitgrad.autograd
        print("autograd", loaded())
        import circuitgrad as cg
        print("circuitgrad", loaded(), "nn" in dir(cg))
        import circuitgrad.cli
        print("cli", loaded())
        cg.viz.draw
        print("viz", loaded())
        cg.nn.Linear
        print("nn", loaded())
    """
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["autograd []", "circuitgrad [] True", "cli []",
                                       "viz ['circuitgrad.viz', 'graphviz']",
                                       "nn ['circuitgrad.nn', 'circuitgrad.viz', 'graphviz']"]
