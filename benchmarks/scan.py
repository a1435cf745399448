"""Benchmark the backends of ``ssmlib.scan`` against compiled peers (chapter 8).

For each shape (B, L, N) (complex64, time-invariant lam of shape (N,)) it times,
in the same process and interleaved (every round calls every contender once,
after a warm-up, so that a slow spell of a shared machine hits all of them):

* yardsticks: a same-size ``torch.clone`` (allocates its output, as a scan
  does) and ``copy_`` into a preallocated tensor;
* peers, written here and independent of ssmlib: a serial numba loop in the
  input's dtype (``numba loop``; forward, and a backward computing db and dlam),
  ``scipy.signal.lfilter`` in complex64 on contiguous (B, N, L) series (one call
  per channel), and ``jax.lax.scan`` when jax is installed;
* every ssmlib backend, forward and backward (``autograd.grad`` with respect to
  lam and b; the forward excluded), and the default call ``sl.scan(lam, b)``
  with and without its value check (``check_finite``), whose difference is the
  validation overhead.

Columns: median and minimum time over ``--repeats`` samples (the same number
for every contender), elements per second (B L N / median), the bandwidth of
the *minimum* traffic (forward: read b, write x = 16 B per complex64 element;
backward: read dy and x, write db = 24 B), that bandwidth as a fraction of the
clone's (16 B per element) measured in the same run, and the ratio of the
time to the numba loop's (``vs numba``: > 1 means slower). A scaling table
gives ns per element of the default backend and the numba loop over L.

Usage::

    python benchmarks/scan.py                       # CPU: (1, 32768, 256), (8, 4096, 64)
    python benchmarks/scan.py --quick               # one small shape, 3 samples (CI)
    python benchmarks/scan.py --out benchmarks/results   # also write <device>-<date>.md/.json
    python benchmarks/scan.py --device cuda --out DIR    # GPU: Triton vs torch ops vs clone

On CUDA the contenders are clone, the torch ``parallel`` and ``chunked``
backends, Triton (tiles settable with ``--block-l/--block-n/--num-warps``) and
``accelerated-scan`` when importable (real float32 gates/tokens of shape
(B, 2N, L): the same bytes as the complex64 problem); ``vs_baseline`` is the
torch ``parallel`` backend's time over the contender's.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

import ssmlib as sl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import new_stem, write_text_atomic  # noqa: E402  (benchmarks/_results.py)

BYTES_FWD = 16  # complex64: read b (8 B) + write x (8 B)
BYTES_BWD = 24  # complex64: read dy, read x, write db
BYTES_CLONE = 16

CPU_SHAPES = [(1, 32768, 256), (8, 4096, 64)]
CPU_QUICK = [(1, 4096, 64)]
CPU_SCALING = [1 << k for k in range(10, 17)]  # L at B = 1, N = 256
CUDA_SHAPES = [(1, 65536, 256), (1, 1 << 20, 256), (8, 4096, 1024), (16, 16384, 256),
               (8, 2048, 4096), (2, 65536, 512)]
CUDA_SCALING = [1 << k for k in range(12, 21, 2)]


# --- peers ---------------------------------------------------------------------------------------
def _numba_peer():
    """Serial numba loops in the input's dtype (no ssmlib code): forward and backward."""
    if not sl.scan.numba_available():
        return None
    import numba as nb

    @nb.njit(cache=False)  # no disk cache: this file also runs as an imported test module
    def forward(lam, b):
        batch, length, n = b.shape
        out = np.empty_like(b)
        for i in range(batch):
            x = np.zeros(n, b.dtype)
            for t in range(length):
                for j in range(n):
                    x[j] = lam[j] * x[j] + b[i, t, j]
                    out[i, t, j] = x[j]
        return out

    @nb.njit(cache=False)  # no disk cache: this file also runs as an imported test module
    def backward(lam, x, dy):
        # g_t = dy_t + conj(lam) g_{t+1};  dlam = sum_t g_t conj(x_{t-1})
        batch, length, n = dy.shape
        db = np.empty_like(dy)
        dlam = np.zeros(n, dy.dtype)
        lc = np.conj(lam)
        for i in range(batch):
            g = np.zeros(n, dy.dtype)
            for t in range(length - 1, -1, -1):
                for j in range(n):
                    g[j] = lc[j] * g[j] + dy[i, t, j]
                    db[i, t, j] = g[j]
                    if t > 0:
                        dlam[j] += g[j] * np.conj(x[i, t - 1, j])
        return db, dlam

    return forward, backward


