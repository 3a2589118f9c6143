"""Headless Chromium for the browser tests (the explorer page, the live page), with the network off.

Importing this module skips the importing test module, with the reason, when selenium or Debian's
`chromium` and `chromium-driver` are missing. `browser_fixture(width, height)` makes a module-scoped
fixture of one offline Chromium; `open_page` loads a saved page; `assert_offline_and_clean` checks
that it fetched nothing and logged no error.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium (the `test` extra)")
if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip(f"the browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); "
                "install them as root: apt-get install chromium chromium-driver", allow_module_level=True)


def browser_fixture(width: int, height: int):
    """A module-scoped fixture: one headless Chromium with the network emulated offline."""
    @pytest.fixture(scope="module")
    def browser():
        profile = tempfile.mkdtemp(prefix="circuitgrad-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    f"--window-size={width},{height}", f"--user-data-dir={profile}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                               {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        yield driver
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return browser


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: $CIRCUITGRAD_SCREENSHOTS when set (to look at them), else pytest's tmp dir."""
    folder = Path(os.environ.get("CIRCUITGRAD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(driver, path: Path) -> None:
    driver.get("about:blank")  # Chromium's own start page may still be loading its chrome:// icons
    driver.get_log("performance")  # forget earlier pages' events
    driver.get_log("browser")
    driver.get(path.as_uri())


def requests_made(driver) -> list:
    """URLs asked for, from Chromium's network events: not inline data, nor Chromium's own chrome://
    pages (its new-tab page can still be loading icons; those never reach the network)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("data:", "chrome://")):
                urls.append(url)
    return urls


def assert_offline_and_clean(driver, page: Path) -> None:
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == [], f"the page loaded resources: {resources}"
    others = [u for u in requests_made(driver) if u != page.as_uri()]
    assert others == [], f"the page made network requests: {others}"
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], f"console errors: {errors}"
