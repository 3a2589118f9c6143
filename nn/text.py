"""Text for language models: names to learn from and a character tokenizer.

A character-level model (makemore, microgpt) reads a word one character at a time and predicts
the next. `CharTokenizer` gives each character of a corpus an integer id and adds one special
token, BOS ("beginning of sequence"), that both starts a word and ends it, as microgpt does:
`encode("emma")` is `[BOS, e, m, m, a, BOS]`, and sampling stops when the model says BOS.

Korean is written in syllable blocks (김, 민, 준) that are each made of two or three letters
(jamo: ㄱ ㅣ ㅁ). With `jamo=True` the tokenizer works on the letters: text is split with Unicode
NFD (`unicodedata.normalize("NFD", ...)`, so 김 becomes three code points) before encoding and
put back together with NFC after decoding, so a model of a few dozen letters writes any syllable.
"""
from __future__ import annotations

import unicodedata
from importlib import resources
from typing import Any, Iterable, List, Optional, Sequence

import numpy as np

from circuitgrad.autograd import multinomial
from circuitgrad.autograd.checks import is_int, is_real

__all__ = ["CharTokenizer", "names", "sample_next"]

BOS = "<BOS>"


class CharTokenizer:
    """Characters to integer ids and back, built from a corpus: the corpus's characters in sorted
    order get ids 0 .. n-1, and BOS gets id n (`bos_id`), so `vocab_size` is n + 1.

    Raises ValueError for an empty corpus, and (in `encode`) for a character the corpus does
    not have, naming it and its position.
    """

    def __init__(self, texts: Iterable[str], jamo: bool = False) -> None:
        if isinstance(texts, str):
            raise TypeError("CharTokenizer: give a list of texts (e.g. names), not one string; "
                            "for one text write CharTokenizer([text])")
        self.jamo = bool(jamo)
        docs = [self._split(_text(t, "CharTokenizer", i)) for i, t in enumerate(texts)]
        chars = sorted(set("".join(docs)))
        if not chars:
            raise ValueError("CharTokenizer: the corpus is empty (no texts, or only empty ones); "
                             "give at least one non-empty text, e.g. nn.text.names('en')")
        self.chars: List[str] = chars
        self.bos_id = len(chars)
        self._ids = {c: i for i, c in enumerate(chars)}

    @property
    def vocab_size(self) -> int:
        """How many different tokens: every character, and BOS."""
        return len(self.chars) + 1

    def _split(self, text: str) -> str:
        return unicodedata.normalize("NFD", text) if self.jamo else text

    def encode(self, text: str, bos: bool = True) -> List[int]:
        """The ids of `text`'s characters, with BOS before and after (`bos=False`: without)."""
        text = self._split(_text(text, "encode"))
        ids = []
        for position, char in enumerate(text):
            i = self._ids.get(char)
            if i is None:
                raise ValueError(f"encode: character {char!r} (U+{ord(char):04X}) at position {position} of "
                                 f"{text!r} is not in the vocabulary of {len(self.chars)} characters; build the "
                                 "tokenizer from a corpus that has it")
            ids.append(i)
        return [self.bos_id, *ids, self.bos_id] if bos else ids

    def decode(self, ids: Sequence[int]) -> str:
        """The text of `ids`, BOS left out (with `jamo=True` the letters composed back into syllables).
        Raises ValueError for an id outside the vocabulary."""
        chars = []
        for i in ids:
            i = int(i)
            if i == self.bos_id:
                continue
            if not 0 <= i < len(self.chars):
                raise ValueError(f"decode: id {i} is outside the vocabulary (0 to {self.bos_id}, {self.bos_id} "
                                 "being BOS)")
            chars.append(self.chars[i])
        text = "".join(chars)
        return unicodedata.normalize("NFC", text) if self.jamo else text

    def token(self, i: int) -> str:
        """One id as the text a picture labels it with: its character, or "<BOS>"."""
        return BOS if int(i) == self.bos_id else self.decode([i])

    def __repr__(self) -> str:
        # jamo side by side would compose into syllables on screen: show them apart
        shown = (" " if self.jamo else "").join(self.chars[:30]) + ("..." if len(self.chars) > 30 else "")
        return f"CharTokenizer(vocab_size={self.vocab_size}, chars={shown!r}{', jamo=True' if self.jamo else ''})"


def sample_next(logits: Any, temperature: float = 1.0, top_k: Optional[int] = None, generator: Any = None) -> int:
    """One token id drawn from `logits` (the scores of the next token, shape (vocab,) or the last
    row of (T, vocab)): softmax(logits / temperature), kept to the `top_k` highest when given.

    A temperature below 1 sharpens the distribution (0.5 is microgpt's), above 1 flattens it.
    The draw is `cg.multinomial`'s: from circuitgrad's random state (`cg.manual_seed(n)` repeats
    it), or from `generator` (a numpy Generator or an int seed). Raises ValueError for a
    temperature that is not > 0 or a top_k outside 1..vocab.
    """
    scores = np.asarray(getattr(logits, "data", logits), dtype=np.float64)
    if scores.ndim == 2:
        scores = scores[-1]
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"sample_next: logits must have shape (vocab,) or (T, vocab), got {np.shape(scores)}")
    if not is_real(temperature) or not temperature > 0 \
            or not np.isfinite(temperature):
        raise ValueError(f"sample_next: temperature must be a number > 0, got {temperature!r} (a temperature near 0 "
                         "picks the likeliest token; use top_k=1 for exactly that)")
    if top_k is not None:
        if not is_int(top_k) or not 1 <= top_k <= scores.size:
            raise ValueError(f"sample_next: top_k must be an int from 1 to the vocabulary size {scores.size}, "
                             f"got {top_k!r}")
        cut = np.sort(scores)[-int(top_k)]
        scores = np.where(scores >= cut, scores, -np.inf)
    z = scores / temperature
    p = np.exp(z - z.max())  # softmax, without its division: multinomial takes unnormalized weights
    return int(multinomial(p, 1, generator=generator).item())


def names(lang: str = "en") -> List[str]:
    """Names to train a character-level model on, shipped with circuitgrad (never downloaded).

    `"en"`: 5,163 English first names in lower case (the 1990 US Census lists, public domain, as
    shipped by the PyPI package `names`, MIT). `"ko"`: 5,324 Korean full names, every surname
    paired with every given name of the Korean lists of the PyPI package `Faker` (MIT). Sorted;
    shuffle them yourself. See `nn/corpora/README.md`. Raises ValueError for another language.
    """
    if lang == "en":
        return _lines("names_en.txt")
    if lang == "ko":
        return [s + g for s in _lines("names_ko_surnames.txt") for g in _lines("names_ko_given.txt")]
    raise ValueError(f"names: lang must be 'en' or 'ko', got {lang!r}")


def _lines(file: str) -> List[str]:
    text = resources.files(__package__).joinpath("corpora", file).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line]


def _text(text: object, op: str, index: int = -1) -> str:
    if not isinstance(text, str):
        where = f"text {index} " if index >= 0 else ""
        raise TypeError(f"{op}: {where}must be a str, got {type(text).__name__} {text!r:.40}")
    return text
