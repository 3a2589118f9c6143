"""Which ops a learner calls by name: one `@register` line above an op class (as early tinygrad's
`register`) exposes it, and everything else is derived from that line:

    @register                     x.erf() on a Tensor, erf(x) in autograd.functional (and autograd.erf)
    class Erf(Op): ...

    @register(activation=True)    ... and F.silu(x) in nn.functional, as torch.nn.functional has it
    class SiLU(Op): ...

The Tensor method of a registered op applies it to the tensor (`x.apply(Erf, x)`): the op's
`name` is the method's name. An op whose method takes arguments (`x.elu(alpha=1.0)`) has its
method written by hand in `autograd/tensor_math.py`, where the arguments are checked; a method
written there is kept, and the registered name still gives the functional spellings.
`docs/derivatives.md` lists every op with its method (`scripts/derivatives.py` writes the page).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional


class Entry(NamedTuple):
    op: type           # the op class (autograd/ops/)
    activation: bool   # also in nn.functional (torch.nn.functional's activations)


_TABLE: dict = {}      # name -> Entry, in registration order (family files in import order)
_HOMES: list = []      # classes that take a method per registered op (Tensor's MathMethods)


def register(op: Optional[type] = None, *, activation: bool = False) -> Any:
    """Expose `op` by its `name`: a Tensor method (unless one is written by hand), a function in
    autograd.functional and, with `activation=True`, in nn.functional. Used as a class decorator,
    `@register` or `@register(activation=True)`; returns the op unchanged. Raises ValueError when
    another op already has the name."""
    def add(op: type) -> type:
        name = op.name
        if name in _TABLE and _TABLE[name].op is not op:
            raise ValueError(f"register: {name!r} is already the name of {_TABLE[name].op.__name__}")
        for home in _HOMES:  # a method of that name elsewhere in Tensor (x.sum()) must not be shadowed
            for user in home.__subclasses__():
                if name not in vars(home) and hasattr(user, name):
                    raise ValueError(f"register: {user.__name__} already has {name!r}; give {op.__name__} "
                                     "another name")
        _TABLE[name] = Entry(op, activation)
        for home in _HOMES:
            _give(home, name, op)
        return op
    return add if op is None else add(op)


def unregister(op: type) -> None:
    """Take `op` out of the table again, with the Tensor method it was given (for tests that
    register a toy op; circuitgrad's own ops stay registered)."""
    entry = _TABLE.pop(op.name, None)
    if entry is None or entry.op is not op:
        raise ValueError(f"unregister: {op.__name__} is not registered")
    for home in _HOMES:
        method = vars(home).get(op.name)
        if getattr(method, "__wrapped_op__", None) is op:
            delattr(home, op.name)


def registered() -> dict:
    """{name: Entry} of every registered op, in registration order (a copy)."""
    return dict(_TABLE)


def names(activation: bool = False) -> list:
    """The registered names (only those also in nn.functional with `activation=True`)."""
    return [name for name, entry in _TABLE.items() if entry.activation or not activation]


def method_of(op: type) -> Callable:
    """`x.<op.name>()`: the op applied to the tensor, as a method."""
    def method(self: Any) -> Any:
        return self.apply(op, self)
    method.__name__ = method.__qualname__ = op.name
    family = op.__module__.rsplit(".", 1)[-1]
    method.__doc__ = (f"`x.{op.name}()`: the op `{op.__name__}` (autograd/ops/{family}.py) on this tensor.\n\n"
                      f"Derivative: {op.derivative}")
    method.__wrapped_op__ = op
    return method


def give_methods(home: type) -> type:
    """Give `home` (Tensor's mixin of elementwise methods) a method per registered op, now and for
    ops registered later; a method `home` defines itself (one with arguments) is kept."""
    _HOMES.append(home)
    for name, entry in _TABLE.items():
        _give(home, name, entry.op)
    return home


def _give(home: type, name: str, op: type) -> None:
    if name not in vars(home):
        setattr(home, name, method_of(op))
