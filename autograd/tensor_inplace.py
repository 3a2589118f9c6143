"""In-place operations and version counters, as PyTorch has them: `x += 1`, `x.add_(y)`, `x[i] = v`.

An in-place op changes the numbers of the tensor object itself, so every name bound to it sees
the change (`y = x; x += 1` changes y too) and so do arrays that share its memory (`x.detach()`,
`x.detach().numpy()`). What it does to the graph depends on the tensor, as in PyTorch:

- nothing requires grad, or inside `no_grad()`: only the numbers change. A leaf stays the same
  leaf, so `with no_grad(): p -= lr * p.grad` is an optimizer step.
- a leaf that requires grad, with grad mode on: refused. Its numbers are what its gradient is
  about; changing them would leave `.grad` describing a tensor that no longer exists.
- any other tensor: the change is recorded. The tensor object now stands for the new value,
  made by the op (`+`, `*`, `[]=`...) from a hidden node that keeps the old value (a copy of
  it): the gradient flows from the new value through the op to the old one and on.

Every Tensor counts its in-place changes in `_version` (shared by tensors that share memory:
`detach()` and views such as reshape). An op notes the versions of its inputs and output when it
runs; if one has changed when its backward runs, the backward would compute with changed numbers,
so it raises PyTorch's "modified by an inplace operation" error instead, naming the op and the
tensor. Where this differs from PyTorch, it is never by a different number:
- circuitgrad checks every input and the output of an op (PyTorch only the tensors the op saved),
  so it refuses some cases PyTorch allows (`y = x + 1; x.mul_(2); y.backward()`: `+` saved nothing);
- a recorded change keeps a copy of the old value (PyTorch keeps none), so where PyTorch refuses
  because the op itself overwrote what it saved (`h *= h`, `y = x.exp(); y += 1`), circuitgrad
  computes the right gradient. The copy costs the tensor's size once per recorded change.

Writes through a raw array (`x.data[...] = 0`, or an array from `x.detach().numpy()`) bypass the
counter, as PyTorch's `.data` does; `x.numpy()` of a tensor that requires grad is refused.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import ops as O
from .mode import grad_mode
from .random import source

_new = object.__new__


class VersionCounter:
    """How many times a block of memory was changed in place; shared by the tensors that view it."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


def increment_version(tensor: Any) -> None:
    """Count a change made to `tensor.data` by hand (PyTorch's `torch.autograd.graph.increment_version`):
    an optimizer that writes into `p.data` calls it, so a graph that used the old weights refuses to
    backpropagate instead of mixing old and new numbers."""
    counter = tensor._counter
    if counter is None:
        counter = tensor._counter = VersionCounter()
    counter.count += 1


def versions_seen(out: Any, inputs: tuple) -> Optional[tuple]:
    """The versions an op's backward expects, (output, *inputs); None for all 0 (the usual case)."""
    for t in inputs:
        if t._counter is not None:
            break
    else:
        if out._counter is None:  # no tensor here ever had a version counter: all 0
            return None
    versions = tuple([0 if t._counter is None else t._counter.count for t in (out, *inputs)])
    return versions if any(versions) else None


def share_counter(out: Any, inputs: tuple) -> None:
    """A result whose array is a view of an input's (reshape, transpose) counts changes with it."""
    for x in inputs:
        if np.may_share_memory(out.data, x.data):
            counter = x._counter
            if counter is None:
                counter = x._counter = VersionCounter()
            out._counter = counter
            return


