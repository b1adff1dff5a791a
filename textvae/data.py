"""Token id sequences -> length-bucketed, padded batches.

Sorting by length before cutting batches means almost every batch holds
sentences of one length: no padding, no packing, no wasted compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .errors import TextVAEError
from .model import BOS_ID, EOS_ID, PAD_ID
from .tokenizer import TextTokenizer


@dataclass
class Batch:
    tokens: Tensor  # (B, T) encoder input, padded
    lengths: Tensor  # (B,)
    dec_input: Tensor  # (B, T+1) <bos> w1 .. wn
    target: Tensor  # (B, T+1) w1 .. wn <eos>
    mask: Tensor  # (B, T+1) True on real target tokens
    index: Tensor  # (B,) positions in the source list

    @property
    def size(self) -> int:
        return self.tokens.size(0)

    @property
    def n_predicted(self) -> int:
        """Predicted tokens, end-of-sentence included (how tokens/s and perplexity count)."""
        return int(self.lengths.sum()) + self.size

    def to(self, device: torch.device | str) -> Batch:
        return Batch(
            *(
                t.to(device, non_blocking=True)
                for t in (self.tokens, self.lengths, self.dec_input, self.target, self.mask, self.index)
            )
        )


ENCODE_CHUNK = 2048  # sentences per tokenizer call; one call over a whole corpus holds ~3 KB per sentence at once


def encode_sentences(
    tokenizer: TextTokenizer, sentences: list[str], max_tokens: int, keep_next: bool = False
) -> list[list[int]]:
    """Token ids per sentence, truncated to ``max_tokens``; a sentence with no token gets <unk>.

    With ``keep_next`` (training data), a longer sentence keeps one token more: ``collate(..., limit=max_tokens)``
    makes it the target after the last input token, so a cut sentence never teaches the model to end there."""
    keep = max_tokens + 1 if keep_next else max_tokens
    shared = list(
        range(tokenizer.vocab_size)
    )  # one int object per id, not one per token: 8 bytes a token instead of 36
    ids: list[list[int]] = []
    for start in range(0, len(sentences), ENCODE_CHUNK):
        for seq in tokenizer.encode_batch(sentences[start : start + ENCODE_CHUNK]):
            ids.append([shared[i] for i in seq[:keep]] if seq else [tokenizer.unk_id])
    return ids


def collate(sequences: list[list[int]], index: list[int] | None = None, limit: int | None = None) -> Batch:
    """One padded batch. A sequence longer than ``limit`` was cut (``encode_sentences(..., keep_next=True)``):
    its first ``limit`` tokens are the input, and the target after them is its next token, not <eos>."""
    if not sequences:
        raise TextVAEError("Nothing to encode.")
    after = [seq[limit] if limit is not None and len(seq) > limit else EOS_ID for seq in sequences]
    sequences = [seq[:limit] for seq in sequences] if limit is not None else sequences
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    width = int(lengths.max())
    tokens = torch.full((len(sequences), width), PAD_ID, dtype=torch.long)
    target = torch.full((len(sequences), width + 1), PAD_ID, dtype=torch.long)
    for row, seq in enumerate(sequences):
        tokens[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        target[row, len(seq)] = after[row]
    target[:, :width] = torch.where(tokens != PAD_ID, tokens, target[:, :width])
    dec_input = torch.cat([torch.full((len(sequences), 1), BOS_ID, dtype=torch.long), tokens], dim=1)
    mask = torch.arange(width + 1).unsqueeze(0) <= lengths.unsqueeze(1)
    index_t = torch.tensor(index if index is not None else range(len(sequences)), dtype=torch.long)
    return Batch(tokens, lengths, dec_input, target, mask, index_t)


def bucketed_batches(
    lengths: list[int], batch_size: int, shuffle: bool, rng: np.random.Generator | None = None
) -> list[list[int]]:
    """Index lists grouped by length (random tie-breaks), batch order shuffled when training."""
    if batch_size < 1:
        raise TextVAEError("batch_size must be at least 1.")
    order = (
        np.lexsort((rng.random(len(lengths)), np.asarray(lengths)))
        if shuffle and rng is not None
        else np.argsort(np.asarray(lengths), kind="stable")
    )
    batches = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    if shuffle and rng is not None:
        rng.shuffle(batches)
    return batches


def iterate_batches(
    sequences: list[list[int]], batch_size: int, shuffle: bool = False, rng: np.random.Generator | None = None
):
    """Yield Batches over ``sequences``; ``Batch.index`` maps rows back to positions."""
    for idx in bucketed_batches([len(s) for s in sequences], batch_size, shuffle, rng):
        yield collate([sequences[i] for i in idx], idx)
