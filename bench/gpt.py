"""microgpt's configuration on both of circuitgrad's engines, against a micrograd-style engine.

    .venv/bin/python -m bench.gpt [--quick]

The model is Karpathy's microgpt (February 2026): a character-level GPT with 1 layer, 16 dims,
4 heads, block 16, RMSNorm without weights, a ReLU MLP of width 64, no biases, weights drawn
from N(0, 0.08^2), trained one name per step with Adam (betas 0.85, 0.99) at a learning rate
decaying linearly from 0.01 to 0. Here it is written three times from one set of weights:

- `ScalarGPT`: every number a scalar node, position by position with a cache of keys and
  values, as microgpt writes it. It runs on any micrograd-style `Value` class: circuitgrad's,
  or micrograd 0.1.0's (closures, with `exp` and `log` added below in micrograd's own style).
- `TensorGPT`: the same model on circuitgrad's Tensor, a whole name at once with a causal mask.
- `torch_gpt`: the same on PyTorch (float64), for the gradient check.

Rows (goals of the GPT issue):
- the Tensor path: 1,000 steps on the English names, seconds and the mean loss of the last 20;
- the scalar path: its losses equal the Tensor path's over the first steps, and one training step
  against micrograd's engine on the same model (the same hand-written Adam for both).
"""
from __future__ import annotations

import argparse
import math
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from circuitgrad import nn
from circuitgrad.autograd import Tensor, Value
from bench import clock, fmt_ratio, fmt_time, heading, on_big_stack, table, verdict

N_LAYER, N_EMBD, N_HEAD, BLOCK_SIZE, STD = 1, 16, 4, 16, 0.08
LR, BETAS, EPS = 0.01, (0.85, 0.99), 1e-8


def init_weights(vocab_size: int, seed: int = 42) -> Dict[str, np.ndarray]:
    """microgpt's matrices (out x in, N(0, 0.08^2)) by its names, drawn from one numpy generator."""
    shapes = {"wte": (vocab_size, N_EMBD), "wpe": (BLOCK_SIZE, N_EMBD), "lm_head": (vocab_size, N_EMBD)}
    for i in range(N_LAYER):
        for name in ("attn_wq", "attn_wk", "attn_wv", "attn_wo"):
            shapes[f"layer{i}.{name}"] = (N_EMBD, N_EMBD)
        shapes[f"layer{i}.mlp_fc1"] = (4 * N_EMBD, N_EMBD)
        shapes[f"layer{i}.mlp_fc2"] = (N_EMBD, 4 * N_EMBD)
    rng = np.random.default_rng(seed)
    return {name: rng.normal(0.0, STD, shape) for name, shape in shapes.items()}


def training_names(lang: str = "en", seed: int = 42) -> List[str]:
    """The shipped names in a fixed shuffled order (microgpt shuffles its list once)."""
    names = nn.text.names(lang)
    order = np.random.default_rng(seed).permutation(len(names))
    return [names[i] for i in order]


# ---- the scalar model, as microgpt writes it ------------------------------------------------------

