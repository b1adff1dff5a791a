"""A stakeholder report: one self-contained HTML file about a model and a corpus, for people who will never run it.

The model card, the latent map (interactive), samples, interpolations between real sentences, reconstructions
with their bits, and, for a labelled corpus, how each label sits in the code. Everything is computed here from
the library (latent maps, decoding with the repetition guard and no ``<unk>``, compression); textvae.report_html
draws it. Seeded: the same bundle, corpus and seed give the same file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .bundle import ModelBundle
from .code_region import corpus_region
from .compression import SentenceBits, sentence_bits
from .corpus import Corpus
from .errors import TextVAEError
from .generation import DecodeOptions, interpolate, reconstruct, sample_prior
from .latent import LatentMap, encode_corpus, latent_map
from .model_card import CardRow, held_out_metrics, model_facts
from .verdict import quality_note

MAP_LIMIT = 2000  # sentences on the map: PCA of 2,000 codes takes about a second, and the file stays small
SAMPLES = 8
PAIRS, STEPS = 2, 7  # interpolations, and the sentences on each path (two real ones, five decoded between)
RECONSTRUCTIONS = 6
LABELS_SHOWN = 12  # the commonest labels get a row each
NEIGHBOURS = 10
STEER_STEPS = 5
SAMPLING = DecodeOptions(method="sample", top_p=0.9)  # the rest of the report decodes greedily
WORDS = (4, 16)  # real sentences picked for interpolations and reconstructions have this many words


@dataclass
class LabelRow:
    label: str
    sentences: int  # in the whole corpus
    share: float
    same_label_neighbours: float  # share of the nearest codes (on the map's sample) that have the same label
    typical: str  # the sentence nearest the label's mean code


@dataclass
class Steered:
    source: str
    target: str
    original: str
    path: list[str]  # decoded: the original's code first, the far end towards ``target`` last


@dataclass
class ReportContent:
    name: str
    seed: int
    corpus_name: str
    corpus_sentences: int
    facts: list[CardRow]
    metrics: list[CardRow]
    verdict: str
    map: LatentMap
    samples: list[str]  # from the prior
    samples_near: list[str]  # from the same draws, where the corpus's sentences lie (code_region)
    interpolations: list[list[str]]  # each path starts and ends with a real corpus sentence
    reconstructions: list[tuple[str, str, SentenceBits]]  # input, decoded, its bits
    labels: list[LabelRow] | None
    chance_neighbours: float | None  # same-label share of neighbours picked at random
    steering: list[Steered]  # the two commonest labels' typical sentences moved towards each other; [] if none


def pick_sentences(sentences: list[str], n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct corpus sentences of a readable length (any length when too few are), drawn with ``rng``."""
    distinct = list(dict.fromkeys(sentences))
    readable = [s for s in distinct if WORDS[0] <= len(s.split()) <= WORDS[1]]
    pool = readable if len(readable) >= n else distinct
    return [pool[i] for i in rng.choice(len(pool), min(n, len(pool)), replace=False)]


def same_label_neighbours(z: np.ndarray, labels: list[str], k: int = NEIGHBOURS) -> np.ndarray:
    """For each row of ``z``, the share of its ``k`` nearest other rows (Euclidean) that carry its label."""
    k = min(k, len(z) - 1)
    squared = (z * z).sum(1)
    distances = squared[:, None] + squared[None, :] - 2 * z @ z.T
    np.fill_diagonal(distances, np.inf)
    nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
    names = np.asarray(labels, dtype=object)
    return (names[nearest] == names[:, None]).mean(1)


def label_rows(z: np.ndarray, corpus: Corpus, mapped: LatentMap) -> tuple[list[LabelRow], float]:
    """One row for each of the commonest labels (``z``: the mapped sentences' codes), and the same-label share of
    neighbours chosen by chance."""
    counts = Counter(corpus.labels)
    names = np.asarray(mapped.labels, dtype=object)
    same = same_label_neighbours(z, mapped.labels)
    rows = []
    for label, count in counts.most_common(LABELS_SHOWN):
        mine = np.flatnonzero(names == label)
        if not len(mine):  # too rare to be in the map's sample
            continue
        centre = z[mine].mean(0)
        typical = mapped.sentences[mine[np.argmin(np.linalg.norm(z[mine] - centre, axis=1))]]
        rows.append(LabelRow(label, count, count / len(corpus), float(same[mine].mean()), typical))
    shares = np.asarray(list(Counter(mapped.labels).values())) / len(mapped.labels)
    return rows, float((shares**2).sum())


def steering_examples(bundle: ModelBundle, z: np.ndarray, mapped: LatentMap, rows: list[LabelRow]) -> list[Steered]:
    """The typical sentence of each of the two commonest labels, moved along the direction to the other's mean code
    (textvae.steering); none when a label has too few sentences on the map to have a mean worth the name."""
    from .steering import attribute_direction, steer

    examples = []
    pairs = [(rows[0], rows[1]), (rows[1], rows[0])] if len(rows) >= 2 else []
    for source, target in pairs:
        try:
            direction = attribute_direction(z, mapped.labels, source.label, target.label)
        except TextVAEError:
            return []
        path = steer(bundle.model, bundle.tokenizer, source.typical, direction, STEER_STEPS).sentences
        examples.append(Steered(source.label, target.label, source.typical, path))
    return examples


def report_content(bundle: ModelBundle, corpus: Corpus, seed: int = 0, limit: int = MAP_LIMIT) -> ReportContent:
    """Everything the report shows, computed once (a few seconds on a CPU for the demo model)."""
    if len(corpus) < 3:
        raise TextVAEError("A report needs a corpus of at least 3 sentences.")
    model, tokenizer = bundle.model, bundle.tokenizer
    mapped = latent_map(model, tokenizer, corpus.sentences, corpus.labels, "pca", 2, limit, 8, seed)
    rng = np.random.default_rng(seed)
    ends = pick_sentences(corpus.sentences, 2 * PAIRS, rng)
    inputs = pick_sentences(corpus.sentences, RECONSTRUCTIONS, rng)
    decoded = reconstruct(model, tokenizer, inputs)
    region = corpus_region(model, tokenizer, corpus.sentences)
    labels, chance, steered = None, None, []
    if corpus.labels is not None:
        z = encode_corpus(model, tokenizer, mapped.sentences).astype(np.float64)
        labels, chance = label_rows(z, corpus, mapped)
        steered = steering_examples(bundle, z, mapped, labels)
    return ReportContent(
        name=bundle.name,
        seed=seed,
        corpus_name=corpus.name,
        corpus_sentences=len(corpus),
        facts=model_facts(bundle),
        metrics=held_out_metrics(bundle),
        verdict=quality_note(bundle.metrics),
        map=mapped,
        samples=sample_prior(model, tokenizer, SAMPLES, SAMPLING, seed)[0],
        samples_near=sample_prior(model, tokenizer, SAMPLES, SAMPLING, seed, region)[0],
        interpolations=[
            [a, *interpolate(model, tokenizer, a, b, STEPS).sentences[1:-1], b]
            for a, b in zip(ends[::2], ends[1::2], strict=False)
        ],
        reconstructions=[
            (s, d, sentence_bits(model, tokenizer, s, seed=seed)) for s, d in zip(inputs, decoded, strict=True)
        ],
        labels=labels,
        chance_neighbours=chance,
        steering=steered,
    )


def build_report(bundle: ModelBundle, corpus: Corpus, seed: int = 0, limit: int = MAP_LIMIT) -> str:
    """The report as one HTML document (plotly.js inlined: it opens offline)."""
    from .report_html import render

    return render(report_content(bundle, corpus, seed, limit))
