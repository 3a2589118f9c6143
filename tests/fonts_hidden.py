"""Make this process (and the programs it starts) see a machine with no Korean font, as a pip user
or a fresh Colab session has it, although our set-up installs `fonts-nanum`.

- fontconfig, which `fc-list`, Graphviz and circuitgrad's font search read, gets a configuration
  with no font folders (`FONTCONFIG_FILE`), so it lists no font at all;
- matplotlib's font list (built from its cache) loses every Korean font.
Used by tests/test_viz_fonts.py (undone after each test) and by the no-Korean-font notebook run
(a kernel's first cell, `PREAMBLE`).
"""
from __future__ import annotations

from pathlib import Path

EMPTY_FONTCONFIG = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    '<fontconfig><cachedir>{cache}</cachedir></fontconfig>\n')


def _korean(entry, files: set) -> bool:
    from circuitgrad.viz.theme import CJK_FONTS
    return entry.fname in files or entry.name in CJK_FONTS


def hide_korean_fonts(folder: Path, monkeypatch=None) -> None:
    """Hide every Korean font from matplotlib and fontconfig: until `monkeypatch` is undone, or for
    good in this process when none is given (a notebook kernel)."""
    import os

    from matplotlib import font_manager

    from circuitgrad.viz import theme

    setenv = monkeypatch.setenv if monkeypatch else os.environ.__setitem__
    setattr_ = monkeypatch.setattr if monkeypatch else setattr
    files = set(theme.korean_font_files())
    config = Path(folder) / "fonts.conf"
    config.write_text(EMPTY_FONTCONFIG.format(cache=Path(folder) / "fc-cache"))
    setenv("FONTCONFIG_FILE", str(config))
    setattr_(font_manager.fontManager, "ttflist",
             [e for e in font_manager.fontManager.ttflist if not _korean(e, files)])
    theme.cjk_font.cache_clear()


# The same, for good, as a notebook kernel's first cell.
PREAMBLE = f"""\
import sys as _sys, tempfile as _tempfile
_sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
import fonts_hidden as _hidden
_hidden.hide_korean_fonts(_tempfile.mkdtemp())
from circuitgrad.viz import fonts as _fonts
assert _fonts.korean_font() is None, "the Korean fonts are not hidden"
_sys.path.pop(0)
del _sys, _tempfile, _hidden, _fonts
"""
