"""The command line's arguments.

Defaults and choices come from the settings dataclasses (VAEConfig, TrainConfig, TokenizerConfig,
CorpusOptions) and their constants, never restated here. ``train --preset NAME`` starts from a
preset of :mod:`textvae.presets`; a flag given on the command line overrides it. No torch here.
"""

from __future__ import annotations

import argparse
from dataclasses import MISSING, dataclass, fields
from functools import cached_property

from ..config import DEVICES, PROBE_SIZE, RNN_KINDS, TokenizerConfig, TrainConfig, VAEConfig
from ..corpus import MAX_WORDS, SPLIT_MODES, CorpusOptions
from ..precision import PRECISIONS
from ..presets import PRESETS
from ..schedules import COSINE_FLOOR, LR_SCHEDULES, SCHEDULES
from ..tokenizer import KINDS as TOKENIZER_KINDS
from ..validation import field_types

SEED_HELP = "random seed; the same seed, data and --threads give the same result"
SPLIT_HELP = "lines: one sentence a line, never split; prose: split paragraphs into sentences; auto: decide per file"
_CONFIGS = {"model": VAEConfig, "training": TrainConfig, "tokenizer": TokenizerConfig}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


@dataclass(frozen=True)
class Flag:
    """A ``train`` option that sets one field of one of the three configs."""

    name: str  # --name on the command line
    group: str  # "model", "training" or "tokenizer": the Preset attribute and the config it fills
    field: str
    help: str = ""
    choices: tuple[str, ...] | None = None
    switch: bool = False  # --name / --no-name instead of a value

    @property
    def dest(self) -> str:
        return self.name.removeprefix("--").replace("-", "_")

    @cached_property
    def default(self):
        """The config's own default for this field (what applies when neither flag nor preset sets it)."""
        f = next(f for f in fields(_CONFIGS[self.group]) if f.name == self.field)
        return None if f.default is MISSING else f.default

    @cached_property
    def type(self) -> type:
        """The field's annotated type, None aside: int or float (or str, bool)."""
        return next(t for t in field_types(_CONFIGS[self.group])[self.field] if t is not type(None))


TRAIN_FLAGS = (
    Flag("--epochs", "training", "epochs"),
    Flag("--max-minutes", "training", "max_minutes", "stop after this many minutes"),
    Flag("--latent-dim", "model", "latent_dim"),
    Flag("--hidden", "model", "hidden_dim"),
    Flag("--embed", "model", "embed_dim"),
    Flag("--rnn", "model", "rnn", choices=RNN_KINDS),
    Flag(
        "--bidirectional",
        "model",
        "bidirectional",
        "the encoder reads each sentence both ways; --no-bidirectional: left to right only, as Bowman et al. 2016 "
        "and the reference implementation (about 10%% faster to train)",
        switch=True,
    ),
    Flag("--kl-schedule", "training", "kl_schedule", choices=SCHEDULES),
    Flag("--kl-cycles", "training", "kl_cycles"),
    Flag("--free-bits", "training", "free_bits", "KL floor per latent dimension in nats"),
    Flag("--bn-vae", "model", "bn_vae", "batch-normalise mu (BN-VAE) to prevent posterior collapse", switch=True),
    Flag("--pretrain-epochs", "training", "pretrain_epochs", "autoencoder pretraining epochs (Li et al. 2019)"),
    Flag("--word-dropout", "model", "word_dropout"),
    Flag("--batch-size", "training", "batch_size"),
    Flag("--lr", "training", "lr"),
    Flag(
        "--fine-tune-lr", "training", "fine_tune_lr", "the learning rate when fine-tuning a base model (default: --lr)"
    ),
    Flag(
        "--lr-schedule",
        "training",
        "lr_schedule",
        f"cosine: the learning rate falls to {COSINE_FLOOR * 100:g}%% of --lr by the end",
        choices=LR_SCHEDULES,
    ),
    Flag("--patience", "training", "patience", "stop after this many validations without improvement"),
    Flag(
        "--latent-every",
        "training",
        "latent_every",
        f"encode {PROBE_SIZE} held-out sentences every this many steps and save the frames in the bundle, to replay "
        "the latent space forming (the app's live map)",
    ),
    Flag("--vocab-size", "tokenizer", "vocab_size"),
    Flag("--min-frequency", "tokenizer", "min_frequency", "drop words seen fewer times from the vocabulary"),
    Flag("--tokenizer", "tokenizer", "kind", choices=TOKENIZER_KINDS),
    Flag("--lowercase", "tokenizer", "lowercase", "lowercase the corpus and the vocabulary", switch=True),
    Flag("--seed", "training", "seed", SEED_HELP),
    Flag("--threads", "training", "threads", "CPU threads (default: torch's choice)"),
    Flag(
        "--precision",
        "training",
        "precision",
        "auto: bf16 autocast where the hardware runs it natively (AVX512-BF16 or AMX CPUs, CUDA compute capability "
        ">= 8.0), fp32 elsewhere; the choice is printed and saved in metrics.json",
        choices=PRECISIONS,
    ),
    Flag("--device", "training", "device", choices=DEVICES),
)


