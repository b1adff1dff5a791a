"""textvae.sentence_shape: text a person reads begins and ends as the training text's sentences do."""

from __future__ import annotations

import re

import pytest
import torch

from tests.helpers import make_sentences
from textvae import DecodeOptions, SentenceVAE, TextTokenizer, TextVAEError, VAEConfig, load_bundle, save_bundle
from textvae.generation import UNGUARDED, decode_latent, guards
from textvae.safe_files import MAX_FILE_BYTES
from textvae.sentence_shape import (
    MAX_CAPITALS,
    MAX_DOUBLED,
    MAX_ENDINGS,
    MAX_PAIRS,
    SentenceShape,
    ShapeGuard,
    mid_capitals,
)
from textvae.word_guard import MAX_WORD_LENGTH

NOVEL = [f"Sentence {i} of the book{'.?!'[i % 3]}" for i in range(100)]
# ids 0-3 are the special tokens (their text is "")
PIECES = [b"", b"", b"", b"", b" the", b"The", b".", b" \xe2\x80\x99", b"\xe3\x80", b"\x82", b" ", b"cat"]
PIECES += [b",", b" cat", b",,", b"cat.", b" Cat", b" Ki", b"rwin", b"RWIN"]
EOS, THE, THE_CAPITAL, DOT, QUOTE, FULL_STOP_1, FULL_STOP_2, SPACE, CAT = range(3, 12)
COMMA, SPACE_CAT, COMMAS, CAT_DOT, SPACE_CAT_CAPITAL, SPACE_KI, RWIN, RWIN_CAPITALS = range(12, 20)
SHAPE = SentenceShape(frozenset({".", "\u2019", "\u3002"}), no_lower_start=True)
LOWER = {THE, CAT, SPACE_CAT, CAT_DOT, RWIN}  # the pieces that begin in lower case
# …and a text whose marks meet only as ".’" and ",." and that doubles only "the" ("the the")
PUNCTUATED = SentenceShape(frozenset({"."}), False, pairs=frozenset({".\u2019", ",."}), doubled=frozenset({"the"}))


def test_a_rule_is_learnt_only_where_nearly_all_sentences_keep_it():
    shape = SentenceShape.learn(NOVEL)
    assert shape.endings == {".", "?", "!"} and shape.no_lower_start
    words_at_the_end = NOVEL[:90] + [f"a line without a mark {i}" for i in range(10)]
    assert SentenceShape.learn(words_at_the_end).endings == frozenset()  # 10 % end on a word: no end rule
    assert not SentenceShape.learn(words_at_the_end).no_lower_start  # 10 % begin in lower case
    assert not SentenceShape.learn([s.lower() for s in NOVEL]).no_lower_start
    assert not SentenceShape.learn([f"“{s.lower()}”" for s in NOVEL]).no_lower_start  # the first letter counts
    assert SentenceShape.learn([f"“{s}”" for s in NOVEL]).no_lower_start
    assert SentenceShape.learn([*NOVEL, "One odd line;"]).endings == {".", "?", "!"}  # a mark used once is no habit
    assert not SentenceShape.learn(NOVEL[:10]).rules  # too few sentences to say
    assert not SentenceShape.learn(["我爱你。"] * 50).no_lower_start and SentenceShape.learn(
        ["我爱你。"] * 50
    ).endings == {"。"}


def test_the_pairs_of_marks_and_the_doubled_words_of_a_text_are_learnt():
    dialogue = [f"“Sentence {i}, that that,” he said; “that is all.”" for i in range(30)]
    shape = SentenceShape.learn(dialogue)
    assert shape.pairs == {",”", ";“", ".”"} and shape.doubled == {"that"}  # "; “": spaces between count
    assert SentenceShape.learn(NOVEL).pairs == frozenset() and SentenceShape.learn(NOVEL).doubled == frozenset()
    assert SentenceShape.learn(["The the ha ha Ha, . 12 12 _ _ 我我."] * 30).doubled == {"the", "ha"}
    assert SentenceShape.learn(["The the ha ha Ha, . 12 12 _ _ 我我."] * 30).pairs == {",."}
    assert SentenceShape.learn(NOVEL[:10]).pairs is None  # too few sentences: no rule


def test_the_words_a_text_capitalises_inside_sentences_are_learnt_where_it_keeps_to_case():
    assert mid_capitals("“Well,” said Mr. Kirwin, and I saw Geneva; “Who is there?”") == {"mr", "i", "geneva"}
    novel = [f"Sentence {i} was read by Elizabeth, in Geneva." for i in range(30)]
    assert SentenceShape.learn(novel).capitals == {"elizabeth", "geneva"}
    assert SentenceShape.learn([s.lower() for s in novel]).capitals is None  # no case kept: no rule


