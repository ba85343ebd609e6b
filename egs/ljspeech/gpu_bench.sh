#!/usr/bin/env bash
# Measure the LJSpeech recipe on a GPU machine that has torch + numpy but no audio stack: training
# steps/s and peak memory of the LJSpeech-size model (recipes/ljspeech.yaml: batch 32, bf16), and GPU
# synthesis RTF at 1, 2 and 4 ODE steps. Writes OUT/gpu_bench.json, OUT/env.txt and OUT/bench.log.
#
# First, where fmtts is fully installed (see egs/ljspeech/gpu_bench.py for details):
#   python egs/ljspeech/gpu_bench.py carry --out gpu_carry/lj --prepared exp/ljspeech/data --clips 1000
#   (or without --prepared: synthetic clips of LJSpeech's lengths, made on the GPU machine)
# Then, on the GPU machine (gpu_carry/ is git-ignored: carry it there):
#   egs/ljspeech/gpu_bench.sh gpu_carry/lj OUT [TIMED_STEPS] [DEVICE]
# It takes about 2-4 minutes on one current GPU (300 timed steps at the estimated 5-10 steps/s, model
# set-up, 20 sentences synthesized 3 + 1 times).
set -euo pipefail
CARRY=$1; OUT=$2; STEPS=${3:-300}; DEVICE=${4:-cuda}
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ -f "$CARRY/config.json" ] || { echo "error: $CARRY/config.json not found: run gpu_bench.py carry first" >&2; exit 1; }
mkdir -p "$OUT"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python}
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
    "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'gpus', torch.cuda.device_count())"
} | tee "$OUT/env.txt"
"$PY" "$REPO/egs/ljspeech/gpu_bench.py" run --carry "$CARRY" --out "$OUT" --steps "$STEPS" --device "$DEVICE" \
    2>&1 | tee "$OUT/bench.log"
