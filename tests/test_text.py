"""The names the GPT notebook learns from, and the character tokenizer (microgpt's BOS scheme)."""
from __future__ import annotations

import unicodedata

import numpy as np

import pytest

from circuitgrad import nn
from circuitgrad.nn.text import CharTokenizer, names


def test_the_shipped_name_lists():
    en, ko = names("en"), names("ko")
    assert len(en) == 5163 and en == sorted(en) and len(set(en)) == len(en)
    assert all(name.isascii() and name.isalpha() and name.islower() for name in en)
    assert {"emma", "olivia", "james"} <= set(en)
    assert len(ko) == 44 * 121 and "김민준" in ko and len(set(ko)) == len(ko)
    assert all(len(name) == 3 and all("\uac00" <= c <= "\ud7a3" for c in name) for name in ko)  # syllable blocks
    assert names() == en


def test_encode_puts_bos_around_the_characters_as_microgpt_does():
    tok = CharTokenizer(["emma", "ava"])
    assert tok.chars == ["a", "e", "m", "v"] and tok.bos_id == 4 and tok.vocab_size == 5
    assert tok.encode("emma") == [4, 1, 2, 2, 0, 4]
    assert tok.encode("emma", bos=False) == [1, 2, 2, 0]
    assert tok.decode([4, 1, 2, 2, 0, 4]) == "emma"
    assert tok.token(4) == "<BOS>" and tok.token(3) == "v"


def test_korean_names_become_jamo_and_come_back_as_syllables():
    tok = CharTokenizer(names("ko"), jamo=True)
    assert tok.vocab_size < 60  # a few dozen letters write all 5,324 names
    ids = tok.encode("김민준")
    assert len(ids) == 2 + len(unicodedata.normalize("NFD", "김민준")) == 2 + 9
    assert tok.decode(ids) == "김민준"
    for name in names("ko")[::97]:
        assert tok.decode(tok.encode(name)) == name
    syllables = CharTokenizer(names("ko"))
    assert syllables.vocab_size > tok.vocab_size  # without jamo every syllable is its own token


@pytest.mark.parametrize("call, error, words", [
    (lambda: CharTokenizer([]), ValueError, "the corpus is empty"),
    (lambda: CharTokenizer(["", ""]), ValueError, "the corpus is empty"),
    (lambda: CharTokenizer("emma"), TypeError, "give a list of texts"),
    (lambda: CharTokenizer(["emma", 3]), TypeError, "text 1 must be a str, got int"),
    (lambda: CharTokenizer(["emma"]).encode("emmy"), ValueError,
     "character 'y' (U+0079) at position 3 of 'emmy' is not in the vocabulary of 3 characters"),
    (lambda: CharTokenizer(["emma"]).decode([0, 7]), ValueError, "id 7 is outside the vocabulary (0 to 3"),
    (lambda: names("fr"), ValueError, "lang must be 'en' or 'ko', got 'fr'"),
])
def test_bad_input_names_the_value(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_reachable_from_nn():
    assert nn.text.names is names and "text" in nn.__all__


def test_sample_next_draws_from_the_softmax_at_the_temperature():
    from circuitgrad.nn.text import sample_next

    logits = np.array([0.0, 1.0, 2.0, 0.5])
    for temperature in (0.5, 1.0, 2.0):
        g = np.random.default_rng(7)
        draws = np.bincount([sample_next(logits, temperature, generator=g) for _ in range(20000)], minlength=4)
        p = np.exp(logits / temperature) / np.exp(logits / temperature).sum()
        np.testing.assert_allclose(draws / 20000, p, atol=0.015)
    g = np.random.default_rng(7)
    kept = {sample_next(logits, 1.0, top_k=2, generator=g) for _ in range(500)}
    assert kept == {1, 2}  # only the two highest scores
    assert sample_next(np.stack([logits, -logits]), top_k=1) == 0  # (T, vocab): the last row decides
    a = [sample_next(logits, generator=np.random.default_rng(3)) for _ in range(5)]
    assert a == [sample_next(logits, generator=np.random.default_rng(3)) for _ in range(5)]  # seeded: repeatable


@pytest.mark.parametrize("kwargs, words", [
    (dict(temperature=0), "temperature must be a number > 0, got 0"),
    (dict(temperature=-1.0), "temperature must be a number > 0, got -1.0"),
    (dict(temperature=float("nan")), "temperature must be a number > 0, got nan"),
    (dict(top_k=5), "top_k must be an int from 1 to the vocabulary size 4, got 5"),
    (dict(top_k=0), "top_k must be an int from 1 to the vocabulary size 4, got 0"),
])
def test_sample_next_refuses_bad_settings_naming_the_value(kwargs, words):
    from circuitgrad.nn.text import sample_next

    with pytest.raises(ValueError) as info:
        sample_next(np.zeros(4), **kwargs)
    assert words in str(info.value)
