"""The live circuit's goals (issue 27): page size, training slowdown, and redraw rate when scrubbing.

    .venv/bin/python -m bench.live            # the seed's XOR run, 10,001 epochs, 3 interleaved rounds
    .venv/bin/python -m bench.live --quick    # 1,000 epochs, 1 round

The run is the seed's XOR net (2-10-10-10-1 sigmoid, float32, its own starting weights, BCE, SGD
lr=1) with `viz.live(path=..., loss=nn.BCELoss())`, which records every frame's weights for the
page's sample graph. "page" is the size of the exported file (goal <= 5 MB). "slowdown" is the
CPU time of training with the view against the same training without it, interleaved rounds,
medians (goal <= 20%); the same run with the view of curves and neuron maps only (`viz.live`
without `loss=`) is timed in the same rounds (goal < 10%), with the share of the run it spent
drawing, as timed inside it. "scrub" opens the XOR page, then a page of a 2-120-120-120-37 net (399 neurons;
33,480 wires, the 1,500 largest drawn as 8 SVG paths) in headless Chromium, scrolls the sample's graph into view and
shows every recorded epoch in turn, one per animation frame, from a script (each frame's first showing parses its
neuron maps); frames a second = epochs shown / seconds, read with performance.now (goal >= 10), printed also as
a ratio to the goal (1.00x or more meets it).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import fmt_ratio, fmt_time, headless_chromium, heading, verdict, why_no_browser
from circuitgrad import nn, viz
from circuitgrad.demo import xor_network

PAGE_LIMIT_MB, SLOWDOWN_LIMIT, FPS_GOAL = 5.0, 0.20, 10.0
FRAMES_ONLY_LIMIT = 0.10  # the view without the sample graph (the explorer bench's goal before the graph)


def xor_runs(epochs: int, rounds: int, folder: Path) -> dict:
    """CPU seconds (medians) of the seed's XOR training without a view ("plain"), with the view of
    curves and neuron maps ("frames"), and with the sample's graph too ("live"), interleaved so a busy
    moment on the machine hits all three; the page size and recorded epochs of the last."""
    X, y = nn.data.xor()
    data = (X.astype(np.float32), y.astype(np.float32))
    times: dict = {"plain": [], "frames": [], "live": []}
    shares, page = [], None
    for _ in range(rounds):
        for kind in times:
            model = xor_network()
            watch = None if kind == "plain" else \
                viz.live(path=folder / f"xor_{kind}.html", loss=nn.BCELoss() if kind == "live" else None)
            t = time.process_time()
            nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=1.0), data, epochs=epochs,
                   progress=False, metrics=["accuracy"], callbacks=[watch] if watch else None)
            times[kind].append(time.process_time() - t)
            if kind == "frames":
                shares.append(watch.overhead)
            if kind == "live":
                page = {"mb": (folder / "xor_live.html").stat().st_size / 1e6, "epochs": len(watch.epochs),
                        "frames": len(watch.frames)}
    return dict(page, share=statistics.median(shares), **{k: statistics.median(v) for k, v in times.items()})


SCRUB_JS = """
const done = arguments[arguments.length - 1], n = window.cgLive.epochs().length;
document.getElementById('graph').scrollIntoView();  // the sample's graph on screen, so its painting counts
let i = 0, t0 = null;
function step() {
  if (t0 === null) t0 = performance.now();
  window.cgLive.show(i % n); document.body.offsetHeight;  // the update and its layout, every frame
  i += 1;
  if (i < Math.max(2 * n, 6)) requestAnimationFrame(step); else requestAnimationFrame(() => done({shown: i, ms: performance.now() - t0}));
}
requestAnimationFrame(step);
"""


def wide_page(folder: Path) -> Path:
    """The page of a 2-120-120-120-37 net (399 neurons) trained 8 epochs on 3 spirals, every epoch recorded."""
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 120), nn.Tanh(), nn.Linear(120, 120), nn.Tanh(), nn.Linear(120, 120), nn.Tanh(),
                          nn.Linear(120, 37))
    X, y = nn.data.spirals(60, n_classes=3, seed=0)
    watch = viz.live(path=folder / "wide.html", loss=nn.CrossEntropyLoss(), interval=0.0, budget=1.0, max_frames=8)
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.05), (X, y), epochs=8, progress=False,
           callbacks=[watch])
    return folder / "wide.html"


def scrub_rate(page: Path) -> dict:
    """Epochs shown a second when scrubbing through a page in headless Chromium (each shown twice)."""
    with headless_chromium(1200, 800) as driver:
        driver.set_script_timeout(120)
        driver.get(page.as_uri())
        nodes = driver.execute_script("return document.querySelectorAll('#graph .cg-node').length")
        wires = driver.execute_script("return CG_RUN.graph.layers.reduce((n, s) => n + s.in * s.out, 0)")
        r = driver.execute_async_script(SCRUB_JS)
    return {"fps": 1000 * r["shown"] / r["ms"], "nodes": nodes - 1, "wires": wires, "shown": r["shown"]}


def main(argv: list = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 epochs, 1 round")
    args = parser.parse_args(argv)
    heading("viz: the live circuit (one sample's graph, scrubbed through the recorded epochs)")
    epochs, rounds = (1_000, 1) if args.quick else (10_001, 3)
    folder = Path(tempfile.mkdtemp(prefix="circuitgrad-live-"))
    try:
        r = xor_runs(epochs, rounds, folder)
        slowdown = (r["live"] - r["plain"]) / r["plain"]
        print(f"seed's XOR net 2-10-10-10-1, {epochs:,} epochs, {r['epochs']} recorded epochs of weights")
        print(f"page <= {PAGE_LIMIT_MB:.0f} MB: {r['mb']:.2f} MB {verdict(r['mb'] <= PAGE_LIMIT_MB)}")
        print(f"training slows by <= {SLOWDOWN_LIMIT:.0%}: {fmt_time(r['plain'])} without, {fmt_time(r['live'])} with "
              f"(CPU, median of {rounds}): {slowdown:+.1%} {verdict(slowdown <= SLOWDOWN_LIMIT)}")
        frames_only = (r["frames"] - r["plain"]) / r["plain"]
        print(f"the view without the sample graph costs < {FRAMES_ONLY_LIMIT:.0%}: {fmt_time(r['frames'])}, "
              f"{frames_only:+.1%} {verdict(frames_only < FRAMES_ONLY_LIMIT)} (its own drawing, timed inside it: "
              f"{r['share']:.1%} of the run)")
        why = why_no_browser()
        if why:
            print(f"scrubbing >= {FPS_GOAL:.0f} frames a second: not measured ({why})")
        else:
            for page in (folder / "xor_live.html", wide_page(folder)):
                s = scrub_rate(page)
                print(f"scrubbing a graph of {s['nodes']} neurons and {s['wires']:,} wires >= {FPS_GOAL:.0f} frames a "
                      f"second: {s['fps']:.1f} = {fmt_ratio(s['fps'] / FPS_GOAL)} the goal ({s['shown']} epochs shown) "
                      f"{verdict(s['fps'] >= FPS_GOAL)}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
