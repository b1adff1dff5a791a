"""What the browser tests share: a Streamlit server on a free port, headless Chromium, and driving a page.

Uses the system Chromium (never `playwright install`). The server gets its own models folder
and a short Quick-demo preset (TEXTVAE_QUICK_MINUTES) so training finishes in well under a minute.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import re
import time
from pathlib import Path

from benchmarks.app_server import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, WATCH_RUNS, app_server

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "IDLE", "WATCH_RUNS"]  # re-exported: the tests import them from here
SCREENSHOTS = ROOT / "screenshots"


def sentences(n: int, seed: int = 0) -> list[str]:
    subjects = [
        "The cat",
        "A dog",
        "My friend",
        "The old man",
        "A young girl",
        "The teacher",
        "Our neighbour",
        "The child",
    ]
    verbs = ["sees", "likes", "follows", "paints", "finds", "calls", "visits", "watches"]
    objects = [
        "the river",
        "a red car",
        "the small house",
        "a tall tree",
        "the market",
        "a quiet garden",
        "the blue sea",
        "a big city",
    ]
    combos = list(itertools.product(subjects, verbs, objects))
    random.Random(seed).shuffle(combos)
    return [f"{s} {v} {o}." for s, v, o in combos[:n]]


def _demo_model(tmp_path_factory) -> str | None:
    """The bundled demo model; a tiny stand-in when a checkout does not have it (yet)."""
    if os.environ.get("TEXTVAE_DEMO_MODEL") or (ROOT / "assets" / "demo-model" / "model.safetensors").exists():
        return os.environ.get("TEXTVAE_DEMO_MODEL")
    from textvae import CorpusOptions, TokenizerConfig, TrainConfig, load_corpus, save_bundle, train_model

    folder = tmp_path_factory.mktemp("demo")
    (folder / "corpus.txt").write_text("\n".join(sentences(400)) + "\n")
    corpus = load_corpus(folder / "corpus.txt", options=CorpusOptions())
    bundle, _ = train_model(
        corpus,
        model={"embed_dim": 32, "hidden_dim": 64, "latent_dim": 8},
        training=TrainConfig(epochs=3, batch_size=16, threads=1),
        tokenizer=TokenizerConfig(vocab_size=500),
    )
    return str(save_bundle(bundle, folder / "demo-model"))


@contextlib.contextmanager
def streamlit_server(tmp_path_factory, env: dict[str, str] | None = None, models_dir: Path | None = None):
    """`streamlit run app.py` on a free 127.0.0.1 port with its own models folder; yields once it answers its
    health check.

    Yields {"url", "started" (perf_counter at launch), "log" (its output), "pid", "models_dir"};
    stops the server on exit.
    ``env`` adds or overrides environment variables (say a training cap of 2).
    """
    models_dir = models_dir or tmp_path_factory.mktemp("models")
    env = {
        "TEXTVAE_MODELS_DIR": str(models_dir),
        "TEXTVAE_QUICK_MINUTES": os.environ.get("TEXTVAE_QUICK_MINUTES", "0.35"),
        "TEXTVAE_BASE_MODEL": str(models_dir / "no-base-model"),  # from scratch unless a test names one in env
        "TEXTVAE_MODE": "classroom",  # several people on one server (personal mode: tests/app/test_model_store.py)
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    demo = _demo_model(tmp_path_factory)
    if demo:
        env["TEXTVAE_DEMO_MODEL"] = demo
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    started = time.perf_counter()
    with app_server(env, log, start_timeout_s=60) as (url, pid):
        yield {"url": url, "started": started, "log": log, "pid": pid, "models_dir": Path(models_dir)}


def run_and_wait(page, action, timeout: float = 120_000) -> float:
    """Do something that makes Streamlit rerun; wait until the run is over. Returns seconds taken.

    A very fast run can finish before the browser ever shows the "running" state; after 3 s of
    seeing no run at all, an idle app counts as done.
    """
    before = page.evaluate(WATCH_RUNS)
    t0 = time.perf_counter()
    action()
    while True:
        runs, idle = page.evaluate(f"() => [window.__runs, document.querySelector('{IDLE}') !== null]")
        elapsed = time.perf_counter() - t0
        if idle and (runs > before or elapsed > 3):
            return elapsed
        if elapsed * 1000 > timeout:
            raise TimeoutError(f"the app did not finish a run within {timeout / 1000:.0f} s")
        page.wait_for_timeout(20)


def assert_no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()[:2000]


def go(page, title: str, heading: str) -> float:
    """Open a page from the sidebar; seconds until its script finished."""
    link = page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True)
    seconds = run_and_wait(page, link.click)
    page.wait_for_selector(f"h1:has-text('{heading}')", timeout=30_000)
    page.wait_for_selector(IDLE)
    assert_no_exception(page)
    return seconds


APP_COLOURS = """() => {
  const style = e => getComputedStyle(document.querySelector(e));
  return [style('[data-testid="stApp"]').backgroundColor, style('h1').color];
}"""


def app_colours(page) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(background, heading colour) of the app as the browser paints them, as RGB."""
    return tuple(tuple(int(x) for x in re.findall(r"\d+", css)[:3]) for css in page.evaluate(APP_COLOURS))


def luminance(rgb: tuple[int, int, int]) -> float:
    """Relative luminance, 0 (black) to 1 (white)."""
    r, g, b = (c / 255 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def choose(page, option: str) -> None:
    """Click an option of a segmented control."""
    page.locator('[data-testid="stButtonGroup"]').get_by_text(option, exact=True).click()


def screenshot(page, name: str) -> None:
    """The whole page, not just the first screen: grow the viewport to the content's height."""
    SCREENSHOTS.mkdir(exist_ok=True)
    # every chart drawn (plotly's SVG is there) and every table painted, else the picture shows empty boxes
    # (those on screen: a chart in a closed tab or expander is drawn only when opened)
    page.wait_for_function(
        """() => {
        const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null);
        return shown('[data-testid="stPlotlyChart"]').every(e => e.querySelector('.main-svg'))
            && shown('[data-testid="stDataFrame"]').every(e => e.querySelector('canvas, table'));
    }""",
        timeout=30_000,
    )
    page.wait_for_timeout(400)  # let charts finish drawing
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
            '[data-testid="stMain"], [data-testid="stAppViewContainer"], section')].map(e => e.scrollHeight), 900)"""
    )
    page.set_viewport_size({"width": 1440, "height": min(int(height) + 40, 6000)})
    page.wait_for_timeout(1500)  # a resize makes plotly redraw (WebGL maps take a moment)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})
