#!/usr/bin/env bash
# LJSpeech recipe for fmtts, in stages (Kaldi/ESPnet style). See egs/ljspeech/README.md.
#
#   egs/ljspeech/run.sh --data /path/to/LJSpeech-1.1            # every stage, one device
#   egs/ljspeech/run.sh --stage 3 --stop-stage 3 --resume       # continue training after an interruption
#   egs/ljspeech/run.sh --stage 3 --ngpu 4                      # DDP over 4 GPUs (torchrun)
#
# Stages: 0 data (use --data, or download + verify + extract)   1 prepare (fmtts prepare)
#         2 check feature caches, print statistics              3 train
#         4 synthesize the test split                           5 evaluate (ASR WER/CER, MCD, RTF)
#
# Options:
#   --stage N / --stop-stage M   run stages N..M (default 0..5)
#   --data PATH                  an extracted LJSpeech-format folder (metadata.csv + wavs/); skips the download
#   --work DIR                   everything this recipe writes (default exp/ljspeech)
#   --config YAML|NAME           recipe (default recipes/ljspeech.yaml)
#   --ngpu N                     0: CPU; 1: one device (default; CUDA when available); N>1: torchrun DDP
#   --resume                     continue training from the newest checkpoint in WORK/train
#   --init-from CKPT             fine-tune: start from another checkpoint's weights
#   --max-steps N, --max-minutes M   passed to `fmtts train`
#   --set KEY=VALUE              config override (repeatable), passed to `fmtts prepare` and `fmtts train`
#   --checkpoint CKPT            checkpoint for stages 4-5 (default: newest in WORK/train/checkpoints)
#   --vocoder NAME|PATH          stages 4-5 (default ljspeech: the LJSpeech HiFi-GAN)
#   --synth-steps N              ODE steps for stages 4-5 (default 10)
#   --dry-run                    print the commands of stages 1-5 instead of running them
# Environment: LJSPEECH_URL (a mirror of the same archive), FMTTS_NO_DOWNLOAD=1 (never download),
#              PYTHON (interpreter, default python3).
set -euo pipefail

URL_DEFAULT="https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"
SHA256="be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

stage=0
stop_stage=5
data=""
work="exp/ljspeech"
config="$REPO/recipes/ljspeech.yaml"
ngpu=1
resume=0
init_from=""
checkpoint=""
vocoder="ljspeech"
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
        --data) need_value "$@"; data=$2; shift 2 ;;
        --work) need_value "$@"; work=$2; shift 2 ;;
        --config) need_value "$@"; config=$2; shift 2 ;;
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
prep="$work/data"
run_dir="$work/train"

run() {
    echo "+ $*" >&2
    if [ "$dry_run" -eq 0 ]; then "$@"; fi
}

in_stages() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

is_ljspeech_folder() { [ -f "$1/metadata.csv" ] && [ -d "$1/wavs" ]; }

# The data folder: --data, else what stage 0 recorded, else a finished download in WORK.
resolve_data() {
    if [ -n "$data" ]; then
        if [ -d "$data" ]; then (cd "$data" && pwd); else echo "$data"; fi
    elif [ -f "$work/data_dir.txt" ]; then
        cat "$work/data_dir.txt"
    elif [ -f "$work/LJSpeech-1.1/.complete" ]; then
        echo "$work/LJSpeech-1.1"
    fi
}

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

no_data_message() {
    cat >&2 <<EOF
error: LJSpeech-1.1 is not available ($1).
  Either pass an extracted copy:   $0 --data /path/to/LJSpeech-1.1
  or let stage 0 download it:      ${LJSPEECH_URL:-$URL_DEFAULT}
                                   (2.7 GB, sha256 $SHA256) into $work
  (any LJSpeech-format folder works with --data: metadata.csv + wavs/<id>.wav)
EOF
    exit 1
}

download() {  # download URL FILE: resumable, fails fast when the host cannot be reached
    if command -v curl >/dev/null 2>&1; then
        curl -fL -# --connect-timeout 20 --speed-limit 1024 --speed-time 60 --retry 2 -C - -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget --connect-timeout=20 --read-timeout=60 --tries=2 -c -O "$2" "$1"
    else
        echo "neither curl nor wget is installed" >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------- stage 0
if in_stages 0; then
    echo "== stage 0: data" >&2
    if [ -n "$data" ]; then
        is_ljspeech_folder "$data" || no_data_message "--data $data has no metadata.csv and wavs/"
        data="$(cd "$data" && pwd)"
    elif [ -f "$work/LJSpeech-1.1/.complete" ]; then
        data="$work/LJSpeech-1.1"
        echo "using the extracted download in $data" >&2
    else
        [ "${FMTTS_NO_DOWNLOAD:-0}" = 1 ] && no_data_message "no --data given and FMTTS_NO_DOWNLOAD=1"
        url=${LJSPEECH_URL:-$URL_DEFAULT}
        archive="$work/LJSpeech-1.1.tar.bz2"
        if [ ! -f "$archive.verified" ]; then
            echo "downloading $url -> $archive" >&2
            download "$url" "$archive" || no_data_message "no --data given and the download of $url failed"
            echo "verifying sha256 ..." >&2
            got=$(sha256sum "$archive" | cut -d' ' -f1)
            if [ "$got" != "$SHA256" ]; then
                rm -f "$archive"
                no_data_message "the downloaded archive has sha256 $got, expected $SHA256; it was removed"
            fi
            touch "$archive.verified"
        fi
        echo "extracting $archive ..." >&2
        tar -xjf "$archive" -C "$work"
        is_ljspeech_folder "$work/LJSpeech-1.1" || die "$archive did not contain LJSpeech-1.1/metadata.csv + wavs/"
        touch "$work/LJSpeech-1.1/.complete"
        rm -f "$archive" "$archive.verified"
        data="$work/LJSpeech-1.1"
    fi
    echo "$data" >"$work/data_dir.txt"
    echo "data: $data ($(wc -l <"$data/metadata.csv") lines in metadata.csv)" >&2
fi

# ---------------------------------------------------------------------------------------------- stage 1
if in_stages 1; then
    echo "== stage 1: prepare (normalise, phonemise, check clips, split, mels, statistics)" >&2
    data=$(resolve_data)
    [ -n "$data" ] || no_data_message "stage 0 has not run in $work and no --data was given"
    is_ljspeech_folder "$data" || no_data_message "$data has no metadata.csv and wavs/"
    run "${fmtts[@]}" prepare --data "$data" --out "$prep" --config "$config" ${sets[@]+"${sets[@]}"}
fi

# ---------------------------------------------------------------------------------------------- stages 2-5
. "$REPO/egs/common/stages_2-5.sh"

echo "done (stages $stage-$stop_stage, work dir $work)" >&2
