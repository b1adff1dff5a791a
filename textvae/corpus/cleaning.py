"""Cleaning a raw book file (Project Gutenberg and the like) before it is split into sentences.

A book file holds much that is not the author's prose: the Project Gutenberg header, footer and
licence, a table of contents, chapter headings, ``[Illustration]`` tags, ``[bracketed notes]`` of editors and
transcribers, separator lines, page numbers, ``_emphasis_`` underscores and lines hard-wrapped at 70 columns.
Left in, they become training sentences. :func:`clean_text` removes them and says what it removed, per rule.

Only a text that looks like a book is touched: a plain list of sentences (one a line, no
Gutenberg marks, no chapter headings, not hard-wrapped) comes back unchanged. Pure functions on
strings: no torch, no streamlit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

# What each rule's count measures, in the words of the summary ("Removed 58 lines of licence text, ...").
RULE_LABELS = {
    "gutenberg_header": ("line of Project Gutenberg header", "lines of Project Gutenberg header"),
    "licence": ("line of licence text", "lines of licence text"),
    "table_of_contents": ("table-of-contents line", "table-of-contents lines"),
    "chapter_headings": ("chapter heading", "chapter headings"),
    "titles": ("title line", "title lines"),
    "illustrations": ("illustration tag", "illustration tags"),
    "notes": ("bracketed note", "bracketed notes"),
    "separators": ("separator line", "separator lines"),
    "page_numbers": ("page number", "page numbers"),
    "underscores": ("pair of _emphasis_ underscores", "pairs of _emphasis_ underscores"),
}
# Counts of edits that keep the words: not "removed", but worth saying.
EDIT_RULES = ("underscores",)

_START = re.compile(r"^\s*\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG", re.I)
_SMALL_PRINT_END = re.compile(r"\*END\*\s*THE SMALL PRINT", re.I)
_END = re.compile(
    r"^\s*(?:\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG"
    r"|End of (?:the )?Project Gutenberg(?:'s|’s)?\b"
    r"|\*{3}\s*END OF THE PROJECT GUTENBERG)",
    re.I,
)
_GUTENBERG = re.compile(r"Project Gutenberg|gutenberg\.org|Gutenberg-tm", re.I)
_PRODUCED_BY = re.compile(r"^\s*(?:Produced by|Transcribed from|E-?text prepared by)\b", re.I)
_COPYRIGHT = re.compile(r"^\s*(?:Copyright\b|©|\(c\) \d{4})", re.I)
# A printer's colophon on the title page's back: "PRINTED IN THE U. S. A. BY", "Printed in Great Britain".
_COLOPHON = re.compile(
    r"^\s*(?:printed|manufactured|made)\s+in\s+(?:the\s+)?(?:u\.?\s*s\.?\s*a\b|united\s+states|great\s+britain"
    r"|england|canada|scotland)",
    re.I,
)
_CONTENTS = re.compile(r"^\s*(?:table of contents|contents|list of illustrations|illustrations)\s*[.:]?\s*$", re.I)
_NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven"
    r"|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|first|second|third|last)"
)
_CHAPTER = re.compile(
    r"^\s*(?:chapter|book|part|letter|section|volume|canto|stave|act|scene)\s+"
    rf"(?:[ivxlcdm]+|\d+|{_NUMBER_WORD})\b"
    r"(?:\s*$|\s*[.:—–-].*$|\s{2,}.*$|\s+[^a-z]*$|\s+[A-Z][^.!?]*$)",
    re.I,
)
_ROMAN_ALONE = re.compile(r"^\s*[IVXLCDM]{1,7}\s*\.?\s*$")
_CJK_CHAPTER = re.compile(r"^\s*第[一二三四五六七八九十百千零〇两\d]+[回章节節卷部篇集幕]")
_SEPARATOR = re.compile(r"^\s*(?:[*\-=_~#•·+]\s*){3,}$")
_PAGE_NUMBER = re.compile(r"^\s*(?:(?:page|pg\.?|p\.)\s*)?\d{1,4}\s*$|^\s*[-–—]\s*\d{1,4}\s*[-–—]\s*$", re.I)
# A whole paragraph in square brackets: a footnote, an editor's or a transcriber's note ("[Indistinct script …]").
_NOTE = re.compile(r"\s*\[[^\[\]]*\]\s*")
_ILLUSTRATION = re.compile(r"\[(?:Illustration|Ill\.)(?:[^\]\[]{0,2000})\]", re.I)
_PAGE_MARK = re.compile(r"\[(?:Pg|Page|p\.)\s*\d+\]|\{\d{1,4}\}", re.I)
_EMPHASIS = re.compile(r"(?<![\w*])_(?=\S)([^_]{1,300}?)(?<=\S)_")  # "_Un_important" too
# A line that ends a sentence or a clause, after closing quotes and brackets: not a title.
_CLAUSE_END = re.compile(r"[.!?…,;:—–\-。！？，；：、][\"'”’»」』）)\]】》_]*\s*$")
# A paragraph of one word that ends on a clause mark: a title's first line ("Frankenstein;" over "or, the Modern
# Prometheus", "OR,"), never a sentence. ("he said," alone is a sentence cut by the book's layout: it stays.)
_TITLE_FRAGMENT = re.compile(r"^\s*\S+[,;:]\s*$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
TITLE_MAX_CHARS = 60
TOC_MAX_GAP = 2  # blank lines allowed between entries of a table of contents
TOC_MAX_LINES = 400


@dataclass
class CleaningReport:
    """What :func:`clean_text` did: ``removed`` maps a rule to how many lines (tags, headings) it removed."""

    book: bool = False  # whether the text looked like a book, so that the rules ran at all
    removed: dict[str, int] = field(default_factory=dict)
    joined: int = 0  # line breaks inside paragraphs that were joined with a space
    lines_before: int = 0  # non-blank lines of the input
    lines_after: int = 0  # paragraphs of the output

    @property
    def removed_lines(self) -> int:
        """Lines removed in all (edits that keep the words, such as underscores, not counted)."""
        return sum(n for rule, n in self.removed.items() if rule not in EDIT_RULES)

    def summary(self) -> str:
        """One sentence for people: "Removed 58 lines of licence text, 61 chapter headings; joined ..."."""
        parts = [f"{n:,} {rule_label(rule, n)}" for rule, n in self.removed.items() if n]
        text = f"Removed {', '.join(parts)}" if parts else ""
        if self.joined:
            text += ("; joined" if text else "Joined") + f" {self.joined:,} hard-wrapped line{'s' * (self.joined > 1)}"
        return text + "." if text else "Nothing to clean."


def rule_label(rule: str, n: int) -> str:
    """The words for ``n`` of what ``rule`` removes: "1 chapter heading", "61 chapter headings"."""
    singular, plural = RULE_LABELS.get(rule, (rule.replace("_", " "), rule.replace("_", " ")))
    return singular if n == 1 else plural


def clean_text(text: str, force: bool | None = None) -> tuple[str, CleaningReport]:
    """Remove book furniture from ``text``; the result has one paragraph a line, blank lines between.

    ``force`` True cleans whatever the text looks like, False never; None (the default) cleans
    only a text that :func:`looks_like_book`, so that a plain list of sentences is left alone.
    """
    lines = normalize_newlines(text).split("\n")
    report = CleaningReport(lines_before=sum(1 for line in lines if line.strip()))
    report.book = looks_like_book(lines) if force is None else force
    if not report.book:
        report.lines_after = report.lines_before
        return text, report
    removed: dict[str, int] = {}
    lines = _cut_header_footer(lines, removed)
    lines = _remove_tags(lines, removed)
    lines = _drop_lines(lines, removed)
    blocks = _blocks(lines)
    if not hard_wrapped(
        blocks, min_blocks=1
    ):  # one paragraph a line (as in the Chinese novel): every line stands alone
        blocks = [[line] for block in blocks for line in block]
    paragraphs, report.joined = _join_blocks(_drop_blocks(blocks, removed))
    paragraphs = [_strip_emphasis(p, removed) for p in paragraphs]
    report.removed = {rule: removed[rule] for rule in RULE_LABELS if removed.get(rule)}
    report.lines_after = len(paragraphs)
    return "\n\n".join(paragraphs) + "\n", report


def normalize_newlines(text: str) -> str:
    """CRLF and CR to LF; also the doubled CR ("\\r\\r\\n") of some Gutenberg files, which would
    otherwise read as a blank line after every line and hide the paragraphs."""
    return text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- detection


def looks_like_book(lines: list[str]) -> bool:
    """Gutenberg marks, two chapter headings, a table of contents, or hard-wrapped paragraphs.

    A list of sentences, one a line, has none of these; cleaning it could only do harm.
    """
    head_tail = lines[:400] + lines[-400:]
    if any(_START.match(line) or _END.match(line) or _SMALL_PRINT_END.search(line) for line in head_tail):
        return True
    if sum(1 for line in head_tail if _GUTENBERG.search(line)) >= 2:
        return True
    headings = sum(1 for line in lines if is_chapter_heading(line))
    if headings >= 2 and headings < 0.5 * sum(1 for line in lines if line.strip()):
        return True
    return hard_wrapped(_blocks(lines))


def hard_wrapped(blocks: list[list[str]], min_blocks: int = 2) -> bool:
    """Paragraphs broken into lines of similar length that mostly end mid-sentence (a printed page).

    One-sentence-per-line files and one-paragraph-per-line files (the Chinese novel) fail this. A text
    known to be a book may have a single wrapped paragraph (``min_blocks`` 1); an unknown text needs two.
    """
    multi = [b for b in blocks if len(b) > 1]
    counted = [b for b in blocks if len(b) > 1 or len(b[0].strip()) >= 40]  # not headings, "THE END", "Yes."
    if not multi or len(multi) < min_blocks or len(multi) / len(counted) < 0.3:
        return False
    inner = [line.strip() for b in multi for line in b[:-1]]
    lengths = np.array([len(line) for line in inner], dtype=float)
    mid_sentence = np.mean([not _CLAUSE_END.search(line) or line.endswith((",", "-", "—")) for line in inner])
    median = np.median(lengths)
    regular = np.mean(np.abs(lengths - median) <= 0.25 * median) >= 0.6  # wrapped at one width
    return bool(mid_sentence >= 0.5 and median >= 30 and regular)


def is_chapter_heading(line: str) -> bool:
    """ "CHAPTER I. Down the Rabbit-Hole", "Letter 4", "BOOK TWO", a roman numeral alone, "第一回 ..."."""
    stripped = line.strip()
    if not stripped or len(stripped) > TITLE_MAX_CHARS + 20:
        return False
    if _CJK_CHAPTER.match(stripped):
        return not re.search(r"[。！？；]", stripped)  # "第四回中既将……" is a sentence
    return bool(_CHAPTER.match(stripped) or _ROMAN_ALONE.match(stripped))


def is_title_like(line: str) -> bool:
    """A short line that does not end a sentence or clause: a title, a name, "THE END"."""
    stripped = line.strip()
    if not stripped or len(stripped) > TITLE_MAX_CHARS or _CLAUSE_END.search(stripped):
        return False
    words = stripped.split()
    return len(words) <= 4 or not words[-1][0].islower()  # "... Pope's assertion, that" runs on


# ---------------------------------------------------------------- rules


def _count(removed: dict[str, int], rule: str, n: int = 1) -> None:
    removed[rule] = removed.get(rule, 0) + n


def _nonblank(lines: list[str]) -> int:
    return sum(1 for line in lines if line.strip())


def _cut_header_footer(lines: list[str], removed: dict[str, int]) -> list[str]:
    """Everything up to the START line (or the old "*END*THE SMALL PRINT" line), and from the END line on."""
    start = next((i for i, line in enumerate(lines) if _START.match(line)), None)
    if start is None:
        first = lines[: max(1, len(lines) // 3)]
        start = next((i for i, line in enumerate(first) if _SMALL_PRINT_END.search(line)), None)
    if start is not None:
        _count(removed, "gutenberg_header", _nonblank(lines[: start + 1]))
        lines = lines[start + 1 :]
    end = next((i for i, line in enumerate(lines) if _END.match(line)), None)
    if end is not None:
        _count(removed, "licence", _nonblank(lines[end:]))
        lines = lines[:end]
    return lines


def _remove_tags(lines: list[str], removed: dict[str, int]) -> list[str]:
    """``[Illustration: ...]`` tags (which may span lines) and ``[Pg 12]`` page marks, the words around kept."""
    text = "\n".join(lines)
    text, n = _ILLUSTRATION.subn(lambda m: "\n" * m.group(0).count("\n"), text)
    _count(removed, "illustrations", n)
    text, n = _PAGE_MARK.subn("", text)
    _count(removed, "page_numbers", n)
    return text.split("\n")


def _drop_lines(lines: list[str], removed: dict[str, int]) -> list[str]:
    """Separator lines, page-number lines and tables of contents (a heading and the short lines after it)."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _CONTENTS.match(line):
            end = _toc_end(lines, i + 1)
            _count(removed, "table_of_contents", _nonblank(lines[i:end]))
            i = end
            continue
        if _SEPARATOR.match(line):
            _count(removed, "separators")
            line = ""
        elif _PAGE_NUMBER.match(line):
            _count(removed, "page_numbers")
            line = ""
        out.append(line)
        i += 1
    return out


