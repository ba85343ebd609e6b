#!/usr/bin/env bash
# Continue (or start) a vocoder run on a GPU machine that has torch + numpy but no audio stack or PyYAML.
# Carry: an audio cache made here by `fmtts train-vocoder` (RUN/data: numpy files only), the recipe as
# JSON, and optionally the run's newest checkpoint to resume from:
#   python -c "import json; from fmtts.config import load_vocoder_recipe as l; \
#       print(json.dumps(l('cpu').to_dict()))" > gpu_carry/vocoder.json
# Usage: egs/demo/gpu_train_vocoder.sh AUDIO_CACHE RECIPE.json OUT_DIR MINUTES [CHECKPOINT] [DEVICE]
# The same recipe trains unchanged; on a GPU raise train.batch_size with --set (e.g. 32) if memory allows.
set -euo pipefail
CACHE=$1; RECIPE=$2; OUT=$3; MINUTES=${4:-8}; CKPT=${5:-}; DEVICE=${6:-cuda}
RUN=${RUN_DIR:-/tmp/fmtts_vocoder_run}
mkdir -p "$OUT" "$RUN/checkpoints"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
{ nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null || true; python -c "import torch; print('torch', torch.__version__)"; } | tee "$OUT/env.txt"
resume=()
if [ -n "$CKPT" ]; then cp "$CKPT" "$RUN/checkpoints/"; resume=(--resume); fi
status=0
python -m fmtts.cli train-vocoder --config "$RECIPE" --data "$CACHE" --out "$RUN" --device "$DEVICE" \
    --max-minutes "$MINUTES" --no-progress "${resume[@]}" ${EXTRA_SET:-} 2>&1 | tee "$OUT/train.log" || status=$?
last=$(ls "$RUN"/checkpoints/step_*.pt 2>/dev/null | tail -n 1 || true)
if [ -n "$last" ]; then
    cp "$last" "$OUT/"  # the full checkpoint (generator, discriminators, optimizers): resume here afterwards
    cp "$RUN/validation.jsonl" "$OUT/" 2>/dev/null || true
fi
exit $status
