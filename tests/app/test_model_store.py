"""Where models are kept (TEXTVAE_MODE), renaming and deleting them on the Models page, and the quotas
(TEXTVAE_MAX_SHARED_MB, TEXTVAE_MAX_SESSION_MB), with AppTest: one session trains or uploads, another opens fresh."""

from __future__ import annotations

from studio.messages import md_escape
from tests.app.apptest import SMALL_MODEL, assert_ok, open_page, upload
from tests.helpers import make_sentences
from textvae import bundle_to_zip, load_bundle, load_bundle_zip


def train_tiny(name: str):
    """A session that trained a tiny model to the end (and collected it): (its AppTest, the job)."""
    at = open_page("app_pages/data.py")
    upload(at, "sentences.txt", ("\n".join(make_sentences(300)) + "\n").encode())
    at.switch_page("app_pages/train.py").run()
    for key, value in SMALL_MODEL.items():
        at.session_state[f"keep.train.{key}"] = value
    at.text_input(key="keep.train.name").set_value(name)
    at.button(key="train.start").click().run()
    job = at.session_state["job"]
    assert job.join(120) and job.status == "done", job.error
    at.run()
    assert_ok(at)
    return at, job


def rows(at) -> list[str]:
    return [m.value for m in at.markdown if "·" in m.value]


def upload_model(at, directory, name="tiny.zip"):
    at.file_uploader(key="models.upload").set_value((name, bundle_to_zip(directory), "application/zip")).run()
    assert_ok(at)


def shared_folders(app_env):
    return sorted(p for p in (app_env / "models").iterdir() if not p.name.startswith("."))


def test_personal_mode_lists_a_finished_training_in_a_new_session(app_env):
    at, job = train_tiny("for-every-tab")
    assert job.saved_path.parent == app_env / "models"  # the shared folder itself, no session folder
    assert any("Saved in the models folder" in s.value for s in at.success)
    assert "Saved in the models folder: every tab" in " ".join(c.value for c in at.caption)  # said before, too
    fresh = open_page("app_pages/models.py")  # a new tab without the session link
    assert_ok(fresh)
    listed = [r for r in rows(fresh) if md_escape(job.saved_path.name) in r]
    assert len(listed) == 1 and "for\\-every\\-tab" in listed[0] and "in the models folder" in listed[0]
    assert not fresh.button(key=f"models.delete.shared.{job.saved_path.name}").disabled  # anyone may tidy up


def test_classroom_mode_keeps_a_training_private_until_shared(app_env, monkeypatch):
    monkeypatch.setenv("TEXTVAE_MODE", "classroom")
    at, job = train_tiny("private-first")
    assert job.saved_path.parent.parent == app_env / "models" / ".sessions"
    assert any("Kept for this session only" in s.value for s in at.success)
    other = open_page("app_pages/models.py")
    assert not any("private" in r for r in rows(other))
    at.switch_page("app_pages/models.py").run()
    at.button(key="models.save").click().run()  # Share on this server
    assert_ok(at)
    (shared,) = shared_folders(app_env)
    other.run()
    (row,) = [r for r in rows(other) if md_escape(shared.name) in r]
    assert "shared on this server" in row
    # Someone else's share and the demo model cannot be deleted or renamed from this session.
    assert other.button(key=f"models.delete.shared.{shared.name}").disabled
    assert other.button(key=f"models.rename.shared.{shared.name}").disabled
    assert not [b for b in other.button if b.key and b.key.startswith("models.delete.demo")]
    assert shared.exists()
    # The session that shared it may delete it.
    assert any("shared by you" in r for r in rows(at))
    at.button(key=f"models.delete.shared.{shared.name}").click().run()
    assert_ok(at)
    assert not shared.exists() and job.saved_path.exists()


