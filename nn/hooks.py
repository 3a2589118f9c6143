"""Module hooks, as in PyTorch: watch (or change) what goes into and out of a module's `forward`.

    handle = model[0].register_forward_hook(lambda module, args, output: print(output.shape))
    model(x)          # the hook runs after model[0]'s forward
    handle.remove()   # and is gone

A forward pre-hook runs before `forward` as `hook(module, args)` and may return new args; a
forward hook runs after it as `hook(module, args, output)` and may return a new output. The
forms for every module at once (`register_module_forward_pre_hook`,
`register_module_forward_hook`) are process-wide, as PyTorch's are, and run before a module's
own hooks. Observers (`nn.trace_modules`, the explanations in `nn.explain`) are built on these
hooks, so a module runs the same code whether or not someone is watching; with no hook
registered, calling a module costs a check of four empty dicts (about 40 ns a call).
"""
from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from typing import Any, Callable, NamedTuple

__all__ = ["RemovableHandle", "register_module_forward_pre_hook", "register_module_forward_hook"]

_ids = itertools.count()


class Hook(NamedTuple):
    """A registered hook and how to call it (PyTorch keeps these flags in separate dicts)."""

    fn: Callable
    with_kwargs: bool = False
    always_call: bool = False


# The hooks on every module, {id: Hook}: process-wide, as PyTorch's. An observer that wants
# one thread's calls only (the trace) checks the thread itself.
global_forward_pre_hooks: "OrderedDict[int, Hook]" = OrderedDict()
global_forward_hooks: "OrderedDict[int, Hook]" = OrderedDict()


class RemovableHandle:
    """What a `register_*_hook` returns: `remove()` unregisters the hook (twice is harmless), and
    `with handle:` removes it at the end of the block. `id` is the hook's key, as in PyTorch."""

    def __init__(self, hooks: "OrderedDict[int, Hook]") -> None:
        self.id = next(_ids)
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"RemovableHandle(id={self.id})"


def add(hooks: "OrderedDict[int, Hook]", owner: str, fn: Callable, prepend: bool = False,
        with_kwargs: bool = False, always_call: bool = False) -> RemovableHandle:
    """Register `fn` in `hooks` (last, or first with `prepend`); returns its handle. TypeError if not callable."""
    if not callable(fn):
        raise TypeError(f"{owner}: the hook must be a function, got {type(fn).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = Hook(fn, bool(with_kwargs), bool(always_call))
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Run `hook(module, args)` before the forward of every module, in every thread (PyTorch's
    `torch.nn.modules.module.register_module_forward_pre_hook`); it may return new args. These
    run before each module's own pre-hooks. Raises TypeError for a hook that is not callable."""
    return add(global_forward_pre_hooks, "register_module_forward_pre_hook", hook)


def register_module_forward_hook(hook: Callable, *, always_call: bool = False) -> RemovableHandle:
    """Run `hook(module, args, output)` after the forward of every module, in every thread; it may
    return a new output. With `always_call`, it also runs when forward raises (output None), before
    the error goes on. These run before each module's own forward hooks."""
    return add(global_forward_hooks, "register_module_forward_hook", hook, always_call=always_call)


def call(module: Any, args: tuple, kwargs: dict) -> Any:
    """`module.forward(*args, **kwargs)` with the pre-hooks before it and the forward hooks after it,
    global ones first, each in the order registered (what `Module.__call__` does when any is registered)."""
    for hook in (*global_forward_pre_hooks.values(), *module._forward_pre_hooks.values()):
        if hook.with_kwargs:
            changed = hook.fn(module, args, kwargs)
            if changed is not None:
                if not (isinstance(changed, tuple) and len(changed) == 2):
                    raise RuntimeError(f"forward pre-hook {hook.fn!r} with with_kwargs=True must return None "
                                       f"or a tuple (args, kwargs), got {type(changed).__name__}")
                args, kwargs = changed
        else:
            changed = hook.fn(module, args)
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)  # as PyTorch: one value is one arg
    after = (*global_forward_hooks.values(), *module._forward_hooks.values())
    output = None
    ran = 0
    try:
        output = module.forward(*args, **kwargs)
        for ran, hook in enumerate(after, 1):
            changed = hook.fn(module, args, kwargs, output) if hook.with_kwargs else hook.fn(module, args, output)
            if changed is not None:
                output = changed
    except BaseException:
        for hook in after[ran:]:  # forward (or a hook) failed: the always_call hooks not yet run still run
            if hook.always_call:
                try:
                    hook.fn(module, args, kwargs, output) if hook.with_kwargs else hook.fn(module, args, output)
                except Exception as error:  # the first error is the one to see
                    warnings.warn(f"forward hook with always_call=True raised {error!r} while another error "
                                  "was raised in forward; it was silenced", RuntimeWarning, stacklevel=3)
        raise
    return output
