#!/usr/bin/env bash
# Few-step distillation of the default voice (the shipped joe.fmtts was made this way): its own 4-step
# trajectories on text it never trained on teach its decoder 1- and 2-step jumps. No recordings needed.
#   TEACHER=joe_teacher.pt egs/demo/distill.sh WORK [extra fmtts distill options, e.g. --max-minutes 60 --resume]
# Resumable: run it again with --resume after an interruption. Needs fmtts[train].
# The teacher is the voice before distillation, which no longer ships: it is in the repository's history,
#   git show 24405cb^:fmtts/voices/joe.pt > joe_teacher.pt
# The shipped voice: 943 steps of this script (STEPS=3000, stopped), then a second run from that student
# (extra options --init-from STUDENT.fmtts, STEPS=1500): see BENCHMARKS.md, "Few-step sampling".
set -euo pipefail
WORK=${1:?usage: TEACHER=VOICE egs/demo/distill.sh WORK [options]}
shift
TEACHER=${TEACHER:?set TEACHER to the undistilled voice (see the comment at the top)}
STEPS=${STEPS:-3000}
DEFAULT_STEPS=${DEFAULT_STEPS:-2}  # what synthesis uses unless told: chosen by measurement (BENCHMARKS.md)
# DTYPE: how the voice file stores its weights (int8, as shipped; fp16; fp32)
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
fmtts export "$CKPT" "$WORK/joe.fmtts" --default-steps "$DEFAULT_STEPS" --dtype "${DTYPE:-int8}" \
    --vocoder fmtts-joe
echo "voice: $WORK/joe.fmtts (fmtts synthesize --voice $WORK/joe.fmtts \"...\" out.wav)"
