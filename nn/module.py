"""`Module`: the base of every layer and network, as in PyTorch.

A module finds its parameters by itself: assigning a `Parameter` (or, in the scalar
networks, a leaf `Value`) or another module to an attribute registers it, so
`parameters()` can collect the whole tree in a stable order without duplicates, and
`state_dict()` can name every number the model has learned.

Hooks (`register_forward_pre_hook`, `register_forward_hook`, from `nn.hooks`) let an observer
see each call; `trace_modules()` (from `nn.trace`, re-exported here) is built on them and
records which module's forward made each node, for diagrams that box every layer.
"""
from __future__ import annotations

from collections import OrderedDict
from os import PathLike
from typing import Any, Callable, Iterator, NamedTuple, Optional, Union

import numpy as np

from circuitgrad.autograd import Tensor, Value
from circuitgrad.autograd.checks import float_dtype, is_cpu
from circuitgrad.autograd.graph import Node
from circuitgrad.autograd.tensor_inplace import increment_version

from . import hooks, serialization
from .checks import flag
from .hooks import (RemovableHandle, global_backward_hooks, global_backward_pre_hooks, global_forward_hooks,
                    global_forward_pre_hooks)
from .trace import ModuleCall, ModuleTrace, trace_modules

__all__ = ["Module", "Parameter", "trace_modules", "ModuleTrace", "ModuleCall", "IncompatibleKeys"]


