"""Dashboard speed as a user feels it: `streamlit run` on loopback, driven by Debian's headless Chromium.

The default ensemble (its fast members) is trained for BTC/USDT 1h first (the Forecast page then shows a real signal). Measured,
in the page itself, from navigation start: the title, the signal card (every field drawn) and both
Plotly charts (the Forecast page draws them in chart frames, see app/chart_frame.py). With warm
caches (the server already holds candles, models, the signal and the figures) in a returning
browser, a persistent profile like a user's own, whose HTTP cache and V8 code cache hold Streamlit's
and Plotly's scripts; also in brand-new profiles (Playwright's default, incognito-like contexts:
they parse every script afresh) and the time from choosing another symbol to its page being drawn.
Medians of five loads. Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SIGNAL = "[data-testid='stMetric']:has-text('Model agreement')"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train(artifacts: Path) -> None:
    """The default ensemble (its fast members and the fitted combination), as the first visit trains it."""
    os.environ["LYDIAN_ARTIFACTS"] = str(artifacts)
    from core import service
    from core.data import load_candles
    from core.ensemble import ENSEMBLE
    from core.models.store import Key

    key = Key("BTC/USDT", "1h", 1)
    candles = load_candles("BTC/USDT", "1h").iloc[-8_760:]
    service.train(candles, key, [ENSEMBLE], config=service.ensemble_config(key), source="bundled")


VIEWPORT = {"width": 1400, "height": 1000}


MILESTONES = """
window.__drawn = {};
const mark = (name) => { if (!(name in window.__drawn)) window.__drawn[name] = performance.now() / 1000; };
// A chart counts once its SVG exists, on the page (st.plotly_chart) or in a component frame (the
// Forecast page's charts), which the page may read: the frames come from the same origin.
const plots = (doc) => doc ? [...doc.querySelectorAll('.js-plotly-plot')].filter(e => e.querySelector('.main-svg')).length : 0;
const look = () => {
  if (document.querySelector('h1')) mark('title');
  if ([...document.querySelectorAll("[data-testid='stMetric']")].some(e => e.textContent.includes('Model agreement'))) mark('card');
  const frames = [...document.querySelectorAll('iframe')].map(f => plots(f.contentDocument));
  if (plots(document) + frames.reduce((a, b) => a + b, 0) >= 2) mark('charts');
};
new MutationObserver(look).observe(document, {subtree: true, childList: true});
setInterval(look, 10);  // mutations inside frames do not reach the page's observer
"""


def _render(context, url: str) -> dict[str, float]:
    """Seconds from navigation start to the title, the signal card and both charts."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => window.__drawn.title && window.__drawn.card && window.__drawn.charts", timeout=180_000)
    drawn = page.evaluate("window.__drawn")
    page.close()
    return drawn


def _medians(loads: list[dict[str, float]]) -> dict[str, float]:
    return {name: round(float(np.median([load[name] for load in loads])), 2) for name in ("title", "card", "charts")}


def _switch(context, url: str, symbol: str) -> float:
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(SIGNAL, timeout=180_000)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Symbol").click()
    started = time.perf_counter()
    page.get_by_role("option", name=symbol, exact=True).click()
    page.get_by_text(re.compile(f"No trained .* for {re.escape(symbol)} 1h")).first.wait_for(timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def main() -> None:
    from playwright.sync_api import sync_playwright

    artifacts = Path(tempfile.mkdtemp(prefix="lydian_dash_artifacts_"))
    os.environ["LYDIAN_HOME"] = tempfile.mkdtemp(prefix="lydian_dash_home_")  # the server reads what training stored
    _train(artifacts)
    port = _port()
    env = {**os.environ, "LYDIAN_ARTIFACTS": str(artifacts), "LYDIAN_FIRST_VISIT_TRAINING": "0"}
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
            fresh = []
            for _ in range(6):  # the first load also warms the server's caches
                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(MILESTONES)
                fresh.append(_render(context, url))
                context.close()
            browser.close()
            returning = p.chromium.launch_persistent_context(
                tempfile.mkdtemp(prefix="lydian_dash_profile_"), executable_path="/usr/bin/chromium", headless=True,
                args=ARGS, viewport=VIEWPORT)
            returning.add_init_script(MILESTONES)
            loads = [_render(returning, url) for _ in range(7)][2:]  # two visits fill its HTTP and code caches
            switch = sorted(_switch(returning, url, s) for s in ("ETH/USDT", "SOL/USDT", "ADA/USDT"))[1]
            returning.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    warm = _medians(loads)
    print(json.dumps({"home_first_visit_s": _medians(fresh[:1]), "home_warm_s": warm,
                      "home_warm_range_s": {k: [round(min(x[k] for x in loads), 2), round(max(x[k] for x in loads), 2)]
                                            for k in warm},
                      "home_warm_new_browser_profile_s": _medians(fresh[1:]), "target_warm_s": 2.0,
                      "symbol_switch_s": round(switch, 2), "target_switch_s": 1.0}))


if __name__ == "__main__":
    main()
