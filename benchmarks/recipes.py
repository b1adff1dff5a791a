"""The benchmark's model sizes (--config) and anti-collapse recipes (--recipe).

"quick-demo" is the app's "Quick demo" preset, read from :mod:`textvae.presets` (never copied by hand):
its sizes are a config, its other settings a recipe; the run length comes from the benchmark's options.
"""

from __future__ import annotations

import sys

from textvae.presets import PRESETS

MAX_TOKENS = 100  # PTB's longest sentence has 82 words: nothing is truncated

_QUICK = PRESETS["quick"]
_SIZE_FIELDS = (
    "embed_dim",
    "hidden_dim",
    "latent_dim",
    "rnn",
    "bidirectional",
    "num_layers",
)  # a config; the other model fields: a recipe
_RUN_FIELDS = ("epochs", "max_minutes", "valid_every", "patience", "batch_size")  # this script's options and the config

# Model sizes. "bowman" is the size of the most used reproduction of Bowman et al. 2016
# (timbmg/Sentence-VAE): embedding 300, GRU 256, latent 16, batch 32.
CONFIGS: dict[str, dict] = {
    "bowman": {"model": {"embed_dim": 300, "hidden_dim": 256, "latent_dim": 16}, "batch_size": 32},
    # the reference's architecture too: its encoder reads left to right only (textvae's reads both ways)
    "bowman-one-way": {
        "model": {"embed_dim": 300, "hidden_dim": 256, "latent_dim": 16, "bidirectional": False},
        "batch_size": 32,
    },
    "bowman-lstm": {
        "model": {"embed_dim": 300, "hidden_dim": 256, "latent_dim": 16, "rnn": "lstm"},
        "batch_size": 32,
    },  # same size, LSTM cells
    "default": {"model": {}, "batch_size": 32},  # textvae's VAEConfig defaults
    "default-lstm": {"model": {"rnn": "lstm"}, "batch_size": 32},  # the defaults with LSTMs, as in Bowman et al. 2016
    # the app's "Quick demo" preset (textvae.presets), with its recipe "quick-demo" below
    "quick-demo": {
        "model": {k: v for k, v in _QUICK.model.items() if k in _SIZE_FIELDS},
        "batch_size": _QUICK.training["batch_size"],
    },
}

# Recipes against posterior collapse (all on top of word dropout 0.25). Each names its learning-rate schedule,
# so a change of the library's defaults does not silently change a recipe.
RECIPES: dict[str, dict] = {
    "cyclical": {"training": {"kl_schedule": "cyclical", "kl_cycles": 4, "free_bits": 0.0, "lr_schedule": "constant"}},
    "fb-cyclical": {
        "training": {"kl_schedule": "cyclical", "kl_cycles": 4, "free_bits": 0.25, "lr_schedule": "constant"}
    },
    "fb-cyclical-cosine": {
        "training": {"kl_schedule": "cyclical", "kl_cycles": 4, "free_bits": 0.25, "lr_schedule": "cosine"}
    },
    "fb-linear": {
        "training": {"kl_schedule": "linear", "kl_warmup": 0.3, "free_bits": 0.25, "lr_schedule": "constant"}
    },
    "bn-vae": {
        "training": {"kl_schedule": "constant", "free_bits": 0.0, "lr_schedule": "constant"},
        "model": {"bn_vae": True, "bn_gamma": 0.6},
    },
    # the app's "Quick demo" preset (textvae.presets): its training settings but the run length, its regularisation
    "quick-demo": {
        "training": {k: v for k, v in _QUICK.training.items() if k not in _RUN_FIELDS},
        "model": {k: v for k, v in _QUICK.model.items() if k not in (*_SIZE_FIELDS, "max_length")},
    },
    "quick-demo-cosine": {
        "training": {**{k: v for k, v in _QUICK.training.items() if k not in _RUN_FIELDS}, "lr_schedule": "cosine"},
        "model": {k: v for k, v in _QUICK.model.items() if k not in (*_SIZE_FIELDS, "max_length")},
    },
    "pretrain-fb": {
        "training": {
            "kl_schedule": "linear",
            "kl_warmup": 0.3,
            "free_bits": 0.25,
            "pretrain_epochs": 1,
            "lr_schedule": "constant",
        }
    },
}


def make_configs(config: str, recipe: str | None, overrides: dict) -> tuple[dict, dict]:
    """(model settings, TrainConfig settings) from a named size, a named recipe and overrides."""
    if config not in CONFIGS:
        sys.exit(f"error: unknown --config {config!r}; choose from {', '.join(CONFIGS)}")
    if recipe is not None and recipe not in RECIPES:
        sys.exit(f"error: unknown --recipe {recipe!r}; choose from {', '.join(RECIPES)}")
    size, rec = CONFIGS[config], RECIPES.get(recipe or "", {})
    model = {**size["model"], **rec.get("model", {}), "max_length": MAX_TOKENS}
    training = {"batch_size": size["batch_size"], **rec.get("training", {}), **overrides}
    return model, training
