"""textvae: sentence variational autoencoders in plain PyTorch.

    corpus      files -> sentences           tokenizer   sentences -> ids (HF tokenizers)
    config      the settings (no torch)      presets     the training presets (no torch)
    model       SentenceVAE                  objective   ELBO, free bits
    schedules   KL weight, learning rate     events      what a Trainer reports (TypedDicts)
    training    Trainer                      pipeline    train_model: corpus -> bundle
    evaluation  ELBO, IW-NLL, MI, BLEU       generation  decoding, interpolation
    latent      maps, clusters, neighbours   jobs        background trainings for the app
    bundle      safetensors + JSON bundles   safe_files  pickle refusal, zip and size checks
    limits      server resource caps         cli         python -m textvae ...
    compression one sentence in bits         report      the HTML report (model_card, report_html)
    steering    a sentence moved between labels  cluster_labels  the words that name a map's clusters
    distributed one model trained by several processes (torchrun, DistributedDataParallel)
    code_region where a corpus's codes lie (a Gaussian to sample from instead of the prior)

The names below are imported on first use (PEP 562), so ``from textvae import TextVAEError`` or a
config does not import torch (about 2 s) until something needs it.
"""

# ruff: noqa: F401  (the imports under TYPE_CHECKING name the lazy exports for type checkers)
from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# MKL's own memory manager keeps freed matmul buffers for reuse: without it a training at the reference's size peaked
# 8-10 MB lower at the same speed (benchmarks/README.md). MKL reads this when torch loads it, so it takes effect in
# processes that import textvae before torch (the CLI, the app's training workers); a value already set is kept.
os.environ.setdefault("MKL_DISABLE_FAST_MM", "1")

_EXPORTS = {  # public name -> the module that owns it
    "ModelBundle": "bundle",
    "bundle_to_zip": "bundle",
    "load_bundle": "bundle",
    "load_bundle_zip": "bundle",
    "save_bundle": "bundle",
    "Corpus": "corpus",
    "CorpusOptions": "corpus",
    "corpus_stats": "corpus",
    "load_corpus": "corpus",
    "train_valid_split": "corpus",
    "TextVAEError": "errors",
    "DecodeOptions": "generation",
    "interpolate": "generation",
    "latent_arithmetic": "generation",
    "reconstruct": "generation",
    "sample_prior": "generation",
    "variations": "generation",
    "SentenceVAE": "model",
    "VAEConfig": "config",
    "TextTokenizer": "tokenizer",
    "TokenizerConfig": "config",
    "TrainConfig": "config",
    "Trainer": "training",
    "train_model": "pipeline",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'textvae' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .bundle import ModelBundle, bundle_to_zip, load_bundle, load_bundle_zip, save_bundle
    from .config import TokenizerConfig, TrainConfig, VAEConfig
    from .corpus import Corpus, CorpusOptions, corpus_stats, load_corpus, train_valid_split
    from .errors import TextVAEError
    from .generation import DecodeOptions, interpolate, latent_arithmetic, reconstruct, sample_prior, variations
    from .model import SentenceVAE
    from .pipeline import train_model
    from .tokenizer import TextTokenizer
    from .training import Trainer
