"""How long viz takes to draw a graph of 100, 1,000 and 5,000 nodes, and how that grows.

    .venv/bin/python -m bench.viz_render            # circuit style, 100 / 1,000 / 5,000 nodes
    .venv/bin/python -m bench.viz_render --quick    # 100 and 1,000 only
    .venv/bin/python -m bench.viz_render --style record

The graph is a sum of products of named Values (`a0*b0 + a1*b1 + ...`), built and
backpropagated first. Three phases are timed: building the graph and its gradients,
`viz.draw` (walking the graph into DOT source, pure Python) and Graphviz's `dot` laying it
out and writing SVG. "growth" is the exponent k in time ~ nodes^k between one size and the
next: 1 is linear. `draw` refuses graphs above 400 nodes by default (max_nodes); the bench
lifts that limit to measure what it protects against.
"""
from __future__ import annotations

import argparse
import math
import sys
import time

from circuitgrad.autograd import Value, topological_order
from bench import fmt_time, heading, table

SIZES = (100, 1_000, 5_000)


def sum_of_products(nodes: int) -> Value:
    """a0*b0 + a1*b1 + ...: about `nodes` nodes (4 per term after the first)."""
    terms = max(1, (nodes + 1) // 4)
    total = None
    for k in range(terms):
        p = Value(0.01 * k - 1.0, f"a{k}") * Value(0.5 + 0.001 * k, f"b{k}")
        total = p if total is None else total + p
    return total


def measure(nodes: int, style: str) -> dict:
    from circuitgrad import viz
    from circuitgrad.viz.render import pipe

    t0 = time.perf_counter()
    root = sum_of_products(nodes)
    root.backward()
    t1 = time.perf_counter()
    graph = viz.draw(root, style=style, max_nodes=None)
    t2 = time.perf_counter()
    svg = pipe(graph, "svg")
    t3 = time.perf_counter()
    return {"nodes": len(topological_order(root)), "build": t1 - t0, "draw": t2 - t1, "dot": t3 - t2,
            "total": t3 - t0, "svg_kb": len(svg) / 1024}


def growth(prev: dict, cur: dict, key: str) -> str:
    if prev is None or prev[key] <= 0:
        return "-"
    return f"{math.log(cur[key] / prev[key]) / math.log(cur['nodes'] / prev['nodes']):.2f}"


def main(argv: list = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.viz_render", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 nodes only")
    parser.add_argument("--style", choices=("circuit", "record"), default="circuit")
    args = parser.parse_args(argv)
    from circuitgrad.viz.dot_program import resolve

    if resolve() is None:  # neither `dot` nor graphviz-pure (which viz uses when there is no dot)
        print("bench.viz_render: neither Graphviz's `dot` nor graphviz-pure was found "
              "(apt-get install graphviz, pip install graphviz-pure, or `make bench`)", file=sys.stderr)
        return 1
    sizes = SIZES[:2] if args.quick else SIZES
    heading(f"viz: build, draw and render to SVG ({args.style} style)")
    measure(50, args.style)  # warm up imports and the dot binary
    rows, prev = [], None
    for n in sizes:
        r = measure(n, args.style)
        rows.append([r["nodes"], fmt_time(r["build"]), fmt_time(r["draw"]), fmt_time(r["dot"]),
                     fmt_time(r["total"]), f"{r['total'] / r['nodes'] * 1e3:.2f} ms",
                     growth(prev, r, "draw"), growth(prev, r, "dot"), f"{r['svg_kb']:.0f} KB"])
        prev = r
    print(table(["nodes", "build + backward", "viz.draw (DOT source)", "dot -Tsvg", "total", "per node",
                 "growth draw", "growth dot", "SVG size"], rows))
    print("\ngrowth: k in time ~ nodes^k from the previous row (1 = linear). Graphviz's layout dominates; "
          "above a few hundred nodes the picture is unreadable anyway, hence draw's max_nodes=400 default.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
