"""``python -m textvae steer BUNDLE LABELLED.csv --from NEG --to POS "SENTENCE" --steps N``: a sentence moved
along the direction between two labels' mean codes (textvae.steering), one decoded step a line."""

from __future__ import annotations

import argparse
import sys

from ..corpus import CorpusOptions
from ..errors import TextVAEError
from .parser import _decode_args, add_max_words, add_split_argument


def add_steer_parser(sub) -> None:
    """The ``steer`` sub-command's arguments."""
    p = sub.add_parser(
        "steer", help="move a sentence from one label towards another (attribute vector), one step a line"
    )
    p.add_argument("model", help="bundle folder or .zip")
    p.add_argument("corpus", help="a labelled .csv/.tsv: the labels' mean codes give the direction")
    p.add_argument("sentence")
    p.add_argument("--from", dest="source", required=True, help="the label to move away from, e.g. negative")
    p.add_argument("--to", dest="target", required=True, help="the label to move towards, e.g. positive")
    p.add_argument("--label-column", default=None, help="label column (default: one named like 'label')")
    p.add_argument("--text-column", default=None, help="text column (default: the likeliest)")
    p.add_argument("--steps", type=int, default=5, help="sentences printed, the original's code first (default: 5)")
    add_max_words(p, CorpusOptions.max_words)
    add_split_argument(p)
    _decode_args(p)


def cmd_steer(args: argparse.Namespace) -> int:
    """Print the decoded steps from the sentence's own code to the far end (see AttributeDirection.scale)."""
    from ..bundle import load_bundle
    from ..corpus import load_corpus
    from ..steering import corpus_direction, steer
    from .commands import decode_options

    options = CorpusOptions(
        max_words=args.max_words, text_column=args.text_column, label_column=args.label_column, split=args.split
    )
    corpus = load_corpus(args.corpus, options=options)
    if corpus.labels is None:
        raise TextVAEError(
            f"{args.corpus} has no labels: steering needs a .csv or .tsv with a label column (--label-column)."
        )
    bundle = load_bundle(args.model)
    direction = corpus_direction(
        bundle.model, bundle.tokenizer, corpus.sentences, corpus.labels, args.source, args.target
    )
    path = steer(bundle.model, bundle.tokenizer, args.sentence, direction, args.steps, decode_options(args))
    n_source, n_target = direction.sizes
    print(
        f"direction: mean of {n_target:,} {args.target!r} codes - mean of {n_source:,} {args.source!r} codes; "
        f"the far end is the sentence's code + {path.scale:.2f} times it",
        file=sys.stderr,
    )
    print("\n".join(path.sentences))
    return 0
