"""Several people at once, in real browsers: sessions are isolated, a reload finds its training,
up to 8 sessions with 2 trainings stay responsive with bounded server memory, a third training waits in
the queue, closing a tab or pressing Stop ends a training, and saved models survive a restart.

These tests start servers of their own (127.0.0.1 only): a server-wide cap of 2 trainings, a short
grace period for a closed tab's training, a 1 MB upload limit. Run with:
    .venv/bin/python -m pytest tests/e2e/test_sessions.py -s
(-s prints the measured page times and memory.)
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from benchmarks.app_server import Drops, rss_mb
from tests.e2e.browser import IDLE, WATCH_RUNS, assert_no_exception, go, run_and_wait, streamlit_server

pytestmark = pytest.mark.e2e

GRACE_S = 8  # a closed tab's training stops this long after the tab went away (TEXTVAE_ORPHAN_GRACE_S)
# A hang guard, not the target. Trainings run in worker processes at a lower CPU priority: on the 2-vCPU AMD EPYC
# of 2026-11-30, 4 sessions with 2 trainings took 1.9-11 s a page (median 4.2 s); with the trainings inside the
# server process the same test needed over 150 s.
PAGE_READY_LIMIT_S = 60.0
# Server memory (RSS of the streamlit process and its children, the training workers included). 2026-11-30, 4
# sessions: 556 MB idle, 1.33 GB peak with two trainings, 615 MB after them (the workers' memory is returned).
# 2 GB is about 1.5x the peak: room for allocator noise and another torch build, while a leak or a per-session
# copy of the model or corpus still shows.
RSS_LIMIT_MB = 2048


@pytest.fixture(scope="module")
def load_server(tmp_path_factory):
    env = {
        "TEXTVAE_MAX_TRAININGS": "2",
        "TEXTVAE_QUICK_MINUTES": "2",
        "TEXTVAE_ORPHAN_GRACE_S": str(GRACE_S),
        "TEXTVAE_MAX_UPLOAD_MB": "1",
        "TEXTVAE_BACKGROUND_TSNE": "0",  # this measures trainings and page opens, not maps computed after them
    }
    with streamlit_server(tmp_path_factory, env) as info:
        yield info


def open_app(browser, url: str, path: str = "", drops: Drops | None = None):
    """A new browser context (its own cookies: another person) on the app; returns (context, page). ``drops``
    records the page's websocket closes, console errors and crashes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if drops is not None:
        drops.watch(page)
    page.goto(url + path)
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.evaluate(WATCH_RUNS)
    assert_no_exception(page)
    return context, page


def upload_corpus(page, path: Path) -> None:
    go(page, "Data", "Data")
    run_and_wait(page, lambda: page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path)))
    page.wait_for_selector(f"text=Active corpus: {path.name}", timeout=60_000)
    page.wait_for_selector(IDLE)


def start_training(page, name: str | None = None) -> None:
    go(page, "Train", "Train")
    if name:
        box = page.get_by_role("textbox", name="Model name", exact=True)
        box.fill(name)
        run_and_wait(page, lambda: box.press("Enter"))
    run_and_wait(page, lambda: page.get_by_role("button", name="Start training").click())


def wait_training(page, timeout_s: float = 150) -> None:
    """Until the Train page shows the job running (preparing or with progress)."""
    page.locator("text=/tokens\\/s|Preparing/").first.wait_for(timeout=timeout_s * 1000)


def stop_button(page):
    """The Train page's Stop button, not Streamlit's own "Stop" in the header (shown while a script runs)."""
    return page.locator('[data-testid="stMainBlockContainer"]').get_by_role("button", name="Stop", exact=True)


def press_stop(page) -> None:
    run_and_wait(page, lambda: stop_button(page).click())
    page.wait_for_selector("text=/Stopped after .*stopped by the user/", timeout=PAGE_READY_LIMIT_S * 1000)


