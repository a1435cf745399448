"""Benchmark one step of recurrent inference (chapter 11): LRU vs GRU vs attention.

For a batch of ``B`` sequences, the wall time of producing the features of one
new token, per model, all measured in the same process and interleaved:

* ``LRUClassifier.step`` (``d_model`` H, ``d_state`` N, ``n_layers`` blocks),
  under ``torch.no_grad`` (inference) and with autograd on;
* an ``nn.GRU`` model (:class:`ssmlib.inference.GRUBaseline`: embedding -> GRU
  with ``n_layers`` layers -> features) whose hidden width is chosen so that its
  parameter count matches the LRU classifier's (without its decoder) as closely
  as possible (:func:`ssmlib.inference.matched_gru`); one step is
  ``gru(x_t[:, None], h)``;
* ``TransformerClassifier.step`` of the same width and depth after a context of
  ``L`` tokens, with the preallocated key/value cache (written in place,
  :class:`~ssmlib.transformer.KVCache`) and with the legacy cache grown by
  ``torch.cat`` (a copy of the whole cache per token).

Each contender is warmed up, then timed in ``--rounds`` interleaved rounds of
``--inner`` calls; the table reports the minimum and the median per-call time
over rounds and the ratio of medians to the LRU step (no_grad), all from the
same run. Use one thread (default ``--threads 1``) on a shared machine.

Usage::

    python benchmarks/step.py                    # B=8, H=N=64, 2 layers, L=1024
    python benchmarks/step.py --length 4096 --batch 1
    python benchmarks/step.py --out benchmarks/results   # also step-cpu-<date>.json
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

import torch
from torch import nn

import ssmlib  # noqa: F401  (imports torch-side modules lazily)
from ssmlib.inference import matched_gru
from ssmlib.lru import LRUClassifier
from ssmlib.transformer import TransformerClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import new_stem, write_text_atomic  # noqa: E402  (benchmarks/_results.py)


def _n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def run(fns: dict, rounds: int, inner: int) -> dict:
    for fn in fns.values():  # warm-up
        for _ in range(max(5, inner // 4)):
            fn()
    samples = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            t = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[k].append((time.perf_counter() - t) / inner)
    return samples


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--d-state", type=int, default=64)
    ap.add_argument("--n-layers", type=int, default=2)
    ap.add_argument("--n-heads", type=int, default=4)
    ap.add_argument("--length", type=int, default=1024, help="attention context L")
    ap.add_argument("--vocab", type=int, default=18)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--inner", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="folder to write step-<device>-<date>.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    B, H, N, nl, L = args.batch, args.d_model, args.d_state, args.n_layers, args.length
    lru = LRUClassifier(2, H, N, nl, vocab_size=args.vocab).eval()
    gru = matched_gru(_n_params(lru) - _n_params(lru.decoder), args.vocab, nl).eval()
    tf = TransformerClassifier(2, H, nl, args.n_heads, vocab_size=args.vocab, max_len=L + 1).eval()
    x_t = torch.randint(1, args.vocab, (B,))
    states = [torch.randn(B, N, dtype=torch.complex64) for _ in range(nl)]
    h0 = gru.initial_state(B)
    hd = H // args.n_heads
    cat_caches = [(torch.randn(B, args.n_heads, L, hd), torch.randn(B, args.n_heads, L, hd))
                  for _ in range(nl)]
    kv = tf.new_cache(B, capacity=L + 1) if hasattr(tf, "new_cache") else None  # older ssmlib: none
    if kv is not None:
        with torch.no_grad():
            for i in range(nl):
                kv.keys[i][:, :, :L] = cat_caches[i][0]
                kv.values[i][:, :, :L] = cat_caches[i][1]
        kv.truncate(L)

    def lru_nograd():
        with torch.no_grad():
            lru.step(x_t, states)

    def lru_grad():
        lru.step(x_t, states)

    def gru_nograd():
        with torch.no_grad():
            gru.step(x_t, h0)

    def tf_prealloc():
        with torch.no_grad():
            kv.truncate(L)
            tf.step(x_t, kv, position=L)

    def tf_cat():
        with torch.no_grad():
            tf.step(x_t, cat_caches, position=L)

    fns = {"LRU step (no_grad)": lru_nograd, "LRU step (autograd on)": lru_grad,
           "GRU step (no_grad)": gru_nograd,
           f"attention step, preallocated cache, L={L}": tf_prealloc,
           f"attention step, torch.cat cache, L={L}": tf_cat}
    if kv is None:
        del fns[f"attention step, preallocated cache, L={L}"]
    samples = run(fns, args.rounds, args.inner)
    ref = statistics.median(samples["LRU step (no_grad)"])
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, B={B}, H={H}, N={N}, "
          f"layers={nl}, heads={args.n_heads}; parameters: LRU {_n_params(lru)}, "
          f"GRU {_n_params(gru)} (hidden {gru.gru.hidden_size}), Transformer {_n_params(tf)}")
    print(f"{'contender':48s} {'min us':>9s} {'median us':>10s} {'/ LRU':>7s}")
    for k, v in samples.items():
        med = statistics.median(v)
        print(f"{k:48s} {min(v) * 1e6:9.1f} {med * 1e6:10.1f} {med / ref:7.2f}")
    gru_med = statistics.median(samples["GRU step (no_grad)"])
    gru_min = min(samples["GRU step (no_grad)"])
    lru_min = min(samples["LRU step (no_grad)"])
    print(f"LRU step / GRU step: medians {ref / gru_med:.2f}, minima {lru_min / gru_min:.2f}")
    if kv is not None:
        pre = statistics.median(samples[f"attention step, preallocated cache, L={L}"])
        cat = statistics.median(samples[f"attention step, torch.cat cache, L={L}"])
        print(f"attention step speed-up of the preallocated cache over torch.cat: {cat / pre:.2f}x")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        now = _dt.datetime.now(_dt.timezone.utc)
        info = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "torch": torch.__version__,
                "python": platform.python_version(), "threads": torch.get_num_threads(),
                "os_cpu_count": os.cpu_count(),
                "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
                "command": "python benchmarks/step.py " + " ".join(
                    sys.argv[1:] if argv is None else argv),
                "batch": B, "d_model": H, "d_state": N, "n_layers": nl, "length": L,
                "params": {"lru": _n_params(lru), "gru": _n_params(gru), "transformer": _n_params(tf)},
                "gru_hidden": gru.gru.hidden_size, "rounds": args.rounds, "inner": args.inner}
        rows = [{"contender": k, "min_s": min(v), "median_s": statistics.median(v),
                 "max_s": max(v), "samples_s": v} for k, v in samples.items()]
        path = out / f"{new_stem(out, 'step-cpu', ('.json',), now)}.json"  # never an earlier run's
        write_text_atomic(path, json.dumps({"provenance": info, "rows": rows}, indent=1,
                                           allow_nan=False))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
