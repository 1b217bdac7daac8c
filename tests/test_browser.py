"""The dashboard as a user sees it: `streamlit run` served on loopback, driven by headless Chromium.

Set LYDIAN_SCREENSHOT_DIR to keep the screenshots (``make screenshots`` does, for the README).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

CHART_FRAME = "iframe[src*='lydian_chart']"  # app/chart_frame.py

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (make browser installs it as root)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train_fast_models(root: Path) -> None:
    """What a first visit does (the ensemble of the fast members), done before the server starts so the pages
    show a real forecast; two boosters on their own too, for the Models and Explain pages."""
    from core import service
    from core.data import load_candles
    from core.ensemble import ENSEMBLE
    from core.models.store import Key, ModelStore

    candles = load_candles("BTC/USDT", "1h").iloc[-8_760:]
    service.train(candles, Key("BTC/USDT", "1h", 1), ["lightgbm", "xgboost", ENSEMBLE], source="bundled",
                  store=ModelStore(root))


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same command `make run` uses, on a free port; stopped and reaped afterwards."""
    port = _free_port()
    env = {**os.environ, "LYDIAN_HOME": str(tmp_path_factory.mktemp("home")),
           "LYDIAN_ARTIFACTS": str(tmp_path_factory.mktemp("artifacts"))}
    _train_fast_models(Path(env["LYDIAN_ARTIFACTS"]))
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/Home.py", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        else:
            log.seek(0)
            pytest.fail(f"streamlit did not become healthy:\n{log.read()}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _settle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )


def _shot(page, name: str) -> None:
    folder = os.environ.get("LYDIAN_SCREENSHOT_DIR")
    if folder:
        page.wait_for_function(  # no element still loading, and every Plotly chart drawn, in the page or a frame
            "() => !document.querySelector('[data-testid=\"stSkeleton\"]') && "
            "[...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
            ".every(e => e.querySelector('.main-svg')) && "
            f"[...document.querySelectorAll(\"{CHART_FRAME}\")]"
            ".every(f => f.contentDocument && f.contentDocument.querySelector('.main-svg'))", timeout=60_000)
        page.wait_for_timeout(1_000)
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.locator("[data-testid='stException']").first.text_content()
    assert "Traceback" not in page.content()


def test_home_draws_the_signal_on_real_candles(dashboard: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})  # a laptop: the card's figures must fit
    page.goto(dashboard)
    page.wait_for_selector("h1:has-text('Forecast')", timeout=60_000)
    page.wait_for_selector("[data-testid='stMetric']:has-text('Model agreement')", timeout=120_000)
    candles = page.frame_locator(CHART_FRAME).first  # the Forecast page draws its charts in frames
    candles.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
    _settle(page)
    assert candles.locator(".js-plotly-plot .gtitle").first.text_content() == "BTC/USDT · 1h"
    assert candles.locator(".js-plotly-plot .trace.boxes").count() >= 1  # plotly draws candles as box traces
    members = page.frame_locator(CHART_FRAME).nth(1)
    members.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
    assert members.locator(".js-plotly-plot .trace.bars").count() == 1
    signal = page.locator("[data-testid='stMetric']:has-text('Signal')").first.text_content()
    assert any(action in signal for action in ("BUY", "SELL", "HOLD"))
    cut = page.evaluate(  # a metric value, or anything inside it, wider than its box is cut off with an ellipsis
        "() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
        ".filter(v => [v, ...v.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))"
        ".map(v => v.textContent)")
    assert page.locator("[data-testid='stMetricValue']").count() >= 11 and not cut, f"truncated at 1280 px: {cut}"
    _no_exception(page)
    _shot(page, "forecast")
    page.close()


@pytest.mark.parametrize(("path", "title", "shows"), [
    ("Models", "Models", "lightgbm"),
    ("Compare", "Compare", "walk-forward"),
    ("Patterns", "Patterns", "chart pattern(s) and"),
    ("Train", "Train", "Train"),
    ("Explain", "Explain", "What drives it overall"),
    ("Ensemble", "Ensemble", "Pull on the latest forecast"),
])
def test_every_page_renders_without_an_exception(dashboard: str, browser, path: str, title: str, shows: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{dashboard}/{path}")
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=60_000)
    page.get_by_text(shows).first.wait_for(timeout=120_000)
    _settle(page)
    _no_exception(page)
    _shot(page, path.lower())
    page.close()


