"""Full backward hooks behave as PyTorch's: a hook sees the same grad_input and grad_output, a
replaced gradient changes the parameters' gradients the same way, the corner cases raise what
PyTorch raises; and the hooked graph's gradients are still the finite differences."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor, gradcheck
from circuitgrad.nn import hooks


def arrays(grads):
    """A hook's tuple of gradients as nested lists (None stays None), for either library."""
    return tuple(None if g is None else np.asarray(g.detach() if hasattr(g, "detach") else g.data).round(10).tolist()
                 for g in grads)


def run(t, tensor, x, log, change=None):
    """The same three-layer net, hooks and loss on t = circuitgrad.nn or torch.nn."""
    numbers = np.random.default_rng(0)
    model = t.Sequential(t.Linear(3, 4), t.Tanh(), t.Linear(4, 2))
    model.load_state_dict({k: tensor(numbers.normal(size=tuple(v.shape)).tolist()).detach()
                           for k, v in model.state_dict().items()})
    for name, m in (("0", model[0]), ("1", model[1]), ("2", model[2]), ("all", model)):
        m.register_full_backward_pre_hook(lambda mod, go, name=name: log.append((name, "pre", arrays(go))))
        m.register_full_backward_hook(lambda mod, gi, go, name=name: log.append((name, "full", arrays(gi), arrays(go))))
    if change:
        change(model)
    inp = tensor(x)
    (model(inp) * tensor([[1.0, -2.0]])).sum().backward()
    return [np.asarray(p.grad).round(10).tolist() for p in model.parameters()], np.asarray(inp.grad).round(10).tolist()


@pytest.mark.parametrize("change", ["none", "double grad_input", "zero grad_output", "scale grad_output"])
def test_hooks_see_and_change_the_gradients_as_pytorchs_do(torch, change):
    def changed(t):
        def apply(model):
            if change == "double grad_input":  # the gradient leaving tanh doubles: the first layer's grads double
                model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
            elif change == "zero grad_output":  # nothing flows into the last layer: no grad below it
                model[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
            elif change == "scale grad_output":
                model[1].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        return apply if change != "none" else None

    x = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]
    ours, theirs = [], []
    got = run(nn, lambda a: Tensor(np.array(a), requires_grad=True), x, ours, changed(nn))
    want = run(torch.nn, lambda a: torch.tensor(a, requires_grad=True), x, theirs, changed(torch.nn))
    assert ours == theirs and len(ours) == 8
    assert got == want


def test_several_inputs_and_outputs_as_pytorch(torch):
    # grad_input: zeros for a Tensor that does not require grad, None for a number; grad_output: None
    # for an output the loss does not use.
    class Pair(nn.Module):
        def forward(self, a, b, k):
            return a * b * k, a + b

    class TorchPair(torch.nn.Module):
        forward = Pair.forward

    results = []
    for model, tensor in ((Pair(), lambda v, rg: Tensor(np.array(v), requires_grad=rg)),
                          (TorchPair(), lambda v, rg: torch.tensor(v, requires_grad=rg))):
        seen = []
        model.register_full_backward_pre_hook(lambda m, go: seen.append(arrays(go)))
        model.register_full_backward_hook(lambda m, gi, go: seen.append((arrays(gi), arrays(go))))
        for used in (0, 1):
            a, b = tensor([1.0, 2.0], True), tensor([3.0, -1.0], False)
            (model(a, b, 3.0)[used] * 2).sum().backward()
            seen.append(np.asarray(a.grad).tolist())
        results.append(seen)
    assert results[0] == results[1]
    assert results[0][1] == (([18.0, -6.0], [0.0, 0.0], None), ([2.0, 2.0], None))
    assert results[0][4] == (([2.0, 2.0], [0.0, 0.0], None), (None, [2.0, 2.0]))


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")  # PyTorch's note on this very case
def test_when_no_input_requires_grad_the_hook_sees_none_and_must_return_none(torch):
    for t, tensor in ((nn, lambda a: Tensor(np.array(a))), (torch.nn, torch.tensor)):
        layer, seen = t.Linear(2, 2), []
        layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, tuple(go[0].shape))))
        layer(tensor([[1.0, 2.0]])).sum().backward()
        assert seen == [((None,), (1, 2))]
    layer = nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (Tensor(np.ones((1, 2))),))
    with pytest.raises(RuntimeError, match="no input requires gradient should always return None"):
        layer(Tensor([[1.0, 2.0]])).sum().backward()


def test_a_replacement_of_the_wrong_count_or_shape_is_refused_as_in_pytorch(torch):
    cases = [("full", lambda m, gi, go: (gi[0], gi[0]), "Backward hook returned an invalid number of grad_input, "
              "got 2, but expected 1"),
             ("pre", lambda m, go: (go[0], go[0]), "Backward pre hook returned an invalid number of grad_output, "
              "got 2, but expected 1"),
             ("full", lambda m, gi, go: (gi[0][:, :1],), "has changed the size of value")]
    for kind, hook, message in cases:
        for t, tensor in ((nn, lambda a: Tensor(np.array(a), requires_grad=True)),
                          (torch.nn, lambda a: torch.tensor(a, requires_grad=True))):
            layer = t.Linear(2, 2)
            (layer.register_full_backward_hook if kind == "full" else layer.register_full_backward_pre_hook)(hook)
            with pytest.raises(RuntimeError, match=message):
                layer(tensor([[1.0, 2.0]])).sum().backward()
    layer = nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: gi[0])  # a Tensor, not a tuple of them
    with pytest.raises(RuntimeError, match="must return None or a tuple of 1 grad_input"):
        layer(Tensor([[1.0, 2.0]], requires_grad=True)).sum().backward()


