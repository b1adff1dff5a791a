import numpy as np
import pandas as pd
import streamlit as st

import ui
from textvae import TextVAEError

ui.page_header(
    "Interpolate",
    "Encode two sentences, walk in a straight (or spherical) line between their codes, and decode each step.",
)
bundle = ui.require_model()


@st.fragment  # submitting the form reruns only this part, not the whole app
def interpolation() -> None:
    with st.form("interp.form", border=True):
        a = st.text_input("From", key=ui.keep("interp.a", "A man is playing a guitar on stage."), max_chars=500)
        b = st.text_input("To", key=ui.keep("interp.b", "Two dogs are running through a snowy field."), max_chars=500)
        c1, c2 = st.columns([2, 1])
        steps = c1.slider(
            "Steps", 2, 20, 8, key=ui.keep("interp.steps", 8), help="Points on the path, both ends included."
        )
        method = c2.radio(
            "Path",
            ["slerp", "linear"],
            format_func={"slerp": "Spherical (slerp)", "linear": "Linear"}.get,
            horizontal=True,
            key=ui.keep("interp.path", "slerp"),
            help="Spherical paths stay at the typical distance from the origin where the prior puts its mass; linear ones cut through the middle.",
        )
        options = ui.decode_controls("interp")
        st.form_submit_button("Interpolate", type="primary", icon=":material/linear_scale:")

    if not ui.check_typed(bundle, {"From": a, "To": b}):
        return
    try:
        sentences, z, t = ui.interpolate(bundle, a, b, int(steps), method, options)
    except TextVAEError as exc:
        ui.show_error(exc)
        return

    frame = pd.DataFrame({"step": np.arange(1, len(sentences) + 1), "t": np.round(t, 3), "sentence": sentences})
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.subheader("The path")
        st.dataframe(
            frame,
            width="stretch",
            hide_index=True,
            height=38 + 35 * len(frame),
            column_config={
                "step": st.column_config.NumberColumn(width=50),
                "t": st.column_config.NumberColumn(width=60, format="%.2f"),
                "sentence": st.column_config.TextColumn(width="large"),
            },
        )
        st.download_button(
            "Download CSV",
            ui.csv_bytes(frame),
            "interpolation.csv",
            "text/csv",
            on_click="ignore",
            icon=":material/download:",
            key="interp.download",
        )
    with right:
        st.subheader("On the latent map")
        found = ui.active_corpus()
        if found is None:
            st.caption("Choose a corpus on the Data page to draw the path on its map.")
            return
        corpus, corpus_id = found
        data = ui.encoded(bundle, corpus, corpus_id)  # the same encoding and PCA as the Latent space page (cached)
        proj = ui.projection(data, corpus_id, "pca", 2)
        path = np.asarray(proj.transform(z))[:, :2]
        st.plotly_chart(
            ui.path_figure(ui.active_model_id(), corpus_id, data, proj, path, sentences),
            width="stretch",
            key="interp.map",
            config={"displaylogo": False},
        )
        st.caption(
            "Grey: corpus sentences (PCA of their codes). The path runs from red (first sentence) to blue (second)."
        )


interpolation()
