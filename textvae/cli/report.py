"""``python -m textvae report BUNDLE CORPUS --out report.html``: one self-contained HTML file for stakeholders.

The model card, the latent map, samples, interpolations, reconstructions and, for a labelled table, the labels
(textvae.report). The file loads nothing from the network; the same seed gives the same file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import TextVAEError
from ..validation import check_range
from .parser import add_split_argument


def add_report_parser(sub) -> None:
    """The ``report`` sub-command's arguments."""
    from ..report import MAP_LIMIT

    p = sub.add_parser("report", help="a self-contained HTML report of a model on a corpus (opens offline)")
    p.add_argument("model", help="bundle folder or .zip")
    p.add_argument("corpus", help=".txt, .md, .csv or .tsv file (a table's label column adds a summary per label)")
    p.add_argument("--out", required=True, help="an .html file")
    p.add_argument("--seed", type=int, default=0, help="same seed, same report (default: %(default)s)")
    p.add_argument("--limit", type=int, default=MAP_LIMIT, help="most sentences on the map (default: %(default)s)")
    p.add_argument("--text-column", help="text column of a .csv/.tsv")
    add_split_argument(p)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report and say how big it is and how long it took."""
    from ..bundle import load_bundle
    from ..report import build_report
    from .commands import _load_corpus

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise TextVAEError("--out must end in .html")
    check_range("Report setting", "limit", args.limit, 3, 100_000)
    check_range("Report setting", "seed", args.seed, 0, 2**32 - 1)
    bundle = load_bundle(args.model)
    corpus = _load_corpus(args.corpus, args)
    start = time.perf_counter()
    document = build_report(bundle, corpus, args.seed, args.limit)
    seconds = time.perf_counter() - start
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    size = out.stat().st_size / 2**20
    print(f"wrote {out} ({size:.1f} MB, seed {args.seed}) in {seconds:.1f} s; it opens offline", file=sys.stderr)
    return 0
