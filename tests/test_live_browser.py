"""viz.live's page in a real browser: one chosen sample's graph, recomputed in JavaScript from the
recorded weights, against circuitgrad's own forward and backward of that sample.

The XOR net trains a few hundred epochs with `viz.live(path=..., loss=nn.BCELoss())`; the page is
opened offline in headless Chromium, a data point is clicked, and every number the page holds for
that sample (z and a of each neuron, each weight and its gradient, the loss, the inputs' gradients)
is read back from the drawing and compared with `model(x)` and its backward in circuitgrad at that
epoch's weights (restored bit for bit from the page's record): equal to 1e-12. Then an earlier
epoch (the slider), a position of the plane (the nearest point's label), a 3-class net with
CrossEntropyLoss and LeakyReLU, and MSELoss with ReLU. Every page makes no network request and
logs no console error. Screenshots go to $CIRCUITGRAD_SCREENSHOTS when set, else to pytest's tmp dir.
"""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor
from circuitgrad.viz.neurons import columns

from chromium import assert_offline_and_clean, browser_fixture, open_page, shots  # noqa: F401 (shots: a fixture)
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


browser = browser_fixture(1300, 1100)


READ_JS = """
const current = window.cgLive.current();  // also writes every number at full precision into data-*
const nodes = {}, wires = [];
for (const g of document.querySelectorAll('#graph .cg-node')) {
  const d = {}; for (const k of ['z', 'a', 'gz', 'ga', 'b', 'gb', 'value', 'grad']) if (g.dataset[k] !== undefined) d[k] = +g.dataset[k];
  d.text = [...g.querySelectorAll('text')].map(t => t.textContent);
  nodes[g.dataset.name] = d;
}
for (const g of document.querySelectorAll('#graph .cg-wire'))
  wires.push({layer: +g.dataset.layer, from: g.dataset.from, to: g.dataset.to, value: +g.dataset.value, grad: +g.dataset.grad});
return {nodes: nodes, wires: wires, current: current, caption: document.getElementById('sample-caption').textContent};
"""


def reference(model, loss_fn, x, label) -> dict:
    """circuitgrad's own forward and backward of one sample, every z, a and weight with its gradient."""
    xt = Tensor(np.array([x], dtype=float), requires_grad=True)
    h, zs, acts = xt, [], []
    for col in columns("test", model):
        z = col[0](h)
        a = z
        for layer in col[1:]:
            a = layer(a)
        zs.append(z)
        acts.append(a)
        h = a
    if isinstance(loss_fn, nn.CrossEntropyLoss):
        target = np.array([int(label)])
    else:
        target = np.array([[float(label)]])
    model.zero_grad()
    loss = loss_fn(h, Tensor(target))
    loss.backward()
    return {"x": xt, "z": zs, "a": acts, "loss": loss, "linears": [col[0] for col in columns("test", model)]}


def assert_page_equals_circuitgrad(shown: dict, ref: dict) -> None:
    tol = dict(rel=0, abs=1e-12)
    n = shown["nodes"]
    for j in range(2):
        assert n[f"x{j + 1}"]["a"] == ref["x"].data[0, j]
        assert n[f"x{j + 1}"]["ga"] == pytest.approx(ref["x"].grad[0, j], **tol)
    layers = len(ref["z"])
    checked = 0
    for c in range(1, layers + 1):
        z, a = ref["z"][c - 1], ref["a"][c - 1]
        width = z.shape[1]
        for j in range(width):
            name = ("out" if width == 1 else f"out{j + 1}") if c == layers else f"h{c}.{j + 1}"
            node = n[name]
            assert node["z"] == pytest.approx(z.data[0, j], **tol), name
            assert node["a"] == pytest.approx(a.data[0, j], **tol), name
            assert node["gz"] == pytest.approx(z.grad[0, j], **tol), name
            assert node["ga"] == pytest.approx(a.grad[0, j], **tol), name
            assert node["gb"] == pytest.approx(ref["linears"][c - 1].bias.grad[j], **tol), name
            checked += 1
    for w in shown["wires"]:
        lin = ref["linears"][w["layer"]]
        i = int(w["from"][1:]) - 1 if w["from"].startswith("x") else int(w["from"].split(".")[1]) - 1
        o = 0 if w["to"] == "out" else int(w["to"][3:]) - 1 if w["to"].startswith("out") else int(w["to"].split(".")[1]) - 1
        assert w["value"] == lin.weight.data[o, i], "the weight itself, restored bit for bit"
        assert w["grad"] == pytest.approx(lin.weight.grad[o, i], **tol), (w["from"], w["to"])
    assert len(shown["wires"]) == sum(lin.weight.data.size for lin in ref["linears"])
    assert n["loss"]["value"] == pytest.approx(ref["loss"].item(), **tol)
    assert checked == sum(z.shape[1] for z in ref["z"])