def test_rename_changes_the_shown_name_and_delete_removes_a_model(app_env, trained):
    _, directory, _ = trained
    at = open_page("app_pages/models.py")
    upload_model(at, directory)  # personal mode: saved in the models folder at once
    (folder,) = shared_folders(app_env)
    key = f"shared.{folder.name}"
    at.text_input(key=f"models.rename_to.{key}").set_value("<b>renamed</b> **x**")
    at.button(key=f"models.rename.{key}").click().run()
    assert_ok(at)
    assert load_bundle(folder).name == "<b>renamed</b> **x**" and shared_folders(app_env) == [folder]
    assert any("\\<b\\>renamed\\</b\\> \\*\\*x\\*\\*" in r for r in rows(at))  # shown escaped
    assert at.session_state["model"].name == "<b>renamed</b> **x**"  # the active model's name too
    at.button(key=f"models.delete.{key}").click().run()
    assert_ok(at)
    assert shared_folders(app_env) == [] and not any(md_escape(folder.name) in r for r in rows(at))
    assert any("stays the active model" in s.value for s in at.success)
    assert at.session_state["model"] is not None  # still usable in this tab


def test_a_full_models_folder_keeps_the_trained_model_active_and_downloadable(app_env, monkeypatch):
    from studio.models import bundle_zip_bytes

    monkeypatch.setenv("TEXTVAE_MAX_SHARED_MB", "0.01")
    at, job = train_tiny("too-big")
    assert job.saved_path is None and shared_folders(app_env) == []  # nothing half-saved left behind
    message = " ".join(s.value for s in at.success)
    assert "models folder is full" in message and "of 0\\.01 MB" in message and "Download \\.zip" in message
    assert at.session_state["model"] is job.result
    at.switch_page("app_pages/models.py").run()
    assert_ok(at)
    assert not at.get("download_button")[0].proto.disabled
    assert load_bundle_zip(bundle_zip_bytes(job.result)).config == job.result.config
    at.button(key="models.save").click().run()  # trying again says the same, and keeps the model
    assert "models folder is full" in at.error[0].value and at.session_state["model"] is job.result


def test_a_session_over_its_quota_is_told_so_on_upload(app_env, trained, monkeypatch):
    _, directory, _ = trained
    monkeypatch.setenv("TEXTVAE_MAX_SESSION_MB", "0.01")
    at = open_page("app_pages/models.py")
    upload_model(at, directory)
    assert "one session may keep" in at.warning[0].value and "active model now" in at.warning[0].value
    assert at.session_state["model_origin"] == "uploaded" and shared_folders(app_env) == []


def _delete_script():
    """Run as a page: this session tries to delete the demo model and the folder in session_state["target"]."""
    from pathlib import Path

    import streamlit as st

    from studio import ownership
    from studio.paths import demo_model_dir
    from textvae import TextVAEError

    st.session_state.setdefault("own_models", set())
    for path in (demo_model_dir(), Path(st.session_state["target"])):
        try:
            ownership.delete_model(path)
            st.success(path.name)
        except TextVAEError as exc:
            st.error(str(exc))


def test_the_delete_function_refuses_the_demo_and_in_a_classroom_someone_elses_share(app_env, trained, monkeypatch):
    import shutil

    from streamlit.testing.v1 import AppTest

    _, directory, _ = trained
    share = app_env / "models" / "theirs-20261130-000000"
    shutil.copytree(directory, share)
    monkeypatch.setenv("TEXTVAE_MODE", "classroom")
    at = AppTest.from_function(_delete_script, default_timeout=60)
    at.session_state["target"] = str(share)
    at.run()
    assert [e.value for e in at.error] == [
        "The bundled models are part of the app: they cannot be renamed or deleted.",
        "Only the session that shared this model may rename or delete it; ask the teacher to remove it.",
    ]
    assert share.exists()
    monkeypatch.setenv("TEXTVAE_MODE", "personal")  # anyone may delete a listed model, never the demo one
    at.run()
    assert len(at.error) == 1 and [s.value for s in at.success] == [share.name] and not share.exists()
