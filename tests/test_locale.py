"""The words of the pages and the command line: one file per language, the same keys and placeholders in each.

A third language is a third file (viz/locales/<lang>.json); these tests hold it to English's keys and
`{name}` placeholders, so no page or message can miss a word or a number in it.
"""
from __future__ import annotations

import json
import re

import pytest

from circuitgrad.viz import locale


def test_every_language_has_the_keys_and_placeholders_of_english():
    english = locale.strings("en")
    assert set(locale.languages()) >= {"en", "ko"}
    for lang in locale.languages():
        table = locale.strings(lang)
        assert set(table) == set(english), (lang, sorted(set(table) ^ set(english)))
        for key, value in table.items():
            assert isinstance(value, str) and value, (lang, key)
            assert locale.placeholders(value) == locale.placeholders(english[key]), (lang, key, value)


def test_the_files_are_flat_json_objects_of_strings():
    for path in sorted(locale.LOCALES.glob("*.json")):
        table = json.loads(path.read_text(encoding="utf-8"))
        assert all(isinstance(v, str) for v in table.values()), path
        assert all(re.fullmatch(r"[a-z]+\.[a-z0-9_]+", k) for k in table), path


def test_korean_is_written_in_hangul_with_the_glossarys_terms():
    ko = locale.strings("ko")
    # nearly every string holds Hangul; those that do not are symbols, formulas or names (e.g. "{message}")
    latin_only = [k for k, v in ko.items() if not re.search("[\uac00-\ud7a3]", v)]
    assert len(latin_only) < len(ko) / 10, latin_only
    words = " ".join(ko.values())
    for term in ("역전파", "순전파", "기울기", "연쇄 법칙", "국소 미분", "형상", "가중치", "에포크", "손실"):
        assert term in words, term
    for variant in ("그래디언트", "비용함수", "오차역전파", "순방향"):  # the tutorials' other names, not the canonical ones
        assert variant not in words, variant


def test_text_fills_placeholders_and_messages_translate_late():
    assert locale.text("en", "steps.head", k=1, n=3) == "step 1 of 3: "
    assert locale.text("ko", "steps.head", k=1, n=3) == "3단계 중 1단계: "
    m = locale.Message("cli.not_number", name="x", text="abc", quoted="'abc'")
    assert str(m) == "x=abc: 'abc' is not a number"
    assert m.text("ko") == "x=abc: 'abc' 은(는) 수가 아닙니다"
    nested = locale.Message("cli.too_many_uses", who=locale.Message("cli.gate_output", op="+"), count=200, limit=150)
    assert nested.text("ko").startswith("+ 게이트의 출력 이(가) 200번")


@pytest.mark.parametrize("environ, lang", [
    ({"LANG": "ko_KR.UTF-8"}, "ko"), ({"LC_ALL": "ko_KR.eucKR", "LANG": "en_US.UTF-8"}, "ko"),
    ({"LC_ALL": "", "LC_MESSAGES": "en_GB.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"), ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "en"), ({}, "en"), ({"LANG": "ko"}, "ko"), ({"LC_ALL": "ko_KR@euro"}, "ko"),
])
def test_the_locale_picks_the_language_as_posix_orders_its_variables(environ, lang):
    assert locale.from_environment(environ) == lang


def test_an_unknown_language_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown language 'fr'; known: en, ko"):
        locale.strings("fr")
    with pytest.raises(TypeError, match="lang must be a str"):
        locale.text(None, "steps.head", k=1, n=1)
    with pytest.raises(ValueError, match="unknown language '../en'"):
        locale.strings("../en")  # not a path into the file system either
