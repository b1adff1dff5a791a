import streamlit as st

from studio.cached import RECON_NOISE, RECON_SEED, cached_reconstruction, noise_levels
from studio.components import decode_controls, page_header, sentence_table
from studio.compression_view import sentence_bits_row
from studio.examples import example_key
from studio.figures import code_figure
from studio.messages import check_typed, show_error
from studio.models import require_model
from studio.state import keep
from textvae import TextVAEError

page_header(
    "Reconstruct",
    "Sentence → code z → sentence. The VAE is a lossy compressor: what survives the round trip is what z remembers.",
)
bundle = require_model()


@st.fragment  # the form reruns only this part
def reconstruction() -> None:
    with st.form("recon.form"):
        sentence = st.text_input("Sentence", key=example_key("recon.sentence"), max_chars=500)
        c1, c2 = st.columns([3, 1])
        noise = c1.slider(
            "Extra noise level (σ)",
            0.0,
            5.0,
            RECON_NOISE,
            0.1,
            key=keep("recon.noise", RECON_NOISE),
            help="Standard deviation of Gaussian noise added to z, in units of the prior (1 = one typical prior step).",
        )
        seed = c2.number_input("Noise seed", 0, 2**31 - 1, key=keep("recon.seed", RECON_SEED))
        options = decode_controls("recon")
        st.form_submit_button("Reconstruct", type="primary", icon=":material/autorenew:")

    if not check_typed(bundle, {"Sentence": sentence}):
        return
    levels = noise_levels(noise)
    try:
        rec = cached_reconstruction(bundle, sentence, levels, int(seed), options)
    except TextVAEError as exc:
        show_error(exc)
        return

    sentence_bits_row(bundle, sentence)
    with st.container(border=True):
        st.caption(f"INPUT (as the model's {len(rec.tokens)} tokens)")
        st.text(" · ".join(rec.tokens))
        st.caption("DECODED FROM THE POSTERIOR MEAN")
        st.text(rec.table.iloc[0]["decoded"])

    st.subheader("The code z")
    st.plotly_chart(code_figure(rec.mu, rec.sigma, rec.kl_per_dim), width="stretch", key="recon.z")
    st.caption(
        "Posterior mean μ per dimension, with ±σ. "
        "Grey: dimensions where q(z|x) equals the prior (no information, KL < 0.05 nats)."
    )

    st.subheader("Adding noise to z")
    sentence_table(
        rec.table.assign(
            **{
                "noise σ": rec.table["noise σ"].map("{:.2f}".format),
                "token accuracy": rec.table["token accuracy"].map("{:.0%}".format),
                "distance moved": rec.table["distance moved"].map("{:.2f}".format),
            }
        )
    )
    st.caption(
        "z + σ·ε with ε ~ N(0, I): small noise keeps the meaning, large noise lands on another sentence. "
        "A smooth space degrades gradually."
    )


reconstruction()
