"""circuitgrad's `autograd.Tensor` against hand-written numpy and PyTorch CPU, in one run.

    .venv/bin/python -m bench.tensor [--quick]
    .venv/bin/python -m bench.tensor --profile [--dtype float64]   # where circuitgrad's time goes in (a)
    .venv/bin/python -m bench.tensor --profile xor                 # ... and in (b)

(a) one SGD training step (lr 0.1) of an MLP 784-128-64-10 with ReLU and softmax cross-entropy
    on a batch of 64, in float32 and float64. circuitgrad is written with Tensor ops (x @ W + b,
    relu, log_softmax, picking each row's label by integer indexing, mean, backward, update in
    place); numpy is the same step with a hand-derived backward, the lower bound; PyTorch runs
    nn.Sequential + F.cross_entropy + optim.SGD with one thread and with its default threads.
(b) one epoch of the seed tutorial's XOR net (2-10-10-10-1, sigmoid, BCE, SGD lr=1, the 4
    samples as one batch) in float32, from PyTorch's `manual_seed(777)` weights (shipped with the
    demo, so no torch is needed), so the loss curve can be checked against the tutorial's.

All three start from the same weights; their losses are compared before anything is timed.
"formulas" is each step as circuitgrad's own op formulas called in straight-line code (no engine).
(a) float32 is timed at 1 BLAS thread too when threadpoolctl (from the `bench` extra) can set it.
PyTorch is optional: without it its rows print "skipped (torch not installed: make oracle)".
"""
from __future__ import annotations

import argparse
import cProfile
import math
import pstats
from typing import Any, Callable, Optional

import numpy as np

from circuitgrad import autograd
from circuitgrad.autograd import Tensor
from circuitgrad.autograd import ops as O
from circuitgrad.autograd.ops.maths import unbroadcast
from bench import blas_threads, clock, fmt_ratio, fmt_time, heading, interleaved, least_tensor, table, verdict

SKIPPED = "skipped (torch not installed: make oracle)"
BATCH, SIZES, LR = 64, (784, 128, 64, 10), 0.1


def load_torch() -> Optional[Any]:
    """torch, imported only when a bench needs it (its import is slow and fills the heap)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


# ---- (a) MLP 784-128-64-10 -------------------------------------------------------------------

def mlp_data(dtype: Any, seed: int = 0) -> tuple:
    """He-initialized weights as [W1, b1, W2, b2, W3, b3] (W is in x out), a batch and its labels."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        params.append((rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype))
        params.append(np.zeros(n_out, dtype=dtype))
    x = rng.random((BATCH, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], size=BATCH)
    return params, x, y


