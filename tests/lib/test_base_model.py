"""Fine-tuning a base model: its tokenizer and a copy of its weights; refused with a message when unusable;
another script trains from scratch. The real base is rebuilt by `python -m textvae.base_model` (not in tests)."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from tests.helpers import make_sentences
from textvae import Corpus, TextTokenizer, TextVAEError, TrainConfig, load_bundle
from textvae.base_model import base_fits, collect, load_base, tokens_per_character
from textvae.cli import main
from textvae.pipeline import train_model

ENGLISH = make_sentences(200)
CHINESE = ["红楼梦是中国古典小说的巅峰之作。", "宝玉笑道：你又来了！", "黛玉听了，不觉心中一动。"] * 20


def test_an_english_tokenizer_fits_english_but_not_chinese():
    tokenizer = TextTokenizer.train(ENGLISH, vocab_size=400)
    assert base_fits(tokenizer, ENGLISH)[0]
    fits, rate = base_fits(tokenizer, CHINESE)
    assert not fits and rate > 1.0 and tokens_per_character(tokenizer, CHINESE) == rate


def test_fine_tuning_uses_the_base_tokenizer_and_leaves_the_base_weights_alone(trained):
    base, _, _ = trained
    before = {k: v.clone() for k, v in base.model.state_dict().items()}
    events = []
    tuned, _ = train_model(
        Corpus(make_sentences(120, seed=3)),
        training=TrainConfig(
            epochs=1, batch_size=16, threads=1, lr=1e-3, fine_tune_lr=3e-4, lr_schedule="constant", log_every=1
        ),
        base=base,
        callbacks=[events.append],
    )
    used = [e["lr"] for e in events if e["type"] == "step"]
    assert used and used == pytest.approx([3e-4] * len(used))  # the fine-tuning rate, not lr
    assert tuned.metrics["training"]["lr"] == 3e-4
    assert tuned.tokenizer.to_json() == base.tokenizer.to_json() and tuned.config == base.config
    assert base.tokenizer.words <= tuned.tokenizer.words and "zebra" not in base.tokenizer.words
    assert tuned.metrics["base"] == base.name
    assert all(torch.equal(before[k], v) for k, v in base.model.state_dict().items())
    assert not all(torch.equal(before[k], v) for k, v in tuned.model.state_dict().items())
    assert 0.0 <= tuned.metrics["valid"]["recon_token_acc"] <= 1.0


def test_a_missing_or_broken_base_is_refused_with_a_message(tmp_path, trained):
    with pytest.raises(TextVAEError, match="No base model"):
        load_base(tmp_path / "nothing")
    _, directory, _ = trained
    broken = tmp_path / "broken"
    shutil.copytree(directory, broken)
    config = json.loads((broken / "config.json").read_text())
    config["model"]["vocab_size"] += 7
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(TextVAEError, match="train from scratch"):
        load_base(broken)


def run_cli(argv, capsys):
    code = main(argv)
    return code, capsys.readouterr().err


def test_the_cli_fine_tunes_a_given_base_and_trains_from_scratch_when_asked(tmp_path, trained, corpus_file, capsys):
    base, directory, _ = trained
    common = [str(corpus_file), "--epochs", "1", "--batch-size", "16", "--threads", "1", "--quiet"]
    common += ["--lr", "0.001", "--fine-tune-lr", "0.0003"]
    code, err = run_cli(["train", *common, "--out", str(tmp_path / "tuned"), "--base", str(directory)], capsys)
    assert code == 0 and "fine-tuning the base model" in err and "held-out tokens" in err
    assert "learning rate 0.0003 for fine-tuning" in err
    tuned = load_bundle(tmp_path / "tuned")
    assert tuned.config == base.config and tuned.metrics["training"]["lr"] == 3e-4
    code, err = run_cli(
        ["train", *common, "--out", str(tmp_path / "new"), "--base", str(directory), "--from-scratch"], capsys
    )
    assert code == 0 and "fine-tuning" not in err and load_bundle(tmp_path / "new").metrics["training"]["lr"] == 1e-3


def test_the_cli_trains_chinese_from_scratch_although_a_base_is_given(tmp_path, trained, capsys):
    _, directory, _ = trained
    corpus = tmp_path / "zh.txt"
    corpus.write_text("\n".join(CHINESE * 2), encoding="utf-8")
    argv = ["train", str(corpus), "--out", str(tmp_path / "zh"), "--base", str(directory), "--epochs", "1"]
    code, err = run_cli([*argv, "--threads", "1", "--quiet", "--vocab-size", "300"], capsys)
    assert code == 0 and "training from scratch with a tokenizer of its own" in err


def test_the_base_corpus_leaves_out_the_held_out_novel_and_every_austen(tmp_path):
    for folder in ("books", "gutenberg", "snli", "sentiment_labelled", "ptb"):
        (tmp_path / folder).mkdir()
    sentences = "\n".join(make_sentences(40)) + "\n"
    for name in ("kept.txt", "frankenstein.txt", "austen_emma.txt", "pride_and_prejudice.txt"):
        (tmp_path / "books" / name).write_text(sentences)
    (tmp_path / "snli" / "train.txt").write_text("A man walks his dog in the park.\n")
    (tmp_path / "sentiment_labelled" / "sentences.csv").write_text("text,label\nGreat food and friendly staff.,1\n")
    (tmp_path / "ptb" / "ptb.train.txt").write_text("the market rose\nthe <unk> fell\nit rose N %\n")
    found, counts = collect(tmp_path)
    assert set(counts) == {
        "books/kept.txt",
        "snli/train.txt",
        "sentiment_labelled/sentences.csv",
        "ptb/ptb.train.txt (no <unk>, no N)",
    }
    assert "the market rose" in found and not any("<unk>" in s for s in found)


def test_a_build_can_continue_from_an_earlier_stage_and_records_both(tmp_path):
    from textvae.base_model import build

    data = tmp_path / "data"
    for folder in ("books", "gutenberg", "snli", "sentiment_labelled", "ptb"):
        (data / folder).mkdir(parents=True)
    (data / "snli" / "train.txt").write_text("\n".join(make_sentences(200)) + "\n")
    (data / "sentiment_labelled" / "sentences.csv").write_text("text,label\nGreat food and friendly staff.,1\n")
    (data / "ptb" / "ptb.train.txt").write_text("the market rose\n")
    first = build(data, tmp_path / "one", minutes=0.005, threads=1)
    second = build(data, tmp_path / "two", minutes=0.005, threads=1, init=tmp_path / "one", free_bits=0.5)
    assert second.tokenizer.vocab_size == first.tokenizer.vocab_size and second.metrics["training"]["free_bits"] == 0.5
    stages = load_bundle(tmp_path / "two").metrics["base_stages"]
    assert [s["from"] for s in stages] == ["scratch", "the previous stage"]
    assert [s["free_bits"] for s in stages] == [0.25, 0.5] and all(s["steps"] >= 1 for s in stages)
