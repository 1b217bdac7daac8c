"""Dashboard speed as a user feels it: `streamlit run` on loopback, driven by Debian's headless Chromium.

Two boosters are trained for BTC/USDT 1h first (the Forecast page then shows a real signal). Measured:
the Forecast page's first render with warm caches (the server already holds candles, models and the
signal), in a tab of a returning browser (its HTTP cache holds Streamlit's and Plotly's scripts) and
in a brand-new browser profile (it downloads and parses them, about 10 MB), and the time from
choosing another symbol to its page being drawn. Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SIGNAL = "[data-testid='stMetric']:has-text('Model agreement')"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train(artifacts: Path) -> None:
    from core.data import load_candles
    from core.models.store import Key, ModelStore
    from core.models.training import train_models

    candles = load_candles("BTC/USDT", "1h").iloc[-8_760:]
    train_models(candles, Key("BTC/USDT", "1h", 1), ["lightgbm", "xgboost"], source="bundled", store=ModelStore(artifacts))


VIEWPORT = {"width": 1400, "height": 1000}


def _render(context, url: str) -> float:
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(SIGNAL, timeout=180_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def _switch(context, url: str, symbol: str) -> float:
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(SIGNAL, timeout=180_000)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Symbol").click()
    started = time.perf_counter()
    page.get_by_role("option", name=symbol, exact=True).click()
    page.get_by_text(f"No trained model for {symbol} 1h").wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def main() -> None:
    from playwright.sync_api import sync_playwright

    artifacts = Path(tempfile.mkdtemp(prefix="lydian_dash_artifacts_"))
    _train(artifacts)
    port = _port()
    env = {**os.environ, "LYDIAN_HOME": tempfile.mkdtemp(prefix="lydian_dash_home_"), "LYDIAN_ARTIFACTS": str(artifacts),
           "LYDIAN_FIRST_VISIT_TRAINING": "0"}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app/Home.py", "--server.port", str(port),
                               "--server.headless", "true"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            cold = _render(browser.new_context(viewport=VIEWPORT), url)  # also warms the server's caches
            fresh_profile = sorted(_render(browser.new_context(viewport=VIEWPORT), url) for _ in range(3))[1]
            returning = browser.new_context(viewport=VIEWPORT)
            _render(returning, url)  # fills this profile's HTTP cache
            warm = sorted(_render(returning, url) for _ in range(3))[1]
            switch = sorted(_switch(returning, url, s) for s in ("ETH/USDT", "SOL/USDT", "ADA/USDT"))[1]
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps({"home_first_render_cold_s": round(cold, 2), "home_first_render_warm_s": round(warm, 2),
                      "home_first_render_warm_new_browser_profile_s": round(fresh_profile, 2), "target_warm_s": 2.0, "symbol_switch_s": round(switch, 2), "target_switch_s": 1.0}))


if __name__ == "__main__":
    main()
