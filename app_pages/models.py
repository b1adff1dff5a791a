import streamlit as st

from studio import model_view, ownership
from studio.components import page_header
from studio.messages import md_escape, notice, show_error
from studio.models import active_bundle, upload_model
from textvae import TextVAEError

page_header(
    "Models",
    "Switch between the bundled demo model and your own; rename, delete, save, download and upload model bundles "
    "(.zip).",
)

bundle = active_bundle()
if bundle is not None:
    model_view.active_model_card(bundle)

st.subheader("Choose a model")
choices = model_view.model_choices()
if not choices:
    st.info("No models yet: train one on the Train page or upload a bundle below.")
else:
    model_view.model_list(choices)
    st.caption(ownership.folder_note())

st.subheader("Upload a model bundle")
upload = st.file_uploader(
    "A .zip made by the Download button (or python -m textvae)",
    type=["zip"],
    key="models.upload",
    help="Only safetensors bundles are accepted; pickled PyTorch checkpoints (.pt) are refused "
    "because they can run code.",
)
if upload is not None:
    key = (upload.name, upload.size)
    if st.session_state.get("models.last_upload") != key:
        try:
            problem = ownership.keep_upload(upload_model(upload.getvalue()))
            st.session_state["models.last_upload"] = key
            unsaved = f" It was not saved on the server: {md_escape(problem)}" if problem else ""
            kind = "warning" if problem else "success"
            notice(f"Loaded {md_escape(upload.name)}; it is the active model now.{unsaved}", kind)
            st.rerun()
        except TextVAEError as exc:
            show_error(exc, prefix=f"{upload.name}: ")
