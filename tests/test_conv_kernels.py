"""The numpy kernels of autograd/ops/conv.py and pool.py on plain arrays: outputs and every gradient
against PyTorch (float64, a random upstream gradient) and against central finite differences."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad.autograd.ops import conv as C
from circuitgrad.autograd.ops import pool as P


def numeric_grad(f, arrays, upstream, index, eps=1e-6):
    """d sum(f(*arrays) * upstream) / d arrays[index], by central differences, entry by entry."""
    a = arrays[index]
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        up = np.sum(f(*arrays) * upstream)
        a[i] = old - eps
        down = np.sum(f(*arrays) * upstream)
        a[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10, err_msg=what)


ALL = (True, True, True)  # a gradient for x, w and b

# stride, padding, dilation, groups; channels are 6 in, 6 out so groups 1, 2, 3 and 6 all divide them
CONV_CASES = [((1, 1), (0, 0), (1, 1), 1), ((2, 2), (1, 1), (1, 1), 1), ((2, 1), (1, 2), (1, 2), 2),
              ((3, 2), (2, 1), (2, 1), 3), ((1, 1), (1, 1), (1, 1), 6)]


@pytest.mark.parametrize("stride, padding, dilation, groups", CONV_CASES, ids=str)
def test_conv2d_matches_torch(torch, rng, stride, padding, dilation, groups):
    x, w, b = rng.normal(size=(2, 6, 9, 8)), rng.normal(size=(6, 6 // groups, 3, 2)), rng.normal(size=6)
    out = C.conv2d(x, w, b, stride, padding, dilation, groups)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    close(out, ref.detach().numpy(), "output")
    upstream = rng.normal(size=out.shape)
    ref.backward(torch.tensor(upstream))
    dx, dw, db = C.conv2d_backward(upstream, x, w, ALL, stride, padding, dilation, groups)
    close(dx, tx.grad.numpy(), "d input")
    close(dw, tw.grad.numpy(), "d weight")
    close(db, tb.grad.numpy(), "d bias")


@pytest.mark.parametrize("stride, padding, dilation, groups", CONV_CASES[:4], ids=str)
def test_conv2d_gradients_match_finite_differences(rng, stride, padding, dilation, groups):
    x, w, b = rng.normal(size=(1, 6, 6, 5)), rng.normal(size=(6, 6 // groups, 3, 2)), rng.normal(size=6)
    f = lambda x, w, b: C.conv2d(x, w, b, stride, padding, dilation, groups)  # noqa: E731
    upstream = rng.normal(size=f(x, w, b).shape)
    grads = C.conv2d_backward(upstream, x, w, ALL, stride, padding, dilation, groups)
    for i, name in enumerate(("x", "w", "b")):
        np.testing.assert_allclose(grads[i], numeric_grad(f, [x, w, b], upstream, i), rtol=1e-6, atol=1e-7,
                                   err_msg=f"d {name}")


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 3, 2), (3, 1, 2, 4)])
def test_conv1d_matches_torch(torch, rng, stride, padding, dilation, groups):
    x, w, b = rng.normal(size=(3, 4, 13)), rng.normal(size=(8, 4 // groups, 3)), rng.normal(size=8)
    out = C.conv1d(x, w, b, stride, padding, dilation, groups)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = torch.nn.functional.conv1d(tx, tw, tb, stride, padding, dilation, groups)
    close(out, ref.detach().numpy(), "output")
    upstream = rng.normal(size=out.shape)
    ref.backward(torch.tensor(upstream))
    for ours, theirs, what in zip(C.conv1d_backward(upstream, x, w, ALL, stride, padding, dilation, groups),
                                  (tx, tw, tb), ("d input", "d weight", "d bias")):
        close(ours, theirs.grad.numpy(), what)


# stride, padding, output_padding, dilation, groups (output_padding must stay below stride or dilation)
TRANSPOSE_CASES = [((1, 1), (0, 0), (0, 0), (1, 1), 1), ((2, 2), (1, 1), (1, 1), (1, 1), 1),
                   ((2, 1), (1, 0), (1, 0), (1, 2), 2), ((3, 2), (2, 1), (2, 1), (1, 1), 3),
                   ((1, 1), (0, 0), (1, 1), (2, 2), 1)]


@pytest.mark.parametrize("stride, padding, output_padding, dilation, groups", TRANSPOSE_CASES, ids=str)
def test_conv_transpose2d_matches_torch(torch, rng, stride, padding, output_padding, dilation, groups):
    x, w, b = rng.normal(size=(2, 6, 5, 4)), rng.normal(size=(6, 2, 3, 2)), rng.normal(size=2 * groups)
    out = C.conv_transpose2d(x, w, b, stride, padding, output_padding, groups, dilation)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = torch.nn.functional.conv_transpose2d(tx, tw, tb, stride, padding, output_padding, groups, dilation)
    close(out, ref.detach().numpy(), "output")
    upstream = rng.normal(size=out.shape)
    ref.backward(torch.tensor(upstream))
    for ours, theirs, what in zip(C.conv_transpose2d_backward(upstream, x, w, ALL, stride, padding, groups, dilation),
                                  (tx, tw, tb), ("d input", "d weight", "d bias")):
        close(ours, theirs.grad.numpy(), what)


def test_conv_transpose2d_gradients_match_finite_differences(rng):
    x, w, b = rng.normal(size=(1, 4, 3, 4)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=6)
    args = ((2, 1), (1, 0), (1, 0), 2, (1, 1))
    f = lambda x, w, b: C.conv_transpose2d(x, w, b, *args)  # noqa: E731
    upstream = rng.normal(size=f(x, w, b).shape)
    grads = C.conv_transpose2d_backward(upstream, x, w, ALL, (2, 1), (1, 0), 2, (1, 1))
    for i, name in enumerate(("x", "w", "b")):
        np.testing.assert_allclose(grads[i], numeric_grad(f, [x, w, b], upstream, i), rtol=1e-6, atol=1e-7,
                                   err_msg=f"d {name}")


def test_a_3x3_convolution_by_hand():
    """A vertical-edge kernel on a 4x4 image whose right half is bright: the edge lights up."""
    image = np.array([[0, 0, 1, 1]] * 4, dtype=float)[None, None]
    kernel = np.array([[-1, 0, 1]] * 3, dtype=float)[None, None]
    np.testing.assert_array_equal(C.conv2d(image, kernel)[0, 0], [[3, 3], [3, 3]])
    np.testing.assert_array_equal(C.conv2d(image, kernel, padding=(1, 1))[0, 0],
                                  [[0, 2, 2, -2], [0, 3, 3, -3], [0, 3, 3, -3], [0, 2, 2, -2]])


# ---- pooling -------------------------------------------------------------------------------------

POOL_CASES = [((2, 2), (2, 2), (0, 0), (1, 1)), ((3, 3), (1, 1), (1, 1), (1, 1)),
              ((3, 2), (2, 1), (1, 1), (2, 1)), ((2, 3), (1, 2), (0, 1), (1, 2))]


@pytest.mark.parametrize("kernel, stride, padding, dilation", POOL_CASES, ids=str)
def test_max_pool2d_matches_torch(torch, rng, kernel, stride, padding, dilation):
    x = rng.normal(size=(2, 3, 9, 8))
    out = P.max_pool2d(x, kernel, stride, padding, dilation)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.max_pool2d(tx, kernel, stride, padding, dilation)
    close(out, ref.detach().numpy(), "output")
    upstream = rng.normal(size=out.shape)
    ref.backward(torch.tensor(upstream))
    close(P.max_pool2d_backward(upstream, x, kernel, stride, padding, dilation), tx.grad.numpy(), "d input")


def test_max_pool2d_tie_sends_the_gradient_to_the_first_entry_as_torch(torch):
    x = np.ones((1, 1, 4, 4))
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, 2, 1).sum().backward()
    np.testing.assert_array_equal(P.max_pool2d_backward(np.ones((1, 1, 3, 3)), x, (2, 2), (1, 1)), tx.grad.numpy())


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kernel, stride, padding", [(k, s, p) for k, s, p, _ in POOL_CASES], ids=str)
def test_avg_pool2d_matches_torch(torch, rng, kernel, stride, padding, count_include_pad):
    x = rng.normal(size=(2, 3, 9, 8))
    out = P.avg_pool2d(x, kernel, stride, padding, count_include_pad)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.avg_pool2d(tx, kernel, stride, padding, count_include_pad=count_include_pad)
    close(out, ref.detach().numpy(), "output")
    upstream = rng.normal(size=out.shape)
    ref.backward(torch.tensor(upstream))
    close(P.avg_pool2d_backward(upstream, x, kernel, stride, padding, count_include_pad), tx.grad.numpy(), "d input")


@pytest.mark.parametrize("output_size", [(1, 1), (4, 3), (5, 7), (9, 8), (2, 5)], ids=str)
def test_adaptive_avg_pool2d_matches_torch(torch, rng, output_size):
    x = rng.normal(size=(2, 3, 9, 8))
    out = P.adaptive_avg_pool2d(x, output_size)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.adaptive_avg_pool2d(tx, output_size)
    close(out, ref.detach().numpy(), "output")
    upstream = rng.normal(size=out.shape)
    ref.backward(torch.tensor(upstream))
    close(P.adaptive_avg_pool2d_backward(upstream, x.shape, output_size), tx.grad.numpy(), "d input")


def test_pool_gradients_match_finite_differences(rng):
    x = rng.normal(size=(1, 2, 5, 6))
    cases = [(lambda x: P.max_pool2d(x, (3, 2), (2, 1), (1, 1), (1, 2)),
              lambda g: P.max_pool2d_backward(g, x, (3, 2), (2, 1), (1, 1), (1, 2))),
             (lambda x: P.avg_pool2d(x, (3, 2), (2, 1), (1, 1), False),
              lambda g: P.avg_pool2d_backward(g, x, (3, 2), (2, 1), (1, 1), False)),
             (lambda x: P.adaptive_avg_pool2d(x, (3, 4)),
              lambda g: P.adaptive_avg_pool2d_backward(g, x.shape, (3, 4)))]
    for forward, backward in cases:
        upstream = rng.normal(size=forward(x).shape)
        np.testing.assert_allclose(backward(upstream), numeric_grad(forward, [x], upstream, 0), rtol=1e-6, atol=1e-7)


def test_float32_stays_float32(rng):
    x, w = rng.normal(size=(2, 2, 6, 6)).astype(np.float32), rng.normal(size=(3, 2, 3, 3)).astype(np.float32)
    assert C.conv2d(x, w).dtype == np.float32
    assert all(g.dtype == np.float32 for g in C.conv2d_backward(np.ones((2, 3, 4, 4), np.float32), x, w)
               if g is not None)
    assert P.max_pool2d_backward(np.ones((2, 2, 3, 3), np.float32), x, (2, 2), (2, 2)).dtype == np.float32
    assert P.avg_pool2d(x, (2, 2), (2, 2)).dtype == np.float32
    assert P.adaptive_avg_pool2d(x, (1, 1)).dtype == np.float32


# ---- shapes that do not fit ------------------------------------------------------------------------

@pytest.mark.parametrize("x_shape, w_shape, padding, groups, message", [
    ((2, 3, 8), (4, 3, 3, 3), (0, 0), 1, r"4-D input \(N, C, H, W\), got shape \(2, 3, 8\)"),
    ((2, 3, 8, 8), (4, 2, 3, 3), (0, 0), 1, "has 3 channels, but the weight"),
    ((2, 4, 8, 8), (4, 2, 3, 3), (0, 0), 3, "groups=3 must divide in_channels 4"),
    ((2, 3, 2, 8), (4, 3, 5, 3), (1, 0), 1, r"kernel height 5 .* larger than the padded input height 2 \+ 2\*1 = 4"),
])
def test_conv2d_shape_errors(x_shape, w_shape, padding, groups, message):
    with pytest.raises(ValueError, match=message):
        C.conv2d_shape("Conv2d", x_shape, w_shape, (1, 1), padding, (1, 1), groups)


def test_pool_shape_errors():
    with pytest.raises(ValueError, match="padding 2 must be at most half the kernel size 3"):
        P.pool2d_shape("MaxPool2d", (1, 1, 8, 8), (3, 3), (1, 1), (2, 2))
    with pytest.raises(ValueError, match="kernel width 5 .* larger than the padded input width 4"):
        P.pool2d_shape("MaxPool2d", (1, 1, 8, 4), (2, 5), (1, 1), (0, 0))
    with pytest.raises(ValueError, match="output_padding"):
        C.conv_transpose2d_shape("ConvTranspose2d", (1, 2, 4, 4), (2, 3, 3, 3), (1, 1), (0, 0), (1, 1), (1, 1), 1)


def test_backward_kernels_compute_only_the_gradients_asked_for(rng):
    # An image batch into a first layer, or a fixed latent into a decoder, needs no gradient;
    # frozen weights need none either. What is skipped is None, the rest as in a full pass.
    x, w = rng.normal(size=(2, 4, 5, 5)), rng.normal(size=(4, 4, 3, 3))
    tr_args = ((2, 2), (1, 1), 1, (1, 1))  # stride, padding, groups, dilation
    g_conv = rng.normal(size=C.conv2d(x, w).shape)
    g_tr = rng.normal(size=C.conv_transpose2d(x, w, None, (2, 2), (1, 1), (1, 1), 1, (1, 1)).shape)  # output_padding 1
    for backward, g, args in ((C.conv2d_backward, g_conv, ()), (C.conv_transpose2d_backward, g_tr, tr_args)):
        full = backward(g, x, w, ALL, *args)
        for need in ((False, True, False), (True, False, True), (True, False)):
            part = backward(g, x, w, need, *args)
            for i, got in enumerate(part):
                if i < len(need) and need[i]:
                    np.testing.assert_array_equal(got, full[i])
                else:
                    assert got is None