def train(tmp_path, model, loss_fn, X, y, epochs, name, max_frames=12):
    watch = viz.live(path=tmp_path / f"{name}.html", loss=loss_fn, interval=0.0, budget=1.0, max_frames=max_frames)
    nn.fit(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=epochs, progress=False,
           callbacks=[watch])
    return watch, tmp_path / f"{name}.html"


def check(driver, watch, model, loss_fn, shown) -> None:
    watch.restore(model, shown["current"]["epoch"])
    x, label = shown["current"]["x"], shown["current"]["y"]
    assert_page_equals_circuitgrad(shown, reference(model, loss_fn, x, label))


def test_the_page_shows_a_clicked_samples_values_and_gradients_exactly(browser, tmp_path, shots):
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    X, y = nn.data.xor()
    loss_fn = nn.BCELoss()
    watch, page = train(tmp_path, model, loss_fn, X, y, 300, "xor")
    open_page(browser, page)
    assert browser.execute_script("return window.cgLive.epochs()") == watch.epochs, "the slider offers recorded epochs only"
    point = browser.find_element(By.CSS_SELECTOR, '.cg-shown .cg-point[data-i="2"]')
    ActionChains(browser).move_to_element(point).click().perform()
    shown = browser.execute_script(READ_JS)
    assert shown["current"]["epoch"] == 299 and shown["current"]["x"] == X[2].tolist()
    assert "data point 3 of 4" in shown["caption"] and "epoch 299" in shown["caption"]
    check(browser, watch, model, loss_fn, shown)
    browser.save_screenshot(str(shots / "live_xor_point.png"))

    # scrub back: the slider to the third recorded epoch, the same sample at those weights
    browser.execute_async_script("const s = document.getElementById('slider'); s.value = 2; s.dispatchEvent(new Event('input'));"
                                 "requestAnimationFrame(() => requestAnimationFrame(arguments[0]))")  # drawn at the next frame
    shown = browser.execute_script(READ_JS)
    assert shown["current"]["epoch"] == watch.epochs[2] and "data point 3 of 4" in shown["caption"]
    check(browser, watch, model, loss_fn, shown)
    slider = browser.find_element(By.ID, "slider")
    assert slider.get_attribute("max") == str(len(watch.epochs) - 1) and slider.get_attribute("step") == "1"

    # a position of the plane: the input is where one clicked, the label the nearest data point's
    box = browser.find_element(By.CSS_SELECTOR, ".cg-shown .cg-boundary")  # the frames seen before stay, hidden
    ActionChains(browser).move_to_element_with_offset(box, 30, -40).click().perform()
    shown = browser.execute_script(READ_JS)
    x = np.array(shown["current"]["x"])
    nearest = int(np.argmin(((X - x) ** 2).sum(axis=1)))
    assert "nearest data point" in shown["caption"] and shown["current"]["y"] == y[nearest, 0]
    assert not any(np.allclose(x, p) for p in X)
    check(browser, watch, model, loss_fn, shown)

    # hover: the neuron's formula with its weights and bias as numbers
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, '#graph .cg-node[data-name="h1.1"]')).perform()
    tip = browser.find_element(By.ID, "tip").text
    w = model[0].weight.data[0]
    assert tip.startswith("a = tanh(") and f"{w[0]:.4g}".replace("-", "\u2212") in tip and "\u00b7x1" in tip, tip
    browser.save_screenshot(str(shots / "live_xor_hover.png"))
    assert_offline_and_clean(browser, page)


