"""What each sub-command does. Heavy modules (torch among them) are imported inside the commands."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

from ..errors import TextVAEError
from ..events import TrainEvent
from ..validation import check_range
from ..verdict import verdict
from .parser import train_settings

OPTION = "Command-line option"


def decode_options(args):
    """DecodeOptions from the decoding flags; a flag not given keeps DecodeOptions' default.

    The method: beam search with --beam > 1, else greedy with --greedy, else sampling when a sampling
    option differs from its default, else the command's own default (sample draws, the others decode greedily).
    """
    from ..generation import DecodeOptions

    given = {
        "temperature": args.temperature,
        "top_k": args.top_k,
        "top_p": args.top_p,
        "max_length": args.max_length,
        "no_repeat_ngram": args.no_repeat_ngram,
    }
    options = DecodeOptions(**{k: v for k, v in given.items() if v is not None})
    defaults = DecodeOptions()
    if args.beam and args.beam > 1:
        method = "beam"
    elif args.greedy:
        method = "greedy"
    elif (options.temperature, options.top_k, options.top_p) != (defaults.temperature, defaults.top_k, defaults.top_p):
        method = "sample"
    else:
        method = args.default_method
    return dataclasses.replace(
        options,
        method=method,
        beam_width=max(args.beam, 1),
        known_words=not args.any_words,
        sentence_shape=not args.any_shape,
    )


def _load_corpus(path: str, args, lowercase: bool = False):
    from ..corpus import CorpusOptions, load_corpus

    options = CorpusOptions(
        lowercase=lowercase,
        max_words=args.max_words if "max_words" in args else CorpusOptions.max_words,
        text_column=getattr(args, "text_column", None),
        split=args.split,
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
    """Train and save. Under torchrun every process trains its part of each batch (textvae.distributed) and
    rank 0 alone saves (the others' output is silenced by ``main``)."""
    from ..bundle import check_save_target, check_writable
    from ..distributed import process_group

    check_save_target(Path(args.out))  # before training, not after minutes of it
    check_writable(Path(args.out))
    settings = train_settings(args)
    with process_group(settings[1].device) as world:
        return _train(args, *settings, save=world.is_main)


def _train(args, model: dict, training, tokenizer, save: bool) -> int:
    from ..bundle import load_bundle, save_bundle
    from ..config import TrainConfig
    from ..corpus.loading import split_summary
    from ..pipeline import train_model

    if args.resume:
        resumed = load_bundle(args.out)
        state_path = Path(args.out) / "training_state.safetensors"
        if not state_path.is_file():
            raise TextVAEError(f"{args.out} has no training state to resume from.")
        resume_state = _load_training_state(state_path)
        training = TrainConfig.from_dict(
            {**resumed.metrics.get("training", {}), "epochs": training.epochs, "max_minutes": training.max_minutes}
        )
    else:
        resumed, resume_state = None, None
    train = _load_corpus(args.corpus, args, tokenizer.lowercase)
    valid = _load_corpus(args.valid, args, tokenizer.lowercase) if args.valid else None
    for warning in train.warnings:
        print(f"note: {warning}", file=sys.stderr)
    if split := split_summary(train.report):
        print(f"note: {split[0].upper()}{split[1:]}.", file=sys.stderr)
    repeats = "same seed, data and threads give the same model"
    if training.max_minutes:
        repeats += ", unless the time budget stops it: then it depends on the machine's speed"
    print(f"training on {len(train)} sentences from {train.name} (seed {training.seed}; {repeats})", file=sys.stderr)
    base = None if args.resume else _choose_base(args, train.sentences)
    if base is not None and training.fine_tune_lr is not None:
        print(f"learning rate {training.fine_tune_lr:g} for fine-tuning (--fine-tune-lr)", file=sys.stderr)
    callbacks = [] if args.quiet else [_ProgressBar()]
    bundle, trainer = train_model(
        train,
        valid,
        model,
        training,
        tokenizer,
        callbacks=callbacks,
        name=args.name,
        resume=resumed,
        resume_state=resume_state,
        base=base,
    )
    for cb in callbacks:
        cb.close()
    if not save:
        return 0
    path = save_bundle(
        bundle, args.out, None if args.fp16_weights else trainer.training_state(), half=args.fp16_weights
    )
    v, result = bundle.metrics["valid"], bundle.metrics["result"]
    print(
        f"saved {path}  valid -ELBO {v['elbo']:.2f} = recon {v['recon']:.2f} + KL {v['kl']:.2f} nats/sentence, "
        f"active units {v['au']}/{bundle.config.latent_dim} ({result['reason']}, {result['elapsed_s']:.0f} s)",
        file=sys.stderr,
    )
    print(verdict(bundle.metrics), file=sys.stderr)
    return 0


def _choose_base(args, sentences: list[str]):
    """The base model to fine-tune: --base, or the bundled one with --preset; None for a training from scratch.

    An explicit --base that cannot be used is an error; the bundled one, when missing or unsuited to the
    text (another script), gives way to a training from scratch, and says so."""
    from ..base_model import base_dir, base_fits, load_base

    if args.from_scratch or not (args.base or args.preset):
        return None
    if args.base is None and not (base_dir() / "model.safetensors").exists():
        print(f"note: no base model in {base_dir()}; training from scratch", file=sys.stderr)
        return None
    base = load_base(args.base)
    fits, rate = base_fits(base.tokenizer, sentences)
    if not fits:
        print(
            f"note: the base model's tokenizer cuts this text into {rate:.2f} tokens a character (another script?); "
            "training from scratch with a tokenizer of its own",
            file=sys.stderr,
        )
        return None
    print(f"fine-tuning the base model ({base.name}; --from-scratch to train a new one)", file=sys.stderr)
    return base


class _ProgressBar:
    """tqdm rendering of Trainer events."""

    def __init__(self):
        self.bar = None

    def __call__(self, event: TrainEvent) -> None:
        from tqdm import tqdm

        if event["type"] == "start":
            precision = f"{event['precision']} ({event['precision_why']})"
            print(f"device: {event['device']}, precision: {precision}", file=sys.stderr)
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
            best = " *best" if event["best"] else ""
            self.bar.write(
                f"epoch {event['epoch']} step {event['step']}: valid -ELBO {event['elbo']:.2f} "
                f"(recon {event['recon']:.2f}, KL {event['kl']:.2f}, AU {event['au']}){best}"
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_evaluate(args) -> int:
    from ..bundle import load_bundle
    from ..data import encode_sentences
    from ..evaluation import evaluate

    check_range(OPTION, "--iw-samples", args.iw_samples, 1, 5000)
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
            "bits_per_char",
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
    from ..bundle import load_bundle
    from ..generation import sample_prior

    check_range(OPTION, "-n", args.n, 1, 10_000)
    bundle = load_bundle(args.model)
    region = None
    if args.near is not None:
        from ..code_region import corpus_region

        region = corpus_region(bundle.model, bundle.tokenizer, _load_corpus(args.near, args).sentences)
        print(f"codes drawn where {region.sentences} sentences of {args.near} lie", file=sys.stderr)
    options = decode_options(args)
    sentences, _ = sample_prior(bundle.model, bundle.tokenizer, args.n, options, seed=args.seed, region=region)
    print("\n".join(sentences))
    return 0


def cmd_interpolate(args) -> int:
    from ..bundle import load_bundle
    from ..generation import interpolate

    bundle = load_bundle(args.model)
    path = interpolate(bundle.model, bundle.tokenizer, args.a, args.b, args.steps, args.method, decode_options(args))
    print("\n".join(path.sentences))
    return 0


def cmd_reconstruct(args) -> int:
    from ..bundle import load_bundle
    from ..generation import reconstruct

    bundle = load_bundle(args.model)
    print("\n".join(reconstruct(bundle.model, bundle.tokenizer, args.sentences, decode_options(args))))
    return 0


def cmd_encode(args) -> int:
    import numpy as np

    from ..bundle import load_bundle
    from ..latent import encode_corpus

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


def cmd_map(args) -> int:
    import csv
    import time

    from ..bundle import load_bundle
    from ..latent import latent_map
    from ..validation import check_range

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise TextVAEError("--out must end in .csv")
    check_range("Map setting", "limit", args.limit, 3, 1_000_000)
    check_range("Map setting", "clusters", args.clusters, 1, 100)
    check_range("Map setting", "seed", args.seed, 0, 2**32 - 1)
    bundle = load_bundle(args.model)
    corpus = _load_corpus(args.corpus, args)
    start = time.perf_counter()
    mapped = latent_map(
        bundle.model,
        bundle.tokenizer,
        corpus.sentences,
        corpus.labels,
        args.method,
        args.dims,
        args.limit,
        args.clusters,
        args.seed,
    )
    seconds = time.perf_counter() - start
    words = mapped.cluster_keywords()
    out.parent.mkdir(parents=True, exist_ok=True)
    axes = ["x", "y", "z"][: args.dims]
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        header = ["sentence", *axes, "cluster", "cluster_label", *(["label"] if mapped.labels is not None else [])]
        writer.writerow(header)
        for i, sentence in enumerate(mapped.sentences):
            label = [mapped.labels[i]] if mapped.labels is not None else []
            coords = [f"{v:.5g}" for v in mapped.coords[i]]
            cluster = int(mapped.clusters[i])
            writer.writerow([sentence, *coords, cluster + 1, ", ".join(words[cluster]), *label])
    print(
        f"wrote {len(mapped.sentences):,} sentences ({args.method}, {args.dims}D, seed {args.seed}) to {out} "
        f"in {seconds:.1f} s (encoding and layout)",
        file=sys.stderr,
    )
    return 0
