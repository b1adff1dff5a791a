"""Cleaning raw book files and splitting in the text's language, on small excerpts written here.

The excerpts imitate Project Gutenberg files (Alice's Adventures in Wonderland, public domain; the
licence wording abridged) and the Chinese novel 红楼梦 (public domain).
"""

import json

import pytest

from textvae.cli import main
from textvae.corpus import CorpusOptions, load_corpus
from textvae.corpus.cleaning import (
    CleaningReport,
    clean_text,
    is_chapter_heading,
    looks_like_book,
    summary_from_counts,
)
from textvae.corpus.language import detect_language, split_cjk
from textvae.errors import TextVAEError

ALICE = """\ufeffThe Project Gutenberg eBook of Alice's Adventures in Wonderland, by Lewis Carroll

This eBook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever.

Title: Alice's Adventures in Wonderland

*** START OF THE PROJECT GUTENBERG EBOOK ALICE'S ADVENTURES IN WONDERLAND ***

[Illustration]




Alice's Adventures in Wonderland

by Lewis Carroll

Contents

 CHAPTER I.     Down the Rabbit-Hole
 CHAPTER II.    The Pool of Tears




CHAPTER I.
Down the Rabbit-Hole


Alice was beginning to get very tired of sitting by her sister on the
bank, and of having nothing to do: once or twice she had peeped into
the book her sister was reading, but it had no pictures or
conversations in it.

There was nothing so _very_ remarkable in that; nor did Alice think it
so _very_ much out of the way to hear the Rabbit say to itself, "Oh
dear! Oh dear! I shall be late!"

[Illustration: Alice and the
White Rabbit]

          *       *       *       *       *

In another moment down went Alice after it, never once considering how
in the world she was to get out again.

42

CHAPTER II.
The Pool of Tears


"Curiouser and curiouser!" cried Alice (she was so much surprised, that
for the moment she quite forgot how to speak good English); "now I'm
opening out like the largest telescope that ever was!"

THE END

*** END OF THE PROJECT GUTENBERG EBOOK ALICE'S ADVENTURES IN WONDERLAND ***

Updated editions will replace the previous one--the old editions will
be renamed.

Section 1. General Terms of Use and Redistributing Project Gutenberg-tm
electronic works
"""

SENTENCES = """A man is playing a guitar on stage.
Two dogs run through a field.
The woman is young.
Chapter one of the book is about a dog.
_underscored_ words stay as they are in a list.
* * *
A child in a red coat waits for the bus.
"""

HONGLOUMENG = """ 第一回　甄士隐梦幻识通灵　贾雨村风尘怀闺秀
    此开卷第一回也。作者自云：因曾历过一番梦幻之后，故将真事隐去。但书中所记何事何人？
    二仙师听毕，齐憨笑道：“善哉，善哉！那红尘中有却有些乐事。”这石凡心已炽……乃复苦求再四。
 第二回　贾夫人仙逝扬州城　冷子兴演说荣国府
    第四回中既将薛家母子在荣府内寄居等事略已表明，此回则暂不能写矣。
"""


def test_gutenberg_book_keeps_only_the_prose():
    text, report = clean_text(ALICE)
    paragraphs = text.strip().split("\n\n")
    assert paragraphs[0].startswith("Alice was beginning to get very tired")
    assert paragraphs[-1].endswith('ever was!"')
    for junk in ("Gutenberg", "Illustration", "CHAPTER", "Contents", "* *", "Rabbit-Hole", "THE END", "42", "_"):
        assert junk not in text, junk
    assert report.book
    assert report.removed["gutenberg_header"] == 6
    assert report.removed["licence"] == 5
    assert report.removed["table_of_contents"] == 3
    assert report.removed["chapter_headings"] == 2
    assert report.removed["illustrations"] == 2
    assert report.removed["separators"] == 1
    assert report.removed["page_numbers"] == 1
    assert report.removed["underscores"] == 2


def test_hard_wrapped_lines_are_joined_into_paragraphs():
    text, report = clean_text(ALICE)
    assert (
        "once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations"
        in text
    )
    assert "nothing so very remarkable" in text
    assert all("\n" not in p for p in text.strip().split("\n\n"))
    assert report.joined > 5


def test_summary_says_what_was_removed():
    _, report = clean_text(ALICE)
    summary = report.summary()
    assert summary.startswith("Removed 6 lines of Project Gutenberg header, 5 lines of licence text")
    assert "2 chapter headings" in summary and "1 separator line," in summary
    assert "joined" in summary and summary.endswith(".")
    assert CleaningReport().summary() == "Nothing to clean."


def test_a_list_of_sentences_comes_back_unchanged():
    text, report = clean_text(SENTENCES)
    assert text == SENTENCES
    assert not report.book and not report.removed
    assert not looks_like_book(SENTENCES.splitlines())


def test_forcing_and_forbidding_cleaning():
    assert clean_text(ALICE, force=False)[0] == ALICE
    text, report = clean_text(SENTENCES, force=True)
    assert report.book and "* * *" not in text


