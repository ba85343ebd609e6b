#!/usr/bin/env bash
# LJSpeech recipe for fmtts, in stages (Kaldi/ESPnet style). See egs/ljspeech/README.md.
#
#   egs/ljspeech/run.sh --data /path/to/LJSpeech-1.1            # every stage, one device
#   egs/ljspeech/run.sh --stage 3 --stop-stage 3 --resume       # continue training after an interruption
#   egs/ljspeech/run.sh --stage 3 --ngpu 4                      # DDP over 4 GPUs (torchrun), 1/4 the steps
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
#   --split auto|standard|random stage 1: standard = the LJSpeech split of Tacotron 2 / VITS / Matcha-TTS
#                                (egs/ljspeech/filelists: 100 val + 500 test clips, every other clip
#                                trains); random = the recipe's seeded random split; auto (default):
#                                standard when the data has those 600 clips, else DATA/filelists when it
#                                has split lists, else random
#   --filelists DIR              stage 1: your own split lists (VITS/Matcha/fmtts format), over --split
#   --ngpu N                     0: CPU; 1: one device (default; CUDA when available); N>1: torchrun DDP,
#                                the schedule scaled to N GPUs (steps / N, lr x sqrt(N): see README)
#   --keep-schedule              with --ngpu N>1: keep the recipe's one-GPU schedule (N x the compute)
#   --resume                     continue training from the newest checkpoint in WORK/train
#   --init-from CKPT             fine-tune: start from another checkpoint's weights
#   --max-steps N, --max-minutes M   passed to `fmtts train`
#   --set KEY=VALUE              config override (repeatable), passed to `fmtts prepare` and `fmtts train`
#   --checkpoint CKPT            checkpoint for stages 4-5 (default: newest in WORK/train/checkpoints)
#   --vocoder NAME|PATH          stages 4-5 (default ljspeech: the LJSpeech HiFi-GAN)
#   --synth-steps N              ODE steps for stages 4-5 (default 10)
#   --dry-run                    print the commands of stages 1-5 instead of running them
#   --no-checks                  skip the checks made before the first stage (tools, extras, GPUs, disk)
# Environment: LJSPEECH_URL (a mirror of the same archive), FMTTS_NO_DOWNLOAD=1 (never download),
#              PYTHON (interpreter, default python3).
set -euo pipefail

URL_DEFAULT="https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"
SHA256="be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5"
ARCHIVE_BYTES=2748572632
AUDIO_BYTES=3800000000  # LJSpeech-1.1 extracted: 23.9 h of 16-bit 22,050 Hz mono
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STANDARD_LISTS="$REPO/egs/ljspeech/filelists"

stage=0
stop_stage=5
data=""
split=auto
filelists=""
keep_schedule=0
checks=1
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
        --split) need_value "$@"; split=$2; shift 2 ;;
        --filelists) need_value "$@"; filelists=$2; shift 2 ;;
        --keep-schedule) keep_schedule=1; shift ;;
        --no-checks) checks=0; shift ;;
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
[[ "$split" =~ ^(auto|standard|random)$ ]] || die "--split takes auto, standard or random"
if [ -n "$filelists" ]; then
    [ -d "$filelists" ] || die "--filelists $filelists: no such folder"
    filelists="$(cd "$filelists" && pwd)"
fi

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

# How many of the standard split's 600 val/test clips metadata.csv in $1 lacks (0: it is LJSpeech-1.1).
standard_ids_missing() {
    grep -hv '^#' "$STANDARD_LISTS/val.txt" "$STANDARD_LISTS/test.txt" \
        | grep -cvxFf <(cut -d'|' -f1 "$1/metadata.csv" | tr -d '\r' | sed 's/^\xEF\xBB\xBF//') || true
}

gb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e9 }'; }

