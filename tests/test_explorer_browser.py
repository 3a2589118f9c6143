"""The explorer page in a real browser: headless Chromium driven by selenium, with the network off.

The saved page of the CS231n circuit (x = -2, y = 5, z = -4, q = x + y, f = q * z) is stepped
through with the "next" button and the gradients drawn on x, y, z and q are read after every
step: `?` until the gate that computes them has run, then -4, -4, 3 and -4. A wire's tooltip,
zoom, drill-down into a traced MLP and back, and an nbconvert export of an executed notebook are
checked too, and every page must make no network request and log no console error.
Screenshots go to $CIRCUITGRAD_SCREENSHOTS when set (to look at them), else to pytest's tmp dir.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor, Value

from conftest import cs231n  # noqa: E402
from chromium import assert_offline_and_clean, browser_fixture, open_page, requests_made, shots  # noqa: F401 (shots: a fixture)
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


browser = browser_fixture(1200, 700)


def traced_mlp():
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    X = Tensor(np.random.randn(4, 2), label="X")
    y = Tensor(np.array([[0.0], [1.0], [1.0], [0.0]]), label="y")
    with nn.trace_modules() as trace:
        loss = nn.BCELoss()(model(X), y)
    loss.label = "손실"  # Korean labels draw like any other
    return loss, trace


GRADS_JS = ("return arguments[0].map(n => { const t = document.querySelector("
            "'.cg-wire[data-name=\"' + n + '\"] .cg-grad'); return t ? t.textContent : null; })")


def shown_grads(driver, names=("x", "y", "z", "q", "f")) -> dict:
    return dict(zip(names, driver.execute_script(GRADS_JS, list(names))))


def check_step_through(driver, shots: Path, prefix: str) -> None:
    """Press next gate by gate and read the gradient on every wire after each step."""
    nxt = driver.find_element(By.ID, "cg-next")
    assert shown_grads(driver) == {"x": "?", "y": "?", "z": "?", "q": "?", "f": "1"}
    assert "seed gradient" in driver.find_element(By.ID, "cg-caption").text
    driver.save_screenshot(str(shots / f"{prefix}_step0.png"))
    nxt.click()  # the * gate: dq = z * 1 = -4, dz = q * 1 = 3
    assert shown_grads(driver) == {"x": "?", "y": "?", "z": "3", "q": "-4", "f": "1"}
    caption = driver.find_element(By.ID, "cg-caption").text
    assert "1 \u00d7 (-4) = -4" in caption and "1 \u00d7 3 = 3" in caption, caption
    lit = driver.execute_script("return [...document.querySelectorAll('.cg-wire.cg-lit')].map(w => w.dataset.name)")
    assert sorted(lit) == ["q", "z"]
    assert driver.find_element(By.CSS_SELECTOR, ".cg-gate.cg-active text").text == "*"
    driver.save_screenshot(str(shots / f"{prefix}_step1.png"))
    nxt.click()  # the + gate: dx = dy = 1 * (-4)
    assert shown_grads(driver) == {"x": "-4", "y": "-4", "z": "3", "q": "-4", "f": "1"}
    assert driver.find_element(By.CSS_SELECTOR, ".cg-gate.cg-active text").text == "+"
    assert not nxt.is_enabled(), "two gates, so two steps"
    driver.save_screenshot(str(shots / f"{prefix}_step2.png"))
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    assert shown_grads(driver)["x"] == "?" and shown_grads(driver)["q"] == "-4"
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    assert shown_grads(driver)["x"] == "-4"


def test_cs231n_page_steps_through_backprop_offline(browser, tmp_path, shots):
    page = viz.explore(cs231n()).save(tmp_path / "cs231n.html")
    open_page(browser, page)
    check_step_through(browser, shots, "cs231n")
    assert_offline_and_clean(browser, page)


def test_forward_mode_fills_values_gate_by_gate(browser, tmp_path, shots):
    page = viz.explore(cs231n()).save(tmp_path / "forward.html")
    open_page(browser, page)
    browser.find_element(By.ID, "cg-mode-forward").click()
    values = "return ['q', 'f'].map(n => document.querySelector('.cg-wire[data-name=\"' + n + '\"] .cg-val').textContent)"
    assert browser.execute_script(values) == ["?", "?"]
    browser.find_element(By.ID, "cg-next").click()
    assert browser.execute_script(values) == ["3", "?"]
    assert "q = x + y = -2 + 5 = 3" in browser.find_element(By.ID, "cg-caption").text
    browser.find_element(By.ID, "cg-next").click()
    assert browser.execute_script(values) == ["3", "-12"]
    browser.save_screenshot(str(shots / "forward_done.png"))
    assert_offline_and_clean(browser, page)


def test_hover_shows_the_wire_and_zoom_changes_scale(browser, tmp_path, shots):
    page = viz.explore(cs231n()).save(tmp_path / "hover.html")
    open_page(browser, page)
    browser.find_element(By.ID, "cg-last").click()
    hit = browser.find_element(By.CSS_SELECTOR, '.cg-wire[data-name="x"] .cg-hitbox')
    ActionChains(browser).move_to_element(hit).perform()
    tip = browser.find_element(By.ID, "cg-tip")
    assert tip.is_displayed()
    text = tip.text
    assert text.startswith("x") and "op: none (a leaf)" in text and "data:\n-2" in text and "grad:\n-4" in text, text
    browser.save_screenshot(str(shots / "hover_x.png"))
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "cg-caption")).perform()
    assert not tip.is_displayed()

    stage = browser.find_element(By.ID, "cg-stage")
    before = float(stage.get_attribute("data-zoom"))
    browser.find_element(By.ID, "cg-zoom-in").click()
    assert float(stage.get_attribute("data-zoom")) == pytest.approx(before * 1.25, rel=1e-3)
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(stage), 0, -300).perform()
    wheeled = float(stage.get_attribute("data-zoom"))
    assert wheeled > before * 1.25 * 1.2, "the wheel zooms in"
    browser.find_element(By.ID, "cg-fit").click()
    assert float(stage.get_attribute("data-zoom")) == pytest.approx(before, rel=1e-3)
    assert_offline_and_clean(browser, page)


def test_drill_into_a_module_and_back(browser, tmp_path, shots):
    loss, trace = traced_mlp()
    page = viz.explore(loss, trace=trace).save(tmp_path / "mlp.html")
    open_page(browser, page)
    titles = "return [...document.querySelectorAll('.cg-box .cg-title')].map(t => t.textContent)"
    assert browser.execute_script(titles) == ["Sequential", "BCELoss"]
    assert browser.find_element(By.CSS_SELECTOR, '.cg-wire[data-name="손실"] .cg-grad').text == "1"
    browser.save_screenshot(str(shots / "mlp_top.png"))
    browser.find_element(By.ID, "cg-next").click()  # the first gate runs inside BCELoss: its box lights up
    assert browser.find_element(By.CSS_SELECTOR, ".cg-box.cg-active .cg-title").text == "BCELoss"
    browser.find_element(By.ID, "cg-first").click()
    browser.find_element(By.CSS_SELECTOR, '.cg-box[data-group="0"] .cg-title').click()
    assert browser.find_element(By.CSS_SELECTOR, "#cg-crumbs .cg-here").text == "Sequential"
    inner = browser.execute_script(titles)
    assert inner == ["0: Linear(2, 4)", "1: Sigmoid", "2: Linear(4, 1)", "3: Sigmoid"], inner
    # Four layers in a row do not fit readable: the view opens at its output with 13 px text >= 9.75 px.
    assert float(browser.find_element(By.ID, "cg-stage").get_attribute("data-zoom")) >= 0.75
    browser.save_screenshot(str(shots / "mlp_sequential.png"))
    browser.find_element(By.ID, "cg-next").click()  # BCELoss's gate, outside this view
    browser.find_element(By.ID, "cg-next").click()  # the last Sigmoid's gate: its box shows its progress
    assert browser.find_element(By.CSS_SELECTOR, ".cg-box.cg-active .cg-detail").text == "gate 1 of 1 inside: sigmoid"
    browser.find_element(By.ID, "cg-first").click()
    browser.find_element(By.ID, "cg-fit").click()  # the whole row, to click its first layer
    browser.save_screenshot(str(shots / "mlp_sequential_fit.png"))
    browser.find_element(By.XPATH, "//*[contains(@class,'cg-title') and text()='0: Linear(2, 4)']").click()
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#cg-crumbs a, #cg-crumbs span")] == \
        ["whole graph", "Sequential", "0: Linear(2, 4)"]
    gates = browser.execute_script("return [...document.querySelectorAll('.cg-gate text')].map(t => t.textContent)")
    assert gates == ["linear"], gates  # Linear is one fused gate: x @ W.T + b
    browser.find_element(By.ID, "cg-last").click()  # every gradient is known: no `?` is left inside the layer
    assert "?" not in browser.execute_script(
        "return [...document.querySelectorAll('.cg-grad')].map(t => t.textContent)")
    browser.save_screenshot(str(shots / "mlp_linear.png"))
    hit = browser.find_element(By.CSS_SELECTOR, '.cg-wire[data-name="weight"] .cg-hitbox')
    ActionChains(browser).move_to_element(hit).perform()
    tip = browser.find_element(By.ID, "cg-tip").text
    assert "module: Sequential › 0: Linear(2, 4)" in tip and "shape: (4, 2) float64" in tip, tip
    assert "[[" in tip, "a small tensor lists all its values"
    browser.find_element(By.XPATH, "//nav[@id='cg-crumbs']/a[text()='whole graph']").click()
    assert browser.execute_script(titles) == ["Sequential", "BCELoss"]
    assert_offline_and_clean(browser, page)


def test_notebook_export_steps_through_with_no_kernel(browser, tmp_path, shots, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="the export test needs nbformat (the `test` extra)")
    nbclient = pytest.importorskip("nbclient", reason="the export test needs nbclient (the `test` extra)")
    nbconvert = pytest.importorskip("nbconvert", reason="the export test needs nbconvert (the `test` extra)")
    pytest.importorskip("ipykernel", reason="the export test needs ipykernel (the `test` extra)")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from circuitgrad import viz\nfrom circuitgrad.autograd import Value\n"
        "x, y, z = Value(-2.0, 'x'), Value(5.0, 'y'), Value(-4.0, 'z')\n"
        "q = x + y\nq.label = 'q'\nf = q * z\nf.label = 'f'\nviz.explore(f)")])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    page = tmp_path / "export.html"
    page.write_text(body, encoding="utf-8")
    open_page(browser, page)
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.circuitgrad-explorer")
    browser.execute_script("arguments[0].scrollIntoView()", frame)
    browser.save_screenshot(str(shots / "export_page.png"))
    browser.switch_to.frame(frame)
    try:
        check_step_through(browser, shots, "export")
        hit = browser.find_element(By.CSS_SELECTOR, '.cg-wire[data-name="z"] .cg-hitbox')
        ActionChains(browser).move_to_element(hit).perform()
        assert "grad:\n3" in browser.find_element(By.ID, "cg-tip").text
    finally:
        browser.switch_to.default_content()
    # nbconvert's own template may ask a CDN for MathJax; the explorer itself must ask for nothing.
    ours = [u for u in requests_made(browser) if u != page.as_uri() and not u.startswith("https://cdn")]
    assert ours == [], f"requests besides the export's own CDN scripts: {ours}"
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "cdn" not in e["message"]]
    assert errors == [], f"console errors: {errors}"


def test_a_big_tensor_tooltip_has_statistics_and_a_histogram(browser, tmp_path, shots):
    W = Tensor(np.linspace(-1.0, 1.0, 600).reshape(30, 20), requires_grad=True, label="W")
    loss = (Tensor(np.ones((3, 30)), label="X") @ W).tanh().sum()
    loss.label = "L"
    page = viz.explore(loss).save(tmp_path / "big.html")
    open_page(browser, page)
    browser.find_element(By.ID, "cg-last").click()
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, '.cg-wire[data-name="W"] .cg-hitbox')).perform()
    tip = browser.find_element(By.ID, "cg-tip")
    assert "shape (30, 20) float64\nmin -1  mean" in tip.text and "max 1  std 0.5783" in tip.text, tip.text
    assert len(tip.find_elements(By.CSS_SELECTOR, "svg rect")) == 2 * 16, "a histogram of data and of grad"
    browser.save_screenshot(str(shots / "big_tooltip.png"))
    assert_offline_and_clean(browser, page)


NASTY = ["</script>", "<!--<script>", "<!--", "-->", "a\u2028b\u2029c", "<img src=x onerror=alert(1)>", "&amp;&lt;", "손실<b>"]


@pytest.mark.parametrize("text", NASTY)
def test_a_nasty_label_is_shown_as_text(browser, tmp_path, text):
    x, w = Value(2.0, text), Value(-3.0, "w")
    f = x * w
    f.label = "f"
    page = viz.explore(f, title=text).save(tmp_path / "nasty.html")
    open_page(browser, page)
    labels = browser.execute_script("return [...document.querySelectorAll('.cg-name')].map(t => t.textContent)")
    assert text in labels, labels
    assert browser.execute_script("return document.querySelectorAll('#cg-world img, #cg-world b, body > b').length") == 0
    browser.find_element(By.ID, "cg-next").click()
    assert text in browser.find_element(By.ID, "cg-caption").get_attribute("textContent")
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, ".cg-wire[data-node='0'] .cg-hitbox")).perform()
    assert browser.find_element(By.CSS_SELECTOR, "#cg-tip h4").get_attribute("textContent") == text
    assert browser.title == text
    assert_offline_and_clean(browser, page)


def test_the_page_formats_numbers_as_python_does(browser, tmp_path):
    from circuitgrad.viz.graph_view import format_number
    rng = np.random.default_rng(0)
    numbers = [0.125, 0.375, 2.5, 3.5, 0.0009765625, 1.005, 999999.5, 0.9999, 0.0015, 1e-300, -2.675,
               123456.789, 5e-324, 1e21, -0.5, 0.25, 0.0625, 99.995]
    numbers += list(rng.normal(size=200) * 10.0 ** rng.integers(-8, 9, size=200))
    numbers += [round(v, 3) for v in rng.uniform(-10, 10, size=100)]
    page = viz.explore(cs231n()).save(tmp_path / "numbers.html")
    open_page(browser, page)
    for precision in (0, 1, 2, 4):
        got = browser.execute_script("return arguments[0].map(x => window.circuitgradExplorer.formatNumber(x, arguments[1]))",
                                     numbers, precision)
        want = [format_number(v, precision) for v in numbers]
        assert [(v, g) for v, g, w in zip(numbers, got, want) if g != w] == [], precision


# ---- attention: one weight's circuit (issue 26) ---------------------------------------------------------------------------------------

def test_the_explorer_page_of_an_attention_logit_shows_what_the_model_computes(browser, shots, tmp_path):
    """notebook 17's kind of model, traced: a box per module; the attention wire lists the weights per
    head; one weight's circuit shows q, k, the scores, exp and the weight as model(x) computes them."""
    from selenium.webdriver.support.ui import WebDriverWait
    from test_explorer_attention import HEAD_DIM, traced_logit
    from circuitgrad.autograd import grad
    from circuitgrad.viz.graph_view import format_number
    import math

    driver = browser
    model, logit, trace = traced_logit()
    weights = model.attn.attention
    (d_weights,) = grad(logit, weights)
    path = viz.explore(logit, trace=trace).save(tmp_path / "attention.html")
    open_page(driver, path)
    titles = driver.execute_script("return [...document.querySelectorAll('.cg-box .cg-title')].map(t => t.textContent)")
    assert titles == ["TinyGPT"], titles  # the whole model is one box; it opens one box per module
    driver.save_screenshot(str(shots / "attention_0_model.png"))
    driver.find_element(By.CSS_SELECTOR, ".cg-box").click()
    titles = driver.execute_script("return [...document.querySelectorAll('.cg-box .cg-title')].map(t => t.textContent)")
    assert any("attn" in t for t in titles) and any("lm_head" in t for t in titles), titles
    driver.save_screenshot(str(shots / "attention_0_modules.png"))
    next(b for b in driver.find_elements(By.CSS_SELECTOR, ".cg-box") if "attn" in b.text).click()
    key = next(iter(driver.execute_script("return Object.keys(window.circuitgradExplorer.model.attention)")))
    wire = driver.find_element(By.CSS_SELECTOR, f'.cg-wire[data-node="{key}"] .cg-hitbox')
    driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", wire)
    cells = driver.execute_script("return [...document.querySelectorAll('#cg-att td')].map(c => [c.dataset.index, "
                                  "c.textContent, c.className])")
    assert len(cells) == 18
    for index, text, cls in cells:
        at = tuple(int(i) for i in index.split(","))
        assert text == format_number(weights.data[at], 2), (at, text)
        assert (cls == "cg-att-masked") == (at[2] > at[1])  # the future is masked
    driver.save_screenshot(str(shots / "attention_1_weights.png"))
    driver.find_element(By.CSS_SELECTOR, '#cg-att td[data-index="1,2,1"]').click()
    frame = driver.find_element(By.CSS_SELECTOR, "#cg-circuit iframe")
    driver.switch_to.frame(frame)
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return !!window.circuitgradExplorer"))
    shown = driver.execute_script("return Object.fromEntries([...document.querySelectorAll('.cg-wire')].map(w => "
                                  "[w.dataset.name, [w.querySelector('.cg-val').textContent, "
                                  "w.querySelector('.cg-grad').textContent]]))")
    driver.execute_script("window.circuitgradExplorer.go(1e9)")  # the whole backward pass
    grads = driver.execute_script("return Object.fromEntries([...document.querySelectorAll('.cg-wire')].map(w => "
                                  "[w.dataset.name, w.querySelector('.cg-grad').textContent]))")
    q = model.attn.wq(model.wte(np.array([4, 1, 2])) + model.wpe(np.arange(3))).data.reshape(3, 2, 2)[:, 1]
    k = model.attn.wk(model.wte(np.array([4, 1, 2])) + model.wpe(np.arange(3))).data.reshape(3, 2, 2)[:, 1]
    scores = q[2] @ k.T / math.sqrt(HEAD_DIM)  # head 1, query 2: its three scores
    assert shown["a[1, 2, 1]"][0] == format_number(weights.data[1, 2, 1], 2)
    assert grads["a[1, 2, 1]"] == format_number(d_weights[1, 2, 1], 2)
    for j in range(3):
        assert shown[f"s{j}"][0] == format_number(scores[j], 2)
        assert shown[f"e{j}"][0] == format_number(math.exp(scores[j]), 2)
    assert shown["q0"][0] == format_number(q[2, 0], 2) and shown["k1.1"][0] == format_number(k[1, 1], 2)
    driver.save_screenshot(str(shots / "attention_2_circuit.png"))
    driver.switch_to.default_content()
    driver.find_element(By.CSS_SELECTOR, ".cg-circuit-bar button").click()
    assert not driver.find_elements(By.ID, "cg-circuit")
    assert_offline_and_clean(driver, path)
