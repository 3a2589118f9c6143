"""The words of the pages and the command line: one JSON file per language, `viz/locales/<lang>.json`.

Each file maps a key to a string, with `{name}` placeholders filled by `text` (Python) or by the
pages' `t(key, params)` (JavaScript); every language has the same keys and the same placeholders
(tests/test_locale.py checks). A third language is a third file: copy `en.json`, translate the
values, keep the keys and placeholders. English is the default; Korean is `ko`.

    text("ko", "steps.head", k=1, n=3)     # '3단계 중 1단계: '
    strings("ko", "explorer.")             # the explorer page's strings, inlined into the page

The library never reads the environment: a page is in the language its `lang=` says. The command
line asks `from_environment()` (LC_ALL, LC_MESSAGES, LANG, as POSIX orders them) when no --lang is given.
"""
from __future__ import annotations

import functools
import json
import os
import string
from pathlib import Path
from typing import Mapping, Optional

LOCALES = Path(__file__).with_name("locales")
DEFAULT = "en"


def languages() -> list:
    """The languages there is a file for, sorted: ['en', 'ko']."""
    return sorted(p.stem for p in LOCALES.glob("*.json"))


@functools.lru_cache(maxsize=None)
def _load(lang: str) -> Mapping[str, str]:
    with open(LOCALES / f"{lang}.json", encoding="utf-8") as f:
        return json.load(f)


def check_language(lang: object) -> str:
    """`lang` when there is a file for it; TypeError for a non-str, ValueError naming the known languages."""
    if not isinstance(lang, str):
        raise TypeError(f"lang must be a str such as 'en' or 'ko', got {type(lang).__name__}")
    known = languages()
    if lang not in known:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(known)} "
                         f"(a new one is a file viz/locales/<lang>.json)")
    return lang


def strings(lang: str = DEFAULT, prefix: str = "") -> dict:
    """The strings of `lang` whose keys start with `prefix` (a copy). Raises what `check_language` raises."""
    table = _load(check_language(lang))
    return {k: v for k, v in table.items() if k.startswith(prefix)}


def text(lang: str, key: str, **params: object) -> str:
    """The string `key` of `lang` with its placeholders filled. KeyError for a key no file has."""
    return _load(check_language(lang))[key].format(**params)


def placeholders(template: str) -> set:
    """The `{name}` placeholders of one string: {'k', 'n'} for 'step {k} of {n}'."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def from_environment(environ: Optional[Mapping[str, str]] = None) -> str:
    """The language the locale asks for (`ko_KR.UTF-8` -> 'ko'), else English.

    The first of LC_ALL, LC_MESSAGES and LANG that is set decides, as for any POSIX program; a
    locale with no file here (C, POSIX, fr_FR) means English.
    """
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            lang = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return lang if lang in languages() else DEFAULT
    return DEFAULT


class Message:
    """Words to show later, in a language chosen later: a key and its parameters, as errors carry them.

    `Message("cli.not_number", name="x", ...)`; a parameter may itself be a Message (translated in the
    same language), and `a + b` shows one after the other. `text(lang)` fills it in; `str()` is English.
    """

    def __init__(self, key: str, **params: object) -> None:
        self.parts = [(key, params)]

    def __add__(self, other: "Message") -> "Message":
        joined = Message.__new__(Message)
        joined.parts = self.parts + other.parts
        return joined

    def text(self, lang: str = DEFAULT) -> str:
        """The message in `lang`. Raises what `check_language` raises."""
        return "".join(text(lang, key, **{k: v.text(lang) if isinstance(v, Message) else v for k, v in params.items()})
                       for key, params in self.parts)

    def __str__(self) -> str:
        return self.text(DEFAULT)

    def __repr__(self) -> str:
        return f"Message({self.text(DEFAULT)!r})"