@pytest.mark.parametrize("kind", ["cross_entropy", "mse"])
def test_other_losses_and_activations_replay_exactly(browser, tmp_path, kind):
    np.random.seed(1)
    if kind == "cross_entropy":
        X, y = nn.data.spirals(30, n_classes=3, seed=0)
        model = nn.Sequential(nn.Linear(2, 5), nn.LeakyReLU(0.1), nn.Linear(5, 3))
        loss_fn, target = nn.CrossEntropyLoss(), y
    else:
        X, y = nn.data.xor()
        model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
        loss_fn, target = nn.MSELoss(reduction="sum"), y
    watch, page = train(tmp_path, model, loss_fn, X, target, 20, kind, max_frames=4)
    open_page(browser, page)
    for i in (0, 1):
        browser.execute_script(f"window.cgLive.choose({i})")
        check(browser, watch, model, loss_fn, browser.execute_script(READ_JS))
    assert_offline_and_clean(browser, page)


def test_a_run_without_weights_says_how_to_get_the_graph(browser, tmp_path):
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
    X, y = nn.data.xor()
    watch = viz.live(path=tmp_path / "plain.html", interval=0.0, budget=1.0, max_frames=4)
    nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=5, progress=False,
           callbacks=[watch])
    open_page(browser, tmp_path / "plain.html")
    assert "pass loss=" in browser.find_element(By.ID, "sample-message").text
    browser.find_element(By.CSS_SELECTOR, '.cg-point[data-i="0"]').click()  # nothing to choose, and no error
    assert_offline_and_clean(browser, tmp_path / "plain.html")


def test_the_page_shows_the_points_each_epoch_trained_on_and_says_what_is_wrong_in_the_page(browser, tmp_path, shots):
    np.random.seed(2)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
    X, y = nn.data.xor()
    loss_fn = nn.BCELoss()
    page = tmp_path / "edited.html"
    watch = viz.live(X, y, path=page, loss=loss_fn, interval=0.0, budget=1.0, max_frames=100)
    for edit in (None, lambda: watch.add_points([[0.5, 0.5], [1.5, -0.5]], [1.0, 0.0]), lambda: watch.remove_points([0])):
        if edit:
            edit()
        nn.fit(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.5), watch.data, epochs=4, progress=False,
               callbacks=[watch])
    open_page(browser, page)
    points = "return [document.getElementById('count').textContent, document.querySelectorAll('.cg-shown .cg-point').length]"
    count, dots = browser.execute_script(points)
    assert "epoch 11" in count and "5 training points" in count and dots == 5
    browser.execute_script("window.cgLive.show(5); window.cgLive.choose(5)")  # epoch 5: the point (1.5, -0.5), added
    shown = browser.execute_script(READ_JS)
    assert shown["current"]["x"] == [1.5, -0.5] and "data point 6 of 6" in shown["caption"]
    check(browser, watch, model, loss_fn, shown)
    browser.execute_script("window.cgLive.show(2)")  # epoch 2 trained on the 4 first points: the sample stays
    shown = browser.execute_script(READ_JS)
    assert "not among the points this epoch trained on" in shown["caption"] and browser.execute_script(points)[1] == 4
    check(browser, watch, model, loss_fn, shown)

    message = "return document.getElementById('sample-message').textContent"
    browser.execute_script("window.cgLive.choose(17)")
    assert browser.execute_script(message) == "There is no data point 17: the epoch shown trained on 4 points (0 to 3)."
    browser.execute_script("window.cgLive.choose(null, [100, 100])")
    assert "(100, 100) lies outside the plane the data spans" in browser.execute_script(message)
    assert browser.execute_script("return window.cgLive.current().x") == [1.5, -0.5], "the sample did not change"
    browser.execute_script("window.cgLive.epoch(7)")
    assert browser.execute_script(message) == "" and browser.execute_script("return window.cgLive.current().epoch") == 7
    browser.execute_script("window.cgLive.epoch(5000)")
    assert browser.execute_script(message).startswith("Epoch 5000 was not recorded")
    assert browser.execute_script("return window.cgLive.current().epoch") == 11
    browser.save_screenshot(str(shots / "live_not_recorded.png"))
    assert_offline_and_clean(browser, page)
    browser.get(page.as_uri() + "#epoch=3")  # a link to an epoch
    assert browser.execute_script("return window.cgLive.current().epoch") == 3
    browser.get("about:blank")
    browser.get(page.as_uri() + "#epoch=-4")
    assert "Epoch -4 was not recorded" in browser.execute_script(message)
    assert browser.execute_script("return window.cgLive.current().epoch") == 0
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
