"""Recurrent cells and layers, embeddings and attention against PyTorch (copied weights) and finite differences."""
import numpy as np
import pytest

from circuitgrad.autograd import Tensor, gradcheck
from circuitgrad.nn.attention import MultiheadAttention, scaled_dot_product_attention
from circuitgrad.nn.embedding import Embedding
from circuitgrad.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests; install torch==2.13.0")
torch.set_default_dtype(torch.float64)


def copy_into_torch(ours, theirs):
    with torch.no_grad():
        for name, p in ours.named_parameters():
            getattr(theirs, name).copy_(torch.from_numpy(p.data))


def assert_grads_match(ours, theirs, atol=1e-9):
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, getattr(theirs, name).grad.numpy(), atol=atol, err_msg=name)


def as_pair(x):
    t = torch.tensor(x, requires_grad=True)
    return Tensor(x, requires_grad=True), t


@pytest.mark.parametrize("ours_cls, torch_cls", [(RNNCell, "RNNCell"), (LSTMCell, "LSTMCell"), (GRUCell, "GRUCell")])
def test_cells_match_pytorch(ours_cls, torch_cls):
    np.random.seed(0)
    cell = ours_cls(3, 4)
    ref = getattr(torch.nn, torch_cls)(3, 4)
    copy_into_torch(cell, ref)
    assert [n for n, _ in cell.named_parameters()] == [n for n, _ in ref.named_parameters()]
    x, tx = as_pair(np.random.randn(2, 3))
    h0 = np.random.randn(2, 4)
    if ours_cls is LSTMCell:
        c0 = np.random.randn(2, 4)
        h, c = cell(x, (Tensor(h0), Tensor(c0)))
        th, tc = ref(tx, (torch.tensor(h0), torch.tensor(c0)))
        out, tout = (h * 2 + c).sum(), (th * 2 + tc).sum()
        np.testing.assert_allclose(c.data, tc.detach().numpy(), atol=1e-12)
    else:
        h = cell(x, Tensor(h0))
        th = ref(tx, torch.tensor(h0))
        out, tout = (h * h).sum(), (th * th).sum()
    np.testing.assert_allclose(h.data, th.detach().numpy(), atol=1e-12)
    out.backward()
    tout.backward()
    assert_grads_match(cell, ref)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_sequence_layers_match_pytorch(kind, batch_first):
    np.random.seed(1)
    ours = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}[kind](3, 5, num_layers=2, batch_first=batch_first)
    ref = getattr(torch.nn, kind)(3, 5, num_layers=2, batch_first=batch_first)
    copy_into_torch(ours, ref)
    seq = np.random.randn(4, 2, 3)  # (T, B, F)
    if batch_first:
        seq = seq.transpose(1, 0, 2).copy()
    x, tx = as_pair(seq)
    out, state = ours(x)
    tout, tstate = ref(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    if kind == "LSTM":
        np.testing.assert_allclose(state[0].data, tstate[0].detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(state[1].data, tstate[1].detach().numpy(), atol=1e-12)
        loss, tloss = out.sum() + (state[1] * state[1]).sum(), tout.sum() + (tstate[1] ** 2).sum()
    else:
        np.testing.assert_allclose(state.data, tstate.detach().numpy(), atol=1e-12)
        loss, tloss = (out * out).sum() + state.sum(), (tout ** 2).sum() + tstate.sum()
    loss.backward()
    tloss.backward()
    assert_grads_match(ours, ref)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=1e-12)


def test_initial_state_and_unbatched_input():
    np.random.seed(2)
    ours, ref = GRU(2, 3), torch.nn.GRU(2, 3)
    copy_into_torch(ours, ref)
    seq, h0 = np.random.randn(5, 2), np.random.randn(1, 3)
    out, h = ours(Tensor(seq), Tensor(h0))
    tout, th = ref(torch.tensor(seq), torch.tensor(h0))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(h.data, th.detach().numpy(), atol=1e-12)


def test_lstm_cell_gradcheck():
    np.random.seed(3)
    cell = LSTMCell(2, 2)
    x = Tensor(np.random.randn(3, 2), requires_grad=True)
    h = Tensor(np.random.randn(3, 2), requires_grad=True)
    c = Tensor(np.random.randn(3, 2), requires_grad=True)
    assert gradcheck(lambda x, h, c, w: cell(x, (h, c))[1], x, h, c, cell.weight_ih)


def test_embedding_accumulates_repeated_ids_and_matches_pytorch():
    np.random.seed(4)
    emb, ref = Embedding(6, 3), torch.nn.Embedding(6, 3)
    copy_into_torch(emb, ref)
    ids = np.array([[1, 4, 1], [5, 1, 0]])
    out, tout = emb(ids), ref(torch.tensor(ids))
    np.testing.assert_allclose(out.data, tout.detach().numpy())
    weights = np.random.randn(2, 3, 3)
    (out * weights).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(emb.weight.grad, ref.weight.grad.numpy(), atol=1e-12)
    assert np.allclose(emb.weight.grad[1], weights[0, 0] + weights[0, 2] + weights[1, 1])


def test_scaled_dot_product_attention_matches_pytorch_with_mask():
    np.random.seed(5)
    q, tq = as_pair(np.random.randn(2, 4, 3))
    k, tk = as_pair(np.random.randn(2, 5, 3))
    v, tv = as_pair(np.random.randn(2, 5, 2))
    keep = np.tril(np.ones((4, 5), dtype=bool))
    out = scaled_dot_product_attention(q, k, v, attn_mask=keep)
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(keep))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    w = np.random.randn(*out.shape)
    (out * w).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for ours, theirs in ((q, tq), (k, tk), (v, tv)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-12)


