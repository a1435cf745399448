"""Chapter 10 sliders: the S4D kernel's shape, and the selective step opening and closing the state."""

from __future__ import annotations

import math

import numpy as np

from ..widgets import Choice, Explorer, Param
from ._style import COLORS, DPI, RC, check_int, subplots, unit_circle

__all__ = ["s4d_kernel_explorer", "selective_gate_explorer"]

_INITS = [("S4D-Lin", "lin"), ("S4D-Inv", "inv"), ("S4D-LegS", "legs")]


def s4d_kernel_explorer(d_state: int = 64, length: int = 256, seed: int = 0) -> Explorer:
    """The S4D kernel for each initialization and step size :math:`\\Delta`.

    One S4D channel with ``d_state // 2`` complex modes :math:`A_n` from
    :func:`ssmlib.s4d.s4d_init` (menu: S4D-Lin, S4D-Inv, S4D-LegS), zero-order hold with step
    :math:`\\Delta` (logarithmic slider), :math:`B = 1` and a fixed random :math:`C` (torch seed
    ``seed``, drawn as in :class:`ssmlib.s4d.S4DKernel`). Left: the discrete eigenvalues
    :math:`\\lambda_n = e^{\\Delta A_n}` and their conjugates in the unit disk. Right: the kernel
    :math:`K_j = 2\\operatorname{Re}\\sum_n C_n \\bar B_n \\lambda_n^{j}`
    (:func:`ssmlib.s4d.s4d_kernel`), scaled to a maximum of 1, with the memory length
    :math:`2/\\Delta` steps (every mode has :math:`\\operatorname{Re} A_n = -1/2`, so
    :math:`|\\lambda_n|^j = e^{-j\\Delta/2}`) marked when it falls inside the window. Live: a
    menu and a continuous log slider :math:`10^{-3} \\le \\Delta \\le 1`; static grid
    3 x 7 = 21 frames.

    Parameters
    ----------
    d_state : int, even, in [2, 512]
        Real state size :math:`N` (``N // 2`` complex modes).
    length : int, in [8, 4096]
        Kernel length :math:`L` shown.
    seed : int, >= 0
        Torch seed of :math:`C`.

    Returns
    -------
    Explorer
        ``fig.axes[0].lines[-1]``: the eigenvalues; ``fig.axes[1].lines[0]``: the kernel.
    """
    import torch

    from ..s4d import s4d_init, s4d_kernel

    d_state = check_int(d_state, "d_state", 2, 512)
    if d_state % 2:
        raise ValueError(f"d_state must be even, got {d_state}")
    length = check_int(length, "length", 8, 4096)
    seed = check_int(seed, "seed", 0)
    gen = torch.Generator().manual_seed(seed)
    C = torch.randn(d_state // 2, dtype=torch.complex128, generator=gen)
    ell = np.arange(length)

    fig, (ax_d, ax_k) = subplots(1, 2, height=3.1, width_ratios=[1, 2.1])
    unit_circle(ax_d)
    (cloud,) = ax_d.plot([], [], ".", color=COLORS["blue"], ms=5, zorder=3)
    ax_d.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), xlabel="Re $\\lambda_n$", ylabel="Im $\\lambda_n$")
    ax_d.set_title("$\\lambda_n = e^{\\Delta A_n}$", fontsize=10)
    (kern,) = ax_k.plot([], [], color=COLORS["orange"], lw=1.0)
    mem = ax_k.axvline(0, color="0.4", ls="--", lw=1.0)
    ax_k.set(xlim=(0, length - 1), ylim=(-1.05, 1.05), xlabel="lag $j$", ylabel="$K_j$ / max $|K|$")
    title = ax_k.set_title("", fontsize=10)

    def update(init: str, dt: float) -> None:
        A = s4d_init(d_state, init, dtype=torch.complex128)
        K = s4d_kernel(A, C, float(dt), length).numpy()
        lam = torch.exp(float(dt) * A).numpy()
        cloud.set_data(np.concatenate([lam.real, lam.real]), np.concatenate([lam.imag, -lam.imag]))
        kern.set_data(ell, K / max(1e-300, float(np.abs(K).max())))
        memory = 2.0 / float(dt)
        mem.set_xdata([min(memory, length - 1)] * 2)
        mem.set_visible(memory < length - 1)
        name = dict((v, k) for k, v in _INITS)[init]
        title.set_text(f"{name}, $\\Delta$ = {dt:.3g}: memory $2/\\Delta$ = {memory:.3g} steps")

    params = [
        Choice("init", _INITS, default="lin", label="initialization"),
        Param("dt", [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0], default=0.03, label="step Δ",
              scale="log", fmt="{:.3g}", step=0.01),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption="One S4D channel: eigenvalues and convolution kernel.")


