"""The models folder's housekeeping removes only unreachable leftovers, and only once they are old."""

from __future__ import annotations

import os
import time

from textvae.housekeeping import remove_old_session_folders, remove_partial_saves

DAY = 24 * 3600.0


def make(path, age_s: float, now: float):
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"x")
    for p in (path / "model.safetensors", path):
        os.utime(p, (now - age_s, now - age_s))
    return path


def test_old_partial_saves_go_and_everything_else_stays(tmp_path):
    now = time.time()
    old_partial = make(tmp_path / ".shared-20261130.abc123", 2 * 3600, now)
    old_aside = make(tmp_path / ".shared-20261130.old-12-345", 2 * 3600, now)
    fresh_partial = make(tmp_path / ".other.xyz", 60, now)  # a save in progress
    model = make(tmp_path / "my-model-20261101-101010", 30 * DAY, now)  # a shared model, however old
    sessions = make(tmp_path / ".sessions", 30 * DAY, now)  # not a partial save
    assert remove_partial_saves(tmp_path, now=now) == 2
    assert not old_partial.exists() and not old_aside.exists()
    assert fresh_partial.exists() and model.exists() and sessions.exists()


def test_session_folders_untouched_for_two_days_go(tmp_path):
    now = time.time()
    gone = make(tmp_path / ".sessions" / "a" / "run-1", 3 * DAY, now).parent
    os.utime(gone, (now - 3 * DAY, now - 3 * DAY))
    kept = make(tmp_path / ".sessions" / "b" / "run-1", 3 * DAY, now).parent
    make(kept / "run-2", 3600, now)  # saved an hour ago
    partial = make(kept / ".run-3.tmp1", 5 * 3600, now)
    assert remove_old_session_folders(tmp_path, now=now) == 2
    assert not gone.exists() and kept.exists() and (kept / "run-1").exists() and not partial.exists()
