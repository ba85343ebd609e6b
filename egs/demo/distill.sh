#!/usr/bin/env bash
# Few-step distillation of the default voice (the shipped joe.fmtts was made this way): its own 4-step
# trajectories on text it never trained on teach its decoder 1- and 2-step jumps. No recordings needed.
#   egs/demo/distill.sh WORK [extra fmtts distill options, e.g. --max-minutes 60 --resume]
# Resumable: run it again with --resume after an interruption. Needs fmtts[train].
set -euo pipefail
WORK=${1:?usage: egs/demo/distill.sh WORK [options]}
shift
TEACHER=${TEACHER:-joe}            # a voice name, .fmtts file or checkpoint
STEPS=${STEPS:-3000}
DEFAULT_STEPS=${DEFAULT_STEPS:-2}  # what synthesis uses unless told: chosen by measurement (BENCHMARKS.md)
mkdir -p "$WORK"
# Sentences the demo corpus never rendered (its prompts are taken in seeded order from the front) and that
# the benchmarks do not speak (the last 200 of that order).
python - "$WORK/sentences.txt" <<'PY'
import sys
from fmtts.corpus.build import PROMPTS_FILE, plan_clips, read_prompts

clips = plan_clips(read_prompts(PROMPTS_FILE), seed=1234)
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(c.text for c in clips[4000:-200]) + "\n")
PY
fmtts distill --voice "$TEACHER" --sentences "$WORK/sentences.txt" --out "$WORK/run" --max-steps "$STEPS" \
    --no-progress "$@"
CKPT=$(ls "$WORK"/run/checkpoints/step_*.pt | tail -1)
fmtts export "$CKPT" "$WORK/joe.fmtts" --default-steps "$DEFAULT_STEPS"
echo "voice: $WORK/joe.fmtts (fmtts synthesize --voice $WORK/joe.fmtts \"...\" out.wav)"
