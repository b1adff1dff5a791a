import pandas as pd
import streamlit as st

import ui
from textvae import TextVAEError

ui.page_header(
    "Sample",
    "Make up new sentences: from random codes, around a sentence of yours, or by adding and subtracting meanings.",
)
bundle = ui.require_model()

prior_tab, var_tab, arith_tab = st.tabs(["From the prior", "Variations", "Latent arithmetic"])


# Each tab is a fragment: submitting one of its forms reruns only that tab.
@st.fragment
def from_the_prior() -> None:
    with st.form("sample.form"):
        c1, c2 = st.columns(2)
        n = c1.slider("How many", 1, 50, 10, key=ui.keep("sample.n", 10))
        seed = c2.number_input(
            "Seed", 0, 2**31 - 1, key=ui.keep("sample.seed", 0), help="The same seed gives the same sentences."
        )
        options = ui.decode_controls("sample", default="sample")
        st.form_submit_button("Sample", type="primary", icon=":material/casino:")
    try:
        sentences, _ = ui.sample(bundle, int(n), int(seed), options)
        frame = pd.DataFrame({"sentence": sentences})
        st.dataframe(frame, width="stretch", hide_index=True, height=38 + 35 * len(frame))
        st.download_button(
            "Download CSV",
            ui.csv_bytes(frame),
            "samples.csv",
            "text/csv",
            on_click="ignore",
            icon=":material/download:",
            key="sample.download",
        )
        st.caption(
            "z ~ N(0, I), decoded. With greedy or beam decoding the sentence depends on z alone; sampling adds word-level randomness."
        )
    except TextVAEError as exc:
        ui.show_error(exc)


@st.fragment
def vary() -> None:
    with st.form("var.form"):
        sentence = st.text_input(
            "Sentence", key=ui.keep("var.sentence", "A woman is reading a book in the park."), max_chars=500
        )
        c1, c2, c3 = st.columns(3)
        radius = c1.slider(
            "Radius",
            0.0,
            5.0,
            1.0,
            0.1,
            key=ui.keep("var.radius", 1.0),
            help="How far from the sentence's code, in posterior standard deviations.",
        )
        n_var = c2.slider("How many", 1, 30, 8, key=ui.keep("var.n", 8))
        seed_var = c3.number_input("Seed", 0, 2**31 - 1, key=ui.keep("var.seed", 0))
        var_options = ui.decode_controls("var")
        st.form_submit_button("Vary", type="primary", icon=":material/shuffle:")
    if not ui.check_typed(bundle, {"Sentence": sentence}):
        return
    try:
        out = ui.variations(bundle, sentence, int(n_var), float(radius), int(seed_var), var_options)
        frame = pd.DataFrame({"variation": out})
        st.dataframe(frame, width="stretch", hide_index=True, height=38 + 35 * len(frame))
        st.download_button(
            "Download CSV",
            ui.csv_bytes(frame),
            "variations.csv",
            "text/csv",
            on_click="ignore",
            icon=":material/download:",
            key="var.download",
        )
    except TextVAEError as exc:
        ui.show_error(exc)


@st.fragment
def arithmetic() -> None:
    st.caption(
        "Decode z(A) − z(B) + z(C): sentence A, with what B means replaced by what C means. It works best when A and B differ in one way."
    )
    with st.form("arith.form"):
        a = st.text_input("A", key=ui.keep("arith.a", "A man is sleeping on a couch."), max_chars=500)
        b = st.text_input("minus B", key=ui.keep("arith.b", "A man is sitting."), max_chars=500)
        c = st.text_input("plus C", key=ui.keep("arith.c", "A woman is sitting."), max_chars=500)
        arith_options = ui.decode_controls("arith")
        st.form_submit_button("Compute", type="primary", icon=":material/calculate:")
    if not ui.check_typed(bundle, {"A": a, "minus B": b, "plus C": c}):
        return
    try:
        result = ui.arithmetic(bundle, a, b, c, arith_options)
        with st.container(border=True):
            st.caption("A − B + C decodes to")
            st.text(result)
        frame = pd.DataFrame({"A": [a], "B": [b], "C": [c], "A - B + C": [result]})
        st.download_button(
            "Download CSV",
            ui.csv_bytes(frame),
            "arithmetic.csv",
            "text/csv",
            on_click="ignore",
            icon=":material/download:",
            key="arith.download",
        )
    except TextVAEError as exc:
        ui.show_error(exc)


with prior_tab:
    from_the_prior()
with var_tab:
    vary()
with arith_tab:
    arithmetic()
