"""Text from latent codes: greedy, sampling (temperature, top-k, top-p) and beam search, batched;
and what people do with them: prior samples, reconstructions, variations, interpolations,
latent arithmetic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from .data import collate, encode_sentences
from .decoder_step import decoder_step
from .draw import draw
from .errors import TextVAEError
from .model import SentenceVAE
from .sentence_shape import ShapeGuard, shape_guard
from .special_tokens import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from .tokenizer import TextTokenizer
from .validation import check_fields, check_range
from .word_guard import CANDIDATES, START, WordGuard, word_guard

if TYPE_CHECKING:
    from .code_region import CodeRegion

METHODS = ("greedy", "sample", "beam")


@dataclass
class DecodeOptions:
    method: str = "greedy"
    # Below 1 favours the likelier words: at 0.8 a one-minute model's samples break less ("the d stupor"); 1 is the
    # model's own distribution.
    temperature: float = 0.8
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0
    beam_width: int = 4
    # Longest output in tokens; None: the model's own limit (config.max_length, its longest training sentence). A
    # fixed 40 cut a quarter of the samples of a novel's model mid-sentence (novel sentences run to 64 tokens).
    max_length: int | None = None
    # Text a person reads: no n-gram of this many tokens twice in one sentence (0: off), and never <unk>.
    # Evaluation turns both off: a metric must score the model, not the guard.
    no_repeat_ngram: int = 3
    allow_unknown: bool = False
    known_words: bool = True  # only words of the training text, greedy and sampling (textvae.word_guard)
    sentence_shape: bool = True  # begin, end and punctuate as the training text does (textvae.sentence_shape)
    tidy: bool = True  # no space after an opening quote or bracket, none before closing punctuation (see tidy_spacing)
    # Display speed-ups where they apply (textvae.decoder_step: the output layer in int8, the decoder's input
    # projections looked up); every decoding a metric scores runs the plain fp32 modules.
    fast: bool = True

    def __post_init__(self) -> None:
        check_fields(self, "Decoding setting")
        if self.method not in METHODS:
            raise TextVAEError(f"Decoding method must be one of {', '.join(METHODS)}, not {self.method!r}.")
        if not 0.05 <= self.temperature <= 10.0:
            raise TextVAEError("temperature must be between 0.05 and 10.")
        if not 0.0 < self.top_p <= 1.0 or self.top_k < 0:
            raise TextVAEError("top_p must be in (0, 1] and top_k >= 0.")
        if not 1 <= self.beam_width <= 32 or (self.max_length is not None and not 1 <= self.max_length <= 1024):
            raise TextVAEError("beam_width must be 1..32 and max_length 1..1024.")
        check_range("Decoding setting", "no_repeat_ngram", self.no_repeat_ngram, 0, 16)


# Decoding for metrics: what the model itself prefers, with no guard.
UNGUARDED = {
    "no_repeat_ngram": 0,
    "allow_unknown": True,
    "known_words": False,
    "sentence_shape": False,
    "tidy": False,
    "fast": False,
}

_AFTER_OPENING = re.compile(r"([“‘«(\[¿¡]) +")
_BEFORE_CLOSING = re.compile(r" +([”’»)\].,;:!?…])")


def tidy_spacing(text: str) -> str:
    """A generated sentence spaced as a person writes it: a model may put a word-start token after “ or before
    ” (“ finally ,” -> “finally,”); the tokenizer's own decoding stays exact, this is for display only."""
    return _BEFORE_CLOSING.sub(r"\1", _AFTER_OPENING.sub(r"\1", text))


def _texts(tokenizer: TextTokenizer, ids: list[list[int]], options: DecodeOptions | None) -> list[str]:
    texts = tokenizer.decode_batch(ids)
    return [tidy_spacing(t) for t in texts] if (options or DecodeOptions()).tidy else texts


def _banned_tokens(history: list[list[int]], n: int) -> list[tuple[int, int]]:
    """(row, token) pairs that would repeat an n-gram already in that row's history (Paulus et al. 2018)."""
    banned = []
    if n <= 0:
        return banned
    for row, ids in enumerate(history):
        if len(ids) < n:
            continue
        prefix = tuple(ids[len(ids) - n + 1 :]) if n > 1 else ()
        for start in range(len(ids) - n + 1):
            if tuple(ids[start : start + n - 1]) == prefix:
                banned.append((row, ids[start + n - 1]))
    return banned


