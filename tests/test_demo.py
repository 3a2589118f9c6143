"""The demo (the README's main command) writes its pictures and retraces the seed tutorial's XOR curve."""
import matplotlib

from circuitgrad import demo

matplotlib.use("Agg")


def test_demo_writes_pictures_and_follows_the_seed_curve(tmp_path):
    lines = []
    assert demo.main(out=str(tmp_path), epochs=1001, progress=False, echo=lines.append) == 0
    for name in ("cs231n_circuit", "cs231n_record", "sigmoid_neuron", "xor_graph", "xor_graph_layers"):
        assert (tmp_path / f"{name}.svg").stat().st_size > 1000
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "xor_loss.png").exists() and (tmp_path / "xor_boundary.png").exists()
    graph = (tmp_path / "xor_graph.svg").read_text()
    assert ">X</text>" in graph and ">y</text>" in graph and ">const</text>" not in graph  # inputs named
    assert "float32" in graph and "float64" not in graph  # the pass drawn is the float32 one trained
    assert len(list((tmp_path / "cs231n_steps").glob("step_*.png"))) == 3
    text = "\n".join(lines)
    assert "df/dx = -4, df/dy = -4, df/dz = 3" in text
    assert "epoch     0: loss 0.694898" in text and "epoch  1000: loss 0.693138" in text
    assert text.count("wrote ") == 13
    page = (tmp_path / "xor_training.html").read_text(encoding="utf-8")
    assert "\\u003cb\\u003eepoch 1000\\u003c/b\\u003e" in page  # viz.live's frame, JSON-escaped by script_json
    assert '"graph":{"layers":' in page  # with the weights for the sample's graph


def test_seed_weights_start_at_the_tutorials_first_loss():
    from circuitgrad import nn
    from circuitgrad.autograd import Tensor

    X, y = nn.data.xor()
    loss = nn.BCELoss()(demo.xor_network()(Tensor(X.astype("float32"))), Tensor(y.astype("float32")))
    assert abs(loss.item() - 0.6948983669281006) < 3e-7  # a few float32 rounding steps
