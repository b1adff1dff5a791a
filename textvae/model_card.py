"""A model card: what a bundle says about itself (data, size, training, precision, held-out metrics), each fact
with one line in plain words, for readers who never trained a model. Plain strings, no HTML."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .bundle import ModelBundle
from .verdict import budget_note, early_stop_note


@dataclass(frozen=True)
class CardRow:
    name: str
    value: str
    explanation: str


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _number(value: object, digits: int = 2) -> str | None:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return f"{value:,.{digits}f}" if is_number else None


def precision_of(metrics: dict) -> str:
    """fp32 or bf16, as the training recorded it (older bundles have only the bf16 switch)."""
    result, training = metrics.get("result") or {}, metrics.get("training") or {}
    chosen = result.get("precision") or training.get("precision")
    if chosen in ("fp32", "bf16"):
        return chosen
    return "bf16" if training.get("bf16") is True else "fp32"


def model_facts(bundle: ModelBundle) -> list[CardRow]:
    """Data, size, training time and precision."""
    metrics, config = bundle.metrics, bundle.config
    corpus, result = metrics.get("corpus") or {}, metrics.get("result") or {}
    parameters = sum(p.numel() for p in bundle.model.parameters())
    train, valid = corpus.get("train_sentences"), corpus.get("valid_sentences")
    data = f"{corpus.get('name', 'unknown corpus')}"
    if isinstance(train, int):
        data += f": {train:,} training sentences" + (f", {valid:,} held out" if isinstance(valid, int) else "")
    rows = [
        CardRow("Data", data, "What it learned from; the held-out sentences were never trained on and score it."),
        CardRow(
            "Size",
            f"{parameters:,} parameters; a code of {config.latent_dim} numbers; {bundle.tokenizer.vocab_size:,} tokens",
            f"A {config.rnn.upper()} encoder and decoder ({config.hidden_dim} units): each sentence is squeezed into "
            f"{config.latent_dim} numbers, its code z, and written back from it.",
        ),
    ]
    elapsed = result.get("elapsed_s")
    if isinstance(elapsed, (int, float)):
        epochs, steps = result.get("epochs_done"), result.get("steps")
        parts = [f"{epochs} epoch{'' if epochs == 1 else 's'}"] if isinstance(epochs, int) and epochs > 0 else []
        parts += [f"{steps:,} steps"] if isinstance(steps, int) else []  # a budget may stop it in the first epoch
        done = f" ({', '.join(parts)})" if parts else ""
        why = budget_note(metrics) or early_stop_note(metrics) or "Training ran its course."
        rows.append(CardRow("Training time", _duration(elapsed) + done, why))
    precision = precision_of(metrics)
    rows.append(
        CardRow(
            "Precision",
            precision,
            "32-bit floating point throughout."
            if precision == "fp32"
            else "bfloat16 arithmetic where the hardware runs it natively, weights kept in 32 bits.",
        )
    )
    return rows


# key in metrics["valid"], name, digits, what it means
HELD_OUT = (
    ("elbo", "−ELBO (nats a sentence)", 2, "The training objective on unseen sentences: reconstruction + KL. Lower "
     "is better."),
    ("recon", "Reconstruction (nats)", 2, "How hard it is for the decoder to write a sentence back from its code. "
     "Lower is better."),
    ("kl", "KL (nats)", 2, "How much the code carries about each sentence (× 1.44 for bits); near 0 the code is "
     "ignored (posterior collapse)."),
    ("au", "Active units", 0, "Dimensions of the code that change from sentence to sentence: the ones in use."),
    ("ppl_elbo", "Perplexity", 1, "As unsure of each next token as a choice among this many. Lower is better."),
    ("nll_iw", "−log p(x) (nats)", 2, "The model's own price of a sentence (importance-weighted): its size when "
     "compressed with the model."),
    ("bits_per_char", "Bits a character", 2, "The same price per character of text: plain UTF-8 English costs 8."),
    ("mi", "Mutual information (nats)", 2, "How much knowing the code tells about the sentence, over the corpus."),
    ("recon_token_acc", "Reconstruction accuracy", 0, "Share of tokens a greedy round trip (sentence → code → "
     "sentence) gets right, position by position."),
    ("bleu", "BLEU", 1, "Word overlap of reconstructions with the originals, 0 to 100."),
)  # fmt: skip


def held_out_metrics(bundle: ModelBundle) -> list[CardRow]:
    """The numbers of metrics.json's held-out evaluation that the bundle has, each explained."""
    valid, corpus = bundle.metrics.get("valid") or {}, bundle.metrics.get("corpus") or {}
    rows = []
    for key, name, digits, explanation in HELD_OUT:
        value = valid.get(key)
        if key == "recon_token_acc" and isinstance(value, (int, float)):
            shown = f"{value:.0%}"
        elif key == "au" and isinstance(value, int):
            shown = f"{value} of {bundle.config.latent_dim}"
        else:
            shown = _number(value, digits)
        if shown is not None:
            rows.append(CardRow(name, shown, explanation))
    unknown = corpus.get("valid_unknown_rate")
    if isinstance(unknown, (int, float)):
        rows.append(CardRow("Unknown tokens", f"{unknown:.1%}", "Held-out tokens outside the vocabulary (<unk>)."))
    return rows
