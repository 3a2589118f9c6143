"""Arithmetic typed on the command line, built into a graph of `Value`s without `eval`.

`build("(x + y) * z", {"x": -2, "y": 5, "z": -4})` walks Python's syntax tree and accepts
only numbers, the given names, `+ - * / **`, unary minus, parentheses and calls of the
engine's functions. Anything else is refused before anything runs, with an
`ExpressionError` that names the construct. Names are any Python identifier (`가중치`, `é`),
folded to NFKC as Python folds them (`ｘ` is `x`). Numbers are floats, so `9**9**9**9` overflows
at once with a clear error instead of building a huge integer.
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Any, Union

from circuitgrad.autograd import Value
from circuitgrad.autograd.checks import is_real

# One-argument functions of a Value, by the name typed on the command line.
FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "step", "selu", "leaky_relu")
MAX_LENGTH = 5000  # characters; longer text is not a diagram anyone can read

_BINARY = {ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
           ast.Div: ("/", operator.truediv), ast.Pow: ("**", operator.pow)}
Built = Union[Value, float]


def _say(key: str, **params: Any) -> Any:
    """The words of an error, in viz/locales/<lang>.json (imported on the first error, not on every run)."""
    from circuitgrad.viz.locale import Message

    return Message("expr." + key, **params)


def _allowed() -> Any:
    return _say("allowed", functions=", ".join(FUNCTIONS))


class ExpressionError(ValueError):
    """The expression uses something outside the whitelist, or cannot be computed.

    Its words are a `viz.locale.Message`: `str(e)` is English, `e.text("ko")` Korean.
    """

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ("en", "ko")."""
        return self.message.text(lang) if hasattr(self.message, "text") else str(self.message)


def build(text: str, values: dict) -> Value:
    """Parse `text` and compute it on leaves `Value(values[name], label=name)`.

    Returns the output Value (a lone number becomes a leaf of its own). Raises
    ExpressionError naming the problem: a syntax error, a construct outside the
    whitelist, an unknown name, an overflow or a value outside a function's domain.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(_say("empty"))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_say("too_long", length=len(text), limit=MAX_LENGTH))
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        where = _say("at_column", column=e.offset) if e.offset else ""
        shown = text.strip() if len(text.strip()) <= 60 else text.strip()[:57] + "..."
        raise ExpressionError(_say("cannot_parse", shown=repr(shown), reason=e.msg, where=where)) from None
    except (ValueError, RecursionError, MemoryError) as e:  # e.g. a 5000-digit integer literal
        raise ExpressionError(_say("cannot_parse_any", reason=e)) from None
    leaves = {name: Value(float(v), name) for name, v in values.items()}
    try:
        result = _Builder(leaves).visit(tree.body)
    except RecursionError:
        raise ExpressionError(_say("too_deep")) from None
    except OverflowError as e:
        raise ExpressionError(_say("overflow", reason=e)) from None
    except ArithmeticError as e:  # autograd's DomainError (log of 0, ...) and ZeroDivisionError
        raise ExpressionError(_say("domain", reason=e)) from None
    return result if isinstance(result, Value) else Value(result, _number(result).strip("()"))


def used_names(text: str) -> set:
    """The names `text` uses, as Python reads them (folded to NFKC: `ｘ` is `x`); empty if it does not parse."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _number(x: float) -> str:
    text = str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"
    return f"({text})" if x < 0 else text


def _finite(x: Any, what: str) -> float:
    if isinstance(x, complex):
        raise ExpressionError(_say("not_real", what=what))
    if not math.isfinite(x):
        raise ExpressionError(_say("overflows", what=what))
    return x


class _Builder(ast.NodeVisitor):
    """Computes each allowed node; `generic_visit` refuses every other kind."""

    def __init__(self, leaves: dict) -> None:
        self.leaves = leaves

    def generic_visit(self, node: ast.AST) -> Any:
        what = {ast.Attribute: "attribute", ast.Subscript: "indexing", ast.Lambda: "lambda",
                ast.Compare: "comparison", ast.BoolOp: "and_or", ast.IfExp: "if_else",
                ast.NamedExpr: "assignment", ast.Starred: "unpacking"}.get(type(node))
        segment = f" ({ast.unparse(node)[:40]})" if isinstance(node, ast.expr) else ""
        kind = _say("what_" + what) if what else _say("what_other", kind=type(node).__name__)
        raise ExpressionError(_say("not_allowed", what=kind, segment=segment, allowed=_allowed()))

    def visit_Constant(self, node: ast.Constant) -> float:
        v = node.value
        if not is_real(v):
            raise ExpressionError(_say("not_a_number", value=repr(v), allowed=_allowed()))
        try:
            number = float(v)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ExpressionError(_say("too_large", number=ast.unparse(node)[:20]))
        return number

    def visit_Name(self, node: ast.Name) -> Value:
        if node.id in self.leaves:
            return self.leaves[node.id]
        if node.id in FUNCTIONS:
            raise ExpressionError(_say("is_function", name=node.id))
        raise ExpressionError(_say("no_value", quoted=repr(node.id), name=node.id))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Built:
        if isinstance(node.op, ast.USub):
            return -self.visit(node.operand)
        if isinstance(node.op, ast.UAdd):
            return self.visit(node.operand)
        symbol = "not" if isinstance(node.op, ast.Not) else "~"
        raise ExpressionError(_say("operator", symbol=symbol, allowed=_allowed()))

    def visit_BinOp(self, node: ast.BinOp) -> Built:
        op = _BINARY.get(type(node.op))
        if op is None:
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                      ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(_say("operator", symbol=symbol, allowed=_allowed()))
        symbol, fn = op
        a, b = self.visit(node.left), self.visit(node.right)
        if isinstance(a, Value) or isinstance(b, Value):
            return fn(a, b)  # a number on one side stays inside the gate: x + 1 is one "+1" gate
        try:
            return _finite(fn(a, b), f"{_number(a)} {symbol} {_number(b)}")
        except ZeroDivisionError:
            raise ExpressionError(_say("division_by_zero", what=f"{_number(a)} {symbol} {_number(b)}")) from None
        except OverflowError:
            raise ExpressionError(_say("overflows", what=f"{_number(a)} {symbol} {_number(b)}")) from None

    def visit_Call(self, node: ast.Call) -> Built:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            called = ast.unparse(node.func)[:40]
            raise ExpressionError(_say("calling", called=called, functions=", ".join(FUNCTIONS)))
        if node.keywords:
            raise ExpressionError(_say("keywords", name=name))
        if not 1 <= len(node.args) <= (2 if name == "leaky_relu" else 1):
            raise ExpressionError(_say("arguments_2" if name == "leaky_relu" else "arguments_1", name=name,
                                       got=len(node.args)))
        args = [self.visit(a) for a in node.args]
        x = args[0]
        extra = []
        if len(args) == 2:
            if isinstance(args[1], Value):
                raise ExpressionError(_say("slope"))
            extra = [args[1]]
        if isinstance(x, Value):
            return getattr(x, name)(*extra)
        # A function of a plain number is worked out at once with the engine's own function.
        return getattr(Value(x), name)(*extra).data
