"""Slider figures that work both in a live kernel and on the static web page.

An :class:`Explorer` wraps one matplotlib figure and an ``update`` function that
redraws it for given parameter values. The same object produces

* a live ipywidgets UI (:meth:`Explorer.widget`): sliders plus an image that is
  re-rendered from the figure whenever a slider moves, and
* a self-contained HTML snippet (:meth:`Explorer.to_html`): one PNG frame per
  point of the parameter grid, embedded as data URIs, with range inputs and a
  few lines of inline JavaScript that pick the frame. It needs no kernel and no
  network, so it keeps working on the rendered book.

Because both views call the same ``update`` function, they cannot diverge.
:meth:`Explorer.show` picks the view: the static one when the environment
variable ``SSMBOOK_STATIC=1`` is set (the book build sets it), the live one
otherwise.

Example
-------
>>> import numpy as np, matplotlib.pyplot as plt
>>> from ssmlib.widgets import Explorer, Param
>>> fig, ax = plt.subplots()
>>> t = np.linspace(0, 10, 200)
>>> (line,) = ax.plot(t, np.exp(-0.1 * t))
>>> def update(rate):
...     line.set_ydata(np.exp(-rate * t))
>>> ex = Explorer(fig, update, [Param("rate", [0.1, 0.5, 1.0], default=0.5)])
>>> ex.set(rate=1.0)
>>> plt.close(fig)
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Param", "Explorer", "static_mode"]

#: Hard cap on the number of precomputed frames, to keep pages small.
MAX_FRAMES = 200


def static_mode() -> bool:
    """True when the book build asks for static (precomputed) figures."""
    return os.environ.get("SSMBOOK_STATIC", "0") not in ("", "0", "false", "False")


@dataclass
class Param:
    """One slider.

    Parameters
    ----------
    name : str
        Keyword passed to the ``update`` function.
    values : sequence of float
        The grid of values precomputed for the static page. The live slider
        spans ``min(values)`` to ``max(values)``.
    default : float, optional
        Initial value; defaults to the middle grid value. For the static page
        the nearest grid value is used.
    label : str, optional
        Text shown beside the slider (plain text or a short LaTeX-free name).
    step : float, optional
        Step of the live slider. If omitted, the live slider moves over the grid
        values only (a selection slider).
    fmt : str
        Format used to print the value, e.g. ``"{:.2f}"``.
    """

    name: str
    values: Sequence[float]
    default: float | None = None
    label: str | None = None
    step: float | None = None
    fmt: str = "{:.3g}"
    _grid: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"Param name must be a Python identifier, got {self.name!r}")
        grid = np.asarray(self.values, dtype=float).ravel()
        if grid.size == 0 or not np.all(np.isfinite(grid)):
            raise ValueError(f"Param {self.name!r}: values must be a non-empty finite sequence")
        if grid.size > 1 and not np.all(np.diff(grid) > 0):
            raise ValueError(f"Param {self.name!r}: values must be strictly increasing")
        self._grid = grid
        if self.default is None:
            self.default = float(grid[grid.size // 2])
        if not (grid[0] <= self.default <= grid[-1]):
            raise ValueError(
                f"Param {self.name!r}: default {self.default} outside [{grid[0]}, {grid[-1]}]"
            )
        if self.step is not None and not self.step > 0:
            raise ValueError(f"Param {self.name!r}: step must be > 0, got {self.step}")
        if self.label is None:
            self.label = self.name

    @property
    def grid(self) -> np.ndarray:
        """The static grid, shape (n,)."""
        return self._grid

    def nearest_index(self, value: float) -> int:
        """Index of the grid value closest to ``value``."""
        return int(np.argmin(np.abs(self._grid - value)))


class Explorer:
    """A figure driven by sliders, shown live (ipywidgets) or static (frames).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to redraw. ``update`` should change its artists in place
        (``line.set_data`` and friends) or clear and redraw its axes.
    update : callable
        ``update(**values)`` with one keyword per :class:`Param`.
    params : sequence of Param
        The sliders, in display order.
    dpi : int
        Resolution of the rendered frames.
    caption : str, optional
        Short text shown under the static figure.
    """

    def __init__(
        self,
        fig: Any,
        update: Callable[..., Any],
        params: Sequence[Param],
        *,
        dpi: int = 80,
        caption: str | None = None,
    ) -> None:
        if not callable(update):
            raise TypeError("update must be callable")
        params = list(params)
        if not params or not all(isinstance(p, Param) for p in params):
            raise TypeError("params must be a non-empty sequence of Param")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"params must have distinct names, got {names}")
        n_frames = int(np.prod([p.grid.size for p in params]))
        if n_frames > MAX_FRAMES:
            raise ValueError(
                f"params give {n_frames} static frames, more than MAX_FRAMES={MAX_FRAMES}; "
                "use coarser grids"
            )
        self.fig = fig
        self.params = params
        self._update = update
        self.dpi = int(dpi)
        self.caption = caption
        self.values: dict[str, float] = {}
        self.set(**{p.name: p.default for p in params})

    # -- core ----------------------------------------------------------------
    def set(self, **values: float) -> None:
        """Set some parameters and redraw the figure.

        Raises
        ------
        ValueError
            For an unknown parameter name or a value outside the slider range.
        """
        by_name = {p.name: p for p in self.params}
        for name, value in values.items():
            if name not in by_name:
                raise ValueError(f"unknown parameter {name!r}; expected one of {list(by_name)}")
            p = by_name[name]
            v = float(value)
            if not (p.grid[0] - 1e-12 <= v <= p.grid[-1] + 1e-12):
                raise ValueError(f"{name}={v} outside the slider range [{p.grid[0]}, {p.grid[-1]}]")
        new = {**self.values, **{k: float(v) for k, v in values.items()}}
        self._update(**new)
        self.values = new

    def render_png(self) -> bytes:
        """The figure, as it is now, encoded as PNG bytes."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.dpi, bbox_inches="tight")
        return buf.getvalue()

    # -- static view ---------------------------------------------------------
    def frames(self) -> dict[tuple[int, ...], bytes]:
        """Render every point of the parameter grid.

        Returns
        -------
        dict
            Maps a tuple of grid indices (one per parameter) to PNG bytes.
            The explorer's current values are restored afterwards.
        """
        saved = dict(self.values)
        out: dict[tuple[int, ...], bytes] = {}
        try:
            for idx in itertools.product(*(range(p.grid.size) for p in self.params)):
                self.set(**{p.name: p.grid[i] for p, i in zip(self.params, idx)})
                out[idx] = self.render_png()
        finally:
            self.set(**saved)
        return out

    def to_html(self) -> str:
        """A self-contained HTML snippet: frames, range inputs, inline script."""
        frames = self.frames()
        uid = "ssmx-" + uuid.uuid4().hex[:10]
        data = {
            "_".join(map(str, k)): "data:image/png;base64," + base64.b64encode(v).decode()
            for k, v in frames.items()
        }
        start = [p.nearest_index(self.values[p.name]) for p in self.params]
        labels = [[p.fmt.format(v) for v in p.grid] for p in self.params]
        rows = []
        for j, p in enumerate(self.params):
            rows.append(
                f'<label style="display:flex;align-items:center;gap:0.6em;margin:0.15em 0">'
                f'<span style="min-width:9em">{html.escape(str(p.label))}</span>'
                f'<input type="range" class="ssm-slider" data-param="{j}" min="0" '
                f'max="{p.grid.size - 1}" step="1" value="{start[j]}" '
                f'aria-label="{html.escape(str(p.label))}" style="flex:1;max-width:22em">'
                f'<output class="ssm-value" style="min-width:4em;font-family:monospace">'
                f"{html.escape(labels[j][start[j]])}</output></label>"
            )
        first = data["_".join(map(str, start))]
        caption = (
            f'<div style="font-size:0.85em;color:#555">{html.escape(self.caption)}</div>'
            if self.caption
            else ""
        )
        note = (
            '<div style="font-size:0.8em;color:#777">Precomputed frames: move a slider; '
            "run the notebook for continuous sliders.</div>"
        )
        script = (
            "(function(){var root=document.getElementById(%s);"
            "var frames=%s;var labels=%s;"
            "var sliders=root.querySelectorAll('input.ssm-slider');"
            "var outs=root.querySelectorAll('output.ssm-value');"
            "var img=root.querySelector('img.ssm-frame');"
            "function redraw(){var k=[];for(var i=0;i<sliders.length;i++){"
            "var v=parseInt(sliders[i].value);k.push(v);outs[i].textContent=labels[i][v];}"
            "img.src=frames[k.join('_')];img.setAttribute('data-frame',k.join('_'));}"
            "for(var i=0;i<sliders.length;i++){sliders[i].addEventListener('input',redraw);}"
            "redraw();})();"
        ) % (json.dumps(uid), json.dumps(data), json.dumps(labels))
        return (
            f'<div class="ssm-explorer" id="{uid}">'
            f'<img class="ssm-frame" alt="interactive figure" src="{first}" '
            f'data-frame="{"_".join(map(str, start))}" style="max-width:100%">'
            + "".join(rows)
            + caption
            + note
            + f"<script>{script}</script></div>"
        )

    # -- live view -----------------------------------------------------------
    def widget(self):
        """The live UI: an ``ipywidgets.VBox`` of sliders above the figure image.

        Moving a slider calls :meth:`set` and re-renders the image. The sliders
        are in ``box.children[:-1]`` in parameter order; the image widget is
        ``box.children[-1]``.
        """
        import ipywidgets as w

        sliders = []
        for p in self.params:
            style = {"description_width": "initial"}
            layout = w.Layout(width="28em")
            if p.step is not None:
                s = w.FloatSlider(
                    value=self.values[p.name], min=float(p.grid[0]), max=float(p.grid[-1]),
                    step=p.step, description=str(p.label), continuous_update=False,
                    style=style, layout=layout, readout_format=".3g",
                )
            else:
                options = [(p.fmt.format(v), float(v)) for v in p.grid]
                s = w.SelectionSlider(
                    options=options, value=float(p.grid[p.nearest_index(self.values[p.name])]),
                    description=str(p.label), continuous_update=False,
                    style=style, layout=layout,
                )
            sliders.append(s)
        image = w.Image(value=self.render_png(), format="png")

        def on_change(change, name):
            self.set(**{name: change["new"]})
            image.value = self.render_png()

        for p, s in zip(self.params, sliders):
            s.observe(lambda ch, n=p.name: on_change(ch, n), names="value")
        return w.VBox([*sliders, image])

    def show(self, mode: str = "auto") -> None:
        """Display the explorer: ``"live"``, ``"static"`` or ``"auto"``.

        ``"auto"`` is static when ``SSMBOOK_STATIC=1`` (the book build) and live
        otherwise. Returns None, so a ``.show()`` on a cell's last line is not
        displayed a second time.
        """
        import matplotlib.pyplot as plt
        from IPython.display import HTML, display

        if mode not in ("auto", "live", "static"):
            raise ValueError(f"mode must be 'auto', 'live' or 'static', got {mode!r}")
        if mode == "auto":
            mode = "static" if static_mode() else "live"
        obj = HTML(self.to_html()) if mode == "static" else self.widget()
        plt.close(self.fig)  # keep the inline backend from printing it a second time
        display(obj)
