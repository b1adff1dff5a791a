"""The training form's fields: one row per hyperparameter widget (its config field, label, kind, help, range).

Plain data, no Streamlit: training_form.py draws the widgets. "Limits" are the server's (textvae.limits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textvae.config import PROBE_SIZE, TOKENIZER_KINDS

if TYPE_CHECKING:
    from textvae.limits import Limits


@dataclass(frozen=True)
class TrainingField:
    group: str  # model | training | tokenizer
    name: str  # the VAEConfig / TrainConfig / TokenizerConfig field
    label: str
    kind: str  # int | float | choice | bool
    help: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple = ()


TRAINING_FIELDS = [
    TrainingField(
        "model",
        "embed_dim",
        "Embedding size",
        "int",
        "Numbers per word vector. Bigger: richer words, slower.",
        16,
        1024,
        16,
    ),
    TrainingField(
        "model",
        "hidden_dim",
        "Hidden size",
        "int",
        "Size of the encoder and decoder GRU/LSTM state. The main knob for capacity and speed.",
        32,
        2048,
        32,
    ),
    TrainingField(
        "model",
        "latent_dim",
        "Latent dimensions",
        "int",
        "Length of the code z. 16–32 is typical; unused dimensions collapse to the prior.",
        2,
        256,
        1,
    ),
    TrainingField(
        "model",
        "rnn",
        "Recurrent cell",
        "choice",
        "GRU is faster; LSTM sometimes fits long sentences better.",
        choices=("gru", "lstm"),
    ),
    TrainingField(
        "model",
        "bidirectional",
        "Bidirectional encoder",
        "bool",
        "The encoder reads each sentence both ways, so its code sees the ending as clearly as the beginning. "
        "Off: left to right only, as Bowman et al. 2016 (about 10% faster to train).",
    ),
    TrainingField("model", "num_layers", "Layers", "int", "Stacked recurrent layers in encoder and decoder.", 1, 4, 1),
    TrainingField(
        "model",
        "word_dropout",
        "Word dropout",
        "float",
        "Share of decoder input words hidden as <unk> so the decoder must rely on z (Bowman et al. 2016).",
        0.0,
        0.9,
        0.05,
    ),
    TrainingField(
        "model",
        "embed_dropout",
        "Embedding dropout",
        "float",
        "Dropout on word vectors (regularisation).",
        0.0,
        0.9,
        0.05,
    ),
    TrainingField(
        "model",
        "output_dropout",
        "Output dropout",
        "float",
        "Dropout before the output layer (regularisation).",
        0.0,
        0.9,
        0.05,
    ),
    TrainingField(
        "model",
        "bn_vae",
        "BN-VAE",
        "bool",
        "Batch-normalise the posterior means so the KL can never reach zero: "
        "prevents posterior collapse (Zhu et al. 2020).",
    ),
    TrainingField(
        "model",
        "bn_gamma",
        "BN-VAE gamma",
        "float",
        "BN-VAE scale: higher keeps more KL (more information in z).",
        0.1,
        3.0,
        0.1,
    ),
    TrainingField(
        "model",
        "max_length",
        "Max tokens per sentence",
        "int",
        "Longer sentences are cut when training; also the longest generated sentence.",
        8,
        256,
        8,
    ),
    TrainingField(
        "training",
        "epochs",
        "Epochs",
        "int",
        "Passes over the training sentences (the time limit may stop earlier).",
        1,
        1000,
        1,
    ),
    TrainingField(
        "training",
        "max_minutes",
        "Time limit (minutes)",
        "float",
        "Stop after this long and keep the best model; 0 means no limit. The KL schedule follows the clock.",
        0.0,
        600.0,
        0.5,
    ),
    TrainingField(
        "training",
        "batch_size",
        "Batch size",
        "int",
        "Sentences per update. Smaller: more updates per minute; larger: smoother gradients.",
        4,
        1024,
        4,
    ),
    TrainingField(
        "training",
        "lr",
        "Learning rate",
        "float",
        "Adam step size. Too high diverges, too low crawls.",
        1e-5,
        1e-1,
        1e-4,
    ),
    TrainingField(
        "training",
        "fine_tune_lr",
        "Fine-tuning learning rate",
        "float",
        "The step size when training starts from the base model (0: the learning rate). Lower it for text like the "
        "base model's own (captions, news): a high rate makes it forget what it knew. A novel learns best at the "
        "full rate.",
        0.0,
        1e-1,
        1e-4,
    ),
    TrainingField(
        "training",
        "lr_schedule",
        "Learning-rate schedule",
        "choice",
        "cosine: the step size falls to 5% of the learning rate by the end (or by the time limit), "
        "so the last minutes settle into a better model; constant keeps it.",
        choices=("cosine", "constant"),
    ),
    TrainingField(
        "training",
        "kl_schedule",
        "KL schedule",
        "choice",
        "How the KL weight beta grows: cyclical (Fu et al. 2019) re-warms several times; "
        "linear/logistic once; constant never.",
        choices=("cyclical", "linear", "logistic", "constant"),
    ),
    TrainingField(
        "training", "kl_cycles", "KL cycles", "int", "Cyclical schedule only: how many warm-up cycles.", 1, 20, 1
    ),
    TrainingField(
        "training",
        "kl_ratio",
        "KL ramp share",
        "float",
        "Cyclical schedule only: share of each cycle spent increasing beta.",
        0.05,
        1.0,
        0.05,
    ),
    TrainingField(
        "training",
        "kl_warmup",
        "KL warm-up share",
        "float",
        "Linear/logistic only: share of training spent increasing beta.",
        0.0,
        1.0,
        0.05,
    ),
    TrainingField(
        "training",
        "beta_max",
        "Max beta",
        "float",
        "The KL weight at the end of warm-up. 1 is the true ELBO; below 1 keeps more information in z.",
        0.0,
        5.0,
        0.05,
    ),
    TrainingField(
        "training",
        "free_bits",
        "Free bits (nats/dim)",
        "float",
        "KL below this per dimension is not penalised, so z keeps some information (Kingma et al. 2016). 0 disables.",
        0.0,
        5.0,
        0.05,
    ),
    TrainingField(
        "training",
        "pretrain_epochs",
        "Autoencoder pretraining",
        "int",
        "Epochs as a plain autoencoder first, then the decoder is reset (Li et al. 2019). Helps against collapse.",
        0,
        20,
        1,
    ),
    TrainingField(
        "training",
        "grad_clip",
        "Gradient clipping",
        "float",
        "Largest gradient norm; stabilises recurrent nets. 0 disables.",
        0.0,
        50.0,
        0.5,
    ),
    TrainingField(
        "training",
        "patience",
        "Early-stopping patience",
        "int",
        "Stop after this many validations without improvement; 0 never stops early.",
        0,
        100,
        1,
    ),
    TrainingField(
        "training",
        "valid_every",
        "Validate every (steps)",
        "int",
        "Steps between validations (the best model is kept); 0 means once per epoch.",
        0,
        100_000,
        10,
    ),
    TrainingField(
        "training",
        "latent_every",
        "Live map every (steps)",
        "int",
        f"Steps between snapshots of the live latent map ({PROBE_SIZE} held-out sentences encoded, about 4% of the "
        "time every 25 steps); "
        "the model keeps them to replay its training. 0: no live map.",
        0,
        100_000,
        5,
    ),
    TrainingField(
        "tokenizer",
        "kind",
        "Tokenizer",
        "choice",
        "bpe: byte-level sub-word pieces, no unknown words in any language (the default). "
        "word: one token per word; rare words become <unk>.",
        choices=TOKENIZER_KINDS,
    ),
    TrainingField(
        "tokenizer",
        "vocab_size",
        "Vocabulary size",
        "int",
        "How many tokens the model knows. The output layer grows with it (speed!).",
        100,
        100_000,
        500,
    ),
    TrainingField(
        "tokenizer",
        "min_frequency",
        "Min word frequency",
        "int",
        "Words seen fewer times are left out of the vocabulary.",
        1,
        100,
        1,
    ),
    TrainingField("tokenizer", "lowercase", "Lowercase", "bool", "Treat 'The' and 'the' as one word."),
]


def field_bounds(field: TrainingField, limits: Limits) -> tuple[float, float]:
    """The range a field's widget allows: its own, narrowed by the server's limits."""
    high = float(field.high)
    if field.name == "vocab_size":
        high = min(high, limits.max_vocab)
    elif field.name == "max_minutes":
        high = min(high, limits.max_train_minutes)
    return float(field.low), high