def selective_gate_explorer(length: int = 60, seed: int = 0) -> Explorer:
    """A selective step :math:`\\Delta_k` opening and closing one state.

    One channel of the selective SSM (:func:`ssmlib.selective_scan.selective_scan`) with
    :math:`A = -1`, :math:`B_k = C_k = 1`: :math:`x_k = e^{-\\Delta_k} x_{k-1} + \\Delta_k u_k`,
    on a fixed random input :math:`u_k \\sim \\mathcal N(0, 1)` (numpy seed ``seed``) in which
    two steps are *marked* (the tokens to remember, at a third and two thirds of the
    sequence). The step depends on the input through the mark :math:`m_k \\in \\{0, 1\\}`:
    :math:`\\Delta_k = \\operatorname{softplus}(b + w\\,m_k)` with :math:`b` chosen so that an
    unmarked step has :math:`\\Delta_k = \\Delta_{\\rm noise}`. Sliders: the selectivity
    :math:`w` and :math:`\\Delta_{\\rm noise}` (log). Top: the input (marked steps in orange);
    middle: :math:`\\Delta_k`; bottom: the state of the selective channel and, dashed, of a
    time-invariant channel with the same mean :math:`\\Delta`. With :math:`w` large and
    :math:`\\Delta_{\\rm noise}` small, the state jumps to the marked input, then holds it while
    the noise flows past. Live: continuous sliders :math:`0 \\le w \\le 10`,
    :math:`10^{-3} \\le \\Delta_{\\rm noise} \\le 1`; static grid 5 x 4 = 20 frames.

    Parameters
    ----------
    length : int, in [12, 1000]
        Sequence length :math:`L`.
    seed : int, >= 0
        Numpy seed of the input.

    Returns
    -------
    Explorer
        ``fig.axes[1].lines[0]``: :math:`\\Delta_k`; ``fig.axes[2].lines[0]``: the selective
        state, ``fig.axes[2].lines[1]``: the time-invariant state.
    """
    import torch

    from ..selective_scan import selective_scan

    length = check_int(length, "length", 12, 1000)
    seed = check_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(length)
    marked = np.zeros(length)
    marks = [length // 3, (2 * length) // 3]
    marked[marks] = 1.0
    u[marks] = [1.0, -0.8]
    k = np.arange(1, length + 1)
    A = -torch.ones(1, 1, dtype=torch.float64)
    ones = torch.ones(1, 1, dtype=torch.float64)
    ut = torch.from_numpy(u)[None, None]

    fig, (ax_u, ax_d, ax_x) = subplots(3, 1, height=4.6, sharex=True, height_ratios=[1, 0.8, 1.2])
    colors = np.where(marked > 0, COLORS["orange"], COLORS["sky"])
    ax_u.bar(k, u, color=colors, width=0.8)
    ax_u.set(ylabel="input $u_k$")
    (dline,) = ax_d.semilogy(k, np.ones(length), color=COLORS["purple"], lw=1.2, drawstyle="steps-mid")
    ax_d.set(ylabel="$\\Delta_k$", ylim=(5e-4, 20))
    (xsel,) = ax_x.plot(k, np.zeros(length), color=COLORS["blue"], lw=1.5, label="selective")
    (xlti,) = ax_x.plot(k, np.zeros(length), color="0.35", lw=1.2, ls="--", label="time-invariant")
    ax_x.set(xlabel="step $k$", ylabel="state $x_k$", xlim=(0.5, length + 0.5))
    ax_x.legend(loc="lower right", ncol=2)
    title = fig.suptitle("")

    def softplus_inv(y: float) -> float:
        return y + math.log(-math.expm1(-y))

    def update(w: float, dt_noise: float) -> None:
        b = softplus_inv(float(dt_noise))
        pre = torch.from_numpy(b + float(w) * marked)[None, None]
        delta = torch.nn.functional.softplus(pre)
        x_sel = selective_scan(ut, pre, A, ones, ones, delta_softplus=True)[0, 0].numpy()
        mean_dt = float(delta.mean())
        x_lti = selective_scan(ut, torch.full_like(ut, mean_dt), A, ones, ones)[0, 0].numpy()
        dline.set_ydata(delta[0, 0].numpy())
        xsel.set_ydata(x_sel)
        xlti.set_ydata(x_lti)
        top = 1.1 * max(1e-6, float(np.abs(x_sel).max()), float(np.abs(x_lti).max()))
        ax_x.set_ylim(-top, top)
        title.set_text(f"$w$ = {w:.3g}, $\\Delta_{{\\rm noise}}$ = {dt_noise:.3g}: marked steps get "
                       f"$\\Delta_k$ = {float(delta[0, 0, marks[0]]):.3g}")

    params = [
        Param("w", [0.0, 2.5, 5.0, 7.5, 10.0], default=7.5, label="selectivity w", step=0.1, fmt="{:.2f}"),
        Param("dt_noise", [0.001, 0.01, 0.1, 1.0], default=0.01, label="Δ on noise", scale="log",
              fmt="{:.3g}", step=0.01),
    ]
    return Explorer(fig, update, params, dpi=DPI, rc=RC,
                    caption="A selective step: the marked inputs open the state, the noise does not.")