def stop_unless_ended(page, timeout_s: float = 120) -> None:
    """Stop a training that began minutes ago, or see that it already ended by itself.

    When it ends, the page reruns in full (loading the model), which on a busy server can take a while; Stop is
    disabled afterwards. So: poll until the page says it ended, or Stop can be pressed.
    """
    ended = page.locator("text=/(Finished|Stopped) after/")
    button = stop_button(page)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ended.count():
            return
        with contextlib.suppress(PlaywrightTimeoutError):  # it may end (and rerun) between the look and the click
            if button.count() and button.is_enabled(timeout=2000):
                run_and_wait(page, lambda: button.click(timeout=2000))
        time.sleep(0.5)
    raise AssertionError(f"neither ended nor stoppable within {timeout_s:.0f} s; the page shows:\n{main_text(page)}")


def main_text(page) -> str:
    return page.locator('[data-testid="stApp"]').inner_text()


def secret_corpus(tmp_path: Path, n: int = 3000) -> Path:
    """Sentences no one else has: their words must never show up in another session."""
    words = ["zebra", "quartz", "marmalade", "sprocket", "lagoon", "velvet", "comet", "tangerine"]
    path = tmp_path / "zebra-secret.txt"
    path.write_text(
        "\n".join(f"Zebraquartz {words[i % 8]} {words[(i // 8) % 8]} number {i} hums softly." for i in range(n)) + "\n"
    )
    return path


class RssSampler:
    """Samples the server's RSS every 0.25 s in a thread; ``peak`` is the highest seen."""

    def __init__(self, pid: int):
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss_mb(self.pid))
            self._stop.wait(0.25)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)

    @property
    def peak(self) -> float:
        return max(self.samples, default=0.0)


# ---------------------------------------------------------------- isolation


def test_two_sessions_at_once_never_see_each_others_corpus_model_or_training(load_server, browser, tmp_path):
    url = load_server["url"]
    context_a, a = open_app(browser, url)
    context_b, b = open_app(browser, url)
    try:
        upload_corpus(a, secret_corpus(tmp_path))
        start_training(a, "secret-model-a")
        wait_training(a)
        assert "Zebraquartz" in main_text(a) or "zebra-secret" in main_text(a)

        for title in ("Home", "Data", "Train", "Models", "Latent space", "Interpolate", "Sample", "Reconstruct"):
            go(b, title, "TextVAE Studio" if title == "Home" else title)
            text = main_text(b)
            for secret in ("zebra-secret", "Zebraquartz", "secret-model-a", "tokens/s", "Queued"):
                assert secret not in text, f"B's {title} page shows A's {secret!r}"
        go(b, "Home", "TextVAE Studio")
        assert "Training: none started" in main_text(b)  # B's own training status
        assert (
            "SNLI demo model" in b.locator('[data-testid="stSidebar"]').inner_text()
        )  # B's active model is still the demo one
        assert a.url.split("s=")[1] != b.url.split("s=")[1]  # two different session tokens

        # A's link (with its session token) opened by B's browser: B gets a session of its own.
        b.goto(a.url)
        b.wait_for_selector("h1:has-text('Train')", timeout=60_000)
        b.wait_for_selector(IDLE)
        assert "zebra-secret" not in main_text(b) and "tokens/s" not in main_text(b)
        assert b.url.split("s=")[1] != a.url.split("s=")[1]
        press_stop(a)
        a.wait_for_selector("text=is the active model now", timeout=60_000)  # A's model is saved, for A only
        assert_no_exception(a)
        go(b, "Models", "Models")
        assert "secret-model-a" not in main_text(b), "B's Models page lists A's finished training"
    finally:
        context_a.close()
        context_b.close()


# ---------------------------------------------------------------- reload


