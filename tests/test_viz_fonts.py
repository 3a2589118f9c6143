"""Korean text in matplotlib figures, on the machines learners use: with a Korean font, with one
installed after matplotlib built its font cache (matplotlib never sees it by itself), and with
none at all (a pip install, Colab before `apt-get install fonts-nanum`).

`hide_korean_fonts` makes the machine look like one without a Korean font, for this process and
the programs it starts: matplotlib's font list loses every Korean font, and fontconfig (which
`fc-list` and Graphviz read) is given a configuration with no font folders.
"""
from __future__ import annotations

import warnings
from io import BytesIO

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the plots need matplotlib (the `test` extra)")

from fonts_hidden import hide_korean_fonts  # noqa: E402

from circuitgrad import viz  # noqa: E402
from circuitgrad.autograd import Tensor  # noqa: E402
from circuitgrad.viz import fonts, theme  # noqa: E402


@pytest.fixture
def no_korean_font(monkeypatch, tmp_path):
    hide_korean_fonts(tmp_path, monkeypatch)
    assert fonts.korean_font() is None, "the Korean fonts were not hidden"
    yield
    monkeypatch.undo()
    theme.cjk_font.cache_clear()  # Graphviz's font, looked up again with fontconfig as it was


def _probability(x: Tensor) -> Tensor:
    return (x[:, :1] * 2.0 - x[:, 1:]).sigmoid()


XY = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
LABELS = np.array([0.0, 1.0, 1.0, 0.0])


def _every_plot(title: str) -> list:
    """One call of each plot function, with `title` as its title where it takes one."""
    from circuitgrad import nn

    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
    images = np.random.default_rng(0).uniform(size=(2, 6, 6))
    return [
        viz.plot_decision_boundary(_probability, XY, LABELS, resolution=20, title=title),
        viz.plot_decision_boundary(lambda x: x, XY, LABELS, resolution=20, title=title),  # (N, 2) scores: argmax
        viz.plot_history({"loss": [0.7, 0.4]}, title=title),
        viz.plot_neurons(nn.explain.neuron_maps(model, XY, resolution=8), XY, LABELS, title=title),
        viz.plot_images(images, titles=[title, "b"]),
        viz.plot_heatmaps(images, images, titles=[title, "b"]),
        viz.plot_attributions(np.ones(3), np.arange(3.0), title=title),
    ]


def test_every_plot_draws_english_text_without_a_korean_font_and_says_nothing(no_korean_font, tmp_path):
    # Before: plot_decision_boundary raised "ContourLabeler.get_text() missing 2 required positional
    # arguments" from the Korean-text check, on every machine without a Korean font.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = _every_plot("training")
        for i, fig in enumerate(figures):
            fig.savefig(tmp_path / f"{i}.png")


def test_korean_text_without_a_korean_font_draws_and_warns_how_to_get_one(no_korean_font):
    with pytest.warns(UserWarning, match=r"no Korean font.*apt-get install -y fonts-nanum.*next plot finds it"):
        viz.plot_decision_boundary(_probability, XY, LABELS, resolution=20, title="결정 경계")
    with pytest.warns(UserWarning) as record:
        figures = _every_plot("학습")
    assert len(figures) == 7
    messages = [str(w.message) for w in record if "no Korean font" in str(w.message)]
    assert len(messages) == 7, messages  # one per figure, each naming its function
    assert messages[0].startswith("plot_decision_boundary:") and messages[3].startswith("plot_neurons:")


def test_a_font_installed_after_matplotlib_built_its_cache_is_found(monkeypatch):
    from matplotlib import font_manager

    files = theme.korean_font_files()
    if not files:
        pytest.skip("fontconfig lists no Korean font here (as root: apt-get install fonts-nanum)")
    # matplotlib's cache as it is when it was built before the font was installed: no Korean font in it.
    stale = [e for e in font_manager.fontManager.ttflist if e.fname not in files]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    found = fonts.korean_font()
    assert found is not None
    assert found in {e.name for e in font_manager.fontManager.ttflist}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" when it draws boxes
        fig = viz.plot_decision_boundary(_probability, XY, LABELS, resolution=20, title="결정 경계")
        fig.savefig(BytesIO(), format="png")
    assert found in fig.axes[0].title.get_fontfamily()


def test_the_korean_text_check_reads_only_text_artists(no_korean_font):
    # A contour with labels holds a ContourLabeler-like artist whose get_text takes arguments.
    from matplotlib.figure import Figure

    @fonts.korean_fallback
    def labelled_contour():
        fig = Figure()
        ax = fig.subplots()
        grid = np.linspace(0, 1, 10)
        cs = ax.contour(grid, grid, np.add.outer(grid, grid), levels=[0.5, 1.0])
        ax.clabel(cs, fmt="%.1f")
        return fig

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labelled_contour()
