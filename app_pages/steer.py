import pandas as pd
import streamlit as st

from studio import steering
from studio.components import page_header, sentence_table
from studio.messages import check_typed, md_escape, show_error
from studio.models import require_model
from studio.state import keep, keep_choice
from textvae import TextVAEError

page_header(
    "Steer",
    "Take the average code of the sentences with one label from the average code of those with another: that "
    "difference is a direction in the latent space (an attribute vector). Move a sentence along it and read "
    "what the model makes of it.",
)
bundle = require_model()
labelled = steering.labelled_corpus()
if labelled is None:
    st.warning(
        "Steering needs sentences with labels: on the **Data** page, choose a CSV with a label column "
        "(e.g. negative / positive).",
        icon=":material/info:",
    )
    st.stop()
if labelled.bundled:
    st.info(
        "The active corpus has no labels, so the direction comes from the bundled sentiment sentences "
        f"({len(labelled.corpus):,} reviews labelled negative or positive). To steer along your own labels, "
        "choose a CSV with a label column on the **Data** page.",
        icon=":material/info:",
    )

first, second = steering.default_pair(labelled.labels)
c1, c2 = st.columns(2)
source = c1.selectbox("From", labelled.labels, key=keep_choice("steer.from", labelled.labels, first))
targets = [label for label in labelled.labels if label != source]
target = c2.selectbox(
    "Towards", targets, key=keep_choice("steer.to", targets, second if second in targets else targets[0])
)
default = steering.default_sentence(labelled, source)
sentence = st.text_input("Sentence", key=keep("steer.sentence", default), max_chars=500)
amount = st.select_slider(
    "How far",
    [round(i / (steering.PATH_STEPS - 1), 2) for i in range(steering.PATH_STEPS)],
    key=keep("steer.amount", 0.0),
    format_func=lambda a: f"{a:.0%}",
    help="0%: the sentence's own code, decoded. 100%: the far end, as far along the direction as 90% of the "
    f"“{target}” sentences; a sentence already far along moves as far as a typical “{source}” one.",
)
if not check_typed(bundle, {"Sentence": sentence}):
    st.stop()
try:
    path = steering.path(bundle, labelled, source, target, sentence)
except TextVAEError as exc:
    show_error(exc)
    st.stop()

step = path.amounts.index(min(path.amounts, key=lambda a: abs(a - amount)))
with st.container(border=True):
    st.caption(f"{amount:.0%} of the way from “{md_escape(source)}” towards “{md_escape(target)}”")
    st.header(md_escape(path.sentences[step]), anchor=False)
st.caption(
    f"The far end is the sentence's code plus {path.scale:.1f} times the difference between the average "
    f"“{md_escape(target)}” code and the average “{md_escape(source)}” code. At 0% you read the model's "
    "reconstruction of your sentence: when it differs much from what you typed, the model knows little of such "
    "text, and its steps say more about the model than about the labels."
)
with st.expander("Every step"):
    frame = pd.DataFrame({"how far": [f"{a:.0%}" for a in path.amounts], "sentence": path.sentences})
    sentence_table(frame.set_index("how far"), hide_index=False)
