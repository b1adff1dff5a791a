import functools
from pathlib import Path

import streamlit as st

import ui
from textvae import TextVAEError
from textvae.jobs import safe_folder_name

ui.page_header(
    "Models", "Switch between the bundled demo model and your own; save, download and upload model bundles (.zip)."
)

bundle = ui.active_bundle()
if bundle is not None:
    info = ui.model_summary(bundle)
    with st.container(border=True):
        st.caption("ACTIVE MODEL")
        st.markdown(f"**{ui.md_escape(info['name'])}** · {ui.md_escape(st.session_state.model_origin)}")
        m = st.columns(5)
        m[0].metric(
            "−ELBO",
            f"{info['elbo']:.2f}" if info["elbo"] is not None else "–",
            help="Validation negative ELBO per sentence, nats (lower is better).",
        )
        m[1].metric("Reconstruction", f"{info['recon']:.2f}" if info["recon"] is not None else "–")
        m[2].metric("KL", f"{info['kl']:.2f}" if info["kl"] is not None else "–")
        m[3].metric("Vocabulary", f"{info['vocab']:,}")
        m[4].metric(
            "Trained on", f"{info['train_sentences']:,}" if info["train_sentences"] else "–", help="Training sentences."
        )
        if bundle.metrics.get("valid", {}).get("kl_per_dim"):
            with st.expander("KL per latent dimension"):
                st.plotly_chart(
                    ui.kl_per_dim_figure(bundle.metrics["valid"]["kl_per_dim"], title=""),
                    width="stretch",
                    key="models.kldim",
                )

        c1, c2, c3 = st.columns([1.2, 1, 1], vertical_alignment="bottom")
        is_own = st.session_state.model is not None
        saved = is_own and bundle.path is not None and Path(bundle.path).parent.resolve() == ui.models_dir().resolve()
        with c1:
            save_name = st.text_input(
                "Save as",
                value=info["name"],
                max_chars=60,
                key=f"models.save_name.{info['name']}.{bundle.path}",
                disabled=not is_own,
            )
        if c2.button(
            "Share a copy" if saved else "Share on this server",
            icon=":material/save:",
            disabled=not is_own,
            key="models.save",
            help=(
                "Saves it to the server's models folder: listed for everyone on this server, and kept across restarts. "
                "Your trainings are otherwise visible to you only; download the .zip to keep a copy."
            )
            if is_own
            else "The demo model is bundled with the app already.",
        ):
            try:
                path = ui.save_active_model(save_name.strip() or info["name"])
                ui.notice(f"Saved as {ui.md_escape(path.name)}.")
                st.rerun()
            except TextVAEError as exc:
                ui.show_error(exc)
        # The zip is made only when the button is clicked (deferred data), not on every visit.
        c3.download_button(
            "Download .zip",
            functools.partial(ui.bundle_zip_bytes, bundle),
            f"{safe_folder_name(info['name'])}.zip",
            "application/zip",
            on_click="ignore",
            icon=":material/download:",
            type="primary",
            key="models.download",
            help="One file with the weights (safetensors), config, tokenizer and metrics; upload it here or use it with python -m textvae.",
        )

st.subheader("Choose a model")
demo = ui.demo_bundle()
choices: list[tuple[str, object]] = []
if demo is not None:
    choices.append(("Bundled demo model", "demo"))
for path in ui.saved_models(ui.session_models_dir()):
    choices.append((f"{path.name} (yours, this session)", path))
for path in ui.saved_models():
    choices.append((f"{path.name} (shared on this server)", path))
if not choices:
    st.info("No models yet: train one on the Train page or upload a bundle below.")
else:
    current = (
        "demo"
        if st.session_state.model is None
        else (st.session_state.model.path if st.session_state.model.path else None)
    )
    for label, target in choices:
        with st.container(border=True):
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            active = target == current
            c1.markdown(
                f"{':material/check_circle:' if active else ':material/deployed_code:'} **{ui.md_escape(label)}**"
                + (" · *active*" if active else "")
            )
            if c2.button("Use", key=f"models.use.{label}", disabled=active, width="stretch"):
                try:
                    if target == "demo":
                        ui.use_demo_model()
                    else:
                        ui.load_saved_model(target)
                    ui.notice(f"Now using {ui.md_escape(label)}.")
                    st.rerun()
                except TextVAEError as exc:
                    ui.show_error(exc, prefix=f"{label}: ")
    st.caption(
        "Your trainings are saved for this session only. Shared models live in the server's models folder "
        "(TEXTVAE\\_MODELS\\_DIR) and are listed for everyone on this server."
    )

st.subheader("Upload a model bundle")
upload = st.file_uploader(
    "A .zip made by the Download button (or python -m textvae)",
    type=["zip"],
    key="models.upload",
    help="Only safetensors bundles are accepted; pickled PyTorch checkpoints (.pt) are refused because they can run code.",
)
if upload is not None:
    key = (upload.name, upload.size)
    if st.session_state.get("models.last_upload") != key:
        try:
            ui.upload_model(upload.getvalue())
            st.session_state["models.last_upload"] = key
            ui.notice(f"Loaded {ui.md_escape(upload.name)}; it is the active model now.")
            st.rerun()
        except TextVAEError as exc:
            ui.show_error(exc, prefix=f"{upload.name}: ")
