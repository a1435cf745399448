"""Benchmark the backends of ``ssmlib.scan`` (chapter 8).

For each shape (B, L, N) (complex64, time-invariant lam of shape (N,)) it times

* the forward pass of every backend, and the backward pass (``autograd.grad``
  of x with respect to lam and b, forward excluded);
* baselines in the same run: the sequential loop, the parallel (Hillis-Steele)
  scan in torch ops, ``scipy.signal.lfilter`` per channel on CPU, and a
  same-size ``torch.clone`` (the memory-bandwidth yardstick).

Columns: time, elements per second (B L N / time), achieved bandwidth in GB/s
of the *minimum* traffic (forward: read b, write x = 16 B per complex64
element; backward: read dy and x, write db = 24 B per element), that
bandwidth as a fraction of the clone's (16 B per element) measured in the
same run, and the speed ratio against the baseline (``lfilter`` on CPU,
``parallel`` on CUDA; > 1 means faster than the baseline).

Usage::

    python benchmarks/scan.py                 # default shapes for the device
    python benchmarks/scan.py --quick         # one CPU-sized shape, few repeats
    python benchmarks/scan.py --out benchmarks/results   # also write .md and .json

On CUDA the Triton backend is included; the kernel tiles can be set with
``--block-l/--block-n/--num-warps``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import ssmlib as sl

BYTES_FWD = 16  # complex64: read b (8 B) + write x (8 B)
BYTES_BWD = 24  # complex64: read dy, read x, write db
BYTES_CLONE = 16

CPU_SHAPES = [(1, 1024, 256), (1, 16384, 256), (4, 4096, 128)]
CPU_QUICK = [(1, 16384, 256)]
CUDA_SHAPES = [(1, 16384, 256), (8, 4096, 1024), (16, 16384, 256), (8, 2048, 4096), (2, 65536, 512)]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench(fn, device: torch.device, *, min_time: float = 0.3, max_reps: int = 50, min_reps: int = 3) -> float:
    """Median wall time (s) of ``fn()`` after one warm-up call."""
    fn()
    _sync(device)
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_reps and (len(times) < min_reps or time.perf_counter() - start < min_time):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
        if times[0] > 2.0:  # very slow baselines: one timed call is enough
            break
    return statistics.median(times)


def lfilter_scan(lam: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The scipy baseline: ``lfilter([1], [1, -lam_n], b[:, :, n])`` per batch element and channel."""
    import scipy.signal

    out = np.empty_like(b)
    bt = np.ascontiguousarray(b.transpose(0, 2, 1))  # (B, N, L): contiguous time series
    for i in range(b.shape[0]):
        for j in range(b.shape[2]):
            out[i, :, j] = scipy.signal.lfilter([1.0], [1.0, -lam[j]], bt[i, j])
    return out


