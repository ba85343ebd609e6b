#!/usr/bin/env bash
# Two speakers in one model: joe (piper, male) and heart (hibari, female). See egs/joe_heart/README.md.
#
#   egs/joe_heart/run.sh                                      # every stage (renders both corpora)
#   egs/joe_heart/run.sh --heart ~/corpus/heart --stage 1     # an existing heart corpus; from stage 1
#   egs/joe_heart/run.sh --stage 2 --stop-stage 2 --resume    # continue training after an interruption
#
# Stages: 0 corpora (fmtts corpus --source joe / heart)   1 prepare (both corpora, merged: joe = speaker 0)
#         2 train (recipes/joe_heart.yaml, --init-from joe)   3 export WORK/joe_heart.fmtts, one sample per speaker
#
# Options:
#   --stage N / --stop-stage M   run stages N..M (default 0..3)
#   --work DIR                   everything this recipe writes (default exp/joe_heart)
#   --joe DIR / --heart DIR      existing corpora (LJSpeech format) instead of WORK/joe and WORK/heart
#   --hours H                    stage 0: hours of each corpus (default 3)
#   --init-from VOICE|CKPT       stage 2: the voice both speakers start from (default joe; "none": from scratch)
#   --resume                     stage 2: continue from the newest checkpoint in WORK/train
#   --max-steps N, --max-minutes M   passed to `fmtts train`
#   --set KEY=VALUE              config override (repeatable), passed to `fmtts prepare` and `fmtts train`
#   --dry-run                    print the commands instead of running them
# Environment: PYTHON (interpreter, default python3).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stage=0
stop_stage=3
work="exp/joe_heart"
config="$REPO/recipes/joe_heart.yaml"
joe=""
heart=""
hours=3
init_from=joe
resume=0
dry_run=0
sets=()
train_extra=()

die() { echo "error: $*" >&2; exit 2; }
need_value() { [ $# -ge 2 ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --stage) need_value "$@"; stage=$2; shift 2 ;;
        --stop-stage) need_value "$@"; stop_stage=$2; shift 2 ;;
        --work) need_value "$@"; work=$2; shift 2 ;;
        --joe) need_value "$@"; joe=$2; shift 2 ;;
        --heart) need_value "$@"; heart=$2; shift 2 ;;
        --hours) need_value "$@"; hours=$2; shift 2 ;;
        --init-from) need_value "$@"; init_from=$2; shift 2 ;;
        --resume) resume=1; shift ;;
        --max-steps | --max-minutes) need_value "$@"; train_extra+=("$1" "$2"); shift 2 ;;
        --set) need_value "$@"; sets+=(--set "$2"); shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[[ "$stage" =~ ^[0-9]+$ && "$stop_stage" =~ ^[0-9]+$ ]] || die "--stage/--stop-stage take stage numbers 0-3"

PY=${PYTHON:-python3}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
fmtts=("$PY" -m fmtts.cli)
mkdir -p "$work"
work="$(cd "$work" && pwd)"
joe=${joe:-$work/joe}
heart=${heart:-$work/heart}
prep="$work/data"
run_dir="$work/train"
voice="$work/joe_heart.fmtts"

run() {
    echo "+ $*" >&2
    if [ "$dry_run" -eq 0 ]; then "$@"; fi
}

in_stages() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

if in_stages 0; then
    echo "== stage 0: render the corpora (resumable; a corpus given with --joe/--heart is kept as is)" >&2
    for name in joe heart; do
        folder=$joe
        [ "$name" = heart ] && folder=$heart
        if [ "$folder" = "$work/$name" ]; then
            run "${fmtts[@]}" corpus --source "$name" --out "$folder" --hours "$hours"
        fi
    done
fi

if in_stages 1; then
    echo "== stage 1: prepare both corpora as one two-speaker dataset ($prep/corpus: joe = speaker 0)" >&2
    run "${fmtts[@]}" prepare --config "$config" --data "joe=$joe" --data "heart=$heart" --out "$prep" \
        ${sets[@]+"${sets[@]}"}
fi

if in_stages 2; then
    echo "== stage 2: train (both speakers start as $init_from)" >&2
    start=()
    if [ "$resume" -eq 1 ]; then start=(--resume); elif [ "$init_from" != none ]; then start=(--init-from "$init_from"); fi
    run "${fmtts[@]}" train --config "$config" --data "$prep" --out "$run_dir" ${start[@]+"${start[@]}"} \
        ${train_extra[@]+"${train_extra[@]}"} ${sets[@]+"${sets[@]}"} --no-progress
fi

if in_stages 3; then
    echo "== stage 3: export $voice and speak one sentence per speaker" >&2
    last=$(ls "$run_dir"/checkpoints/step_*.pt 2>/dev/null | sort | tail -n 1 || true)
    if [ -z "$last" ]; then
        [ "$dry_run" -eq 1 ] || die "no checkpoint in $run_dir/checkpoints: run stage 2 first"
        last="$run_dir/checkpoints/step_NNNNNNNN.pt"
    fi
    run "${fmtts[@]}" export "$last" "$voice"
    for speaker in joe heart; do
        run "${fmtts[@]}" synthesize "Two voices, one model." "$work/sample_$speaker.wav" --voice "$voice" \
            --speaker "$speaker" --seed 1
    done
fi

echo "done (stages $stage-$stop_stage, work dir $work)" >&2
