"""Generation, cached: the same model, text and decoding options give the same sentences, computed once.

Each cached_* function keys its cache by the active model's id; the bundle itself is not hashed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from studio.computed import SharedResults
from studio.models import active_model_id

if TYPE_CHECKING:
    import pandas as pd

    from textvae import Corpus, DecodeOptions, ModelBundle
    from textvae.code_region import CodeRegion
    from textvae.compression import SentenceBits

# Where each model's corpus lies, by (model id, corpus id): shared by every session and computed once, in the
# background right after a model becomes active or at the Sample page's first ask (not an st.cache_*: a background
# thread fills it).
REGIONS: SharedResults[CodeRegion] = SharedResults(max_entries=16)
NOISE_LEVELS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
RECON_NOISE, RECON_SEED = 1.5, 0  # the Reconstruct page's starting noise level (its slider) and noise seed


def noise_levels(noise: float) -> tuple[float, ...]:
    """The noise table's levels: the fixed ones and the slider's."""
    return tuple(sorted(set(NOISE_LEVELS) | {round(float(noise), 2)}))


def _options_key(options: DecodeOptions) -> tuple:
    return tuple(sorted(asdict(options).items()))


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _interpolation(model_id: str, a: str, b: str, steps: int, method: str, options_key: tuple, _bundle: ModelBundle):
    from textvae import DecodeOptions, generation

    result = generation.interpolate(
        _bundle.model, _bundle.tokenizer, a, b, steps, method, DecodeOptions(**dict(options_key))
    )
    return result.sentences, result.z.numpy(), result.t


def cached_interpolation(bundle: ModelBundle, a: str, b: str, steps: int, method: str, options: DecodeOptions):
    """(sentences, codes, t) of the path from ``a`` to ``b`` (generation.interpolate)."""
    return _interpolation(active_model_id(), a, b, steps, method, _options_key(options), bundle)


def _fit_region(bundle: ModelBundle, corpus: Corpus) -> CodeRegion:
    from textvae.code_region import corpus_region

    return corpus_region(bundle.model, bundle.tokenizer, corpus.sentences)


def cached_region(bundle: ModelBundle, corpus: Corpus, corpus_id: str) -> CodeRegion:
    """Where the corpus's sentences lie in the active model's latent space (code_region.corpus_region)."""
    key = (active_model_id(), corpus_id)
    found = REGIONS.get(key)
    if found is None:
        with st.spinner("Finding where the corpus's sentences lie…"):
            found = REGIONS.get_or_compute(key, lambda: _fit_region(bundle, corpus))
    return found


def warm_region(model_id: str, corpus_id: str, bundle: ModelBundle, corpus: Corpus) -> None:
    """Compute now (the server's warm-up, for the demo model) what the Sample page's "Codes from" needs."""
    REGIONS.get_or_compute((model_id, corpus_id), lambda: _fit_region(bundle, corpus))


def start_region(model_id: str, corpus_id: str, bundle: ModelBundle, corpus: Corpus) -> None:
    """Right after a model becomes active: where the active corpus lies, computed in the background."""
    REGIONS.start((model_id, corpus_id), lambda progress: _fit_region(bundle, corpus))


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _samples(
    model_id: str, n: int, seed: int, options_key: tuple, region_key: str | None, _bundle: ModelBundle, _region
):
    from textvae import DecodeOptions, generation

    sentences, z = generation.sample_prior(
        _bundle.model, _bundle.tokenizer, n, DecodeOptions(**dict(options_key)), seed, _region
    )
    return sentences, z.cpu().numpy()


def cached_samples(
    bundle: ModelBundle, n: int, seed: int, options: DecodeOptions, near: tuple[Corpus, str] | None = None
):
    """(sentences, codes): ``n`` codes drawn from the prior, or where the sentences of ``near`` (corpus, id) lie,
    decoded (generation.sample_prior)."""
    if near is None:
        return _samples(active_model_id(), n, seed, _options_key(options), None, bundle, None)
    return _samples(active_model_id(), n, seed, _options_key(options), near[1], bundle, cached_region(bundle, *near))


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _variations(
    model_id: str, sentence: str, n: int, radius: float, seed: int, options_key: tuple, _bundle: ModelBundle
) -> list[str]:
    from textvae import DecodeOptions, generation

    return generation.variations(
        _bundle.model, _bundle.tokenizer, sentence, n, radius, DecodeOptions(**dict(options_key)), seed
    )


def cached_variations(
    bundle: ModelBundle, sentence: str, n: int, radius: float, seed: int, options: DecodeOptions
) -> list[str]:
    """Sentences decoded from codes near ``sentence``'s (generation.variations)."""
    return _variations(active_model_id(), sentence, n, radius, seed, _options_key(options), bundle)


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _arithmetic(model_id: str, a: str, b: str, c: str, options_key: tuple, _bundle: ModelBundle) -> str:
    from textvae import DecodeOptions, generation

    return generation.latent_arithmetic(_bundle.model, _bundle.tokenizer, a, b, c, DecodeOptions(**dict(options_key)))


def cached_arithmetic(bundle: ModelBundle, a: str, b: str, c: str, options: DecodeOptions) -> str:
    """z(a) − z(b) + z(c), decoded (generation.latent_arithmetic)."""
    return _arithmetic(active_model_id(), a, b, c, _options_key(options), bundle)


def posterior(bundle: ModelBundle, sentences: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(mu, logvar) of q(z|x) as numpy arrays (not cached: one typed sentence is fast)."""
    from textvae import generation

    mu, logvar = generation.posterior(bundle.model, bundle.tokenizer, sentences)
    return mu.cpu().numpy(), logvar.cpu().numpy()


@dataclass
class Reconstruction:
    tokens: list[str]  # the input as the model's tokens
    mu: np.ndarray
    sigma: np.ndarray
    kl_per_dim: np.ndarray  # nats
    table: pd.DataFrame  # noise level -> decoded sentence, token accuracy, distance moved


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _reconstruction(
    model_id: str, sentence: str, levels: tuple, seed: int, options_key: tuple, _bundle: ModelBundle
) -> Reconstruction:
    import pandas as pd
    import torch

    from textvae import DecodeOptions, generation
    from textvae.data import encode_sentences
    from textvae.evaluation import token_accuracy
    from textvae.objective import gaussian_kl

    model, tok = _bundle.model, _bundle.tokenizer
    mu, logvar = generation.posterior(model, tok, [sentence])
    reference = encode_sentences(tok, [sentence], model.config.max_length)[0]
    eps = torch.randn((len(levels), mu.size(1)), generator=torch.Generator().manual_seed(seed)).to(mu.device)
    z = mu + torch.tensor(levels, dtype=mu.dtype, device=mu.device).unsqueeze(1) * eps
    options = DecodeOptions(**dict(options_key))
    options.max_length = max(generation.length_limit(model, options), len(reference) + 5)
    decoded = generation.decode_latent(model, z, options, None, *generation.guards(tok))
    table = pd.DataFrame(
        {
            "noise σ": list(levels),
            "decoded": tok.decode_batch(decoded),
            "token accuracy": [token_accuracy(reference, ids, tok.eos_id) for ids in decoded],
            "distance moved": (z - mu).norm(dim=1).cpu().numpy().round(2),
        }
    )
    return Reconstruction(
        [tok.token_text(i) for i in reference],
        mu[0].cpu().numpy(),
        torch.exp(0.5 * logvar[0]).cpu().numpy(),
        gaussian_kl(mu, logvar)[0].cpu().numpy(),
        table,
    )


def cached_reconstruction(
    bundle: ModelBundle, sentence: str, levels: tuple, seed: int, options: DecodeOptions
) -> Reconstruction:
    """``sentence`` encoded, then decoded from its posterior mean plus noise of each σ in ``levels``."""
    return _reconstruction(
        active_model_id(), sentence, tuple(float(x) for x in levels), seed, _options_key(options), bundle
    )


@st.cache_data(max_entries=128, ttl=3600, show_spinner=False)
def _sentence_bits(model_id: str, sentence: str, _bundle: ModelBundle) -> SentenceBits:
    from textvae.compression import sentence_bits

    return sentence_bits(_bundle.model, _bundle.tokenizer, sentence)


def cached_sentence_bits(bundle: ModelBundle, sentence: str) -> SentenceBits:
    """``sentence`` in bits as text, under the model and in its code (textvae.compression.sentence_bits)."""
    return _sentence_bits(active_model_id(), sentence, bundle)


def warm_reconstruction(model_id: str, bundle: ModelBundle, sentence: str) -> None:
    """Compute (into the caches) what the Reconstruct page first shows for ``sentence`` with its starting controls:
    the sentence's bits (an importance-weighted estimate: the page's slowest part, 0.3 s on a quiet core and
    4-13 s beside two trainings) and its noise table."""
    from textvae import DecodeOptions

    _sentence_bits(model_id, sentence, bundle)
    options_key = _options_key(DecodeOptions(method="greedy"))  # what the page's decode_controls() starts at
    _reconstruction(model_id, sentence, noise_levels(RECON_NOISE), RECON_SEED, options_key, bundle)
