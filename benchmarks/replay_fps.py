"""The latent-space replay, measured in Chromium: does the animation play every snapshot, smoothly?

    python -m benchmarks.replay_fps [--snapshots 50] [--points 500] [--runs 3]

Saves the bundled demo model with a replay of SNAPSHOTS snapshots of POINTS sentences (a synthetic history: the
points drift from the origin into clusters, as a training's do) into a models folder of its own, starts the app
on it, opens the Latent space page through a view link that names that model, opens the replay and presses
Play RUNS times (from the first snapshot). Per run it prints the snapshots shown, the time between them (the
figure asks for 180 ms) and the browser's frame rate while playing (requestAnimationFrame callbacks a second;
the main thread's longest gap between frames). Chromium: /usr/bin/chromium, never downloaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.app_server import ROOT, app_server, chromium

FOLDER = "replay-benchmark"
REPLAY = "latent space forming during training"
# The replay's figure: back to its first snapshot, press Play, time each snapshot and each browser frame.
PLAY = """() => new Promise(resolve => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout.sliders && g.layout.sliders.length);
  Plotly.animate(gd, [gd._transitionData._frames[0].name],
                 {frame: {duration: 0, redraw: false}, mode: 'immediate', transition: {duration: 0}}).then(() => {
    const shown = [], frames = [];
    let playing = true;
    const tick = t => { frames.push(t); if (playing) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    gd.on('plotly_animatingframe', () => shown.push(performance.now()));
    gd.on('plotly_animated', () => { playing = false; resolve({shown, frames}); });
    gd.querySelector('.updatemenu-button').dispatchEvent(new MouseEvent('click', {bubbles: true}));
    setTimeout(() => { playing = false; resolve({shown, frames, timed_out: true}); }, 120000);
  });
})"""


def replay_bundle(source: Path, out: Path, snapshots: int, points: int, seed: int = 0) -> Path:
    """``source`` (a bundle) saved to ``out`` with a synthetic replay: ``points`` sentences drifting into 8
    clusters over ``snapshots`` snapshots."""
    from textvae import load_bundle, save_bundle
    from textvae.latent_history import LatentHistory

    bundle = load_bundle(source)
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, bundle.config.latent_dim)) * 2
    end = centres[rng.integers(0, 8, points)] + rng.normal(size=(points, bundle.config.latent_dim)) * 0.3
    start = rng.normal(size=end.shape) * 0.1
    shares = np.linspace(0, 1, snapshots) ** 0.7
    frames = [(start + (end - start) * share).astype(np.float16) for share in shares]
    sentences = [f"probe sentence {i}" for i in range(points)]
    bundle.latent_history = LatentHistory([20 * i for i in range(snapshots)], frames, sentences)
    return save_bundle(bundle, out)


def summary(shown: list[float], frames: list[float], timed_out: bool = False) -> dict:
    """Snapshots shown, ms between them, and the browser's frame rate while playing."""
    gaps = np.diff(shown) if len(shown) > 1 else np.array([np.nan])
    frame_gaps = np.diff(frames) if len(frames) > 1 else np.array([np.nan])
    return {
        "snapshots_shown": len(shown),
        "median_ms_between_snapshots": round(float(np.median(gaps)), 1),
        "max_ms_between_snapshots": round(float(np.max(gaps)), 1),
        "browser_fps": round(1000 / float(np.mean(frame_gaps)), 1),
        "longest_frame_ms": round(float(np.max(frame_gaps)), 1),
        "timed_out": timed_out,
    }


def measure(snapshots: int, points: int, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        replay_bundle(ROOT / "assets" / "demo-model", models / FOLDER, snapshots, points)
        env = {"TEXTVAE_MODELS_DIR": str(models), "TEXTVAE_BACKGROUND_TSNE": "0"}
        with app_server(env) as (url, _), sync_playwright() as p:
            browser = chromium(p)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{url}/latent_space?model={FOLDER}", timeout=180_000)
            page.get_by_text(REPLAY).first.click(timeout=180_000)
            chart = page.locator(".stPlotlyChart", has_text="press Play").first
            chart.wait_for(timeout=120_000)
            chart.scroll_into_view_if_needed()
            time.sleep(2)
            results = [summary(**page.evaluate(PLAY)) for _ in range(runs)]
            browser.close()
    return {
        "snapshots": snapshots,
        "points": points,
        "runs": results,
        "median_browser_fps": statistics.median(r["browser_fps"] for r in results),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay_fps", description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshots", type=int, default=50)
    parser.add_argument("--points", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.snapshots, args.points, args.runs), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
