"""The `circuitgrad` command in Korean: `--lang ko` or a Korean locale (LANG=ko_KR.UTF-8) gives the help,
the messages and the pages it writes in Korean; an unknown language is one line naming the known ones."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from circuitgrad.cli import main
from circuitgrad.viz import locale
from conftest import run_cli as run  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HANGUL = re.compile("[\uac00-\ud7a3]")


pytestmark = pytest.mark.usefixtures("no_locale")  # conftest: each test sets the language it reads


def english_sentences(prefix: str) -> list:
    """The English strings under `prefix`, cut at their placeholders, keeping the pieces that hold words."""
    pieces = []
    for value in locale.strings("en", prefix).values():
        pieces += [p.strip() for p in re.split(r"\{\w+\}", value) if re.search(r"[a-z]{4,} [a-z]{3,}", p)]
    return pieces


@pytest.mark.parametrize("argv", [["--lang", "ko", "--help"], ["--lang=ko", "draw", "--help"],
                                  ["demo", "--lang", "ko", "--help"]])
def test_help_in_korean(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert out.startswith("사용법: circuitgrad") and "옵션:" in out and "이 도움말을 보여 주고 끝냅니다" in out
    left = [p for p in english_sentences("cli.") if p in out]
    assert not left, left
    if "draw" in argv:
        assert "exp, log, sqrt, tanh, sigmoid" in out and "파이썬 코드로 실행되지 않습니다" in out


def test_the_korean_locale_is_enough(capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "명령:" in out and "역전파" in out
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")  # LC_ALL comes first, as for every POSIX program
    code, out, _ = run(capsys, "--help")
    assert code == 0 and out.startswith("usage: ")


@pytest.mark.parametrize("argv, match", [
    (["draw", "x +", "x=1"], "'x +' 을(를) 읽을 수 없습니다"),
    (["draw", "x", "x=abc"], "x=abc: 'abc' 은(는) 수가 아닙니다"),
    (["draw", "x", "x=1", "--style", "fancy"], "인자 --style: 'fancy' 은(는) 고를 수 없는 값입니다"),
    (["draw", "-x", "x=1"], "\"-\" 로 시작하는 EXPR 앞에는 -- 가 있어야 합니다"),
    (["draw", "open(x)", "x=1"], "open 은(는) 호출할 수 없습니다"),
    (["demo", "--epochs", "0"], "--epochs 는 1 이상이어야 합니다. 받은 값: 0"),
    ([], "명령을 주세요: draw 또는 demo"),
])
def test_errors_in_korean_are_one_line(capsys, tmp_path, argv, match):
    output = ["-o", str(tmp_path / "c.svg")] if argv[:1] == ["draw"] else []
    code, out, err = run(capsys, *argv[:1], "--lang", "ko", *argv[1:], *output)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("circuitgrad: 오류: ") and "Traceback" not in err
    assert match in err, err


def test_draw_writes_a_korean_page_and_korean_steps(capsys, tmp_path):
    page = tmp_path / "c.html"
    code, out, err = run(capsys, "draw", "(x + y) * z", "x=-2", "y=5", "z=-4", "w=1", "-o", str(page),
                         "--steps", str(tmp_path / "steps"), "--lang", "ko")
    assert code == 0
    assert out.splitlines() == ["f = -12", "df/dx = -4   df/dy = -4   df/dz = 3", f"썼습니다: {page}",
                                f"역전파 단계 3장을 썼습니다: {tmp_path / 'steps' / 'step_01.svg'} ... step_03.svg"]
    assert err == "circuitgrad: 참고: w 은(는) 식에 쓰이지 않았습니다\n"
    text = page.read_text(encoding="utf-8")
    assert '<html lang="ko">' in text and "역전파" in text and '"explorer.backward":"역전파"' in text
    assert "3단계 중 2단계" in (tmp_path / "steps" / "step_02.svg").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv", [["--lang", "fr", "draw", "x", "x=1"], ["draw", "x", "x=1", "--lang=de"]])
def test_an_unknown_language_is_one_line_naming_the_known_ones(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert re.fullmatch(r"circuitgrad: error: unknown language '(fr|de)' for --lang; known: en, ko\n", err), err


def test_an_unknown_language_from_a_shell_has_no_traceback(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), LANG="ko_KR.UTF-8")
    done = subprocess.run([sys.executable, "-m", "circuitgrad.cli", "--lang", "xx", "draw", "x", "x=1"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr == "circuitgrad: 오류: --lang 의 'xx' 은(는) 모르는 언어입니다. 아는 언어: en, ko\n"
    assert list(tmp_path.iterdir()) == []


def test_demo_gets_the_language(capsys, monkeypatch):
    from circuitgrad import demo
    calls = []
    monkeypatch.setattr(demo, "main", lambda **options: calls.append(options) or 0)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert main(["demo", "--epochs", "5"]) == 0
    assert main(["demo", "--lang", "en"]) == 0
    assert calls == [dict(out="out", epochs=5, progress=True, lang="ko"), dict(out="out", epochs=10001, progress=True)]


def test_demo_says_what_it_does_in_korean(tmp_path):
    from circuitgrad import demo
    lines: list = []
    with pytest.raises(ValueError, match="unknown language 'xx'"):
        demo.main(out=str(tmp_path / "never"), lang="xx")
    assert not (tmp_path / "never").exists()
    # the first part only (drawing the circuits), stopped before training by a failing echo

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("2."):
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        demo.main(out=str(tmp_path), epochs=1, progress=False, echo=echo, lang="ko")
    assert lines[0].startswith("1. seed 튜토리얼의 CS231n 회로") and "   시그모이드 뉴런 = 0.73" in lines
    assert lines[-1] == "2. XOR 신경망 2-10-10-10-1 (시그모이드, BCE, SGD lr=1), 에포크 1번"
    assert len(list((tmp_path / "cs231n_steps").glob("step_*.png"))) == 3
