"""textvae: sentence variational autoencoders in plain PyTorch.

corpus      files -> sentences          tokenizer   sentences -> ids (HF tokenizers)
model       SentenceVAE, VAEConfig      objective   ELBO, KL schedules, free bits
training    Trainer, train_model        evaluation  ELBO, IW-NLL, MI, active units, BLEU
generation  decoding, interpolation     latent      PCA / t-SNE maps, clusters, neighbours
checkpoint  safetensors + JSON bundles  cli         python -m textvae ...
"""

__version__ = "0.1.0"

from .checkpoint import ModelBundle, bundle_to_zip, load_bundle, load_bundle_zip, save_bundle  # noqa: E402
from .corpus import Corpus, CorpusOptions, corpus_stats, load_corpus, train_valid_split  # noqa: E402
from .errors import TextVAEError  # noqa: E402
from .generation import DecodeOptions, interpolate, latent_arithmetic, reconstruct, sample_prior, variations  # noqa: E402
from .model import SentenceVAE, VAEConfig  # noqa: E402
from .tokenizer import TextTokenizer  # noqa: E402
from .training import TokenizerConfig, TrainConfig, Trainer, train_model  # noqa: E402

__all__ = [
    "Corpus",
    "CorpusOptions",
    "DecodeOptions",
    "ModelBundle",
    "SentenceVAE",
    "TextTokenizer",
    "TextVAEError",
    "TokenizerConfig",
    "TrainConfig",
    "Trainer",
    "VAEConfig",
    "bundle_to_zip",
    "corpus_stats",
    "interpolate",
    "latent_arithmetic",
    "load_bundle",
    "load_bundle_zip",
    "load_corpus",
    "reconstruct",
    "sample_prior",
    "save_bundle",
    "train_model",
    "train_valid_split",
    "variations",
]
