"""Colours, fonts and the small HTML helpers both diagram styles share.

Forward values are green and gradients red, as in the CS231n backprop figures; a learner
who has seen those reads the diagram without a legend.

Every text that reaches Graphviz (op names, labels, module titles, tooltips) comes from code or a
learner, so it goes through `esc` and is wrapped by `font`, `text_label` or `tooltip`: markup in a
name (`<TABLE HREF="javascript:...">`, `<IMG SRC="/etc/passwd"/>`) is drawn as text, never read
by `dot`. Never hand Graphviz a name as a plain string: the graphviz package passes a string
shaped `<...>` through as an HTML-like label.
"""
from __future__ import annotations

import functools
import html
import re
import shutil
import subprocess
from typing import Any, Optional

import graphviz

# One family name that Graphviz (through fontconfig: Liberation Sans, Arimo or Nimbus Sans) and
# graphviz-pure (its built-in Helvetica metrics) both resolve without a warning. A list such as
# "Helvetica,Arial,sans-serif" is a fontconfig pattern that graphviz-pure does not know.
FONT = "Helvetica"
# Korean fonts viz prefers for Hangul (and CJK) text, sans-serif first; any other installed font
# that fontconfig lists for Korean is used when none of these is there.
CJK_FONTS = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR", "Source Han Sans KR",
             "UnDotum", "Baekmuk Gulim", "Malgun Gothic", "Apple SD Gothic Neo", "AppleGothic",
             "Noto Sans CJK JP", "Noto Sans CJK SC", "WenQuanYi Zen Hei")
# Hangul (jamo, compatibility jamo, syllables), kana, CJK ideographs and their punctuation and forms.
CJK_TEXT = re.compile("[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff00-\uffef]")
# Characters of viz's own text that graphviz-pure has no width for (it estimates, and warns),
# written in ASCII instead: a multiplication sign reads as Python's `*`. (A label is one line.)
_ASCII = str.maketrans({"\n": " ", "\u00a0": " ", "\u00d7": "*", "\u2212": "-", "\u2026": "..."})
VALUE_COLOR = "#2e7d32"    # forward pass: green
GRAD_COLOR = "#c62828"     # backward pass: red
UNKNOWN_COLOR = "#9e9e9e"  # a gradient the step-by-step walk has not reached yet
MUTED_COLOR = "#616161"    # shapes, dtypes, names of intermediate values
WIRE_COLOR = "#212121"
HIGHLIGHT_COLOR = "#ef6c00"  # the node the current backprop step works on
HIGHLIGHT_FILL = "#fff3e0"
CLUSTER_COLOR = "#5c6bc0"
CLUSTER_FILL = "#f5f6fc"
BOX_FILL = "#e8eaf6"

VALUE_SIZE = 13
NAME_SIZE = 16
SMALL_SIZE = 10
GATE_SIZE = 15


def esc(text: str) -> str:
    """Text made safe inside a Graphviz HTML-like label (and typographic signs made ASCII): the one
    escape every name passes through on its way to Graphviz. Graphviz reads a backslash as an
    escape even there (`\\N` is the node's name), so backslashes are doubled."""
    return html.escape(str(text).translate(_ASCII), quote=True).replace("\\", "\\\\")


def text_label(text: str) -> str:
    """A label that shows `text` as it is, in the node's or cluster's own font: an HTML-like label
    holding only escaped text, so `<`, `&` and backslashes in a name are characters, not markup."""
    return f"<{esc(text)}>"


