import numpy as np
import pandas as pd
import streamlit as st

from studio import maps, path_chart
from studio.cached import cached_interpolation
from studio.components import csv_download, decode_controls, page_header, sentence_table
from studio.corpora import active_corpus
from studio.examples import example_key
from studio.messages import check_typed, show_error
from studio.models import active_model_id, require_model
from studio.state import keep
from textvae import TextVAEError

page_header(
    "Interpolate",
    "Encode two sentences, walk in a straight (or spherical) line between their codes, and decode each step.",
)
bundle = require_model()


@st.fragment  # submitting the form reruns only this part, not the whole app
def interpolation() -> None:
    with st.form("interp.form", border=True):
        a = st.text_input("From", key=example_key("interp.a"), max_chars=500)
        b = st.text_input("To", key=example_key("interp.b"), max_chars=500)
        c1, c2 = st.columns([2, 1])
        steps = c1.slider(
            "Steps", 2, 20, 8, key=keep("interp.steps", 8), help="Points on the path, both ends included."
        )
        method = c2.radio(
            "Path",
            ["slerp", "linear"],
            format_func={"slerp": "Spherical (slerp)", "linear": "Linear"}.get,
            horizontal=True,
            key=keep("interp.path", "slerp"),
            help="Spherical paths stay at the typical distance from the origin where the prior puts its mass; "
            "linear ones cut through the middle.",
        )
        options = decode_controls("interp")
        st.form_submit_button("Interpolate", type="primary", icon=":material/linear_scale:")

    if not check_typed(bundle, {"From": a, "To": b}):
        return
    try:
        sentences, z, t = cached_interpolation(bundle, a, b, int(steps), method, options)
    except TextVAEError as exc:
        show_error(exc)
        return

    frame = pd.DataFrame({"step": np.arange(1, len(sentences) + 1), "t": np.round(t, 3), "sentence": sentences})
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.subheader("The path")
        shown = frame.assign(t=[f"{x:.3f}" for x in frame["t"]])  # st.table would show 0.143 as 0.1430
        sentence_table(shown.set_index("step"), hide_index=False)
        st.caption(
            f"Steps 1 and {len(sentences)} are the model's own decodings of your two sentences' codes: what it "
            "remembers of them, not the sentences as typed (Reconstruct shows the round trip)."
        )
        csv_download(frame, "interpolation.csv", key="interp.download")
    with right:
        st.subheader("On the latent map")
        found = active_corpus()
        if found is None:
            st.caption("Choose a corpus on the Data page to draw the path on its map.")
            return
        corpus, corpus_id = found
        data = maps.encoded(bundle, corpus, corpus_id)  # the same encoding and PCA as the Latent space page (cached)
        proj = maps.projection(data, corpus_id, "pca", 2)
        path = np.asarray(proj.transform(z))[:, :2]
        grey = maps.grey_dots(active_model_id(), corpus_id, data, proj)
        st.vega_lite_chart(
            spec=path_chart.chart(grey, path, sentences),
            width="stretch",
            key="interp.map",
        )
        st.caption(
            "Grey: corpus sentences (PCA of their codes). The path runs from red (first sentence) to blue (second)."
        )


interpolation()