class Parameter(Tensor):
    """A Tensor that a Module registers as one of its parameters, as `torch.nn.Parameter`.

    Only Parameters (and, in the scalar networks, leaf `Value`s) assigned to a module are
    collected by `parameters()`; a plain Tensor assigned to a module is a constant of it,
    as in PyTorch. `requires_grad` is True unless you say otherwise; a frozen Parameter
    (`requires_grad=False`) is still registered, so it is still saved. Given a Tensor,
    the Parameter shares its array (as PyTorch's shares the storage).
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True, label: str = "", dtype: Any = None) -> None:
        if data is None:  # torch.nn.Parameter() is an empty tensor
            data = np.zeros(0)
        shared = isinstance(data, Tensor) and dtype is None
        super().__init__(data, requires_grad=requires_grad, label=label, dtype=dtype)
        if shared:
            self.data = data.data

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _is_parameter(value: Any) -> bool:
    if isinstance(value, Parameter):
        return True
    return isinstance(value, Value) and value.fn is None


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` skipped."""

    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class for layers and networks: subclass it, assign parts in `__init__`, write `forward`.

    Call `super().__init__()` first in a subclass's `__init__`; calling the module runs
    `forward`. `training` is True until `eval()`.
    """

    # Subclasses whose children are an implementation detail (a Layer's neurons) set this False
    # so that repr stays one line per layer.
    _repr_children = True

    def __init__(self) -> None:
        d = self.__dict__
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_modules"] = OrderedDict()
        d["training"] = True
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()

    # ---- registration ---------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() at the start of __init__ "
                                 f"before assigning {name!r}")
        params, modules, buffers = d["_parameters"], d["_modules"], d["_buffers"]
        if name in buffers:  # a buffer stays a buffer (running statistics are reassigned each batch)
            if value is None:
                del buffers[name]
            else:
                value = buffers[name] = np.asarray(value)
        else:
            if name in params and value is not None and not _is_parameter(value):
                raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} to parameter "
                                f"{name!r}; assign an nn.Parameter (or None), or change the numbers in place "
                                f"with {name}.data[...] = ...")
            if _is_parameter(value):  # a replaced parameter keeps its place in parameters()
                modules.pop(name, None)
                params[name] = value
            else:
                params.pop(name, None)
                if isinstance(value, Module):
                    modules[name] = value
                else:
                    modules.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_modules", "_buffers"):
            self.__dict__[key].pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Optional[Node]) -> None:
        """Register `param` (an nn.Parameter, or a leaf Value) under `name`; None removes it."""
        if param is not None and not _is_parameter(param):
            what = "a computed Value" if isinstance(param, Value) else f"a {type(param).__name__}"
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter (or a leaf Value), got {what}; "
                            "wrap a Tensor as nn.Parameter(t)")
        object.__setattr__(self, name, param)
        if param is None:
            self._parameters.pop(name, None)
        else:
            self._parameters[name] = param

    def register_buffer(self, name: str, array: Any) -> None:
        """Register a numpy array that is saved in `state_dict()` but is not learned (running statistics)."""
        array = np.asarray(array)
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        """Register a child module under `name` (for names made at run time); same as setattr."""
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"add_module: the name must be a non-empty string without dots, got {name!r}")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        setattr(self, name, module)

    register_module = add_module  # PyTorch has both names

    def get_submodule(self, target: str) -> "Module":
        """The module at a dotted path such as "encoder.0" ("" is this module). Raises AttributeError naming
        the part of the path that does not exist."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"get_submodule: {type(module).__name__} has no submodule {part!r} "
                                     f"(path {target!r}); it has {list(module._modules)}")
            module = child
        return module

    # ---- calling --------------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define forward(self, x)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run `forward`, with the hooks registered on this module and on every module around it."""
        if self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks or \
                global_forward_pre_hooks or global_forward_hooks or global_backward_hooks or global_backward_pre_hooks:
            return hooks.call(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Run `hook(module, args)` before each `forward`; a result other than None replaces the args
        (a single value becomes the one arg). With `with_kwargs`: `hook(module, args, kwargs)`, returning
        None or (args, kwargs). Hooks run in the order registered (`prepend`: first). Returns a handle
        whose `remove()` unregisters it. Raises TypeError for a hook that is not callable."""
        return hooks.add(self._forward_pre_hooks, "register_forward_pre_hook", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Run `hook(module, args, output)` after each `forward`; a result other than None replaces the
        output. With `with_kwargs`: `hook(module, args, kwargs, output)`; with `always_call` it also runs
        when forward raises (output None). Order and handle as `register_forward_pre_hook`."""
        return hooks.add(self._forward_hooks, "register_forward_hook", hook, prepend, with_kwargs, always_call)

    def register_full_backward_pre_hook(self, hook: Callable, *, prepend: bool = False) -> RemovableHandle:
        """Run `hook(module, grad_output)` in the backward pass, when the gradients of this module's outputs
        are known and before they go into it; a tuple returned replaces grad_output (one entry per output,
        same shapes, else RuntimeError as in PyTorch). Gradients are Tensors; an output the loss does not
        use has None. Handle and order as `register_forward_pre_hook`."""
        return hooks.add(self._backward_pre_hooks, "register_full_backward_pre_hook", hook, prepend)

    def register_full_backward_hook(self, hook: Callable, *, prepend: bool = False) -> RemovableHandle:
        """Run `hook(module, grad_input, grad_output)` in the backward pass, once the gradients of this
        module's positional inputs are computed; a tuple returned replaces grad_input (what flows on to the
        inputs). As PyTorch: grad_input is None where an arg is not a Tensor or no input requires grad (the
        hook must then return None); changing the module's input or output in place raises RuntimeError.
        Handle and order as `register_forward_pre_hook`. The explanations in `nn.explain` use it for Grad-CAM."""
        return hooks.add(self._backward_hooks, "register_full_backward_hook", hook, prepend)

    # ---- the tree ---------------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        seen = set()
        for name, m in self._modules.items():
            if id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """Every module in the tree, this one first (named `prefix`, "" by default), each once."""
        seen: set = set()
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self) -> Iterator[tuple[str, Node]]:
        """(dotted name, parameter) for the whole tree in registration order; a shared one appears once."""
        seen: set = set()
        for prefix, m in self.named_modules():
            for name, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self) -> list:
        """All parameters (Tensors or Values), recursively, in a stable order and without duplicates."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for prefix, m in self.named_modules():
            for name, b in m._buffers.items():
                yield (f"{prefix}.{name}" if prefix else name), b

    def buffers(self) -> list:
        """All buffers (running statistics), recursively, in the order of `named_buffers()`."""
        return [b for _, b in self.named_buffers()]

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call `fn` on every module of the tree, children before parents (for custom init)."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    # ---- modes and gradients ------------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout drops, batch norm uses batch statistics); returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be True or False, got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> "Module":
        """Evaluation mode: same as `train(False)`."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Forget accumulated gradients: None for Tensors (as PyTorch), 0.0 for Values."""
        for p in self.parameters():
            p.grad = p._grad_init

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Freeze (False) or unfreeze every Tensor parameter of the tree; returns self.

        Raises TypeError for a module with Value parameters: a scalar Value always takes
        part in differentiation, so leave it out of the optimizer instead.
        """
        params = self.parameters()
        if any(isinstance(p, Value) for p in params):
            raise TypeError(f"requires_grad_: {type(self).__name__} has Value parameters, which cannot be "
                            "frozen; give the optimizer only the parameters you want to train")
        for p in params:
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> "Module":
        """Cast every float parameter and buffer to `dtype`, in place, as PyTorch's `model.to(torch.float32)`;
        returns self. Takes numpy dtypes, their names, or torch dtypes; a device is accepted only if it is
        "cpu" (circuitgrad computes with numpy on the CPU). Raises TypeError for a dtype that is not a float
        type or a module of scalar Values, ValueError for another device."""
        for arg in args:
            if type(arg).__name__ == "device" or \
                    (isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "meta")):
                device = arg
            else:
                dtype = arg
        if device is not None and not is_cpu(device):
            raise ValueError(f"to: circuitgrad computes with numpy on the CPU; device {str(device)!r} is not "
                             "available (use nn.to_torch(model) to run the model on it in PyTorch)")
        if dtype is None:
            return self
        kind = float_dtype("to", dtype)
        params = self.parameters()
        if any(isinstance(p, Value) for p in params):
            raise TypeError(f"to: {type(self).__name__} has scalar Value parameters, which are Python floats "
                            "and have no dtype")
        for p in params:
            p.data = p.data.astype(kind)
        for m in self.modules():
            for key, b in m._buffers.items():
                if b.dtype.kind == "f":
                    m._buffers[key] = b.astype(kind)
                    object.__setattr__(m, key, m._buffers[key])
        return self

    def float(self) -> "Module":
        """Parameters and buffers in float32, PyTorch's default precision; returns self."""
        return self.to(np.float32)

    def double(self) -> "Module":
        """Parameters and buffers in float64, circuitgrad's default precision; returns self."""
        return self.to(np.float64)

    # ---- saving and loading ----------------------------------------------------------------------

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Every parameter and buffer by dotted name, as copies (so a snapshot stays a snapshot).

        The order is PyTorch's: this module's parameters, then its buffers, then each child's
        in registration order, recursively; a parameter two modules share is listed under both
        names, as PyTorch lists it. So `list(model.state_dict())` equals the keys of the PyTorch
        twin and a PyTorch state dict loads here key for key.
        """
        return OrderedDict((name, np.array(v.data if isinstance(v, Node) else v, copy=True))
                           for name, v in _named_state(self))

    def load_state_dict(self, state: Union[dict, str, PathLike], strict: bool = True) -> IncompatibleKeys:
        """Copy numbers from `state` into the parameters and buffers, in place.

        `state` is a dict of arrays (numpy arrays, Tensors, or the CPU tensors of a PyTorch
        `state_dict()`, key for key), or the path of a file `save` wrote: that is read with
        `nn.load(path, shapes=self)`, so a shape unlike this model's is refused before any
        data is read. Checks everything before changing anything: with `strict`, missing and
        unexpected keys are errors; a wrong shape always is, and so is a number the target
        cannot hold (nan, inf, a fraction or a negative number for an integer buffer such as
        `num_batches_tracked`, a count; a number beyond the target dtype's range, nan or inf for a
        scalar Value; a float Tensor takes nan and inf, as in PyTorch). Raises ValueError
        listing every problem by key.
        """
        if isinstance(state, (str, PathLike)):
            state = serialization.load(state, shapes=self)
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict: expected a dict of arrays (or a weights file name), "
                            f"got {type(state).__name__}")
        strict = flag("load_state_dict", "strict", strict)
        targets = OrderedDict(_named_state(self))
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        arrays = {}
        for key, target in targets.items():
            if key not in state:
                continue
            raw = np.asarray(state[key].data if isinstance(state[key], Node) else state[key])
            if raw.dtype == bool or raw.dtype.kind not in "iuf":  # complex would lose its imaginary part
                problems.append(f"{key}: not real numbers ({type(state[key]).__name__} of {raw.dtype})")
                continue
            want = np.shape(target.data if isinstance(target, Node) else target)
            if raw.shape != want:
                problems.append(f"{key}: shape {raw.shape} in the file, {want} in the model")
                continue
            unfit = _cannot_hold(target, raw)
            if unfit:
                problems.append(f"{key}: {unfit}")
                continue
            arrays[key] = raw
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems)
                             + ". Nothing was changed.")
        for key, array in arrays.items():
            target = targets[key]
            if isinstance(target, Value):
                target.data = float(array)
            elif isinstance(target, Tensor):
                target.data[...] = array
                increment_version(target)  # as PyTorch's copy_: graphs that used the old numbers refuse backward
            else:
                target[...] = array
        return IncompatibleKeys(missing, unexpected)

    def save(self, path: Union[str, PathLike]) -> str:
        """Write `state_dict()` to a `.npz` file (numbers only, no pickle); returns the path written."""
        return serialization.save(self.state_dict(), path)

    # ---- printing -----------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The arguments shown in this module's repr line; subclasses override."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules or not self._repr_children:
            return head + ")"
        lines = [head]
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        return "\n".join(lines) + "\n)"


def _named_state(module: Module) -> Iterator[tuple[str, Any]]:
    """(dotted name, parameter or buffer) in PyTorch's state_dict order: a module's parameters, its buffers,
    then its children depth first in registration order; nothing is skipped for being shared."""
    stack = [("", module)]
    while stack:
        prefix, m = stack.pop()
        for name, p in m._parameters.items():
            yield prefix + name, p
        for name, b in m._buffers.items():
            yield prefix + name, b
        stack.extend(reversed([(f"{prefix}{name}.", child) for name, child in m._modules.items()]))


def _cannot_hold(target: Any, raw: np.ndarray) -> str:
    """Why `raw` cannot be copied into `target` without changing a number (numpy would cast it), or ""."""
    if isinstance(target, Value):
        dtype, what = np.dtype(np.float64), "a Value parameter"
    else:
        dtype = np.asarray(target.data if isinstance(target, Tensor) else target).dtype
        kind = "parameter" if isinstance(target, Tensor) else "buffer"
        what = f"{'an' if str(dtype)[0] in 'aeiou' else 'a'} {dtype} {kind}"
    if raw.size == 0:
        return ""
    numbers = raw.astype(np.float64) if raw.dtype.kind == "f" else raw
    if dtype.kind in "iu":
        # An integer buffer counts (BatchNorm's num_batches_tracked): a negative count would make the
        # next forward divide by zero or use a negative momentum, so it holds whole numbers from 0.
        info = np.iinfo(dtype)
        if raw.dtype.kind == "f":
            bits = 8 * dtype.itemsize - (dtype.kind == "i")
            with np.errstate(invalid="ignore"):
                bad = ~np.isfinite(numbers) | (numbers != np.round(numbers)) | (numbers >= 2.0 ** bits) | (numbers < 0)
        else:
            wide = raw.astype(object)  # Python ints compare across int64 and uint64 exactly
            bad = (wide < 0) | (wide > info.max)
        limits = f"whole numbers from 0 to {info.max}"
    else:
        finite = np.isfinite(numbers) if raw.dtype.kind == "f" else np.ones(raw.shape, bool)
        bad = np.zeros(raw.shape, bool)
        bad[finite] = np.abs(numbers[finite].astype(np.float64)) > np.finfo(dtype).max
        if isinstance(target, Value):
            bad |= ~finite
            limits = "finite numbers"
        else:
            limits = f"numbers up to about {float(np.finfo(dtype).max):.3g} in size"
    if not bad.any():
        return ""
    first = raw[bad].flat[0]
    first = float(first) if raw.dtype.kind == "f" else int(first)
    count = f" ({int(bad.sum())} of its {raw.size} numbers)" if raw.size > 1 else ""
    return f"{first!r} cannot be stored in {what}, which holds {limits}{count}"
