"""Speed and memory of circuitgrad against its peers, printed as Markdown tables of ratios.

Run everything (one to two minutes on two quiet cores):

    .venv/bin/python -m bench            # or `make bench`, which also installs micrograd
    .venv/bin/python -m bench --quick    # smaller sizes, fewer repeats: a smoke run

or one part: `python -m bench.scalar`, `python -m bench.tensor` (add `--profile` to see where
circuitgrad's Tensor time goes). Absolute times depend on the machine and on what else runs;
compare within one run, as ratios. Each goal of the issues is printed next to its ratio and
marked MET or NOT MET.

This module holds the helpers the benches share: timing with the garbage collector on or off,
running a deeply recursive call on a big stack, headless Chromium for the pages, and Markdown tables.
"""
from __future__ import annotations

import contextlib
import gc
import math
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Iterator, NamedTuple, Optional, Sequence

clock = time.perf_counter


@contextlib.contextmanager
def gc_mode(enabled: bool) -> Iterator[None]:
    """Run a block with Python's cyclic garbage collector on or off, starting from a clean heap."""
    was = gc.isenabled()
    gc.collect()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
        gc.collect()


class GcClock:
    """Seconds the cyclic garbage collector ran while the block ran (via `gc.callbacks`)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = clock()
        else:
            self.seconds += clock() - self._start

    def __enter__(self) -> "GcClock":
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: Any) -> None:
        gc.callbacks.remove(self._callback)


class Timing(NamedTuple):
    step: float     # median seconds of one call
    in_gc: float    # median seconds of that spent in the garbage collector
    collect: float  # median seconds of the collection after a call (gc off only; outside `step`)


def median_time(step: Callable[[], Any], repeat: int, warmup: int = 1, gc_on: bool = True) -> Timing:
    """Median seconds of `step()` over `repeat` calls after `warmup` calls, and of the collector's share.

    With `gc_on=False` the collector is switched off and, because micrograd's graphs are
    reference cycles that only the collector frees, a collection runs between calls outside
    the timer (otherwise memory grows without bound). With it on, garbage left by one call
    is collected during the next ones, as in a training loop.
    """
    times, in_gc, collect = [], [], []
    with gc_mode(gc_on):
        for i in range(warmup + repeat):
            with GcClock() as collector:
                t0 = clock()
                step()
                t1 = clock()
            if not gc_on:
                gc.collect()
            t2 = clock()
            if i >= warmup:
                times.append(t1 - t0)
                in_gc.append(collector.seconds)
                collect.append(t2 - t1)
    return Timing(statistics.median(times), statistics.median(in_gc),
                  statistics.median(collect) if not gc_on else 0.0)


def interleaved(steps: dict, rounds: int, per_round: int, warmup: int = 0,
                before: Optional[dict] = None) -> dict:
    """Median seconds per call of each of `steps` (name -> callable), timed in alternating blocks.

    Round after round, each step runs `per_round` times in turn, so a burst of other load on
    the machine slows all of them alike instead of one. `before[name]()` runs ahead of each of
    that step's blocks, outside the timer (e.g. to set PyTorch's thread count).
    """
    before = before or {}
    for name, step in steps.items():
        if name in before:
            before[name]()
        for _ in range(warmup):
            step()
    times: dict = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            if name in before:
                before[name]()
            record = times[name].append
            for _ in range(per_round):
                t0 = clock()
                step()
                record(clock() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def on_big_stack(fn: Callable[[], Any], recursion_limit: Optional[int] = None,
                 stack_mb: int = 512) -> Any:
    """Call `fn` in a thread with a `stack_mb` MB stack and, if given, a raised recursion limit.

    micrograd's backward sorts the graph recursively: deep graphs need the limit raised, and
    the C stack of the main thread may not hold that many frames. The limit is restored after.
    """
    result: dict = {}

    def run() -> None:
        try:
            result["value"] = fn()
        except BaseException as e:  # handed to the caller's thread below
            result["error"] = e

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size()
    if recursion_limit is not None:
        sys.setrecursionlimit(recursion_limit)
    threading.stack_size(stack_mb * 1024 * 1024)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if "error" in result:
        raise result["error"]
    return result["value"]


def blas_threads() -> Optional[tuple]:
    """(set_threads, default) for numpy's BLAS, through threadpoolctl (which scikit-learn, in the
    `bench` extra, installs), so a row can be timed at 1 BLAS thread and at the default; None
    without threadpoolctl or without a BLAS it can steer."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    if not libraries:
        return None
    default = max(library.num_threads for library in libraries)

    def set_threads(n: int) -> None:
        for library in libraries:
            library.set_num_threads(n)
    return set_threads, default


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def why_no_browser() -> str:
    """Why a page cannot be opened in headless Chromium here ("" when it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium: pip install -e '.[bench]'"
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        return f"needs {CHROMIUM} and {CHROMEDRIVER}: apt-get install chromium chromium-driver"
    return ""


@contextlib.contextmanager
def headless_chromium(width: int, height: int) -> Iterator[Any]:
    """A selenium driver of Debian's Chromium, headless, with a fresh profile removed afterwards."""
    from selenium import webdriver

    profile = tempfile.mkdtemp(prefix="circuitgrad-bench-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", f"--window-size={width},{height}",
                f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; cells are printed with str()."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"

    out = [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def fmt_time(seconds: float) -> str:
    """A duration with a unit that keeps three significant figures readable."""
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def fmt_ratio(x: float) -> str:
    """A speed-up, rounded down so that a ratio just under a goal never prints as the goal."""
    digits = 1 if x >= 10 else 2
    return f"{math.floor(x * 10 ** digits) / 10 ** digits:.{digits}f}x"


def fmt_rate(per_second: float) -> str:
    """Nodes per second, as e.g. `1.23 M/s`."""
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M/s"
    return f"{per_second / 1e3:.0f} k/s"


def heading(text: str) -> None:
    print(f"\n### {text}\n", flush=True)
