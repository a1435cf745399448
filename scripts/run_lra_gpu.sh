#!/usr/bin/env bash
# Longer LRU runs on a GPU for chapter 11; results land in book/data/lra/ with provenance
# (metrics.json holds the full config, device name, versions, timings and the command).
#
# Usage (from the repository root, on a CUDA machine with ssmlib installed):
#   bash scripts/run_lra_gpu.sh                # generated ListOps (LRA rules, 500-2000 tokens)
#   LRA_DIR=/path/to/lra_release bash scripts/run_lra_gpu.sh   # official release files
#   EPOCHS=40 bash scripts/run_lra_gpu.sh      # the full S5/LRU schedule (hours)
#
# For one prepared device session (CUDA tests, scan benchmark, ListOps resumable across calls,
# Pathfinder-32, inference; each step capped; results packed for the device tool) use
# scripts/gpu_run.sh instead; this script is the plain longer run.
#
# Defaults fit a 10-minute device slot: the ListOps preset (H=128, N=16, 8 layers, batch 50;
# S5's run_lra_listops.sh) on 20k generated samples for a few epochs, capped by TIME_LIMIT.
set -euo pipefail
OUT=${OUT:-book/data/lra}
EPOCHS=${EPOCHS:-3}
N_TRAIN=${N_TRAIN:-20000}
TIME_LIMIT=${TIME_LIMIT:-420}
PY=${PY:-python}
mkdir -p "$OUT"

DATA_ARGS=(--n-train "$N_TRAIN" --n-val 1000 --n-test 2000)
if [[ -n "${LRA_DIR:-}" ]]; then
  DATA_ARGS=(--data-dir "$LRA_DIR/listops-1000")
fi

"$PY" -m ssmlib.train --task listops --preset --device cuda --epochs "$EPOCHS" \
  "${DATA_ARGS[@]}" --time-limit-s "$TIME_LIMIT" --no-progress \
  --out-dir "$OUT/listops_lru_gpu" --overwrite  # a rerun replaces the earlier result on purpose
# keep the repository small: metrics only (state.pt/checkpoint.pt hold weights and optimizer state)
rm -f "$OUT/listops_lru_gpu/checkpoint.pt" "$OUT/listops_lru_gpu/state.pt"

# Inference cost, LRU step vs attention over the context, on the GPU.
"$PY" - "$OUT" <<'PY'
import json, sys, time, torch
from ssmlib.inference import benchmark_inference
rows = benchmark_inference([256, 1024, 4096, 16384], d_model=128, d_state=64, n_layers=4,
                           n_heads=4, batch=8, repeats=20, device="cuda")
out = {"rows": rows, "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
       "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "command": "scripts/run_lra_gpu.sh (benchmark_inference, d_model 128, 4 layers, batch 8)"}
json.dump(out, open(f"{sys.argv[1]}/inference_gpu.json", "w"), indent=2)
print(json.dumps(rows[-1]))
PY
