"""Cost of S4's DPLR kernel: Cauchy kernels + Woodbury + iFFT vs explicit matrix powers.

For a random stable DPLR system (state size N, rank 1, complex128) and several kernel lengths
L, it times (best of repeats, CPU, one thread by default)

* ``powers``: :func:`ssmlib.s4_kernel.dplr_kernel_powers`, ``L`` sequential products
  ``x <- Abar x``, ``K_l = C x`` (O(L N^2));
* ``cauchy``: :func:`ssmlib.s4_kernel.dplr_kernel` with ``C_is_tilde=True`` (S4 trains
  :math:`\\tilde C` directly): Cauchy kernels at the L roots of unity, Woodbury, one iFFT
  (O(L N r^2) work, all independent, vectorized);
* ``cauchy+Ctilde``: the same plus forming :math:`\\tilde C = C(I - \\bar A^L)` by repeated
  squaring (O(N^3 log L)).

and prints a table with the ratios ``powers / cauchy`` (> 1: the Cauchy route is faster) and the
largest difference between the two kernels relative to ``max |K|``.

Both routes are linear in ``L``; what differs is the work per tap (``N^2`` multiply-adds in a
sequential chain of matrix-vector products for ``powers``, ``(1 + r)^2 N`` independent ones for
the Cauchy kernels), so the ratio grows with ``N`` rather than with ``L``.
(:math:`\\bar A^L` adds an :math:`O(N^3 \\log L)` term that dominates at small ``L`` and large
``N`` unless :math:`\\tilde C` is the trained parameter.)

Usage::

    python benchmarks/s4_kernel.py                   # N = 64 and 256, L = 256 ... 16384
    python benchmarks/s4_kernel.py --N 256 --L 1024 4096
    python benchmarks/s4_kernel.py --out benchmarks/results   # also write a .json with provenance
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import sys
import time
from pathlib import Path

import torch

from ssmlib.s4_kernel import dplr_kernel, dplr_kernel_powers, dplr_truncated_C


def bench(fn, *, min_time: float = 0.3, max_reps: int = 30, min_reps: int = 5) -> float:
    """Best (minimum) wall time of ``fn()`` in seconds over repeats, after one warm-up call.

    The minimum, not the median: on a shared machine the noise only ever adds time.
    """
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def make_problem(N: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    Lam = torch.complex(-torch.rand(N, generator=g, dtype=torch.float64) - 0.1,
                        N * torch.randn(N, generator=g, dtype=torch.float64))
    P = 0.3 * torch.randn(N, 1, generator=g, dtype=torch.complex128)
    B = torch.randn(N, generator=g, dtype=torch.complex128)
    C = torch.randn(N, generator=g, dtype=torch.complex128)
    return Lam, P, P, B, C


def run(N: int, lengths: list[int], dt: float) -> list[dict]:
    Lam, P, Q, B, C = make_problem(N)
    rows = []
    for L in lengths:
        Ct = dplr_truncated_C(Lam, P, Q, C, dt, L)
        K_c = dplr_kernel(Lam, P, Q, B, Ct, dt, L, C_is_tilde=True)
        K_p = dplr_kernel_powers(Lam, P, Q, B, C, dt, L)
        err = float((K_c - K_p).abs().max() / K_p.abs().max())
        t_pow = bench(lambda: dplr_kernel_powers(Lam, P, Q, B, C, dt, L))
        t_cau = bench(lambda: dplr_kernel(Lam, P, Q, B, Ct, dt, L, C_is_tilde=True))
        t_full = bench(lambda: dplr_kernel(Lam, P, Q, B, C, dt, L))
        rows.append(dict(N=N, L=L, powers_s=t_pow, cauchy_s=t_cau, cauchy_ctilde_s=t_full,
                         ratio=t_pow / t_cau, ratio_ctilde=t_pow / t_full, rel_diff=err))
    return rows


def format_table(rows: list[dict]) -> str:
    head = ("| N | L | powers (ms) | cauchy (ms) | cauchy+Ctilde (ms) | powers/cauchy "
            "| powers/(cauchy+Ctilde) | max rel. diff |")
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r['N']} | {r['L']} | {1e3 * r['powers_s']:.2f} | {1e3 * r['cauchy_s']:.2f} "
            f"| {1e3 * r['cauchy_ctilde_s']:.2f} | {r['ratio']:.1f} | {r['ratio_ctilde']:.1f} "
            f"| {r['rel_diff']:.1e} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, nargs="+", default=[64, 256], help="state sizes (default 64 256)")
    ap.add_argument("--L", type=int, nargs="+", default=[256, 1024, 4096, 16384], help="kernel lengths")
    ap.add_argument("--dt", type=float, default=0.01, help="step of the bilinear discretization")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    ap.add_argument("--out", type=Path, default=None, help="folder for s4_kernel-<device>-<date>.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = [row for N in args.N for row in run(N, args.L, args.dt)]
    print(format_table(rows))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        date = _dt.date.today().isoformat()
        meta = dict(command="python benchmarks/s4_kernel.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                    date=date, device=platform.processor() or platform.machine(), threads=args.threads,
                    torch=torch.__version__, python=platform.python_version(), dtype="complex128")
        path = args.out / f"s4_kernel-cpu-{date}.json"
        path.write_text(json.dumps(dict(meta=meta, rows=rows), indent=1))
        print(f"wrote {path}")
    return rows


if __name__ == "__main__":
    main()