def test_older_gutenberg_variants():
    old = (
        "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\n"
        "It was a bright cold day in April, and the clocks were striking\nthirteen, as they always did.\n\n"
        "She said nothing more for a while, and the rain went on falling\non the long grey road.\n\n"
        "End of the Project Gutenberg EBook of Something\n\nMore licence text here.\n"
    )
    text, report = clean_text(old)
    first = "It was a bright cold day in April, and the clocks were striking thirteen, as they always did."
    assert text.split("\n\n")[0] == first
    assert "Gutenberg" not in text and "licence" not in text
    assert report.removed == {"gutenberg_header": 1, "licence": 2}


def test_the_printers_colophon_goes_and_prose_that_begins_alike_stays():
    book = (
        "  Copyright, 1924,\n  By DODD, MEAD AND COMPANY, Inc.\n\n"
        "  PRINTED IN THE U. S. A. BY\n  The Quinn & Boden Company\n  BOOK MANUFACTURERS\n  RAHWAY   NEW JERSEY\n\n"
        "Printed in Great Britain by Hazell, Watson and Viney, Ld.\n\n"
        "Nadina, the Russian dancer who had taken Paris by storm, swayed to the sound of the applause.\n\n"
        "Printed in large letters on the door was a name I knew, and I stopped before it for a long while.\n"
    )
    text, report = clean_text(book, force=True)
    assert text.strip().split("\n\n") == [
        "Nadina, the Russian dancer who had taken Paris by storm, swayed to the sound of the applause.",
        "Printed in large letters on the door was a name I knew, and I stopped before it for a long while.",
    ]
    assert report.removed["titles"] == 7


def test_a_titles_first_line_on_a_clause_mark_goes_and_a_sentence_that_begins_alike_stays():
    book = (
        "Frankenstein;\n\nor, the Modern Prometheus\n\nby Mary Wollstonecraft (Godwin) Shelley\n\n"
        "Frankenstein; he was my name, and I wore it for many years in the town below the mountains.\n\n"
        "I said so, Elizabeth:\n\nhe said,\n\n宝玉听了这话，便笑道:\n\n"
        "You will rejoice to hear that no disaster has accompanied the commencement of an enterprise.\n"
    )
    text, report = clean_text(book, force=True)
    assert text.strip().split("\n\n") == [
        "Frankenstein; he was my name, and I wore it for many years in the town below the mountains.",
        "I said so, Elizabeth:",
        "he said,",
        "宝玉听了这话，便笑道:",
        "You will rejoice to hear that no disaster has accompanied the commencement of an enterprise.",
    ]
    assert report.removed["titles"] == 3


def test_a_paragraph_in_square_brackets_is_a_note_and_brackets_inside_prose_stay():
    book = (
        "I found a card on the floor.\n\n"
        '[Indistinct cursive script which appears to say something like: "1 7 . 1 2 2 Kilmorden Castle"]\n\n'
        "[Coleridge’s “Ancient Mariner.”]\n\n"
        "[The moon] I gazed with a kind of wonder.\n"
    )
    text, report = clean_text(book, force=True)
    assert text.strip().split("\n\n") == ["I found a card on the floor.", "[The moon] I gazed with a kind of wonder."]
    assert report.removed["notes"] == 2 and "2 bracketed notes" in report.summary()


def test_crlf_and_doubled_cr_line_ends_keep_the_paragraphs():
    for newline in ("\r\n", "\r\r\n"):
        text, report = clean_text(ALICE.replace("\n", newline))
        assert "once or twice she had peeped into the book" in text and report.joined > 5


def test_chapter_headings():
    for heading in ("CHAPTER I.", "Chapter 12", "CHAPTER XI. Who Stole the Tarts?", "Letter 4", "BOOK TWO", "IX"):
        assert is_chapter_heading(heading), heading
    assert is_chapter_heading(" 第一回　甄士隐梦幻识通灵　贾雨村风尘怀闺秀")
    sentence = "第四回中既将薛家母子在荣府内寄居等事略已表明，此回则暂不能写矣。"
    for line in ("Chapter two is better than the first.", "I went home.", sentence):
        assert not is_chapter_heading(line), line


def test_chinese_novel_headings_removed_and_lines_kept_apart():
    text, report = clean_text(HONGLOUMENG)
    paragraphs = text.strip().split("\n\n")
    assert report.removed == {"chapter_headings": 2} and report.joined == 0
    assert paragraphs[0].startswith("此开卷第一回也。") and paragraphs[-1].startswith("第四回中")
    assert len(paragraphs) == 3


def test_split_cjk_at_sentence_marks_with_closing_quotes():
    sentences = split_cjk("二仙师听毕，齐憨笑道：“善哉，善哉！那红尘中有却有些乐事。”这石凡心已炽……乃复苦求再四。")
    assert sentences == [
        "二仙师听毕，齐憨笑道：“善哉，善哉！",
        "那红尘中有却有些乐事。”",
        "这石凡心已炽……",
        "乃复苦求再四。",
    ]
    assert split_cjk("「行きましょう！」と彼は言った。雨が降っていた") == [
        "「行きましょう！」",
        "と彼は言った。",
        "雨が降っていた",
    ]


