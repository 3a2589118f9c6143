"""The goal summary `python -m bench` prints last: each goal of issue 24's "Goals" section as the
measured ratio against its target, pass or miss, from the rows the run already timed (nothing is
timed twice here) and, for `chain_rule`'s length, from the source.
"""
from __future__ import annotations

import inspect
import math
from typing import Any, Optional

import numpy as np

from bench import fmt_ratio, heading, table

NO_MICROGRAD = "not measured (micrograd not installed: pip install -e '.[bench]')"
NO_TORCH = "not measured (torch not installed: make oracle)"
NO_BLAS = "not measured (threadpoolctl cannot set numpy's BLAS threads; pip install -e '.[bench]')"


def chain_rule_lines() -> int:
    """Lines of `autograd.graph.chain_rule` in the source, from `def` to its last line (docstring included)."""
    from circuitgrad.autograd import graph

    return len(inspect.getsource(graph.chain_rule).rstrip("\n").splitlines())


def _at_most(ratio: float, limit: float) -> list:
    """A time ratio (circuitgrad / reference) against an upper limit, rounded up so it never reads as met."""
    return [_up(ratio), f"<= {limit:g}x", "pass" if ratio <= limit else "miss"]


def _up(ratio: float) -> str:
    return f"{math.ceil(ratio * 1000) / 1000:.3f}x"


def _at_least(speedup: float, goal: float) -> list:
    """A speed-up (reference / circuitgrad) against a lower bound, rounded down."""
    return [fmt_ratio(speedup), f">= {goal:g}x", "pass" if speedup >= goal else "miss"]


def _missing(why: str, target: str) -> list:
    return [why, target, "-"]


def _least(times: dict, key: Any, reference: Any, speedup: bool = False) -> str:
    """The same ratio for the least engine of this design (`bench.least_tensor`, `bench.scalar.LeastValue`),
    a ceiling for the goal: "-" where it was not run."""
    if key not in times or reference not in times:
        return "-"
    return fmt_ratio(times[reference] / times[key]) if speedup else _up(times[key] / times[reference])


def rows(scalar: dict, tensor: dict, lines: Optional[int] = None) -> list:
    """[goal, measured, target, pass/miss, the least engine's figure] for every goal, from the scalar
    and tensor benches' results."""
    out = []
    a, b = tensor["a"], tensor["b"]
    f32 = np.float32
    if (f32, "numpy 1 BLAS") in a:
        ratio = a[f32, "circuitgrad 1 BLAS"] / a[f32, "numpy 1 BLAS"]
        out.append(["float32 784-128-64-10 step vs numpy, 1 BLAS thread"] + _at_most(ratio, 1.15) +
                   [_least(a, (f32, "least engine 1 BLAS"), (f32, "numpy 1 BLAS"))])
    elif a["blas"] == 1:
        out.append(["float32 784-128-64-10 step vs numpy, 1 BLAS thread (numpy's default here)"] +
                   _at_most(a[f32, "circuitgrad"] / a[f32, "numpy"], 1.15) +
                   [_least(a, (f32, "least engine"), (f32, "numpy"))])
    else:
        out.append(["float32 784-128-64-10 step vs numpy, 1 BLAS thread"] + _missing(NO_BLAS, "<= 1.15x") + ["-"])
    threads = f" ({a['blas']})" if a["blas"] else ""
    out.append([f"float32 784-128-64-10 step vs numpy, default BLAS threads{threads}"] +
               _at_most(a[f32, "circuitgrad"] / a[f32, "numpy"], 1.15) +
               [_least(a, (f32, "least engine"), (f32, "numpy"))])
    out.append(["XOR epoch through nn vs numpy"] + _at_most(b["circuitgrad nn"] / b["numpy"], 1.5) +
               [_least(b, "least engine", "numpy")])
    if "torch" in b:
        out.append(["XOR epoch through nn, faster than PyTorch (1 thread)"] +
                   _at_least(b["torch"] / b["circuitgrad nn"], 3.0) + [_least(b, "least engine", "torch", True)])
    else:
        out.append(["XOR epoch through nn, faster than PyTorch (1 thread)"] + _missing(NO_TORCH, ">= 3x") + ["-"])

    sa, sb, sc, sd = scalar["a"], scalar["b"], scalar["c"], scalar["d"]
    for gc_on, goal in ((True, 10.0), (False, 3.0)):
        what = f"micrograd's demo step through nn.MLP, faster than micrograd, gc {'on' if gc_on else 'off'}"
        mg = sa.get(("micrograd", gc_on))
        out.append([what] + (_at_least(mg.step / sa["circuitgrad nn.MLP", gc_on].step, goal) if mg else
                             _missing(NO_MICROGRAD, f">= {goal:g}x")) + ["-"])
    for part, goal in (("backward", 2.0), ("build + backward", 5.0)):
        what = f"{sb['n']:,}-term scalar sum, {part} faster than micrograd's, gc on"
        mg = sb.get(("micrograd", True, part))
        out.append([what] + (_at_least(mg / sb["circuitgrad", True, part], goal) if mg else
                             _missing(NO_MICROGRAD, f">= {goal:g}x")) +
                   [_least(sb, ("least engine", True, part), ("micrograd", True, part), True)])
    if "micrograd" in sc:
        share = sc["circuitgrad"]["per_node"] / sc["micrograd"]["per_node"]
        out.append(["memory per node vs micrograd's", f"{share:.2f} (1/{1 / share:.1f})", "<= 1/3",
                    "pass" if share <= 1 / 3 else "miss", "-"])
    else:
        out.append(["memory per node vs micrograd's"] + _missing(NO_MICROGRAD, "<= 1/3") + ["-"])
    quick = "" if sd["n"] >= 1_000_000 else " (a quick run tries fewer)"
    out.append([f"a {sd['n']:,}-deep chain backprops{quick}", "works" if sd["ok"] else "fails",
                "1,000,000 deep works", ("pass" if sd["ok"] else "miss") if not quick else "-", "-"])
    lines = chain_rule_lines() if lines is None else lines
    out.append(["chain_rule's length, loop and accumulate step included", f"{lines} lines", "<= 45 lines",
                "pass" if lines <= 45 else "miss", "-"])
    return out


LEAST = ("The last column is the same figure for the least engine of this design, run beside circuitgrad "
         "(`bench.least_tensor`: nodes holding operands, `fn` and `ctx`, circuitgrad's op classes, one "
         "chain-rule loop, modules called, and only the checks of Linear's width, BCE's targets and shapes and "
         "the optimizer's gradient shapes; `bench.scalar.LeastValue`: + and * with their derivatives inline). "
         "Not part of circuitgrad: a ceiling for any engine of this design on this machine. Where it misses a "
         "goal, no engine of this design meets that goal here; what circuitgrad takes beyond it pays for what "
         "circuitgrad does besides (version counters, grad modes, hooks, dtype rules, the all-or-nothing commit, "
         "the interior gradients the pictures draw).")


def main(scalar: dict, tensor: dict) -> None:
    """Print the summary table (one run's figures)."""
    heading("Goals of issue 24, from this run")
    print(table(["goal", "measured", "target", "", "least engine of this design"], rows(scalar, tensor)))
    print("\n" + LEAST)
