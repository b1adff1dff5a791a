"""The Reconstruct page's compression in numbers: a sentence in bits as text, under the model and in its code."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import streamlit as st

from studio.cached import cached_sentence_bits

if TYPE_CHECKING:
    from textvae import ModelBundle


def sentence_bits_row(bundle: ModelBundle, sentence: str) -> None:
    """Four numbers (text, model, code, what survives) and the sentence a teacher reads out."""
    from textvae.compression import in_words

    bits = cached_sentence_bits(bundle, sentence)
    m = st.columns(4)
    m[0].metric("As text", f"{bits.text_bits:,} bits", help="8 bits for each byte of the sentence in UTF-8.")
    m[1].metric(
        "Under the model",
        f"{bits.model_bits:,.1f} bits",
        help=f"−log₂ p(x): the bits the model needs to write this sentence (importance-weighted estimate, "
        f"{bits.samples} samples of z). Text unlike what the model learned costs more.",
    )
    m[2].metric(
        "In its code z",
        f"{bits.code_bits:,.1f} bits",
        help=f"KL(q(z|x) || p(z)) = {bits.code_bits * math.log(2):.2f} nats: what the code carries about the sentence.",
    )
    m[3].metric(
        "Survives the round trip",
        f"{bits.token_accuracy:.0%}",
        help="Share of the input's tokens that greedy decoding from the posterior mean gets right, position by "
        "position (end of sentence included).",
    )
    st.info(in_words(bits), icon=":material/calculate:")
