"""The own-text benchmark runs end to end on a small generated raw 'book' (no ../shared needed)."""

from __future__ import annotations

import json

from benchmarks import own_text
from tests.helpers import make_sentences
from textvae.sentence_shape import SentenceShape

HEADER = "The Project Gutenberg eBook of A Tiny Book\n\n*** START OF THE PROJECT GUTENBERG EBOOK A TINY BOOK ***\n\n"
FOOTER = "\n\n*** END OF THE PROJECT GUTENBERG EBOOK A TINY BOOK ***\n\nSection 1. General Terms of Use.\n"


def test_a_raw_book_is_cleaned_split_trained_evaluated_and_its_samples_checked(tmp_path, monkeypatch, capsys):
    paragraphs = [" ".join(make_sentences(400)[i : i + 4]) for i in range(0, 400, 4)]
    book = tmp_path / "tiny_book.txt"
    book.write_text(
        HEADER
        + "CHAPTER I.\n\n"
        + "\n\n".join(paragraphs[:50])
        + "\n\nCHAPTER II.\n\n"
        + "\n\n".join(paragraphs[50:])
        + FOOTER
    )
    monkeypatch.setattr(own_text, "RESULTS", tmp_path / "results")
    tiny = "--epochs 1 --max-minutes 0.2 --embed 16 --hidden 16 --latent-dim 4 --vocab-size 300"
    argv = ["--book", str(book), "--threads", "1", "--from-scratch", "--iw-samples", "2", "--train-args", tiny]
    assert own_text.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["train_sentences"] + result["held_out_sentences"] == 400
    assert "licence" in result["cleaning"] and len(result["samples"]) == 20
    assert result["held_out"]["bits_per_char"] > 0 and result["samples_with_unk"] == 0
    guarded, unguarded = result["of_1000_samples"]["shape_guard_on"], result["of_1000_samples"]["shape_guard_off"]
    assert guarded["lower_case_start"] == 0 and guarded["mid_phrase"] <= guarded["at_length_limit"]
    assert guarded["doubled_word"] == 0 and guarded["odd_marks"] == 0 and guarded["odd_capital"] == 0
    assert guarded["clause_mark_end"] <= guarded["at_length_limit"]
    assert 0 <= unguarded["mid_phrase"] <= 1000 and "'.'" in result["sentence_shape"]
    assert (tmp_path / "results" / "own-text-tiny_book-quick-scratch.json").exists()


def test_glued_words_and_repeated_trigrams_are_found():
    known = {"you", "that", "to", "whether", "the", "cat"}
    assert own_text.glued_words("I told youThat and towhether the cat.", known) == ["youThat", "towhether"]
    assert own_text.repeated_trigrams("I am sure, I am sure, I am sure") == 4
    assert own_text.repeated_trigrams("I am sure of it.") == 0
    assert own_text.ends_mid_phrase("and the monster was in the") and own_text.ends_mid_phrase("he was 20")
    assert not any(map(own_text.ends_mid_phrase, ["He left.", "“Go!”", "I saw him too;", "the lake, ", "Why?"]))
    book = SentenceShape.learn(["“I said that that was all,” he said."] * 30)
    assert own_text.odd_doubles("And and that that the The cat.", book) == ["and", "the"]
    assert own_text.odd_marks("Yes,, he said, “no.”;", book) == [",,", ",“", ".”", "”;"]  # the book has only ,”
