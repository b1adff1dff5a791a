"""The Models page's widgets: the active model's card (numbers, save, download) and the list of models to use."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from studio import figures, model_actions, models, ownership
from studio.messages import md_escape, notice, show_error
from studio.report_download import report_button

if TYPE_CHECKING:
    from textvae import ModelBundle


def _number(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "–"


def active_model_card(bundle: ModelBundle) -> None:
    """The active model: its numbers, its KL per dimension, and buttons to share it on the server or download it."""
    from textvae import TextVAEError
    from textvae.bundle import safe_folder_name

    info = models.model_summary(bundle)
    with st.container(border=True):
        st.caption("ACTIVE MODEL")
        st.markdown(f"**{md_escape(info['name'])}** · {md_escape(st.session_state.model_origin)}")
        m = st.columns(5)
        m[0].metric(
            "−ELBO", _number(info["elbo"]), help="Validation negative ELBO per sentence, nats (lower is better)."
        )
        m[1].metric("Reconstruction", _number(info["recon"]))
        m[2].metric("KL", _number(info["kl"]))
        m[3].metric("Vocabulary", f"{info['vocab']:,}")
        trained_on = f"{info['train_sentences']:,}" if info["train_sentences"] else "–"
        m[4].metric("Trained on", trained_on, help="Training sentences.")
        if bundle.metrics.get("valid", {}).get("kl_per_dim"):
            with st.expander("KL per latent dimension"):
                figure = figures.kl_per_dim_figure(bundle.metrics["valid"]["kl_per_dim"], title="")
                st.plotly_chart(figure, width="stretch", key="models.kldim")

        c1, c2, c3, c4 = st.columns([1.2, 1, 1, 1], vertical_alignment="bottom")
        is_own = st.session_state.model is not None
        shared = models.models_dir().resolve()
        saved = is_own and bundle.path is not None and Path(bundle.path).parent.resolve() == shared
        with c1:
            save_name = st.text_input(
                "Save as",
                value=info["name"],
                max_chars=60,
                key=f"models.save_name.{info['name']}.{bundle.path}",
                disabled=not is_own,
            )
        if c2.button(
            _save_label(saved),
            icon=":material/save:",
            disabled=not is_own,
            key="models.save",
            help=(
                "Saves it to the server's models folder: listed for everyone on this server, and kept across "
                "restarts. Your trainings are otherwise visible to you only; download the .zip to keep a copy."
                if ownership.classroom()
                else "Saves a new model in the server's models folder, listed in every tab and kept across restarts."
            )
            if is_own
            else "The demo model is bundled with the app already.",
        ):
            try:
                path = ownership.save_model(bundle, save_name.strip() or info["name"])
                notice(f"Saved as {md_escape(path.name)}.")
                st.rerun()
            except TextVAEError as exc:
                show_error(exc)
        # The zip is made only when the button is clicked (deferred data), not on every visit.
        c3.download_button(
            "Download .zip",
            functools.partial(models.bundle_zip_bytes, bundle),
            f"{safe_folder_name(info['name'])}.zip",
            "application/zip",
            on_click="ignore",
            icon=":material/download:",
            type="primary",
            key="models.download",
            help="One file with the weights (safetensors), config, tokenizer and metrics; "
            "upload it here or use it with python -m textvae.",
        )
        with c4:
            report_button(bundle)


def _save_label(saved: bool) -> str:
    if ownership.classroom():
        return "Share a copy" if saved else "Share on this server"
    return "Save a copy" if saved else "Save"


def model_choices() -> list[tuple[str, str, Path | None]]:
    """(name, where it is kept, its folder; None for the demo model) for every model this session may use."""
    choices: list[tuple[str, str, Path | None]] = []
    if models.demo_bundle() is not None:
        choices.append(("Bundled demo model", "part of the app", None))
    for path in models.saved_models(models.session_models_dir()):
        choices.append((_name(path), "yours, this session", path))
    classroom = ownership.classroom()
    for path in models.saved_models():
        where = "in the models folder"
        if classroom:
            where = "shared by you" if ownership.may_manage(path) else "shared on this server"
        choices.append((_name(path), where, path))
    return choices


def _name(path: Path) -> str:
    from textvae.validation import readable_name

    info = models.folder_info(path)
    return readable_name(info["name"] if info else path.name, fallback=path.name)


def model_list(choices: list[tuple[str, str, Path | None]]) -> None:
    """One row per model, the active one marked, with buttons to use it and (where allowed) rename or delete it."""
    from textvae import TextVAEError

    own = st.session_state.model
    current = None if own is None else (Path(own.path).resolve() if own.path else "unsaved")
    for name, where, target in choices:
        key = model_actions.row_key(target)
        with st.container(border=True):
            c1, c2, c3, c4 = st.columns([3.2, 1, 1.3, 1.3], vertical_alignment="center")  # "Rename" uncut at 1280 px
            active = (target.resolve() if target else None) == current
            folder = f" · :gray[{md_escape(target.name)}]" if target else ""
            c1.markdown(
                f"{':material/check_circle:' if active else ':material/deployed_code:'} **{md_escape(name)}** · "
                f"{md_escape(where)}{folder}" + (" · *active*" if active else "")
            )
            if c2.button("Use", key=f"models.use.{key}", disabled=active, width="stretch"):
                try:
                    if target is None:
                        models.use_demo_model()
                    else:
                        models.load_saved_model(target)
                    notice(f"Now using {md_escape(name)}.")
                    st.rerun()
                except TextVAEError as exc:
                    show_error(exc, prefix=f"{name}: ")
            if target is not None:
                model_actions.rename_button(c3, target, name, key)
                model_actions.delete_button(c4, target, name, key)