def _toc_end(lines: list[str], i: int) -> int:
    """Index after a table of contents starting at ``i``: short entry lines, at most TOC_MAX_GAP blank lines apart."""
    end, gap = i, 0
    while i < len(lines) and i - end < TOC_MAX_LINES:
        stripped = lines[i].strip()
        if not stripped:
            gap += 1
            if gap > TOC_MAX_GAP:
                break
        elif is_chapter_heading(stripped) or _toc_entry(stripped):
            end, gap = i + 1, 0
        else:
            break
        i += 1
    return end


def _toc_entry(line: str) -> bool:
    """A contents line: short, no comma or semicolon at its end, at most a dozen words."""
    return len(line) <= 70 and not line.endswith((",", ";")) and len(line.split()) <= 12


def _blocks(lines: list[str]) -> list[list[str]]:
    """Paragraphs: runs of non-blank lines."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _drop_blocks(blocks: list[list[str]], removed: dict[str, int]) -> list[list[str]]:
    """Whole paragraphs that are licence text, credits, chapter headings, titles or bracketed notes."""
    out = []
    for block in blocks:
        text = " ".join(line.strip() for line in block)
        if _GUTENBERG.search(text):
            _count(removed, "licence", len(block))
        elif _PRODUCED_BY.match(block[0]):
            _count(removed, "gutenberg_header", len(block))
        elif is_chapter_heading(block[0]) and (_short_block(block) or all(is_title_like(x) for x in block[1:3])):
            _count(removed, "chapter_headings")
            rest = block[1:]
            while rest and is_title_like(rest[0]):  # the chapter's title under its number
                rest = rest[1:]
            if rest:
                out.append(rest)
        elif _title_block(block):
            _count(removed, "titles", len(block))
        elif _NOTE.fullmatch(text):
            _count(removed, "notes")
        else:
            out.append(block)
    return out


def _short_block(block: list[str]) -> bool:
    """At most three short lines: "CHAPTER XI." over "Who Stole the Tarts?" is a heading, question mark or not."""
    return len(block) <= 3 and all(len(line.strip()) <= TITLE_MAX_CHARS for line in block)


def _title_block(block: list[str]) -> bool:
    """A title-page or heading paragraph: up to three short lines that end no sentence, one word that ends on a
    clause mark, up to four lines in capitals ("NEW YORK / THOMAS Y. CROWELL & CO."), or a copyright line or
    printer's colophon."""
    if len(block) <= 3 and all(is_title_like(line) for line in block):
        return True
    if len(block) == 1 and _TITLE_FRAGMENT.match(block[0]) and not _CJK.search(block[0]):  # no spaces in Chinese
        return True
    if len(block) <= 4 and (_COPYRIGHT.match(block[0]) or _COLOPHON.match(block[0])):
        return True
    text = " ".join(block).strip()
    cased = [ch for ch in text if ch.isupper() or ch.islower()]
    capitals = len(cased) >= 4 and sum(ch.isupper() for ch in cased) >= 0.8 * len(cased)
    return len(block) <= 4 and capitals and not text.startswith(('"', "'", "“", "‘", "«", "「", "『"))