def test_a_reload_during_training_finds_the_job_still_running(load_server, browser, tmp_path):
    context, page = open_app(browser, load_server["url"])
    try:
        upload_corpus(page, secret_corpus(tmp_path))
        start_training(page, "reloaded")
        page.wait_for_selector("text=tokens/s", timeout=90_000)  # training, with progress
        token = page.url.split("s=")[1]
        page.reload()
        page.wait_for_selector("h1:has-text('Train')", timeout=60_000)
        page.wait_for_selector(IDLE)
        page.evaluate(WATCH_RUNS)
        assert page.url.split("s=")[1] == token
        page.wait_for_selector("text=tokens/s", timeout=30_000)  # the live panel of the same job, not a blank page
        assert "Training on zebra-secret.txt" in main_text(page)  # and the corpus is still the session's
        assert stop_button(page).is_enabled()
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "TRAINING" in sidebar and "Training:" in sidebar
        assert "A reload resumed its session (job: running)" in load_server["log"].read_text()
        press_stop(page)  # and Stop still reaches the job
        page.wait_for_selector("text=is the active model now", timeout=60_000)
        assert_no_exception(page)
    finally:
        context.close()


def test_an_upload_over_the_limit_is_refused_in_the_browser(load_server, browser, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("A sentence that is repeated many times.\n" * 40_000)  # 1.5 MB; the server allows 1 MB
    context, page = open_app(browser, load_server["url"])
    try:
        go(page, "Data", "Data")
        run_and_wait(
            page, lambda: page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(big))
        )
        error = page.locator('[data-testid="stAlertContentError"]').first
        error.wait_for(timeout=30_000)
        assert re.search(r"big\.txt is 1\.5\d* MB, over the 1 MB limit", error.inner_text())
        assert_no_exception(page)
    finally:
        context.close()


# ---------------------------------------------------------------- load

