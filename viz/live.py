"""Training you can watch: `nn.fit(..., callbacks=[viz.live()])`.

Each frame shows the loss (log scale) and metric curves so far, the decision boundary over the
input plane with the training points, and the network in the style of TensorFlow Playground:
every neuron a small heat map of its activation over the plane and every weight a line, its
width the weight's size and its colour its sign. One palette for all of it, with its legend on
the page: orange low (class 0, or below 0), near-white the middle, blue high (class 1, or above 0).
In Jupyter the frame updates in place (plain HTML and inline PNG, no widgets); with `path=` the
frames are written at the end of training as one self-contained page that plays them back
(play/pause, a slider over the recorded epochs). With `loss=` (the loss fit trains with) each
frame also records the weights, bit for bit, and the page draws the graph of one sample chosen by
a click, every value and gradient recomputed in the browser (viz/live_graph.py says how); in Jupyter
the output is then that whole page, redrawn as training runs. `fit(..., watch.data, callbacks=[watch])`
trains on the watched points, which `add_points`/`remove_points` change from the next epoch on (each
recorded epoch notes which points it saw: viz/live_data.py); `rewind` resumes from a recorded epoch and
`restart` from the same initialization, both bit for bit; a second fit of the same model continues the run.
Drawing is throttled to a share of the training's CPU time (`budget`), so watching costs little.
`lang="ko"` writes the frames' and the page's words in Korean (viz/locales/ko.json).
"""
from __future__ import annotations

import base64
import html
import math
import struct
import time
import zlib
from os import PathLike
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from circuitgrad.autograd import Tensor

from .explore import ASSETS, fill_words, script_json
from .live_data import LiveData
from .live_graph import pack, parameters, replay_spec, unpack
from .locale import DEFAULT, check_language, strings, text
from .neurons import CLASS_COLOURS, MIDDLE as MIDDLE_RGB
from .neurons import colour_range, colours, neuron_maps, plane
from circuitgrad.autograd.checks import is_int

CELL = 30          # px between neuron centres in a column
NEURON = 26        # px of a neuron's heat map
COLUMN_GAP = 78    # px between columns
BOUNDARY = 220     # px of the output's heat map
CURVE_W, CURVE_H = 250, 96
MAX_LINES = 400    # weights drawn as lines between the heat maps, the largest first


def png(rgb: np.ndarray) -> bytes:
    """An (H, W, 3) uint8 image as PNG bytes (no dependency beyond zlib)."""
    h, w, _ = rgb.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1).tobytes()  # filter 0 per row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def _image(rgb: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png(rgb)).decode("ascii")


def ticks(lo: float, hi: float) -> tuple:
    """Labels for the top and bottom of a log10 axis, with as many digits as it takes to tell them apart."""
    for digits in range(2, 8):
        top, bottom = f"{10 ** hi:.{digits}g}", f"{10 ** lo:.{digits}g}"
        if top != bottom:
            return top, bottom
    return top, bottom


