"""Write docs/derivatives.md: every op in circuitgrad's op table, its forward and its derivative.

    python scripts/derivatives.py           # rewrite the page
    python scripts/derivatives.py --check   # exit 1 if the page is stale (the test suite runs this)

The page is made from the op classes themselves (`autograd/ops/`), like PyTorch's
derivatives.yaml: one row per op, one line per input.
"""
from __future__ import annotations

import sys
from pathlib import Path

from circuitgrad.autograd import ops

PAGE = Path(__file__).resolve().parent.parent / "docs" / "derivatives.md"


def render() -> str:
    lines = ["# Every op and its derivative", "",
             "Written by `scripts/derivatives.py` from the op classes in `autograd/ops/`; do not edit by hand.",
             "`grad` is the gradient arriving at the op's result `out`; each input gets the expression after",
             "its name. Ops marked *broadcasts* have their gradients summed back to each input's shape by the",
             "engine. *Value* / *Tensor* say which kind of node has the op.", ""]
    for family in ops.FAMILIES:
        members = [op for op in ops.all_ops() if op.__module__ == family.__name__]
        if not members:
            continue
        title = (family.__doc__ or family.__name__).strip().splitlines()[0]
        lines += [f"## `{family.__name__.rsplit('.', 1)[-1]}.py`: {title}", "",
                  "| op | class | for | derivative |", "|---|---|---|---|"]
        for op in members:
            kinds = [k for k, attr in (("Value", "scalar"), ("Tensor", "forward")) if attr in vars(op)
                     or any(attr in vars(b) for b in op.__mro__[1:-1] if b.__name__ != "Op")]
            notes = []
            if op.broadcasts:
                notes.append("broadcasts")
            if not op.differentiable_backward:
                notes.append("no second derivative")
            derivative = op.derivative.replace("|", "\\|") + (f" *({', '.join(notes)})*" if notes else "")
            lines.append(f"| `{op.name}` | `{op.__name__}` | {' and '.join(kinds)} | {derivative} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list) -> int:
    text = render()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE} is stale: run python scripts/derivatives.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