def font(text: str, color: str = WIRE_COLOR, size: int = VALUE_SIZE, bold: bool = False,
         italic: bool = False) -> str:
    """Text in a colour and size; Korean (CJK) text gets an installed Korean font, if any."""
    body = esc(text)
    if bold:
        body = f"<B>{body}</B>"
    if italic:
        body = f"<I>{body}</I>"
    face = ""
    wide = len(CJK_TEXT.findall(text))
    if wide:
        face = f' FACE="{esc(cjk_font())}"' if cjk_font() else ""
        if _estimated_widths():
            # graphviz-pure has no widths for these characters and counts each as three spaces, about
            # 0.6 of a space short of a Korean character: pad, so the text does not run into the wire.
            body += " " * -(-wide * 3 // 5)
    return f'<FONT COLOR="{color}" POINT-SIZE="{size}"{face}>{body}</FONT>'


def _estimated_widths() -> bool:
    """True when the program that will render is graphviz-pure (it estimates CJK text widths)."""
    from .dot_program import resolve

    program = resolve()
    return program is not None and program.pure


@functools.lru_cache(maxsize=1)
def cjk_font() -> Optional[str]:
    """The family Graphviz is given for Korean text: a font fontconfig lists for Korean
    (`fc-list :lang=ko`), or None when there is none, or no fontconfig (Graphviz then draws
    boxes in a PNG; an SVG keeps the text for the browser's fonts)."""
    families = {name.strip() for line in _fc_list_korean("%{family}\n") for name in line.split(",") if name.strip()}
    for name in CJK_FONTS:
        if name in families:
            return name
    ascii_names = sorted(f for f in families if f.isascii())
    return ascii_names[0] if ascii_names else None


def korean_font_files() -> list:
    """The font files fontconfig lists for Korean (`fc-list :lang=ko`), the preferred families first;
    [] without fontconfig. matplotlib reads these when its own font cache predates them."""
    files = []
    for line in _fc_list_korean("%{file}\t%{family}\n"):
        path, _, family = line.partition("\t")
        names = [n.strip() for n in family.split(",")]
        rank = min((CJK_FONTS.index(n) for n in names if n in CJK_FONTS), default=len(CJK_FONTS))
        if path.lower().endswith((".ttf", ".otf", ".ttc")):
            files.append((rank, path))
    return [path for _, path in sorted(files)]


def _fc_list_korean(fmt: str) -> list:
    """fontconfig's fonts for Korean, one formatted line each."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        # fontconfig writes UTF-8 (family names in Korean), whatever the locale says
        run = subprocess.run([fc_list, "--format", fmt, ":lang=ko"], capture_output=True, encoding="utf-8",
                             errors="replace", timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line for line in run.stdout.splitlines() if line.strip()]


def tooltip(text: str) -> str:
    """A tooltip attribute value, shown as written: each line escaped as any name (dot keeps the
    entities in the SVG, where the browser reads them back to the text), backslashes doubled once
    more (a quoted attribute passes through Graphviz's escapes twice), lines joined by Graphviz's
    `\\n`, and marked as never HTML (the graphviz package passes a string shaped `<...>` through bare)."""
    return graphviz.nohtml("\\n".join(esc(line).replace("\\", "\\\\") for line in str(text).split("\n")))


def gate_shape(op: str) -> dict:
    """Node attributes for an op: a small circle, or an ellipse for a long name (log_softmax)."""
    if len(op) <= 4:  # a circle grows around a longer symbol (exp, 1/x) with room to spare
        return {"shape": "circle", "width": "0.44", "fixedsize": "false", "margin": "0.02" if len(op) <= 2 else "0.05"}
    return {"shape": "ellipse", "height": "0.44", "margin": "0.04,0.02"}


def module_box(g: Any, box_id: str, title: str, detail: str, tip: str) -> None:
    """A collapsed module: one rounded box (title, and a muted second line) for all it hides."""
    label = (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD>{font(title, bold=True)}</TD></TR>'
             + (f"<TR><TD>{font(detail, MUTED_COLOR, SMALL_SIZE)}</TD></TR>" if detail else "")
             + "</TABLE>>")
    g.node(box_id, label=label, shape="box", style="rounded,filled", fillcolor=BOX_FILL,
           color=CLUSTER_COLOR, penwidth="1.2", margin="0.12,0.06", tooltip=tooltip(tip))