def test_changing_a_hooked_input_or_output_in_place_is_refused_as_in_pytorch(torch):
    for t, tensor in ((nn, lambda a: Tensor(np.array(a), requires_grad=True)),
                      (torch.nn, lambda a: torch.tensor(a, requires_grad=True))):
        class AddOneInPlace(t.Module):
            def forward(self, x):
                x += 1
                return x

        inside = AddOneInPlace()
        inside.register_full_backward_hook(lambda m, gi, go: None)
        with pytest.raises(RuntimeError, match="is a view and is being modified inplace"):
            inside(tensor([1.0, 2.0]) * 1)
        layer = t.Linear(2, 2)
        layer.register_full_backward_hook(lambda m, gi, go: None)
        out = layer(tensor([[1.0, 2.0]]))
        with pytest.raises(RuntimeError, match="is a view and is being modified inplace"):
            out += 1
        out.clone().add_(1)  # what the message advises works


def test_the_hooked_graph_still_has_the_finite_difference_gradients(rng):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    model[1].register_full_backward_hook(lambda m, gi, go: None)
    model[2].register_full_backward_pre_hook(lambda m, go: None)
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    assert gradcheck(model, x)
    # a hook that doubles grad_input doubles exactly the gradient below it
    x.grad = None
    model[0](x).sum().backward()
    plain = x.grad.clone()
    doubling = nn.Linear(3, 4).double()
    doubling.load_state_dict(model[0].state_dict())
    doubling.register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
    x.grad = None
    doubling(x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * plain, rtol=1e-12)


def test_second_derivatives_flow_through_a_hooked_module(torch):
    values = []
    for t, tensor, grad in ((nn, lambda a: Tensor(np.array(a), requires_grad=True), None),
                            (torch.nn, lambda a: torch.tensor(a, requires_grad=True), torch.autograd.grad)):
        class Cube(t.Module):
            def forward(self, x):
                return x * x * x

        cube, seen = Cube(), []
        cube.register_full_backward_hook(lambda m, gi, go: seen.append(np.asarray(gi[0].detach()
                                                                                  if hasattr(gi[0], "detach")
                                                                                  else gi[0].data).tolist()))
        x = tensor([0.5, -2.0])
        if grad is None:
            from circuitgrad.autograd import grad
        (g,) = grad(cube(x).sum(), x, create_graph=True)  # 3x^2, a node of the recorded pass
        (gg,) = grad(g.sum(), x)  # 6x
        values.append((np.asarray(g.detach().numpy() if hasattr(g, "numpy") else g.data).tolist(),
                       np.asarray(gg.data if isinstance(gg, Tensor) else gg).tolist(), seen))
    assert values[0][:2] == values[1][:2] == ([0.75, 12.0], [3.0, -12.0])
    assert values[0][2] == values[1][2]


def test_handles_order_and_the_global_forms():
    log = []
    layer = nn.Linear(2, 1)
    first = layer.register_full_backward_hook(lambda m, gi, go: log.append("own"))
    layer.register_full_backward_hook(lambda m, gi, go: log.append("own first"), prepend=True)
    layer.register_full_backward_pre_hook(lambda m, go: log.append("own pre"))
    with hooks.register_module_full_backward_hook(lambda m, gi, go: log.append(f"global {type(m).__name__}")), \
            hooks.register_module_full_backward_pre_hook(lambda m, go: log.append("global pre")):
        layer(Tensor([[1.0, 2.0]], requires_grad=True)).sum().backward()
    assert log == ["global pre", "own pre", "global Linear", "own first", "own"]
    first.remove()
    log.clear()
    layer(Tensor([[1.0, 2.0]], requires_grad=True)).sum().backward()
    assert log == ["own pre", "own first"]
    assert not hooks.global_backward_hooks and not hooks.global_backward_pre_hooks
    with pytest.raises(TypeError, match="the hook must be a function"):
        layer.register_full_backward_hook("not a function")


def test_no_hook_no_extra_node_and_none_without_grad_mode():
    from circuitgrad.autograd import no_grad
    layer = nn.Linear(2, 1)
    out = layer(Tensor([[1.0, 2.0]], requires_grad=True))
    assert out.fn.name != "backward_hook"
    layer.register_full_backward_hook(lambda m, gi, go: None)
    assert layer(Tensor([[1.0, 2.0]], requires_grad=True)).op == "backward_hook"
    with no_grad():
        assert layer(Tensor([[1.0, 2.0]], requires_grad=True)).fn is None


def test_what_backward_hooks_do_not_watch(torch):
    # A list output is not watched, with PyTorch's warning (its hooks never run); a scalar Value is refused.
    for t, tensor in ((nn, lambda a: Tensor(np.array(a), requires_grad=True)),
                      (torch.nn, lambda a: torch.tensor(a, requires_grad=True))):
        class Twice(t.Module):
            def forward(self, a):
                return [a * 2, a * 3]

        seen = []
        twice = Twice()
        twice.register_full_backward_hook(lambda m, gi, go: seen.append(1))
        with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple of Tensors but received "
                                             "<class 'list'>"):
            out = twice(tensor([1.0, 2.0]))
        out[0].sum().backward()
        assert seen == []
    scalar = nn.MLP(2, [1])
    scalar.register_full_backward_hook(lambda m, gi, go: None)
    with pytest.raises(TypeError, match="MLP returned a Value; full backward hooks watch Tensors"):
        scalar([1.0, 2.0])
