"""`python -m bench [--quick]`: the scalar, tensor, CNN and GPT benches, the viz render bench, then the explorer and the live circuit,
and last the goal summary (bench/goals.py: each goal of issue 24 as measured ratio vs target, from this run's rows).

Prints Markdown (paste-able into the README). `--quick` shrinks sizes and repeats for a smoke
run of a few tens of seconds; its figures are rough. Exits 1 when the render bench cannot
run (no Graphviz `dot`).
"""
from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sys
from typing import Optional, Sequence

import numpy as np

from bench import clock, fmt_time


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="circuitgrad against its peers")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (a smoke run)")
    quick = parser.parse_args(argv).quick
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"# circuitgrad benchmark{' (quick)' if quick else ''}\n")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, micrograd {_version('micrograd')}, "
          f"torch {_version('torch')}; {os.cpu_count()} CPUs, load average {load:.2f} at start.")
    if load > 0.5:
        print("Other work is running on this machine: times are noisy (compare ratios, or run again).")
    start = clock()
    # scalar first: torch is imported only by the tensor bench, so its objects do not slow the
    # garbage collector during the scalar timings.
    from bench import scalar
    scalar_results = scalar.main(quick)
    from bench import tensor
    tensor_results = tensor.main(quick)
    from bench import cnn
    cnn.main(quick)
    from bench import gpt
    gpt.main(quick)
    from bench import viz_render
    code = viz_render.main(["--quick"] if quick else [])
    from bench import explorer
    code = explorer.main(["--quick"] if quick else []) or code
    from bench import live
    code = live.main(["--quick"] if quick else []) or code
    from bench import goals
    goals.main(scalar_results, tensor_results)  # the goals, from the figures above
    print(f"\n(whole run: {fmt_time(clock() - start)})")
    return code


if __name__ == "__main__":
    sys.exit(main())