# Checks made before the first stage runs, so that a run fails in seconds, not after a download or a
# day of training: tools and extras the chosen stages need, GPUs for --ngpu, and disk space in WORK.
preflight() {
    local problems=() need=0 parts=() have downloading=0
    if in_stages 0 && [ -z "$data" ] && [ ! -f "$work/LJSpeech-1.1/.complete" ] \
        && [ "${FMTTS_NO_DOWNLOAD:-0}" != 1 ]; then
        downloading=1
    fi
    if [ "$downloading" -eq 1 ]; then
        command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1 \
            || problems+=("stage 0 downloads with curl or wget, and neither is installed (or pass --data DIR)")
        command -v bzip2 >/dev/null 2>&1 \
            || problems+=("stage 0 unpacks LJSpeech-1.1.tar.bz2 with tar and bzip2, which is not installed: apt-get install bzip2 (dnf/brew install bzip2), or pass an extracted copy with --data DIR")
        local part=0
        if [ -f "$work/LJSpeech-1.1.tar.bz2" ]; then
            part=$(wc -c <"$work/LJSpeech-1.1.tar.bz2" | tr -d ' ')
        fi
        need=$((need + ARCHIVE_BYTES - part + AUDIO_BYTES))
        parts+=("download and audio $(gb $((ARCHIVE_BYTES - part + AUDIO_BYTES)))")
    fi
    if in_stages 1 && [ ! -f "$prep/prepare_report.json" ]; then
        local wav_bytes=$AUDIO_BYTES dir
        dir=$(resolve_data)
        if [ "$downloading" -eq 0 ] && [ -n "$dir" ] && [ -d "$dir/wavs" ]; then
            wav_bytes=$(($(du -sk "$dir/wavs" | cut -f1) * 1024))
        fi
        # float16 80-bin mels every 256 samples: 160 bytes per 512 bytes of 16-bit audio
        need=$((need + wav_bytes * 160 / 512))
        parts+=("feature cache $(gb $((wav_bytes * 160 / 512)))")
    fi
    if in_stages 3; then
        need=$((need + 1600000000))  # 5 kept checkpoints of ~265 MB, one being written, logs
        parts+=("checkpoints 1.6")
        if [ "$ngpu" -gt 1 ]; then
            local seen
            seen=$("$PY" -c 'import torch; print(torch.cuda.device_count())' 2>/dev/null || echo 0)
            [ "$seen" -ge "$ngpu" ] || problems+=("--ngpu $ngpu: torch sees $seen CUDA GPUs here")
        fi
    fi
    if in_stages 4 || in_stages 5; then
        need=$((need + 400000000))
        parts+=("synthesized test clips 0.4")
    fi
    if in_stages 5 && ! "$PY" - <<'PYEOF'; then
import importlib.util
import sys

from fmtts.evaluate.asr import pocketsphinx_available, whisper_available

ok = importlib.util.find_spec("jiwer") is not None and (whisper_available() or pocketsphinx_available())
sys.exit(0 if ok else 1)
PYEOF
        problems+=("stage 5 (evaluate) needs the eval extra: pip install 'fmtts[eval]' (in a checkout: pip install -e '.[eval]'), or stop after stage 4 with --stop-stage 4")
    fi
    have=$(($(df -Pk "$work" | awk 'NR == 2 { print $4 }') * 1024))
    if [ "$need" -gt "$have" ]; then
        local what
        what=$(printf '%s GB, ' "${parts[@]}")
        problems+=("stages $stage-$stop_stage need about $(gb "$need") GB free in $work (${what%, }); $(gb "$have") GB are free: free some, or use --work on a larger disk")
    fi
    if [ "${#problems[@]}" -gt 0 ]; then
        printf 'error: %s\n' "${problems[@]}" >&2
        echo "(--no-checks skips these checks)" >&2
        exit 1
    fi
}

if [ "$dry_run" -eq 0 ] && [ "$checks" -eq 1 ]; then
    preflight
fi

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
    split_args=()
    if [ -n "$filelists" ]; then
        split_args=(--filelists "$filelists")
        echo "split: the lists in $filelists" >&2
    elif [ "$split" = standard ]; then
        split_args=(--filelists "$STANDARD_LISTS")
        echo "split: standard (val/test lists in $STANDARD_LISTS, every other clip trains)" >&2
    elif [ "$split" = auto ] && [ "$(standard_ids_missing "$data")" -eq 0 ]; then
        split_args=(--filelists "$STANDARD_LISTS")
        echo "split: standard, the Tacotron 2 / VITS / Matcha-TTS split (lists in $STANDARD_LISTS)" >&2
    elif [ "$split" = auto ] && [ -d "$data/filelists" ]; then
        echo "split: the lists in $data/filelists (not LJSpeech-1.1: the standard split does not apply)" >&2
    else
        echo "split: the recipe's seeded random split" >&2
    fi
    run "${fmtts[@]}" prepare --data "$data" --out "$prep" --config "$config" \
        ${split_args[@]+"${split_args[@]}"} ${sets[@]+"${sets[@]}"}
fi

# Stage 3 with --ngpu N > 1: the recipe's schedule is for one GPU; scale it (fmtts/training/schedule.py).
# The overrides go last, after the user's --set (which they are computed from), and to `fmtts train` only.
if in_stages 3 && [ "$ngpu" -gt 1 ] && [ "$keep_schedule" -eq 0 ]; then
    scaled=$("$PY" -m fmtts.training.schedule --config "$config" ${sets[@]+"${sets[@]}"} --world-size "$ngpu") \
        || die "cannot scale the schedule of $config to $ngpu GPUs (see above)"
    if [ -n "$scaled" ]; then
        while IFS= read -r line; do train_extra+=("$line"); done <<<"$scaled"
    fi
fi

# ---------------------------------------------------------------------------------------------- stages 2-5
. "$REPO/egs/common/stages_2-5.sh"

echo "done (stages $stage-$stop_stage, work dir $work)" >&2
