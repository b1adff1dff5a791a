"""Answers in the browser, measured in Chromium: from a click on Sample, Reconstruct or Interpolate to its result.

    python -m benchmarks.answers [--repeats 10]

Starts the app (the bundled demo model and corpus) and, per page, presses its button once to warm it, then
REPEATS times with a fresh input (a new seed, or a new "To" sentence: no cache answers), timing each from the
click until that script run has finished (Streamlit marks the app while a script runs). Prints the medians and
every time, and the load average (the issue's target: under 300 ms on an idle machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from benchmarks.app_server import IDLE, WATCH_RUNS, app_server, chromium

# page, its button, and how each repeat changes the input: a number field's name, or the "To" sentence
PAGES = (
    ("sample", "Sample", "Seed"),
    ("reconstruct", "Reconstruct", "Noise seed"),
    ("interpolate", "Interpolate", None),
)


def timed_click(page, button: str) -> float:
    """Seconds from a click on ``button`` until the script run it started has finished."""
    before = page.evaluate(WATCH_RUNS)
    started = time.perf_counter()
    page.get_by_role("button", name=button).first.click()
    page.wait_for_function(
        f"() => window.__runs > {before} && document.querySelector('{IDLE}') !== null", timeout=60_000, polling=5
    )
    return time.perf_counter() - started


def measure(repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {"TEXTVAE_MODELS_DIR": tmp, "TEXTVAE_BACKGROUND_TSNE": "0"}
        with app_server(env) as (url, _), sync_playwright() as p:
            browser = chromium(p)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            load = os.getloadavg()[0]
            for path, button, number in PAGES:
                page.goto(f"{url}/{path}", timeout=180_000)
                page.wait_for_selector(IDLE, timeout=180_000)
                time.sleep(2)
                timed_click(page, button)  # warm: the first answer loads what the page needs
                times = []
                for i in range(repeats):
                    if number:
                        page.get_by_role("spinbutton", name=number).first.fill(str(100 + i))
                    else:
                        page.get_by_role("textbox", name="To").first.fill(f"A dog runs on the beach, take {i}.")
                    times.append(timed_click(page, button))
                results[path] = {"median_s": round(statistics.median(times), 3), "all_s": [round(t, 3) for t in times]}
                print(f"{path}: median {results[path]['median_s']} s", file=sys.stderr)
            browser.close()
    return {"load_average_before": load, "repeats": repeats, **results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.answers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.repeats), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