def test_the_shape_file_round_trips_and_a_bad_one_is_refused_with_a_message():
    assert SentenceShape.from_json(SHAPE.to_json()) == SHAPE and SHAPE.pairs is None
    assert SentenceShape.from_json(PUNCTUATED.to_json()) == PUNCTUATED
    empty = SentenceShape(frozenset(), False, frozenset(), frozenset())  # rules that allow no pair, no doubling
    assert SentenceShape.from_json(empty.to_json()) == empty and empty.rules
    for bad in (
        "[",
        "[]",
        '{"endings": ["a"], "no_lower_start": true}',
        '{"endings": [".."], "no_lower_start": true}',
        '{"endings": ["."], "no_lower_start": 1}',
        '{"endings": "."}',
        '{"endings": ["."], "no_lower_start": true, "pairs": [".a"]}',
        '{"endings": ["."], "no_lower_start": true, "pairs": "..."}',
        '{"endings": ["."], "no_lower_start": true, "doubled": ["The"]}',
        '{"endings": ["."], "no_lower_start": true, "doubled": ["two words"]}',
        '{"endings": ["."], "no_lower_start": true, "capitals": ["Geneva"]}',
    ):
        with pytest.raises(TextVAEError, match=r"shape\.json"):
            SentenceShape.from_json(bad)