class InplaceMethods:
    """The in-place half of Tensor (mixed into it)."""

    __slots__ = ()

    # ---- versions ---------------------------------------------------------------------------------

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has had (PyTorch's `x._version`)."""
        counter = self._counter
        return 0 if counter is None else counter.count

    def _check_versions(self, parents: tuple) -> None:
        """Raise PyTorch's error if this op's output or an input (`parents`) changed in place since the op ran."""
        tensors = (self, *parents)
        saw = self._saw
        if saw is None:  # all were at 0 when the op ran (the usual case): are they still?
            for t in tensors:
                if t._counter is not None and t._counter.count:
                    break
            else:
                return
            saw = (0,) * len(tensors)
        elif tuple([0 if t._counter is None else t._counter.count for t in tensors]) == saw:
            return
        for i, (t, expected) in enumerate(zip(tensors, saw)):
            now = t._version
            if now != expected:
                which = "the output" if i == 0 else f"input {i - 1}"
                name = f" {t.label!r}" if t.label else ""
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [Tensor{name} of shape {tuple(t.shape)}], {which} of the {self.fn.name!r} op, "
                    f"is at version {now}; expected version {expected} instead. Hint: the op computed with the "
                    "numbers it had then; call backward() before changing them (e.g. loss.backward() before "
                    "optimizer.step()), or change a .clone() instead.")

    # ---- the one path every in-place op takes -----------------------------------------------------

    def _inplace(self, op: str, fn: Any, *others: Any, ctx: Any = None) -> Any:
        """Change this tensor to `fn(self, *others)`; see the module docstring for what the graph gets."""
        if grad_mode.enabled and (self.requires_grad or any(o.requires_grad for o in others)):
            self._refuse_leaf(op)
            return self._record(op, fn, others, ctx)
        self._write(op, fn.forward(ctx, self.data, *[o.data for o in others]))
        return self

    def _refuse_leaf(self, op: str) -> None:
        if self.fn is None and self.requires_grad:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place operation. To change a "
                "weight, do it inside `with no_grad():` (as an optimizer step does) or on its `.data`; for a new "
                "value in the graph, write `x = x + ...` instead.")

    def _fits(self, op: str, new: np.ndarray) -> None:
        if new.shape != self.shape and np.broadcast_shapes(new.shape, self.shape) != self.shape:  # (ops broadcast)
            raise ValueError(f"{op}: in place, the result must keep the shape {tuple(self.shape)}, but it has "
                             f"shape {tuple(new.shape)} (write x = x {op.strip('_=')} ... for a new tensor)")
        if not np.can_cast(new.dtype, self.dtype, "same_kind"):
            raise TypeError(f"{op}: result type {new.dtype} can't be cast to the tensor's dtype {self.dtype} "
                            "in place (as PyTorch); write x = x ... for a new tensor, or cast first")

    def _write(self, op: str, new: np.ndarray) -> None:
        """Put `new` into this tensor's memory (so views and detached copies see it) and count the change."""
        self._fits(op, new)
        if not self.data.flags.writeable:
            raise RuntimeError(f"{op}: this tensor's memory is read-only and cannot be written in place; "
                               "use .clone() first")
        self.data[...] = new
        increment_version(self)

    def _record(self, op: str, fn: Any, others: tuple, ctx: Any) -> Any:
        """The change as a node: the old value moves to a hidden node, this object becomes the op's result."""
        if getattr(self.fn, "forbids_inplace", False):  # what a module's backward hooks run in (ops/hooks.py)
            raise RuntimeError(
                f"{op}: Output 0 of {self.fn.__name__} is a view and is being modified inplace. This view was "
                "created inside a custom Function (or because an input was returned as-is) and the autograd logic "
                "to handle view+inplace would override the custom backward associated with the custom Function, "
                "leading to incorrect gradients. This behavior is forbidden. You can fix this by cloning the "
                "output of the custom Function. (Here: a module with a full backward hook changed its input, or "
                "someone changed its output, in place; use x = x + ... or .clone() first.)")
        old = self._hidden_copy()
        others = tuple(old if o is self else o for o in others)  # x *= x: both operands are the old x
        result = type(self).apply(fn, old, *others, ctx=ctx)
        self._fits(op, result.data)
        self._write(op, result.data)
        self.fn, self.ctx = result.fn, result.ctx
        self._a, self._b, self._rest = result._a, result._b, result._rest
        self._number = result._number  # made after the hidden node: the topological order sorts by this
        self.requires_grad = True
        self.grad = None
        self._saw = versions_seen(self, result.parents)
        return self

    def _hidden_copy(self) -> Any:
        """A node holding this tensor's current value and the op that made it, for `_record`."""
        old = _new(type(self))
        old.data = self.data.copy()  # the memory itself is about to change
        old.grad = None
        old._a, old._b, old._rest, old.fn, old.ctx = self._a, self._b, self._rest, self.fn, self.ctx
        old.label = self.label
        old.requires_grad = self.requires_grad
        old._counter = None
        old._number = self._number  # it stands for the tensor as it was made
        old._saw = None if self._saw is None else (0, *self._saw[1:])
        return old

    # ---- operators and PyTorch's trailing-underscore methods --------------------------------------

    def __iadd__(self, other: Any) -> Any: return self.add_(other)  # noqa: E704
    def __isub__(self, other: Any) -> Any: return self.sub_(other)  # noqa: E704
    def __imul__(self, other: Any) -> Any: return self.mul_(other)  # noqa: E704
    def __itruediv__(self, other: Any) -> Any: return self.div_(other)  # noqa: E704
    def __ipow__(self, other: Any) -> Any: return self.pow_(other)  # noqa: E704

    def add_(self, other: Any, alpha: float = 1) -> Any:
        """x += alpha * other, in place (PyTorch's `add_`; `p.add_(g, alpha=-lr)` is an SGD step)."""
        return self._inplace("add_", O.Add, self._scaled("add_", other, alpha))

    def sub_(self, other: Any, alpha: float = 1) -> Any:
        """x -= alpha * other, in place."""
        return self._inplace("sub_", O.Sub, self._scaled("sub_", other, alpha))

    def mul_(self, other: Any) -> Any:
        """x *= other, in place."""
        return self._inplace("mul_", O.Mul, self._lift("mul_", other))

    def div_(self, other: Any) -> Any:
        """x /= other, in place."""
        return self._inplace("div_", O.Div, self._lift("div_", other))

    def pow_(self, exponent: Any) -> Any:
        """x **= exponent, in place."""
        return self._inplace("pow_", O.Pow, self._lift("pow_", exponent))

    def clamp_(self, min: Optional[float] = None, max: Optional[float] = None) -> Any:
        """x limited to [min, max], in place (the gradient passes where no limit was hit)."""
        return self._inplace("clamp_", O.Clip, ctx=self._clip_limits("clamp_", min, max, ("min", "max")))

    def relu_(self) -> Any:
        """max(x, 0), in place (what PyTorch's `nn.ReLU(inplace=True)` calls)."""
        return self._inplace("relu_", O.ReLU)

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        """The entries where the bool `mask` (broadcast to this shape) holds become `value` (attention's
        `scores.masked_fill_(mask, float("-inf"))`)."""
        cond = np.asarray(getattr(mask, "data", mask))
        if cond.dtype != bool:
            raise TypeError(f"masked_fill_: mask must be boolean (e.g. x > 0), got dtype {cond.dtype}")
        try:
            cond = np.broadcast_to(cond, self.shape)
        except ValueError:
            raise ValueError(f"masked_fill_: mask of shape {cond.shape} does not broadcast to {tuple(self.shape)}") \
                from None
        return self._assign("masked_fill_", cond, value)

    def detach_(self) -> Any:
        """Cut this tensor from its graph in place: it becomes a leaf that does not require grad."""
        self._a = self._b = self._rest = None
        self.fn = self.ctx = None
        self.requires_grad = False
        self._saw = None
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        """x[index] = value: the entries at `index` become `value` (broadcast), with a gradient for both."""
        self._assign("[]=", O.shape.clean_index(index), value)

    def fill_(self, value: Any) -> Any:
        """Every entry becomes `value` (a number or a one-element tensor)."""
        return self._assign("fill_", Ellipsis, value)

    def zero_(self) -> Any:
        """Every entry becomes 0."""
        return self._assign("zero_", Ellipsis, 0.0)

    def copy_(self, src: Any) -> Any:
        """The entries of `src` (broadcast to this shape, cast to this dtype) copied in."""
        return self._assign("copy_", Ellipsis, src)

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
        """Entries drawn from N(mean, std^2), in place (from circuitgrad's random state unless a
        Generator is given)."""
        return self._assign("normal_", Ellipsis, source("normal_", generator).normal(mean, std, self.shape))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
        """Entries drawn uniformly from [a, b), in place."""
        return self._assign("uniform_", Ellipsis, source("uniform_", generator).uniform(a, b, self.shape))

    def _assign(self, op: str, index: Any, value: Any) -> Any:
        v = self._lift(op, value)
        if grad_mode.enabled and (self.requires_grad or v.requires_grad):
            self._refuse_leaf(op)
            return self._record(op, O.IndexPut, (v,), index)
        try:  # unrecorded: write only the entries, not a whole new array
            part = self.data[index]
        except IndexError as e:
            raise IndexError(f"{op}: index {index!r} does not fit a tensor of shape {tuple(self.shape)}: {e}") from None
        if not self.data.flags.writeable:
            raise RuntimeError(f"{op}: this tensor's memory is read-only and cannot be written in place; "
                               "use .clone() first")
        try:
            self.data[index] = v.data
        except ValueError:
            raise ValueError(f"{op}: a value of shape {tuple(v.shape)} cannot be broadcast to the indexed part "
                             f"of shape {np.shape(part)}") from None
        increment_version(self)
        return self

    def _scaled(self, op: str, other: Any, alpha: Any) -> Any:
        other = self._lift(op, other)
        return other if alpha == 1 else other * alpha
