"""The settings of a model, a training run and a tokenizer: plain dataclasses, checked when made.

No torch here, so ``from textvae import TrainConfig`` is quick and the app can check a form
before anything heavy is imported. The presets in :mod:`textvae.presets` are values of these fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from .errors import TextVAEError
from .precision import PRECISIONS
from .schedules import LR_SCHEDULES, BetaSchedule, learning_rate
from .validation import check_fields, check_range

RNN_KINDS = ("gru", "lstm")
DEVICES = ("auto", "cpu", "cuda")

# Upper bounds checked before anything is allocated, so a crafted config cannot ask for gigabytes.
LIMITS = {
    "vocab_size": 200_000,
    "embed_dim": 2048,
    "hidden_dim": 4096,
    "latent_dim": 1024,
    "num_layers": 4,
    "max_length": 1024,
}
MAX_PARAMETERS = 150_000_000


@dataclass
class VAEConfig:
    vocab_size: int
    embed_dim: int = 256
    hidden_dim: int = 256
    latent_dim: int = 32
    rnn: str = "gru"  # one of RNN_KINDS: gru | lstm
    bidirectional: bool = True  # the encoder reads each sentence both ways; False: left to right (Bowman et al. 2016)
    num_layers: int = 1
    word_dropout: float = 0.25  # decoder inputs replaced by <unk> (Bowman et al. 2016)
    embed_dropout: float = 0.1
    output_dropout: float = 0.3
    bn_vae: bool = False
    bn_gamma: float = 0.6
    max_length: int = 64  # longest sentence generated, in tokens

    def validate(self) -> VAEConfig:
        check_fields(self, "Model setting")  # a wrong type (say "16" from a hand-edited config.json) gets a message
        for name, bound in LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= bound:
                raise TextVAEError(f"Model setting {name}={value!r} is outside 1..{bound}.")
        if self.vocab_size < 5:
            raise TextVAEError("vocab_size must be at least 5 (4 special tokens and one word).")
        if self.rnn not in RNN_KINDS:
            raise TextVAEError(f"rnn must be {' or '.join(map(repr, RNN_KINDS))}, not {self.rnn!r}.")
        for name in ("word_dropout", "embed_dropout", "output_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:  # check_range has no open upper end
                raise TextVAEError(f"{name}={value!r} must be in [0, 1).")
        check_range("Model setting", "bn_gamma", self.bn_gamma, 0.0, 10.0, low_open=True)
        if self.num_parameters() > MAX_PARAMETERS:
            raise TextVAEError(
                f"This model would have {self.num_parameters():,} parameters; the limit is {MAX_PARAMETERS:,}."
            )
        return self

    def num_parameters(self) -> int:
        """Parameter count from the sizes alone (no allocation)."""
        gates = 3 if self.rnn == "gru" else 4
        e, h, z, v, n = self.embed_dim, self.hidden_dim, self.latent_dim, self.vocab_size, self.num_layers

        def rnn(inp: int, directions: int) -> int:
            first = gates * h * (inp + h + 2) * directions
            return first + (n - 1) * gates * h * (h * directions + h + 2) * directions

        directions = 2 if self.bidirectional else 1
        batch_norm = 2 * z if self.bn_vae else 0
        to_latent = directions * h * 2 * z + 2 * z
        return v * e + rnn(e, directions) + to_latent + batch_norm + (z * h * n + h * n) + rnn(e + z, 1) + (h * v + v)

    @classmethod
    def from_dict(cls, data: dict) -> VAEConfig:
        if not isinstance(data, dict):
            raise TextVAEError("The model config must be a JSON object.")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise TextVAEError(
                f"Unknown model settings: {', '.join(sorted(map(str, unknown)))}; "
                f"known ones are {', '.join(sorted(known))}."
            )
        if "vocab_size" not in data:
            raise TextVAEError("The model config has no vocab_size.")
        return cls(**data).validate()

    def to_dict(self) -> dict:
        return asdict(self)


MIN_SENTENCES = 20
VALID_FRACTION = 0.1  # held out for validation when no validation corpus is given
# held-out sentences a live-map snapshot encodes (latent_every, latent_history): enough to see clusters, and few
# enough that a snapshot every 25 steps stays under 5 % of training time (benchmarks/live_map.py)
PROBE_SIZE = 300


def min_corpus_sentences(valid_fraction: float = VALID_FRACTION) -> int:
    """The smallest corpus ``train_model`` accepts without a validation corpus: MIN_SENTENCES left
    to train on after ``train_valid_split`` holds out its share (22 with the defaults)."""
    n = MIN_SENTENCES
    while n - max(1, round(n * valid_fraction)) < MIN_SENTENCES:
        n += 1
    return n


@dataclass
class TrainConfig:
    epochs: int = 10
    max_minutes: float | None = None  # stop after this much wall time (the KL schedule then follows the clock)
    batch_size: int = 32
    lr: float = 1e-3
    fine_tune_lr: float | None = None  # the learning rate when the weights start from a base model's; None: lr
    lr_schedule: str = "cosine"  # one of LR_SCHEDULES; cosine decays to COSINE_FLOOR * lr (see textvae.schedules)
    kl_schedule: str = "cyclical"  # one of schedules.SCHEDULES
    kl_cycles: int = 4
    kl_ratio: float = 0.5
    kl_warmup: float = 0.3  # fraction of training for linear/logistic warm-up
    beta_max: float = 1.0
    free_bits: float = 0.25  # nats per latent dimension (0 disables); keeps z in use
    pretrain_epochs: int = 0  # autoencoder pretraining epochs, then the decoder is reset (Li et al. 2019)
    grad_clip: float = 5.0
    patience: int | None = None  # early stopping after this many validations without improvement
    valid_every: int | None = None  # steps between validations; None: once per epoch
    latent_every: int | None = None  # steps between snapshots of the live latent map (latent_history); None: none
    log_every: int = 10
    seed: int = 0
    device: str = "auto"  # one of DEVICES
    threads: int | None = None
    precision: str = "auto"  # one of precision.PRECISIONS: auto takes bf16 only where the hardware runs it natively

    def __post_init__(self) -> None:
        what = "Training setting"
        check_fields(self, what)
        check_range(what, "epochs", self.epochs, 1, 10_000)
        check_range(what, "batch_size", self.batch_size, 1, 4096)
        check_range(what, "lr", self.lr, 0, 1, low_open=True)
        if self.fine_tune_lr is not None:
            check_range(what, "fine_tune_lr", self.fine_tune_lr, 0, 1, low_open=True)
        if self.max_minutes is not None:
            check_range(what, "max_minutes", self.max_minutes, 0, 7 * 24 * 60, low_open=True)
        check_range(what, "free_bits", self.free_bits, 0, 10)
        check_range(what, "pretrain_epochs", self.pretrain_epochs, 0, 10_000)
        check_range(what, "grad_clip", self.grad_clip, 0, 1e6)
        for name in ("patience", "valid_every", "latent_every"):
            if getattr(self, name) is not None:
                check_range(what, name, getattr(self, name), 1, 10**9)
        check_range(what, "log_every", self.log_every, 1, 10**9)
        check_range(what, "seed", self.seed, 0, 2**63 - 1)
        if self.threads is not None:
            check_range(what, "threads", self.threads, 1, 1024)
        if self.lr_schedule not in LR_SCHEDULES:
            raise TextVAEError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, not {self.lr_schedule!r}.")
        if self.precision not in PRECISIONS:
            raise TextVAEError(f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}.")
        if self.device not in DEVICES:
            raise TextVAEError(f"device must be {', '.join(DEVICES[:-1])} or {DEVICES[-1]}, not {self.device!r}.")
        self.schedule()  # validates the schedule settings

    def for_base(self) -> TrainConfig:
        """These settings for fine-tuning a base model: ``fine_tune_lr``, when set, becomes the learning rate (text
        close to the base's own keeps more of what the base knew at a lower rate; benchmarks/README.md)."""
        return self if self.fine_tune_lr is None else replace(self, lr=self.fine_tune_lr)

    def schedule(self) -> BetaSchedule:
        return BetaSchedule(self.kl_schedule, self.beta_max, self.kl_warmup, self.kl_cycles, self.kl_ratio)

    def learning_rate(self, progress: float) -> float:
        """The step size at ``progress`` in [0, 1] (see :func:`textvae.schedules.learning_rate`)."""
        return learning_rate(self.lr_schedule, self.lr, progress)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        if not isinstance(data, dict):
            raise TextVAEError("The training settings must be a JSON object.")
        known = {f.name for f in fields(cls)}
        if "bf16" in data and "precision" not in data:  # bundles saved before --precision: bf16 was a switch
            data = {**data, "precision": "bf16" if data["bf16"] is True else "fp32"}
        return cls(**{k: v for k, v in data.items() if k in known})


TOKENIZER_KINDS = ("bpe", "word")


@dataclass
class TokenizerConfig:
    kind: str = "bpe"  # byte-level: no unknown words in any script; "word" for PTB-style benchmarks
    vocab_size: int = 10_000
    min_frequency: int = 1
    lowercase: bool = False

    def __post_init__(self) -> None:
        check_fields(self, "Tokenizer setting")
