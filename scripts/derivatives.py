"""Write docs/derivatives.md: every op in circuitgrad's op table, its forward and its derivative.

    python scripts/derivatives.py           # rewrite the page
    python scripts/derivatives.py --check   # exit 1 if the page is stale (the test suite runs this)

The page is made from the op classes themselves (`autograd/ops/`), like PyTorch's
derivatives.yaml: one row per op, one line per input.
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

from circuitgrad.autograd import Tensor, ops

PAGE = Path(__file__).resolve().parent.parent / "docs" / "derivatives.md"


def _bare(self):  # what a method without arguments looks like
    pass


def render() -> str:
    lines = ["# Every op and its derivative", "",
             "Written by `scripts/derivatives.py` from the op classes in `autograd/ops/`; do not edit by hand.",
             "`grad` is the gradient arriving at the op's result `out`; each input gets the expression after",
             "its name. Ops marked *broadcasts* have their gradients summed back to each input's shape by the",
             "engine. *Value* / *Tensor* say which kind of node has the op. *Called as* is filled for the ops",
             "registered with `@register` (`autograd/ops/registry.py`): the Tensor method, the function in",
             "`circuitgrad.autograd` (and `autograd.functional`) and, for activations, in `nn.functional` (`F`).",
             ""]
    exposed = ops.registry.registered()
    families = [(f"`{family.__name__.rsplit('.', 1)[-1]}.py`: " +
                 (family.__doc__ or family.__name__).strip().splitlines()[0],
                 [op for op in ops.all_ops() if op.__module__ == family.__name__]) for family in ops.FAMILIES]
    outside = [op for op in ops.all_ops() if op.__module__ not in {f.__name__ for f in ops.FAMILIES}]
    families.append(("registered from outside `autograd/ops/`", outside))
    for title, members in families:
        if not members:
            continue
        lines += [f"## {title}", "", "| op | class | for | called as | derivative |", "|---|---|---|---|---|"]
        for op in members:
            kinds = [k for k, attr in (("Value", "scalar"), ("Tensor", "forward")) if attr in vars(op)
                     or any(attr in vars(b) for b in op.__mro__[1:-1] if b.__name__ != "Op")]
            notes = []
            if op.broadcasts:
                notes.append("broadcasts")
            if not op.differentiable_backward:
                notes.append("no second derivative")
            derivative = op.derivative.replace("|", "\\|") + (f" *({', '.join(notes)})*" if notes else "")
            entry = exposed.get(op.name)
            args = ", ..." if len(inspect.signature(getattr(Tensor, op.name, _bare)).parameters) > 1 else ""
            called = "" if entry is None or entry.op is not op else \
                f"`x.{op.name}({args[2:]})`, `{op.name}(x{args})`" + \
                (f", `F.{op.name}(x{args})`" if entry.activation else "")
            lines.append(f"| `{op.name}` | `{op.__name__}` | {' and '.join(kinds)} | {called} | {derivative} |")
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