def test_attention_gradcheck():
    np.random.seed(6)
    q, k, v = (Tensor(np.random.randn(3, 2), requires_grad=True) for _ in range(3))
    assert gradcheck(lambda q, k, v: scaled_dot_product_attention(q, k, v), q, k, v)


@pytest.mark.parametrize("per_head", [False, True], ids=["mask (L, S)", "mask (N*H, L, S)"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_pytorch(batch_first, per_head):
    np.random.seed(7)
    ours = MultiheadAttention(4, 2, batch_first=batch_first)
    ref = torch.nn.MultiheadAttention(4, 2, batch_first=batch_first)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.from_numpy(ours.in_proj_weight.data))
        ref.in_proj_bias.copy_(torch.from_numpy(ours.in_proj_bias.data))
        ref.out_proj.weight.copy_(torch.from_numpy(ours.out_proj.weight.data))
        ref.out_proj.bias.copy_(torch.from_numpy(ours.out_proj.bias.data))
    x, tx = as_pair(np.random.randn(2, 3, 4) if batch_first else np.random.randn(3, 2, 4))  # seq 3, batch 2
    hide = np.triu(np.ones((3, 3), dtype=bool), k=1)  # causal: True = may not attend
    if per_head:  # one mask per (batch item, head), item-major as PyTorch: each hides a different key
        hide = np.zeros((4, 3, 3), dtype=bool)
        for i in range(4):
            hide[i, :, i % 3] = True
    out, weights = ours(x, x, x, attn_mask=hide)
    tout, tweights = ref(tx, tx, tx, attn_mask=torch.tensor(hide))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(weights.data, tweights.detach().numpy(), atol=1e-12)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(ours.in_proj_weight.grad, ref.in_proj_weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.out_proj.weight.grad, ref.out_proj.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), atol=1e-10)


# ---- bad input: each names the layer and the shapes ---------------------------------------------

def test_sequence_of_wrong_rank_or_width():
    with pytest.raises(ValueError, match=r"LSTM: expected a sequence of shape \(seq_len, batch, 3\).*got \(4, 2, 5\)"):
        LSTM(3, 4)(Tensor(np.zeros((4, 2, 5))))
    with pytest.raises(ValueError, match=r"GRU: expected a sequence.*got \(3,\)"):
        GRU(3, 4)(Tensor(np.zeros(3)))


def test_hidden_state_of_wrong_shape():
    with pytest.raises(ValueError, match=r"RNN: initial hidden state must have shape \(1, 2, 4\), got \(2, 4\)"):
        RNN(3, 4)(Tensor(np.zeros((5, 2, 3))), Tensor(np.zeros((2, 4))))
    with pytest.raises(ValueError, match=r"GRUCell: hidden state must have shape \(2, 4\).*got \(2, 3\)"):
        GRUCell(3, 4)(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"LSTMCell: the state must be a tuple \(h, c\)"):
        LSTMCell(3, 4)(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4))))