def _jax_peer():
    """``jax.lax.scan`` over time (jit-compiled), when jax is installed."""
    if importlib.util.find_spec("jax") is None:
        return None
    import jax
    import jax.numpy as jnp

    @jax.jit
    def run(lam, b):  # b: (L, B, N)
        def body(x, u):
            x = lam * x + u
            return x, x
        return jax.lax.scan(body, jnp.zeros(b.shape[1:], b.dtype), b)[1]

    return run


def lfilter_scan(lam: np.ndarray, bt: np.ndarray) -> np.ndarray:
    """scipy's ``lfilter([1], [1, -lam_n])`` per batch element and channel on contiguous
    (B, N, L) series, in their dtype."""
    import scipy.signal

    out = np.empty_like(bt)
    one = np.ones(1, bt.dtype)
    for i in range(bt.shape[0]):
        for j in range(bt.shape[1]):
            out[i, j] = scipy.signal.lfilter(one, np.array([1.0, -lam[j]], bt.dtype), bt[i, j])
    return out


# --- timing ---------------------------------------------------------------------------------------
def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(fns: dict[str, Callable[[], object]], device: torch.device, repeats: int,
                warmup: int = 1) -> dict[str, list[float]]:
    """``repeats`` rounds, each timing one call of every contender (the order rotates),
    after ``warmup`` untimed calls of each."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    _sync(device)
    names = list(fns)
    samples: dict[str, list[float]] = {k: [] for k in names}
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for k in order:
            _sync(device)
            t0 = time.perf_counter()
            fns[k]()
            _sync(device)
            samples[k].append(time.perf_counter() - t0)
    return samples


def make_problem(shape, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    batch, length, n = shape
    radius = 0.9 + 0.099 * torch.rand(n, generator=g, dtype=torch.float64)
    phase = 2 * np.pi * torch.rand(n, generator=g, dtype=torch.float64)
    lam = torch.polar(radius, phase).to(torch.complex64)
    b = torch.randn(batch, length, n, generator=g, dtype=torch.complex64)
    return lam.to(device), b.to(device)


def _row(backend, pass_, shape, samples, nbytes):
    elems = int(np.prod(shape))
    med, lo = statistics.median(samples), min(samples)
    return dict(backend=backend, pass_=pass_, shape=list(shape), time_s=med, time_min_s=lo,
                time_median_s=med, n_samples=len(samples), elems_per_s=elems / med,
                gbps=nbytes * elems / med / 1e9)


def contenders(shape, device, backends, args, peers):
    """(forward fns, backward fns) of every contender for one shape."""
    lam, b = make_problem(shape, device)
    fwd: dict[str, Callable] = {}
    bwd: dict[str, Callable] = {}
    fwd["torch.clone"] = lambda: b.clone()
    dst = torch.empty_like(b)
    fwd["copy_ (preallocated)"] = lambda: dst.copy_(b)
    if device.type == "cpu":
        numba_peer, jax_peer = peers
        lam_np, b_np = lam.numpy(), b.numpy()
        if numba_peer is not None:
            nf, nbw = numba_peer
            x_np = nf(lam_np, b_np)
            dy_np = np.ascontiguousarray(np.random.default_rng(1).standard_normal(
                b_np.shape + (2,), dtype=np.float32)).view(np.complex64)[..., 0]
            fwd["numba loop"] = lambda: nf(lam_np, b_np)
            bwd["numba loop"] = lambda: nbw(lam_np, x_np, dy_np)
        if "lfilter" in backends:
            bt = np.ascontiguousarray(b_np.transpose(0, 2, 1))  # (B, N, L): contiguous series
            fwd["scipy lfilter (complex64)"] = lambda: lfilter_scan(lam_np, bt)
        if jax_peer is not None:
            import jax.numpy as jnp

            lam_j, b_j = jnp.asarray(lam_np), jnp.asarray(b_np.transpose(1, 0, 2).copy())
            fwd["jax.lax.scan"] = lambda: jax_peer(lam_j, b_j).block_until_ready()
    elif "accelerated-scan" in backends and importlib.util.find_spec("accelerated_scan"):
        from accelerated_scan.warp import scan as warp_scan

        bb, ll, nn = shape
        gates = torch.rand(bb, 2 * nn, ll, device=device) * 0.1 + 0.9
        tokens = torch.randn(bb, 2 * nn, ll, device=device)
        fwd["accelerated-scan (float32, 2N channels)"] = lambda: warp_scan(gates, tokens)

    for name in backends:
        if name in ("lfilter", "accelerated-scan"):
            continue
        if name == "sequential" and shape[1] > args.max_sequential_length:
            print(f"(skipping sequential at L = {shape[1]} > --max-sequential-length)", flush=True)
            continue
        if name == "triton" and (args.block_l or args.block_n or args.num_warps):
            from ssmlib.scan.triton_kernel import scan_triton

            def f(lam_=lam, b_=b):
                return scan_triton(lam_, b_, args.block_l, args.block_n, args.num_warps)
        elif name == "auto":
            def f(lam_=lam, b_=b):
                return sl.scan(lam_, b_)  # the default call, value check included
            fwd["auto, check_finite=False"] = lambda: sl.scan(lam, b, check_finite=False)
        else:
            def f(lam_=lam, b_=b, name=name):
                return sl.scan(lam_, b_, backend=name, check_finite=False)
        label = "auto (default call)" if name == "auto" else name
        fwd[label] = lambda f=f: _no_grad(f)
        if args.no_backward or name == "auto":
            continue
        lam_g, b_g = lam.clone().requires_grad_(), b.clone().requires_grad_()
        x = f(lam_g, b_g)
        dy = torch.randn_like(x)
        bwd[label] = lambda x=x, lam_g=lam_g, b_g=b_g, dy=dy: torch.autograd.grad(
            x, (lam_g, b_g), dy, retain_graph=True)
    return fwd, bwd


def _no_grad(f):
    with torch.no_grad():
        return f()


def run(shapes, device, backends, args, peers) -> tuple[list[dict], list[dict]]:
    rows, overheads = [], []
    for shape in shapes:
        fwd, bwd = contenders(shape, device, backends, args, peers)
        s_f = interleaved(fwd, device, args.repeats)
        s_b = interleaved(bwd, device, args.repeats) if bwd else {}
        new = [_row(k, "copy" if k in ("torch.clone", "copy_ (preallocated)") else "forward",
                    shape, v, BYTES_CLONE if k in ("torch.clone", "copy_ (preallocated)")
                    else BYTES_FWD) for k, v in s_f.items()]
        new += [_row(k, "backward", shape, v, BYTES_BWD) for k, v in s_b.items()]
        clone_bw = next(r["gbps"] for r in new if r["backend"] == "torch.clone")
        base_name = "numba loop" if device.type == "cpu" else "parallel"
        for r in new:
            r["frac_clone"] = r["gbps"] / clone_bw
            base = [q for q in new if q["backend"] == base_name and q["pass_"] == r["pass_"]]
            if not base and device.type == "cpu" and r["pass_"] == "forward":
                base = [q for q in new if q["backend"] == "scipy lfilter (complex64)"]
            r["vs_baseline"] = base[0]["time_s"] / r["time_s"] if base else None
            peer = [q for q in new if q["backend"] == "numba loop" and q["pass_"] == r["pass_"]]
            r["vs_compiled"] = r["time_s"] / peer[0]["time_s"] if peer else None
            print(format_row(r), flush=True)
        if "auto (default call)" in s_f:
            with_check = statistics.median(s_f["auto (default call)"])
            without = statistics.median(s_f["auto, check_finite=False"])
            # the minima as well: a median can take a slow spell (page faults of a fresh
            # output after another contender freed memory) that the other call missed
            with_min, without_min = min(s_f["auto (default call)"]), min(s_f["auto, check_finite=False"])
            overheads.append(dict(shape=list(shape), with_check_s=with_check,
                                  without_check_s=without,
                                  overhead_fraction=(with_check - without) / with_check,
                                  with_check_min_s=with_min, without_check_min_s=without_min,
                                  overhead_fraction_min=(with_min - without_min) / with_min))
        rows += new
    return rows, overheads


def scaling(device, args, peers) -> list[dict]:
    """ns per element of the default backend (forward) and the numba loop over L."""
    lengths = (CPU_SCALING if device.type == "cpu" else CUDA_SCALING)
    if args.quick:
        lengths = lengths[:3]
    out = []
    for length in lengths:
        shape = (1, length, 256)
        lam, b = make_problem(shape, device)
        fns = {"auto": lambda: _no_grad(lambda: sl.scan(lam, b, check_finite=False))}
        if device.type == "cpu" and peers[0] is not None:
            lam_np, b_np = lam.numpy(), b.numpy()
            fns["numba loop"] = lambda: peers[0][0](lam_np, b_np)
        samples = interleaved(fns, device, max(3, args.repeats // 2))
        for k, v in samples.items():
            med = statistics.median(v)
            out.append(dict(backend=k, pass_="forward", shape=list(shape), time_s=med,
                            ns_per_elem=med / b.numel() * 1e9))
    return out


HEADER = ("| backend | pass | shape (B, L, N) | median (ms) | min (ms) | elements/s "
          "| GB/s (min traffic) | fraction of clone | vs numba |\n"
          "|---|---|---|---:|---:|---:|---:|---:|---:|")


def format_row(r: dict) -> str:
    ratio = "" if r.get("vs_compiled") is None else f"{r['vs_compiled']:.2f}x"
    return (f"| {r['backend']} | {r['pass_']} | {tuple(r['shape'])} | {1e3 * r['time_s']:.3f} "
            f"| {1e3 * r['time_min_s']:.3f} | {r['elems_per_s']:.3g} | {r['gbps']:.2f} "
            f"| {r.get('frac_clone', float('nan')):.3f} | {ratio} |")


def _version(module: str) -> str:
    if importlib.util.find_spec(module) is None:
        return "not installed"
    try:
        return __import__(module).__version__
    except Exception as exc:  # noqa: BLE001 - report, don't fail
        return f"unimportable ({type(exc).__name__})"


def _git_commit() -> str:
    """HEAD's commit, with "+ uncommitted changes" when the library or the benchmarks differ
    from it (the numbers then belong to the working tree)."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, cwd=root).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "ssmlib", "benchmarks"],
                               capture_output=True, text=True, timeout=10, cwd=root).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    return head + (" + uncommitted changes" if dirty.strip() else "")