def _curve(values: list, log: bool, colour: str, label: str) -> str:
    v = np.asarray(values, dtype=float)
    if log:
        v = np.log10(np.maximum(v, 1e-12))
    idx = np.arange(len(v))
    if len(v) > 300:  # the lowest and highest point of each of 150 stretches, so a spike stays visible
        parts = np.array_split(idx, 150)
        # (sorted(set()) rather than np.unique, whose first call imports a numpy submodule for 0.1 s)
        idx = np.array(sorted({int(p[0] + k) for p in parts for k in (v[p].argmin(), v[p].argmax())} | {len(v) - 1}))
    lo, hi = (float(v.min()), float(v.max())) if log else (0.0, 1.0)
    span = hi - lo or 1.0
    xs = 46 + (CURVE_W - 52) * idx / max(len(v) - 1, 1)
    ys = 8 + (CURVE_H - 24) * (1 - (v[idx] - lo) / span)
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs.tolist(), ys.tolist()))
    top, bottom = ticks(lo, hi) if log else ("1", "0")
    grid = ""
    if log and hi - lo >= 1:  # a faint line at each power of ten between the ends, labelled
        for d in range(math.ceil(lo), math.floor(hi) + 1):
            gy = 8 + (CURVE_H - 24) * (1 - (d - lo) / span)
            if 20 < gy < CURVE_H - 32:  # clear of the labelled ends
                grid += (f'<line x1="46" y1="{gy:.1f}" x2="{CURVE_W - 6}" y2="{gy:.1f}" stroke="#eeeeee"/>'
                         f'<text x="2" y="{gy + 3:.1f}" font-size="9" fill="#9e9e9e">1e{d}</text>')
    return (f'<svg width="{CURVE_W}" height="{CURVE_H}" style="display:block">{grid}'
            f'<text x="2" y="14" font-size="10" fill="#616161">{top}</text>'
            f'<text x="2" y="{CURVE_H - 14}" font-size="10" fill="#616161">{bottom}</text>'
            f'<line x1="46" y1="{CURVE_H - 16}" x2="{CURVE_W - 6}" y2="{CURVE_H - 16}" stroke="#bdbdbd"/>'
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
            f'<text x="46" y="{CURVE_H - 2}" font-size="11" fill="#424242">{html.escape(label)}</text></svg>')


def _swatch(colour: str) -> str:
    return (f'<span style="display:inline-block;width:11px;height:11px;background:{colour};'
            'border:1px solid #9e9e9e;vertical-align:-1px;margin:0 3px 0 8px"></span>')


def legend(lang: str = DEFAULT) -> str:
    """One palette for every picture on the page: the neurons, the output and the points."""
    def t(key: str) -> str:
        return html.escape(text(lang, "live." + key))

    return ('<div style="font-size:11px;color:#424242;margin-top:5px;line-height:1.6">'
            f'{_swatch("#f59322")}{t("low")}{_swatch("#f6f6f6")}{t("middle")}'
            f'{_swatch("#0877bd")}{t("high")}<br>'
            f'<span style="margin-left:8px">{t("palette")}</span></div>')


def _column_key(c: int, count: int) -> str:
    return "live.inputs" if c == 0 else "live.output" if c == count - 1 else "live.layer"


# A net with several outputs (CrossEntropyLoss's scores) colours the plane by its likeliest class instead, in
# the class colours plot_decision_boundary uses too (class 0 orange, 1 blue, as a binary net's plane; neurons.py).
CLASSES = CLASS_COLOURS


def class_colours(scores: np.ndarray) -> np.ndarray:
    """(C, H, W) raw scores to RGB: the likeliest class's colour, paler where softmax is less sure."""
    p = np.exp(scores - scores.max(axis=0))
    p /= p.sum(axis=0)
    best = p.argmax(axis=0)
    sure = np.clip((p.max(axis=0) - 1 / len(p)) / (1 - 1 / len(p)), 0.0, 1.0)[..., None]
    palette = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in CLASSES], dtype=float)
    white = np.array(MIDDLE_RGB, dtype=float)
    return (white + (palette[best % len(CLASSES)] - white) * (0.25 + 0.75 * sure)).round().astype(np.uint8)


def class_legend(classes: int, lang: str = DEFAULT) -> str:
    """The colours of a classifier's plane: one swatch a class (words in `lang`)."""
    swatches = "".join(f"{_swatch(CLASSES[c % len(CLASSES)])}{html.escape(text(lang, 'live.class_name', c=c))}"
                       for c in range(classes))
    return ('<div style="font-size:11px;color:#424242;margin-top:5px;line-height:1.6">'
            f'{swatches}<br><span style="margin-left:8px">{html.escape(text(lang, "live.class_palette"))}</span></div>')