def _join_blocks(blocks: list[list[str]]) -> tuple[list[str], int]:
    """Each paragraph on one line (a hard-wrapped one joined); the count of line breaks joined."""
    paragraphs = []
    for block in blocks:
        text = block[0].strip()
        for line in block[1:]:
            text = join_lines(text, line.strip())
        paragraphs.append(text)
    return paragraphs, sum(len(b) - 1 for b in blocks)


def join_lines(left: str, right: str) -> str:
    """Join two wrapped lines: with a space, but with nothing between two Chinese or Japanese characters."""
    if left and right and _CJK.match(left[-1]) and _CJK.match(right[0]):
        return left + right
    return f"{left} {right}"


def _strip_emphasis(paragraph: str, removed: dict[str, int]) -> str:
    """``_very_`` -> ``very``: the underscores are Gutenberg's italics, not part of the word."""
    paragraph, n = _EMPHASIS.subn(r"\1", paragraph)
    _count(removed, "underscores", n)
    return paragraph


# ---------------------------------------------------------------- reporting

REPORT_PREFIX = "removed_"  # Corpus.report keys: "removed_licence", ..., and "joined_lines"


def report_counts(report: CleaningReport) -> dict[str, int]:
    """The counts for a corpus's ``report`` dict, next to its "read" and "kept" counts."""
    counts = {REPORT_PREFIX + rule: n for rule, n in report.removed.items() if n}
    if report.joined:
        counts["joined_lines"] = report.joined
    return counts


def summary_from_counts(counts: dict[str, int]) -> str:
    """The summary sentence back from a corpus's ``report`` dict ("" when cleaning did nothing)."""
    removed = {k.removeprefix(REPORT_PREFIX): n for k, n in counts.items() if k.startswith(REPORT_PREFIX)}
    report = CleaningReport(book=True, removed=removed, joined=counts.get("joined_lines", 0))
    return report.summary() if removed or report.joined else ""


def too_few_left(report: CleaningReport, kept: int, minimum: int) -> str | None:
    """A warning when cleaning left fewer sentences than training needs, most of the file having been
    licence, contents or headings: better said now than found out as a tiny model."""
    if kept >= minimum or report.removed_lines < kept:
        return None
    return (
        f"After cleaning, {kept} sentence{'s' * (kept != 1)} {'are' if kept != 1 else 'is'} left "
        f"({report.summary()[0].lower()}{report.summary()[1:-1]}); a model needs at least {minimum}. "
        "Most of this file is not prose: check that it holds the book's text, not only its licence or contents."
    )
