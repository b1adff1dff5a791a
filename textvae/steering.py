"""Attribute vectors: steer a sentence's meaning along the direction between two labels' mean codes.

With a labelled corpus (sentiment: negative / positive), the difference of the two labels' mean posterior
codes is the direction in z along which the labels differ most on average ("attribute vectors", as in
Larsen et al. 2016 and White 2016). Adding a multiple of it to a sentence's code and decoding each step shows
what the model has learned the labels mean; the same direction is a map axis (a custom projection, as in the
TensorFlow Embedding Projector).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from .errors import TextVAEError
from .generation import DecodeOptions, decode_texts, posterior
from .latent import Projection, encode_corpus
from .model import SentenceVAE
from .tokenizer import TextTokenizer

REACH = 0.9  # the far end lies as far along the direction as this share of the target label's sentences
MIN_PER_LABEL = 2


@dataclass(frozen=True)
class AttributeDirection:
    """The direction from one label's mean code to another's, and how far along it the target label lies."""

    source: str
    target: str
    source_mean: np.ndarray
    target_mean: np.ndarray
    target_reach: float  # coordinate() of the REACH quantile of the target label's sentences
    typical_move: float  # target_reach - the median coordinate() of the source label's sentences
    sizes: tuple[int, int]  # sentences of the source and the target label

    @property
    def vector(self) -> np.ndarray:
        """mean(target) - mean(source): one step of this moves a code from the source mean to the target mean."""
        return self.target_mean - self.source_mean

    def coordinate(self, z: np.ndarray) -> np.ndarray:
        """Position of each code along the direction: 0 at the source label's mean, 1 at the target's."""
        d = self.vector
        return (np.atleast_2d(z) - self.source_mean) @ d / float(d @ d)

    def scale(self, z: np.ndarray) -> float:
        """k of the far end ``z + k * vector``.

        One difference of means is too little for most sentences: the labels' codes overlap, so a sentence
        moved by it usually stays among the source label's sentences. The far end instead goes as far along the
        direction as ``REACH`` (90%) of the target label's own sentences, where a classifier trained on the codes
        puts the target label. A sentence the direction already places far along moves no less than a typical
        (median) source sentence does, so that every path shows the attribute changing.
        """
        return max(self.typical_move, self.target_reach - float(self.coordinate(z)[0]))


def attribute_direction(
    z: np.ndarray, labels: list[str], source: str, target: str, reach: float = REACH
) -> AttributeDirection:
    """The direction from ``source``'s mean code to ``target``'s, from codes ``z`` and their ``labels``."""
    z = np.asarray(z, dtype=np.float64)
    if len(labels) != len(z):
        raise TextVAEError(f"{len(labels)} labels for {len(z)} codes: give one label a sentence.")
    if source == target:
        raise TextVAEError(f"Steering needs two different labels, not {source!r} twice.")
    values = np.asarray(labels, dtype=object)
    masks = [values == label for label in (source, target)]
    for label, mask in zip((source, target), masks, strict=True):
        if mask.sum() < MIN_PER_LABEL:
            known = ", ".join(sorted(set(labels))[:10]) or "none"
            raise TextVAEError(
                f"The label {label!r} has {int(mask.sum())} sentences; steering needs at least {MIN_PER_LABEL} "
                f"of each (labels: {known})."
            )
    means = [z[mask].mean(axis=0) for mask in masks]
    if not np.linalg.norm(means[1] - means[0]) > 1e-9:
        raise TextVAEError(f"The sentences labelled {source!r} and {target!r} have the same mean code.")
    sizes = (int(masks[0].sum()), int(masks[1].sum()))
    direction = AttributeDirection(source, target, means[0], means[1], 1.0, 1.0, sizes)
    reach_at = max(1.0, float(np.quantile(direction.coordinate(z[masks[1]]), reach)))
    typical = reach_at - float(np.median(direction.coordinate(z[masks[0]])))
    return replace(direction, target_reach=reach_at, typical_move=max(1.0, typical))


def corpus_direction(
    model: SentenceVAE, tokenizer: TextTokenizer, sentences: list[str], labels: list[str], source: str, target: str
) -> AttributeDirection:
    """Encode a labelled corpus (posterior means) and return the direction from ``source`` to ``target``."""
    return attribute_direction(encode_corpus(model, tokenizer, sentences), labels, source, target)


@dataclass
class Steering:
    sentences: list[str]  # decoded, the original's code first and the far end last
    amounts: list[float]  # share of the way to the far end, 0 to 1
    z: np.ndarray  # (steps, D)
    scale: float  # k: the far end is the original's code + k * direction.vector


def steering_codes(mu: np.ndarray, direction: AttributeDirection, steps: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(amounts, codes, k): ``steps`` evenly spaced codes from ``mu`` to its far end (see AttributeDirection.scale)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= 100:
        raise TextVAEError("Steering needs between 2 and 100 steps.")
    k = direction.scale(mu)
    amounts = np.linspace(0.0, 1.0, steps)
    return amounts, np.asarray(mu) + np.outer(amounts * k, direction.vector), k


def steer(
    model: SentenceVAE,
    tokenizer: TextTokenizer,
    sentence: str,
    direction: AttributeDirection,
    steps: int = 5,
    options: DecodeOptions | None = None,
) -> Steering:
    """Move ``sentence``'s code along ``direction`` in ``steps`` and decode each point (greedy unless told)."""
    mu, _ = posterior(model, tokenizer, [sentence])
    amounts, z, k = steering_codes(mu[0].cpu().numpy().astype(np.float64), direction, steps)
    sentences = decode_texts(model, tokenizer, torch.from_numpy(z).float(), options)
    return Steering(sentences, amounts.tolist(), z, k)


class _DirectionAxes:
    """x: the coordinate along the direction; the other axes: PCA of what the direction leaves."""

    def __init__(self, direction: AttributeDirection, z: np.ndarray, dims: int) -> None:
        from sklearn.decomposition import PCA

        self.direction = direction
        self.unit = direction.vector / np.linalg.norm(direction.vector)
        rest = self._rest(z)
        self.pca = PCA(n_components=min(dims - 1, rest.shape[1], len(rest)), random_state=0).fit(rest)
        self.dims = dims

    def _rest(self, z: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))
        return z - np.outer(z @ self.unit, self.unit)

    def transform(self, z: np.ndarray) -> np.ndarray:
        others = self.pca.transform(self._rest(z))
        coords = np.column_stack([self.direction.coordinate(z), others])
        return np.pad(coords, ((0, 0), (0, self.dims - coords.shape[1])))


def direction_projection(z: np.ndarray, direction: AttributeDirection, dims: int = 2) -> Projection:
    """A map whose x axis is the direction (0: the source label's mean, 1: the target's), the rest PCA."""
    if dims not in (2, 3):
        raise TextVAEError("The map has 2 or 3 dimensions.")
    if len(z) < 3:
        raise TextVAEError("A map needs at least 3 sentences.")
    axes = _DirectionAxes(direction, z, dims)
    return Projection("direction", axes.transform(z), None, axes)
