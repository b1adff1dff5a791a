"""AE vs VAE, measured as the page does it: the same model trained twice on one corpus (KL weight 0, and the ELBO),
then random points of the prior decoded greedily with no display guard. Prints, for each side, the share of
decodings that read as a finished sentence (a sentence end, no loop), the KL from the prior and the gap ratio.

    python -m benchmarks.ae_vs_vae [--corpus assets/corpora/snli-sentences.txt] [--seed 0] [--threads 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time


def run(args: argparse.Namespace) -> dict:
    from textvae import load_corpus, train_model
    from textvae.ae_vs_vae import RANDOM_POINTS, prior_fit, settings, well_formed, well_formed_share
    from textvae.data import encode_sentences
    from textvae.evaluation import posterior_stats
    from textvae.generation import UNGUARDED, DecodeOptions, sample_prior

    corpus = load_corpus(args.corpus)
    result: dict = {"corpus": args.corpus, "sentences": len(corpus), "seed": args.seed, "threads": args.threads}
    for kind in ("autoencoder", "vae"):
        model, training, tokenizer = settings(kind, args.seed)
        training = dataclasses.replace(training, threads=args.threads)
        start = time.perf_counter()
        bundle, _ = train_model(corpus, model=model, training=training, tokenizer=tokenizer)
        trained_s = time.perf_counter() - start
        options = DecodeOptions(method="greedy", **{**UNGUARDED, "tidy": True})
        texts, _ = sample_prior(bundle.model, bundle.tokenizer, RANDOM_POINTS, options, args.seed)
        ids = encode_sentences(bundle.tokenizer, corpus.sentences[:1000], bundle.config.max_length)
        mu, logvar = posterior_stats(bundle.model, ids)
        fit = prior_fit(mu.numpy(), logvar.numpy(), args.seed)
        result[kind] = {
            "train_seconds": round(trained_s, 1),
            "steps": bundle.metrics["result"]["steps"],
            "well_formed": round(well_formed_share(texts), 3),
            "kl_from_prior": round(fit.kl, 2),
            "gap_ratio": round(fit.gap_ratio, 2),
            "examples": [{"text": t, "well_formed": well_formed(t)} for t in texts[:8]],
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ae_vs_vae", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="assets/corpora/snli-sentences.txt")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    print(json.dumps(run(parser.parse_args(argv)), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
