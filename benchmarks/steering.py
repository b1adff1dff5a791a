"""Steering with attribute vectors, measured: does moving a sentence's code from one label towards another change
the decoded sentence, and towards the other label?

    python -m benchmarks.steering [--model assets/demo-model] [--corpus assets/corpora/sentiment-labelled.csv]
        [--source negative --target positive] [--steps 5] [--limit 150] [--seed 0]

The labelled corpus is split (stratified, seeded) into 80% train and 20% test. The direction
(textvae.steering) and a logistic-regression classifier of the labels come from the train codes (posterior
means) only. Each test sentence of the source label is steered in ``--steps`` towards the target (greedy
decoding with the repetition guard), and the same is done the other way round. Counted:

* distinct: steps that decode to different sentences (target: at least 3 of 5);
* code moves: the classifier gives the source label at the sentence's code and the target label at the far end;
* text moves: the same, with the decoded first and last sentences encoded again (what a reader sees).

Prints one JSON object and writes it to benchmarks/results/steering-<model>.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from textvae.steering import REACH

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLE = "The food was cold and the waiter was rude."


def steer_all(bundle, mu: np.ndarray, direction, steps: int) -> tuple[np.ndarray, list[list[str]]]:
    """Codes (n, steps, D) and decoded sentences of every test sentence's path, decoded in one batch."""
    import torch

    from textvae.generation import decode_texts
    from textvae.steering import steering_codes

    codes = np.stack([steering_codes(m, direction, steps)[1] for m in mu])
    flat = decode_texts(bundle.model, bundle.tokenizer, torch.from_numpy(codes.reshape(-1, codes.shape[-1])).float())
    return codes, [flat[i : i + steps] for i in range(0, len(flat), steps)]


def measure_direction(bundle, classifier, z_train, y_train, sentences, mu, source, target, args) -> dict:
    """The counts above for the test sentences of ``source`` steered towards ``target``."""
    from textvae.latent import encode_corpus
    from textvae.steering import attribute_direction

    direction = attribute_direction(z_train, list(y_train), source, target, args.reach)
    codes, paths = steer_all(bundle, mu, direction, args.steps)
    distinct = np.array([len(set(p)) for p in paths])
    start, end = classifier.predict(codes[:, 0]), classifier.predict(codes[:, -1])
    firsts = encode_corpus(bundle.model, bundle.tokenizer, [p[0] or "." for p in paths])
    lasts = encode_corpus(bundle.model, bundle.tokenizer, [p[-1] or "." for p in paths])
    text_start, text_end = classifier.predict(firsts), classifier.predict(lasts)
    scales = [direction.scale(m) for m in mu]
    return {
        "source": source,
        "target": target,
        "test_sentences": len(mu),
        "target_reach": round(direction.target_reach, 3),
        "median_scale_k": round(float(np.median(scales)), 3),
        "mean_distinct": round(float(distinct.mean()), 2),
        "share_at_least_3_distinct": round(float((distinct >= 3).mean()), 3),
        "code_end_is_target": round(float((end == target).mean()), 3),
        "code_moves": round(float(((start == source) & (end == target)).mean()), 3),
        "text_end_is_target": round(float((text_end == target).mean()), 3),
        "text_moves": round(float(((text_start == source) & (text_end == target)).mean()), 3),
        "examples": [{"original": s, "path": p} for s, p in list(zip(sentences, paths, strict=True))[:5]],
    }


def run(args: argparse.Namespace) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from textvae import CorpusOptions, load_bundle, load_corpus
    from textvae.latent import encode_corpus
    from textvae.steering import attribute_direction, steer

    start = time.perf_counter()
    bundle = load_bundle(args.model)
    corpus = load_corpus(args.corpus, options=CorpusOptions(label_column=args.label_column))
    z = encode_corpus(bundle.model, bundle.tokenizer, corpus.sentences)
    labels = np.asarray(corpus.labels, dtype=object)
    rows = np.arange(len(z))
    train, test = train_test_split(rows, test_size=0.2, random_state=args.seed, stratify=labels)
    classifier = LogisticRegression(max_iter=2000).fit(z[train], labels[train])
    result = {
        "model": str(args.model),
        "corpus": str(args.corpus),
        "steps": args.steps,
        "reach": args.reach,
        "classifier_test_accuracy": round(float(classifier.score(z[test], labels[test])), 3),
        "train_sentences": len(train),
        "test_sentences": len(test),
    }
    for source, target in ((args.source, args.target), (args.target, args.source)):
        chosen = test[labels[test] == source][: args.limit]
        result[f"{source}->{target}"] = measure_direction(
            bundle,
            classifier,
            z[train],
            labels[train],
            [corpus.sentences[i] for i in chosen],
            z[chosen],
            source,
            target,
            args,
        )
    direction = attribute_direction(z[train], list(labels[train]), args.source, args.target, args.reach)
    example = steer(bundle.model, bundle.tokenizer, EXAMPLE, direction)
    result["example"] = {"original": EXAMPLE, "path": example.sentences}
    result["seconds"] = round(time.perf_counter() - start, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="assets/demo-model")
    parser.add_argument("--corpus", default="assets/corpora/sentiment-labelled.csv")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--source", default="negative")
    parser.add_argument("--target", default="positive")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--reach", type=float, default=REACH, help="the far end's quantile of the target's codes")
    parser.add_argument("--limit", type=int, default=150, help="test sentences steered per direction")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    result = run(args)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"steering-{Path(args.model).name}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
