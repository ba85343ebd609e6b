#!/usr/bin/env bash
# Continue a vocoder run on a GPU machine that has torch + numpy but no audio stack, PyYAML or teacher
# weights, within the device tool's limits (64 MiB in with the working tree, files of at most 16 MB back).
# Here, first (see pack_vocoder_carry.py; keep gpu_carry/ git-ignored, carry it):
#   python egs/demo/pack_vocoder_carry.py pack --cache VOCDATA --checkpoint RUN/checkpoints/step_N.pt --out gpu_carry/voc
# There:
#   egs/demo/gpu_train_vocoder.sh gpu_carry/voc "$OUT" MINUTES [DEVICE]
# It unpacks the audio, trains from the carried warm start (generator + discriminators) with the carried
# recipe, then exports the new warm start, split into parts under 16 MB. Back here:
#   cd FILES_AT && cat warm.pt.part-* > warm.pt && sha256sum -c warm.pt.sha256
#   fmtts train-vocoder --config gpu_carry/voc/recipe.json ... --init-from warm.pt   (or ship it:
#   fmtts export-vocoder warm.pt voc.pt)
# On a GPU raise train.batch_size with EXTRA_SET="--set train.batch_size=32" if memory allows.
set -euo pipefail
PACKED=$1; OUT=$2; MINUTES=${3:-8}; DEVICE=${4:-cuda}
RUN=${RUN_DIR:-/tmp/fmtts_vocoder_run}
DATA=${DATA_DIR:-/tmp/fmtts_vocoder_data}
rm -rf "$RUN" "$DATA"  # a warm machine keeps /tmp between calls: never hand back an older call's run
mkdir -p "$OUT" "$RUN"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null || true; python -c "import torch; print('torch', torch.__version__)"; } | tee "$OUT/env.txt"
python egs/demo/pack_vocoder_carry.py unpack "$PACKED" "$DATA" | tee -a "$OUT/env.txt"
status=0
# shellcheck disable=SC2086
python -m fmtts.cli train-vocoder --config "$PACKED/recipe.json" --data "$DATA" --out "$RUN" --device "$DEVICE" \
    --init-from "$PACKED/warm.pt" --max-minutes "$MINUTES" --no-progress ${EXTRA_SET:-} 2>&1 | tee "$OUT/train.log" || status=$?
last=$(ls "$RUN"/checkpoints/step_*.pt 2>/dev/null | tail -n 1 || true)
if [ -n "$last" ]; then
    python -m fmtts.cli export-vocoder "$last" "$RUN/warm.pt" --with-discriminators || status=$((status ? status : 1))
    if [ -s "$RUN/warm.pt" ]; then
        split -b 15M "$RUN/warm.pt" "$OUT/warm.pt.part-"  # the device tool hands back files of at most 16 MB
        (cd "$RUN" && sha256sum warm.pt) > "$OUT/warm.pt.sha256"  # back here: cat parts, sha256sum -c
    fi
    cp "$RUN/validation.jsonl" "$OUT/" 2>/dev/null || true
fi
exit $status