def test_detect_language():
    assert detect_language(HONGLOUMENG) == "zh"
    assert detect_language("雨が降っていた。彼は駅まで歩いた。") == "ja"
    assert detect_language(SENTENCES) == "en"
    assert detect_language("Der Hund ist nicht in dem Haus, und die Katze ist mit den Kindern im Garten.") == "de"
    assert detect_language("Le chat est dans la maison et les enfants sont dans le jardin pour une heure.") == "fr"
    assert detect_language("Собака не в доме, и кошка сидит у окна, как это было вчера.") == "ru"
    assert detect_language("") == "en"


# ---------------------------------------------------------------- the loading pipeline and the CLI

LICENCE = "\n\n".join(
    f"Section {i}. You may copy it, give it away or re-use it under the terms of the\n"
    "Project Gutenberg License included with this eBook or online at\nwww.gutenberg.org, at no cost."
    for i in range(40)
)
MOSTLY_LICENCE = (
    "*** START OF THE PROJECT GUTENBERG EBOOK A TINY BOOK ***\n\n"
    "It was a dark and stormy night; the rain fell in torrents, except at\n"
    "occasional intervals. Then the wind rose.\n\n"
    "*** END OF THE PROJECT GUTENBERG EBOOK A TINY BOOK ***\n\n" + LICENCE
)


def test_load_corpus_cleans_a_book_and_reports_the_counts():
    corpus = load_corpus(ALICE.encode(), name="alice.txt", options=CorpusOptions(max_words=100))
    assert corpus.sentences[0] == (
        "Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: "
        "once or twice she had peeped into the book her sister was reading, but it had no pictures or "
        "conversations in it."
    )
    assert not [s for s in corpus.sentences if "Gutenberg" in s or "CHAPTER" in s or "*" in s or "_" in s]
    assert corpus.report["removed_licence"] == 5 and corpus.report["removed_chapter_headings"] == 2
    assert corpus.report["joined_lines"] > 5
    assert summary_from_counts(corpus.report).startswith("Removed 6 lines of Project Gutenberg header, 5 lines")
    raw = load_corpus(ALICE.encode(), name="alice.txt", options=CorpusOptions(clean=False))
    assert any("Gutenberg" in s for s in raw.sentences) and "removed_licence" not in raw.report


def test_load_corpus_leaves_a_sentence_list_alone():
    corpus = load_corpus(SENTENCES.encode(), name="snli.txt")
    assert corpus.sentences == SENTENCES.strip().splitlines()
    assert summary_from_counts(corpus.report) == ""


def test_a_file_of_mostly_licence_text_gets_a_clear_warning():
    corpus = load_corpus(MOSTLY_LICENCE.encode(), name="tiny.txt")
    assert corpus.sentences == [
        "It was a dark and stormy night; the rain fell in torrents, except at occasional intervals.",
        "Then the wind rose.",
    ]
    (warning,) = [w for w in corpus.warnings if w.startswith("After cleaning")]
    assert "2 sentences are left" in warning and "lines of licence text" in warning and "at least" in warning


def test_a_file_of_only_licence_text_is_refused():
    with pytest.raises(TextVAEError, match=r"After cleaning, licence\.txt has no sentences left"):
        load_corpus(("*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n" + LICENCE).encode(), name="licence.txt")


def test_chinese_is_split_at_its_sentence_marks():
    corpus = load_corpus(HONGLOUMENG.encode(), name="hlm.txt")
    # the full-width comma, colon and question mark stay as they are (textvae.unicode_form)
    assert corpus.sentences[:3] == [
        "此开卷第一回也。",
        "作者自云：因曾历过一番梦幻之后，故将真事隐去。",
        "但书中所记何事何人？",
    ]
    assert len(corpus.sentences) == 8 and corpus.report["removed_chapter_headings"] == 2
    raw = load_corpus(HONGLOUMENG.encode(), name="hlm.txt", options=CorpusOptions(clean=False))
    assert len(raw.sentences) == 10  # the two headings kept, the paragraphs still split


def test_cli_inspect(tmp_path, capsys):
    path = tmp_path / "alice.txt"
    path.write_text(ALICE, encoding="utf-8")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "sentences" in out and "Removed 6 lines of Project Gutenberg header" in out
    assert main(["inspect", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["removed"]["licence"] == 5 and info["sentences"] == 5 and info["language"] == "en"
    assert info["report"]["split_long"] == 1  # Alice's first sentence, 57 words: cut after "nothing to do:"
    assert main(["inspect", str(path), "--sentences"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert lines == load_corpus(path).sentences
    chinese = tmp_path / "hlm.txt"
    chinese.write_text(HONGLOUMENG, encoding="utf-8")
    assert main(["inspect", str(chinese), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["language"], info["unit"], info["sentences"]) == ("zh", "character", 8)
    assert main(["inspect", str(tmp_path / "missing.txt")]) == 2
    assert "error: No such file" in capsys.readouterr().err