def provenance(device: torch.device, argv, note: str) -> dict:
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
    numba_threads = None
    if sl.scan.numba_available():
        import numba

        numba_threads = numba.get_num_threads()
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "device": f"{device.type}: {name}",
        "cpu_threads": torch.get_num_threads(),
        "numba_threads": numba_threads,
        "os_cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numba": _version("numba"),
        "scipy": _version("scipy"),
        "jax": _version("jax"),
        "triton": _version("triton"),
        "accelerated_scan": _version("accelerated_scan"),
        "ssmlib": sl.__version__,
        "git_commit": _git_commit(),
        "command": "python " + shlex.join(argv),
        "dtype": "complex64, time-invariant lam (N,)",
        "note": note,
    }


def _steady_allocator() -> str:
    """Make glibc keep freed memory (no trimming, no fresh mmap for big blocks).

    By default glibc returns a large freed block to the operating system, or maps a new
    one, depending on the sizes freed before; the next tensor of that size then takes a
    page fault per 4 KiB page when first written (about 8 ms for 16 MB here), on some
    calls of some contenders only, set by the order of the contenders. With both
    thresholds at 1 GiB every contender reuses warm memory after the warm-up: the
    table measures the scans, not the page faults. Returns what was done."""
    import ctypes
    import ctypes.util

    if platform.system() != "Linux":
        return "default (not Linux: --steady-allocator ignored)"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
        ok = libc.mallopt(m_trim_threshold, 1 << 30) and libc.mallopt(m_mmap_threshold, 1 << 30)
    except (OSError, AttributeError):
        ok = False
    return ("glibc mallopt M_TRIM_THRESHOLD = M_MMAP_THRESHOLD = 1 GiB (freed memory kept "
            "for reuse)" if ok else "default (mallopt unavailable)")