class ScalarGPT:
    """microgpt's model on scalar nodes of `value` (a micrograd-style class with +, *, **, relu);
    `exp` and `log` are functions of one node."""

    def __init__(self, weights: Dict[str, np.ndarray], value: type, exp: Callable, log: Callable) -> None:
        self.exp, self.log = exp, log
        self.state = {k: [[value(float(x)) for x in row] for row in w] for k, w in weights.items()}
        self.params = [p for matrix in self.state.values() for row in matrix for p in row]

    @staticmethod
    def linear(x: list, w: list) -> list:
        return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]

    def softmax(self, logits: list) -> list:
        top = max(v.data for v in logits)
        exps = [self.exp(v - top) for v in logits]
        total = sum(exps)
        return [e / total for e in exps]

    @staticmethod
    def rmsnorm(x: list) -> list:
        scale = (sum(xi * xi for xi in x) / len(x) + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def forward(self, token: int, pos: int, keys: list, values: list) -> list:
        """The logits for the next token after `token` at `pos`; appends this position's keys and values."""
        sd, head_dim = self.state, N_EMBD // N_HEAD
        block = len(sd["wpe"])
        if not 0 <= pos < block:
            raise ValueError(f"ScalarGPT: position {pos} is beyond the model's block size {block} "
                             f"(positions 0 to {block - 1} have an embedding)")
        x = [t + p for t, p in zip(sd["wte"][token], sd["wpe"][pos])]
        x = self.rmsnorm(x)
        for li in range(N_LAYER):
            residual = x
            x = self.rmsnorm(x)
            q = self.linear(x, sd[f"layer{li}.attn_wq"])
            keys[li].append(self.linear(x, sd[f"layer{li}.attn_wk"]))
            values[li].append(self.linear(x, sd[f"layer{li}.attn_wv"]))
            heads = []
            for h in range(N_HEAD):
                s = slice(h * head_dim, (h + 1) * head_dim)
                logits = [sum(a * b for a, b in zip(q[s], k[s])) / head_dim ** 0.5 for k in keys[li]]
                weights = self.softmax(logits)
                heads += [sum(w * v[s][j] for w, v in zip(weights, values[li])) for j in range(head_dim)]
            x = [a + b for a, b in zip(self.linear(heads, sd[f"layer{li}.attn_wo"]), residual)]
            residual = x
            hidden = [h.relu() for h in self.linear(self.rmsnorm(x), sd[f"layer{li}.mlp_fc1"])]
            x = [a + b for a, b in zip(self.linear(hidden, sd[f"layer{li}.mlp_fc2"]), residual)]
        return self.linear(x, sd["lm_head"])

    def loss(self, tokens: Sequence[int]) -> Any:
        """The mean of -log p(next token) over the positions of one name (at most BLOCK_SIZE)."""
        n = min(BLOCK_SIZE, len(tokens) - 1)
        keys, values = [[] for _ in range(N_LAYER)], [[] for _ in range(N_LAYER)]
        losses = [-self.log(self.softmax(self.forward(tokens[i], i, keys, values))[tokens[i + 1]])
                  for i in range(n)]
        return (1 / n) * sum(losses)


def adam_by_hand(params: list, state: dict, step: int, num_steps: int) -> None:
    """microgpt's Adam update on scalar nodes, the same for every engine; zeroes the gradients."""
    m, v = state.setdefault("m", [0.0] * len(params)), state.setdefault("v", [0.0] * len(params))
    lr = LR * (1 - step / num_steps)
    b1, b2 = BETAS
    for i, p in enumerate(params):
        m[i] = b1 * m[i] + (1 - b1) * p.grad
        v[i] = b2 * v[i] + (1 - b2) * p.grad ** 2
        m_hat, v_hat = m[i] / (1 - b1 ** (step + 1)), v[i] / (1 - b2 ** (step + 1))
        p.data -= lr * m_hat / (v_hat ** 0.5 + EPS)
        p.grad = 0.0


# ---- micrograd 0.1.0, with exp and log written in its own style ------------------------------------

def micrograd_functions() -> Optional[tuple]:
    """(Value, exp, log) of micrograd 0.1.0, or None when it is not installed (the `bench` extra)."""
    try:
        from micrograd.engine import Value as MgValue
    except ImportError:
        return None

    def exp(x: Any) -> Any:
        out = MgValue(math.exp(x.data), (x,), "exp")

        def _backward() -> None:
            x.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(x: Any) -> Any:
        out = MgValue(math.log(x.data), (x,), "log")

        def _backward() -> None:
            x.grad += (1 / x.data) * out.grad
        out._backward = _backward
        return out

    return MgValue, exp, log


def circuitgrad_scalar(weights: Dict[str, np.ndarray]) -> ScalarGPT:
    return ScalarGPT(weights, Value, Value.exp, Value.log)


# ---- the same model on Tensor ---------------------------------------------------------------------

class TensorGPT(nn.Module):
    """microgpt's model on circuitgrad's Tensor: a name of T tokens at once, attention masked so
    position t sees positions 0..t only (what the scalar model's growing cache of keys gives)."""

    def __init__(self, weights: Dict[str, np.ndarray]) -> None:
        super().__init__()
        vocab_size = weights["wte"].shape[0]
        self.wte = nn.Embedding(vocab_size, N_EMBD)
        self.wpe = nn.Embedding(BLOCK_SIZE, N_EMBD)
        self.layers = nn.ModuleList()
        for _ in range(N_LAYER):
            block = nn.Module()
            for name in ("wq", "wk", "wv", "wo"):
                setattr(block, name, nn.Linear(N_EMBD, N_EMBD, bias=False))
            block.fc1 = nn.Linear(N_EMBD, 4 * N_EMBD, bias=False)
            block.fc2 = nn.Linear(4 * N_EMBD, N_EMBD, bias=False)
            self.layers.append(block)
        self.lm_head = nn.Linear(N_EMBD, vocab_size, bias=False)
        self.norm = nn.RMSNorm(N_EMBD, eps=1e-5, elementwise_affine=False)
        self.load_state_dict(tensor_state(weights))

    def forward(self, tokens: Any) -> Tensor:
        ids = np.asarray(tokens)
        block = self.wpe.num_embeddings
        if ids.ndim != 1 or not 0 < len(ids) <= block:
            raise ValueError(f"TensorGPT: a sequence of {ids.shape[0] if ids.ndim == 1 else ids.shape} tokens does "
                             f"not fit the model's block size {block}: give 1 to {block} token ids in one list "
                             f"(keep the last {block} of a longer text, as sampling does)")
        T, head_dim = len(ids), N_EMBD // N_HEAD
        x = self.norm(self.wte(ids) + self.wpe(np.arange(T)))
        future = np.triu(np.ones((T, T), dtype=bool), k=1)  # what position t may not look at
        for block in self.layers:
            h = self.norm(x)
            q, k, v = (lin(h).reshape(T, N_HEAD, head_dim).transpose(0, 1) for lin in (block.wq, block.wk, block.wv))
            att = (q @ k.transpose(-2, -1)) / head_dim ** 0.5
            att = att.masked_fill(future, -math.inf).softmax(-1)
            x = x + block.wo((att @ v).transpose(0, 1).reshape(T, N_EMBD))
            x = x + block.fc2(block.fc1(self.norm(x)).relu())
        return self.lm_head(x)

    def loss(self, tokens: Sequence[int]) -> Tensor:
        n = min(BLOCK_SIZE, len(tokens) - 1)
        return nn.functional.cross_entropy(self(tokens[:n]), np.asarray(tokens[1:n + 1]))


def tensor_state(weights: Dict[str, np.ndarray]) -> dict:
    """microgpt's names to TensorGPT's parameter names."""
    state = {"wte.weight": weights["wte"], "wpe.weight": weights["wpe"], "lm_head.weight": weights["lm_head"]}
    for i in range(N_LAYER):
        for ours, theirs in (("wq", "attn_wq"), ("wk", "attn_wk"), ("wv", "attn_wv"), ("wo", "attn_wo"),
                             ("fc1", "mlp_fc1"), ("fc2", "mlp_fc2")):
            state[f"layers.{i}.{ours}.weight"] = weights[f"layer{i}.{theirs}"]
    return state


def torch_gpt(weights: Dict[str, np.ndarray], torch: Any) -> Any:
    """The same model in PyTorch (float64), with TensorGPT's parameter names: the oracle of the tests."""
    F = torch.nn.functional

    class TorchGPT(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            vocab_size = weights["wte"].shape[0]
            self.wte = torch.nn.Embedding(vocab_size, N_EMBD, dtype=torch.float64)
            self.wpe = torch.nn.Embedding(BLOCK_SIZE, N_EMBD, dtype=torch.float64)
            self.layers = torch.nn.ModuleList()
            for _ in range(N_LAYER):
                block = torch.nn.Module()
                for name in ("wq", "wk", "wv", "wo"):
                    setattr(block, name, torch.nn.Linear(N_EMBD, N_EMBD, bias=False, dtype=torch.float64))
                block.fc1 = torch.nn.Linear(N_EMBD, 4 * N_EMBD, bias=False, dtype=torch.float64)
                block.fc2 = torch.nn.Linear(4 * N_EMBD, N_EMBD, bias=False, dtype=torch.float64)
                self.layers.append(block)
            self.lm_head = torch.nn.Linear(N_EMBD, vocab_size, bias=False, dtype=torch.float64)
            self.load_state_dict({k: torch.tensor(v) for k, v in tensor_state(weights).items()})

        def forward(self, tokens: Any) -> Any:
            ids = torch.as_tensor(np.asarray(tokens))
            T, head_dim = len(ids), N_EMBD // N_HEAD
            x = F.rms_norm(self.wte(ids) + self.wpe(torch.arange(T)), (N_EMBD,), eps=1e-5)
            for block in self.layers:
                h = F.rms_norm(x, (N_EMBD,), eps=1e-5)
                q, k, v = (lin(h).reshape(T, N_HEAD, head_dim).transpose(0, 1) for lin in (block.wq, block.wk, block.wv))
                att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                x = x + block.wo(att.transpose(0, 1).reshape(T, N_EMBD))
                x = x + block.fc2(F.relu(block.fc1(F.rms_norm(x, (N_EMBD,), eps=1e-5))))
            return self.lm_head(x)

        def loss(self, tokens: Sequence[int]) -> Any:
            n = min(BLOCK_SIZE, len(tokens) - 1)
            return F.cross_entropy(self(tokens[:n]), torch.as_tensor(np.asarray(tokens[1:n + 1])))

    return TorchGPT()


def train(params: list, loss_of: Callable[[List[int]], Any], tokenizer: Any, names: Sequence[str],
          num_steps: int, total_steps: Optional[int] = None) -> List[float]:
    """`num_steps` steps of circuitgrad's Adam with microgpt's schedule over `total_steps`, one name
    a step; the loss of each step. The same loop for the Tensor model (its parameters) and the
    scalar one (its Values)."""
    if not names:
        raise ValueError("train: the name list is empty; give at least one name to train on")
    total = total_steps or num_steps
    opt = nn.optim.Adam(params, lr=LR, betas=BETAS, eps=EPS)
    schedule = nn.lr_scheduler.LambdaLR(opt, lambda step: 1 - step / total)
    losses = []
    for step in range(num_steps):
        loss = loss_of(tokenizer.encode(names[step % len(names)]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(float(loss.data))
    return losses


def train_tensor(model: TensorGPT, *args: Any, **kwargs: Any) -> List[float]:
    return train(model.parameters(), model.loss, *args, **kwargs)


def train_scalar(model: ScalarGPT, *args: Any, **kwargs: Any) -> List[float]:
    return train(model.params, model.loss, *args, **kwargs)


# ---- the bench -------------------------------------------------------------------------------------

def main(quick: bool = False) -> None:
    names = training_names("en")
    tok = nn.text.CharTokenizer(names)
    weights = init_weights(tok.vocab_size)
    heading("The microgpt configuration (1 layer, 16 dims, 4 heads, block 16) on English names")

    steps = 200 if quick else 1000
    model = TensorGPT(weights)
    t0 = clock()
    losses = train_tensor(model, tok, names, steps)
    seconds = clock() - t0
    last = float(np.mean(losses[-20:]))
    compare = 5 if quick else 30
    scalar = train_scalar(circuitgrad_scalar(weights), tok, names, compare)
    agree = max(abs(a - b) for a, b in zip(scalar, train_tensor(TensorGPT(weights), tok, names, compare)))
    rows = [[f"Tensor path, {steps} steps", fmt_time(seconds), "<= 10 s", verdict(seconds <= 10)],
            [f"mean loss of the last 20 steps (first: {losses[0]:.3f})", f"{last:.4f}", "<= 2.45",
             verdict(last <= 2.45) if not quick else "(quick: fewer steps)"],
            [f"scalar and Tensor losses, {compare} steps", f"max difference {agree:.1e}", "<= 1e-12",
             verdict(agree <= 1e-12)]]

    mg = micrograd_functions()
    tokens = tok.encode(names[0])
    repeat = 2 if quick else 5

    def step_of(model: ScalarGPT) -> Callable[[], None]:
        state: dict = {}

        def step() -> None:
            model.loss(tokens).backward()
            adam_by_hand(model.params, state, 0, 1000)
        return step

    ours = _median(step_of(circuitgrad_scalar(weights)), repeat)
    if mg is None:
        rows.append(["scalar step, micrograd 0.1.0 / circuitgrad", "skipped (micrograd not installed: pip install -e '.[bench]')", ">= 3x", ""])
    else:
        theirs_model = ScalarGPT(weights, *mg)
        theirs = on_big_stack(lambda: _median(step_of(theirs_model), repeat), recursion_limit=100_000)
        rows.append([f"scalar step ({len(tokens) - 1} positions): circuitgrad {fmt_time(ours)}, micrograd "
                     f"{fmt_time(theirs)}", fmt_ratio(theirs / ours), ">= 3x", verdict(theirs / ours >= 3)])
    print(table(["row", "figure", "goal", ""], rows))


def _median(step: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat + 1):
        t0 = clock()
        step()
        times.append(clock() - t0)
    return float(np.median(times[1:]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.gpt", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