# Sessions at once: 8, or twice the cores where that is fewer. Every session is a Chromium renderer on this same
# machine; on the 2-vCPU AMD EPYC of 2026-11-30, 8 sessions opening pages at once took 8-40 s a round with no
# training at all (the browsers, not the server, used the cores), which measures the test machine, not the app.
SESSIONS = max(4, min(8, 2 * (os.cpu_count() or 1)))
TITLES = ["Latent space", "Interpolate", "Sample", "Reconstruct", "Models", "Data", "Home", "Train"]
# 16 page opens in all: in each round every session opens another page than the one it is on, all at once.
ROUNDS = [[TITLES[(i + r) % len(TITLES)] for i in range(SESSIONS)] for r in range(16 // SESSIONS)]


def open_all_at_once(pages: list, titles: list[str]) -> list[float]:
    """Click a sidebar link in every session, then poll them all: seconds from each click until its page has run.

    Ready: the new page's heading is shown and the script is not running. (Counting runs, as run_and_wait
    does, misses a run that starts and ends between two renders; the heading proves the new page ran.)
    """
    clicked = []
    for page, title in zip(pages, titles, strict=False):
        link = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True)
        link.click(timeout=PAGE_READY_LIMIT_S * 1000)  # the page's own limit: beside two trainings a rerun is slow
        clicked.append(time.perf_counter())
    heading = {title: "TextVAE Studio" if title == "Home" else title for title in titles}
    ready: dict[int, float] = {}
    deadline = time.perf_counter() + PAGE_READY_LIMIT_S
    while len(ready) < len(pages) and time.perf_counter() < deadline:
        for i, page in enumerate(pages):
            if i in ready:
                continue
            idle, h1 = page.evaluate(f"""() => [document.querySelector('{IDLE}') !== null,
                                                (document.querySelector('h1') || {{innerText: ''}}).innerText]""")
            if idle and h1.strip() == heading[titles[i]]:
                ready[i] = time.perf_counter() - clicked[i]
        time.sleep(0.02)
    for i, page in enumerate(pages):
        assert i in ready, (
            f"session {i} did not open {titles[i]} within {PAGE_READY_LIMIT_S:.0f} s (it shows {page.url})"
        )
        assert_no_exception(page)
    return [ready[i] for i in range(len(pages))]


@pytest.mark.timeout(600)  # 2-vCPU AMD EPYC, 2026-11-30: about 2.5 minutes
def test_many_sessions_two_trainings_and_a_queue(load_server, browser, timings):
    t_start = time.perf_counter()
    url, pid = load_server["url"], load_server["pid"]
    sessions = []
    drops = Drops()
    try:
        opened = []
        for _ in range(SESSIONS):
            t0 = time.perf_counter()
            sessions.append(open_app(browser, url, drops=drops))
            opened.append(time.perf_counter() - t0)
        pages = [p for _, p in sessions]
        time.sleep(1)
        rss_before = rss_mb(pid)

        with RssSampler(pid) as sampler:
            for page in pages[:2]:
                start_training(page)
            for page in pages[:2]:
                wait_training(page)
            t_queue = time.perf_counter()
            start_training(pages[2])
            queued = pages[2].locator('[data-testid="stAlertContentInfo"]').filter(has_text="Queued").first
            queued.wait_for(timeout=PAGE_READY_LIMIT_S * 1000)
            timings["third training: click to queue message"] = time.perf_counter() - t_queue
            queued_text = queued.inner_text().replace("hourglass_top", "").strip()  # without the icon's name
            assert (
                "Queued: 2 of 2 training slots on this server are busy — 0 ahead of you. It starts by itself."
                in queued_text
            )
            assert "Queued" in pages[2].locator('[data-testid="stSidebar"]').inner_text()

            page_times = []
            for titles in ROUNDS:
                page_times += open_all_at_once(pages, titles)
            for page in pages[:2]:  # the trainings are still running, their sessions still answer
                go(page, "Train", "Train")
                page.wait_for_selector("text=/tokens\\/s|Preparing/", timeout=PAGE_READY_LIMIT_S * 1000)
            rss_two_trainings = sampler.peak
            # No page lost its connection under the load: a training tab's live panel once made Streamlit's
            # frontend fail ("Bad delta path index") and close its websocket for good.
            assert not drops.problems(), drops.problems()

            # Closing a tab ends its training (after the grace period for a reload), and the queued one starts.
            t_closed = time.perf_counter()
            sessions[0][0].close()
            go(pages[2], "Train", "Train")
            # + 150 s: a hang guard (the stopped job validates and saves first); measured 29 s on the 2-vCPU AMD EPYC
            pages[2].wait_for_selector("text=/tokens\\/s|Preparing/", timeout=(GRACE_S + 150) * 1000)
            queue_wait = time.perf_counter() - t_closed
            assert "A session ended: its training" in load_server["log"].read_text()

            stop_unless_ended(pages[1])  # its training began minutes ago: it may have ended by itself
            press_stop(pages[2])  # started just now: Stop must work
        rss_peak = sampler.peak
        time.sleep(2)
        rss_after = rss_mb(pid)

        timings[f"{SESSIONS} sessions: open (max)"] = max(opened)
        timings[f"{SESSIONS} sessions: page ready, median"] = sorted(page_times)[len(page_times) // 2]
        timings[f"{SESSIONS} sessions: page ready, max"] = max(page_times)
        timings["closed tab -> queued job starts"] = queue_wait
        timings["load test wall time"] = time.perf_counter() - t_start
        print(
            f"\nopen times (s): {[round(t, 2) for t in opened]}"
            f"\npage-ready times (s), {len(ROUNDS)} rounds x {SESSIONS} sessions, 2 trainings running: "
            f"{[round(t, 2) for t in page_times]}"
            f"\nserver RSS MB: {SESSIONS} sessions idle {rss_before:.0f}, "
            f"peak with 2 trainings {rss_two_trainings:.0f}, peak overall {rss_peak:.0f}, "
            f"after the trainings {rss_after:.0f} (limit {RSS_LIMIT_MB})"
            f"\nqueued message: {queued_text!r}"
        )
        timings[f"server RSS MB, {SESSIONS} sessions idle"] = rss_before
        timings["server RSS MB, peak"] = rss_peak
        timings["server RSS MB, after trainings"] = rss_after
        assert max(opened) < PAGE_READY_LIMIT_S
        assert max(page_times) < PAGE_READY_LIMIT_S, page_times
        assert rss_peak < RSS_LIMIT_MB and rss_after < RSS_LIMIT_MB
    finally:
        for context, _ in sessions:
            with contextlib.suppress(Exception):
                context.close()


# ---------------------------------------------------------------- restart


def test_a_saved_model_survives_a_server_restart(browser, tmp_path_factory, tiny_bundle_dir):
    from textvae import bundle_to_zip

    models = tmp_path_factory.mktemp("kept-models")
    bundle_zip = tmp_path_factory.mktemp("upload") / "tiny.zip"
    bundle_zip.write_bytes(bundle_to_zip(tiny_bundle_dir))

    with streamlit_server(tmp_path_factory, models_dir=models) as first:
        context, page = open_app(browser, first["url"])
        try:
            go(page, "Models", "Models")
            run_and_wait(
                page,
                lambda: page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bundle_zip)),
            )
            page.get_by_text("it is the active model now").wait_for(timeout=60_000)
            page.wait_for_selector(IDLE)
            box = page.get_by_role("textbox", name="Save as", exact=True)
            box.fill("kept-across-restart")
            run_and_wait(page, lambda: box.press("Enter"))
            run_and_wait(page, lambda: page.get_by_role("button", name="Share on this server").click())
            page.wait_for_selector("text=Saved as kept-across-restart-", timeout=30_000)
            assert_no_exception(page)
        finally:
            context.close()
    saved = [p.name for p in models.iterdir() if p.name.startswith("kept-across-restart-")]
    assert len(saved) == 1 and (models / saved[0] / "model.safetensors").exists()

    with streamlit_server(tmp_path_factory, models_dir=models) as second:
        context, page = open_app(browser, second["url"])
        try:
            go(page, "Models", "Models")
            # The innermost block holding both the saved model's name and a Use button: its row in the list.
            row = page.locator("div").filter(has_text=saved[0]).filter(has=page.get_by_role("button", name="Use")).last
            row.wait_for(timeout=30_000)
            run_and_wait(page, lambda: row.get_by_role("button", name="Use").click())
            page.wait_for_selector("text=Now using kept-across-restart", timeout=60_000)  # its name, not its folder
            assert "kept-across-restart" in page.locator('[data-testid="stSidebar"]').inner_text()
            go(page, "Sample", "Sample")  # the restored model works
            page.locator('[data-testid="stTable"]').first.wait_for(timeout=30_000)
            assert_no_exception(page)
        finally:
            context.close()


