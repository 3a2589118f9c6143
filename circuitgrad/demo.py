"""`circuitgrad demo`: the project's main job, run without a browser.

It draws the two CS231n circuits of the seed tutorial forward and backward (circuit and
record style, SVG and PNG, and the backward pass step by step), trains the seed's XOR
network (2-10-10-10-1, sigmoid, BCE, SGD lr=1, 10001 epochs) with a progress bar, and
writes its loss curve, decision boundary and graph to the output folder. This is a
program, so it prints what it does; the library it calls never prints.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from circuitgrad.autograd import Value

from circuitgrad.viz.locale import DEFAULT, check_language, text
from circuitgrad.viz.render import render
from circuitgrad.viz.steps import save_steps

# Losses the seed tutorial prints for its PyTorch run (torch.manual_seed(777)); its printout ends at 5600.
SEED_CURVE = {0: 0.6948984, 100: 0.6931558, 5400: 0.0097038, 5500: 0.0050257, 5600: 0.0032926}
# PyTorch 2.13 from the same seed, measured here, at epochs the tutorial's printout leaves out.
TORCH_CURVE = {1000: 0.693138, 10000: 0.000157}


def cs231n_circuit() -> Value:
    """f = (x + y) * z at x = -2, y = 5, z = -4, after backward: f = -12, grads -4, -4, 3."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f


def sigmoid_neuron() -> Value:
    """The CS231n 2-D neuron 1 / (1 + e^-(w0 x0 + w1 x1 + w2)) built from primitive gates: 0.73."""
    w0, x0, w1, x1, w2 = (Value(v, n) for v, n in ((2.0, "w0"), (-1.0, "x0"), (-3.0, "w1"), (-2.0, "x1"), (-3.0, "w2")))
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.label = "f"
    f.backward()
    return f


# The initial weights PyTorch draws for this net after torch.manual_seed(777), as the seed
# tutorial does (261 numbers, saved once with torch 2.13), so the demo retraces its curve
# without torch installed.
SEED_WEIGHTS = Path(__file__).with_name("data") / "xor_seed777.npz"


def xor_network():
    """2-10-10-10-1 with sigmoids, in float32 like the tutorial, starting from its weights."""
    from circuitgrad import nn

    model = nn.Sequential(*(layer for n_in, n_out in ((2, 10), (10, 10), (10, 10), (10, 1))
                            for layer in (nn.Linear(n_in, n_out, dtype=np.float32), nn.Sigmoid())))
    model.load_state_dict(nn.load(SEED_WEIGHTS))
    return model


def train_xor(epochs: int = 10001, progress: bool = True, callbacks: list = None) -> tuple:
    """The seed's XOR net trained full batch with BCE and SGD lr=1; returns (model, history, X, y)."""
    from circuitgrad import nn

    X, y = nn.data.xor()
    model = xor_network()
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    history = nn.fit(model, nn.BCELoss(), optimizer, (X.astype(np.float32), y.astype(np.float32)),
                     epochs=epochs, progress=progress, metrics=["accuracy"], callbacks=callbacks)
    return model, history, X, y


def _graph_of_one_pass(model, X, y, path: Path, written: Callable[[Path], None]) -> None:
    from circuitgrad import nn
    from circuitgrad.autograd import Tensor

    inputs, targets = Tensor(X.astype(np.float32), label="X"), Tensor(y.astype(np.float32), label="y")
    with nn.trace_modules() as trace:
        loss = nn.BCELoss()(model(inputs), targets)
    model.zero_grad()
    loss.backward()
    for suffix in (".svg", ".png"):  # the whole pass, every wire with its shape, values and gradients, top to
        # bottom: left to right it was 8,254 px wide, cut off in exported HTML; top to bottom about half that
        written(render(loss, path.with_suffix(suffix), trace=trace, precision=4, rankdir="TB"))
    for suffix in (".svg", ".png"):  # each layer as one box, top to bottom: the overview that fits a screen
        written(render(loss, path.with_name(path.name + "_layers").with_suffix(suffix), trace=trace,
                       collapse=True, precision=4, rankdir="TB"))


def main(out: str = "out", epochs: int = 10001, progress: bool = True, echo: Callable[[str], None] = print,
         lang: str = DEFAULT) -> int:
    """Run the demo, writing into `out`; returns 0. Prints each file it writes and the final loss, in `lang`
    ("en" or "ko": the messages, the captions of the steps, the training page and the plots' titles)."""
    check_language(lang)

    def t(key: str, **params: object) -> str:
        return text(lang, "demo." + key, **params)

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    files: list = []

    def written(path: Path) -> None:
        files.append(Path(path))
        echo(t("wrote", path=path))

    echo(t("part1"))
    f = cs231n_circuit()
    x, y, z = (n for n in f.parents[0].parents + f.parents[1:])
    echo(f"   f = (x + y) * z = {f.data:g};  df/dx = {x.grad:g}, df/dy = {y.grad:g}, df/dz = {z.grad:g}")
    for style in ("circuit", "record"):
        for suffix in (".svg", ".png"):
            written(render(f, folder / f"cs231n_{style}{suffix}", style=style))
    neuron = sigmoid_neuron()
    echo(t("neuron", value=neuron.data))
    for suffix in (".svg", ".png"):
        written(render(neuron, folder / f"sigmoid_neuron{suffix}"))
    steps = save_steps(f, folder / "cs231n_steps", fmt="png", lang=lang)
    echo(t("steps", count=len(steps), folder=folder / "cs231n_steps"))
    files.extend(steps)

    echo(t("part2", epochs=epochs))
    start = time.perf_counter()
    from circuitgrad import nn
    from circuitgrad.viz.live import live  # the training as a page: neurons, boundary, loss, one sample's graph
    page = live(path=folder / "xor_training.html", loss=nn.BCELoss(), lang=lang)
    model, history, X, y = train_xor(epochs, progress=progress, callbacks=[page])
    seconds = time.perf_counter() - start
    written(folder / "xor_training.html")
    losses = history["loss"]
    for epoch in sorted(set(SEED_CURVE) | set(TORCH_CURVE) | {len(losses) - 1}):
        if epoch < len(losses):
            seed = t("seed_loss", loss=SEED_CURVE[epoch]) if epoch in SEED_CURVE else \
                t("torch_loss", loss=TORCH_CURVE[epoch]) if epoch in TORCH_CURVE else ""
            echo(t("epoch", epoch=epoch, loss=losses[epoch], seed=seed))
    echo(t("trained", seconds=seconds, us=1e6 * seconds / max(len(losses), 1), accuracy=history['accuracy'][-1]))

    import matplotlib
    matplotlib.use("Agg")
    from circuitgrad.viz import plots

    fig = plots.plot_history(history, title=t("history_title"), log_loss=True)
    fig.savefig(folder / "xor_loss.png", dpi=120)
    written(folder / "xor_loss.png")
    fig = plots.plot_decision_boundary(model, X, y, title=t("boundary_title"))
    fig.savefig(folder / "xor_boundary.png", dpi=120)
    written(folder / "xor_boundary.png")
    _graph_of_one_pass(model, X, y, folder / "xor_graph", written)

    echo(t("done", count=len(files), folder=folder, loss=losses[-1]))
    return 0