def test_data_page_rejects_a_bad_upload_with_a_clear_message(dashboard: str, browser, tmp_path: Path) -> None:
    bad = tmp_path / "prices.csv"
    rows = [f"2024-01-0{day},10,12,9,11,5" for day in range(1, 4)]
    rows[1] = "2024-01-02,10,9,11,10,5"  # high below low on the file's third line
    bad.write_text("Date,Open,High,Low,Close,Volume\n" + "\n".join(rows) + "\n")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{dashboard}/Data")
    page.wait_for_selector("h1:has-text('Data')", timeout=60_000)
    page.wait_for_selector("[data-testid='stMetric']:has-text('Coverage')", timeout=60_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)  # the gap timeline
    _settle(page)
    _shot(page, "data")
    page.get_by_text("Upload a file").click()
    page.wait_for_selector("[data-testid='stFileUploader']", timeout=30_000)
    page.locator("input[type=file]").set_input_files(str(bad))
    error = page.wait_for_selector("[data-testid='stAlert']:has-text('was not imported')", timeout=60_000)
    assert "row 3: high 9 is below low 11" in error.text_content()
    _shot(page, "data-bad-upload")
    page.close()


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the sidebar selectbox labelled ``label``."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_switching_symbol_and_timeframe_redraws_the_page(dashboard: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(dashboard)
    page.wait_for_selector("[data-testid='stMetric']:has-text('Model agreement')", timeout=120_000)
    _pick(page, "Symbol", "ETH/USDT")
    page.get_by_text("No trained ensemble of").filter(has_text="ETH/USDT 1h").first.wait_for(timeout=60_000)
    title = page.frame_locator(CHART_FRAME).first.locator(".js-plotly-plot .gtitle")
    title.filter(has_text="ETH/USDT · 1h").wait_for(timeout=30_000)  # the chart follows the new symbol
    _pick(page, "Timeframe", "4h")
    page.get_by_text("No trained ensemble of").filter(has_text="ETH/USDT 4h").first.wait_for(timeout=60_000)
    assert page.get_by_role("button", name=re.compile(r"^Train the ensemble of .* \(about a minute\)$")).count() == 1
    _no_exception(page)
    page.close()


def test_data_page_imports_a_good_upload(dashboard: str, browser, tmp_path: Path) -> None:
    good = tmp_path / "my_candles.csv"
    stamps = [f"2024-01-{1 + hour // 24:02d} {hour % 24:02d}:00" for hour in range(72)]  # 72 hourly bars
    good.write_text("timestamp,open,high,low,close,volume\n"
                    + "\n".join(f"{t},{100 + i},{102 + i},{99 + i},{101 + i},{10 + i}" for i, t in enumerate(stamps)))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{dashboard}/Data")
    page.wait_for_selector("h1:has-text('Data')", timeout=60_000)
    _settle(page)
    page.get_by_text("Upload a file").click()
    page.wait_for_selector("[data-testid='stFileUploader']", timeout=30_000)
    page.locator("input[type=file]").set_input_files(str(good))
    page.wait_for_selector("[data-testid='stMetric']:has-text('Rows')", timeout=60_000)
    _settle(page)
    assert "72" in page.locator("[data-testid='stMetric']:has-text('Rows')").first.text_content()
    assert page.locator("[data-testid='stAlert']:has-text('was not imported')").count() == 0
    _no_exception(page)
    page.close()


def test_a_short_training_from_the_train_page(dashboard: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{dashboard}/Train")
    page.wait_for_selector("h1:has-text('Train')", timeout=60_000)
    _settle(page)
    bars = page.get_by_role("spinbutton", name="Most recent bars")
    bars.fill("1000")
    bars.press("Enter")
    _settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Just trained").wait_for(timeout=300_000)
    _settle(page)
    _no_exception(page)
    page.close()
