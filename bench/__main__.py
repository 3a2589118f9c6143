"""`python -m bench [--quick]`: the scalar bench, the tensor bench, then `bench/viz_render.py` if present.

Prints Markdown (paste-able into the README). `--quick` shrinks sizes and repeats for a smoke
run of a few tens of seconds; its figures are rough. `viz_render.main` is called with
`quick=` if it takes that keyword, with an argv list (`["--quick"]` or `[]`) if it takes one
positional argument, else with no arguments; a non-zero int it returns becomes the exit status.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import inspect
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


def _run_viz_render(quick: bool) -> int:
    """Run bench/viz_render.py's main if the file exists; its return value if an int (0 = fine)."""
    if importlib.util.find_spec("bench.viz_render") is None:
        return 0
    from bench import viz_render

    params = inspect.signature(viz_render.main).parameters
    if "quick" in params:
        code = viz_render.main(quick=quick)
    elif params:
        code = viz_render.main(["--quick"] if quick else [])
    else:
        saved, sys.argv = sys.argv, ["bench.viz_render"]
        try:
            code = viz_render.main()
        finally:
            sys.argv = saved
    return code if isinstance(code, int) else 0


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
    scalar.main(quick)
    from bench import tensor
    tensor.main(quick)
    code = _run_viz_render(quick)
    print(f"\n(whole run: {fmt_time(clock() - start)})")
    return code


if __name__ == "__main__":
    sys.exit(main())
