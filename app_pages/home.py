import streamlit as st

from studio.components import page_header
from studio.jobs import job_status_line
from studio.messages import md_escape
from studio.models import active_model_info
from studio.paths import PAGES

page_header("TextVAE Studio", "Train, explore and play with sentence variational autoencoders, in your browser.")

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("What is a text VAE?")
    st.markdown(
        "A variational autoencoder reads a sentence and compresses its meaning into a short vector **z** of numbers, "
        "its *latent code*. A decoder then writes a sentence back from **z** alone, one word at a time. "
        "Training pulls the codes of all sentences towards a simple bell-shaped cloud, the prior *p(z)*, "
        "so every point of that cloud decodes to some sentence. That makes the space smooth: nearby points mean "
        "similar things, and walking from one sentence's code to another's passes through sensible sentences. "
        "You can sample new sentences, interpolate between two, or see which sentences the model thinks are alike."
    )
    st.markdown("Training maximises the **evidence lower bound** (ELBO) on the log-likelihood of each sentence *x*:")
    st.latex(
        r"\log p(x) \;\ge\; \underbrace{\mathbb{E}_{q(z\mid x)}\big[\log p(x\mid z)\big]}_{\text{reconstruction}}"
        r"\;-\;\beta\,\underbrace{\mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big)}_{\text{rate, in nats}}"
    )
    st.caption(
        "When the KL term falls to zero the decoder has learnt to ignore z (posterior collapse): "
        "the Train page shows it per dimension, and KL annealing, free bits and BN-VAE are there to prevent it."
    )

with right:
    st.subheader("This session")
    info = active_model_info()  # read from the bundle's JSON: the first page does not wait for torch
    with st.container(border=True):
        if info is None:
            st.markdown(":material/warning: **No model yet.** Train one or upload a bundle.")
        else:
            origin = md_escape(st.session_state.model_origin)
            st.markdown(f":material/deployed_code: **Model:** {md_escape(info['name'])} ({origin})")
        corpus = st.session_state.corpus
        if corpus is not None:
            st.markdown(f":material/description: **Corpus:** {md_escape(corpus.name)}, {len(corpus):,} sentences")
        else:
            st.markdown(":material/description: **Corpus:** the bundled demo sentences, until you choose your own")
        job = st.session_state.job
        st.markdown(
            ":material/model_training: **Training:** " + (job_status_line(job) if job is not None else "none started")
        )

st.subheader("A quick tour")
tour = [
    (
        "app_pages/data.py",
        "Upload sentences (.txt, .csv, .tsv, .md) or pick a bundled corpus; see lengths, top words and unknown words.",
    ),
    (
        "app_pages/train.py",
        "Train a model with a preset in about a minute; watch the loss, the KL per dimension and the latent space "
        "forming live (or switch on posterior collapse and watch it fail).",
    ),
    ("app_pages/models.py", "Switch models, save, download and upload model bundles."),
    ("app_pages/ae_vs_vae.py", "Train an autoencoder and a VAE side by side: random points of which give sentences?"),
    (
        "app_pages/latent_space.py",
        "See the corpus as a map of meanings (PCA or t-SNE), search it, select regions, find neighbours.",
    ),
    ("app_pages/interpolate.py", "Walk from one sentence to another through the latent space."),
    ("app_pages/sample.py", "Dream up new sentences, variations of one sentence, and latent arithmetic."),
    ("app_pages/steer.py", "Move a sentence from one label towards another (negative to positive) with a slider."),
    ("app_pages/reconstruct.py", "Encode a sentence, look at its code, decode it back, and add noise."),
]
for row in range(0, len(tour), 2):
    for column, (path, text) in zip(st.columns(2), tour[row : row + 2], strict=False):
        with column.container(border=True, height="stretch"):  # cards in a row share one height
            st.page_link(path, label=PAGES[path][0], icon=PAGES[path][1])
            st.caption(text)
