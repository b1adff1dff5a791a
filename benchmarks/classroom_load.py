"""A class on one server, measured in Chromium: many sessions open, two trainings running, one person browsing.

    python -m benchmarks.classroom_load [--sessions 30] [--rounds 2] [--mode classroom]

Starts the app (TEXTVAE_MAX_TRAININGS=2, the Quick preset from the base model, its own models folder) and opens
SESSIONS - 1 browser sessions on its home page, one after the other (each its own browser context: another
person). Two of them start a Quick training. While both train, one more session opens every page of the sidebar
ROUNDS times; each page open is timed from the click on its sidebar link until its heading is shown and its
script has finished. Prints the page-open times (median, max), any exception box, and the server's memory (the
streamlit process and its children, the training workers included): with the sessions open, the peak while
training, and after; and what any page saw going wrong (websocket closes, console errors, crashes). The browsers
run on the same machine as the server, so the numbers are an upper bound.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.app_server import IDLE, Drops, app_server, chromium, rss_mb

TITLES = ["Latent space", "Interpolate", "Sample", "Reconstruct", "Steer", "Models", "Data", "Home", "Train"]


def open_session(browser, url: str, drops: Drops, session: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    drops.watch(page, session)
    page.goto(url, timeout=180_000)
    page.wait_for_selector("h1", timeout=180_000)
    page.wait_for_selector(IDLE, timeout=180_000)
    return page


def open_page(page, title: str) -> float:
    """Seconds from a click on the sidebar link until the page's heading is shown and its script has run."""
    heading = "TextVAE Studio" if title == "Home" else title
    started = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    page.wait_for_function(
        """([idle, heading]) => document.querySelector(idle) !== null
            && (document.querySelector('h1') || {innerText: ''}).innerText.trim() === heading""",
        arg=[IDLE, heading],
        timeout=180_000,
        polling=20,
    )
    return time.perf_counter() - started


def exceptions(page) -> list[str]:
    boxes = page.locator('[data-testid="stException"]')
    return [boxes.nth(i).inner_text()[:300] for i in range(boxes.count())]


def training_workers(pid: int) -> int:
    """How many training worker processes the server has now."""
    import psutil

    found = 0
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            found += "textvae.worker" in " ".join(child.cmdline())
    return found


class Sampler(threading.Thread):
    """The server's memory every half second; ``peak`` is the highest seen."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.done.wait(0.5)


def measure(sessions: int, rounds: int, mode: str, server_log: Path | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = {"TEXTVAE_MODELS_DIR": str(Path(tmp) / "models"), "TEXTVAE_MAX_TRAININGS": "2", "TEXTVAE_MODE": mode}
        with app_server(env, server_log or Path(tmp) / "server.log") as (url, pid), sync_playwright() as p:
            browser = chromium(p)
            started = time.perf_counter()
            drops = Drops()
            opened = []
            for number in range(1, sessions):
                t0 = time.perf_counter()
                opened.append(open_session(browser, url, drops, f"session {number}" + " (trains)" * (number <= 2)))
                print(f"session {len(opened)} open in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            rss_open = rss_mb(pid)
            sampler = Sampler(pid)
            sampler.start()
            for page in opened[:2]:
                open_page(page, "Train")
                page.get_by_role("button", name="Start training").click()
            for page in opened[:2]:
                page.locator("text=/tokens\\/s|Preparing/").first.wait_for(timeout=180_000)
            browsing = open_session(browser, url, drops, "browsing")
            times: dict[str, list[float]] = {}
            for _ in range(rounds):
                for title in TITLES:
                    times.setdefault(title, []).append(open_page(browsing, title))
                    at = time.perf_counter() - drops.started
                    print(f"{title}: {times[title][-1]:.2f} s (done at {at:.1f} s)", file=sys.stderr)
            still_training = sum(
                page.locator("text=/tokens\\/s|Preparing/").count() > 0 for page in opened[:2]
            )  # both should still be training: else the numbers were not measured under load
            found = exceptions(browsing) + [e for page in opened[:2] for e in exceptions(page)]
            while training_workers(pid):  # the trainings' worker processes end with their trainings
                time.sleep(1)
            sampler.done.set()
            time.sleep(5)
            rss_after = rss_mb(pid)
            seen = drops.problems()  # before closing the browser, which closes every websocket
            browser.close()
    every = [t for ts in times.values() for t in ts]
    return {
        "sessions": sessions,
        "mode": mode,
        "page_opens": len(every),
        "page_open_median_s": round(statistics.median(every), 2),
        "page_open_max_s": round(max(every), 2),
        "per_page_s": {title: [round(t, 2) for t in ts] for title, ts in times.items()},
        "trainings_running_at_the_end_of_browsing": still_training,
        "exception_boxes": found,
        "browser_problems": seen,
        "server_rss_mb": {
            "sessions_open": round(rss_open),
            "peak_while_training": round(sampler.peak),
            "after_trainings": round(rss_after),
        },
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="sessions open in all (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=2, help="times the browsing session opens every page")
    parser.add_argument("--mode", choices=("personal", "classroom"), default="classroom")
    parser.add_argument("--server-log", type=Path, help="keep the server log (TEXTVAE_LOG_TIMING=1 adds page times)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.sessions, args.rounds, args.mode, args.server_log), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
