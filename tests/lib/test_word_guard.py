"""textvae.word_guard: text a person reads has only words of the training text; metrics decode unguarded."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from tests.helpers import make_sentences
from textvae import DecodeOptions, SentenceVAE, TextTokenizer, TextVAEError, VAEConfig, load_bundle, save_bundle
from textvae.draw import draw
from textvae.generation import UNGUARDED, decode_latent
from textvae.word_guard import CANDIDATES, START, WordGuard, _runs, lexicon, word_guard, words_from_text, words_to_text

SENTENCES = make_sentences(300)
# ids 0-3 are the special tokens (their text is "")
PIECES = [b"", b"", b"", b"", b" the", b" per", b"ce", b"ived", b" cat", b"s", b".", b" x", b"s.", b"\xc3", b"\xa9"]
EOS, THE, PER, CE, IVED, CAT, S, DOT, X, S_DOT, E_ACUTE_1, E_ACUTE_2 = range(3, 15)
WORDS = frozenset({"the", "perceived", "cat", "cats", "café"})


def test_words_are_runs_of_letters_lowercased_and_unspaced_scripts_are_left_out():
    assert lexicon(["Don't go—Elizabeth!", "The 2 cats."]) == {"don", "t", "go", "elizabeth", "the", "cats"}
    assert lexicon(["我爱Paris。", "สวัสดี"]) == {"paris"}


def test_a_word_may_only_go_on_as_a_known_word_begins_and_end_as_a_known_word():
    guard = WordGuard(PIECES, WORDS)
    assert guard.allowed(("", b""), PER) and guard.allowed(("per", b""), CE) and guard.allowed(("perce", b""), IVED)
    assert not any(guard.allowed(("perce", b""), t) for t in (DOT, EOS, THE))
    assert (
        guard.allowed(("perceived", b""), DOT) and guard.allowed(("cat", b""), EOS) and guard.allowed(("cat", b""), S)
    )
    assert not guard.allowed(START, X) and guard.allowed(("cat", b""), S_DOT) and not guard.allowed(("the", b""), S_DOT)
    assert guard.advance(("per", b""), CE) == ("perce", b"") and guard.advance(("perceived", b""), DOT) == START
    assert guard.advance(START, CAT) == ("cat", b"")


def test_a_character_written_byte_by_byte_is_judged_when_it_is_complete():
    guard = WordGuard(PIECES, WORDS)
    pending = guard.advance(("caf", b""), E_ACUTE_1)
    assert pending == ("caf", b"\xc3") and guard.allowed(pending, E_ACUTE_2)
    assert guard.advance(pending, E_ACUTE_2) == ("café", b"") and guard.allowed(("café", b""), EOS)
    assert not guard.allowed(("cat", b"\xc3"), E_ACUTE_2)  # "caté" is no word


def test_a_word_that_begins_in_lower_case_stays_in_lower_case():
    pieces = [
        b"",
        b"",
        b"",
        b"",
        b" caf",
        b"\xc3\x89",
        b"\xc3\xa9",
        b" C",
        b"AT",
        b"at",
        b"At",
        b" c",
        b"\xc3",
        b"\x89",
    ]
    caf, e_capital, e_small, c_capital, at_capital, at_small, at_title, c_small, e_byte_1, e_capital_byte_2 = range(
        4, 14
    )
    guard = WordGuard(pieces, WORDS)
    assert guard.allowed(guard.advance(START, caf), e_small) and not guard.allowed(guard.advance(START, caf), e_capital)
    pending = guard.advance(guard.advance(START, caf), e_byte_1)
    assert not guard.allowed(pending, e_capital_byte_2)  # "cafÉ", written byte by byte
    after_c = guard.advance(START, c_capital)
    assert guard.allowed(after_c, at_capital) and guard.allowed(after_c, at_small)  # "CAT", "Cat"
    assert not guard.allowed(guard.advance(START, c_small), at_capital)  # "cAT"
    assert not guard.allowed(guard.advance(START, c_small), at_title) and guard.allowed(
        guard.advance(START, c_small), at_small
    )


def test_greedy_and_sampling_take_the_likeliest_token_that_keeps_words_known():
    guard = WordGuard(PIECES, WORDS)
    logits = torch.full((len(PIECES),), -5.0)
    logits[DOT], logits[IVED] = 3.0, 1.0  # "perce." is likelier than "perceived"
    assert guard.greedy(logits, ("perce", b"")) == IVED and guard.greedy(logits, ("perceived", b"")) == DOT
    probs = logits.softmax(-1)
    tokens = set()
    for seed in range(20):
        generator = torch.Generator().manual_seed(seed)
        drawn = draw(probs.unsqueeze(0), generator, CANDIDATES)[0].tolist()
        tokens.add(guard.sample(probs, ("perce", b""), generator, logits, drawn))
    assert tokens and all(guard.allowed(("perce", b""), t) for t in tokens)


def test_guarded_sampling_follows_the_probabilities_restricted_to_the_allowed_tokens():
    """Drawn with replacement first, then without: either way an allowed token comes with probability
    proportional to its own, as if the disallowed ones had never been there."""
    guard = WordGuard(PIECES, WORDS)
    probs = torch.zeros(len(PIECES))
    probs[X], probs[S], probs[DOT] = 0.90, 0.06, 0.04  # after "cat": " x" begins no known word; "cats", "cat."
    assert not guard.allowed(("cat", b""), X) and guard.allowed(("cat", b""), S) and guard.allowed(("cat", b""), DOT)
    generator = torch.Generator().manual_seed(0)
    counts = Counter()
    for first_draws in (CANDIDATES, 1) * 1500:  # with one first draw, most rows go on without replacement
        drawn = draw(probs.unsqueeze(0), generator, first_draws)[0].tolist()
        counts[guard.sample(probs, ("cat", b""), generator, probs.log(), drawn)] += 1
    assert set(counts) == {S, DOT}
    assert abs(counts[S] / 3000 - 0.6) < 0.04  # 0.06 / (0.06 + 0.04); 4 standard deviations


def test_when_no_likely_token_keeps_words_known_the_fallback_never_takes_a_token_another_guard_banned():
    guard = WordGuard(PIECES, WORDS)
    logits = torch.full((len(PIECES),), -5.0)
    logits[DOT] = 3.0  # top-p keeps only "." ("perce." is no word)
    logits[[EOS, THE, IVED]] = float("-inf")  # banned by other guards: the end, and (say) a repeat of "ived"
    nucleus = torch.zeros(len(PIECES))
    nucleus[DOT] = 1.0
    for seed in range(5):
        generator = torch.Generator().manual_seed(seed)
        drawn = draw(nucleus.unsqueeze(0), generator, CANDIDATES)[0].tolist()  # "." every time
        token = guard.sample(nucleus, ("perce", b""), generator, logits, drawn)
        assert logits[token] > float("-inf") and guard.allowed(("perce", b""), token)
    assert guard.greedy(logits, ("perce", b"")) not in (EOS, THE, IVED)
    everything_banned_but_dot = torch.full((len(PIECES),), float("-inf"))
    everything_banned_but_dot[DOT] = 0.0
    assert guard.greedy(everything_banned_but_dot, ("perce", b"")) == DOT  # the guard never blocks decoding


@pytest.fixture(scope="module")
def bpe_model() -> tuple[SentenceVAE, TextTokenizer]:
    """An untrained decoder over a small byte-level BPE vocabulary: left alone it writes non-words."""
    tokenizer = TextTokenizer.train(SENTENCES, "bpe", vocab_size=400)
    torch.manual_seed(0)
    model = SentenceVAE(VAEConfig(vocab_size=tokenizer.vocab_size, embed_dim=16, hidden_dim=32, latent_dim=4)).eval()
    with torch.no_grad():
        model.output.bias[tokenizer.eos_id] = 0.5  # some sentences end
    return model, tokenizer.with_guards(lexicon(SENTENCES), None)


@pytest.mark.parametrize("method", ["greedy", "sample"])
def test_guarded_decoding_writes_only_known_words_where_unguarded_does_not(bpe_model, method):
    model, tokenizer = bpe_model
    z = 3 * torch.randn(24, 4, generator=torch.Generator().manual_seed(1))
    guard = word_guard(tokenizer)

    def unknown(options: DecodeOptions) -> list[str]:
        """Words not in the lexicon (but the last of a sentence cut at max_length: it may be cut mid-word)."""
        found = []
        for row in decode_latent(model, z, options, torch.Generator().manual_seed(2), guard):
            words = [w for w in _runs(tokenizer.decode(row)) if w]
            found += [w for w in words[: -1 if len(row) == options.max_length else None] if w not in tokenizer.words]
        return found

    assert unknown(DecodeOptions(method=method, max_length=30, known_words=False))  # the model alone: non-words
    assert unknown(DecodeOptions(method=method, max_length=30)) == []
    assert DecodeOptions(**UNGUARDED).known_words is False  # metrics score the model, not the guard


def test_a_trained_model_knows_its_corpus_words_and_keeps_them_in_its_bundle(trained, tmp_path):
    bundle, _, corpus = trained
    assert bundle.tokenizer.words == lexicon(corpus.sentences)
    loaded = load_bundle(save_bundle(bundle, tmp_path / "b"))
    assert loaded.tokenizer.words == bundle.tokenizer.words and (tmp_path / "b" / "words.txt").exists()


def test_a_words_file_that_is_not_a_word_list_is_refused_with_a_message():
    assert words_from_text(words_to_text(WORDS)) == WORDS
    for bad in ("Cat\n", "two words\n", "x" * 100 + "\n"):
        with pytest.raises(TextVAEError, match=r"words\.txt"):
            words_from_text(bad)
