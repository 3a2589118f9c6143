"""Fused ops that `nn` uses: one node where the composition would build several.

Each docstring says what fusing buys. `nn.functional` checks the arguments and applies them.
"""
from __future__ import annotations

import numpy as np

from operator import mul

from ..graph import Op
from .maths import is_node
from .reductions import Mean, Sum

_ALL = (None, False)  # a reduction's ctx: over every axis, not keeping them


class WeightedSum(Op):
    """b + w_0 x_0 + ... + w_{n-1} x_{n-1} as one gate: a scalar neuron before its activation.

    The gate perceptron diagrams draw as one summing node. Fused because the composed form
    builds two nodes per input (a * and a +): measured on micrograd's demo (MLP 2-16-16-1, 100
    points) the training step builds 65,614 nodes composed and about 7,000 fused, and runs
    several times faster. The sum is taken in the same order as the composed form, so the
    numbers are the same to the bit. ctx is n, the number of weights; the inputs are
    w_0..w_{n-1}, then x_0..x_{n-1}, then b.
    """

    name = "wx+b"
    derivative = "w_i: grad * x_i;  x_i: grad * w_i;  b: grad"

    @staticmethod
    def scalar(n, *inputs):
        return sum(map(mul, inputs[:n], inputs[n:2 * n])) + inputs[2 * n]

    @staticmethod
    def backward(n, grad, out, *inputs):
        w, x = inputs[:n], inputs[n:2 * n]
        return (*[grad * xi for xi in x], *[grad * wi for wi in w], grad)


class Linear(Op):
    """y = x @ W.T + b as one node.

    Fused so that a diagram shows one "linear" gate per layer instead of transpose, @ and +,
    and because it builds a third of the nodes: measured on the XOR net (2-10-10-10-1, 4
    samples), a training epoch takes about 200 us fused against 330 us composed.
    """

    name = "linear"
    derivative = "x: grad @ W;  W: grad^T @ x  (batch axes flattened);  b: sum(grad, batch axes)"
    # ctx: which inputs need a gradient; the input batch usually needs none, and its product is
    # as costly as the forward.

    @staticmethod
    def forward(need, x, w, b=None):
        out = np.dot(x, w.T) if x.ndim <= 2 else x @ w.T  # np.dot is the faster path for small 2-D arrays
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(need, grad, out, x, w, b=None):
        nodes = is_node(grad)
        g2 = grad if grad.ndim == 2 else grad.reshape((-1, grad.shape[-1]))
        x2 = x if x.ndim == 2 else x.reshape((-1, x.shape[-1]))
        gx = (grad @ w if nodes else np.dot(grad, w)) if need[0] else None
        gw = (g2.T @ x2 if nodes else np.dot(g2.T, x2)) if need[1] else None
        if b is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if need[2] else None)


# PyTorch's floor for p (1 - p) is the float32 number nearest 1e-12 (9.99999996e-13), even in float64.
BCE_EPS = float(np.float32(1e-12))


class BinaryCrossEntropy(Op):
    """-(y log p + (1 - y) log(1 - p)) per entry, with each log clamped at -100 as PyTorch, and
    then their mean or sum, as PyTorch's `binary_cross_entropy` takes its `reduction`.

    Fused because the clamp cannot be composed safely: at p = 0, log gives -inf and the
    composed derivative is 0 * inf = nan. The derivative is PyTorch's. The reduction is inside
    for speed: with the free check of the predictions it allows, one node instead of bce and
    mean saves 4 us of the XOR net's 75 us epoch (timeit, forward and backward of the loss).
    ctx is (whether the target needs a gradient, reduction); the target almost never needs one,
    and its formula costs as much as the loss's. A p outside [0, 1] gives nan (its log is nan),
    which `nn.functional` turns into an error naming the predictions.
    """

    name = "bce"
    derivative = ("p: grad * (p - y) / max(p (1 - p), 1e-12);  y: grad * (log(1 - p) - log p), clamped at -100"
                  "   (grad / N for the mean)")
    differentiable_backward = False  # the clamps have no useful second derivative; compose for that

    @staticmethod
    def label(out) -> str:
        reduction = out.ctx[1]
        return "bce" if reduction == "none" else f"bce {reduction}"

    @staticmethod
    def forward(ctx, p, y):
        with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf, clamped next; a p outside [0, 1] gives nan
            log_p = np.maximum(np.log(p), -100)
            log_q = np.maximum(np.log1p(-p), -100)
            loss = (y - 1) * log_q - y * log_p  # = -(y log p + (1 - y) log(1 - p)), bit for bit
        reduction = ctx[1]
        if reduction == "none":
            return loss
        return (Mean if reduction == "mean" else Sum).forward(_ALL, loss)  # the mean and sum ops' own forward

    @staticmethod
    def backward(ctx, grad, out, p, y):
        need_y, reduction = ctx
        if reduction == "mean":
            grad = grad / np.asarray(p.size, grad.dtype)
        gp = grad * (p - y) / np.maximum(p * (1 - p), BCE_EPS)
        if not need_y:
            return gp, None
        with np.errstate(divide="ignore"):
            gy = grad * (np.maximum(np.log1p(-p), -100) - np.maximum(np.log(p), -100))
        return gp, gy
