# Stages 2-5 shared by the egs/*/run.sh recipes (sourced, not run): check the caches, train, synthesize
# the test split, evaluate. Expects the variables and helpers the recipe scripts define (work, prep,
# run_dir, config, device, ngpu, resume, init_from, sets, train_extra, vocoder, synth_steps, dry_run,
# fmtts, PY, in_stages, run, die, newest_checkpoint).

# ---------------------------------------------------------------------------------------------- stage 2
if in_stages 2; then
    echo "== stage 2: check the feature caches" >&2
    if [ "$dry_run" -eq 1 ]; then
        echo "+ (load $prep/cache/{train,val,test} and print statistics)" >&2
    else
        "$PY" - "$prep" <<'EOF'
import collections
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
skipped = report["skipped"]
reasons = collections.Counter(s["reason"].split(":")[0].split(" ")[0] for s in skipped)
print(f"skipped {len(skipped)}" + (f": {dict(reasons)}" if skipped else ""))
for s in skipped[:10]:
    print(f"  {s.get('id', 'line ' + str(s.get('line')))}: {s['reason']}")
if len(skipped) > 10:
    print(f"  ... all {len(skipped)} in {report_path}")
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
