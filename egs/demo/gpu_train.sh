#!/usr/bin/env bash
# Train the default voice on a GPU machine that has torch + numpy but no audio stack.
# Needs a packed feature cache (fmtts pack) and a JSON config (no PyYAML needed there):
#   fmtts prepare --data CORPUS --out PREP --config recipes/joe_gpu.yaml
#   fmtts pack PREP gpu_carry/joe.fmpack
#   python -c "from fmtts.config import load_config; load_config('recipes/joe_gpu.yaml').save('gpu_carry/config.json')"
# Usage: egs/demo/gpu_train.sh gpu_carry/joe.fmpack gpu_carry/config.json OUT_DIR MINUTES [DEVICE]
set -euo pipefail
PACK=$1; CONFIG=$2; OUT=$3; MINUTES=${4:-7}; DEVICE=${5:-cuda}
RUN=${RUN_DIR:-/tmp/fmtts_gpu_run}
rm -rf "$RUN"  # a warm machine keeps /tmp between calls, and a new run refuses a folder that holds one
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
{ nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null || true; python -c "import torch; print('torch', torch.__version__)"; } | tee "$OUT/env.txt"
status=0
python -m fmtts.cli train --config "$CONFIG" --data "$PACK" --out "$RUN" --device "$DEVICE" \
    --max-minutes "$MINUTES" --no-progress 2>&1 | tee "$OUT/train.log" || status=$?
last=$(ls "$RUN"/checkpoints/step_*.pt 2>/dev/null | tail -n 1 || true)
if [ -n "$last" ]; then
    python -m fmtts.cli export "$last" "$OUT/voice.pt" --dtype "${EXPORT_DTYPE:-fp16}" 2>&1 | tee -a "$OUT/train.log"
    cp -r "$RUN/tensorboard" "$OUT/" 2>/dev/null || true
fi
exit $status