def _guard(logits: Tensor, history: list[list[int]], options: DecodeOptions, shape: ShapeGuard | None) -> Tensor:
    """Logits with the tokens decoding must not emit set to -inf: never pad or bos, <unk> and repeats
    unless the options allow them, and what breaks the sentence shape (``shape``, when given)."""
    logits[:, [PAD_ID, BOS_ID]] = float("-inf")
    if shape is not None:
        shape.mask(logits, history)
    if not options.allow_unknown:
        logits[:, UNK_ID] = float("-inf")
    banned = _banned_tokens(history, options.no_repeat_ngram)
    if banned:
        rows, tokens = zip(*banned, strict=True)
        logits[list(rows), list(tokens)] = float("-inf")
    return logits


def _filter_logits(logits: Tensor, options: DecodeOptions) -> Tensor:
    logits = logits / options.temperature
    if options.top_k:
        kth = torch.topk(logits, min(options.top_k, logits.size(-1))).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if options.top_p < 1.0:
        sorted_logits, order = logits.sort(descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        drop = cumulative - sorted_logits.softmax(-1) > options.top_p  # keep the token that crosses p
        logits = logits.masked_fill(drop.scatter(1, order, drop), float("-inf"))
    return logits


@torch.no_grad()
def decode_latent(
    model: SentenceVAE,
    z: Tensor,
    options: DecodeOptions | None = None,
    generator: torch.Generator | None = None,
    words: WordGuard | None = None,
    shape: ShapeGuard | None = None,
) -> list[list[int]]:
    """Token ids (eos excluded) for each row of z; with ``words`` (and ``options.known_words``), greedy and
    sampling write only known words (beam search is not guarded); with ``shape`` (and
    ``options.sentence_shape``), sentences begin, end and are punctuated as the training text's are."""
    options = options or DecodeOptions()
    words = words if options.known_words else None
    shape = shape if options.sentence_shape else None
    model.eval()
    z = z.to(model.device, torch.float32)
    if options.method == "beam" and options.beam_width > 1:
        return _beam_search(model, z, options, shape)
    n = z.size(0)
    tokens = torch.full((n,), BOS_ID, dtype=torch.long, device=model.device)
    step, state, out = decoder_step(model, z, options.fast), None, []
    history: list[list[int]] = [[] for _ in range(n)]
    done = torch.zeros(n, dtype=torch.bool, device=model.device)
    writing = [START] * n  # each row's word in progress, for the word guard
    for _ in range(length_limit(model, options)):
        logits, state = step(tokens, state)
        logits = _guard(logits, history, options, shape)
        if options.method == "sample":
            probs = _filter_logits(logits, options).softmax(-1)
            # a NaN or an infinity anywhere makes the sum NaN or infinite: 10x cheaper than checking every probability
            if not math.isfinite(float(probs.sum())):  # only weights far outside any trained range do this
                raise TextVAEError(
                    "The model gives invalid (NaN or infinite) probabilities, so its weights are broken; "
                    "retrain it or use greedy decoding."
                )
            if words is None:
                tokens = draw(probs, generator).squeeze(1)
            else:
                drawn = draw(probs, generator, CANDIDATES).tolist()  # one call for every row: most take the first
                chosen = [
                    words.sample(probs[r], writing[r], generator, logits[r], drawn[r]) if not d else EOS_ID
                    for r, d in rows(done)
                ]
                tokens = torch.tensor(chosen, device=probs.device)
        elif words is None:
            tokens = logits.argmax(-1)
        else:
            chosen = [words.greedy(logits[r], writing[r]) if not d else EOS_ID for r, d in rows(done)]
            tokens = torch.tensor(chosen, device=logits.device)
        tokens = tokens.masked_fill(done, EOS_ID)
        if words is not None:
            writing = [words.advance(w, t) for w, t in zip(writing, tokens.tolist(), strict=True)]
        out.append(tokens)
        for row, token in enumerate(tokens.tolist()):
            history[row].append(token)
        done |= tokens == EOS_ID
        if bool(done.all()):
            break
    return _finished(torch.stack(out, 1).tolist(), shape)


def length_limit(model: SentenceVAE, options: DecodeOptions) -> int:
    """The most tokens a decoding writes: the options' max_length, else the longest sentence the model learnt."""
    return options.max_length or model.config.max_length


def rows(done: Tensor) -> list[tuple[int, bool]]:
    """(row, finished) for each row of a batch being decoded."""
    return list(enumerate(done.tolist()))


def decode_texts(
    model: SentenceVAE, tokenizer: TextTokenizer, z: Tensor, options: DecodeOptions | None = None
) -> list[str]:
    """The sentence each row of z decodes to, spaced for reading (greedy unless the options say otherwise)."""
    return _texts(tokenizer, decode_latent(model, z, options, None, *guards(tokenizer)), options)


def guards(tokenizer: TextTokenizer) -> tuple[WordGuard | None, ShapeGuard | None]:
    """The display guards a tokenizer carries: its known words and its sentences' shape (None where it has none)."""
    return word_guard(tokenizer), shape_guard(tokenizer)


def _finished(rows: list[list[int]], shape: ShapeGuard | None) -> list[list[int]]:
    """Each row up to its end of sentence; with a shape guard, a row the length limit cut is shown up to its last
    ending, where it has one."""
    return [_until_eos(row) if EOS_ID in row or shape is None else shape.trim(row) for row in rows]


def _until_eos(ids: list[int]) -> list[int]:
    return ids[: ids.index(EOS_ID)] if EOS_ID in ids else ids


def _beam_search(
    model: SentenceVAE, z: Tensor, options: DecodeOptions, shape: ShapeGuard | None, length_penalty: float = 0.7
) -> list[list[int]]:
    n, w, v = z.size(0), options.beam_width, model.config.vocab_size
    zb = z.repeat_interleave(w, 0)
    tokens = torch.full((n * w,), BOS_ID, dtype=torch.long, device=z.device)
    scores = torch.full((n, w), float("-inf"), device=z.device)
    scores[:, 0] = 0.0  # all beams start identical: expand only the first
    history = torch.empty((n * w, 0), dtype=torch.long, device=z.device)
    finished = torch.zeros(n * w, dtype=torch.bool, device=z.device)
    lengths = torch.zeros(n * w, device=z.device)
    step, state = decoder_step(model, zb, options.fast), None
    for _ in range(length_limit(model, options)):
        logits, state = step(tokens, state)
        logp = _guard(logits, history.tolist(), options, shape).log_softmax(-1)
        # A finished beam may only continue with eos at no cost.
        logp = torch.where(finished.unsqueeze(1), torch.full_like(logp, float("-inf")), logp)
        logp[finished, EOS_ID] = 0.0
        total = (scores.view(-1, 1) + logp).view(n, w * v)
        scores, flat = total.topk(w, dim=1)
        parent = (flat // v + torch.arange(n, device=z.device).unsqueeze(1) * w).view(-1)
        tokens = (flat % v).view(-1)
        state = state[:, parent] if not isinstance(state, tuple) else tuple(s[:, parent] for s in state)
        history = torch.cat([history[parent], tokens.unsqueeze(1)], 1)
        lengths = lengths[parent] + (~finished[parent]).float()
        finished = finished[parent] | (tokens == EOS_ID)
        if bool(finished.all()):
            break
    normalised = (scores.view(-1) / lengths.clamp(min=1) ** length_penalty).view(n, w)
    best = normalised.argmax(1) + torch.arange(n, device=z.device) * w
    return _finished(history[best].tolist(), shape)


# ---------------------------------------------------------------- sentence-level helpers


def posterior(model: SentenceVAE, tokenizer: TextTokenizer, sentences: list[str]) -> tuple[Tensor, Tensor]:
    """mu, logvar of q(z|x) for a few typed sentences (in order). Empty input is refused."""
    if (
        isinstance(sentences, str)
        or not isinstance(sentences, (list, tuple))
        or not all(isinstance(s, str) for s in sentences)
    ):
        raise TextVAEError("Give the sentences as a list of strings.")
    if not sentences or any(not s.strip() for s in sentences):
        raise TextVAEError("Type a sentence: an empty one has no meaning to encode.")
    seqs = encode_sentences(tokenizer, sentences, model.config.max_length)
    model.eval()
    with torch.no_grad():
        batch = collate(seqs).to(model.device)
        return model.encode(batch.tokens, batch.lengths)


def _check_count(name: str, n: object, limit: int = 10_000) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= limit:
        raise TextVAEError(f"{name} must be a whole number between 1 and {limit}, not {n!r}.")


def _generator(seed: int | None, device: torch.device) -> torch.Generator:
    gen = torch.Generator(device=device)
    gen.manual_seed(seed if seed is not None else int(np.random.SeedSequence().entropy % 2**63))
    return gen


def sample_prior(
    model: SentenceVAE,
    tokenizer: TextTokenizer,
    n: int,
    options: DecodeOptions | None = None,
    seed: int | None = 0,
    region: CodeRegion | None = None,
) -> tuple[list[str], Tensor]:
    """n sentences from z ~ N(0, I), or from ``region`` (where a corpus's codes lie); the same seed gives the same
    sentences, and the same draws in both cases."""
    _check_count("n", n)
    gen = _generator(seed, model.device)
    z = torch.randn((n, model.config.latent_dim), generator=gen, device=model.device)
    if region is not None:
        if region.mean.numel() != z.size(1):
            raise TextVAEError(f"The region has {region.mean.numel()} dimensions; this model has {z.size(1)}.")
        z = region.draw(z)
    return _texts(tokenizer, decode_latent(model, z, options, gen, *guards(tokenizer)), options), z


def reconstruct(
    model: SentenceVAE, tokenizer: TextTokenizer, sentences: list[str], options: DecodeOptions | None = None
) -> list[str]:
    """Encode to the posterior mean and decode back: the VAE as a lossy compressor."""
    mu, _ = posterior(model, tokenizer, sentences)
    return decode_texts(model, tokenizer, mu, options)


def variations(
    model: SentenceVAE,
    tokenizer: TextTokenizer,
    sentence: str,
    n: int = 5,
    radius: float = 1.0,
    options: DecodeOptions | None = None,
    seed: int | None = 0,
) -> list[str]:
    """Posterior samples z = mu + radius * sigma * eps around one sentence."""
    _check_count("n", n)
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not math.isfinite(radius):
        raise TextVAEError(f"radius must be a number, not {radius!r}.")
    check_range("Variation setting", "radius", radius, 0.0, 100.0)
    mu, logvar = posterior(model, tokenizer, [sentence])
    gen = _generator(seed, model.device)
    eps = torch.randn((n, mu.size(1)), generator=gen, device=model.device)
    z = mu + radius * eps * torch.exp(0.5 * logvar)
    return _texts(tokenizer, decode_latent(model, z, options, gen, *guards(tokenizer)), options)


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation (White 2016): stays at the prior's typical radius."""
    omega = torch.arccos(torch.clamp((a / a.norm()) @ (b / b.norm()), -1.0, 1.0))
    if float(omega) < 1e-4:
        return torch.lerp(a.expand(len(t), -1), b.expand(len(t), -1), t.unsqueeze(1))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so).unsqueeze(1) * a + (torch.sin(t * omega) / so).unsqueeze(1) * b


@dataclass
class Interpolation:
    sentences: list[str]
    z: Tensor  # (steps, D)
    t: list[float]


def interpolate(
    model: SentenceVAE,
    tokenizer: TextTokenizer,
    a: str,
    b: str,
    steps: int = 8,
    method: str = "slerp",
    options: DecodeOptions | None = None,
) -> Interpolation:
    """Decode evenly spaced points between the posterior means of a and b (a's first, b's last)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= 100:
        raise TextVAEError("Interpolation needs between 2 and 100 steps.")
    if method not in ("slerp", "linear"):
        raise TextVAEError(f"Interpolation method must be 'slerp' or 'linear', not {method!r}.")
    mu, _ = posterior(model, tokenizer, [a, b])
    t = torch.linspace(0, 1, steps, device=model.device)
    z = (
        slerp(mu[0], mu[1], t)
        if method == "slerp"
        else torch.lerp(mu[0].expand(steps, -1), mu[1].expand(steps, -1), t.unsqueeze(1))
    )
    return Interpolation(decode_texts(model, tokenizer, z, options), z.cpu(), t.tolist())


def latent_arithmetic(
    model: SentenceVAE, tokenizer: TextTokenizer, a: str, b: str, c: str, options: DecodeOptions | None = None
) -> str:
    """Decode mu(a) - mu(b) + mu(c): sentence a, with what b means swapped for what c means."""
    mu, _ = posterior(model, tokenizer, [a, b, c])
    return decode_texts(model, tokenizer, (mu[0] - mu[1] + mu[2]).unsqueeze(0), options)[0]
