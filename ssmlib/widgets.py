"""Slider figures that work in a live kernel, on the static web page and in a script.

An :class:`Explorer` wraps one matplotlib figure and an ``update`` function that
redraws it for given parameter values. Its controls are

* :class:`Param`: a continuous (or integer) quantity. Live, it is a continuous
  slider (``FloatSlider``, ``FloatLogSlider`` or ``IntSlider``) over the whole
  range, so any value in between works; on the static page it moves over a
  precomputed grid of values.
* :class:`Choice`: a categorical choice with named options (a method, a
  dictionary, an algorithm). Live, it is a row of toggle buttons (or a drop-down
  for many options); on the static page, a row of HTML buttons with the names.

The same object produces

* a live ipywidgets UI (:meth:`Explorer.widget`): controls plus an image that is
  re-rendered from the figure whenever a control moves (ipywidgets 7.8 and 8.x), and
* a self-contained HTML snippet (:meth:`Explorer.to_html`): one PNG frame per
  point of the parameter grid, embedded as data URIs, with range inputs, buttons
  and a few lines of inline JavaScript that pick the frame. It needs no kernel and
  no network, so it keeps working on the rendered book.

Because both views call the same ``update`` function, they cannot diverge.
:meth:`Explorer.show` picks the view: the static one when the environment
variable ``SSMBOOK_STATIC=1`` is set (the book build sets it), the live one in a
Jupyter kernel, and the plain matplotlib figure (``plt.show()``) in a script.

Example
-------
>>> import numpy as np, matplotlib.pyplot as plt
>>> from ssmlib.widgets import Choice, Explorer, Param
>>> fig, ax = plt.subplots()
>>> t = np.linspace(0, 10, 200)
>>> (line,) = ax.plot(t, np.exp(-0.1 * t))
>>> def update(rate, shape):
...     y = np.exp(-rate * t)
...     line.set_ydata(y if shape == "exp" else y * np.cos(t))
>>> ex = Explorer(fig, update, [Param("rate", [0.1, 0.5, 1.0], default=0.5),
...                             Choice("shape", [("decay", "exp"), ("oscillation", "cos")])])
>>> ex.set(rate=0.73, shape="cos")   # any value in [0.1, 1.0], not only the grid
>>> plt.close(fig)
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import itertools
import json
import math
import os
import re
import sys
import uuid
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Callable, Iterator, Mapping, Sequence, Union

import numpy as np

from ._validation import check_bool, check_choice

__all__ = ["Param", "Choice", "Explorer", "static_mode", "in_kernel"]

#: Hard cap on the number of precomputed frames, to keep pages small.
MAX_FRAMES = 200


def static_mode() -> bool:
    """True when the book build asks for static (precomputed) figures."""
    return os.environ.get("SSMBOOK_STATIC", "0") not in ("", "0", "false", "False")


def in_kernel() -> bool:
    """True inside a Jupyter (IPython) kernel, where widgets can be displayed.

    A plain ``python script.py`` (and the terminal IPython shell) returns False. IPython is
    not imported here: if nothing imported it, this is not a kernel.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython install
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _check_label(label: Any, name: str) -> str:
    if not isinstance(label, str):
        raise TypeError(f"Param {name!r}: label must be a str, got {type(label).__name__}")
    return label


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"Param name must be a Python identifier, got {name!r}")
    return name


def _d3_format(fmt: str) -> str:
    """The ipywidgets readout format (d3-format) closest to a Python ``fmt`` string."""
    m = re.fullmatch(r"\{:(\.\d+[efgd%]?)\}", fmt)
    return m.group(1) if m else ".3g"


def _nice_step(span: float, n: int = 200) -> float:
    """A 1-2-5 step of about ``span / n``."""
    if span <= 0:
        return 1.0
    raw = span / n
    exp = math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10.0**exp >= raw:
            return m * 10.0**exp
    return 10.0 ** (exp + 1)  # pragma: no cover