def main(argv: list[str] | None = None) -> list[dict]:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (cuda when available)")
    p.add_argument("--quick", action="store_true", help="one small shape, 3 samples (CI)")
    p.add_argument("--shapes", default=None, help="e.g. '1x16384x256,8x4096x1024'")
    p.add_argument("--backends", default=None, help="comma-separated subset of contenders")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed samples per contender (default 9; --quick 3)")
    p.add_argument("--no-backward", action="store_true", help="time forward passes only")
    p.add_argument("--no-scaling", action="store_true", help="skip the scaling-in-L table")
    p.add_argument("--out", default=None, help="folder to write <device>-<date>.md and .json")
    p.add_argument("--note", default="", help="free text stored in the provenance")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for torch and numba (default 0: leave as they are); "
                        "1 on a shared machine, where a busy core stalls every parallel region")
    p.add_argument("--steady-allocator", action="store_true",
                   help="CPU, Linux/glibc: keep freed memory for reuse (mallopt), so that a "
                        "contender's output does not page-fault anew on some calls depending on "
                        "what the contender before it freed; recorded in the provenance")
    p.add_argument("--max-sequential-length", type=int, default=4096,
                   help="skip the (slow, Python-loop) sequential backend above this L")
    p.add_argument("--block-l", type=int, default=None)
    p.add_argument("--block-n", type=int, default=None)
    p.add_argument("--num-warps", type=int, default=None)
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 9
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    if args.threads < 0:
        p.error("--threads must be >= 0")
    if args.threads:
        if sl.scan.numba_available():
            import numba

            numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
        torch.set_num_threads(args.threads)  # after numba's: its OpenMP call resets torch's

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
        backends = ["parallel", "chunked", "triton", "auto", "accelerated-scan"]
    else:
        backends = ["lfilter", "sequential", "parallel", "blelloch", "chunked", "compiled", "auto"]
    if "compiled" in backends and device.type == "cpu" and not sl.scan.numba_available():
        print("(numba is not installed: no 'compiled' backend and no numba loop)", flush=True)
        backends.remove("compiled")
    peers = (_numba_peer(), _jax_peer()) if device.type == "cpu" else (None, None)
    if device.type == "cpu" and peers[1] is None:
        print("(jax is not installed: no jax.lax.scan peer)", flush=True)

    allocator = _steady_allocator() if args.steady_allocator else "default"
    info = provenance(device, ["benchmarks/scan.py", *argv], args.note)
    info["allocator"] = allocator
    print("# ssmlib.scan benchmark\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print()
    print(HEADER, flush=True)
    rows, overheads = run(shapes, device, backends, args, peers)
    scale = [] if args.no_scaling else scaling(device, args, peers)
    for o in overheads:
        print(f"validation overhead at {tuple(o['shape'])}: {100 * o['overhead_fraction']:.1f}% "
              f"of the default call ({1e3 * o['with_check_s']:.3f} ms with the value check, "
              f"{1e3 * o['without_check_s']:.3f} ms without; medians); minima: "
              f"{100 * o['overhead_fraction_min']:.1f}% ({1e3 * o['with_check_min_s']:.3f} ms, "
              f"{1e3 * o['without_check_min_s']:.3f} ms)")
    if scale:
        print("\n| backend | L | ns per element |\n|---|---:|---:|")
        for s in scale:
            print(f"| {s['backend']} | {s['shape'][1]} | {s['ns_per_elem']:.2f} |")
    public = [{("pass" if k == "pass_" else k): v for k, v in r.items()} for r in rows]
    public_scale = [{("pass" if k == "pass_" else k): v for k, v in r.items()} for r in scale]

    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        stem = new_stem(out, device.type)  # never the name of an earlier run
        md = ["# ssmlib.scan benchmark", ""] + [f"- {k}: {v}" for k, v in info.items()] + [
            "", f"Medians and minima over {args.repeats} interleaved samples per contender, after "
            "a warm-up. Minimum traffic per complex64 element: forward 16 B, backward 24 B, "
            "copy 16 B. Fraction of clone: bandwidth / the same-size torch.clone's. vs numba: "
            "time / the serial numba loop's (forward or backward).", "", HEADER
        ] + [format_row(r) for r in rows]
        if overheads:
            md += ["", "| shape | default call (ms) | check_finite=False (ms) | validation overhead "
                   "| minima (ms) | overhead of the minima |",
                   "|---|---:|---:|---:|---:|---:|"] + [
                f"| {tuple(o['shape'])} | {1e3 * o['with_check_s']:.3f} | "
                f"{1e3 * o['without_check_s']:.3f} | {100 * o['overhead_fraction']:.1f}% | "
                f"{1e3 * o['with_check_min_s']:.3f}, {1e3 * o['without_check_min_s']:.3f} | "
                f"{100 * o['overhead_fraction_min']:.1f}% |"
                for o in overheads]
        if scale:
            md += ["", "Scaling in L (B = 1, N = 256, forward, medians):", "",
                   "| backend | L | ns per element |", "|---|---:|---:|"] + [
                f"| {s['backend']} | {s['shape'][1]} | {s['ns_per_elem']:.2f} |" for s in scale]
        write_text_atomic(out / f"{stem}.json", json.dumps(
            {"provenance": info, "rows": public, "validation_overhead": overheads,
             "scaling": public_scale}, indent=1, allow_nan=False))
        write_text_atomic(out / f"{stem}.md", "\n".join(md) + "\n")
        print(f"\nwrote {out / (stem + '.md')} and .json")
    return public


if __name__ == "__main__":
    main()
