import streamlit as st

from studio import ae_vs_vae
from studio.components import page_header
from studio.corpora import active_corpus
from studio.figures import prior_points_figure
from studio.jobs import job_status_line, too_small_to_train
from studio.messages import md_escape, show_error
from studio.state import keep
from textvae import TextVAEError

page_header(
    "AE vs VAE",
    "The same model trained twice on your corpus, once as a plain autoencoder (KL weight 0) and once as a VAE. "
    "Random points of the VAE's space decode to sentences; the autoencoder's space is full of holes.",
)
found = active_corpus()
if found is None:
    st.warning("Choose sentences on the **Data** page first.", icon=":material/info:")
    st.stop()
corpus, corpus_id = found
st.markdown(f"Corpus: **{md_escape(corpus.name)}**, {len(corpus):,} sentences. Both models start from scratch.")
c1, c2 = st.columns([1, 3])
seed = int(c1.number_input("Seed", 0, 2**31 - 1, key=keep("aevae.seed", 0), help="Same seed, same two models."))
if c2.button("Train both (about 2 × 45 s)", type="primary", icon=":material/play_arrow:", key="aevae.start"):
    try:
        if problem := too_small_to_train(corpus):
            raise TextVAEError(problem)
        ae_vs_vae.start(corpus, corpus_id, seed)
    except TextVAEError as exc:
        show_error(exc)


@st.fragment(
    run_every=1.0
    if (jobs := ae_vs_vae.running_jobs(corpus_id, seed)) and any(j.active for j in jobs.values())
    else None
)
def comparison() -> None:
    pair = ae_vs_vae.results(corpus_id, seed)
    jobs = ae_vs_vae.running_jobs(corpus_id, seed)
    if pair is None:
        if not jobs:
            st.info(
                "Press **Train both**: the results are then kept on this server for everyone.", icon=":material/info:"
            )
            return
        for kind, job in jobs.items():
            st.markdown(f"**{'Autoencoder' if kind == 'autoencoder' else 'VAE'}**: {job_status_line(job)}")
            if job.error:
                show_error(job.error)
            else:
                st.empty()  # the same number of elements in every poll (see studio.training_panel)
        if all(not j.active for j in jobs.values()):
            st.rerun()  # both ended: leave the timer and draw the results
        return
    columns = st.columns(2)
    for column, kind in zip(columns, ("autoencoder", "vae"), strict=True):
        shown = ae_vs_vae.view(corpus_id, seed, kind, pair[kind], corpus.sentences)
        with column:
            st.subheader("Autoencoder (KL weight 0)" if kind == "autoencoder" else "VAE (the ELBO)")
            fig = prior_points_figure(shown.coords, shown.sentences, shown.prior_coords)
            st.plotly_chart(fig, width="stretch", key=f"aevae.map.{kind}")
            st.caption(md_escape(shown.fit.describe()) + ".")
            st.metric(
                "Random points that decode to a sentence",
                f"{shown.well_formed:.0%}",
                help=f"Of {shown.random_points} random points of the prior, decoded greedily with no display guard: "
                "the share that ends with a sentence mark and writes no run of 3 words twice (no loop).",
            )
            st.markdown("\n".join(f"{i + 1}. {md_escape(t) or '*(empty)*'}" for i, t in enumerate(shown.prior_texts)))
    st.caption(
        "Grey: the corpus sentences, each at its code. Stars: random points drawn from the prior N(0, I), "
        "numbered as the sentences they decode to (greedy, with no display guard: what each model itself writes). "
        "The VAE's KL term keeps the codes where the prior draws from; the autoencoder's codes sit wherever they "
        "like, so most random points fall in holes."
    )


comparison()