def _palette_png(png: bytes) -> bytes:
    """``png`` re-encoded with a 256-colour palette (falls back to ``png`` without Pillow)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    try:
        quantized = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                   dither=Image.Dither.NONE)
    except AttributeError:  # pragma: no cover - Pillow < 9.1
        return png
    out = io.BytesIO()
    quantized.save(out, format="PNG", optimize=True)
    data = out.getvalue()
    return data if len(data) < len(png) else png


@contextlib.contextmanager
def style_context(rc: Mapping[str, Any]) -> Iterator[None]:
    """``matplotlib.rc_context(rc)`` that leaves pyplot's backend state alone.

    ``rc_context`` restores every rcParam on exit, ``interactive`` included. When the
    first figure of a Jupyter session is created inside it, the inline backend turns
    interactive mode on during that creation and ``rc_context`` then turns it off
    again: every later figure of the notebook silently stops displaying. So the
    backend is resolved before entering, and the interactive flag as it stands at the
    end of the block is kept.
    """
    import matplotlib

    matplotlib.get_backend()  # resolve (and set up) the backend outside the context
    with matplotlib.rc_context(rc):
        try:
            yield
        finally:
            interactive = matplotlib.is_interactive()
    matplotlib.interactive(interactive)


@dataclass
class Param:
    """One continuous (or integer) quantity: a slider.

    Parameters
    ----------
    name : str
        Keyword passed to the ``update`` function (a Python identifier).
    values : sequence of float
        The grid of values precomputed for the static page, strictly increasing.
        The live slider spans ``min(values)`` to ``max(values)`` continuously: any
        value in between may be set.
    default : float, optional
        Initial value; defaults to the middle grid value. The static page starts
        at the nearest grid value.
    label : str, optional
        Text shown beside the slider (plain text; keep it short).
    step : float, optional
        Step of the live slider (for ``scale="log"``: of its base-10 exponent), > 0 and
        at most the slider's range (``max(values) - min(values)``; for ``scale="log"`` the
        range of the base-10 exponent) when the grid has more than one value.
        Default: a 1-2-5 step of about 1/200 of the range (1 for integers).
    fmt : str
        Format of the printed value, e.g. ``"{:.2f}"``.
    scale : {"linear", "log"}
        ``"log"`` gives a logarithmic live slider (``FloatLogSlider``); the grid
        must then be positive.
    integer : bool
        An integer quantity (an index, a level): the live slider is an
        ``IntSlider`` and ``update`` receives ints. The grid must hold integers.
    max_by : (str, mapping), optional
        ``(choice_name, {option_value: largest_value})``: the slider's upper end
        depends on the current option of the :class:`Choice` named ``choice_name``
        (e.g. the number of levels depends on the algorithm). Larger values are
        clamped, and the static page has no frames for them.
    """

    name: str
    values: Sequence[float]
    default: float | None = None
    label: str | None = None
    step: float | None = None
    fmt: str = "{:.3g}"
    scale: str = "linear"
    integer: bool = False
    max_by: tuple[str, Mapping[Any, float]] | None = None
    _grid: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if (isinstance(self.values, (bool, np.bool_))
                or (isinstance(self.values, np.ndarray) and self.values.dtype == bool)
                or (isinstance(self.values, (list, tuple))
                    and any(isinstance(v, (bool, np.bool_)) for v in self.values))):
            raise TypeError(f"Param {self.name!r}: values must be a sequence of numbers, "
                            f"not bools, got {self.values!r}")
        try:
            grid = np.asarray(self.values, dtype=float).ravel()
        except (TypeError, ValueError):
            raise TypeError(
                f"Param {self.name!r}: values must be a sequence of numbers, got {self.values!r}"
            ) from None
        if grid.size == 0 or not np.all(np.isfinite(grid)):
            raise ValueError(f"Param {self.name!r}: values must be a non-empty finite sequence")
        if grid.size > 1 and not np.all(np.diff(grid) > 0):
            raise ValueError(f"Param {self.name!r}: values must be strictly increasing")
        if not isinstance(self.fmt, str):
            raise TypeError(f"Param {self.name!r}: fmt must be a format string such as "
                            f"'{{:.3g}}', got {type(self.fmt).__name__}")
        try:
            self.fmt.format(float(grid[0]))
        except (ValueError, IndexError, KeyError) as err:
            raise ValueError(f"Param {self.name!r}: fmt {self.fmt!r} cannot format a number "
                             f"({err})") from None
        try:
            check_choice(self.scale, "scale", ("linear", "log"))
        except (TypeError, ValueError) as err:
            raise type(err)(f"Param {self.name!r}: {err}") from None
        if self.scale == "log" and grid[0] <= 0:
            raise ValueError(f"Param {self.name!r}: scale='log' needs positive values")
        try:
            self.integer = check_bool(self.integer, "integer")
        except TypeError as err:
            raise TypeError(f"Param {self.name!r}: {err}") from None
        if self.integer and not np.all(grid == np.round(grid)):
            raise ValueError(f"Param {self.name!r}: integer=True needs integer values")
        self._grid = grid
        if self.default is None:
            self.default = float(grid[grid.size // 2])
        if isinstance(self.default, bool) or not isinstance(self.default, (Real, np.number)):
            raise TypeError(f"Param {self.name!r}: default must be a number, got "
                            f"{type(self.default).__name__}")
        if not (grid[0] <= self.default <= grid[-1]):
            raise ValueError(
                f"Param {self.name!r}: default {self.default} outside [{grid[0]}, {grid[-1]}]"
            )
        if self.step is not None:
            if isinstance(self.step, bool) or not isinstance(self.step, (Real, np.number)):
                raise TypeError(f"Param {self.name!r}: step must be a number, got "
                                f"{type(self.step).__name__}")
            if not (math.isfinite(self.step) and self.step > 0):
                raise ValueError(f"Param {self.name!r}: step must be finite and > 0, "
                                 f"got {self.step}")
            span = (math.log10(grid[-1]) - math.log10(grid[0]) if self.scale == "log"
                    else float(grid[-1] - grid[0]))
            if grid.size > 1 and self.step > span:
                what = "the range of the base-10 exponent" if self.scale == "log" else "the range"
                raise ValueError(f"Param {self.name!r}: step must be at most {what} "
                                 f"{span:g} of the slider, got {self.step}")
        if self.max_by is not None:
            if (not isinstance(self.max_by, tuple) or len(self.max_by) != 2
                    or not isinstance(self.max_by[0], str)
                    or not isinstance(self.max_by[1], Mapping)):
                raise TypeError(f"Param {self.name!r}: max_by must be (choice_name, "
                                "{option: largest value})")
            for key, top in self.max_by[1].items():
                if not (grid[0] <= float(top) <= grid[-1]):
                    raise ValueError(f"Param {self.name!r}: max_by value {top} for {key!r} "
                                     f"outside [{grid[0]}, {grid[-1]}]")
        if self.label is None:
            self.label = self.name
        _check_label(self.label, self.name)

    @property
    def grid(self) -> np.ndarray:
        """The static grid, shape (n,)."""
        return self._grid

    @property
    def lo(self) -> float:
        return float(self._grid[0])

    @property
    def hi(self) -> float:
        return float(self._grid[-1])

    def _check_value(self, value: Any) -> float:
        """``value`` as a float: a real number (not a bool), not NaN; errors name ``value``."""
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)) \
                or isinstance(value, np.complexfloating):
            raise TypeError(f"value for Param {self.name!r} must be a real number, got "
                            f"{type(value).__name__}")
        v = float(value)
        if math.isnan(v):
            raise ValueError(f"value for Param {self.name!r} must not be NaN")
        return v

    def nearest_index(self, value: float) -> int:
        """Index of the grid value closest to ``value`` (for a log scale: closest in log).

        ``value`` must be a real number, not NaN (``TypeError``/``ValueError`` naming
        ``value`` otherwise). A value beyond the grid, infinite included, gives the index of
        the nearest end (clamped), as does a value ``<= 0`` on a log scale (index 0).
        """
        v = self._check_value(value)
        if v >= self.hi:
            return self._grid.size - 1
        if v <= self.lo:
            return 0
        if self.scale == "log":
            return int(np.argmin(np.abs(np.log(self._grid) - math.log(v))))
        return int(np.argmin(np.abs(self._grid - v)))

    def format(self, value: Any) -> str:
        """``value`` printed with ``fmt`` (``TypeError`` naming ``value`` if it cannot be)."""
        try:
            return self.fmt.format(value)
        except (TypeError, ValueError, IndexError, KeyError) as err:
            raise TypeError(f"value for Param {self.name!r} must be a number that fmt "
                            f"{self.fmt!r} can format, got {type(value).__name__} ({err})") from None

    def coerce(self, value: Any, top: float | None = None) -> float | int:
        """``value`` checked (a finite real in range) and converted; errors name the Param.

        ``top``, if given, is a finite real number: the slider's current upper end.
        """
        if top is not None:
            if isinstance(top, (bool, np.bool_)) or not isinstance(top, (Real, np.number)) \
                    or isinstance(top, np.complexfloating):
                raise TypeError(f"top for Param {self.name!r} must be a real number or None, "
                                f"got {type(top).__name__}")
            if not math.isfinite(float(top)):
                raise ValueError(f"top for Param {self.name!r} must be finite, got {top}")
        if isinstance(value, bool) or not isinstance(value, (Real, np.number)):
            raise TypeError(f"{self.name} must be a real number, got {type(value).__name__}")
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"{self.name} must be finite, got {v}")
        hi = self.hi if top is None else float(top)
        tol = 1e-12 * max(1.0, abs(self.lo), abs(self.hi))
        if not (self.lo - tol <= v <= hi + tol):
            raise ValueError(f"{self.name}={v} outside the slider range [{self.lo:g}, {hi:g}]")
        v = min(max(v, self.lo), hi)
        if self.integer:
            if abs(v - round(v)) > 1e-9:
                raise ValueError(f"{self.name} must be an integer, got {v}")
            return int(round(v))
        return v


@dataclass
class Choice:
    """A categorical choice with named options: toggle buttons (or a drop-down).

    Parameters
    ----------
    name : str
        Keyword passed to the ``update`` function.
    options : sequence
        The options: values (shown by their ``str``) or ``(label, value)`` pairs.
        ``update`` receives the value; the reader sees the label.
    default : optional
        Initial value (one of the option values); defaults to the first.
    label : str, optional
        Text shown beside the buttons.
    """

    name: str
    options: Sequence[Any]
    default: Any = None
    label: str | None = None
    _labels: list = field(init=False, repr=False)
    _values: list = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if isinstance(self.options, (str, bytes)) or not isinstance(self.options, Sequence):
            raise TypeError(f"Choice {self.name!r}: options must be a sequence of values or "
                            "(label, value) pairs")
        labels, values = [], []
        for opt in self.options:
            if isinstance(opt, tuple):
                if len(opt) != 2 or not isinstance(opt[0], str):
                    raise TypeError(f"Choice {self.name!r}: an option pair must be "
                                    f"(label: str, value), got {opt!r}")
                labels.append(opt[0])
                values.append(opt[1])
            else:
                labels.append(str(opt))
                values.append(opt)
        if not values:
            raise ValueError(f"Choice {self.name!r}: options must not be empty")
        if len(set(labels)) != len(labels) or any(
            values[i] == values[j] for i in range(len(values)) for j in range(i)
        ):
            raise ValueError(f"Choice {self.name!r}: option labels and values must be distinct")
        self._labels, self._values = labels, values
        if self.default is None:
            self.default = values[0]
        if isinstance(self.default, np.ndarray):
            raise TypeError(f"Choice {self.name!r}: default must be one of the options "
                            f"{values}, got an array")
        if not any(_same(self.default, v) for v in values):
            raise ValueError(f"Choice {self.name!r}: default {self.default!r} is not one of "
                             f"the options {values}")
        if self.label is None:
            self.label = self.name
        _check_label(self.label, self.name)

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    @property
    def option_values(self) -> list[Any]:
        return list(self._values)

    @property
    def grid(self) -> np.ndarray:
        """The option values as an object array (one static frame per option)."""
        out = np.empty(len(self._values), dtype=object)
        out[:] = self._values
        return out

    def nearest_index(self, value: Any) -> int:
        return self.index(value)

    def index(self, value: Any) -> int:
        """Position of ``value`` among the option values (``ValueError`` naming ``value``
        and the control if it is not one of them)."""
        for i, v in enumerate(self._values):
            if _same(v, value):
                return i
        raise ValueError(f"{self.name} must be one of {self._values} (the options of Choice "
                         f"{self.name!r}), got value={value!r}")

    def format(self, value: Any) -> str:
        return self._labels[self.index(value)]

    def coerce(self, value: Any, top: float | None = None) -> Any:
        return self._values[self.index(value)]


Control = Union[Param, Choice]


def _same(a: Any, b: Any) -> bool:
    """``a == b`` as a plain bool; False when the comparison fails or is not a truth value
    (e.g. an array against an option)."""
    try:
        return bool(a == b)
    except Exception:
        return False


class Explorer:
    """A figure driven by sliders and buttons, shown live (ipywidgets) or static (frames).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to redraw. ``update`` should change its artists in place
        (``line.set_data`` and friends) or clear and redraw its axes.
    update : callable
        ``update(**values)`` with one keyword per control.
    params : sequence of Param or Choice
        The controls, in display order.
    dpi : float
        Resolution of the rendered frames (the book's figures use 100: a 7-inch
        figure is 700 pixels wide, the page's content width).
    caption : str, optional
        Short text shown under the static figure.
    rc : dict, optional
        matplotlib ``rcParams`` applied while updating and rendering (fonts, grid),
        so that the figure looks the same whatever style the caller has set.
    """

    def __init__(
        self,
        fig: Any,
        update: Callable[..., Any],
        params: Sequence[Control],
        *,
        dpi: float = 100,
        caption: str | None = None,
        rc: Mapping[str, Any] | None = None,
    ) -> None:
        from matplotlib.figure import Figure

        if not isinstance(fig, Figure):
            raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
        if not callable(update):
            raise TypeError("update must be callable")
        if isinstance(params, (Param, Choice)):
            params = [params]
        params = list(params) if isinstance(params, Sequence) else []
        if not params or not all(isinstance(p, (Param, Choice)) for p in params):
            raise TypeError("params must be a non-empty sequence of Param or Choice")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"params must have distinct names, got {names}")
        if isinstance(dpi, bool) or not isinstance(dpi, (Real, np.number)) or not (
            math.isfinite(dpi) and 10 <= dpi <= 600
        ):
            raise ValueError(f"dpi must be a number in [10, 600], got {dpi!r}")
        if caption is not None and not isinstance(caption, str):
            raise TypeError(f"caption must be a str or None, got {type(caption).__name__}")
        if rc is not None and not isinstance(rc, Mapping):
            raise TypeError(f"rc must be a dict of matplotlib rcParams, got {type(rc).__name__}")
        by_name = {p.name: p for p in params}
        for p in params:
            if isinstance(p, Param) and p.max_by is not None:
                ctrl = by_name.get(p.max_by[0])
                if not isinstance(ctrl, Choice):
                    raise ValueError(f"Param {p.name!r}: max_by names {p.max_by[0]!r}, "
                                     "which is not a Choice of this explorer")
                missing = [v for v in ctrl.option_values
                           if not any(v == k for k in p.max_by[1])]
                if missing:
                    raise ValueError(f"Param {p.name!r}: max_by gives no largest value for "
                                     f"options {missing}")
        self.fig = fig
        self.params = params
        self._by_name = by_name
        self._update = update
        self.dpi = float(dpi)
        self.caption = caption
        self.rc = dict(rc) if rc is not None else None
        n_frames = sum(1 for _ in self._grid_points())
        if n_frames > MAX_FRAMES:
            raise ValueError(
                f"params give {n_frames} static frames, more than MAX_FRAMES={MAX_FRAMES}; "
                "use coarser grids"
            )
        self.values: dict[str, Any] = {}
        self.set(**{p.name: p.default for p in params})

    # -- helpers ---------------------------------------------------------------
    @contextlib.contextmanager
    def _style(self) -> Iterator[None]:
        if self.rc is None:
            yield
            return
        with style_context(self.rc):
            yield

    def _top(self, p: Param, values: Mapping[str, Any]) -> float | None:
        """The largest allowed value of ``p`` given the other values (None: its grid's end)."""
        if p.max_by is None:
            return None
        choice = values.get(p.max_by[0])
        for key, top in p.max_by[1].items():
            if key == choice:
                return float(top)
        return None

    def _grid_points(self) -> Iterator[tuple[int, ...]]:
        """Index tuples of the static frames (combinations beyond a max_by limit skipped)."""
        for idx in itertools.product(*(range(p.grid.size) for p in self.params)):
            vals = {p.name: p.grid[i] for p, i in zip(self.params, idx)}
            ok = True
            for p, i in zip(self.params, idx):
                if isinstance(p, Param):
                    top = self._top(p, vals)
                    if top is not None and p.grid[i] > top + 1e-12:
                        ok = False
            if ok:
                yield idx

    # -- core ----------------------------------------------------------------
    def set(self, **values: Any) -> None:
        """Set some parameters and redraw the figure.

        A :class:`Param` takes any value in its range (not only grid values); a
        :class:`Choice` takes one of its option values. A Param limited by
        ``max_by`` is clamped when a choice lowers its upper end.

        Raises
        ------
        ValueError, TypeError
            For an unknown name, a value of the wrong type or outside the range;
            the message names the parameter.
        """
        for name in values:
            if name not in self._by_name:
                raise ValueError(
                    f"unknown parameter {name!r}; expected one of {list(self._by_name)}"
                )
        new = dict(self.values)
        # choices first: they may set the range of the sliders
        for name, value in values.items():
            p = self._by_name[name]
            if isinstance(p, Choice):
                new[name] = p.coerce(value)
        for p in self.params:
            if isinstance(p, Param):
                top = self._top(p, new)
                if p.name in values:
                    new[p.name] = p.coerce(values[p.name], top)
                elif p.name in new and top is not None and new[p.name] > top:
                    new[p.name] = p.coerce(top, top)
        with self._style():
            self._update(**new)
        self.values = new

    def render_png(self) -> bytes:
        """The figure, as it is now, encoded as PNG bytes."""
        buf = io.BytesIO()
        with self._style():
            self.fig.savefig(buf, format="png", dpi=self.dpi)
        return buf.getvalue()

    # -- static view ---------------------------------------------------------
    def frames(self) -> dict[tuple[int, ...], bytes]:
        """Render every point of the parameter grid.

        Returns
        -------
        dict
            Maps a tuple of grid indices (one per parameter) to PNG bytes. Grid
            points beyond a ``max_by`` limit are left out. The explorer's current
            values are restored afterwards.
        """
        saved = dict(self.values)
        out: dict[tuple[int, ...], bytes] = {}
        try:
            for idx in self._grid_points():
                self.set(**{p.name: p.grid[i] for p, i in zip(self.params, idx)})
                out[idx] = self.render_png()
        finally:
            self.set(**saved)
        return out

    def to_html(self) -> str:
        """A self-contained HTML snippet: frames, range inputs, buttons, inline script.

        The frames are stored as 256-colour PNGs (about a third of the bytes of the
        full-colour ones, with no visible difference for line plots).
        """
        frames = {k: _palette_png(v) for k, v in self.frames().items()}
        uid = "ssmx-" + uuid.uuid4().hex[:10]
        data = {
            "_".join(map(str, k)): "data:image/png;base64," + base64.b64encode(v).decode()
            for k, v in frames.items()
        }
        start = [p.nearest_index(self.values[p.name]) for p in self.params]
        labels = [[p.format(v) for v in p.grid] for p in self.params]
        # largest grid index of each slider per option of the choice that limits it
        limits: dict[int, dict[str, Any]] = {}
        for j, p in enumerate(self.params):
            if isinstance(p, Param) and p.max_by is not None:
                c = next(i for i, q in enumerate(self.params) if q.name == p.max_by[0])
                choice = self.params[c]
                tops = []
                for v in choice.option_values:
                    top = self._top(p, {choice.name: v})
                    tops.append(int(np.sum(p.grid <= top + 1e-12)) - 1)
                limits[j] = {"by": c, "max": tops}
        rows = []
        for j, p in enumerate(self.params):
            label = html.escape(str(p.label))
            head = (f'<span style="flex:0 0 12em">{label}</span>')
            if isinstance(p, Choice):
                buttons = "".join(
                    f'<button type="button" class="ssm-option" data-param="{j}" data-index="{i}" '
                    f'aria-pressed="{"true" if i == start[j] else "false"}" '
                    f'style="margin:0 0.25em 0.2em 0;padding:0.15em 0.7em;border:1px solid #888;'
                    f'border-radius:4px;cursor:pointer;font:inherit">{html.escape(lab)}</button>'
                    for i, lab in enumerate(p.labels)
                )
                rows.append(
                    f'<div role="group" aria-label="{label}" class="ssm-choice" data-param="{j}" '
                    f'style="display:flex;align-items:center;gap:0.6em;margin:0.15em 0;'
                    f'flex-wrap:wrap">{head}<span>{buttons}</span></div>'
                )
            else:
                top = limits[j]["max"][start[limits[j]["by"]]] if j in limits else p.grid.size - 1
                rows.append(
                    f'<label style="display:flex;align-items:center;gap:0.6em;margin:0.15em 0">'
                    f"{head}"
                    f'<input type="range" class="ssm-slider" data-param="{j}" min="0" '
                    f'max="{top}" step="1" value="{start[j]}" '
                    f'aria-label="{label}" style="flex:1;max-width:22em">'
                    f'<output class="ssm-value" data-param="{j}" '
                    f'style="min-width:4em;font-family:monospace">'
                    f"{html.escape(labels[j][start[j]])}</output></label>"
                )
        first_key = "_".join(map(str, start))
        first = data[first_key]
        caption = (
            f'<div style="font-size:0.85em;color:#555">{html.escape(self.caption)}</div>'
            if self.caption
            else ""
        )
        note = (
            '<div style="font-size:0.8em;color:#777">Precomputed frames: move a slider or '
            "press a button; run the notebook for continuous sliders.</div>"
        )
        script = (
            "(function(){var root=document.getElementById(%s);"
            "var frames=%s;var labels=%s;var limits=%s;var state=%s;"
            "var sliders=root.querySelectorAll('input.ssm-slider');"
            "var buttons=root.querySelectorAll('button.ssm-option');"
            "var img=root.querySelector('img.ssm-frame');"
            "function redraw(){"
            "for(var j in limits){var lim=limits[j];var top=lim.max[state[lim.by]];"
            "var s=root.querySelector('input.ssm-slider[data-param=\"'+j+'\"]');"
            "s.max=top;if(state[j]>top){state[j]=top;}s.value=state[j];}"
            "for(var i=0;i<sliders.length;i++){var p=parseInt(sliders[i].getAttribute('data-param'));"
            "root.querySelector('output.ssm-value[data-param=\"'+p+'\"]').textContent=labels[p][state[p]];}"
            "for(var i=0;i<buttons.length;i++){var b=buttons[i];"
            "var on=state[parseInt(b.getAttribute('data-param'))]==parseInt(b.getAttribute('data-index'));"
            "b.setAttribute('aria-pressed',on?'true':'false');"
            "b.style.background=on?'#0072B2':'transparent';b.style.color=on?'white':'inherit';}"
            "var key=state.join('_');if(frames[key]){img.src=frames[key];"
            "img.setAttribute('data-frame',key);}}"
            "for(var i=0;i<sliders.length;i++){sliders[i].addEventListener('input',function(e){"
            "state[parseInt(e.target.getAttribute('data-param'))]=parseInt(e.target.value);redraw();});}"
            "for(var i=0;i<buttons.length;i++){buttons[i].addEventListener('click',function(e){"
            "var b=e.currentTarget;state[parseInt(b.getAttribute('data-param'))]="
            "parseInt(b.getAttribute('data-index'));redraw();});}"
            "redraw();})();"
        ) % (json.dumps(uid), json.dumps(data), json.dumps(labels),
             json.dumps({str(j): v for j, v in limits.items()}), json.dumps(start))
        return (
            f'<div class="ssm-explorer" id="{uid}">'
            f'<img class="ssm-frame" alt="interactive figure" src="{first}" '
            f'data-frame="{first_key}" style="max-width:100%">'
            + "".join(rows)
            + caption
            + note
            + f"<script>{script}</script></div>"
        )

    # -- live view -----------------------------------------------------------
    def _control(self, p: Control, w: Any) -> Any:
        """The ipywidgets control of one parameter (works with ipywidgets 7.8 and 8.x)."""
        style = {"description_width": "initial"}
        value = self.values[p.name]
        if isinstance(p, Choice):
            options = list(zip(p.labels, p.option_values))
            if len(options) <= 4 and sum(len(lab) for lab in p.labels) <= 60:
                return w.ToggleButtons(
                    options=options, value=p.coerce(value), description=str(p.label),
                    style={**style, "button_width": "auto"},
                )
            return w.Dropdown(options=options, value=p.coerce(value), description=str(p.label),
                              style=style, layout=w.Layout(width="28em"))
        layout = w.Layout(width="28em")
        top = self._top(p, self.values)
        hi = p.hi if top is None else top
        common = dict(description=str(p.label), continuous_update=False, style=style,
                      layout=layout)
        if p.integer:
            return w.IntSlider(value=int(value), min=int(p.lo), max=int(hi),
                               step=int(p.step) if p.step else 1, **common)
        if p.scale == "log":
            lo, hi_exp = math.log10(p.lo), math.log10(hi)
            step = p.step if p.step is not None else _nice_step(hi_exp - lo)
            return w.FloatLogSlider(value=float(value), base=10, min=lo, max=hi_exp, step=step,
                                    readout_format=_d3_format(p.fmt), **common)
        step = p.step if p.step is not None else _nice_step(hi - p.lo)
        return w.FloatSlider(value=float(value), min=p.lo, max=hi, step=step,
                             readout_format=_d3_format(p.fmt), **common)

    def widget(self) -> Any:
        """The live UI: an ``ipywidgets.VBox`` of controls above the figure image.

        A :class:`Param` is a continuous slider over its whole range (off-grid values
        work); a :class:`Choice` is a row of toggle buttons (a drop-down for many
        options). Changing a control calls :meth:`set` and re-renders the image. The
        controls are ``box.children[:-1]`` in parameter order; the image widget is
        ``box.children[-1]``. Works with ipywidgets 7.8 and 8.x.
        """
        import ipywidgets as w

        controls = [self._control(p, w) for p in self.params]
        image = w.Image(value=self.render_png(), format="png",
                        layout=w.Layout(max_width="100%"))
        syncing = [False]

        def on_change(change: Mapping[str, Any], name: str) -> None:
            if syncing[0]:
                return
            self.set(**{name: change["new"]})
            # sliders whose range follows a choice
            syncing[0] = True
            try:
                for p, c in zip(self.params, controls):
                    if isinstance(p, Param) and p.max_by is not None:
                        top = self._top(p, self.values)
                        hi = p.hi if top is None else top
                        if c.max != hi:
                            if c.value > hi:
                                c.value = hi
                            c.max = hi
                        if c.value != self.values[p.name]:
                            c.value = self.values[p.name]
            finally:
                syncing[0] = False
            image.value = self.render_png()

        for p, c in zip(self.params, controls):
            c.observe(lambda ch, n=p.name: on_change(ch, n), names="value")
        return w.VBox([*controls, image])

    def show(self, mode: str = "auto") -> None:
        """Display the explorer: ``"live"``, ``"static"``, ``"figure"`` or ``"auto"``.

        ``"auto"`` is static when ``SSMBOOK_STATIC=1`` (the book build), live in a
        Jupyter kernel, and ``"figure"`` elsewhere (a plain script): the figure at
        the current values through ``plt.show()``, with a line saying how to change
        them (``explorer.set(...)``) or, under a non-interactive matplotlib
        backend, how to save it. Returns None, so a ``.show()`` on a cell's last
        line is not displayed a second time.
        """
        import matplotlib.pyplot as plt

        mode = check_choice(mode, "mode", ("auto", "live", "static", "figure"))
        if mode == "auto":
            mode = "static" if static_mode() else ("live" if in_kernel() else "figure")
        if mode == "figure":
            self._show_figure(plt)
            return None
        from IPython.display import HTML, display

        obj = HTML(self.to_html()) if mode == "static" else self.widget()
        plt.close(self.fig)  # keep the inline backend from printing it a second time
        display(obj)
        return None

    def _show_figure(self, plt: Any) -> None:
        import matplotlib

        current = ", ".join(f"{p.name}={self.values[p.name]!r}" for p in self.params)
        backend = matplotlib.get_backend().lower()
        if backend in ("agg", "pdf", "ps", "svg", "pgf", "cairo", "template"):
            print(f"[ssmlib] No Jupyter kernel and a non-interactive matplotlib backend "
                  f"({backend!r}): the figure at {current} cannot be shown here. Save it with "
                  f"explorer.fig.savefig('figure.png'), change values with explorer.set(...), "
                  f"or run the notebook in Jupyter for live sliders.")
            return
        print(f"[ssmlib] No Jupyter kernel: showing the figure at {current}. Change values with "
              f"explorer.set(name=value) and call explorer.show() again; run the notebook in "
              f"Jupyter for live sliders.")
        with self._style():
            plt.figure(self.fig)  # (re)attach the figure to pyplot if it was closed
            plt.show()