def make_problem(shape, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    batch, length, n = shape
    radius = 0.9 + 0.099 * torch.rand(n, generator=g, dtype=torch.float64)
    phase = 2 * np.pi * torch.rand(n, generator=g, dtype=torch.float64)
    lam = torch.polar(radius, phase).to(torch.complex64)
    b = torch.randn(batch, length, n, generator=g, dtype=torch.complex64)
    return lam.to(device), b.to(device)


def run(shapes, device: torch.device, backends, args) -> list[dict]:
    rows = []
    for shape in shapes:
        lam, b = make_problem(shape, device)
        elems = b.numel()
        t_clone = bench(lambda: b.clone(), device)
        clone_bw = BYTES_CLONE * elems / t_clone / 1e9
        rows.append(dict(backend="torch.clone", pass_="copy", shape=shape, time_s=t_clone,
                         elems_per_s=elems / t_clone, gbps=clone_bw, frac_clone=1.0))
        if device.type == "cpu" and "lfilter" in backends:
            lam_np, b_np = lam.numpy(), b.numpy()
            t = bench(lambda: lfilter_scan(lam_np, b_np), device, min_reps=1)
            rows.append(dict(backend="scipy lfilter", pass_="forward", shape=shape, time_s=t,
                             elems_per_s=elems / t, gbps=BYTES_FWD * elems / t / 1e9))
        for name in backends:
            if name == "lfilter":
                continue
            if name == "sequential" and shape[1] > args.max_sequential_length:
                print(f"(skipping sequential at L = {shape[1]} > --max-sequential-length)", flush=True)
                continue
            kwargs = {}
            if name == "triton" and (args.block_l or args.block_n or args.num_warps):
                from ssmlib.scan.triton_kernel import scan_triton

                def fwd(lam_=lam, b_=b):
                    return scan_triton(lam_, b_, args.block_l, args.block_n, args.num_warps)
            else:
                def fwd(lam_=lam, b_=b, name=name):
                    return sl.scan(lam_, b_, backend=name, **kwargs)
            with torch.no_grad():
                t = bench(fwd, device, min_reps=1)
            rows.append(dict(backend=name, pass_="forward", shape=shape, time_s=t,
                             elems_per_s=elems / t, gbps=BYTES_FWD * elems / t / 1e9))
            if args.no_backward:
                continue
            lam_g, b_g = lam.clone().requires_grad_(), b.clone().requires_grad_()
            x = fwd(lam_g, b_g)
            dy = torch.randn_like(x)

            def bwd():
                return torch.autograd.grad(x, (lam_g, b_g), dy, retain_graph=True)

            t = bench(bwd, device, min_reps=1)
            rows.append(dict(backend=name, pass_="backward", shape=shape, time_s=t,
                             elems_per_s=elems / t, gbps=BYTES_BWD * elems / t / 1e9))
            del x, dy, lam_g, b_g
        # ratios against the baseline of this shape and pass
        base_name = "scipy lfilter" if device.type == "cpu" else "parallel"
        for r in rows:
            if r["shape"] != shape:
                continue
            r["frac_clone"] = r["gbps"] / clone_bw
            base = [q for q in rows if q["shape"] == shape and q["backend"] == base_name
                    and q["pass_"] == r["pass_"]]
            r["vs_baseline"] = base[0]["time_s"] / r["time_s"] if base else None
        for r in rows:
            if r["shape"] == shape:
                print(format_row(r), flush=True)
    return rows


HEADER = ("| backend | pass | shape (B, L, N) | time (ms) | elements/s | GB/s (min traffic) "
          "| fraction of clone | speed vs baseline |\n|---|---|---|---:|---:|---:|---:|---:|")


def format_row(r: dict) -> str:
    ratio = "" if r.get("vs_baseline") is None else f"{r['vs_baseline']:.2f}x"
    return (f"| {r['backend']} | {r['pass_']} | {tuple(r['shape'])} | {1e3 * r['time_s']:.3f} "
            f"| {r['elems_per_s']:.3g} | {r['gbps']:.1f} | {r.get('frac_clone', float('nan')):.2f} | {ratio} |")


def provenance(device: torch.device, argv) -> dict:
    try:
        import triton

        triton_version = triton.__version__
    except ImportError:
        triton_version = "not installed"
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = platform.processor() or platform.machine()
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "device": f"{device.type}: {name}",
        "cpu_threads": torch.get_num_threads(),
        "os_cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "triton": triton_version,
        "ssmlib": sl.__version__,
        "command": "python " + " ".join(argv),
        "dtype": "complex64, time-invariant lam (N,)",
    }


def main(argv: list[str] | None = None) -> list[dict]:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (cuda when available)")
    p.add_argument("--quick", action="store_true", help="one CPU-sized shape, few repeats")
    p.add_argument("--shapes", default=None, help="e.g. '1x16384x256,8x4096x1024'")
    p.add_argument("--backends", default=None, help="comma-separated subset of backends")
    p.add_argument("--no-backward", action="store_true", help="time forward passes only")
    p.add_argument("--out", default=None, help="folder to write <device>-<date>.md and .json")
    p.add_argument("--max-sequential-length", type=int, default=16384,
                   help="skip the (slow) sequential loop above this L")
    p.add_argument("--block-l", type=int, default=None)
    p.add_argument("--block-n", type=int, default=None)
    p.add_argument("--num-warps", type=int, default=None)
    args = p.parse_args(argv)

    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))
    if args.shapes:
        shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    elif device.type == "cuda":
        shapes = CUDA_SHAPES[:1] if args.quick else CUDA_SHAPES
    else:
        shapes = CPU_QUICK if args.quick else CPU_SHAPES
    if args.backends:
        backends = args.backends.split(",")
    elif device.type == "cuda":
        backends = ["sequential", "parallel", "chunked", "triton"]
    else:
        backends = ["lfilter", "sequential", "parallel", "blelloch", "chunked"]

    info = provenance(device, ["benchmarks/scan.py", *argv])
    print("# ssmlib.scan benchmark\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print()
    print(HEADER, flush=True)
    rows = run(shapes, device, backends, args)
    public = [{("pass" if k == "pass_" else k): v for k, v in r.items()} for r in rows]

    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{device.type}-{_dt.date.today().isoformat()}"
        md = ["# ssmlib.scan benchmark", ""] + [f"- {k}: {v}" for k, v in info.items()] + [
            "", "Minimum traffic per complex64 element: forward 16 B, backward 24 B, clone 16 B. "
            "Speed vs baseline: baseline time / backend time (baseline: "
            + ("scipy lfilter per channel" if device.type == "cpu" else "parallel torch ops") + ").",
            "", HEADER] + [format_row(r) for r in rows]
        (out / f"{stem}.md").write_text("\n".join(md) + "\n")
        (out / f"{stem}.json").write_text(json.dumps(
            {"provenance": info, "rows": public}, indent=1))
        print(f"\nwrote {out / (stem + '.md')} and .json")
    return public


if __name__ == "__main__":
    main()
