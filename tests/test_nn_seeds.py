"""The seeds' experiments: the XOR net of seed 001 (also against PyTorch's seed-777 curve) and the
1-8-4-1 ReLU height/weight regression of seed 002."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor

# The loss curve for torch.manual_seed(777) in float32: epochs 0 and 5600 as the tutorial (seed 001)
# prints them, 1000 and 10000 (past the end of its printout) as PyTorch 2.13 gives them.
TUTORIAL_CURVE = {0: 0.6948983669281006, 1000: 0.693138, 5600: 0.0032926425337791443, 10000: 0.000157}


def xor_net(dtype=np.float64) -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 10, dtype=dtype), nn.Sigmoid(), nn.Linear(10, 10, dtype=dtype), nn.Sigmoid(),
                         nn.Linear(10, 10, dtype=dtype), nn.Sigmoid(), nn.Linear(10, 1, dtype=dtype), nn.Sigmoid())


def train_xor(model, X, Y, epochs, record=(), stop_below=None):
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = nn.BCELoss()
    losses = {}
    for epoch in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        if epoch in record:
            losses[epoch] = loss.item()
        if stop_below is not None and loss.item() < stop_below:
            break
    return loss.item(), losses


def test_xor_net_solves_xor_for_most_seeds():
    """2-10-10-10-1 with sigmoids, BCE and SGD lr=1 for up to 10001 epochs (stopping once solved)."""
    X, Y = (Tensor(a) for a in nn.data.xor())
    solved = 0
    for seed in range(5):  # seed 2 stays on the plateau and runs all 10001 epochs
        np.random.seed(seed)
        model = xor_net()
        loss, _ = train_xor(model, X, Y, 10001, stop_below=0.05)
        predicted = model(X).data > 0.5
        solved += loss < 0.05 and bool((predicted == (Y.data > 0.5)).all())
    assert solved >= 3


def torch_seed_777_weights(torch) -> dict:
    """The initial weights of the tutorial's model: torch.manual_seed(777), then the float32 Sequential."""
    torch.manual_seed(777)
    f32 = torch.float32
    model = torch.nn.Sequential(
        torch.nn.Linear(2, 10, dtype=f32), torch.nn.Sigmoid(), torch.nn.Linear(10, 10, dtype=f32), torch.nn.Sigmoid(),
        torch.nn.Linear(10, 10, dtype=f32), torch.nn.Sigmoid(), torch.nn.Linear(10, 1, dtype=f32), torch.nn.Sigmoid())
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_xor_from_torch_seed_777_follows_the_tutorial_curve(torch):
    """Our float32 net from torch's seed-777 weights reproduces the loss curve seed 001 printed.

    Tolerances: through the plateau (epochs 0 and 1000) 1e-6 relative; we measured agreement to the
    last printed digit. The fall from the plateau (around epoch 5000) amplifies rounding differences
    chaotically: changing one initial weight by 1e-15 changes the loss at epoch 8000 by 0.6%, and
    PyTorch's own float32 and float64 runs differ by 1.4% at epoch 5600. So after the fall we ask
    for 2%; we measured 0.06% (5600) and 0.3% (10000).
    """
    model = xor_net(np.float32)
    model.load_state_dict(torch_seed_777_weights(torch))
    X, Y = (Tensor(a, dtype=np.float32) for a in nn.data.xor())
    _, losses = train_xor(model, X, Y, 10001, record=TUTORIAL_CURVE)
    assert losses[0] == pytest.approx(TUTORIAL_CURVE[0], rel=1e-6)
    assert losses[1000] == pytest.approx(TUTORIAL_CURVE[1000], rel=1e-6)
    assert losses[5600] == pytest.approx(TUTORIAL_CURVE[5600], rel=2e-2)
    assert losses[10000] == pytest.approx(TUTORIAL_CURVE[10000], rel=2e-2)
    assert ((model(X).data > 0.5) == (Y.data > 0.5)).all()


def test_xor_training_matches_torch_step_by_step_in_float64(torch):
    """Same weights, same data, same optimizer: the float64 runs agree to rounding, epoch by epoch."""
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(2, 10), torch.nn.Sigmoid(), torch.nn.Linear(10, 10), torch.nn.Sigmoid(),
                              torch.nn.Linear(10, 10), torch.nn.Sigmoid(), torch.nn.Linear(10, 1), torch.nn.Sigmoid())
    model = xor_net()
    model.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    X, Y = nn.data.xor()
    opt, topt = nn.optim.SGD(model.parameters(), lr=1.0), torch.optim.SGD(ref.parameters(), lr=1.0)
    for epoch in range(300):
        opt.zero_grad()
        loss = nn.BCELoss()(model(Tensor(X)), Y)
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.BCELoss()(ref(torch.tensor(X)), torch.tensor(Y))
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-13)
    for ours, theirs in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relu_regression_1_8_4_1_fits_height_from_weight(seed):
    """Seed 002: a straight line cannot follow the curve; the 1-8-4-1 ReLU net with MSE can."""
    X, y = nn.data.height_weight(100, noise=2.0, seed=seed)
    sx, sy = nn.data.Standardizer().fit(X), nn.data.Standardizer().fit(y)
    Xs, ys = sx.transform(X), sy.transform(y)
    np.random.seed(seed)
    model = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 1))
    history = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), (Xs, ys), epochs=1500,
                     progress=False)
    line = np.polyval(np.polyfit(Xs.ravel(), ys.ravel(), 1), Xs.ravel())
    line_mse = np.mean((ys.ravel() - line) ** 2)
    assert history["loss"][-1] < 0.05 * ys.var()  # standardized: the variance is 1
    assert history["loss"][-1] < 0.25 * line_mse
    heights = sy.inverse_transform(model(Tensor(Xs)).data)
    assert np.sqrt(np.mean((heights - y) ** 2)) < 3.0  # cm, against noise of 2 cm
