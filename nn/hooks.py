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
registered, calling a module costs a check of eight empty dicts (about 100 ns a call; the four
backward ones added 55 ns to a 450 ns call of nn.Identity, timeit, and nothing measurable to
micrograd's demo step through nn.MLP, 152 ms before, 144 ms after, interleaved medians).

A full backward hook runs during backward as `hook(module, grad_input, grad_output)` and may
return a new grad_input; a full backward pre-hook runs before it as `hook(module, grad_output)`
and may return a new grad_output. They live in the graph, not in the chain-rule loop: the
module's inputs and outputs pass through an identity op whose backward calls them
(`autograd/ops/hooks.py`), as PyTorch's `BackwardHookFunction` does. Their gradients are Tensors,
as PyTorch's are (numbers, or with `create_graph=True` nodes of the recorded backward pass).
"""
from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from typing import Any, Callable, NamedTuple, Optional

import numpy as np

from circuitgrad.autograd import Tensor
from circuitgrad.autograd.graph import Node
from circuitgrad.autograd.mode import grad_mode
from circuitgrad.autograd.ops.hooks import BackwardHook, Piece

__all__ = ["RemovableHandle", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook"]

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
global_backward_pre_hooks: "OrderedDict[int, Hook]" = OrderedDict()
global_backward_hooks: "OrderedDict[int, Hook]" = OrderedDict()


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


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """Run `hook(module, grad_output)` in the backward pass of every module, before each module's own
    backward pre-hooks (PyTorch's `register_module_full_backward_pre_hook`); it may return a new grad_output."""
    return add(global_backward_pre_hooks, "register_module_full_backward_pre_hook", hook)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """Run `hook(module, grad_input, grad_output)` in the backward pass of every module, before each
    module's own backward hooks (PyTorch's `register_module_full_backward_hook`); it may return a new grad_input."""
    return add(global_backward_hooks, "register_module_full_backward_hook", hook)


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
    backward = None
    if grad_mode.enabled and (global_backward_hooks or global_backward_pre_hooks or module._backward_hooks
                              or module._backward_pre_hooks):
        backward = BackwardHooks(module)
        args = backward.inputs(args)
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
    return output if backward is None else backward.outputs(output)


class BackwardHooks:
    """One call of a module that has full backward hooks (PyTorch's `torch.utils.hooks.BackwardHook`).

    `inputs(args)` passes the positional Tensor args that require grad through a `BackwardHook`
    node, `outputs(output)` the Tensor outputs through another. In the backward pass the output
    node runs first: the pre-hooks see grad_output and may replace it. Then the input node runs
    the hooks with grad_input and that grad_output; a replaced grad_input is what flows on to
    the inputs. grad_input has one entry per positional arg (None for what is not a Tensor,
    zeros for a Tensor that does not require grad, as PyTorch), grad_output one per output.
    When no input requires grad, the hooks run from the output node with grad_input all None
    and must return None. A list or dict output is not watched (with PyTorch's UserWarning).
    """

    def __init__(self, module: Any) -> None:
        self.module = module
        self.pre_hooks = [h.fn for h in (*global_backward_pre_hooks.values(), *module._backward_pre_hooks.values())]
        self.hooks = [h.fn for h in (*global_backward_hooks.values(), *module._backward_hooks.values())]
        self.args: tuple = ()
        self.hooked_args: list = []  # positions of the args that pass through the input node
        self.n_outputs = 1
        self.hooked_outputs: list = []
        self.grad_outputs: Optional[tuple] = None

    def inputs(self, args: tuple) -> tuple:
        self.args = args
        self.hooked_args = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not self.hooked_args:
            return args
        return tuple(_through(args, self.hooked_args, self._on_grad_input))

    def outputs(self, output: Any) -> Any:
        if isinstance(output, Node) and not isinstance(output, Tensor):
            raise TypeError(f"register_full_backward_hook: {type(self.module).__name__} returned a "
                            f"{type(output).__name__}; full backward hooks watch Tensors (as PyTorch's)")
        single = isinstance(output, Tensor)
        if not single and not isinstance(output, tuple):  # PyTorch's warning, word for word
            warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of Tensors "
                          f"but received {type(output)}", UserWarning, stacklevel=4)
        items = (output,) if single else output if isinstance(output, tuple) else ()
        self.n_outputs = len(items)
        self.hooked_outputs = [i for i, o in enumerate(items) if isinstance(o, Tensor) and o.requires_grad]
        if not self.hooked_outputs:
            return output
        new = _through(items, self.hooked_outputs, self._on_grad_output)
        return new[0] if single else tuple(new)

    # ---- in the backward pass, called by the BackwardHook nodes --------------------------------------

    def _on_grad_output(self, grads: tuple) -> tuple:
        grad_output = [None] * self.n_outputs
        for i, g in zip(self.hooked_outputs, grads):
            grad_output[i] = _as_tensor(g)
        grad_output = tuple(grad_output)
        for hook in self.pre_hooks:
            new = hook(self.module, grad_output)
            if new is not None:
                grad_output = _checked(new, grad_output, hook, "Backward pre hook", "grad_output")
        self.grad_outputs = grad_output
        if not self.hooked_args:
            grad_input = (None,) * len(self.args)
            for hook in self.hooks:
                new = hook(self.module, grad_input, grad_output)
                if new is not None and not (isinstance(new, (tuple, list)) and all(g is None for g in new)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       f"return None or None for all gradients (hook {_name(hook)} of "
                                       f"{type(self.module).__name__} returned {type(new).__name__})")
        return [_as_grad(grad_output[i], g) for i, g in zip(self.hooked_outputs, grads)]

    def _on_grad_input(self, grads: tuple) -> tuple:
        if self.grad_outputs is None:
            # The gradient reached the inputs without passing through the outputs (a second derivative's
            # pass): no hook runs, as in PyTorch.
            return grads
        grad_input = [np.zeros_like(a.data) if isinstance(a, Tensor) else None for a in self.args]
        grad_input = [Tensor(g) if g is not None else None for g in grad_input]
        for i, g in zip(self.hooked_args, grads):
            grad_input[i] = _as_tensor(g)
        grad_input = tuple(grad_input)
        grad_output, self.grad_outputs = self.grad_outputs, None
        for hook in self.hooks:
            new = hook(self.module, grad_input, grad_output)
            if new is not None:
                grad_input = _checked(new, grad_input, hook, "Backward hook", "grad_input")
        return [_as_grad(grad_input[i], g) for i, g in zip(self.hooked_args, grads)]


def _through(items: tuple, hooked: list, on_grads: Callable) -> list:
    """`items` as a list, the tensors at the indices `hooked` passed through one BackwardHook node:
    the node itself for one tensor, its pieces for several."""
    tensors = [items[i] for i in hooked]
    if len(tensors) == 1:
        passed = [Tensor.apply(BackwardHook, tensors[0], ctx=on_grads)]
    else:
        reached: set = set()  # the pieces a gradient reached in this pass
        flat = Tensor.apply(BackwardHook, *tensors, ctx=lambda grads: _reached_only(grads, reached, on_grads))
        passed, start = [], 0
        for i, t in enumerate(tensors):
            passed.append(Tensor.apply(Piece, flat, ctx=(reached.add, i, start, t.shape, t.dtype)))
            start += t.data.size
    new = list(items)
    for i, t in zip(hooked, passed):
        new[i] = t
    return new


def _reached_only(grads: tuple, reached: set, on_grads: Callable) -> tuple:
    """The hooks see None for a piece no gradient reached (PyTorch: an unused output's grad is None)."""
    seen = tuple(g if i in reached else None for i, g in enumerate(grads))
    reached.clear()  # the next backward pass through this graph notes its own
    return on_grads(seen)


def _as_tensor(g: Any) -> Any:
    """A gradient as a hook sees it: a Tensor (the node itself when the pass is recorded), or None."""
    if g is None or isinstance(g, Tensor):
        return g
    return Tensor(np.asarray(g))


def _as_grad(new: Any, old: Any) -> Any:
    """What a hook's Tensor (or array) sends on: an array, or a node when the pass is recorded."""
    if new is None:
        return None
    if isinstance(old, Node):
        return new if isinstance(new, Tensor) else Tensor(np.asarray(new))
    return new.data if isinstance(new, Tensor) else np.asarray(new)


def _name(hook: Callable) -> str:
    return repr(getattr(hook, "__name__", type(hook).__name__))


def _checked(new: Any, old: tuple, hook: Callable, kind: str, what: str) -> tuple:
    """A hook's replacement, checked as PyTorch checks it: one entry per gradient, each of the same shape."""
    if isinstance(new, (Tensor, np.ndarray)) or not isinstance(new, (tuple, list)):
        raise RuntimeError(f"{kind} {_name(hook)} must return None or a tuple of {len(old)} {what} "
                           f"(Tensors or None), got {type(new).__name__}")
    if len(new) != len(old):
        raise RuntimeError(f"{kind} returned an invalid number of {what}, got {len(new)}, but expected {len(old)}")
    for i, (n, o) in enumerate(zip(new, old)):
        if n is not None and o is not None and tuple(np.shape(getattr(n, "data", n))) != tuple(o.shape):
            raise RuntimeError(f"hook {_name(hook)} has changed the size of value: {what}[{i}] has shape "
                               f"{tuple(o.shape)}, the hook returned shape {tuple(np.shape(getattr(n, 'data', n)))}")
    return tuple(new)