def _add_flag(p: argparse.ArgumentParser, flag: Flag) -> None:
    # default=None: a flag not given leaves the field to the preset, or to the config's default shown here
    shown = "" if flag.default is None or "default:" in flag.help else f" (default: {flag.default})"
    help_text = (flag.help + shown).strip() or None
    if flag.switch:
        p.add_argument(flag.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
    elif flag.choices:
        p.add_argument(flag.name, choices=flag.choices, default=None, help=help_text)
    else:
        p.add_argument(flag.name, type=flag.type, default=None, help=help_text)


def train_settings(args: argparse.Namespace) -> tuple[dict, TrainConfig, TokenizerConfig]:
    """(model settings, TrainConfig, TokenizerConfig) for ``train``: the config defaults, then the
    preset's values (``--preset``), then every flag given on the command line."""
    preset = PRESETS[args.preset] if args.preset else None
    values = {group: dict(getattr(preset, group)) if preset else {} for group in _CONFIGS}
    for flag in TRAIN_FLAGS:
        value = getattr(args, flag.dest)
        if value is not None:
            values[flag.group][flag.field] = value
    return values["model"], TrainConfig(**values["training"]), TokenizerConfig(**values["tokenizer"])


def add_split_argument(p: argparse.ArgumentParser) -> None:
    """``--split``, the same for every command that reads a corpus."""
    default = CorpusOptions.split
    p.add_argument("--split", choices=SPLIT_MODES, default=default, help=f"{SPLIT_HELP} (default: {default})")


def add_max_words(p: argparse.ArgumentParser, default: int) -> None:
    p.add_argument(
        "--max-words",
        type=int,
        default=default,
        help="split longer sentences into parts, cut after a clause where there is one (default: %(default)s)",
    )


def _decode_args(p: argparse.ArgumentParser, default_method: str = "greedy") -> None:
    """Decoding options; an option not given takes DecodeOptions' default (see commands.decode_options)."""
    p.add_argument(
        "--temperature",
        type=float,
        default=None,
        help="sampling temperature (default: 0.8; 1 is the model's own distribution)",
    )
    p.add_argument("--top-k", type=int, default=None, help="sample only from the k likeliest tokens (default: all)")
    p.add_argument("--top-p", type=float, default=None, help="nucleus sampling mass (default: 1, all)")
    p.add_argument("--beam", type=int, default=0, help="beam width; > 1 uses beam search")
    p.add_argument(
        "--greedy", action="store_true", help="greedy decoding (the default unless sampling options are given)"
    )
    p.add_argument(
        "--max-length",
        type=int,
        default=None,
        help="longest output in tokens (default: the model's own limit, its longest training sentence)",
    )
    p.add_argument(
        "--no-repeat-ngram",
        type=int,
        default=None,
        help="never repeat a token n-gram of this size within a sentence; 0 turns the guard off (default: 3)",
    )
    p.add_argument(
        "--any-words",
        action="store_true",
        help="let greedy and sampling write words the model never read (by default a sub-word model writes only "
        "words of its training text, never pieces joined into non-words)",
    )
    p.add_argument(
        "--any-shape",
        action="store_true",
        help="let sentences begin, end and be punctuated anyhow (by default, when nearly all training sentences end "
        "with a mark or begin with a capital, decoded ones do too; a word follows itself and two marks meet only as "
        "in the training text, and a word has a capital inside a sentence only where the training text gives it one)",
    )
    p.set_defaults(default_method=default_method)


def _add_train_parser(sub) -> None:
    t = sub.add_parser("train", help="train a model on a corpus and save a bundle")
    t.add_argument("corpus", help=".txt, .md, .csv or .tsv file")
    t.add_argument("--out", required=True, help="bundle folder to write")
    t.add_argument("--valid", help="validation corpus (default: 10%% of CORPUS, seeded)")
    t.add_argument(
        "--preset",
        choices=list(PRESETS),
        default=None,
        help="start from the app's preset (model, training and tokenizer settings); other options override it",
    )
    t.add_argument(
        "--base",
        default=None,
        help="fine-tune this pretrained bundle (its tokenizer and sizes) instead of training from scratch; "
        "with --preset the bundled base model (assets/base-model) is used unless --from-scratch",
    )
    t.add_argument(
        "--from-scratch",
        action="store_true",
        help="train a new tokenizer and model even with --preset (a teaching point: compare the two)",
    )
    for flag in TRAIN_FLAGS:
        _add_flag(t, flag)
    add_max_words(t, CorpusOptions.max_words)
    t.add_argument("--text-column", help="text column of a .csv/.tsv")
    add_split_argument(t)
    t.add_argument("--name", default=None, help="model name shown in the app (default: the corpus file name)")
    t.add_argument(
        "--fp16-weights",
        action="store_true",
        help="store weights as float16 (half the size; cannot be resumed exactly)",
    )
    t.add_argument("--resume", action="store_true", help="continue the bundle in --out from its saved training state")
    t.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    from .inspection import add_inspect_parser
    from .report import add_report_parser
    from .steering import add_steer_parser

    parser = _Parser(prog="python -m textvae", description="Train and use sentence VAEs.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_train_parser(sub)

    e = sub.add_parser("evaluate", help="ELBO, IW-NLL, perplexity, MI, active units, reconstruction")
    e.add_argument("model", help="bundle folder or .zip")
    e.add_argument("corpus")
    e.add_argument("--iw-samples", type=int, default=50, help="importance samples for the NLL (500 for papers)")
    e.add_argument("--seed", type=int, default=0, help=SEED_HELP + " (default: %(default)s)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    add_max_words(e, MAX_WORDS)
    add_split_argument(e)

    s = sub.add_parser("sample", help="sentences from random codes (the prior, or --near a corpus), one a line")
    s.add_argument("model")
    s.add_argument("-n", type=int, default=10)
    s.add_argument("--seed", type=int, default=0, help=SEED_HELP + " (default: %(default)s)")
    s.add_argument(
        "--near",
        metavar="CORPUS",
        help="draw the codes where this corpus's sentences lie (a Gaussian fitted to their codes) instead of from "
        "the prior N(0, I); with the same seed, the same draws",
    )
    add_split_argument(s)
    _decode_args(s, default_method="sample")

    i = sub.add_parser("interpolate", help="sentences on the path from A to B, one a line")
    i.add_argument("model")
    i.add_argument("a")
    i.add_argument("b")
    i.add_argument("--steps", type=int, default=8)
    i.add_argument("--method", choices=["slerp", "linear"], default="slerp")
    _decode_args(i)

    r = sub.add_parser("reconstruct", help="encode and decode each sentence, one a line")
    r.add_argument("model")
    r.add_argument("sentences", nargs="+")
    _decode_args(r)

    n = sub.add_parser("encode", help="posterior means of a corpus to a .npy file")
    n.add_argument("model")
    n.add_argument("corpus")
    n.add_argument("--out", required=True)
    add_split_argument(n)

    m = sub.add_parser("map", help="a corpus on the latent map (the app's map) to a CSV: sentence, x, y[, z], cluster")
    m.add_argument("model")
    m.add_argument("corpus")
    m.add_argument("--out", required=True, help="a .csv file")
    m.add_argument("--method", choices=("pca", "tsne"), default="pca", help="projection (default: %(default)s)")
    m.add_argument("--dims", type=int, choices=(2, 3), default=2, help="coordinates (default: %(default)s)")
    m.add_argument("--limit", type=int, default=5000, help="most sentences, a seeded sample (default: %(default)s)")
    m.add_argument("--clusters", type=int, default=8, help="k-means clusters on z (default: %(default)s)")
    m.add_argument("--seed", type=int, default=0, help="same seed, same sample and layout (default: %(default)s)")
    add_split_argument(m)
    add_inspect_parser(sub)
    add_report_parser(sub)
    add_steer_parser(sub)
    return parser
