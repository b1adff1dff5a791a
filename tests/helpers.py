"""Helpers the tests share: generated sentences, the tiny model's sizes, bundle zips made by hand.

Tests import these from here, never from another test module (whose fixtures would be imported twice).
"""

from __future__ import annotations

import io
import itertools
import json
import random
import zipfile

SUBJECTS = ["the cat", "a dog", "my friend", "the old man", "a young girl", "the teacher", "our neighbour", "the child"]
VERBS = ["sees", "likes", "follows", "paints", "finds", "calls", "visits", "watches"]
OBJECTS = [
    "the river",
    "a red car",
    "the small house",
    "a tall tree",
    "the market",
    "a quiet garden",
    "the blue sea",
    "a big city",
]
ENDINGS = [".", " today.", " again.", " at night."]


def make_sentences(n: int, seed: int = 0) -> list[str]:
    combos = list(itertools.product(SUBJECTS, VERBS, OBJECTS, ENDINGS))
    random.Random(seed).shuffle(combos)
    return [f"{s.capitalize()} {v} {o}{e}" for s, v, o, e in combos[:n]]


TINY_MODEL = {
    "embed_dim": 32,
    "hidden_dim": 64,
    "latent_dim": 8,
    "word_dropout": 0.0,
    "embed_dropout": 0.0,
    "output_dropout": 0.0,
}


def make_zip(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def with_config(files: dict[str, bytes], **model_changes) -> dict[str, bytes]:
    config = json.loads(files["config.json"])
    config["model"].update(model_changes)
    return {**files, "config.json": json.dumps(config).encode()}
