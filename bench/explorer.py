"""How long the explorer page takes to write and to open (what watching training costs is bench.live).

    .venv/bin/python -m bench.explorer            # 100 / 1,000 / 5,000 / 50,000 nodes
    .venv/bin/python -m bench.explorer --quick    # 100 and 1,000 nodes

The graphs are a real network traced with `nn.trace_modules`: a scalar MLP 2-h-h-1 (tanh) run
on a few samples, one Value per multiply and add, with a mean squared error; the page opens
collapsed (one box per MLP call). "write" is `viz.explore(...).save(path)`: the page model
(labels, ops, parents and every scalar's value and gradient contribution as typed arrays) and the
file. The 50,000-node row is the explorer's promise: written in <= 10 s, opened in <= 3 s. "first paint" and "drawn" are
read from headless Chromium's performance entries (first-contentful-paint, and the explorer's
own mark after its layout and drawing), from the start of navigation.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import fmt_time, headless_chromium, heading, table, verdict, why_no_browser
from circuitgrad import nn, viz
from circuitgrad.autograd import Value, topological_order

SIZES = (100, 1_000, 5_000, 50_000)
WRITE_LIMIT, OPEN_LIMIT = 10.0, 3.0  # seconds, at 50,000 nodes


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
    with headless_chromium(1200, 700) as driver:
        driver.get(path.as_uri())
        for _ in range(50):  # Chromium reports the paint entry shortly after load
            if driver.execute_script("return performance.getEntriesByType('paint').length"):
                break
            time.sleep(0.05)
        return driver.execute_script(
            "const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');"
            "const m = performance.getEntriesByName('circuitgrad-drawn')[0];"
            "return {paint: p ? p.startTime : null, drawn: m ? m.startTime : null};")


def main(argv: list = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.explorer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 nodes")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES
    heading("viz: the explorer page (write, open)")
    folder = Path(tempfile.mkdtemp(prefix="circuitgrad-explorer-"))
    paint = not why_no_browser()
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
            print(f"open in Chromium: not measured ({why_no_browser()})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