def circuitgrad_mlp(params: list, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    W1, b1, W2, b2, W3, b3 = weights = [Tensor(p.copy(), requires_grad=True) for p in params]
    x, rows = Tensor(x), np.arange(len(y))

    def step() -> float:
        h = (x @ W1 + b1).relu()
        h = (h @ W2 + b2).relu()
        loss = -(h @ W3 + b3).log_softmax(axis=-1)[rows, y].mean()
        loss.backward()
        with autograd.no_grad():
            for w in weights:
                w.data -= LR * w.grad
                w.zero_grad()
        return loss.item()
    return step


def numpy_mlp(params: list, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    W1, b1, W2, b2, W3, b3 = weights = [p.copy() for p in params]
    rows = np.arange(len(y))

    def step() -> float:
        z1 = x @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ W3 + b3
        shifted = z3 - z3.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        loss = -(shifted[rows, y] - np.log(total[:, 0])).mean()
        d3 = e / total  # d loss / d logits = (softmax - onehot) / batch
        d3[rows, y] -= 1
        d3 /= len(y)
        d2 = (d3 @ W3.T) * (z2 > 0)
        d1 = (d2 @ W2.T) * (z1 > 0)
        grads = (x.T @ d1, d1.sum(0), h1.T @ d2, d2.sum(0), h2.T @ d3, d3.sum(0))
        for w, g in zip(weights, grads):
            w -= LR * g
        return float(loss)
    return step


def torch_mlp(torch: Any, params: list, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    dtype = torch.float32 if params[0].dtype == np.float32 else torch.float64
    layers = [torch.nn.Linear(n_in, n_out, dtype=dtype) for n_in, n_out in zip(SIZES, SIZES[1:])]
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    with torch.no_grad():
        for layer, W, b in zip(layers, params[0::2], params[1::2]):
            layer.weight.copy_(torch.from_numpy(W.T.copy()))
            layer.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> float:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def formulas_mlp(params: list, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """(a) as circuitgrad's own op formulas called in straight-line code: each op's `forward`, then
    each `backward` in reverse, then the update, with nothing between them (no nodes, no graph walk,
    no checks). What the engine adds to these calls is what circuitgrad's ratio shows beyond this
    row: a floor for any engine running these formulas. Not part of circuitgrad.
    """
    W1, b1, W2, b2, W3, b3 = weights = [p.copy() for p in params]
    picked, whole = (np.arange(len(y)), y), (None, False)  # Index's ctx; Mean's: (axis, keepdim)
    first, inner = (False, True), (True, True)  # MatMul's ctx: which operands need a gradient
    seed = np.ones((), params[0].dtype)

    def step() -> float:
        m1 = O.MatMul.forward(first, x, W1)
        z1 = O.Add.forward(None, m1, b1)
        h1 = O.ReLU.forward(None, z1)
        m2 = O.MatMul.forward(inner, h1, W2)
        z2 = O.Add.forward(None, m2, b2)
        h2 = O.ReLU.forward(None, z2)
        m3 = O.MatMul.forward(inner, h2, W3)
        z3 = O.Add.forward(None, m3, b3)
        logp = O.LogSoftmax.forward(-1, z3)
        p = O.Index.forward(picked, logp)
        mean = O.Mean.forward(whole, p)
        loss = O.Neg.forward(None, mean)
        g, = O.Neg.backward(None, seed, loss, mean)
        g, = O.Mean.backward(whole, g, mean, p)
        g, = O.Index.backward(picked, g, p, logp)
        g, = O.LogSoftmax.backward(-1, g, logp, z3)
        g, gb3 = O.Add.backward(None, g, z3, m3, b3)
        g, gW3 = O.MatMul.backward(inner, g, m3, h2, W3)
        g, = O.ReLU.backward(None, g, h2, z2)
        g, gb2 = O.Add.backward(None, g, z2, m2, b2)
        g, gW2 = O.MatMul.backward(inner, g, m2, h1, W2)
        g, = O.ReLU.backward(None, g, h1, z1)
        g, gb1 = O.Add.backward(None, g, z1, m1, b1)
        _, gW1 = O.MatMul.backward(first, g, m1, x, W1)
        grads = (gW1, unbroadcast(gb1, b1.shape), gW2, unbroadcast(gb2, b2.shape), gW3, unbroadcast(gb3, b3.shape))
        for w, g in zip(weights, grads):
            w -= LR * g
        return float(loss)
    return step


def bench_mlp(quick: bool) -> dict:
    torch = load_torch()
    threads = torch.get_num_threads() if torch else 0
    blas = blas_threads()
    rounds, per_round, warmup = (4, 5, 3) if quick else (15, 20, 30)
    res: dict = {"threads": threads, "blas": blas[1] if blas else 0}
    for dtype in (np.float32, np.float64):
        params, x, y = mlp_data(dtype)
        steps = {"numpy": numpy_mlp(params, x, y), "circuitgrad": circuitgrad_mlp(params, x, y),
                 "formulas": formulas_mlp(params, x, y), "least engine": least_tensor.mlp_step(params, x, y, LR)}
        before = {}
        if torch:
            steps["torch"] = torch_mlp(torch, params, x, y)
        # Three steps each from the same weights: the losses must agree before timing means anything.
        losses = {name: [step() for _ in range(3)][-1] for name, step in steps.items()}
        res[dtype, "agree"] = max(losses.values()) - min(losses.values()) < (1e-4 if dtype == np.float32 else 1e-9)
        res[dtype, "losses"] = losses
        if torch:
            step = steps.pop("torch")
            for n in dict.fromkeys((1, threads)):  # once if PyTorch's default is one thread
                steps[f"torch {n}"] = step
                before[f"torch {n}"] = lambda n=n: torch.set_num_threads(n)
        if blas and blas[1] > 1 and dtype == np.float32:  # the goal at 1 BLAS thread too (the same steps)
            set_blas, default = blas
            for name in ("numpy", "circuitgrad", "formulas", "least engine"):
                steps[f"{name} 1 BLAS"] = steps[name]
                before[f"{name} 1 BLAS"] = lambda: set_blas(1)
            for name in steps:
                before.setdefault(name, lambda: set_blas(default))
        timed = interleaved(steps, rounds, per_round, warmup, before)
        if torch:
            torch.set_num_threads(threads)
        if blas:
            blas[0](blas[1])
        for name, seconds in timed.items():
            res[dtype, name] = seconds
    return res


# ---- (b) the seed's XOR net ------------------------------------------------------------------

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
XOR_SIZES = (2, 10, 10, 10, 1)


def xor_torch_model(torch: Any) -> Any:
    torch.manual_seed(777)  # the seed tutorial's
    layers = []
    for n_in, n_out in zip(XOR_SIZES, XOR_SIZES[1:]):
        layers += [torch.nn.Linear(n_in, n_out, bias=True), torch.nn.Sigmoid()]
    return torch.nn.Sequential(*layers)


def xor_params() -> list:
    """[W1, b1, ...] with W as in x out: PyTorch's manual_seed(777) weights, as shipped for the demo."""
    from circuitgrad.demo import SEED_WEIGHTS

    saved = np.load(SEED_WEIGHTS)
    return [saved[f"{i}.{kind}"].T.copy() if kind == "weight" else saved[f"{i}.{kind}"].copy()
            for i in (0, 2, 4, 6) for kind in ("weight", "bias")]


def circuitgrad_xor(params: list) -> Callable[[], float]:
    weights = [Tensor(p.copy(), requires_grad=True) for p in params]
    X, Y, not_Y = Tensor(XOR_X), Tensor(XOR_Y), Tensor(1 - XOR_Y)

    def epoch() -> float:
        h = X
        for W, b in zip(weights[0::2], weights[1::2]):
            h = (h @ W + b).sigmoid()
        cost = -(Y * h.log() + not_Y * (1 - h).log()).mean()  # binary cross-entropy
        cost.backward()
        with autograd.no_grad():
            for w in weights:
                w.data -= 1.0 * w.grad
                w.zero_grad()
        return cost.item()
    return epoch


def xor_nn_model(params: list) -> Any:
    """The XOR net as nn.Sequential of nn.Linear and nn.Sigmoid, holding `params`."""
    from circuitgrad import nn

    layers = []
    for i, (n_in, n_out) in enumerate(zip(XOR_SIZES, XOR_SIZES[1:])):
        linear = nn.Linear(n_in, n_out, dtype=np.float32)  # float32 throughout, like the others
        linear.weight.data[...] = params[2 * i].T
        linear.bias.data[...] = params[2 * i + 1]
        layers += [linear, nn.Sigmoid()]
    return nn.Sequential(*layers)


def formulas_xor(params: list) -> Callable[[], float]:
    """(b) through nn's ops (Linear, Sigmoid, BCE: the graph `nn.Sequential` and `nn.BCELoss` record)
    as circuitgrad's op formulas called in straight-line code, then the update: a floor for any
    engine running these formulas, as `formulas_mlp` for (a). Not part of circuitgrad.
    """
    W1, b1, W2, b2, W3, b3, W4, b4 = weights = [p.T.copy() if p.ndim == 2 else p.copy() for p in params]  # nn's (out, in)
    first, inner = (False, True, True), (True, True, True)  # Linear's ctx: which inputs need a gradient
    bce = (False, "mean")  # BinaryCrossEntropy's ctx: the target needs no gradient; mean reduction
    X, Y = XOR_X, XOR_Y
    seed = np.ones((), np.float32)

    def epoch() -> float:
        z1 = O.Linear.forward(first, X, W1, b1)
        s1 = O.Sigmoid.forward(None, z1)
        z2 = O.Linear.forward(inner, s1, W2, b2)
        s2 = O.Sigmoid.forward(None, z2)
        z3 = O.Linear.forward(inner, s2, W3, b3)
        s3 = O.Sigmoid.forward(None, z3)
        z4 = O.Linear.forward(inner, s3, W4, b4)
        s4 = O.Sigmoid.forward(None, z4)
        cost = O.BinaryCrossEntropy.forward(bce, s4, Y)
        g, _ = O.BinaryCrossEntropy.backward(bce, seed, cost, s4, Y)
        g, = O.Sigmoid.backward(None, g, s4, z4)
        g, gW4, gb4 = O.Linear.backward(inner, g, z4, s3, W4, b4)
        g, = O.Sigmoid.backward(None, g, s3, z3)
        g, gW3, gb3 = O.Linear.backward(inner, g, z3, s2, W3, b3)
        g, = O.Sigmoid.backward(None, g, s2, z2)
        g, gW2, gb2 = O.Linear.backward(inner, g, z2, s1, W2, b2)
        g, = O.Sigmoid.backward(None, g, s1, z1)
        _, gW1, gb1 = O.Linear.backward(first, g, z1, X, W1, b1)
        for w, g in zip(weights, (gW1, gb1, gW2, gb2, gW3, gb3, gW4, gb4)):
            w -= 1.0 * g
        return float(cost)
    return epoch


def circuitgrad_nn_xor(params: list) -> Callable[[], float]:
    """The same epoch written as a learner writes it: nn.Sequential, nn.BCELoss, nn.optim.SGD."""
    from circuitgrad import nn

    model = xor_nn_model(params)
    criterion = nn.BCELoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    X, Y = Tensor(XOR_X), Tensor(XOR_Y)

    def epoch() -> float:
        optimizer.zero_grad()
        cost = criterion(model(X), Y)
        cost.backward()
        optimizer.step()
        return cost.item()
    return epoch


def numpy_xor(params: list) -> Callable[[], float]:
    weights = [p.copy() for p in params]
    X, Y = XOR_X, XOR_Y

    def epoch() -> float:
        hs = [X]
        for W, b in zip(weights[0::2], weights[1::2]):
            hs.append(1 / (1 + np.exp(-(hs[-1] @ W + b))))
        p = hs[-1]
        cost = -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).mean()
        d = (p - Y) / len(Y)  # BCE through the last sigmoid: d cost / d z = (p - y) / N
        grads = []
        for i in range(len(weights) // 2 - 1, -1, -1):
            grads += [d.sum(0), hs[i].T @ d]
            if i:
                d = (d @ weights[2 * i].T) * hs[i] * (1 - hs[i])
        for w, g in zip(weights, reversed(grads)):
            w -= 1.0 * g
        return float(cost)
    return epoch


def torch_xor(torch: Any) -> Callable[[], float]:
    model = xor_torch_model(torch)
    criterion = torch.nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1)
    X, Y = torch.from_numpy(XOR_X), torch.from_numpy(XOR_Y)

    def epoch() -> float:
        optimizer.zero_grad()
        cost = criterion(model(X), Y)
        cost.backward()
        optimizer.step()
        return cost.item()
    return epoch


def bench_xor(quick: bool) -> dict:
    torch = load_torch()
    params = xor_params()
    epochs = {"numpy": numpy_xor(params), "circuitgrad": circuitgrad_xor(params),
              "circuitgrad nn": circuitgrad_nn_xor(params),
              "formulas": formulas_xor(params), "least engine": least_tensor.xor_epoch(params, XOR_X, XOR_Y)}
    before = {}
    if torch:  # the goal is against PyTorch at 1 thread (4 samples: more threads only add overhead)
        epochs["torch"] = torch_xor(torch)
        threads = torch.get_num_threads()
        before["torch"] = lambda: torch.set_num_threads(1)
    # The tutorial runs 10,001 epochs and prints the cost of each before its update; so do we,
    # timing all but the first, and keep the first and last costs to compare with it.
    rounds, per_round = (5, 100) if quick else (20, 500)
    res: dict = {"epochs": rounds * per_round + 1}
    costs: dict = {name: [epoch()] for name, epoch in epochs.items()}
    timed = interleaved({name: (lambda e=epoch, c=costs[name]: c.append(e())) for name, epoch in epochs.items()},
                        rounds, per_round, before=before)
    if torch:
        torch.set_num_threads(threads)
    for name in epochs:
        res[name] = timed[name]
        res["first", name], res["last", name] = costs[name][0], costs[name][-1]
    return res


# ---- report ----------------------------------------------------------------------------------

FORMULAS = ("\n\"formulas\" is the same step with the engine taken away: circuitgrad's own op formulas called "
            "in straight-line code, forward then backward, then the update (`bench.tensor.formulas_mlp`, "
            "`formulas_xor`). What circuitgrad takes beyond it is what its engine adds (nodes, the graph walk, "
            "checks, modules); the formulas' own cost is the floor for any engine of this design.")

LEAST = (" \"least engine\" is the same step through the least engine of this design (`bench.least_tensor`: "
         "nodes, circuitgrad's op classes, one chain-rule loop, modules, and only the checks a learner relies on): "
         "a ceiling for any engine of this design, not part of circuitgrad.")


def main(quick: bool = False) -> dict:
    """Print the tensor tables; return the measurements ({"a": ..., "b": ...}) for the goal summary."""
    print("\n## Tensor engine: circuitgrad `Tensor` vs hand-written numpy and PyTorch CPU" +
          (" (quick)" if quick else ""))
    a = bench_mlp(quick)
    threads = a["threads"]
    heading(f"(a) training step, MLP 784-128-64-10, batch {BATCH}, SGD (median of steps)")
    rows = []
    goals = []
    for dtype in (np.float32, np.float64):
        for blas in ("", " 1 BLAS"):
            if (dtype, "numpy" + blas) not in a:
                continue
            cg, npy = a[dtype, "circuitgrad" + blas], a[dtype, "numpy" + blas]
            ratio = cg / npy
            shown = f"{math.ceil(ratio * 1000) / 1000:.3f}x"  # rounded up: never prints as the goal when above it
            torch_cells = [SKIPPED] if not threads else \
                [fmt_time(a[dtype, f"torch {n}"]) for n in dict.fromkeys((1, threads))] + \
                [fmt_ratio(a[dtype, "torch 1"] / cg)]
            limit = 1.15 if dtype == np.float32 else None  # the goal is for float32
            floor = a[dtype, "formulas" + blas] / npy
            what = np.dtype(dtype).name + (", 1 BLAS thread" if blas else f", {a['blas']} BLAS threads"
                                            if a["blas"] else "")
            least = a[dtype, "least engine" + blas] / npy
            rows.append([what, fmt_time(npy), fmt_time(cg), shown, f"<= {limit}x" if limit else "",
                         verdict(ratio <= limit) if limit else "", f"{floor:.3f}x", f"{least:.3f}x"] +
                        (torch_cells if not blas else [""] * len(torch_cells)))
            if limit:
                goals.append((f"(a) MLP step {what}: circuitgrad / numpy", shown, f"<= {limit}x",
                              verdict(ratio <= limit)))
                goals.append((f"(a) MLP step {what}: formulas / numpy (a floor, not circuitgrad)",
                              f"{floor:.3f}x", f"<= {limit}x", "(a floor)"))
    torch_heads = ["PyTorch"] if not threads else \
        [f"PyTorch {n} thread{'s' if n > 1 else ''}" for n in dict.fromkeys((1, threads))] + \
        ["PyTorch 1 thread / circuitgrad"]
    print(table(["dtype", "numpy (by hand)", "circuitgrad", "circuitgrad / numpy", "goal", "",
                 "formulas / numpy", "least engine / numpy"] + torch_heads, rows))
    print(FORMULAS + LEAST)
    if not a["blas"]:
        print("\n1 BLAS thread: not measured (needs threadpoolctl, which scikit-learn brings: pip install -e '.[bench]')")
    for dtype in (np.float32, np.float64):
        losses = ", ".join(f"{k} {v:.6f}" for k, v in a[dtype, "losses"].items())
        print(f"\n{np.dtype(dtype).name}: loss after 3 steps from the same weights: {losses}"
              + ("" if a[dtype, "agree"] else "  <- MISMATCH"))

    b = bench_xor(quick)
    heading(f"(b) one epoch of the XOR net 2-10-10-10-1 (sigmoid, BCE, SGD lr=1, float32), "
            f"median of {b['epochs'] - 1:,} epochs")
    has_torch = "torch" in b
    cg = b["circuitgrad nn"]
    ratio = b["torch"] / cg if has_torch else None
    vs_numpy = cg / b["numpy"]
    floor, least = b["formulas"], b["least engine"]
    print(table(["numpy (by hand)", "circuitgrad Tensor ops", "circuitgrad nn", "PyTorch 1 thread", "nn / numpy",
                 "PyTorch / nn", "goal", "", "formulas", "least engine"],
                [[fmt_time(b["numpy"]), fmt_time(b["circuitgrad"]), fmt_time(cg),
                  fmt_time(b["torch"]) if has_torch else SKIPPED, f"{vs_numpy:.2f}x",
                  fmt_ratio(ratio) if ratio else "-", "nn <= 1.5x numpy, >= 3x faster than PyTorch",
                  verdict(vs_numpy <= 1.5 and (ratio is None or ratio >= 3.0)),
                  f"{fmt_time(floor)} ({floor / b['numpy']:.2f}x numpy" +
                  (f", PyTorch / it {fmt_ratio(b['torch'] / floor)})" if has_torch else ")"),
                  f"{fmt_time(least)} ({least / b['numpy']:.2f}x numpy" +
                  (f", PyTorch / it {fmt_ratio(b['torch'] / least)})" if has_torch else ")")]]))
    print(FORMULAS + LEAST)
    names = [n for n in ("circuitgrad", "circuitgrad nn", "formulas", "least engine", "numpy", "torch")
             if ("first", n) in b]
    print(f"\nCost at epoch 0 and {b['epochs'] - 1:,} from PyTorch's manual_seed(777) weights: " +
          "; ".join(f"{n} {b['first', n]:.6f} -> {b['last', n]:.6g}" for n in names) +
          (" (the seed tutorial prints 0.694898 at epoch 0)" if not quick else ""))
    goals.append(("(b) XOR epoch through nn: circuitgrad / numpy", f"{vs_numpy:.2f}x", "<= 1.5x",
                  verdict(vs_numpy <= 1.5)))
    goals.append(("(b) XOR epoch through nn: PyTorch 1 thread / circuitgrad", fmt_ratio(ratio) if ratio else "-",
                  ">= 3x", verdict(ratio >= 3.0) if ratio else SKIPPED))
    goals.append(("(b) XOR epoch: formulas / numpy (a floor, not circuitgrad)", f"{floor / b['numpy']:.2f}x",
                  "<= 1.5x", "(a floor)"))
    if has_torch:
        goals.append(("(b) XOR epoch: PyTorch / formulas (a ceiling, not circuitgrad)",
                      fmt_ratio(b["torch"] / floor), ">= 3x", "(a ceiling)"))
    heading("Tensor goals")
    print(table(["goal", "ratio", "target", ""], goals))
    return {"a": a, "b": b}


def profile(kind: str = "mlp", dtype: Any = np.float32) -> None:
    """Where circuitgrad's time goes: forward / backward / update split, then cProfile's top 15.

    `kind` is "mlp" for (a) (in `dtype`) or "xor" for (b) (float32, as the tutorial).
    """
    if kind == "xor":
        params = xor_params()
        weights = [Tensor(p.copy(), requires_grad=True) for p in params]
        X, Y, not_Y = Tensor(XOR_X), Tensor(XOR_Y), Tensor(1 - XOR_Y)
        lr, steps, title = 1.0, 3000, "XOR 2-10-10-10-1 epoch, float32"

        def forward() -> Tensor:
            h = X
            for W, b in zip(weights[0::2], weights[1::2]):
                h = (h @ W + b).sigmoid()
            return -(Y * h.log() + not_Y * (1 - h).log()).mean()
    else:
        params, x, y = mlp_data(dtype)
        W1, b1, W2, b2, W3, b3 = weights = [Tensor(p.copy(), requires_grad=True) for p in params]
        xt, rows = Tensor(x), np.arange(len(y))
        lr, steps, title = LR, 300, f"MLP 784-128-64-10 step, batch {BATCH}, {np.dtype(dtype).name}"

        def forward() -> Tensor:
            h = (xt @ W1 + b1).relu()
            h = (h @ W2 + b2).relu()
            return -(h @ W3 + b3).log_softmax(axis=-1)[rows, y].mean()
    parts = np.zeros(3)

    def step() -> None:
        t0 = clock()
        loss = forward()
        t1 = clock()
        loss.backward()
        t2 = clock()
        with autograd.no_grad():
            for w in weights:
                w.data -= lr * w.grad
                w.zero_grad()
        parts[:] += (t1 - t0, t2 - t1, clock() - t2)

    for _ in range(steps // 10):
        step()
    parts[:] = 0
    for _ in range(steps):
        step()
    total = parts.sum()
    print(f"\n## circuitgrad {title}: {steps} steps\n")
    print(table(["part", "per step", "share"],
                [[name, fmt_time(t / steps), f"{100 * t / total:.0f}%"]
                 for name, t in zip(("forward", "backward", "update"), parts)]))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    print("\ncProfile, top 15 by own time (tottime); times are inflated by the profiler:\n")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--profile", nargs="?", const="mlp", choices=["mlp", "xor"],
                        help="profile circuitgrad's MLP step (default) or XOR epoch instead of comparing")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="for --profile mlp")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, np.dtype(args.dtype))
    else:
        main(args.quick)
