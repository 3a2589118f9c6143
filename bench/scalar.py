"""circuitgrad's scalar `autograd.Value` against micrograd 0.1.0, in one run.

    .venv/bin/python -m bench.scalar [--quick]

(a) one training step of micrograd's demo: MLP 2-16-16-1 on 100 two-moons points, max-margin
    loss mean(relu(1 - y * score)) + 1e-4 * sum(p * p), forward + backward + SGD update;
(b) nodes per second to build and to backprop a 100,000-term sum of products;
(c) bytes of memory per node (tracemalloc) for the chain x = x * 1.0001 + 0.0;
(d) the deepest chain y = y + 1 that backprops with Python's default recursion limit.

Each is timed with the garbage collector on (as people run it) and off (fair to micrograd,
whose nodes are reference cycles that only the collector frees). The same code drives both
libraries; circuitgrad's MLP is written inline here exactly like micrograd's `nn.py`.
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import tracemalloc
from typing import Any, Optional

import numpy as np

from circuitgrad import autograd
from bench import (GcClock, clock, fmt_rate, fmt_ratio, fmt_time, gc_mode, heading, median_time,
                   on_big_stack, table, verdict)

try:
    import micrograd.engine
    import micrograd.nn
    MgValue = micrograd.engine.Value
except ImportError:  # `make bench` installs it (the `bench` extra)
    micrograd = None
    MgValue = None

CgValue = autograd.Value
DEEP = 10_000_000  # recursion limit for micrograd's recursive topological sort on big graphs


# ---- the demo MLP, written like micrograd's nn.py on top of autograd.Value -------------------

class Neuron:
    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [CgValue(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = CgValue(0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    def __init__(self, nin: int, nouts: list) -> None:
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple:
    """Two interleaved half circles (like sklearn's make_moons) as float lists, labels -1 / +1."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n_out), np.ones(n - n_out)])
    return X.tolist(), y.tolist()


def demo_loss(model, params, V, X, y):
    """micrograd's demo loss, word for word: SVM max-margin plus L2 regularization."""
    inputs = [list(map(V, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in params)
    return data_loss + reg_loss


def train_step(model, params, V, X, y, lr: float = 0.5) -> float:
    total = demo_loss(model, params, V, X, y)
    for p in params:
        p.grad = 0.0
    total.backward()
    for p in params:
        p.data -= lr * p.grad
    return total.data


def count_micrograd(root) -> int:
    """Nodes in a micrograd graph, counted without recursion."""
    seen, stack = {id(root)}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def count_nodes(root) -> int:
    return count_micrograd(root) if MgValue is not None and isinstance(root, MgValue) else \
        len(autograd.topological_order(root))


# ---- (a) training step -----------------------------------------------------------------------

class _Parameters:
    """An `nn.MLP` called as micrograd's demo calls its model, with the same `parameters()` list."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self, x):
        return self.model(x)

    def parameters(self):
        return list(self.model.parameters())


def _nn_mlp_like(inline: MLP) -> _Parameters:
    """circuitgrad's own `nn.MLP(2, [16, 16, 1])` holding the inline model's weights, so both give one loss."""
    from circuitgrad import nn

    model = nn.MLP(2, [16, 16, 1], activation="relu", output_activation=None)
    for ours, theirs in zip(model.layers, inline.layers):
        for neuron, twin in zip(ours.neurons, theirs.neurons):
            for w, v in zip(neuron.w, twin.w):
                w.data = v.data
            neuron.b.data = twin.b.data
    return _Parameters(model)


def bench_train(quick: bool) -> dict:
    X, y = make_moons(100)
    random.seed(1337)
    cg_model = MLP(2, [16, 16, 1])
    libs = {"circuitgrad": (cg_model, CgValue), "circuitgrad nn.MLP": (_nn_mlp_like(cg_model), CgValue)}
    if micrograd is not None:
        random.seed(1337)  # the same random weights, drawn in the same order
        libs["micrograd"] = (micrograd.nn.MLP(2, [16, 16, 1]), MgValue)
    res: dict = {}
    for name, (model, V) in libs.items():
        params = model.parameters()
        root = demo_loss(model, params, V, X, y)
        res[name, "nodes"] = count_nodes(root)
        res[name, "loss"] = root.data
        del root
        slow = name == "micrograd"
        for gc_on in (True, False):
            repeat = 1 if quick else (5 if slow else 9)
            res[name, gc_on] = median_time(lambda: train_step(model, params, V, X, y), repeat,
                                           warmup=0 if quick and slow else 1, gc_on=gc_on)
    return res


# ---- (b) 100,000-term sum of products --------------------------------------------------------

class LeastValue:
    """The least a scalar engine of this design can be, to show what goal (b) allows.

    One object per node holding its float, its gradient, its two operands and which of the two
    ops made it; `+` and `*` only, the derivative written inline, no op table, no checks, no
    modes, no labels. Any Value whose nodes point to their operands (micrograd's, ours) makes
    the cyclic garbage collector walk every node while a big graph is built, and spends a
    Python-level step per node in the backward walk. Not part of circuitgrad.
    """

    __slots__ = ("data", "grad", "a", "b", "times")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self.a, self.b, self.times = data, 0.0, None, None, False

    def __add__(self, other: "LeastValue") -> "LeastValue":
        out = object.__new__(LeastValue)
        out.data, out.grad, out.a, out.b, out.times = self.data + other.data, 0.0, self, other, False
        return out

    def __mul__(self, other: "LeastValue") -> "LeastValue":
        out = object.__new__(LeastValue)
        out.data, out.grad, out.a, out.b, out.times = self.data * other.data, 0.0, self, other, True
        return out

    def backward(self) -> None:
        order, placed, stack = [], set(), [(self, False)]
        while stack:  # iterative depth-first search: each node after its operands
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in placed:
                placed.add(node)
                stack.append((node, True))
                if node.a is not None:
                    stack.append((node.a, False))
                    stack.append((node.b, False))
        self.grad = 1.0
        for node in reversed(order):
            a, b, g = node.a, node.b, node.grad
            if a is None:
                continue
            if node.times:
                a.grad += g * b.data
                b.grad += g * a.data
            else:
                a.grad += g
                b.grad += g


def build_sum(V, a, b):
    s = V(0.0)
    for x, w in zip(a, b):
        s = s + x * w
    return s


def bench_sum(quick: bool) -> dict:
    n = 20_000 if quick else 100_000
    rng = random.Random(0)
    pairs = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(n)]
    libs = {"circuitgrad": CgValue, "least engine": LeastValue}
    if micrograd is not None:
        libs["micrograd"] = MgValue
    res: dict = {"n": n, "nodes": 2 * n}
    for name, V in libs.items():
        a = [V(p) for p, _ in pairs]
        b = [V(q) for _, q in pairs]
        for gc_on in (True, False):
            builds, backs, build_gc, back_gc = [], [], [], []
            for _ in range(1 if quick else 3):
                with gc_mode(gc_on):
                    with GcClock() as collector:
                        t0 = clock()
                        s = build_sum(V, a, b)
                        builds.append(clock() - t0)
                    build_gc.append(collector.seconds)
                    with GcClock() as collector:
                        backs.append(_timed_backward(s))
                    back_gc.append(collector.seconds)
                    del s
            res[name, gc_on, "build"] = statistics.median(builds)
            res[name, gc_on, "backward"] = statistics.median(backs)
            res[name, gc_on, "build", "gc"] = statistics.median(build_gc)
            res[name, gc_on, "backward", "gc"] = statistics.median(back_gc)
            both = [x + y for x, y in zip(builds, backs)]
            res[name, gc_on, "build + backward"] = statistics.median(both)
            res[name, gc_on, "build + backward", "gc"] = statistics.median([x + y for x, y in zip(build_gc, back_gc)])
        # Check the gradients against the values, so a fast wrong backward cannot pass.
        s = build_sum(V, a, b)
        for leaf in a[:3]:
            leaf.grad = 0.0
        _timed_backward(s)
        if abs(a[0].grad - b[0].data) > 1e-12:
            res[name, "wrong"] = True
        del s, a, b
        gc.collect()
    return res


def _timed_backward(root) -> float:
    def run() -> float:
        t0 = clock()
        root.backward()
        return clock() - t0
    if MgValue is None or not isinstance(root, MgValue):
        return run()
    return on_big_stack(run, recursion_limit=DEEP)  # micrograd's sort recurses once per node


# ---- (c) memory per node ---------------------------------------------------------------------

def chain_memory(V, n: int) -> dict:
    """Bytes allocated by a chain of n steps x = x * 1.0001 + 0.0, before and after a backward."""
    with gc_mode(False):
        tracemalloc.start()
        try:
            x = V(1.0)
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(n):
                x = x * 1.0001 + 0.0
            built = tracemalloc.get_traced_memory()[0]
            _backward_flat(x)
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        nodes = count_nodes(x) - 1  # created by the chain, the starting leaf not counted
        del x
    return {"nodes": nodes, "per_node": (built - before) / nodes, "per_node_bw": (after - before) / nodes,
            "per_step": (built - before) / n, "per_step_bw": (after - before) / n}


def _backward_flat(root) -> None:
    """A backward pass that leaves the same gradients in memory without deep recursion.

    tracemalloc walks the whole Python stack on every allocation, so micrograd's recursive
    sort under tracemalloc takes time quadratic in the depth. For micrograd this runs its own
    per-node `_backward` closures in an order found without recursion, as its `backward` would.
    """
    if isinstance(root, CgValue):
        root.backward()
        return
    order, seen, stack = [], {id(root)}, [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(p._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    root.grad = 1
    for node in reversed(order):
        node._backward()


def bench_memory(quick: bool) -> dict:
    n = 20_000 if quick else 100_000
    res = {"n": n, "circuitgrad": chain_memory(CgValue, n)}
    if micrograd is not None:
        res["micrograd"] = chain_memory(MgValue, n)
    return res


# ---- (d) depth -------------------------------------------------------------------------------

def _chain_backprops(V, n: int) -> bool:
    y = V(0.0)
    for _ in range(n):
        y = y + 1
    try:
        y.backward()
        return True
    except RecursionError:
        return False
    finally:
        del y
        gc.collect()


def deepest(V, lo: int = 100, hi: int = 100_000) -> Optional[int]:
    """The longest chain that backprops, by binary search with the default recursion limit; None if hi works."""
    if _chain_backprops(V, hi):
        return None
    if not _chain_backprops(V, lo):
        return 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _chain_backprops(V, mid):
            lo = mid
        else:
            hi = mid
    return lo


def bench_depth(quick: bool) -> dict:
    n = 100_000 if quick else 1_000_000
    t0 = clock()
    y = x = CgValue(0.0)
    for _ in range(n):
        y = y + 1
    t1 = clock()
    y.backward()
    t2 = clock()
    ok = x.grad == 1.0 and y.data == float(n)
    del x, y
    res = {"n": n, "ok": ok, "build": t1 - t0, "backward": t2 - t1}
    if micrograd is not None:
        with gc_mode(False):  # only the depth matters here; _chain_backprops collects each graph
            res["micrograd"] = deepest(MgValue)
    return res


# ---- report ----------------------------------------------------------------------------------

def _with_gc(t) -> str:
    return f"{fmt_time(t.step)} ({fmt_time(t.in_gc)} in gc)" if t.in_gc else fmt_time(t.step)


def _rate(b: dict, name: str, gc_on: bool, part: str) -> str:
    seconds, in_gc = b[name, gc_on, part], b[name, gc_on, part, "gc"]
    text = f"{fmt_rate(b['nodes'] / seconds)} ({fmt_time(seconds)}"
    return text + (f", {fmt_time(in_gc)} in gc)" if in_gc else ")")


def main(quick: bool = False) -> dict:
    print("\n## Scalar engine: circuitgrad `Value` vs micrograd 0.1.0" + (" (quick)" if quick else ""))
    if micrograd is None:
        print("\nmicrograd: skipped (micrograd not installed; `make bench` installs it)")
    has_mg = micrograd is not None
    goals = []

    heading("(a) training step, MLP 2-16-16-1 on 100 points (forward + backward + SGD update)")
    a = bench_train(quick)
    rows = []
    for gc_on, goal in ((True, 10.0), (False, 3.0)):  # issue 24's goals, for the step through nn.MLP
        mg = a.get(("micrograd", gc_on))
        for name in ("circuitgrad nn.MLP", "circuitgrad"):
            cg = a[name, gc_on]
            ratio = mg.step / cg.step if mg else None
            rows.append([f"gc {'on' if gc_on else 'off'}", name, _with_gc(mg) if mg else "-", _with_gc(cg),
                         fmt_ratio(ratio) if ratio else "-", f">= {goal:g}x" if name != "circuitgrad" else "",
                         (verdict(ratio >= goal) if ratio else "-") if name != "circuitgrad" else ""])
            if name != "circuitgrad":
                goals.append((f"(a) training step through nn.MLP, gc {'on' if gc_on else 'off'}", ratio, goal))
    print(table(["median of steps", "circuitgrad model", "micrograd", "circuitgrad", "speed-up", "goal", ""], rows))
    print("\n`circuitgrad` is micrograd's own nn.py written with circuitgrad's Value; `nn.MLP` is the library's.")
    if has_mg:
        print(f"\nWith gc off, circuitgrad frees each graph by reference counting inside the step; micrograd's "
              f"graph is a web of cycles, collected between steps outside the timer "
              f"({fmt_time(a['micrograd', False].collect)} a step, not counted).")
    nodes = (f"{a['circuitgrad nn.MLP', 'nodes']:,} nodes through nn.MLP (one wx+b gate per neuron; loss "
             f"{a['circuitgrad nn.MLP', 'loss']:.6f}), {a['circuitgrad', 'nodes']:,} for the inline circuitgrad model")
    if has_mg:
        nodes += f", {a['micrograd', 'nodes']:,} for micrograd (it wraps every constant in a Value)"
        same = abs(a["micrograd", "loss"] - a["circuitgrad", "loss"]) < 1e-9
        nodes += f"; first loss {a['circuitgrad', 'loss']:.6f} " + \
            ("in both (same weights)" if same else f"vs micrograd's {a['micrograd', 'loss']:.6f}: MISMATCH")
    print(f"One step builds {nodes}.")

    b = bench_sum(quick)
    heading(f"(b) sum of {b['n']:,} products s = s + a*b ({b['nodes']:,} nodes), nodes per second")
    rows = []
    for gc_on in (True, False):
        for part in ("build", "backward", "build + backward"):
            goal = {"backward": 2.0, "build + backward": 5.0}.get(part) if gc_on else None  # issue 24's goals
            cg = b["circuitgrad", gc_on, part]
            mg = b.get(("micrograd", gc_on, part))
            ratio = mg / cg if mg else None
            rows.append([f"{part}, gc {'on' if gc_on else 'off'}",
                         _rate(b, "micrograd", gc_on, part) if mg else "-", _rate(b, "circuitgrad", gc_on, part),
                         fmt_ratio(ratio) if ratio else "-", f">= {goal:g}x" if goal else "",
                         verdict(ratio >= goal) if ratio and goal else ""])
            if goal:
                goals.append((f"(b) {part}, gc {'on' if gc_on else 'off'}", ratio, goal))
    print(table(["", "micrograd", "circuitgrad", "speed-up", "goal", ""], rows))
    for name in ("circuitgrad", "micrograd"):
        if b.get((name, "wrong")):
            print(f"\nWARNING: {name}'s gradient of the sum is wrong.")
    if has_mg:
        print(f"\nmicrograd's backward ran with the recursion limit raised to {DEEP:,} on a 512 MB thread stack.")
        seconds = b["least engine", True, "build + backward"]
        least = b["micrograd", True, "build + backward"] / seconds
        least_back = b["micrograd", True, "backward"] / b["least engine", True, "backward"]
        print(f"\nThe least engine of this design (`bench.scalar.LeastValue`: one object per node, + and * "
              f"only, derivatives inline, no checks) takes {fmt_time(seconds)} to build and "
              f"backprop the sum with gc on: {fmt_ratio(least)} faster than micrograd (its backward alone "
              f"{fmt_ratio(least_back)}). Any engine whose nodes point to their operands pays what it pays (the "
              "collector walks every node while the graph grows; the backward takes a Python step per node), so "
              "this is about the most goal (b) can reach on this machine.")
        goals.append(("(b) the least engine of this design, backward, gc on (a ceiling, not circuitgrad)",
                      least_back, 2.0))
        goals.append(("(b) the least engine of this design, build + backward, gc on (a ceiling, not circuitgrad)",
                      least, 5.0))

    c = bench_memory(quick)
    heading(f"(c) memory per node, chain x = x * 1.0001 + 0.0 of {c['n']:,} steps (tracemalloc)")
    rows, cg = [], c["circuitgrad"]
    mg = c.get("micrograd")
    for key, what in (("per_node", "bytes per node"), ("per_node_bw", "bytes per node, after backward"),
                      ("per_step", "bytes per step"), ("per_step_bw", "bytes per step, after backward")):
        ratio = cg[key] / mg[key] if mg else None
        rows.append([what, f"{mg[key]:.0f}" if mg else "-", f"{cg[key]:.0f}", f"{ratio:.2f}" if mg else "-"])
    rows.append(["nodes per step", f"{mg['nodes'] / c['n']:.0f}" if mg else "-", f"{cg['nodes'] / c['n']:.0f}", ""])
    print(table(["", "micrograd", "circuitgrad", "circuitgrad / micrograd"], rows))
    if mg:
        goals.append(("(c) memory per node", mg["per_node"] / cg["per_node"], 3.0))
        goals.append(("(c) memory per node, after backward", mg["per_node_bw"] / cg["per_node_bw"], 3.0))

    d = bench_depth(quick)
    heading("(d) deepest chain y = y + 1 that backprops, default recursion limit")
    mg_depth = d.get("micrograd")
    mg_text = "-" if not has_mg else (f"{mg_depth:,} (RecursionError above)" if mg_depth is not None
                                      else "more than 100,000")
    cg_text = (f"{d['n']:,} works (build {fmt_time(d['build'])}, backward {fmt_time(d['backward'])})"
               if d["ok"] else f"{d['n']:,}: WRONG RESULT")
    print(table(["", "deepest chain"], [["micrograd", mg_text], ["circuitgrad", cg_text]]))
    goals_rows = [[what, fmt_ratio(r) if r else "-", f">= {g:g}x" if "memory" not in what else f"<= 1/{g:g}",
                   "-" if not r else "(a ceiling)" if "ceiling" in what else verdict(r >= g)] for what, r, g in goals]
    goals_rows.append(["(d) no depth limit", "", f"{d['n']:,} deep works", verdict(d["ok"])])
    heading("Scalar goals (issue 24); ratios are micrograd / circuitgrad (time or bytes)")
    print(table(["goal", "ratio", "target", ""], goals_rows))
    return {"a": a, "b": b, "c": c, "d": d}  # for the goal summary of `python -m bench` (bench/goals.py)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (a smoke run)")
    main(parser.parse_args().quick)
