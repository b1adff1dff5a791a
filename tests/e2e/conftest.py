"""Fixtures for the browser tests: a Streamlit server on a free port and headless Chromium.

Uses the system Chromium (never `playwright install`). The server gets its own models folder
and a short Quick-demo preset (TEXTVAE_QUICK_MINUTES) so training finishes in well under a minute.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("TEXTVAE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    """`streamlit run app.py` on a free 127.0.0.1 port with its own models folder; yields once the health check passes.

    Yields {"url", "started" (perf_counter at launch), "log" (its output), "pid", "models_dir"}; stops the server on exit.
    ``env`` adds or overrides environment variables (say a training cap of 2).
    """
    port = _free_port()
    models_dir = models_dir or tmp_path_factory.mktemp("models")
    env = {
        **os.environ,
        "TEXTVAE_MODELS_DIR": str(models_dir),
        "TEXTVAE_QUICK_MINUTES": os.environ.get("TEXTVAE_QUICK_MINUTES", "0.35"),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    demo = _demo_model(tmp_path_factory)
    if demo:
        env["TEXTVAE_DEMO_MODEL"] = demo
    log = open(tmp_path_factory.mktemp("log") / "streamlit.log", "w")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                raise RuntimeError("streamlit did not start:\n" + Path(log.name).read_text()[-3000:])
            time.sleep(0.2)
        yield {"url": url, "started": started, "log": Path(log.name), "pid": proc.pid, "models_dir": Path(models_dir)}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of a fresh `streamlit run app.py`; yields after the health check passes. Records cold start."""
    with streamlit_server(tmp_path_factory) as info:
        yield info


def _no_browser(reason: str) -> None:
    """Skip locally; fail where TEXTVAE_REQUIRE_BROWSER=1 (CI), so the browser tests can never silently not run."""
    if os.environ.get("TEXTVAE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; TEXTVAE_REQUIRE_BROWSER=1 says the browser tests must run here", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("Playwright is not installed (pip install -r requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        _no_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TEXTVAE_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def timings() -> dict:
    """Measured numbers, printed at the end of the session (run pytest with -s to see them)."""
    measured: dict[str, float] = {}
    yield measured
    if measured:
        print("\nmeasured (seconds):\n" + "\n".join(f"  {k:32s} {v:7.2f}" for k, v in measured.items()))
