"""studio.latent_replay: the live map redrawn every second costs no clustering until a new frame arrives."""

from __future__ import annotations

import numpy as np

from studio import latent_replay


def test_a_redraw_without_a_new_frame_reuses_the_figure(monkeypatch):
    calls = []
    real = latent_replay._colours
    monkeypatch.setattr(latent_replay, "_colours", lambda frames: calls.append(1) or real(frames))
    latent_replay._figures.clear()
    frames = np.random.default_rng(0).normal(size=(3, 40, 4)).astype(np.float32)
    sentences = [f"sentence {i}" for i in range(40)]
    for _ in range(3):
        latent_replay.latent_replay([0, 25, 50], frames, sentences, animate=False, key="t")
    assert len(calls) == 1
    more = np.concatenate([frames, frames[-1:] * 1.1])  # a new frame: drawn afresh
    latent_replay.latent_replay([0, 25, 50, 75], more, sentences, animate=False, key="t")
    assert len(calls) == 2 and len(latent_replay._figures) == 2