def frame_html(maps: list, weights: list, extent: tuple, history: dict, epoch: int, X: np.ndarray,
               y: Optional[np.ndarray], lang: str = DEFAULT) -> str:
    """One frame: the network of heat maps, the output over the plane with the points, the curves (words in `lang`)."""
    # each column's maps are one picture, stacked with `gap` blank rows between neurons (one image to decode
    # a column, not one a neuron: a 399-neuron frame parses and paints in a tenth of the time)
    res = maps[0].shape[1]
    gap = max(1, round(res * (CELL - NEURON) / NEURON))
    cell = NEURON * (res + gap) / res  # px between neuron centres, CELL rounded to whole blank rows
    tallest = max(m.shape[0] for m in maps)
    height = round(tallest * cell) + 24
    width = (len(maps) - 1) * COLUMN_GAP + NEURON + 8
    centres = []
    for c, m in enumerate(maps):
        n = m.shape[0]
        x = 4 + c * COLUMN_GAP + NEURON / 2
        centres.append([(x, 18 + height / 2 - 12 + (k - (n - 1) / 2) * cell) for k in range(n)])
    scale = max(max(float(np.abs(w).max()) for w in weights), 1e-12)
    sizes = np.concatenate([np.abs(w).ravel() for w in weights])
    # a wide net draws only its MAX_LINES largest weights (thousands of lines cost the page seconds a frame)
    least = float(np.partition(sizes, len(sizes) - MAX_LINES)[len(sizes) - MAX_LINES]) if len(sizes) > MAX_LINES else 0.0
    lines, images = [], []
    for c, w in enumerate(weights):
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                if abs(w[i, j]) < least:
                    continue
                (x0, y0), (x1, y1) = centres[c][j], centres[c + 1][i]
                colour = "#0877bd" if w[i, j] > 0 else "#f59322"
                lines.append(f'<line x1="{x0 + NEURON / 2:.1f}" y1="{y0:.1f}" x2="{x1 - NEURON / 2:.1f}" y2="{y1:.1f}" '
                             f'stroke="{colour}" stroke-width="{0.3 + 3.2 * abs(w[i, j]) / scale:.2f}" '
                             f'stroke-opacity="0.6"><title>w = {w[i, j]:.3g}</title></line>')
    for c, m in enumerate(maps):
        rgb = colours(m, *colour_range(m))  # one pass per column, one scale for its neurons
        n = m.shape[0]
        stack = np.full((n, res + gap, res, 3), 255, np.uint8)
        stack[:, :res] = rgb
        x, top = centres[c][0]
        images.append(f'<image x="{x - NEURON / 2:.1f}" y="{top - NEURON / 2:.1f}" width="{NEURON}" '
                      f'height="{NEURON * (n * (res + gap) - gap) / res:.2f}" preserveAspectRatio="none" '
                      f'href="{_image(stack.reshape(-1, res, 3)[:n * (res + gap) - gap])}"/>')
        for k in range(n):
            images.append(f'<rect x="{x - NEURON / 2:.1f}" y="{centres[c][k][1] - NEURON / 2:.1f}" width="{NEURON}" '
                          f'height="{NEURON}" fill="none" stroke="#9e9e9e" stroke-width="0.6"/>')
    if least:
        heads = (f'<text x="4" y="{height - 2}" font-size="9" fill="#9e9e9e">'
                 f'{html.escape(text(lang, "live.largest", shown=MAX_LINES, total=f"{len(sizes):,}"))}</text>')
    else:
        heads = ""
    heads += "".join(f'<text x="{centres[c][0][0]:.1f}" y="11" font-size="10" fill="#616161" text-anchor="middle">'
                    f'{html.escape(text(lang, _column_key(c, len(maps)), c=c))}</text>'
                    for c in range(len(maps)))
    network = (f'<svg width="{width}" height="{height}" style="display:block">{heads}{"".join(lines)}'
               f'{"".join(images)}</svg>')
    classes = maps[-1].shape[0]
    picture = colours(maps[-1][0], *colour_range(maps[-1][0])) if classes == 1 else class_colours(maps[-1])
    x0, x1, y0, y1 = extent
    dots = ""
    if y is not None:
        for i, ((px, py), label) in enumerate(zip(X, y)):
            cx, cy = (px - x0) / (x1 - x0) * BOUNDARY, (y1 - py) / (y1 - y0) * BOUNDARY
            fill = ("#0877bd" if label > 0.5 else "#f59322") if classes == 1 else \
                CLASSES[int(round(label)) % len(CLASSES)]
            dots += (f'<circle class="cg-point" data-i="{i}" cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{fill}" '
                     'stroke="#212121" stroke-width="1.5"/>')
    boundary = (f'<svg class="cg-boundary" width="{BOUNDARY}" height="{BOUNDARY}" '
                'style="display:block;border:1px solid #bdbdbd">'
                f'<image width="{BOUNDARY}" height="{BOUNDARY}" preserveAspectRatio="none" href="{_image(picture)}"/>'
                f'{dots}</svg>')
    curves = ""
    losses = {k: v for k, v in history.items() if "loss" in k and v}
    for name, values in losses.items():
        curves += _curve(values, True, "#1565c0" if name == "loss" else "#ef6c00",
                         text(lang, "live.log_scale", name=name))
    for name, values in history.items():
        if name not in losses and values and name != "lr":
            curves += _curve(values, False, "#2e7d32", name)
    numbers = " \u00b7 ".join(f"{k} {v[-1]:.4g}" for k, v in history.items() if v)
    return ('<div class="cg-live" style="font-family:Helvetica,Arial,\'Noto Sans CJK KR\',NanumGothic,'
            '\'Apple SD Gothic Neo\',\'Malgun Gothic\',sans-serif;'
            'display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap;padding:6px">'
            f'<div>{network}</div>'
            f'<div><div style="font-size:12px;color:#616161;margin-bottom:4px">{html.escape(text(lang, "live.plane"))}</div>'
            f'{boundary}{legend(lang) if classes == 1 else class_legend(classes, lang)}</div>'
            f'<div><div style="font-size:14px;margin-bottom:6px"><b>{html.escape(text(lang, "live.epoch", epoch=epoch))}</b>'
            f' \u00b7 {html.escape(numbers)}</div>'
            f'{curves}</div></div>')