# ---------------------------------------------------------------- deep links


def test_a_deep_link_as_the_first_request_gets_the_whole_app(browser, tmp_path_factory):
    """After a restart, a bookmarked or reloaded /train must run app.py
    (a folder named pages/ would make Streamlit run the page alone)."""
    with streamlit_server(tmp_path_factory) as server:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        try:
            page.goto(server["url"] + "/train")
            page.wait_for_selector("h1:has-text('Train')", timeout=60_000)
            page.wait_for_selector("text=ACTIVE MODEL", timeout=30_000)  # app.py's sidebar card
            page.wait_for_selector(IDLE)
            sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
            assert (
                "Explore" in sidebar and "Latent space" in sidebar and "latent space" not in sidebar
            )  # grouped st.navigation, not file names
            assert re.search(r"[?&]s=[\w-]{16,}", page.url), page.url  # the session token: app.py ran
            assert_no_exception(page)
        finally:
            context.close()


def test_the_server_tidies_abandoned_model_folders_and_keeps_the_rest(browser, tmp_path_factory):
    models = tmp_path_factory.mktemp("tidy-models")
    three_days_ago = time.time() - 3 * 24 * 3600
    abandoned = models / ".sessions" / "0123456789abcdef01234567" / "run-20261101-000000"
    partial = models / ".shared-20261101-000000.k2j3h4"
    shared = models / "shared-20261101-000000"
    for folder in (abandoned, partial, shared):
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"x")
        for path in (folder / "model.safetensors", folder, folder.parent):
            os.utime(path, (three_days_ago, three_days_ago))
    with streamlit_server(tmp_path_factory, models_dir=models) as server:
        context, _ = open_app(browser, server["url"])
        try:
            deadline = time.monotonic() + 60
            while abandoned.parent.exists() and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            context.close()
    assert not abandoned.parent.exists() and not partial.exists()
    assert shared.exists() and (models / ".sessions").exists()