def test_the_largest_shape_a_corpus_can_teach_fits_the_bundle_file_limit():
    wide = [chr(0x10428 + i) for i in range(40)]  # 4-byte lower-case letters (Deseret)
    marks = [chr(0x1F300 + i) for i in range(MAX_ENDINGS)]  # 4-byte symbols
    largest = SentenceShape(
        frozenset(marks),
        True,
        frozenset(a + b for a in marks for b in marks[:32]),
        frozenset(wide[i % 40] + wide[i // 40] + wide[0] * (MAX_WORD_LENGTH - 2) for i in range(MAX_DOUBLED)),
        frozenset(wide[i % 40] + wide[i // 40 % 40] + wide[i // 1600] * 62 for i in range(MAX_CAPITALS)),
    )
    assert len(largest.pairs) == MAX_PAIRS and all(len(w) == MAX_WORD_LENGTH for w in largest.doubled)
    assert len(largest.capitals) == MAX_CAPITALS
    assert len(largest.to_json().encode("utf-8")) <= MAX_FILE_BYTES["shape.json"]
    assert SentenceShape.from_json(largest.to_json()) == largest


def masked(guard: ShapeGuard, ids: list[int]) -> set[int]:
    logits = torch.zeros(1, len(PIECES))
    guard.mask(logits, [ids])
    return {int(t) for t in torch.nonzero(torch.isinf(logits[0]))}


def test_a_sentence_ends_only_after_a_word_and_one_of_the_endings_and_begins_without_lower_case():
    guard = ShapeGuard(PIECES, SHAPE)
    assert masked(guard, []) == {EOS} | LOWER  # nothing written: no end, no lower-case start
    assert masked(guard, [SPACE]) == {EOS} | LOWER  # a space is not a start yet
    assert masked(guard, [THE_CAPITAL]) == {EOS}  # "The" ends on a word
    assert masked(guard, [THE_CAPITAL, DOT]) == set() and masked(guard, [THE_CAPITAL, DOT, SPACE]) == set()
    assert masked(guard, [QUOTE]) == {EOS} | LOWER  # "’" alone is no sentence, and "’cat" begins in lower case
    assert masked(guard, [CAT, QUOTE]) == set()
    assert masked(guard, [CAT, FULL_STOP_1]) == {EOS} and masked(guard, [CAT, FULL_STOP_1, FULL_STOP_2]) == set()
    assert masked(guard, [CAT, DOT, EOS]) == set()  # a finished row is left alone
    assert masked(ShapeGuard(PIECES, SentenceShape(frozenset(), True)), [CAT]) == set()  # no end rule
    assert masked(ShapeGuard(PIECES, SentenceShape(frozenset({"."}), False)), []) == {EOS}  # no start rule


def test_marks_meet_only_as_in_the_text_and_a_word_follows_itself_only_where_the_text_doubles_it():
    guard = ShapeGuard(PIECES, PUNCTUATED)
    odd_everywhere = {COMMAS}  # ",," is inside the token
    assert masked(guard, [CAT, DOT]) == {DOT, COMMA, COMMAS}  # ".." and ".," never; ".’" does
    assert masked(guard, [CAT, COMMA, SPACE]) == {EOS, COMMA, COMMAS, QUOTE}  # ", ," ", ’" never; ", ." does
    assert masked(guard, [CAT]) == {EOS, SPACE_CAT, SPACE_CAT_CAPITAL} | odd_everywhere  # "cat cat", "cat Cat"
    assert masked(guard, [CAT, SPACE]) == {EOS, CAT, SPACE_CAT, CAT_DOT, SPACE_CAT_CAPITAL} | odd_everywhere
    assert masked(guard, [THE_CAPITAL]) == {EOS} | odd_everywhere  # the text writes "the the"
    assert {EOS, DOT, COMMA, SPACE, SPACE_CAT} <= masked(guard, [CAT, SPACE, CAT])  # "cat cat", piece by piece
    assert CAT_DOT not in masked(guard, [CAT, SPACE, CAT]) and DOT not in masked(guard, [THE_CAPITAL, THE])
    assert FULL_STOP_2 in masked(guard, [CAT, DOT, FULL_STOP_1])  # ".。", its last byte judged with the others
    assert FULL_STOP_2 not in masked(guard, [CAT, FULL_STOP_1])
    no_rules = ShapeGuard(PIECES, SentenceShape(frozenset({"."}), False))  # a shape saved before these rules
    assert masked(no_rules, [CAT, DOT]) == set() and masked(no_rules, [CAT, SPACE]) == {EOS}


def test_where_the_text_ends_units_with_sentence_and_clause_marks_a_displayed_sentence_ends_with_a_sentence_mark():
    both = ShapeGuard(PIECES, SentenceShape(frozenset({".", ","}), False))  # long sentences were cut after commas
    assert EOS in masked(both, [CAT, COMMA]) and EOS not in masked(both, [CAT, DOT])
    assert both.trim([CAT, DOT, SPACE_CAT, COMMA, SPACE_CAT]) == [CAT, DOT]
    assert both.trim([CAT, COMMA, SPACE_CAT]) == [CAT, COMMA]  # no sentence mark: its last clause mark
    verse = ShapeGuard(PIECES, SentenceShape(frozenset({","}), False))  # lines that all end with a comma
    assert EOS not in masked(verse, [CAT, COMMA])


def test_inside_a_sentence_a_word_has_a_capital_only_where_the_text_gives_it_one():
    guard = ShapeGuard(PIECES, SentenceShape(frozenset({"."}), True, capitals=frozenset({"kirwin"})))
    assert SPACE_CAT_CAPITAL in masked(guard, [CAT]) and SPACE_CAT_CAPITAL in masked(guard, [CAT, COMMA])
    assert SPACE_KI not in masked(guard, [CAT])  # "cat Ki…" may go on to "Kirwin"
    assert RWIN not in masked(guard, [CAT, SPACE_KI]) and RWIN_CAPITALS in masked(guard, [CAT, SPACE_KI])  # "KiRWIN"
    assert {EOS, DOT, SPACE} <= masked(guard, [CAT, SPACE_KI])  # "cat Ki" is no word the text capitalises
    assert DOT not in masked(guard, [CAT, SPACE_KI, RWIN])  # "cat Kirwin." is
    assert SPACE_CAT_CAPITAL not in masked(guard, [CAT, DOT])  # a sentence begins after "."
    assert SPACE_CAT_CAPITAL not in masked(ShapeGuard(PIECES, SentenceShape(frozenset({"."}), True)), [CAT])


def test_a_sentence_the_length_limit_cut_is_shown_up_to_its_last_ending():
    guard = ShapeGuard(PIECES, SHAPE)
    assert guard.trim([THE_CAPITAL, DOT, SPACE, CAT, THE]) == [THE_CAPITAL, DOT]
    assert guard.trim([CAT, FULL_STOP_1, FULL_STOP_2, THE, FULL_STOP_1]) == [CAT, FULL_STOP_1, FULL_STOP_2]
    assert guard.trim([QUOTE, CAT, THE]) == [QUOTE, CAT, THE]  # no ending after a word: all of it


@pytest.fixture(scope="module")
def chatty_model() -> tuple[SentenceVAE, TextTokenizer]:
    """An untrained decoder that ends sentences early and anywhere, and a tokenizer carrying a novel's shape."""
    sentences = make_sentences(300)
    tokenizer = TextTokenizer.train(sentences, "bpe", vocab_size=400)
    torch.manual_seed(0)
    model = SentenceVAE(VAEConfig(vocab_size=tokenizer.vocab_size, embed_dim=16, hidden_dim=32, latent_dim=4)).eval()
    with torch.no_grad():
        model.output.bias[tokenizer.eos_id] = 2.0
    return model, tokenizer.with_guards(frozenset(), SentenceShape.learn(sentences))


@pytest.mark.parametrize("method", ["greedy", "sample", "beam"])
def test_guarded_decoding_keeps_the_shape_where_unguarded_does_not(chatty_model, method):
    model, tokenizer = chatty_model
    z = 3 * torch.randn(24, 4, generator=torch.Generator().manual_seed(1))
    _, shape = guards(tokenizer)

    def broken(options: DecodeOptions) -> int:
        """Sentences that end (before the length limit) without "." or begin in lower case."""
        rows = decode_latent(model, z, options, torch.Generator().manual_seed(2), None, shape)
        texts = [tokenizer.decode(row).strip() for row in rows]
        return sum(
            (len(row) < options.max_length and not text.endswith(".")) or text[:1].islower()
            for row, text in zip(rows, texts, strict=True)
        )

    assert broken(DecodeOptions(method=method, max_length=30, sentence_shape=False)) > 0
    assert broken(DecodeOptions(method=method, max_length=30)) == 0
    assert DecodeOptions(**UNGUARDED).sentence_shape is False  # metrics score the model, not the guard


def test_guarded_decoding_writes_no_word_twice_and_no_odd_marks_where_unguarded_does(chatty_model):
    model, tokenizer = chatty_model
    stuttering = SentenceVAE(model.config).eval()
    stuttering.load_state_dict(model.state_dict())
    dog, comma = tokenizer.encode("A dog")[-1], tokenizer.encode(",")[-1]
    assert (tokenizer.piece_bytes(dog), tokenizer.piece_bytes(comma)) == (b" dog", b",")
    with torch.no_grad():
        stuttering.output.bias[[dog, comma]] += 5.0
    z = 3 * torch.randn(24, 4, generator=torch.Generator().manual_seed(1))
    _, shape = guards(tokenizer)
    assert shape.shape.doubled == frozenset() and ",," not in shape.shape.pairs

    def flaws(options: DecodeOptions) -> int:
        rows = decode_latent(stuttering, z, options, torch.Generator().manual_seed(2), None, shape)
        texts = [tokenizer.decode(row) for row in rows]
        return sum(bool(re.search(r"\b(\w+) \1\b|,\s*,", text, re.IGNORECASE)) for text in texts)

    options = DecodeOptions(method="sample", max_length=30, known_words=False, no_repeat_ngram=0)
    assert flaws(DecodeOptions(**{**options.__dict__, "sentence_shape": False})) > 0
    assert flaws(options) == 0


def test_a_trained_model_learns_its_corpus_shape_and_keeps_it_in_its_bundle(trained, tmp_path):
    bundle, _, corpus = trained
    assert bundle.tokenizer.shape == SentenceShape.learn(corpus.sentences) and bundle.tokenizer.shape.rules
    loaded = load_bundle(save_bundle(bundle, tmp_path / "b"))
    assert loaded.tokenizer.shape == bundle.tokenizer.shape and (tmp_path / "b" / "shape.json").exists()
    (tmp_path / "b" / "shape.json").write_text('{"endings": "x"}')
    with pytest.raises(TextVAEError, match=r"shape\.json"):
        load_bundle(tmp_path / "b")


def test_guarded_decoding_of_a_model_that_never_ends_stops_at_its_last_ending(chatty_model):
    model, tokenizer = chatty_model
    _, shape = guards(tokenizer)
    endless = SentenceVAE(model.config).eval()
    endless.load_state_dict(model.state_dict())
    with torch.no_grad():
        endless.output.bias[tokenizer.eos_id] = -100.0
        endless.output.bias[tokenizer.encode("A dog.")[-1]] += 4.0  # "." is likely: most rows write one
    z = 3 * torch.randn(24, 4, generator=torch.Generator().manual_seed(1))
    options = DecodeOptions(method="sample", max_length=30, known_words=False)
    rows = decode_latent(endless, z, options, torch.Generator().manual_seed(2), None, shape)
    texts = [tokenizer.decode(row).strip() for row in rows]
    ended = [text.endswith(".") for text in texts]
    assert all(end or not re.search(r"[^\W_].*\.", text) for end, text in zip(ended, texts, strict=True))
    assert sum(ended) > 12  # the others wrote no "." after a word
    assert all(len(row) == 30 for row in decode_latent(endless, z, options, torch.Generator().manual_seed(2)))