def _in_jupyter() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _cell() -> Any:
    from IPython import get_ipython
    return getattr(get_ipython(), "execution_count", None)


def _pair(data: Any) -> tuple:
    if isinstance(data, tuple) and len(data) == 2:
        return data
    raise ValueError("live: give X= and y= (the points to plot) when fit's data is a DataLoader, "
                     "not a tuple (X, y)")


class Live:
    """The callback `viz.live()` returns; see the module docstring."""

    def __init__(self, X: Any = None, y: Any = None, path: Optional[Union[str, PathLike]] = None,
                 resolution: int = 20, budget: float = 0.04, interval: float = 0.05, max_frames: int = 150,
                 loss: Any = None, lang: str = DEFAULT) -> None:
        self.lang = check_language(lang)  # the words of the frames and the page
        if not (isinstance(budget, (int, float)) and 0 < budget <= 1):
            raise ValueError(f"live: budget must be a share of the training time in (0, 1], got {budget!r}")
        if not (isinstance(interval, (int, float)) and interval >= 0):
            raise ValueError(f"live: interval must be seconds >= 0, got {interval!r}")
        if not is_int(max_frames) or max_frames < 2:
            raise ValueError(f"live: max_frames must be an int >= 2, got {max_frames!r}")
        self.X, self.y, self.path = X, y, None if path is None else Path(path)
        self.resolution, self.budget, self.interval, self.max_frames = resolution, budget, interval, max_frames
        self.loss = loss
        self.spec: Optional[dict] = None  # the layers and loss the page replays (with loss=)
        self.frames: list = []
        self.history: dict = {}
        self.model: Any = None
        self._data: Optional[LiveData] = None if X is None or y is None else LiveData(X, y)
        self._rows: list = []     # every epoch's logs since the start (or the restart) of the run
        self._initial: Optional[str] = None  # the weights before the first epoch, packed
        # CPU seconds (process_time), so other work on the machine does not buy the view more drawing
        self.cost = 0.0          # CPU seconds spent drawing
        self.elapsed = 0.0       # CPU seconds from the start of training to its end
        self._handle: Any = None
        self._cell: Any = None  # the notebook cell (its execution count) whose output _handle updates

    # ---- the data the run trains on ---------------------------------------------------------------

    @property
    def data(self) -> LiveData:
        """The points the run trains on, for `fit(model, loss, optimizer, watch.data, callbacks=[watch])`:
        iterated once an epoch, so points added or removed change the next epoch. Raises ValueError
        before there are any (give X= and y=, or train once on a tuple (X, y))."""
        if self._data is None:
            raise ValueError("live: no data yet: give X= and y= to viz.live, or train once with fit's data (X, y)")
        return self._data

    def add_points(self, X: Any, y: Any) -> None:
        """Add points (n, 2) with their labels to the data the next epochs train on. Raises ValueError
        for a wrong shape, nan or a label the loss cannot take, TypeError for labels that are not numbers."""
        self.data.add(X, y)

    def remove_points(self, indices: Any) -> None:
        """Remove points (indices into `data.X`) from the data the next epochs train on. Raises
        IndexError for an index out of range, TypeError for one that is not an int, ValueError
        when nothing would be left."""
        self.data.remove(indices)

    # ---- the fit callback ----------------------------------------------------------------------

    def on_train_begin(self, model: Any, data: Any) -> None:
        fresh = model is not self.model
        if data is not self._data:
            if self._data is not None and self._data.edited:
                raise ValueError("live: points were added or removed since the last fit, but this fit trains on "
                                 "other data; train on watch.data, which holds them")
            if self.X is None:  # fit's own data: a new version when it differs from what the run trained on
                X, y = _pair(data)
                X, y = (np.asarray(a.data if isinstance(a, Tensor) else a) for a in (X, y))
                if self._data is None or fresh:
                    self._data = LiveData(X, y)
                elif not (np.array_equal(X, self._data.X) and np.array_equal(y, self._data.y)):
                    self._data._new(X, y)
        self._data_now()
        self._jupyter = self.path is None and _in_jupyter()
        if self._jupyter and self._cell != _cell():  # a fit in another cell draws in that cell's output
            self._handle, self._cell = None, _cell()
        if self.path is None and not self._jupyter:
            raise ValueError("live: outside Jupyter there is nowhere to draw; give path='training.html' to write "
                             "the run as an animated page")
        neuron_maps(model, self._X, self.resolution, owner="live")  # a model it cannot draw fails before training
        self.spec = None if self.loss is None else replay_spec(model, self.loss)  # and one the page cannot replay
        if self.spec is not None and self._y is None:
            raise ValueError("live: the sample's graph needs the labels: give y= with X=")
        if self._data is not None and self.spec is not None:  # what add_points accepts as labels
            self._data.kind, self._data.classes = self.spec["loss"]["kind"], self.spec["layers"][-1]["out"]
        if self._data is not None:
            self._data.edited = False
        if fresh:  # a new run; the same model trained again continues the run (after rewind or restart too)
            self.model, self.frames, self.history, self._rows = model, [], {}, []
            self._initial = pack(model)
        self.cost, self._interval, self._offset = 0.0, self.interval, len(self._rows)
        self._start, self._last = time.process_time(), time.perf_counter()

    def _data_now(self) -> None:
        """The points of the version the last epoch trained on, as the frames draw them."""
        if self._data is not None:
            X, y = self._data.versions[self._data.used]
        else:
            X, y = self.X, self.y
        self._X = np.asarray(X.data if isinstance(X, Tensor) else X, dtype=float)
        self._y = None if y is None else np.asarray(y.data if isinstance(y, Tensor) else y, dtype=float).reshape(-1)

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        # An epoch of the XOR net takes about 100 us, so this runs every epoch and must stay tiny:
        # the row is kept as it is and copied into the curves only when a frame is drawn.
        self._rows.append(logs)
        if (time.perf_counter() - self._last >= self._interval
                and self.cost <= self.budget * (time.process_time() - self._start)):
            self._frame(self._offset + epoch)

    def on_train_end(self, history: Any) -> None:
        t = time.process_time()
        epochs = len(self._rows)
        trained = epochs > self._offset and not (self.frames and self.frames[-1]["epoch"] == epochs - 1)
        if trained:  # the last epoch, unless its frame was just drawn
            self._frame(epochs - 1)
        if self.path is not None and self.frames:
            self.save(self.path)
        end = time.process_time()
        self.cost += end - (self._drawn if trained else t)  # writing the page counts too (_frame counted itself)
        self.elapsed = end - self._start

    # ---- frames ----------------------------------------------------------------------------------

    def _frame(self, epoch: int) -> None:
        t = time.process_time()
        done = len(self.history.get("loss", ()))
        for row in self._rows[done:]:
            for key, value in row.items():
                self.history.setdefault(key, []).append(float(value))
        self._data_now()  # the points this epoch trained on (a few arrays: cheap)
        info = neuron_maps(self.model, self._X, self.resolution, owner="live")
        text = frame_html(info["maps"], info["weights"], info["extent"], self.history, epoch, self._X, self._y,
                          lang=self.lang)
        # the weights of this epoch, bit for bit, for the sample's graph and for restore/rewind
        self.frames.append({"epoch": epoch, "html": text, "w": None if self.spec is None else pack(self.model),
                            "d": self._d})
        if len(self.frames) > self.max_frames:  # keep every other frame, and draw half as often from now on
            self.frames = self.frames[::2] if len(self.frames) % 2 else self.frames[::2] + [self.frames[-1]]
            self._interval = max(self._interval * 2, 1e-3)
        if self._jupyter:
            from IPython.display import HTML, display
            # with the sample's graph: the whole page so far, in a frame of its own (its script runs there)
            shown = HTML(text if self.spec is None else
                         f'<div class="cg-live-page"><iframe srcdoc="{html.escape(self.page())}" '
                         f'style="width:100%;height:{self._height()}px;border:1px solid #e0e0e0"></iframe></div>')
            if self._handle is None:
                self._handle = display(shown, display_id=True)
            else:
                self._handle.update(shown)
        self._last, self._drawn = time.perf_counter(), time.process_time()
        self.cost += self._drawn - t

    @property
    def _d(self) -> int:
        return 0 if self._data is None else self._data.used

    def _height(self) -> int:
        """Pixels for the page in a notebook: the frame, then the sample's graph (as live.js lays it out)."""
        widths = [2] + [layer["out"] for layer in self.spec["layers"]]
        rows = 80 if sum(a * b for a, b in zip(widths, widths[1:])) <= 48 else 56
        return min(420 + max(widths) * rows + 60, 1400)

    def page(self) -> str:
        """The recorded frames as one self-contained page (HTML text) that plays them back."""
        if not self.frames:
            raise ValueError("live: no frame recorded yet; train with fit(..., callbacks=[this]) first")
        page = fill_words((ASSETS / "live.html").read_text(encoding="utf-8"), self.lang)
        run: dict = {"frames": self.frames, "graph": None}
        if self.spec is not None:
            versions = self._data.versions if self._data is not None else [(self._X, self._y)]
            data = []
            for X, y in versions:
                X = np.asarray(X, dtype=float)
                data.append({"X": X.tolist(), "y": np.asarray(y, dtype=float).reshape(-1).tolist(),
                             "extent": list(plane(X, 2)[1])})
            run["graph"] = dict(self.spec, data=data, dtype=str(np.asarray(parameters(self.model)[0].data).dtype))
        text = script_json(run)  # no text, a metric's name included, can end the page's script
        script = (ASSETS / "live.js").read_text(encoding="utf-8")
        words = script_json(strings(self.lang, "live."))
        return page.replace("/*JS*/", script).replace("/*STRINGS*/", words).replace("/*RUN*/", text)

    def save(self, path: Union[str, PathLike]) -> Path:
        """Write the recorded frames as one self-contained page that plays them back; returns the path."""
        text = self.page()
        path = Path(path)
        path.write_text(text, encoding="utf-8")
        return path

    @property
    def epochs(self) -> list:
        """The epochs whose weights the page holds (with loss=), in order."""
        return [f["epoch"] for f in self.frames if f["w"] is not None]

    def _recorded(self, epoch: int) -> dict:
        for f in self.frames:
            if f["epoch"] == epoch and f["w"] is not None:
                return f
        kept = self.epochs
        raise ValueError(f"live: no weights recorded after epoch {epoch!r}; recorded: "
                         f"{kept[:3] + ['...'] + kept[-3:] if len(kept) > 6 else kept} (pass loss= to record them)")

    def points(self, epoch: int) -> tuple:
        """The points (X, y) a recorded epoch trained on. Raises ValueError for an epoch not recorded."""
        d = self._recorded(epoch)["d"]
        return self._data.versions[d] if self._data is not None else (self._X, self._y)

    def restore(self, model: Any, epoch: int) -> None:
        """Put the weights recorded after `epoch` back into `model`, bit for bit (to check the page, or
        to look at the net as it was). Raises ValueError for an epoch not recorded (naming those that are)."""
        for p, a in zip(parameters(model), unpack(self._recorded(epoch)["w"], model)):
            p.data[...] = a

    def rewind(self, model: Any, epoch: int) -> None:
        """Go back to the end of a recorded `epoch`: its weights into `model` (bit for bit), its points as the
        data, and everything recorded after it dropped, so the next `fit(..., callbacks=[this])` on `model`
        resumes at epoch + 1. An optimizer's own state (momentum, Adam's averages) is not recorded: plain
        SGD resumes exactly, others start their state afresh. Raises ValueError for an epoch not recorded."""
        frame = self._recorded(epoch)
        self.restore(model, epoch)
        self.model = model
        self.frames = [f for f in self.frames if f["epoch"] <= epoch]
        self._rows = self._rows[:epoch + 1]
        self.history = {k: v[:epoch + 1] for k, v in self.history.items()}
        if self._data is not None:
            self._data.rewind(frame["d"])

    def restart(self, model: Any, first_points: bool = False) -> None:
        """Put the weights `model` had before the first epoch back (bit for bit) and drop the recording, so
        the next `fit(..., callbacks=[this])` trains again from the same initialization: on the points as they
        are now, or with `first_points=True` on those the run started with. Raises ValueError before any training."""
        if self._initial is None:
            raise ValueError("live: nothing to restart: train with fit(..., callbacks=[this]) first")
        for p, a in zip(parameters(model), unpack(self._initial, model)):
            p.data[...] = a
        self.model, self.frames, self.history, self._rows = model, [], {}, []
        if self._data is not None and first_points:
            self._data.rewind(0)

    @property
    def overhead(self) -> float:
        """Drawing time as a share of the whole run (after training)."""
        return self.cost / self.elapsed if self.elapsed else math.nan


