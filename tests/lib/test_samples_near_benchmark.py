"""The samples-near benchmark runs end to end on a small generated raw 'book' (no ../shared needed)."""

from __future__ import annotations

import json

from benchmarks import samples_near
from tests.helpers import make_sentences

HEADER = "The Project Gutenberg eBook of A Tiny Book\n\n*** START OF THE PROJECT GUTENBERG EBOOK A TINY BOOK ***\n\n"


def test_prior_and_near_samples_are_judged_against_other_texts(tmp_path, monkeypatch, capsys):
    paragraphs = [" ".join(make_sentences(300)[i : i + 3]) for i in range(0, 300, 3)]
    book = tmp_path / "tiny_book.txt"
    book.write_text(HEADER + "\n\n".join(paragraphs) + "\n")
    captions = tmp_path / "captions.txt"
    captions.write_text("A man is riding a horse.\nTwo dogs are running in the park.\n")
    monkeypatch.setattr(samples_near, "RESULTS", tmp_path / "results")
    tiny = "--epochs 1 --max-minutes 0.2 --embed 16 --hidden 16 --latent-dim 4 --vocab-size 300"
    argv = ["--book", str(book), "--others", str(captions), "--threads", "1", "-n", "12", "--from-scratch"]
    assert samples_near.main([*argv, "--train-args", tiny]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["train_sentences"] + result["held_out_sentences"] == 300
    for way in ("prior", "near_corpus", "posterior_of_a_training_sentence"):
        assert result[way]["n"] == 12 and 0 <= result[way]["reads_like_another_text"] <= 12
    assert result["region"]["sentences"] == result["train_sentences"]
    assert (tmp_path / "results" / "samples-near-tiny_book.json").exists()


def test_the_judge_tells_a_caption_from_the_book():
    judge = samples_near.UnigramJudge(
        ["The old captain told the story of the sea.", "She smiled at the captain."],
        {"captions": ["A man is riding a horse.", "A dog is running on grass."]},
    )
    assert judge.elsewhere("A dog is riding a horse.") == "captions"
    assert judge.elsewhere("The captain smiled at the sea.") is None
    assert samples_near.CAPTION.match("Two dogs are running.") and not samples_near.CAPTION.match("He is here.")
