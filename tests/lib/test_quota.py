"""The models folder's quotas (TEXTVAE_MAX_SHARED_MB, TEXTVAE_MAX_SESSION_MB), the TEXTVAE_MODE setting, and
saving, renaming and deleting bundles in the models folder (textvae.quota, textvae.model_store)."""

from __future__ import annotations

import json

import pytest

from textvae import TextVAEError, load_bundle
from textvae.limits import MB, Limits, get_limits
from textvae.model_store import delete, rename, save_new
from textvae.quota import Quota, QuotaError, Usage, check_room, folder_bytes, megabytes


def test_the_mode_is_personal_unless_set_and_a_bad_one_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.delenv("TEXTVAE_MODE", raising=False)
    assert get_limits().mode == "personal" and not get_limits().classroom
    monkeypatch.setenv("TEXTVAE_MODE", " Classroom ")
    assert get_limits().classroom
    monkeypatch.setenv("TEXTVAE_MODE", "school")
    with pytest.raises(TextVAEError, match="TEXTVAE_MODE='school' must be personal or classroom"):
        get_limits()


def test_the_quota_settings_are_megabytes_and_a_bad_one_is_refused(monkeypatch):
    monkeypatch.delenv("TEXTVAE_MAX_SHARED_MB", raising=False)
    monkeypatch.setenv("TEXTVAE_MAX_SESSION_MB", "0.5")
    limits = get_limits()
    assert limits.max_shared_bytes == 2000 * MB and limits.max_session_bytes == MB // 2
    monkeypatch.setenv("TEXTVAE_MAX_SHARED_MB", "lots")
    with pytest.raises(TextVAEError, match="TEXTVAE_MAX_SHARED_MB"):
        get_limits()


def test_a_save_that_fits_both_quotas_passes_and_one_byte_more_does_not():
    limits = Limits(max_shared_bytes=800 * MB, max_session_bytes=100 * MB)
    check_room(Usage(shared=700 * MB, session=50 * MB), 50 * MB, limits)  # exactly at the session's limit
    with pytest.raises(QuotaError, match="full \\(812 of 800 MB\\): delete a model on the Models page"):
        check_room(Usage(shared=800 * MB, session=0), 12 * MB, limits)
    with pytest.raises(QuotaError, match="would take 100 of the 100 MB one session may keep"):
        check_room(Usage(shared=0, session=100 * MB), 1, limits)


def test_sizes_read_for_people():
    assert megabytes(int(0.3 * MB)) == "0.3" and megabytes(812 * MB) == "812" and megabytes(2500 * MB) == "2,500"


def test_folder_bytes_counts_nested_files_and_a_missing_folder_is_empty(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "x").write_bytes(bytes(10))
    (tmp_path / "a" / "b" / "y").write_bytes(bytes(5))
    assert folder_bytes(tmp_path) == 15 and folder_bytes(tmp_path / "gone") == 0


def saved_size(bundle, tmp_path) -> int:
    size = folder_bytes(save_new(bundle, tmp_path / "measure", "m"))
    bundle.path = None
    return size


def test_a_save_over_the_quota_leaves_nothing_and_the_bundle_where_it_was(trained, tmp_path):
    bundle, directory, _ = trained
    size = saved_size(bundle, tmp_path)
    models = tmp_path / "models"
    roomy = Quota(models, (), Limits(max_shared_bytes=int(1.5 * size)))
    first = save_new(bundle, models, "fits", roomy)
    assert first.parent == models and bundle.path == first and folder_bytes(models) == size
    with pytest.raises(QuotaError, match="models folder is full"):
        save_new(bundle, models, "too big", roomy)
    assert list(models.iterdir()) == [first] and bundle.path == first
    bundle.path = directory  # the session-wide fixture stays as it was


def test_a_session_quota_counts_only_the_sessions_own_folders(trained, tmp_path):
    bundle, directory, _ = trained
    size = saved_size(bundle, tmp_path)
    models, mine = tmp_path / "models", tmp_path / "models" / ".sessions" / "mine"
    limits = Limits(max_session_bytes=int(1.5 * size))
    first = save_new(bundle, models, "someone else's", Quota(models, (mine,), limits))  # not in mine: not counted
    second = save_new(bundle, mine, "my first", Quota(models, (mine,), limits))
    with pytest.raises(QuotaError, match="one session may keep"):
        save_new(bundle, mine, "my second", Quota(models, (mine,), limits))
    assert first.exists() and [p.name for p in mine.iterdir()] == [second.name]
    bundle.path = directory


def test_rename_changes_the_display_name_only(trained, tmp_path):
    bundle, directory, _ = trained
    folder = save_new(bundle, tmp_path, "before")
    bundle.path = directory
    kept = rename(folder, "  after\u202e **x**  ")
    assert kept == "after **x**" and load_bundle(folder).name == "after **x**"
    assert folder.exists() and json.loads((folder / "metrics.json").read_text())["corpus"]  # the rest kept
    with pytest.raises(TextVAEError, match="Type a name"):
        rename(folder, " \u200b ")


def test_delete_removes_a_bundle_and_refuses_anything_else(trained, tmp_path):
    bundle, directory, _ = trained
    folder = save_new(bundle, tmp_path, "doomed")
    bundle.path = directory
    delete(folder)
    assert list(tmp_path.iterdir()) == []
    homework = tmp_path / "homework"
    homework.mkdir()
    (homework / "model.safetensors").write_bytes(b"x")
    (homework / "essay.docx").write_bytes(b"x")
    with pytest.raises(TextVAEError, match="not part of a model bundle") as refused:
        delete(homework)
    assert str(tmp_path) not in str(refused.value) and (homework / "essay.docx").exists()
    with pytest.raises(TextVAEError, match="not a model bundle"):
        delete(tmp_path / "gone")
