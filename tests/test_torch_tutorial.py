"""PyTorch's beginner tutorial ("Quickstart": data set, model class, loss, optimizer, train and test
loops with accuracy), written once as a function of the module `torch`, run under PyTorch and under
`import circuitgrad as torch` (with `torch.nn` -> `circuitgrad.nn`), from the same weights: every
number it prints agrees (issue 22, item 8).

The tutorial draws its weights with `torch.manual_seed`; here both runs load the same state dict
instead, so the comparison does not depend on the two libraries' random generators.
"""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad
from circuitgrad import nn as cg_nn
from circuitgrad.nn import data as cg_data


def quickstart(torch, nn, data, X, y, state, epochs=3):
    """The tutorial's code, with its data set swapped for small arrays; returns what it prints."""
    printed = []
    training_data = data.TensorDataset(torch.from_numpy(X[:12]), torch.from_numpy(y[:12]))
    test_data = data.TensorDataset(torch.from_numpy(X[12:]), torch.from_numpy(y[12:]))
    batch_size = 4
    train_dataloader = data.DataLoader(training_data, batch_size=batch_size)
    test_dataloader = data.DataLoader(test_data, batch_size=batch_size)
    for X_, y_ in test_dataloader:
        printed.append(("Shape of X [N, F]", tuple(X_.shape)))
        printed.append(("Shape of y", tuple(y_.shape), str(y_.dtype).replace("torch.", "")))
        break

    device = "cuda" if torch.cuda.is_available() else "cpu"
    printed.append(("Using device", device))

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                                                   nn.Linear(8, 3))

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork().to(device)
    model.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()})

    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)

    def train(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if batch % 2 == 0:
                loss, current = loss.item(), (batch + 1) * len(X)
                printed.append(("loss", loss, current, size))

    def test(dataloader, model, loss_fn):
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        test_loss /= num_batches
        correct /= size
        printed.append(("Test Error: Accuracy", 100 * correct, "Avg loss", test_loss))

    for t in range(epochs):
        printed.append(("Epoch", t + 1))
        train(train_dataloader, model, loss_fn, optimizer)
        test(test_dataloader, model, loss_fn)

    with torch.no_grad():  # the tutorial's last step: predict one sample
        x = torch.from_numpy(X[12:13])
        pred = model(x)
        printed.append(("Predicted", pred[0].argmax(0).item()))
    return printed


def test_quickstart_prints_the_same_numbers_under_torch_and_circuitgrad(torch):
    rng = np.random.default_rng(22)
    X = rng.normal(size=(20, 4))  # float64 features: circuitgrad's default dtype, and torch's in this test
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)  # int64 labels, classes 0, 1, 2
    state = {}
    for i, (n_out, n_in) in zip((0, 2, 4), ((8, 4), (8, 8), (3, 8))):
        state[f"linear_relu_stack.{i}.weight"] = rng.normal(size=(n_out, n_in)) / np.sqrt(n_in)
        state[f"linear_relu_stack.{i}.bias"] = rng.normal(size=n_out) * 0.1

    theirs = quickstart(torch, torch.nn, torch.utils.data, X, y, state)
    ours = quickstart(circuitgrad, cg_nn, cg_data, X, y, state)

    assert len(ours) == len(theirs) == 16
    for mine, ref in zip(ours, theirs):
        assert len(mine) == len(ref) and mine[0] == ref[0]
        for a, b in zip(mine[1:], ref[1:]):
            if isinstance(b, float):
                assert type(a) is float and a == pytest.approx(b, rel=1e-9, abs=1e-12), (mine, ref)
            else:
                assert a == b, (mine, ref)
    assert ("Shape of y", (4,), "int64") in ours  # labels stay int64 through TensorDataset and DataLoader
    assert ("Using device", "cpu") in ours
