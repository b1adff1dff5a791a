"""Reading text files into a clean list of sentences, with statistics.

Handles .txt (one sentence per line, or prose split with pysbd), .md (markup
stripped, then prose), .csv/.tsv (a text column and an optional label column).
Every problem with the input is raised as :class:`TextVAEError`.

    decoding      bytes -> text (encodings, binary files refused)
    segmentation  text -> sentences (normalising, markdown, prose detection)
    tables        CSV/TSV rows, text and label column choice
    loading       the pipeline: load_corpus, clean_sentences, train_valid_split
    stats         CorpusStats, corpus_stats
"""

from .decoding import decode_bytes
from .loading import (
    MAX_WORDS,
    TEXT_SUFFIXES,
    Corpus,
    CorpusOptions,
    clean_sentences,
    load_corpus,
    train_valid_split,
)
from .segmentation import (
    MAX_LINE_CHARS,
    MAX_PARAGRAPH_CHARS,
    SPLIT_MODES,
    cut_long_lines,
    normalize_text,
    split_sentences,
    strip_markdown,
    text_to_units,
)
from .stats import CorpusStats, corpus_stats
from .tables import (
    LABEL_COLUMN_NAMES,
    TABLE_DELIMITERS,
    TEXT_COLUMN_NAMES,
    choose_label_column,
    choose_text_column,
    read_table,
)

__all__ = [
    "LABEL_COLUMN_NAMES",
    "MAX_LINE_CHARS",
    "MAX_PARAGRAPH_CHARS",
    "MAX_WORDS",
    "SPLIT_MODES",
    "TABLE_DELIMITERS",
    "TEXT_COLUMN_NAMES",
    "TEXT_SUFFIXES",
    "Corpus",
    "CorpusOptions",
    "CorpusStats",
    "choose_label_column",
    "choose_text_column",
    "clean_sentences",
    "corpus_stats",
    "cut_long_lines",
    "decode_bytes",
    "load_corpus",
    "normalize_text",
    "read_table",
    "split_sentences",
    "strip_markdown",
    "text_to_units",
    "train_valid_split",
]
