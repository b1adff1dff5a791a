"""Compression made concrete: one sentence's size as text, under the model, and in its latent code, in bits.

A VAE is a compressor: -log2 p(x) is how many bits the model needs to write the sentence, KL(q(z|x) || p(z))
how many of them its code z carries; the decoder guesses the rest from what it learned. Plain numbers, so the
app, the command line and a report say the same thing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .data import encode_sentences
from .evaluation import importance_weighted_nll, posterior_stats, token_accuracy
from .generation import UNGUARDED, DecodeOptions, decode_latent
from .model import SentenceVAE
from .objective import gaussian_kl
from .tokenizer import TextTokenizer

IW_SAMPLES = 200  # importance samples for one sentence's -log p(x): 0.2-0.3 s for the demo model on one CPU core


def nats_to_bits(nats: float) -> float:
    """Natural-log units to bits: divide by ln 2."""
    return nats / math.log(2)


def utf8_bits(text: str) -> int:
    """The text's size as a file: 8 bits for each of its UTF-8 bytes."""
    return 8 * len(text.encode("utf-8"))


@dataclass(frozen=True)
class SentenceBits:
    """How one sentence compresses (bits throughout, except the share ``token_accuracy``)."""

    text_bits: int  # UTF-8
    model_bits: float  # -log2 p(x), importance-weighted estimate with ``samples`` samples of q(z|x)
    code_bits: float  # KL(q(z|x) || p(z)): what the latent code carries about this sentence
    token_accuracy: float  # greedy decoding from the posterior mean, position by position, end of sentence included
    samples: int

    @property
    def decoder_bits(self) -> float:
        """What the decoder supplies from what it learned: the model's bits the code does not carry."""
        return max(0.0, self.model_bits - self.code_bits)


def sentence_bits(
    model: SentenceVAE, tokenizer: TextTokenizer, sentence: str, samples: int = IW_SAMPLES, seed: int = 0
) -> SentenceBits:
    """``sentence``'s bits as text, under the model (IW-NLL) and in its code (KL), and what a greedy round trip keeps.

    The model's bits are those of the sentence as its tokens (a word-level model's ``<unk>`` included); decoding is
    unguarded, as for every metric: it scores the model, not the repetition guard."""
    sequences = encode_sentences(tokenizer, [sentence], model.config.max_length)
    nll, _ = importance_weighted_nll(model, sequences, samples=samples, batch_size=1, seed=seed)
    mu, logvar = posterior_stats(model, sequences)
    options = DecodeOptions(method="greedy", max_length=len(sequences[0]) + 1, **UNGUARDED)
    decoded = decode_latent(model, mu, options)[0]
    return SentenceBits(
        text_bits=utf8_bits(sentence),
        model_bits=nats_to_bits(nll),
        code_bits=nats_to_bits(float(gaussian_kl(mu, logvar).sum())),
        token_accuracy=token_accuracy(sequences[0], decoded, tokenizer.eos_id),
        samples=samples,
    )


def _bits(n: float) -> str:
    return f"{n:,.0f} bit" + ("" if round(n) == 1 else "s")


def in_words(bits: SentenceBits) -> str:
    """The numbers as a teacher reads them out, rounded to whole bits."""
    text = f"This sentence is {_bits(bits.text_bits)} as text"
    if bits.model_bits >= bits.text_bits:
        return (
            f"{text}, and the model needs {_bits(bits.model_bits)} to write it, no fewer: the sentence is unlike "
            f"what it learned. Its code carries {_bits(bits.code_bits)}."
        )
    return (
        f"{text}; the model needs {_bits(bits.model_bits)} to write it; its code carries {_bits(bits.code_bits)}; "
        f"the rest ({_bits(bits.decoder_bits)}) the decoder guesses from what it learned."
    )
