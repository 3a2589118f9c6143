"""Training plots: they return matplotlib Figures, never show windows, and check their inputs."""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the plots need matplotlib (the test extra)")
from matplotlib.figure import Figure  # noqa: E402

from circuitgrad import nn  # noqa: E402
from circuitgrad import viz  # noqa: E402
from circuitgrad.autograd import Tensor  # noqa: E402
from circuitgrad.viz.plots import activation_curves  # noqa: E402

REPO = str(Path(__file__).resolve().parents[1])


def test_plot_history_panels():
    fig = viz.plot_history({"loss": [0.7, 0.5, 0.3], "val_loss": [0.8, 0.6, 0.5], "accuracy": [0.5, 0.75, 1.0],
                            "val_accuracy": [], "lr": [0.1, 0.1, 0.05]})
    assert isinstance(fig, Figure)
    loss_ax, metric_ax, lr_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["loss", "val_loss"]
    assert loss_ax.lines[0].get_color() == loss_ax.lines[1].get_color()  # val_loss pairs with loss, dashed
    assert loss_ax.lines[1].get_linestyle() == "--"
    assert [line.get_label() for line in metric_ax.lines] == ["accuracy"]  # the empty list is skipped
    assert lr_ax.get_ylabel() == "learning rate"
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3])  # epochs count from 1
    assert viz.plot_history({"loss": [1.0, 0.1]}, log_loss=True).axes[0].get_yscale() == "log"


def test_plot_history_takes_what_fit_returns():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    X = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = Tensor([[0.0], [1.0], [1.0], [0.0]])
    history = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=3,
                     progress=False)
    fig = viz.plot_history(history)
    assert len(fig.axes[0].lines[0].get_xdata()) == 3


@pytest.mark.parametrize("history, error, match", [
    ([0.5, 0.4], TypeError, "history must be a dict of lists"),
    ({}, ValueError, "history is empty"),
    ({"loss": []}, ValueError, "every list in history is empty"),
    ({"loss": ["a", "b"]}, TypeError, "'loss' must be a list of numbers"),
    ({"loss": 0.5}, TypeError, "'loss' must be a list of numbers"),
])
def test_plot_history_errors(history, error, match):
    with pytest.raises(error, match=match):
        viz.plot_history(history)


def _xor_points():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0.0, 1.0, 1.0, 0.0])


def test_decision_boundary_with_probabilities_and_with_scores():
    X, y = _xor_points()
    seen = []

    def prob(t):
        seen.append(t.shape)
        return ((t[:, 0:1] - 0.5) * (t[:, 1:2] - 0.5) * -8).sigmoid()

    fig = viz.plot_decision_boundary(prob, X, y.reshape(-1, 1), resolution=30)
    assert isinstance(fig, Figure) and seen == [(900, 2)]
    assert len(fig.axes) == 2  # the plot and its probability colour bar

    def scores(t):
        return Tensor(np.column_stack([t.data[:, 0], t.data[:, 1], 1 - t.data.sum(axis=1)]))

    fig = viz.plot_decision_boundary(scores, Tensor(X), Tensor([0.0, 1.0, 2.0, 2.0]), resolution=20)
    assert len(fig.axes) == 1


def test_decision_boundary_runs_the_model_without_a_graph():
    X, y = _xor_points()
    outputs = []

    def model(t):
        out = (t * 2).sum(axis=1, keepdims=True).sigmoid()
        outputs.append(out)
        return out

    viz.plot_decision_boundary(model, X, y, resolution=5)
    assert outputs[0].parents == ()  # built under no_grad()


@pytest.mark.parametrize("X, y, model_out, match", [
    (np.ones((4, 3)), np.zeros(4), None, r"X must have shape \(N, 2\)"),
    (np.ones((4, 2)), np.zeros(3), None, "one label per row of X"),
    (np.ones((4, 2)), np.zeros(4), np.ones((7, 1)), r"returned shape \(7, 1\)"),
])
def test_decision_boundary_errors(X, y, model_out, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_decision_boundary(lambda t: model_out, X, y, resolution=5)


def test_grad_flow_shows_each_parameter():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    with pytest.raises(ValueError, match="call loss.backward"):
        viz.plot_grad_flow(model)
    (model(Tensor(np.ones((3, 2)))) ** 2).mean().backward()
    fig = viz.plot_grad_flow(model)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    heights = [p.get_height() for p in ax.patches]  # max bars first, then mean bars
    w = np.abs(model[0].weight.grad)
    np.testing.assert_allclose(heights[0], w.max())
    np.testing.assert_allclose(heights[4], w.mean())
    with pytest.raises(TypeError, match="named_parameters"):
        viz.plot_grad_flow([1, 2])


def test_activation_derivatives_come_from_autograd():
    x = np.linspace(-3, 3, 61)
    curves = {name: (y, dy) for name, y, dy in activation_curves(x)}
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(curves["sigmoid"][1], s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(curves["tanh"][1], 1 - np.tanh(x) ** 2, rtol=1e-12)
    np.testing.assert_array_equal(curves["relu"][1], (x > 0).astype(float))
    np.testing.assert_array_equal(curves["step"][1], np.zeros_like(x))
    np.testing.assert_allclose(curves["leaky relu (slope 0.1)"][1], np.where(x > 0, 1.0, 0.1))
    fig = viz.plot_activations()
    assert [ax.get_title() for ax in fig.axes] == ["step", "sigmoid", "tanh", "relu", "leaky relu (slope 0.1)", "selu"]
    with pytest.raises(ValueError, match="at least two points"):
        viz.plot_activations([1.0])


def test_plots_never_use_pyplot():
    code = ("import sys\nfrom circuitgrad import viz\n"
            "viz.plot_activations(); viz.plot_history({'loss': [1, 0.5]})\n"
            "print('matplotlib.pyplot' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_korean_titles_and_legends_get_a_korean_font_in_our_figures_only(tmp_path):
    import matplotlib

    from circuitgrad.viz.fonts import korean_font

    cjk = korean_font()
    if cjk is None:
        pytest.skip("matplotlib finds no Korean font (as root: apt-get install fonts-nanum)")
    before = list(matplotlib.rcParams["font.family"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for boxes
        fig = viz.plot_history({"손실": [0.7, 0.4, 0.2]}, title="학습 곡선")
        fig.savefig(tmp_path / "k.png")
    assert fig._suptitle.get_fontfamily()[-1] == cjk
    legend = fig.axes[0].get_legend().get_texts()[0]
    assert legend.get_text() == "손실" and cjk in legend.get_fontfamily()
    assert list(matplotlib.rcParams["font.family"]) == before  # the user's settings are untouched
