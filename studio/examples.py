"""The sentences the Explore pages start from: real sentences of the active corpus, so a teacher's own text is
what they see first (the demo corpus keeps its curated examples). A field follows the corpus until the person
edits it; then their sentence stays."""

from __future__ import annotations

import re

import streamlit as st

from studio.corpora import active_corpus
from studio.state import KEEP

DEMO = {  # curated for the bundled SNLI sentences
    "interp.a": "A man is playing a guitar on stage.",
    "interp.b": "Two dogs are running through a snowy field.",
    "recon.sentence": "A little girl is climbing a tree in the garden.",
    "var.sentence": "A woman is reading a book in the park.",
    "arith.a": "A man is sleeping on a couch.",
    "arith.b": "A man is sitting.",
    "arith.c": "A woman is sitting.",
}
SLOTS = list(DEMO)  # each field gets a different sentence of the corpus
_SHOWABLE = re.compile(r"^\S.{20,160}[.!?…。！？\"'”’)]$")


def pick_examples(sentences: list[str], n: int) -> list[str]:
    """``n`` sentences spread over the corpus (its parts differ most), preferring whole sentences of a readable
    length; fewer only when the corpus has fewer."""
    readable = [s for s in sentences if _SHOWABLE.match(s) and 5 <= len(s.split()) <= 24]
    pool = readable if len(readable) >= n else list(dict.fromkeys(sentences))
    if len(pool) <= n:
        return pool
    step = len(pool) / n
    return [pool[int(step * i + step / 2)] for i in range(n)]


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _examples(corpus_id: str, _sentences: list[str]) -> list[str]:
    return pick_examples(_sentences, len(SLOTS))


def example_for(field: str) -> str:
    """The example sentence for one field (a DEMO key) from the active corpus."""
    found = active_corpus()
    if found is None or st.session_state.get("corpus") is None:
        return DEMO[field]  # the demo corpus: its curated examples
    corpus, corpus_id = found
    examples = _examples(corpus_id, corpus.sentences)
    return examples[SLOTS.index(field) % len(examples)] if examples else DEMO[field]


def example_key(field: str) -> str:
    """The widget key of a sentence field whose value starts at (and follows) the active corpus's example."""
    full, shown = KEEP + field, f"examples.{field}"
    example = example_for(field)
    if full not in st.session_state or st.session_state[full] == st.session_state.get(shown):
        st.session_state[full] = example  # untouched by the person: follow the corpus
        st.session_state[shown] = example
    return full
