"""Command line: python -m textvae train|evaluate|sample|interpolate|reconstruct|encode|inspect.

Every user error prints one line ("error: ...") and exits with status 2; no tracebacks.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .cli_inspect import add_inspect_parser, cmd_inspect
from .errors import TextVAEError

SEED_HELP = "random seed; the same seed, data and --threads give the same result (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _decode_args(p: argparse.ArgumentParser, default_method: str = "greedy") -> None:
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default: %(default)s)")
    p.add_argument("--top-k", type=int, default=0, help="sample only from the k likeliest tokens (0: all)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (default: %(default)s)")
    p.add_argument("--beam", type=int, default=0, help="beam width; > 1 uses beam search")
    p.add_argument(
        "--greedy", action="store_true", help="greedy decoding (the default unless sampling options are given)"
    )
    p.add_argument("--max-length", type=int, default=40, help="longest output in tokens (default: %(default)s)")
    p.set_defaults(default_method=default_method)


def _decode_options(args):
    from .generation import DecodeOptions

    if args.beam and args.beam > 1:
        method = "beam"
    elif args.greedy:
        method = "greedy"
    elif args.temperature != 1.0 or args.top_k or args.top_p < 1.0:
        method = "sample"
    else:
        method = args.default_method
    return DecodeOptions(
        method=method,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        beam_width=max(args.beam, 1),
        max_length=args.max_length,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m textvae", description="Train and use sentence VAEs.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a model on a corpus and save a bundle")
    t.add_argument("corpus", help=".txt, .md, .csv or .tsv file")
    t.add_argument("--out", required=True, help="bundle folder to write")
    t.add_argument("--valid", help="validation corpus (default: 10%% of CORPUS, seeded)")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--max-minutes", type=float, default=None, help="stop after this many minutes")
    t.add_argument("--latent-dim", type=int, default=32)
    t.add_argument("--hidden", type=int, default=256)
    t.add_argument("--embed", type=int, default=256)
    t.add_argument("--rnn", choices=["gru", "lstm"], default="gru")
    t.add_argument("--kl-schedule", choices=["cyclical", "linear", "logistic", "constant"], default="cyclical")
    t.add_argument("--kl-cycles", type=int, default=4)
    t.add_argument("--free-bits", type=float, default=None, help="KL floor per latent dimension in nats")
    t.add_argument("--bn-vae", action="store_true", help="batch-normalise mu (BN-VAE) to prevent posterior collapse")
    t.add_argument("--pretrain-epochs", type=int, default=0, help="autoencoder pretraining epochs (Li et al. 2019)")
    t.add_argument("--word-dropout", type=float, default=None)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument(
        "--lr-schedule",
        choices=["cosine", "constant"],
        default="cosine",
        help="cosine: the learning rate falls to 5%% of --lr by the end (default: %(default)s)",
    )
    t.add_argument("--patience", type=int, default=None, help="stop after this many validations without improvement")
    t.add_argument("--vocab-size", type=int, default=10_000)
    t.add_argument("--min-frequency", type=int, default=1, help="drop words seen fewer times from the vocabulary")
    t.add_argument("--tokenizer", choices=["word", "bpe"], default="word")
    t.add_argument("--lowercase", action="store_true")
    t.add_argument("--max-words", type=int, default=40, help="truncate longer sentences (default: %(default)s)")
    t.add_argument("--text-column", help="text column of a .csv/.tsv")
    t.add_argument(
        "--split",
        choices=["auto", "lines", "prose"],
        default="auto",
        help="lines: one sentence a line, never split; prose: split paragraphs into sentences; auto: decide per file (default)",
    )
    t.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    t.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    t.add_argument("--bf16", action="store_true", help="bfloat16 autocast (faster on CPUs with AVX-512 BF16/AMX)")
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    t.add_argument("--name", default=None, help="model name shown in the app (default: the corpus file name)")
    t.add_argument(
        "--fp16-weights",
        action="store_true",
        help="store weights as float16 (half the size; cannot be resumed exactly)",
    )
    t.add_argument("--resume", action="store_true", help="continue the bundle in --out from its saved training state")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    e = sub.add_parser("evaluate", help="ELBO, IW-NLL, perplexity, MI, active units, reconstruction")
    e.add_argument("model", help="bundle folder or .zip")
    e.add_argument("corpus")
    e.add_argument("--iw-samples", type=int, default=50, help="importance samples for the NLL (500 for papers)")
    e.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--max-words", type=int, default=1000, help="truncate longer sentences (default: %(default)s)")
    e.add_argument(
        "--split",
        choices=["auto", "lines", "prose"],
        default="auto",
        help="lines: one sentence a line, never split; prose: split paragraphs into sentences; auto: decide per file (default)",
    )

    s = sub.add_parser("sample", help="sentences from the prior, one a line")
    s.add_argument("model")
    s.add_argument("-n", type=int, default=10)
    s.add_argument("--seed", type=int, default=0, help=SEED_HELP)
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
    n.add_argument(
        "--split",
        choices=["auto", "lines", "prose"],
        default="auto",
        help="lines: one sentence a line, never split; prose: split paragraphs into sentences; auto: decide per file (default)",
    )
    add_inspect_parser(sub)
    return parser


def _load_corpus(path: str, args=None):
    from .corpus import CorpusOptions, load_corpus

    options = CorpusOptions(
        lowercase=getattr(args, "lowercase", False),
        max_words=getattr(args, "max_words", 40),
        text_column=getattr(args, "text_column", None),
        split=getattr(args, "split", "auto"),
    )
    return load_corpus(path, options=options)


def _load_training_state(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise TextVAEError(
            f"{path} is corrupt ({str(exc)[:120]}); train from scratch into a new folder instead of resuming."
        ) from exc


def cmd_train(args) -> int:
    from .bundle import check_save_target, load_bundle, save_bundle
    from .config import TokenizerConfig, TrainConfig
    from .pipeline import train_model

    check_save_target(Path(args.out))  # before training, not after minutes of it
    if args.resume:
        resumed = load_bundle(args.out)
        state_path = Path(args.out) / "training_state.safetensors"
        if not state_path.is_file():
            raise TextVAEError(f"{args.out} has no training state to resume from.")
        resume_state = _load_training_state(state_path)
        training = TrainConfig.from_dict(
            {**resumed.metrics.get("training", {}), "epochs": args.epochs, "max_minutes": args.max_minutes}
        )
    else:
        resumed, resume_state = None, None
        training = TrainConfig(
            epochs=args.epochs,
            max_minutes=args.max_minutes,
            batch_size=args.batch_size,
            lr=args.lr,
            lr_schedule=args.lr_schedule,
            kl_schedule=args.kl_schedule,
            kl_cycles=args.kl_cycles,
            pretrain_epochs=args.pretrain_epochs,
            patience=args.patience,
            seed=args.seed,
            device=args.device,
            threads=args.threads,
            bf16=args.bf16,
            **({"free_bits": args.free_bits} if args.free_bits is not None else {}),
        )
    model = {
        "latent_dim": args.latent_dim,
        "hidden_dim": args.hidden,
        "embed_dim": args.embed,
        "rnn": args.rnn,
        "bn_vae": args.bn_vae,
    }
    if args.word_dropout is not None:
        model["word_dropout"] = args.word_dropout
    train = _load_corpus(args.corpus, args)
    valid = _load_corpus(args.valid, args) if args.valid else None
    for warning in train.warnings:
        print(f"note: {warning}", file=sys.stderr)
    print(
        f"training on {len(train)} sentences from {train.name} (seed {training.seed}; same seed, data and threads give the same model)",
        file=sys.stderr,
    )
    callbacks = [] if args.quiet else [_ProgressBar()]
    bundle, trainer = train_model(
        train,
        valid,
        model,
        training,
        TokenizerConfig(args.tokenizer, args.vocab_size, args.min_frequency, args.lowercase),
        callbacks=callbacks,
        name=args.name,
        resume=resumed,
        resume_state=resume_state,
    )
    for cb in callbacks:
        cb.close()
    path = save_bundle(
        bundle, args.out, None if args.fp16_weights else trainer.training_state(), half=args.fp16_weights
    )
    v = bundle.metrics["valid"]
    print(
        f"saved {path}  valid -ELBO {v['elbo']:.2f} = recon {v['recon']:.2f} + KL {v['kl']:.2f} nats/sentence, active units {v['au']}/{bundle.config.latent_dim}"
        f" ({bundle.metrics['result']['reason']}, {bundle.metrics['result']['elapsed_s']:.0f} s)",
        file=sys.stderr,
    )
    return 0


class _ProgressBar:
    """tqdm rendering of Trainer events."""

    def __init__(self):
        self.bar = None

    def __call__(self, event: dict) -> None:
        from tqdm import tqdm

        if event["type"] == "start":
            self.bar = tqdm(
                total=event["total_steps"],
                unit="step",
                dynamic_ncols=True,
                file=sys.stderr,
                mininterval=0.2 if sys.stderr.isatty() else 30,
            )
        elif event["type"] == "step" and self.bar is not None:
            self.bar.update(event["step"] - self.bar.n)
            self.bar.set_postfix(
                epoch=event["epoch"],
                loss=f"{event['loss']:.1f}",
                kl=f"{event['kl']:.2f}",
                beta=f"{event['beta']:.2f}",
                tok_s=f"{event['tokens_per_s']:.0f}",
                refresh=False,
            )
        elif event["type"] == "valid" and self.bar is not None and "elbo" in event:
            self.bar.write(
                f"epoch {event['epoch']} step {event['step']}: valid -ELBO {event['elbo']:.2f} (recon {event['recon']:.2f}, KL {event['kl']:.2f}, AU {event['au']}){' *best' if event['best'] else ''}"
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_evaluate(args) -> int:
    from .bundle import load_bundle
    from .data import encode_sentences
    from .evaluation import evaluate

    if not 1 <= args.iw_samples <= 5000:
        raise TextVAEError("--iw-samples must be between 1 and 5000.")
    bundle = load_bundle(args.model)
    corpus = _load_corpus(args.corpus, args)
    seqs = encode_sentences(bundle.tokenizer, corpus.sentences, bundle.config.max_length)
    metrics = evaluate(bundle.model, bundle.tokenizer, seqs, iw_samples=args.iw_samples, seed=args.seed)
    metrics["unknown_rate"] = bundle.tokenizer.unknown_rate(corpus.sentences)
    if metrics["unknown_rate"] > 0.3:
        print(
            f"note: {metrics['unknown_rate']:.0%} of the tokens are unknown to this model's vocabulary; "
            "the scores say little about this corpus",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(metrics))
    else:
        for key in (
            "n_sentences",
            "elbo",
            "recon",
            "kl",
            "nll_iw",
            "ppl",
            "mi",
            "au",
            "recon_token_acc",
            "bleu",
            "unknown_rate",
        ):
            value = metrics[key]
            print(f"{key:16s} {value:.4f}" if isinstance(value, float) else f"{key:16s} {value}")
    return 0


def cmd_sample(args) -> int:
    from .bundle import load_bundle
    from .generation import sample_prior

    if not 1 <= args.n <= 10_000:
        raise TextVAEError("-n must be between 1 and 10000.")
    bundle = load_bundle(args.model)
    sentences, _ = sample_prior(bundle.model, bundle.tokenizer, args.n, _decode_options(args), seed=args.seed)
    print("\n".join(sentences))
    return 0


def cmd_interpolate(args) -> int:
    from .bundle import load_bundle
    from .generation import interpolate

    bundle = load_bundle(args.model)
    path = interpolate(bundle.model, bundle.tokenizer, args.a, args.b, args.steps, args.method, _decode_options(args))
    print("\n".join(path.sentences))
    return 0


def cmd_reconstruct(args) -> int:
    from .bundle import load_bundle
    from .generation import reconstruct

    bundle = load_bundle(args.model)
    print("\n".join(reconstruct(bundle.model, bundle.tokenizer, args.sentences, _decode_options(args))))
    return 0


def cmd_encode(args) -> int:
    import numpy as np

    from .bundle import load_bundle
    from .latent import encode_corpus

    out = Path(args.out)
    if out.suffix != ".npy":
        raise TextVAEError("--out must end in .npy")
    bundle = load_bundle(args.model)
    corpus = _load_corpus(args.corpus, args)
    z = encode_corpus(bundle.model, bundle.tokenizer, corpus.sentences)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.save(out, z)
    print(f"wrote {z.shape[0]} x {z.shape[1]} posterior means to {out}", file=sys.stderr)
    return 0


COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "sample": cmd_sample,
    "interpolate": cmd_interpolate,
    "reconstruct": cmd_reconstruct,
    "encode": cmd_encode,
    "inspect": cmd_inspect,
}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run one command. Every failure prints exactly one line, "error: ...", and returns non-zero."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except TextVAEError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (OSError, MemoryError) as exc:
        print(f"error: {exc.__class__.__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("TEXTVAE_DEBUG"):
            raise
        print(
            f"error: internal error ({exc.__class__.__name__}: {_one_line(exc)[:300]}); this is a bug in textvae, "
            "please report it (set TEXTVAE_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 70
