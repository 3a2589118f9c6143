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


def hide_korean_fonts(monkeypatch, folder: Path) -> None:
    """Hide every Korean font from matplotlib and fontconfig until `monkeypatch` is undone."""
    from matplotlib import font_manager

    from circuitgrad.viz import theme

    files = set(theme.korean_font_files())
    config = Path(folder) / "fonts.conf"
    config.write_text(EMPTY_FONTCONFIG.format(cache=Path(folder) / "fc-cache"))
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [e for e in font_manager.fontManager.ttflist if not _korean(e, files)])
    theme.cjk_font.cache_clear()


# The same, for good, as a notebook kernel's first cell.
PREAMBLE = """\
import os as _os, tempfile as _tempfile
from matplotlib import font_manager as _fm
from circuitgrad.viz import theme as _theme
_files = set(_theme.korean_font_files())
_folder = _tempfile.mkdtemp()
with open(_os.path.join(_folder, "fonts.conf"), "w") as _f:
    _f.write(%r.format(cache=_os.path.join(_folder, "fc-cache")))
_os.environ["FONTCONFIG_FILE"] = _os.path.join(_folder, "fonts.conf")
_fm.fontManager.ttflist = [e for e in _fm.fontManager.ttflist
                           if e.fname not in _files and e.name not in _theme.CJK_FONTS]
_theme.cjk_font.cache_clear()
from circuitgrad.viz import fonts as _fonts
assert _fonts.korean_font() is None, "the Korean fonts are not hidden"
del _os, _tempfile, _fm, _theme, _files, _folder, _f, _fonts
""" % EMPTY_FONTCONFIG
