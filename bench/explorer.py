"""How long the explorer page takes to write and to open, and what watching training costs.

    .venv/bin/python -m bench.explorer            # 100 / 1,000 / 5,000 / 50,000 nodes; XOR net 10,001 epochs
    .venv/bin/python -m bench.explorer --quick    # 100 and 1,000 nodes; 1,000 epochs

The graphs are a real network traced with `nn.trace_modules`: a scalar MLP 2-h-h-1 (tanh) run
on a few samples, one Value per multiply and add, with a mean squared error; the page opens
collapsed (one box per MLP call). "write" is `viz.explore(...).save(path)`: the page model
(labels, ops, parents and every scalar's value and gradient contribution as typed arrays) and the
file. The 50,000-node row is the explorer's promise: written in <= 10 s, opened in <= 3 s. "first paint" and "drawn" are
read from headless Chromium's performance entries (first-contentful-paint, and the explorer's
own mark after its layout and drawing), from the start of navigation. The live view's cost on
the XOR net 2-10-10-10-1 is the CPU time of training with it against the same training without
it (interleaved rounds), and the time `viz.live` itself spent drawing as a share of the run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import fmt_time, heading, table, verdict
from circuitgrad import nn, viz
from circuitgrad.autograd import Value, topological_order

SIZES = (100, 1_000, 5_000, 50_000)
WRITE_LIMIT, OPEN_LIMIT = 10.0, 3.0  # seconds, at 50,000 nodes
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def traced_mlp(nodes: int) -> tuple:
    """A traced scalar MLP's loss over enough samples for about `nodes` nodes: (loss, trace)."""
    hidden = 3 if nodes <= 200 else 8 if nodes <= 2000 else 16

    def build(samples: int) -> tuple:
        np.random.seed(1)
        model = nn.scalar.MLP(2, [hidden, hidden, 1], activation="tanh")
        X = np.random.randn(samples, 2)
        with nn.trace_modules() as trace:
            outs = [model([Value(float(a)), Value(float(b))]) for a, b in X]
        loss = sum(((o - t) ** 2 for o, t in zip(outs, np.sign(X[:, 0] * X[:, 1]))), Value(0.0)) * (1.0 / samples)
        return loss, trace

    one = len(topological_order(build(1)[0]))
    two = len(topological_order(build(2)[0]))  # the parameters are shared, the rest grows per sample
    return build(max(1, round((nodes - one) / max(two - one, 1)) + 1))


def paint_times(path: Path) -> dict:
    """Milliseconds to first contentful paint and to the explorer's drawn mark, in headless Chromium."""
    from selenium import webdriver

    profile = tempfile.mkdtemp(prefix="circuitgrad-bench-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,700",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    try:
        driver.get(path.as_uri())
        for _ in range(50):  # Chromium reports the paint entry shortly after load
            if driver.execute_script("return performance.getEntriesByType('paint').length"):
                break
            time.sleep(0.05)
        return driver.execute_script(
            "const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');"
            "const m = performance.getEntriesByName('circuitgrad-drawn')[0];"
            "return {paint: p ? p.startTime : null, drawn: m ? m.startTime : null};")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def why_no_paint() -> str:
    """Why the page cannot be opened in a browser here ("" when it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium: pip install -e '.[bench]'"
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        return f"needs {CHROMIUM} and {CHROMEDRIVER}: apt-get install chromium chromium-driver"
    return ""


def can_paint() -> bool:
    return not why_no_paint()


def xor_net():
    np.random.seed(777)
    return nn.Sequential(*(layer for n_in, n_out in ((2, 10), (10, 10), (10, 10), (10, 1))
                           for layer in (nn.Linear(n_in, n_out, dtype=np.float32), nn.Sigmoid())))


def live_overhead(epochs: int, rounds: int, folder: Path) -> dict:
    X, y = nn.data.xor()
    data = (X.astype(np.float32), y.astype(np.float32))
    plain, watched, shares, frames = [], [], [], 0
    for r in range(rounds):  # interleaved, so a busy moment on the machine hits both
        for with_live in (False, True):
            model = xor_net()
            watch = viz.live(path=folder / "xor_training.html") if with_live else None
            t = time.process_time()  # CPU time of this process: other work on the machine counts less
            nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=1.0), data, epochs=epochs,
                   progress=False, metrics=["accuracy"], callbacks=[watch] if watch else None)
            (watched if with_live else plain).append(time.process_time() - t)
            if watch:
                shares.append(watch.overhead)
                frames = len(watch.frames)
    return {"plain": statistics.median(plain), "live": statistics.median(watched),
            "share": statistics.median(shares), "frames": frames}


def main(argv: list = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.explorer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 nodes, 1,000 epochs")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES
    heading("viz: the explorer page (write, open) and the live training view")
    folder = Path(tempfile.mkdtemp(prefix="circuitgrad-explorer-"))
    paint = can_paint()
    try:
        viz.explore(traced_mlp(50)[0]).save(folder / "warm.html")
        rows, sizes_mb, worst_write, worst_drawn = [], [], 0.0, 0.0
        for n in sizes:
            loss, trace = traced_mlp(n)
            t = time.perf_counter()
            path = viz.explore(loss, trace=trace).save(folder / f"graph_{n}.html")
            write = time.perf_counter() - t
            worst_write = max(worst_write, write)
            times = paint_times(path) if paint else {"paint": None, "drawn": None}
            if times["drawn"] is not None:
                worst_drawn = max(worst_drawn, times["drawn"])
            ms = lambda v: "-" if v is None else f"{v:.0f} ms"  # noqa: E731
            sizes_mb.append(path.stat().st_size / 1e6)
            rows.append([len(topological_order(loss)), fmt_time(write), f"{sizes_mb[-1]:.2f} MB",
                         ms(times["paint"]), ms(times["drawn"])])
        print(table(["nodes", "explore + save", "page size", "first paint", "drawn (layout + SVG)"], rows))
        biggest = sizes[-1]
        print(f"\nwrite {biggest:,} nodes <= {WRITE_LIMIT:.0f} s: {fmt_time(worst_write)} "
              f"({sizes_mb[-1]:.1f} MB) {verdict(worst_write <= WRITE_LIMIT)}")
        if paint:
            print(f"open {biggest:,} nodes in Chromium <= {OPEN_LIMIT:.0f} s: {worst_drawn / 1000:.2f} s "
                  f"{verdict(worst_drawn <= OPEN_LIMIT * 1000)}")
        else:
            print(f"open in Chromium: not measured ({why_no_paint()})")
        epochs, rounds = (1_000, 1) if args.quick else (10_001, 3)
        r = live_overhead(epochs, rounds, folder)
        extra = (r["live"] - r["plain"]) / r["plain"]
        print(f"\nXOR net 2-10-10-10-1, {epochs:,} epochs, CPU time (median of {rounds}): {fmt_time(r['plain'])} without, "
              f"{fmt_time(r['live'])} with viz.live ({r['frames']} frames)")
        print(f"training with the live view costs < 10% more: {extra:+.1%} {verdict(extra < 0.10)} "
              f"(its own drawing, timed inside it: {r['share']:.1%} of the run)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
