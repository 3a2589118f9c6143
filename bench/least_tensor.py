"""The least tensor engine of circuitgrad's design, for bench (b): what an engine costs when it
keeps only the design and the checks a learner relies on. Not part of circuitgrad.

Issue 24 describes such an engine: result nodes that hold their operands, `fn` and `ctx`;
circuitgrad's own op classes as the one table of formulas; one chain-rule loop; modules that
are called; and the checks a learner relies on (Linear's input width, BCE's targets and
shapes, the optimizer's gradient shapes before any update). This file is that engine, written
as plainly as it can be, so that bench (b) can time it next to circuitgrad and show what
circuitgrad's other duties cost: version counters for in-place changes, grad modes, hooks,
dtype rules, an all-or-nothing commit, interior gradients kept for the pictures.
"""
from __future__ import annotations

from itertools import count
from operator import attrgetter
from typing import Any, Callable

import numpy as np

from circuitgrad.autograd import ops as O
from circuitgrad.autograd.ops.maths import unbroadcast

_number = count().__next__
_creation_number = attrgetter("number")


class Node:
    """An array, its gradient, and how it was made (operands, op, ctx); a leaf has no op."""

    __slots__ = ("data", "grad", "parents", "fn", "ctx", "number", "requires_grad")

    def __init__(self, data: np.ndarray, requires_grad: bool = False, parents: tuple = (), fn: Any = None,
                 ctx: Any = None) -> None:
        self.data, self.grad, self.parents, self.fn, self.ctx = data, None, parents, fn, ctx
        self.number, self.requires_grad = _number(), requires_grad

    @staticmethod
    def apply(fn: Any, *inputs: "Node", ctx: Any = None) -> "Node":
        out = fn.forward(ctx, *[x.data for x in inputs])
        for x in inputs:
            if x.requires_grad:
                return Node(out, True, inputs, fn, ctx)
        return Node(out)

    def backward(self) -> None:
        """The one chain-rule loop: nodes in reverse creation order, each op's backward once."""
        order, seen, todo = [], {self}, [self]
        while todo:
            node = todo.pop()
            order.append(node)
            for p in node.parents:
                if p not in seen and p.requires_grad:
                    seen.add(p)
                    todo.append(p)
        order.sort(key=_creation_number, reverse=True)
        grads = {self: np.ones(self.data.shape, self.data.dtype)}
        for node in order:
            grad = grads.pop(node)
            if node.fn is None:  # a leaf: add into its gradient
                node.grad = grad if node.grad is None else node.grad + grad
                continue
            sent = node.fn.backward(node.ctx, grad, node.data, *[p.data for p in node.parents])
            for p, g in zip(node.parents, sent):
                if g is not None and p.requires_grad:
                    if node.fn.broadcasts:  # summed back over the axes numpy broadcast
                        g = unbroadcast(g, p.data.shape)
                    grads[p] = g if p not in grads else grads[p] + g


class Linear:
    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.weight, self.bias = Node(weight, True), Node(bias, True)

    def __call__(self, x: Node) -> Node:
        if x.data.shape[-1] != self.weight.data.shape[1]:
            raise ValueError(f"Linear: expected last dimension {self.weight.data.shape[1]}, got shape {x.data.shape}")
        return Node.apply(O.Linear, x, self.weight, self.bias,
                          ctx=(x.requires_grad, True, True))


class Sigmoid:
    def __call__(self, x: Node) -> Node:
        return Node.apply(O.Sigmoid, x)


class Sequential:
    def __init__(self, *layers: Callable) -> None:
        self.layers = layers

    def __call__(self, x: Node) -> Node:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list:
        return [p for layer in self.layers if isinstance(layer, Linear) for p in (layer.weight, layer.bias)]


def bce_loss(p: Node, y: Node) -> Node:
    """Mean binary cross-entropy, with the checks a learner relies on: same shapes, targets in [0, 1]."""
    if p.data.shape != y.data.shape:
        raise ValueError(f"BCELoss: input shape {p.data.shape} and target shape {y.data.shape} differ")
    if not all(0 <= v <= 1 for v in y.data.ravel().tolist()):
        raise ValueError("BCELoss: targets must be probabilities in [0, 1]")
    return Node.apply(O.BinaryCrossEntropy, p, y, ctx=(False, "mean"))


class SGD:
    def __init__(self, params: list, lr: float) -> None:
        self.params, self.lr = params, lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p in self.params:  # every gradient checked before any weight changes
            if p.grad is not None and p.grad.shape != p.data.shape:
                raise ValueError(f"SGD: gradient of shape {p.grad.shape} for a parameter of shape {p.data.shape}")
        for p in self.params:
            if p.grad is not None:
                p.data -= self.lr * p.grad


def xor_epoch(params: list, X: np.ndarray, Y: np.ndarray) -> Callable[[], float]:
    """One XOR epoch through this engine from `params` ([W1, b1, ...], W as in x out, as bench.tensor's)."""
    layers: list = []
    for W, b in zip(params[0::2], params[1::2]):
        layers += [Linear(W.T.copy(), b.copy()), Sigmoid()]
    model = Sequential(*layers)
    optimizer = SGD(model.parameters(), lr=1.0)
    x, y = Node(X), Node(Y)

    def epoch() -> float:
        optimizer.zero_grad()
        cost = bce_loss(model(x), y)
        cost.backward()
        optimizer.step()
        return float(cost.data)
    return epoch


def mlp_step(params: list, x: np.ndarray, y: np.ndarray, lr: float) -> Callable[[], float]:
    """bench (a)'s step through this engine: the same ops as circuitgrad's (@, +, relu, log_softmax,
    picking each row's label, mean, negation), then `w -= lr * grad` on the arrays."""
    W1, b1, W2, b2, W3, b3 = weights = [Node(p.copy(), True) for p in params]
    x, picked, whole = Node(x), (np.arange(len(y)), y), (None, False)  # Index's and Mean's ctx

    def layer(h: Node, W: Node, b: Node) -> Node:
        if h.data.shape[-1] != W.data.shape[0]:
            raise ValueError(f"@: shapes {h.data.shape} and {W.data.shape} do not align")
        return Node.apply(O.Add, Node.apply(O.MatMul, h, W, ctx=(h.requires_grad, True)), b)

    def step() -> float:
        h = Node.apply(O.ReLU, layer(x, W1, b1))
        h = Node.apply(O.ReLU, layer(h, W2, b2))
        logp = Node.apply(O.LogSoftmax, layer(h, W3, b3), ctx=-1)
        loss = Node.apply(O.Neg, Node.apply(O.Mean, Node.apply(O.Index, logp, ctx=picked), ctx=whole))
        loss.backward()
        for w in weights:
            w.data -= lr * w.grad
            w.grad = None
        return float(loss.data)
    return step
