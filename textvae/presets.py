"""Training presets: the one source for the app's preset picker, `train --preset` and the benchmarks.

A preset is plain data (field values of VAEConfig, TrainConfig and TokenizerConfig), so importing
this module does not import torch. Each preset says in its comment what it was measured on.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    key: str  # the command line's name: train --preset KEY
    title: str  # the app's name
    note: str  # one sentence for the app: what it is for and how long it takes
    model: dict = field(default_factory=dict)  # VAEConfig fields (vocab_size comes from the tokenizer)
    training: dict = field(default_factory=dict)  # TrainConfig fields
    tokenizer: dict = field(default_factory=dict)  # TokenizerConfig fields

    def values(self) -> dict:
        """Every field of the three configs in one flat dict (their names do not overlap)."""
        return {**self.model, **self.training, **self.tokenizer}


_MODEL = {
    "rnn": "gru",
    "bidirectional": True,
    "num_layers": 1,
    "embed_dropout": 0.1,
    "output_dropout": 0.3,
    "bn_vae": False,
    "bn_gamma": 0.6,
    "max_length": 48,
}
_TRAINING = {
    "fine_tune_lr": None,
    "lr_schedule": "cosine",
    "kl_cycles": 4,
    "kl_ratio": 0.5,
    "kl_warmup": 0.4,
    "beta_max": 1.0,
    "pretrain_epochs": 0,
    "grad_clip": 5.0,
    "patience": None,
    "latent_every": 25,  # the live map: config.PROBE_SIZE sentences encoded every 25 steps, under 5 % of the time
}
_TOKENIZER = {"kind": "bpe", "min_frequency": 2, "lowercase": False}  # byte-level: never an unknown word

PRESETS: dict[str, Preset] = {
    # Measured: 10k SNLI sentences, 2-core shared CPU, 1 thread: 62 s wall, ~700 steps, KL 4.3 nats, 16/16 active
    # units. A constant learning rate: in one minute (~200-700 steps) cosine decay only slows learning
    # (PTB 10k, 1 min: valid -ELBO 134.7 constant, 138.4 cosine). It stops when the held-out ELBO has not
    # improved for 3 validations (300 steps: a small corpus is learnt sooner), within a 75-second cap.
    # Fine-tuning the base model keeps the same rate (fine_tune_lr None): on captions and news the base never saw
    # (SNLI test, PTB valid) 2.5e-4 gave 8 % / 3 % fewer held-out bits per character than 2e-3, but on the held-out
    # novel 3 % more (1.786 vs 1.732): a novel needs to move the base further (benchmarks/README.md).
    "quick": Preset(
        "quick",
        "Quick demo",
        "A small model that is usable after about a minute on a laptop CPU; it stops sooner when the held-out "
        "ELBO stops improving. Good for trying things out.",
        model={**_MODEL, "embed_dim": 128, "hidden_dim": 256, "latent_dim": 16, "word_dropout": 0.3},
        training={
            **_TRAINING,
            "epochs": 20,
            "max_minutes": 1.25,
            "batch_size": 32,
            "lr": 2e-3,
            "lr_schedule": "constant",
            "kl_schedule": "linear",
            "free_bits": 0.25,
            "valid_every": 100,
            "patience": 3,
        },
        tokenizer={**_TOKENIZER, "vocab_size": 8000},
    ),
    "balanced": Preset(
        "balanced",
        "Balanced",
        "A mid-sized model, up to 10 minutes. Clearly better sentences and a more meaningful map.",
        model={**_MODEL, "embed_dim": 256, "hidden_dim": 256, "latent_dim": 32, "word_dropout": 0.3},
        training={
            **_TRAINING,
            "epochs": 10,
            "max_minutes": 10.0,
            "batch_size": 32,
            "lr": 1e-3,
            "kl_schedule": "cyclical",
            "free_bits": 0.1,
            "valid_every": None,
            "patience": 3,
        },
        tokenizer={**_TOKENIZER, "vocab_size": 10_000},
    ),
    "best": Preset(
        "best",
        "Best quality",
        "A large model (about 15 M parameters) with BN-VAE and autoencoder pretraining, up to half an hour. "
        "Use a GPU server or be patient.",
        model={**_MODEL, "embed_dim": 256, "hidden_dim": 512, "latent_dim": 32, "word_dropout": 0.35, "bn_vae": True},
        training={
            **_TRAINING,
            "epochs": 30,
            "max_minutes": 30.0,
            "batch_size": 32,
            "lr": 1e-3,
            "kl_schedule": "cyclical",
            "free_bits": 0.1,
            "valid_every": None,
            "patience": 5,
            "pretrain_epochs": 1,
        },
        tokenizer={**_TOKENIZER, "vocab_size": 15_000},
    ),
}
DEFAULT_PRESET = "quick"

# The Train page's "Show posterior collapse" switch: the default preset with every fix against posterior
# collapse switched off, trained from scratch: no KL annealing (beta 1 from the first step, as in the failure
# Bowman et al. 2016 describe), no free bits, no word dropout, no BN-VAE, no early stop. The KL falls towards
# zero and the live map's points fall onto the origin: the decoder learns to ignore z.
POSTERIOR_COLLAPSE = {
    "kl_schedule": "constant",
    "beta_max": 1.0,
    "free_bits": 0.0,
    "word_dropout": 0.0,
    "bn_vae": False,
    "pretrain_epochs": 0,
    "patience": None,
    "latent_every": 10,  # more frames in a short run
}


def preset_by_title(title: str) -> Preset:
    """The preset the app shows under ``title`` (KeyError if none)."""
    return {p.title: p for p in PRESETS.values()}[title]
