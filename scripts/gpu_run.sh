#!/usr/bin/env bash
# One prepared GPU session for ssmlib (issues 13 and 16): CUDA tests of the Triton scan, the
# scan benchmark, LRU on full-length ListOps (resumable), a short Pathfinder-32 run, and the
# inference benchmark, each under its own time cap; a failing step is logged and the next one
# still runs. Results are written under $OUT (or --out DIR) as at most 8 files, none in a
# subfolder, so that the device tool brings every one of them back:
#
#   provenance.json        device, torch/triton/python versions, command, git commit, date, and
#                          every step's exit status, seconds and time cap (rewritten after each step)
#   logs.tar.gz            every step's log and the pytest junit xml (pytest_gpu.xml)
#   scan_bench.tar.gz      benchmarks/scan.py's <device>-<date>.md and .json   -> benchmarks/results/
#   listops_lru.tar.gz     listops_lru_gpu/ (metrics.json, state.pt, checkpoint.pt) -> book/data/lra/
#   pathfinder_lru.tar.gz  pathfinder_lru_gpu/ (the same files)                -> book/data/lra/
#   inference_gpu.json     ssmlib.inference.benchmark_inference on CUDA        -> book/data/lra/
#                          (inference_smoke.json in --smoke)
#   listops_transformer.tar.gz  only with --with-transformer
#
# With the device tool: ONE `run` call (about 9 minutes of the 15 a session has), e.g.
#   run(command="bash scripts/gpu_run.sh --commit <sha of HEAD>", timeout_s=560)
# (the device machine has no git: pass the commit; its python3 holds torch and triton, and the
# repository root is put on PYTHONPATH). The files come back under the tool's files_at folder:
#   tar xzf .../scan_bench.tar.gz -C benchmarks/results/
#   tar xzf .../listops_lru.tar.gz -C book/data/lra/   (then drop state.pt/checkpoint.pt before
#   committing unless the run is to be continued; they hold weights and optimizer state)
#   cp .../inference_gpu.json book/data/lra/
# To CONTINUE the ListOps run(s) in a second call, put the returned tarballs in a folder of the
# working tree that travels (e.g. gpu_prev/, untracked) and pass --resume-from gpu_prev: the runs
# continue from state.pt (same configuration, same data). Pathfinder is a fresh short run each call. ListOps is stopped by SIGINT
# at its time cap, which saves a resumable state (metrics.json then says "interrupted" and holds
# the validation history); pass --final to end the run instead at its time cap with --time-limit-s
# (the model of the best epoch is evaluated on the test split; such a run cannot be resumed).
# For a single call that must give a test accuracy, use --final.
#
# Options:
#   --smoke            every step on CPU at tiny sizes (the Triton tests in TRITON_INTERPRET=1,
#                      20 training steps at L <= 64), under ~3 minutes; results as above
#                      (SMOKE_N_TRAIN=20000 T_LISTOPS=40 makes the ListOps step long enough to be
#                      interrupted, to try --resume-from on CPU)
#   --out DIR          results folder (default: $OUT if set, else gpu_results)
#   --commit SHA       git commit for provenance.json (default: git rev-parse HEAD, or "unknown")
#   --resume-from DIR  folder holding listops_lru.tar.gz (listops_transformer.tar.gz) of an earlier call
#   --final            finish the ListOps run at its time cap (test accuracy; not resumable)
#   --with-transformer also train a Transformer of the same width on ListOps (time permitting)
#   --only LIST        comma-separated subset of steps: tests,bench,listops,pathfinder,inference
# Time caps in seconds (environment): T_TESTS=130 T_BENCH=110 T_LISTOPS=150 T_PATHFINDER=60
#   T_INFERENCE=60 T_TRANSFORMER=90 (sum 510 s without the Transformer; the first Triton call of
#   each kind compiles and autotunes its kernels, seconds each, cached on disk for later steps).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SMOKE=0
FINAL=0
WITH_TF=0
OUT_DIR=${OUT:-gpu_results}
COMMIT=""
RESUME_FROM=""
ONLY="tests,bench,listops,pathfinder,inference"
CMDLINE="scripts/gpu_run.sh $*"

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "gpu_run.sh: error: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --final) FINAL=1 ;;
    --with-transformer) WITH_TF=1 ;;
    --out) [[ $# -ge 2 && -n "$2" ]] || die "--out needs a folder"; OUT_DIR=$2; shift ;;
    --commit) [[ $# -ge 2 && -n "$2" ]] || die "--commit needs a value"; COMMIT=$2; shift ;;
    --resume-from) [[ $# -ge 2 && -d "$2" ]] || die "--resume-from needs an existing folder"
                   RESUME_FROM=$(cd "$2" && pwd); shift ;;
    --only) [[ $# -ge 2 && -n "$2" ]] || die "--only needs a comma-separated list"; ONLY=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
for s in ${ONLY//,/ }; do
  case "$s" in tests|bench|listops|pathfinder|inference) ;; *) die "--only: unknown step '$s'" ;; esac
done
for v in T_TESTS T_BENCH T_LISTOPS T_PATHFINDER T_INFERENCE T_TRANSFORMER; do
  val=${!v:-1}
  [[ "$val" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer of seconds, got '$val'"
done

if [[ -z "${PY:-}" ]]; then
  if [[ $SMOKE == 1 && -x .venv/bin/python ]]; then PY=.venv/bin/python
  elif command -v python3 >/dev/null; then PY=python3
  else PY=python; fi
fi
if [[ -z "$COMMIT" ]]; then
  COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
  if [[ "$COMMIT" != unknown && -n "$(git status --porcelain 2>/dev/null)" ]]; then COMMIT="$COMMIT (dirty)"; fi
fi

mkdir -p "$OUT_DIR" || die "cannot create $OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu_run.XXXXXX")
LOGS="$WORK/logs"
mkdir -p "$LOGS" "$WORK/lra" "$WORK/bench"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg
export SSMBOOK_SKIP_BOOK=1
STEPS_JSON="$WORK/steps.jsonl"
: > "$STEPS_JSON"

if [[ $SMOKE == 1 ]]; then
  DEVICE=cpu
  : "${T_TESTS:=120}" "${T_BENCH:=60}" "${T_LISTOPS:=60}" "${T_PATHFINDER:=60}" "${T_INFERENCE:=60}" "${T_TRANSFORMER:=60}"
else
  DEVICE=cuda
  : "${T_TESTS:=130}" "${T_BENCH:=110}" "${T_LISTOPS:=150}" "${T_PATHFINDER:=60}" "${T_INFERENCE:=60}" "${T_TRANSFORMER:=90}"
fi

wants() { [[ ",$ONLY," == *",$1,"* ]]; }

provenance() {  # rewritten after every step, so a cut-off session still has it
  "$PY" - "$OUT_DIR/provenance.json" "$STEPS_JSON" "$CMDLINE" "$COMMIT" "$SMOKE" "$DEVICE" <<'PY' \
    >> "$LOGS/provenance.log" 2>&1 || echo "provenance.json could not be written (see logs)" >&2
import json, platform, sys, time
path, steps_path, cmd, commit, smoke, device = sys.argv[1:7]
info = {"command": cmd, "git_commit": commit, "smoke": smoke == "1", "device_requested": device,
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(), "host": platform.node()}
try:
    import torch
    info["torch"] = torch.__version__
    info["cuda_available"] = torch.cuda.is_available()
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        info["device"] = torch.cuda.get_device_name(0)
        info["device_memory_gib"] = round(p.total_memory / 2**30, 1)
        info["multiprocessors"] = p.multi_processor_count
        info["cuda"] = torch.version.cuda
    else:
        info["device"] = "cpu: " + (platform.processor() or platform.machine())
except Exception as exc:  # still write the file
    info["torch"] = f"not importable: {exc}"
try:
    import triton
    info["triton"] = triton.__version__
except Exception as exc:
    info["triton"] = f"not importable: {exc}"
info["steps"] = [json.loads(line) for line in open(steps_path) if line.strip()]
json.dump(info, open(path, "w"), indent=2)
PY
}

# run_step NAME CAP_SECONDS CMD...: run under `timeout`, log to $LOGS/NAME.log, record the status
run_step() {
  local name=$1 cap=$2; shift 2
  local t0 rc
  t0=$(date +%s)
  echo "== $(date -u +%H:%M:%S) $name (cap ${cap}s): $*" | tee -a "$LOGS/gpu_run.log"
  timeout --kill-after=20 "$cap" "$@" > "$LOGS/$name.log" 2>&1
  rc=$?
  local secs=$(( $(date +%s) - t0 ))
  local timed_out=false
  [[ $rc == 124 || $rc == 137 ]] && timed_out=true
  echo "   $name: exit $rc after ${secs}s (timed out: $timed_out)" | tee -a "$LOGS/gpu_run.log"
  tail -n 5 "$LOGS/$name.log" | sed 's/^/   | /' | tee -a "$LOGS/gpu_run.log"
  printf '{"step": "%s", "exit": %d, "seconds": %d, "cap_s": %d, "timed_out": %s}\n' \
    "$name" "$rc" "$secs" "$cap" "$timed_out" >> "$STEPS_JSON"
  return 0
}

pack() {  # pack TARBALL DIR-UNDER-WORK...: small results as one file in $OUT
  local tarball=$1; shift
  local base=$1
  ( cd "$(dirname "$base")" && tar czf "$OUT_DIR/$tarball" "$(basename "$base")" ) 2>>"$LOGS/gpu_run.log" \
    || echo "   could not pack $tarball" | tee -a "$LOGS/gpu_run.log"
}

finish_step() {
  cp -f "$STEPS_JSON" "$LOGS/steps.jsonl" 2>/dev/null
  ( cd "$WORK" && tar czf "$OUT_DIR/logs.tar.gz" logs ) 2>/dev/null
  provenance
}

provenance

# (0) ListOps data, generated on the CPU cores in the background while the GPU runs steps 1-2
# (one process generates 23000 full-length samples in minutes; 12 processes in seconds).
# Same seed, same files on every call, at a fixed path, so that a later call resumes the run.
DATA_DIR=${GPU_RUN_DATA:-${TMPDIR:-/tmp}/ssmlib_gpu_run_data}/listops-1000
if [[ $SMOKE == 1 ]]; then
  LO_SIZES="${SMOKE_N_TRAIN:-160} 32 32"; LO_WINDOW="32 64"
else
  LO_SIZES="${N_TRAIN:-20000} 1000 2000"; LO_WINDOW="500 2000"
fi
DATA_PID=""
if wants listops; then
  "$PY" - "$DATA_DIR" $LO_SIZES $LO_WINDOW > "$LOGS/data.log" 2>&1 <<'PY' &
import json, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from ssmlib.data.listops import generate_listops, write_listops_tsv

root = Path(sys.argv[1])
n_train, n_val, n_test, lo, hi = map(int, sys.argv[2:7])
sizes = {"train": n_train, "val": n_val, "test": n_test}
done = root / "data_provenance.json"
old = json.loads(done.read_text()) if done.is_file() else {}
if old.get("sizes") == sizes and old.get("length_window") == [lo, hi]:
    print("ListOps data already there:", root); sys.exit(0)
root.mkdir(parents=True, exist_ok=True)
t0 = time.time()
shard = 1000
jobs = [(split, i, min(shard, n - i)) for split, n in sizes.items() for i in range(0, n, shard)]
def make(job):
    split, start, n = job
    seed = [20261130, ("train", "val", "test").index(split), start]  # fixed: same data every call
    return generate_listops(n, min_length=lo, max_length=hi, max_depth=10, seed=__import__("numpy").random.default_rng(seed))
with ProcessPoolExecutor(max_workers=max(1, min(12, (os.cpu_count() or 2) - 2))) as pool:
    parts = list(pool.map(make, jobs))
out, seen = {s: [] for s in sizes}, set()
for (split, _, _), part in zip(jobs, parts):
    for src, label in part:
        if src not in seen:  # distinct across shards and splits (train first)
            seen.add(src)
            out[split].append((src, label))
for split, samples in out.items():
    write_listops_tsv(root / f"basic_{split}.tsv", samples)
info = {"sizes": sizes, "kept": {k: len(v) for k, v in out.items()}, "length_window": [lo, hi],
        "generator": "ssmlib.data.listops.generate_listops (LRA rules: max depth 10, max args 10, "
                     "operator probability 0.25), shards of 1000 with seeds [20261130, split, start]",
        "written_by": "scripts/gpu_run.sh", "seconds": round(time.time() - t0, 1)}
done.write_text(json.dumps(info, indent=2))
print(json.dumps(info))
PY
  DATA_PID=$!
fi

# (1) CUDA tests of the scan (in --smoke: the Triton kernels in the interpreter, multi-chunk forward)
if wants tests; then
  if [[ $SMOKE == 1 ]]; then
    TRITON_INTERPRET=1 run_step tests "$T_TESTS" "$PY" -m pytest tests/test_scan_triton.py -q \
      -p no:cacheprovider -k "interpreted and forward_multichunk" --junitxml="$LOGS/pytest_gpu.xml"
  else
    run_step tests "$T_TESTS" "$PY" -m pytest tests/test_scan_triton.py -m gpu -q \
      -p no:cacheprovider -rA --junitxml="$LOGS/pytest_gpu.xml"
  fi
  finish_step
fi

# (2) the scan benchmark (benchmarks/scan.py, owned by the CPU-backend work)
if wants bench; then
  if [[ $SMOKE == 1 ]]; then
    run_step bench "$T_BENCH" "$PY" benchmarks/scan.py --device cpu --quick --out "$WORK/bench/scan"
  else
    run_step bench "$T_BENCH" "$PY" benchmarks/scan.py --device cuda --out "$WORK/bench/scan"
  fi
  [[ -d "$WORK/bench/scan" ]] && pack scan_bench.tar.gz "$WORK/bench/scan"
  finish_step
fi

# (3) LRU on ListOps (LRA rules, 500-2000 tokens; the S5/LRU ListOps preset), resumable
train_args() {  # train_args TASK MODEL: the ssmlib.train arguments of one run
  local task=$1 model=$2
  if [[ $SMOKE == 1 ]]; then
    local data="--n-train 160 --n-val 32 --n-test 32 --resolution 8"
    [[ $task == listops ]] && data="--data-dir $DATA_DIR"
    echo "--task $task --model $model --device cpu --epochs 1 $data --batch-size 8 --d-model 16"\
         "--d-state 8 --n-layers 1 --num-threads 1"
  elif [[ $task == listops ]]; then
    echo "--task listops --model $model --preset --device cuda --epochs ${EPOCHS:-3}"\
         "--data-dir $DATA_DIR"
  else
    echo "--task pathfinder --model $model --preset --device cuda --epochs ${PF_EPOCHS:-1}"\
         "--n-train ${PF_N_TRAIN:-8000} --n-val 500 --n-test 1000"
  fi
}

train_run() {  # train_run STEPNAME DIRNAME TARBALL CAP TASK MODEL [finish]
  local step=$1 dir=$2 tarball=$3 cap=$4 task=$5 model=$6 finish=${7:-0}
  local run_dir="$WORK/lra/$dir" mode=(--overwrite)
  if [[ $task == listops && -n "$RESUME_FROM" && -f "$RESUME_FROM/$tarball" ]]; then
    tar xzf "$RESUME_FROM/$tarball" -C "$WORK/lra" 2>>"$LOGS/gpu_run.log" \
      && [[ -f "$run_dir/state.pt" ]] && mode=(--resume)
  fi
  # shellcheck disable=SC2046
  if [[ $finish == 1 ]]; then
    # ends with the test evaluation at the time cap (not resumable)
    run_step "$step" "$cap" "$PY" -m ssmlib.train $(train_args "$task" "$model") --no-progress \
      --time-limit-s $(( cap * 4 / 5 )) --out-dir "$run_dir" "${mode[@]}"
  else
    # SIGINT at the cap: the state is saved and a later call resumes it (exit 130 expected)
    run_step "$step" "$cap" timeout --preserve-status -s INT "$(( cap - 15 ))" "$PY" -m ssmlib.train \
      $(train_args "$task" "$model") --no-progress --out-dir "$run_dir" "${mode[@]}"
  fi
  if [[ -d "$run_dir" ]]; then
    [[ $task == listops && -f "$DATA_DIR/data_provenance.json" ]] \
      && cp -f "$DATA_DIR/data_provenance.json" "$run_dir/"  # metrics.json says "release files in ..."
    local size
    size=$(du -sm "$run_dir" | cut -f1)
    if (( size > 40 )); then  # a file back may hold 16 MiB: keep the metrics only
      echo "   $dir is ${size} MiB: state.pt/checkpoint.pt left out" | tee -a "$LOGS/gpu_run.log"
      rm -f "$run_dir/state.pt" "$run_dir/checkpoint.pt"
    fi
    pack "$tarball" "$run_dir"
    if [[ -f "$OUT_DIR/$tarball" ]] && (( $(stat -c %s "$OUT_DIR/$tarball") > 15 * 1024 * 1024 )); then
      echo "   $tarball over 15 MiB: metrics only" | tee -a "$LOGS/gpu_run.log"
      rm -f "$run_dir/state.pt" "$run_dir/checkpoint.pt"
      pack "$tarball" "$run_dir"
    fi
  fi
  finish_step
}

if wants listops && [[ -n "$DATA_PID" ]]; then
  wait "$DATA_PID"; rc=$?
  echo "== ListOps data: exit $rc ($(tail -n 1 "$LOGS/data.log"))" | tee -a "$LOGS/gpu_run.log"
  printf '{"step": "data", "exit": %d}\n' "$rc" >> "$STEPS_JSON"
fi
wants listops && train_run listops listops_lru_gpu listops_lru.tar.gz "$T_LISTOPS" listops lru "$FINAL"
if [[ $WITH_TF == 1 ]] && wants listops; then
  train_run listops_transformer listops_transformer_gpu listops_transformer.tar.gz "$T_TRANSFORMER" \
    listops transformer "$FINAL"
fi

# (4) a short Pathfinder-32 run with the LRU Pathfinder preset (ends with a test evaluation)
wants pathfinder && train_run pathfinder pathfinder_lru_gpu pathfinder_lru.tar.gz "$T_PATHFINDER" \
  pathfinder lru 1

# (5) inference: LRU step vs GRU vs attention with a KV cache, time and memory
if wants inference; then
  if [[ $SMOKE == 1 ]]; then
    INF_ARGS='{"lengths": [32, 64], "d_model": 16, "d_state": 8, "n_layers": 1, "n_heads": 2, "batch": 2, "repeats": 3, "device": "cpu"}'
  else
    INF_ARGS='{"lengths": [256, 1024, 4096, 16384], "d_model": 128, "d_state": 64, "n_layers": 4, "n_heads": 4, "batch": 8, "repeats": 20, "device": "cuda"}'
  fi
  INF_NAME=inference_gpu.json
  [[ $SMOKE == 1 ]] && INF_NAME=inference_smoke.json  # not to be mistaken for a GPU result
  run_step inference "$T_INFERENCE" "$PY" - "$OUT_DIR/$INF_NAME" "$INF_ARGS" "$CMDLINE" "$COMMIT" <<'PY'
import json, platform, sys, time
import torch
from ssmlib.inference import benchmark_inference
path, args, cmd, commit = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
lengths = args.pop("lengths")
rows = benchmark_inference(lengths, **args)
dev = args["device"]
out = {"rows": rows, "args": {"lengths": lengths, **args},
       "device": torch.cuda.get_device_name(0) if dev == "cuda" else "cpu: " + platform.machine(),
       "torch": torch.__version__, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "git_commit": commit,
       "command": f"{cmd} (ssmlib.inference.benchmark_inference({lengths}, **{args}))"}
json.dump(out, open(path, "w"), indent=2)
print(json.dumps(rows[-1]))
PY
  finish_step
fi

finish_step
rm -rf "$WORK"
echo "results in $OUT_DIR:"; ls -l "$OUT_DIR"
