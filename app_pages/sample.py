import pandas as pd
import streamlit as st

from studio.cached import cached_arithmetic, cached_region, cached_samples, cached_variations
from studio.components import csv_download, decode_controls, page_header, table_with_download
from studio.corpora import active_corpus
from studio.examples import example_key
from studio.messages import check_typed, md_escape, show_error
from studio.models import model_summary, require_model
from studio.state import keep
from textvae import TextVAEError

page_header(
    "Sample",
    "Make up new sentences: from random codes, around a sentence of yours, or by adding and subtracting meanings.",
)
bundle = require_model()
PRIOR, NEAR_CORPUS = "The prior N(0, I)", "Where the corpus's sentences lie"


# Each tab is a fragment: submitting one of its forms reruns only that tab.
@st.fragment
def random_codes() -> None:
    with st.form("sample.form"):
        c1, c2 = st.columns(2)
        n = c1.slider("How many", 1, 50, 10, key=keep("sample.n", 10))
        seed = c2.number_input(
            "Seed", 0, 2**31 - 1, key=keep("sample.seed", 0), help="The same seed gives the same sentences."
        )
        corpus = active_corpus()
        source = PRIOR
        if corpus is not None:
            source = st.radio(
                "Codes from",
                (PRIOR, NEAR_CORPUS),
                horizontal=True,
                key=keep("sample.codes", PRIOR),
                help="The prior N(0, I) is the VAE's own way to make up sentences. After a short fine-tuning the "
                "corpus's codes do not fill all of it, and codes far from them can still read like the base model's "
                "other texts (captions, news). The other choice draws from a Gaussian with the mean and covariance "
                "of the active corpus's codes (its aggregate posterior). The same seed gives the same draws.",
            )
        options = decode_controls("sample", default="sample")
        st.form_submit_button("Sample", type="primary", icon=":material/casino:")
    near = corpus if source == NEAR_CORPUS else None
    try:
        sentences, _ = cached_samples(bundle, int(n), int(seed), options, near)
        frame = pd.DataFrame({"sentence": sentences})
        table_with_download(frame, "samples.csv", key="sample.download")
        codes = "z ~ N(0, I)"
        if near is not None:
            fitted = cached_region(bundle, *near).sentences
            codes = f"z ~ N(m, S), fitted to the codes of {fitted:,} sentences of {md_escape(near[0].name)}"
        st.caption(
            f"{codes}, decoded. With greedy or beam decoding the sentence depends on z alone; "
            "sampling adds word-level randomness."
        )
        if near is None and corpus is not None and model_summary(bundle)["base"]:
            st.caption(
                "Some read like the base model's other texts? A short fine-tuning does not move the whole prior: "
                f"try **Codes from: {NEAR_CORPUS}**."
            )
    except TextVAEError as exc:
        show_error(exc)


@st.fragment
def vary() -> None:
    with st.form("var.form"):
        sentence = st.text_input("Sentence", key=example_key("var.sentence"), max_chars=500)
        c1, c2, c3 = st.columns(3)
        radius = c1.slider(
            "Radius",
            0.0,
            5.0,
            1.0,
            0.1,
            key=keep("var.radius", 1.0),
            help="How far from the sentence's code, in posterior standard deviations.",
        )
        n_var = c2.slider("How many", 1, 30, 8, key=keep("var.n", 8))
        seed_var = c3.number_input("Seed", 0, 2**31 - 1, key=keep("var.seed", 0))
        var_options = decode_controls("var")
        st.form_submit_button("Vary", type="primary", icon=":material/shuffle:")
    if not check_typed(bundle, {"Sentence": sentence}):
        return
    try:
        out = cached_variations(bundle, sentence, int(n_var), float(radius), int(seed_var), var_options)
        frame = pd.DataFrame({"variation": out})
        table_with_download(frame, "variations.csv", key="var.download")
    except TextVAEError as exc:
        show_error(exc)


@st.fragment
def arithmetic() -> None:
    st.caption(
        "Decode z(A) − z(B) + z(C): sentence A, with what B means replaced by what C means. "
        "It works best when A and B differ in one way."
    )
    with st.form("arith.form"):
        a = st.text_input("A", key=example_key("arith.a"), max_chars=500)
        b = st.text_input("minus B", key=example_key("arith.b"), max_chars=500)
        c = st.text_input("plus C", key=example_key("arith.c"), max_chars=500)
        arith_options = decode_controls("arith")
        st.form_submit_button("Compute", type="primary", icon=":material/calculate:")
    if not check_typed(bundle, {"A": a, "minus B": b, "plus C": c}):
        return
    try:
        result = cached_arithmetic(bundle, a, b, c, arith_options)
        with st.container(border=True):
            st.caption("A − B + C decodes to")
            st.text(result)
        frame = pd.DataFrame({"A": [a], "B": [b], "C": [c], "A - B + C": [result]})
        csv_download(frame, "arithmetic.csv", key="arith.download")
    except TextVAEError as exc:
        show_error(exc)


tabs = st.tabs(["Random codes", "Variations", "Latent arithmetic"])
for tab, fragment in zip(tabs, (random_codes, vary, arithmetic), strict=True):
    with tab:
        fragment()
