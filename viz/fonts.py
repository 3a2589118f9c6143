"""A Korean font for matplotlib figures, found wherever the machine has one.

matplotlib lists the fonts it knows in a cache it builds once (`~/.cache/matplotlib`) and does
not rebuild when a font is installed later, not even after a restart. So a learner who runs
`apt-get install fonts-nanum` after the first plot (or a Colab session, whose cache predates any
font it installs) would get boxes for Hangul forever. `korean_font()` looks in matplotlib's list
first, then asks fontconfig (`fc-list :lang=ko`), the list the system itself keeps, and adds
what it finds to matplotlib's font manager for this process. matplotlib's global settings
(`rcParams`) are never changed: each figure gets the font as a fallback, for itself only.
matplotlib is imported on the first call, so that importing viz works without it.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, Optional

from .theme import CJK_FONTS, CJK_TEXT, korean_font_files

NO_FONT_HINT = ("install one (as root: `apt-get install fonts-nanum`, in Colab `!apt-get install -y fonts-nanum`; "
                "without root: copy NanumGothic.ttf into ~/.local/share/fonts); the next plot finds it")


def korean_font() -> Optional[str]:
    """The family name of a Korean font matplotlib can draw with, or None when the machine has none.

    Fonts installed after matplotlib built its cache are found through fontconfig and added to
    matplotlib's font manager (for this process; the cache file is left alone).
    """
    from matplotlib import font_manager

    found = _known_korean_font()
    if found is None:
        added = []
        for path in korean_font_files():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read: skip it
                continue
            added.append(font_manager.FontProperties(fname=path).get_name())
        found = _known_korean_font() or (added[0] if added else None)
    return found


def _known_korean_font() -> Optional[str]:
    """The first of theme.CJK_FONTS that matplotlib's font manager lists, or None."""
    from matplotlib import font_manager

    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def korean_fallback(plot: Callable[..., Any]) -> Callable[..., Any]:
    """Build the figure with a Korean font after the user's fonts (matplotlib falls back glyph by
    glyph), so Korean titles, labels and legends are not drawn as boxes; warn, saying how to get a
    font, when the figure holds Korean text and the machine has no Korean font."""
    @functools.wraps(plot)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from matplotlib import rc_context, rcParams

        family = list(rcParams["font.family"])
        cjk = korean_font()
        settings = {"font.family": family + [cjk]} if cjk and cjk not in family else {}
        with rc_context(settings):
            fig = plot(*args, **kwargs)
        if cjk is None and _has_korean_text(fig):
            warnings.warn(f"{plot.__name__}: this machine has no Korean font, so Korean text shows as boxes; "
                          f"{NO_FONT_HINT}", UserWarning, stacklevel=2)
        return fig
    return wrapper


def _has_korean_text(fig: Any) -> bool:
    from matplotlib.text import Text

    # Only Text artists: other artists have a get_text of their own (a contour's labeller takes
    # two arguments), and the texts of a contour's labels, a legend or a title are all Text.
    return any(CJK_TEXT.search(t.get_text()) for t in fig.findobj(Text))
