"""Modules that hold other modules: `Sequential` (a pipeline) and `ModuleList` (a list)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Union

from .module import Module
from circuitgrad.autograd.checks import is_int


def _check_module(owner: str, m: Any, where: str) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"{owner}: {where} is a {type(m).__name__}, not a Module "
                        "(write nn.ReLU(), not nn.ReLU or a function)")
    return m


class ModuleList(Module):
    """A list of modules whose parameters the parent module can see (a plain list hides them)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> "ModuleList":
        setattr(self, str(len(self._modules)), _check_module(type(self).__name__, module, f"item {len(self)}"))
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def _index(self, i: int) -> int:
        n = len(self._modules)
        if not is_int(i):
            raise TypeError(f"{type(self).__name__}: index must be an int or a slice, got {type(i).__name__}")
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {i} is out of range for {n} modules")
        return i % n

    def __getitem__(self, i: Union[int, slice]) -> Any:
        items = list(self._modules.values())
        if isinstance(i, slice):
            return type(self)(items[i]) if type(self) is ModuleList else Sequential(*items[i])
        return items[self._index(i)]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward(); loop over it in your module's forward")


class Sequential(ModuleList):
    """Modules applied one after another: `Sequential(Linear(2, 10), Sigmoid(), Linear(10, 1))`.

    Also takes an OrderedDict of name -> module. Indexable (`model[0]`), sliceable (a new
    Sequential sharing the same modules), with `len` and iteration.
    """

    def __init__(self, *modules: Any) -> None:
        Module.__init__(self)
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                setattr(self, str(name), _check_module("Sequential", m, f"entry {name!r}"))
        else:
            for i, m in enumerate(modules):
                if isinstance(m, (list, tuple)):
                    raise TypeError("Sequential: pass modules as separate arguments, "
                                    "Sequential(a, b), or unpack a list with Sequential(*layers)")
                setattr(self, str(i), _check_module("Sequential", m, f"argument {i}"))

    def append(self, module: Module) -> "Sequential":
        name = str(len(self._modules))
        setattr(self, name, _check_module("Sequential", module, f"item {name}"))
        return self

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x