def live(X: Any = None, y: Any = None, path: Optional[Union[str, PathLike]] = None, resolution: int = 20,
         budget: float = 0.04, interval: float = 0.05, max_frames: int = 150, loss: Any = None,
         lang: str = DEFAULT) -> Live:
    """A callback for `nn.fit(..., callbacks=[viz.live()])` that draws the training as it runs.

    `X`, `y`: the points to plot (default: fit's data when it is a tuple (X, y)); the model must be
    a stack of Linear layers and activations with 2 inputs. In Jupyter the frame updates in place;
    `path=` writes the run as an animated page at the end (outside Jupyter it is required).
    `budget`: the largest share of the training's CPU time spent drawing; `interval`: at most one frame
    per this many seconds; `max_frames` kept for the page (evenly thinned, the first and last kept).
    `loss`: the loss fit trains with (BCELoss, MSELoss or CrossEntropyLoss); with it each frame
    also records the weights (float64, bit for bit) and the page draws the graph of one sample
    (click a point) with every value and gradient, recomputed in the browser. `lang`: the language
    of the frames' and the page's words ("en", the default, or "ko"). Raises ValueError for bad
    options and an unknown lang, and at the start of training for a model, data or loss it cannot draw.
    """
    return Live(X, y, path=path, resolution=resolution, budget=budget, interval=interval, max_frames=max_frames,
                loss=loss, lang=lang)
