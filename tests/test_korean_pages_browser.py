"""The explorer and `viz.live` pages made with lang="ko", in headless Chromium with the network off: they
show Hangul and no English word of the interface.

Every state a learner reaches is visited (backward and forward steps, a wire's tooltip, a module box
opened and the breadcrumbs back; the live page's frames, a chosen sample, a hover), and at each the
visible text, the tooltips' text and the controls' titles and labels are collected. Two checks:
no piece of an English string of viz/locales/en.json appears, and every Latin word shown is data
(an op's name or its derivative rule, a label, a module's name, a metric or activation's name, a
dtype), not interface. Screenshots go to $CIRCUITGRAD_SCREENSHOTS when set, else pytest's tmp dir.
"""
from __future__ import annotations

import re

import numpy as np

from circuitgrad import nn, viz
from circuitgrad.autograd import Tensor
from circuitgrad.viz import locale

from conftest import cs231n  # noqa: E402
from chromium import assert_offline_and_clean, browser_fixture, open_page, shots  # noqa: F401 (shots: a fixture)
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

browser = browser_fixture(1200, 800)
HANGUL = re.compile("[\uac00-\ud7a3]")

SHOWN_JS = """
const parts = [document.title, document.body.innerText];
for (const t of document.querySelectorAll('svg text')) parts.push(t.textContent);
for (const e of document.querySelectorAll('[title], [aria-label]'))
  parts.push(e.getAttribute('title') || '', e.getAttribute('aria-label') || '');
for (const e of document.querySelectorAll('#cg-tip, #tip')) parts.push(e.textContent);
return parts.join('\\n');
"""


def english_pieces(prefix: str) -> list:
    """Each English string of `prefix`, cut at its placeholders, keeping the pieces with a word of 3+ letters."""
    pieces = set()
    for value in locale.strings("en", prefix).values():
        pieces |= {p.strip(" :;()\u00b7") for p in re.split(r"\{\w+\}", value) if re.search("[A-Za-z]{3,}", p)}
    return sorted(pieces)


def assert_korean(texts: list, prefix: str, data: set, data_texts: tuple = ()) -> None:
    """Hangul shown; no English piece of the interface; every Latin word of 3+ letters is data."""
    shown = re.sub(r"[ \t]+", " ", "\n".join(texts))  # innerText collapses runs of spaces
    assert HANGUL.search(shown)
    for text in sorted(data_texts, key=len, reverse=True):  # an op's derivative rule is data, prose and all
        shown = shown.replace(re.sub(r"\s+", " ", text), " ")
    data_words = {w for d in data for w in re.findall(r"[A-Za-z]{3,}", d)}  # "mean" of the op "bce mean"
    left = [p for p in english_pieces(prefix) if p in shown and p not in data and p not in data_words]
    assert not left, left
    words = set(re.findall(r"[A-Za-z]{3,}", shown)) - data_words
    assert not words, sorted(words)


def test_the_korean_explorer_has_no_english_ui(browser, tmp_path, shots):
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
    with nn.trace_modules() as trace:
        loss = nn.BCELoss()(model(Tensor(np.random.randn(4, 2), label="X")), Tensor(np.ones((4, 1)), label="y"))
    loss.label = "손실"
    pages = [("cs231n", viz.explore(cs231n(), lang="ko")), ("mlp", viz.explore(loss, trace=trace, lang="ko"))]
    for name, explorer in pages:
        page = explorer.save(tmp_path / f"{name}.html")
        m = explorer.model
        # data: key names, the code's own names (.data, .grad), the graph's labels, ops, modules and shapes
        data = {"Home", "End", "circuitgrad", "nan", "inf", "float64", "data", "grad"} | set(m["names"])
        data |= {o[0] for o in m["ops"]}
        data |= {g[0] for g in m["groups"]} | {t["shape"] for t in m["tensors"].values()}
        rules = tuple(o[1] for o in m["ops"] if o[1])
        open_page(browser, page)
        assert browser.execute_script("return document.documentElement.lang") == "ko"
        texts = [browser.execute_script(SHOWN_JS)]
        assert "역전파는" in browser.find_element(By.ID, "cg-caption").text
        browser.save_screenshot(str(shots / f"ko_{name}_start.png"))
        browser.find_element(By.ID, "cg-next").click()
        caption = browser.find_element(By.ID, "cg-caption").text
        assert "역전파" in caption and "연쇄 법칙: " in caption, caption
        texts.append(browser.execute_script(SHOWN_JS))
        browser.save_screenshot(str(shots / f"ko_{name}_step1.png"))
        browser.find_element(By.ID, "cg-last").click()
        wire = browser.find_element(By.CSS_SELECTOR, ".cg-wire .cg-hitbox")
        ActionChains(browser).move_to_element(wire).perform()
        assert browser.find_element(By.ID, "cg-tip").is_displayed()
        texts.append(browser.execute_script(SHOWN_JS))
        browser.save_screenshot(str(shots / f"ko_{name}_tip.png"))
        browser.find_element(By.ID, "cg-mode-forward").click()
        browser.find_element(By.ID, "cg-next").click()
        assert browser.find_element(By.ID, "cg-caption").text.startswith("순전파")
        texts.append(browser.execute_script(SHOWN_JS))
        if name == "mlp":
            browser.find_element(By.CSS_SELECTOR, ".cg-box").click()
            assert "전체 그래프" in browser.find_element(By.ID, "cg-crumbs").text
            texts.append(browser.execute_script(SHOWN_JS))
            browser.save_screenshot(str(shots / f"ko_{name}_module.png"))
        assert_korean(texts, "explorer.", data, rules)
        assert_offline_and_clean(browser, page)


def test_the_korean_live_page_has_no_english_ui(browser, tmp_path, shots):
    X, y = nn.data.xor()
    np.random.seed(1)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    page = tmp_path / "live.html"
    nn.fit(model, nn.BCELoss(), optimizer, (X, y), epochs=40, progress=False, metrics=["accuracy"],
           callbacks=[viz.live(path=page, loss=nn.BCELoss(), lang="ko", interval=0)])
    open_page(browser, page)
    assert browser.execute_script("return document.documentElement.lang") == "ko"
    texts = [browser.execute_script(SHOWN_JS)]
    assert "샘플 하나의 그래프" in browser.find_element(By.ID, "sample-caption").text
    browser.find_element(By.CSS_SELECTOR, ".cg-shown .cg-point[data-i='2']").click()
    neuron = browser.find_element(By.CSS_SELECTOR, "#graph .cg-node[data-name='h1.1']")
    ActionChains(browser).move_to_element(neuron).perform()
    texts.append(browser.execute_script(SHOWN_JS))
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, "#graph .cg-wire .cg-hit")).perform()
    texts.append(browser.execute_script(SHOWN_JS))
    browser.save_screenshot(str(shots / "ko_live.png"))
    browser.find_element(By.ID, "play").click()
    assert browser.find_element(By.ID, "play").text == "일시 정지"
    texts.append(browser.execute_script(SHOWN_JS))
    # data: the metrics' names (loss, accuracy), the activations, the loss's kind, the dtype, and the
    # formulas' own symbols (d loss / d w, the tooltips' \u2202loss/\u2202z)
    data = {"loss", "accuracy", "tanh", "sigmoid", "identity", "bce", "out", "float64", "circuitgrad"}
    assert_korean(texts, "live.", data)
    assert_offline_and_clean(browser, page)
