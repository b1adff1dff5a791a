"""Rename and Delete on the Models page: a popover each, asking for the new name or a confirmation; disabled,
with the reason, for a model this session may not change (studio.ownership)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from studio import models, ownership
from studio.messages import md_escape, notice, show_error

NOT_YOURS = "Shared by another session: only that session may rename or delete it (or the teacher, on the server)."


def row_key(target: Path | None) -> str:
    """A widget key part for a listed model: its folder, and whether it is in this session's own folder."""
    if target is None:
        return "demo"
    return f"{'session' if target.parent == models.session_models_dir() else 'shared'}.{target.name}"


def _popover(column, label: str, icon: str, allowed: bool):
    return column.popover(label, icon=icon, disabled=not allowed, help=None if allowed else NOT_YOURS, width="stretch")


def rename_button(column, target: Path, name: str, key: str) -> None:
    from textvae import TextVAEError

    allowed = ownership.may_manage(target)
    with _popover(column, "Rename", ":material/edit:", allowed):
        new = st.text_input("New name", value=name, max_chars=60, key=f"models.rename_to.{key}")
        if st.button("Rename", key=f"models.rename.{key}", type="primary", disabled=not allowed):
            try:
                kept = ownership.rename_model(target, new)
                notice(f"Renamed {md_escape(name)} to {md_escape(kept)}.")
                st.rerun()
            except TextVAEError as exc:
                show_error(exc)


def delete_button(column, target: Path, name: str, key: str) -> None:
    from textvae import TextVAEError

    allowed = ownership.may_manage(target)
    with _popover(column, "Delete", ":material/delete:", allowed):
        everyone = "" if target.parent == models.session_models_dir() else " for everyone on this server"
        st.markdown(f"Delete **{md_escape(name)}**{everyone}? This cannot be undone.")
        if st.button("Delete", key=f"models.delete.{key}", type="primary", disabled=not allowed):
            try:
                was_active = ownership.delete_model(target)
                stays = " It stays the active model in this tab: use Download .zip to keep it." if was_active else ""
                notice(f"Deleted {md_escape(name)}.{stays}")
                st.rerun()
            except TextVAEError as exc:
                show_error(exc)
