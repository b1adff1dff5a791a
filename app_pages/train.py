import streamlit as st

from studio import ownership, training_form
from studio.base_choice import base_choice
from studio.components import page_header
from studio.corpora import active_corpus
from studio.jobs import start_training, too_small_to_train
from studio.messages import md_escape, show_error
from studio.runtime import server_limits
from studio.state import KEEP, keep
from studio.training_panel import training_panel
from textvae import TextVAEError
from textvae.presets import preset_by_title

page_header(
    "Train",
    "Fit a sentence VAE on the active corpus. Training runs in the background: you can visit other pages meanwhile.",
)
training_form.init_form()

found = active_corpus()
if found is None:
    st.warning("Choose sentences on the **Data** page first.", icon=":material/info:")
    st.page_link("app_pages/data.py", label="Go to Data", icon=":material/description:")
    st.stop()
corpus, corpus_id = found
which = "your corpus" if st.session_state.corpus is not None else "the bundled demo corpus (choose your own on Data)"
st.markdown(f"Training on **{md_escape(corpus.name)}**: {len(corpus):,} sentences, {which}.")
if problem := too_small_to_train(corpus):
    st.warning(problem, icon=":material/warning:")

job = st.session_state.job
running = job is not None and job.active

preset = st.segmented_control(
    "Preset",
    training_form.PRESET_TITLES,
    key=training_form.PREFIX + "preset",
    on_change=training_form.apply_preset,
    disabled=running,
)
st.caption(preset_by_title(preset).note if preset else "Custom settings.")
collapse = st.toggle(
    "Show posterior collapse",
    key=keep(training_form.PREFIX.removeprefix(KEEP) + "collapse", False),
    on_change=training_form.toggle_collapse_demo,
    disabled=running,
    help="A teaching switch: the Quick preset with every fix against posterior collapse turned off.",
)
if collapse:
    st.info(
        "**Posterior collapse, on purpose:** no KL annealing (β = 1 from the first step), no free bits, no word "
        "dropout, no BN-VAE, a new model from scratch. Watch the KL fall towards zero and the live map's points "
        "fall onto the **×**: the decoder learns to write sentences without looking at z. Switch it off to get "
        "the preset back, train again, and compare.",
        icon=":material/school:",
    )
st.caption(":material/tune: " + training_form.form_summary())
base = base_choice(corpus, corpus_id, disabled=running)

c1, c2 = st.columns([2, 1])
name = c1.text_input(
    "Model name",
    key=keep("train.name", "my-model"),
    max_chars=60,
    disabled=running,
    help="Shown in the sidebar and used for the saved folder.",
)
c2.number_input(
    "Seed",
    0,
    2**31 - 1,
    key=training_form.PREFIX + "seed",
    disabled=running,
    help="Random seed for initialisation, batching and the validation split.",
)
c2.caption(
    "Same seed + same data + same settings → the same model, unless the time budget stops it: how far it gets "
    "then depends on the machine's speed."
)

with st.expander("Model", icon=":material/hub:"):
    training_form.field_widgets("model")
with st.expander("Training", icon=":material/speed:"):
    training_form.field_widgets("training")
with st.expander("Tokenizer", icon=":material/text_fields:"):
    training_form.field_widgets("tokenizer")
limits = server_limits()
st.caption(
    f"This server allows up to {limits.max_train_minutes:g} minutes and {limits.max_parameters / 1e6:g} M parameters "
    f"per training, {limits.max_trainings} training{'s' if limits.max_trainings > 1 else ''} at a time "
    f"(others wait in a queue). The best model by validation ELBO is kept. {ownership.where_kept()}"
)

b1, b2, _ = st.columns([1.4, 1, 3.6])  # wide enough for "Start training" at 1280 px
if b1.button("Start training", type="primary", icon=":material/play_arrow:", disabled=running, key="train.start"):
    try:
        model, training, tokenizer = training_form.form_configs()
        start_training(corpus, model, training, tokenizer, name.strip() or corpus.name, base=base)
        st.rerun()
    except TextVAEError as exc:
        show_error(exc)
if b2.button(
    "Stop",
    icon=":material/stop:",
    disabled=not running,
    key="train.stop",
    help="Stops after the current batch and keeps the best model so far.",
):
    job.stop()
    st.rerun()

training_panel()