def test_multihead_attention_mask_shapes_are_pytorchs():
    mha = MultiheadAttention(4, 2)
    x = Tensor(np.zeros((3, 2, 4)))  # seq 3, batch 2: with 2 heads, a (2, 3, 3) mask would be ambiguous
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(L, S\) = \(3, 3\) or \(batch \* num_heads, L, S\) "
                                         r"= \(4, 3, 3\), got \(2, 3, 3\)"):
        mha(x, x, x, attn_mask=np.zeros((2, 3, 3), dtype=bool))


def test_mask_that_does_not_broadcast():
    q = Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"mask of shape \(3,\) does not broadcast to the scores' shape \(4, 4\)"):
        scaled_dot_product_attention(q, q, q, attn_mask=np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="hides every key"):
        scaled_dot_product_attention(q, q, q, attn_mask=np.zeros((4, 4), dtype=bool))
    with pytest.raises(ValueError, match="num_heads"):
        MultiheadAttention(5, 2)


def test_embedding_index_out_of_range():
    with pytest.raises(ValueError, match=r"Embedding: index 7 is out of range for 5 embeddings \(valid: 0..4\)"):
        Embedding(5, 2)([1, 7])
    with pytest.raises(ValueError, match="Embedding: index -1"):
        Embedding(5, 2)([-1])
    with pytest.raises(ValueError, match="ids must be integers"):
        Embedding(5, 2)(np.array([0.5]))


def test_traced_layer_groups_each_time_step_and_computes_the_same():
    from circuitgrad import nn
    np.random.seed(8)
    lstm = nn.LSTM(2, 3, num_layers=2)
    seq = Tensor(np.random.randn(4, 1, 2))
    plain, _ = lstm(seq)
    with nn.trace_modules() as trace:
        traced, _ = lstm(seq)
    np.testing.assert_array_equal(plain.data, traced.data)
    steps = [c.title for c in trace.calls if c.parent is not None]
    assert steps == [f"l{k} t={t}: TimeStep" for k in range(2) for t in range(4)]
    assert [n for n, _ in lstm.named_parameters()] == [n for n, _ in torch.nn.LSTM(2, 3, 2).named_parameters()]


def test_inputs_and_initial_states_are_named_in_a_diagram():
    # Slices of an input that needs no gradient, and the zero initial states, are constants;
    # they carry names so that a diagram says x[t=1] and h0 rather than "const".
    from circuitgrad import nn
    from circuitgrad import viz
    np.random.seed(9)
    rnn = nn.RNN(2, 2)
    x = Tensor(np.random.randn(3, 1, 2), label="x")
    with nn.trace_modules() as trace:
        out, _ = rnn(x)
    out.sum().backward()
    source = viz.draw(out.sum(), trace=trace, collapse=True).source
    for name in ("x[t=0]", "x[t=2]", "h0"):
        assert f">{name}<" in source
    assert ">const<" not in source
    lstm_state = nn.LSTM(2, 2, num_layers=2)._initial(x, None, (1,))
    assert [(h.label, c.label) for h, c in lstm_state] == [("h0", "c0"), ("h0 l1", "c0 l1")]


def test_multihead_attention_is_causal_is_pytorchs_hint(torch):
    """is_causal=True with the causal mask equals the mask alone (and PyTorch); without a mask it is
    refused, as PyTorch refuses it, rather than silently attending everywhere."""
    np.random.seed(3)
    ours = MultiheadAttention(4, 2, batch_first=True)
    ref = torch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            p.copy_(torch.from_numpy(dict(ours.named_parameters())[name].data))
    x = np.random.randn(2, 3, 4)
    hide = np.triu(np.ones((3, 3), dtype=bool), k=1)
    out, _ = ours(Tensor(x), Tensor(x), Tensor(x), attn_mask=hide, is_causal=True)
    tout, _ = ref(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(hide), is_causal=True)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        ref(*(torch.tensor(x),) * 3, is_causal=True)
    with pytest.raises(ValueError, match=r"is_causal=True is a hint that attn_mask is the causal mask; give the mask"):
        ours(Tensor(x), Tensor(x), Tensor(x), is_causal=True)
