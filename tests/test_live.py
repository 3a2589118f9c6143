"""Training you can watch: nn.fit's callbacks, viz.live (a page, or Jupyter) and viz.plot_neurons."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.viz.live import png
from circuitgrad.viz.neurons import neuron_maps

ROOT = Path(__file__).resolve().parent.parent


def xor_net(seed: int = 0):
    np.random.seed(seed)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    X, y = nn.data.xor()
    return model, X, y


class Recorder:
    def __init__(self):
        self.calls = []

    def on_train_begin(self, model, data):
        self.calls.append(("begin", model, data))

    def on_epoch_end(self, epoch, logs):
        self.calls.append(("epoch", epoch, dict(logs)))

    def on_train_end(self, history):
        self.calls.append(("end", history))


def test_fit_calls_each_callback_in_order():
    model, X, y = xor_net()
    rec = Recorder()
    history = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=3,
                     progress=False, metrics=["accuracy"], callbacks=[rec])
    kinds = [c[0] for c in rec.calls]
    assert kinds == ["begin", "epoch", "epoch", "epoch", "end"]
    assert rec.calls[0][1] is model and rec.calls[0][2][0] is X
    assert [c[1] for c in rec.calls[1:4]] == [0, 1, 2]
    assert [c[2]["loss"] for c in rec.calls[1:4]] == history["loss"]
    assert rec.calls[-1][1] is history


def test_fit_rejects_bad_callbacks():
    model, X, y = xor_net()
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    with pytest.raises(TypeError, match="callbacks must be a list"):
        nn.fit(model, nn.BCELoss(), opt, (X, y), epochs=1, progress=False, callbacks=Recorder())
    with pytest.raises(TypeError, match="callback object has none of the methods"):
        nn.fit(model, nn.BCELoss(), opt, (X, y), epochs=1, progress=False, callbacks=[object()])


def test_neuron_maps_are_each_neurons_activation_over_the_plane():
    model, X, _ = xor_net()
    info = neuron_maps(model, X, resolution=5)
    assert [m.shape for m in info["maps"]] == [(2, 5, 5), (4, 5, 5), (1, 5, 5)]
    assert [w.shape for w in info["weights"]] == [(4, 2), (1, 4)]
    x0, x1, y0, y1 = info["extent"]
    assert (x0, x1, y0, y1) == (-0.5, 1.5, -0.5, 1.5)
    # the top-left pixel is the point (x0, y1); a hidden neuron there is tanh(W @ p + b)
    w, b = model[0].weight.data, model[0].bias.data
    assert info["maps"][1][:, 0, 0] == pytest.approx(np.tanh(w @ np.array([x0, y1]) + b))
    assert info["maps"][0][0, 0, -1] == x1 and info["maps"][0][1, -1, 0] == y0
    assert model.training, "the model's mode is restored"


def test_neuron_maps_refuse_what_they_cannot_draw():
    model, X, _ = xor_net()
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        neuron_maps(model, np.ones((4, 3)))
    with pytest.raises(ValueError, match="2 inputs"):
        neuron_maps(nn.Sequential(nn.Linear(3, 1)), X)
    with pytest.raises(TypeError, match="Sequential"):
        neuron_maps(lambda x: x, X)
    with pytest.raises(ValueError, match="resolution"):
        neuron_maps(model, X, resolution=1)


def test_png_is_a_valid_image():
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = png(rgb)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    matplotlib = pytest.importorskip("matplotlib", reason="reading the PNG back needs matplotlib")
    import io
    from matplotlib import image
    back = image.imread(io.BytesIO(data), format="png")
    assert np.allclose(back[..., :3] * 255, rgb, atol=0.5)


def test_live_writes_the_run_as_an_animated_page(tmp_path):
    model, X, y = xor_net()
    path = tmp_path / "xor_training.html"
    watch = viz.live(path=path, interval=0.0, budget=1.0, max_frames=10)
    nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=25, progress=False,
           metrics=["accuracy"], callbacks=[watch])
    text = path.read_text(encoding="utf-8")
    frames = json.loads(re.search(r"var CG_RUN = (\{.*?\});\n", text, re.S).group(1))["frames"]
    assert 5 <= len(frames) <= 10, "thinned to at most max_frames"
    assert "<b>epoch 24</b>" in frames[-1]["html"] and frames[-1]["epoch"] == 24, "the last frame is the end of training"
    assert frames[-1]["html"].count("<image ") == 3 + 1  # a picture of each column's maps, and the output over the plane
    assert frames[-1]["html"].count('stroke="#9e9e9e" stroke-width="0.6"') == 2 + 4 + 1  # an outline round each neuron
    assert frames[-1]["w"] is None, "without loss= no weights are recorded"
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", text)
    assert 0 < watch.overhead < 1


def test_live_stays_within_its_budget_of_training_time(tmp_path):
    import time

    model, X, y = xor_net()
    watch = viz.live(path=tmp_path / "t.html", interval=0.0, budget=0.05)
    seen = {}
    end = watch.on_train_end

    def before_the_end(history):  # what the frames drawn during training cost, before the last frame and the file
        seen["cost"], seen["at"] = watch.cost, time.perf_counter()
        end(history)

    watch.on_train_end = before_the_end
    start = time.perf_counter()
    nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=2000, progress=False,
           callbacks=[watch])
    # the budget is checked before each frame, so the share can pass it by one frame at most
    one_frame = watch.cost / len(watch.frames)
    assert seen["cost"] <= 0.05 * (seen["at"] - start) + 2 * one_frame
    assert len(watch.frames) >= 3


def test_live_needs_somewhere_to_draw():
    model, X, y = xor_net()
    with pytest.raises(ValueError, match="path="):
        nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=1, progress=False,
               callbacks=[viz.live()])
    with pytest.raises(ValueError, match="budget"):
        viz.live(budget=0)
    with pytest.raises(ValueError, match="X= and y="):
        nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), nn.data.DataLoader(nn.data.TensorDataset(X, y), batch_size=2),
               epochs=1, progress=False, callbacks=[viz.live(path="unused.html")])


def test_live_updates_one_output_in_jupyter(monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="needs nbformat (the `test` extra)")
    nbclient = pytest.importorskip("nbclient", reason="needs nbclient (the `test` extra)")
    pytest.importorskip("ipykernel", reason="needs ipykernel (the `test` extra)")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np\nfrom circuitgrad import nn, viz\nnp.random.seed(0)\nX, y = nn.data.xor()\n"
        "model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())\n"
        "watch = viz.live(interval=0.0, budget=1.0)\n"
        "h = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=30, "
        "progress=False, callbacks=[watch])")])
    # with loss=: the whole live page (curves, maps and the sample's graph) in an iframe, updated as it trains
    nb.cells.append(nbformat.v4.new_code_cell(
        "watch = viz.live(X, y, loss=nn.BCELoss(), interval=0.0, budget=1.0)\n"
        "h = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), watch.data, epochs=20, "
        "progress=False, callbacks=[watch])\n"
        "watch.add_points([[0.5, 0.5]], [1.0])\n"
        "h = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), watch.data, epochs=5, "
        "progress=False, callbacks=[watch])\n"
        "watch.epochs[-1]"))
    nb.cells.append(nbformat.v4.new_code_cell(  # the same run trained on in the next cell: drawn in that cell
        "h = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), watch.data, epochs=3, "
        "progress=False, callbacks=[watch])"))
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"], "one output, updated in place"
    assert "<b>epoch 29</b>" in outputs[0].data["text/html"]
    outputs = nb.cells[1].outputs
    assert [o.output_type for o in outputs] == ["display_data", "execute_result"], "one view, nothing printed"
    view = outputs[0].data["text/html"]
    assert view.startswith('<div class="cg-live-page"><iframe srcdoc=') and "cgLive" in view and "epoch 24" in view
    assert "http" not in view.replace("http://www.w3.org/", ""), "no CDN, no network"
    assert outputs[1].data["text/plain"] == "24"
    assert [o.output_type for o in nb.cells[2].outputs] == ["display_data"] and "epoch 27" in nb.cells[2].outputs[0].data["text/html"]
    assert "epoch 27" not in view, "the earlier cell's view stays as it was"


def test_plot_neurons_draws_a_figure_per_neuron():
    pytest.importorskip("matplotlib", reason="plot_neurons needs matplotlib")
    from matplotlib.figure import Figure
    model, X, y = xor_net()
    fig = viz.plot_neurons(model, X, y)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 + 4 + 1 + 1
    assert len(fig.artists) == 2 * 4 + 4 * 1, "one line per weight"
    with pytest.raises(ValueError, match="one label per row"):
        viz.plot_neurons(model, X, y[:2])


def test_no_text_in_a_frame_can_end_the_pages_script(tmp_path):
    """A frame's text (a metric named by the learner, say) is inlined as JSON: `<!--<script>` or
    `</script>` in it must stay text, not end the script that plays the frames."""
    watch = viz.live(path=tmp_path / "unused.html")
    nasty = 'accuracy <!--<script> </script><script>alert(1)</script> \u2028'
    watch.frames = [{"epoch": 0, "html": f"<div>{nasty}</div>", "w": None}, {"epoch": 1, "html": "<b>epoch 1</b>", "w": None}]
    text = watch.save(tmp_path / "page.html").read_text(encoding="utf-8")
    data = re.search(r"var CG_RUN = (\{.*?\});\n", text, re.S).group(1)
    assert "<" not in data and "\u2028" not in data  # every < is \u003c inside the script
    assert json.loads(data)["frames"][0]["html"] == f"<div>{nasty}</div>"
    assert text.count("</script>") == text.count("<script")  # no script closed early, none opened by the text


# ---- the sample's graph: weights recorded bit for bit, and what the page cannot replay ----------

def test_live_records_every_frames_weights_bit_for_bit(tmp_path):
    model, X, y = xor_net()
    watch = viz.live(path=tmp_path / "xor.html", loss=nn.BCELoss(), interval=0.0, budget=1.0, max_frames=8)
    nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=40, progress=False,
           callbacks=[watch])
    epochs = watch.epochs
    assert 4 <= len(epochs) <= 8 and epochs[0] == 0 and epochs[-1] == 39, "thinned evenly, first and last kept"
    other, _, _ = xor_net(seed=1)
    watch.restore(other, 39)
    for a, b in zip(other.parameters(), model.parameters()):
        assert a.data.tobytes() == b.data.tobytes(), "restored bit for bit"
    watch.restore(other, 0)  # the first epoch's weights differ from the last's
    assert other[0].weight.data.tobytes() != model[0].weight.data.tobytes()
    with pytest.raises(ValueError, match=r"no weights recorded after epoch 41; recorded: \[0, "):
        watch.restore(other, 41)
    run = json.loads(re.search(r"var CG_RUN = (\{.*?\});\n", (tmp_path / "xor.html").read_text(encoding="utf-8"),
                               re.S).group(1))
    graph = run["graph"]
    assert graph["layers"] == [{"in": 2, "out": 4, "bias": True, "act": "tanh", "slope": 0.0},
                               {"in": 4, "out": 1, "bias": True, "act": "sigmoid", "slope": 0.0}]
    assert graph["loss"]["kind"] == "bce" and graph["data"][0]["X"] == X.tolist() and graph["dtype"] == "float64"
    assert [f["epoch"] for f in run["frames"]] == epochs


@pytest.mark.parametrize("layers, loss, error", [
    (lambda: [nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1), nn.Sigmoid()], nn.BCELoss(), "replays one of Sigmoid"),
    (lambda: [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid()], nn.L1Loss(), "replays BCELoss, MSELoss"),
    (lambda: [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)], nn.BCELoss(), "must end in Sigmoid"),
    (lambda: [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Sigmoid()], nn.CrossEntropyLoss(), "must end in a Linear"),
    (lambda: [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid()], nn.BCELoss(reduction="none"), "must reduce"),
    (lambda: [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid()], nn.BCELoss(weight=np.ones(1)), "without weight="),
    (lambda: [nn.Linear(2, 250), nn.Tanh(), nn.Linear(250, 200), nn.Tanh(), nn.Linear(200, 1), nn.Sigmoid()],
     nn.BCELoss(), r"453 neurons, more than the 400 .* viz.draw\(loss, trace=trace, collapse=True\)"),
    (lambda: [nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1), nn.Sigmoid()], nn.BCELoss(), "2 inputs"),
])
def test_live_refuses_before_training_what_the_page_cannot_replay(tmp_path, layers, loss, error):
    np.random.seed(0)
    model = nn.Sequential(*layers())
    X, y = nn.data.xor()
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=error):
        nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=3, progress=False,
               callbacks=[viz.live(path=tmp_path / "x.html", loss=loss)])
    assert all((a == p.data).all() for a, p in zip(before, model.parameters())), "refused before any epoch"
    assert not (tmp_path / "x.html").exists()


def test_loss_axis_labels_tell_its_ends_apart():
    from circuitgrad.viz.live import ticks
    assert ticks(np.log10(0.69248), np.log10(0.69314)) == ("0.693", "0.692")  # was "0.69" at both ends
    assert ticks(-3.0, 0.0) == ("1", "0.001")


# ---- the data the run trains on, rewinding and restarting -------------------------------------

def recorded_run(tmp_path, name="run.html", loss=None):
    model, X, y = xor_net()
    watch = viz.live(X, y, path=tmp_path / name, loss=loss or nn.BCELoss(), interval=0.0, budget=1.0, max_frames=1000)
    return model, X, y, watch


def bce(model, X, y) -> float:
    from circuitgrad.autograd import Tensor
    return nn.BCELoss()(model(Tensor(X)), Tensor(y)).item()


def test_added_and_removed_points_are_what_the_next_epochs_train_on(tmp_path):
    model, X, y, watch = recorded_run(tmp_path)
    fit = lambda epochs, cbs=(): nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), watch.data,
                                        epochs=epochs, progress=False, callbacks=[watch, *cbs])
    fit(5)
    watch.add_points([[0.5, 0.5]], [1.0])
    assert watch.data.X.shape == (5, 2) and watch.data.y.shape == (5, 1) and watch.data.y.dtype == y.dtype
    h = fit(5)
    then, _, _ = xor_net(seed=3)
    watch.restore(then, 4)  # the loss of epoch 5 is over the 5 points, at the weights after epoch 4
    assert h["loss"][0] == pytest.approx(bce(then, watch.data.X, watch.data.y), rel=1e-12)
    assert h["loss"][0] != pytest.approx(bce(then, X, y), rel=1e-3)
    watch.remove_points([0, 1])
    fit(3)
    assert watch.epochs == list(range(13)), "the second and third fit continue the run"
    assert [f["d"] for f in watch.frames] == [0] * 5 + [1] * 5 + [2] * 3, "each epoch notes the points it saw"

    class AddAtEpoch1:  # a change during fit takes effect at the next epoch
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:
                watch.add_points(np.array([[2.0, 2.0], [-1.0, 0.5]]), np.array([0.0, 1.0]))
    fit(3, [AddAtEpoch1()])
    assert [f["d"] for f in watch.frames[-3:]] == [2, 2, 3]
    run = json.loads(re.search(r"var CG_RUN = (\{.*?\});\n", (tmp_path / "run.html").read_text(encoding="utf-8"),
                               re.S).group(1))
    assert [len(d["X"]) for d in run["graph"]["data"]] == [4, 5, 3, 5]
    assert run["frames"][7]["html"].count('class="cg-point"') == 5 and run["frames"][-1]["html"].count('class="cg-point"') == 5
    assert run["graph"]["data"][3]["extent"][1] == 2.5, "the plane grows with the points (margin 0.5)"


def test_adding_or_removing_bad_points_says_what_is_wrong(tmp_path):
    model, X, y, watch = recorded_run(tmp_path)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        watch.add_points([[1.0, 2.0, 3.0]], [1.0])
    with pytest.raises(ValueError, match="1 points need 1 labels"):
        watch.add_points([[1.0, 2.0]], [1.0, 0.0])
    with pytest.raises(ValueError, match="nan or inf"):
        watch.add_points([[np.nan, 2.0]], [1.0])
    with pytest.raises(TypeError, match="labels must be numbers"):
        watch.add_points([[1.0, 2.0]], ["yes"])
    with pytest.raises(IndexError, match="index 4 is out of range for 4 points"):
        watch.remove_points([4])
    with pytest.raises(TypeError, match="indices must be ints"):
        watch.remove_points([0.5])
    with pytest.raises(ValueError, match="would leave nothing to train on"):
        watch.remove_points([0, 1, 2, 3])
    nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), watch.data, epochs=1, progress=False,
           callbacks=[watch])
    with pytest.raises(ValueError, match=r"BCELoss labels are probabilities in \[0, 1\], got 2"):
        watch.add_points([[1.0, 2.0]], [2.0])
    watch.add_points([1.0, 2.0], [1.0])  # one point may be given flat
    with pytest.raises(ValueError, match="train on watch.data"):  # the edit would be lost without a word
        nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=1, progress=False,
               callbacks=[watch])
    with pytest.raises(ValueError, match="X must have shape"):
        viz.live(np.ones((4, 3)), y)
    with pytest.raises(ValueError, match="nan or inf"):
        viz.live(np.array([[0.0, np.inf], [1.0, 1.0]]), y[:2])
    with pytest.raises(ValueError, match="no data yet"):
        viz.live(path=tmp_path / "x.html").add_points([[0.0, 0.0]], [1.0])

    np.random.seed(0)
    three = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 3))
    Xs, ys = nn.data.spirals(10, n_classes=3, seed=0)
    watch = viz.live(Xs, ys, path=tmp_path / "s.html", loss=nn.CrossEntropyLoss())
    nn.fit(three, nn.CrossEntropyLoss(), nn.optim.SGD(three.parameters(), lr=0.1), watch.data, epochs=1,
           progress=False, callbacks=[watch])
    for bad in (3, -1, 1.5):
        with pytest.raises(ValueError, match=r"class indices 0 \.\. 2, got"):
            watch.add_points([[0.0, 0.0]], [bad])
    watch.add_points([[0.0, 0.0]], [2])
    assert watch.data.y.dtype == ys.dtype and watch.data.y[-1] == 2


def test_rewind_resumes_from_a_recorded_epoch_and_restart_from_the_same_initialization(tmp_path):
    model, X, y, watch = recorded_run(tmp_path)
    initial = [p.data.copy() for p in model.parameters()]
    fit = lambda epochs: nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), watch.data,
                                epochs=epochs, progress=False, callbacks=[watch])
    with pytest.raises(ValueError, match="nothing to restart"):
        watch.restart(model)
    fit(20)
    after_20 = [p.data.copy() for p in model.parameters()]
    watch.add_points([[0.5, 0.5]], [1.0])  # rewinding goes back to the points that epoch saw
    watch.rewind(model, 9)
    probe, _, _ = xor_net(seed=5)
    watch.restore(probe, 9)
    assert all(a.data.tobytes() == b.data.tobytes() for a, b in zip(model.parameters(), probe.parameters()))
    assert watch.epochs == list(range(10)) and len(watch.history["loss"]) == 10 and len(watch.data.X) == 4
    fit(10)
    assert watch.epochs == list(range(20))
    for a, b in zip(model.parameters(), after_20):  # the same epochs again (equal to rounding on any machine)
        assert np.allclose(a.data, b, rtol=1e-9, atol=1e-12)
    watch.add_points([[0.5, 0.5]], [1.0])
    watch.restart(model)
    assert all(p.data.tobytes() == w.tobytes() for p, w in zip(model.parameters(), initial)), "bit for bit"
    assert watch.frames == [] and watch.history == {} and len(watch.data.X) == 5, "the points as they are now"
    watch.restart(model, first_points=True)
    assert len(watch.data.X) == 4 and (watch.data.X == X).all(), "or those the run started with"
    fit(20)
    assert watch.epochs == list(range(20))
    for a, b in zip(model.parameters(), after_20):
        assert np.allclose(a.data, b, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="no weights recorded after epoch 25"):
        watch.rewind(model, 25)
