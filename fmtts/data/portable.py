"""Pack prepared feature caches into one small file, and unpack it with numpy alone.

Made for moving a dataset to a training machine that has torch and numpy but no audio stack, and
little room to carry data: log-mels are quantised to ``bits`` (7 by default: steps of ~0.11 nats over
[-11.6, 2.6], far below the spread of a mel bin), delta-coded along time and LZMA-compressed, which
takes a 3-hour corpus to ~45 MB. The unpacked cache is an ordinary :class:`FeatureCache` folder.
"""

from __future__ import annotations

import io
import json
import lzma
import struct
import zipfile
from pathlib import Path

import numpy as np

from fmtts.data.cache import CacheError, CacheWriter, FeatureCache

MAGIC = b"FMTTSPK1"
LO, HI = -11.6, 2.6


def _quantize(mels: np.ndarray, bits: int) -> np.ndarray:
    levels = (1 << bits) - 1
    q = np.round((np.clip(mels.astype(np.float32), LO, HI) - LO) / (HI - LO) * levels)
    return q.astype(np.uint8)


def _dequantize(q: np.ndarray, bits: int) -> np.ndarray:
    levels = (1 << bits) - 1
    return (q.astype(np.float32) / levels * (HI - LO) + LO).astype(np.float16)


def pack_caches(
    prepared_dir: str | Path,
    output: str | Path,
    splits: tuple[str, ...] = ("train", "val", "test"),
    bits: int = 7,
) -> Path:
    prepared = Path(prepared_dir)
    buf = io.BytesIO()
    header = {"bits": bits, "splits": []}
    blobs = []
    for split in splits:
        folder = prepared / "cache" / split
        if not (folder / "meta.json").is_file():
            continue
        c = FeatureCache(folder, mmap=False)
        q = _quantize(np.asarray(c.mels), bits)
        delta = np.diff(q.astype(np.int16), axis=0, prepend=np.zeros((1, q.shape[1]), np.int16)).astype(
            np.int8
        )
        arrays = {
            "tokens": np.asarray(c.tokens),
            "token_offsets": c.token_offsets,
            "mel_offsets": c.mel_offsets,
            "delta": delta,
        }
        if c.durations is not None:
            arrays["durations"] = np.asarray(c.durations)
        raw = io.BytesIO()
        np.savez(raw, **arrays)
        blobs.append(lzma.compress(raw.getvalue(), preset=6))
        header["splits"].append(
            {"name": split, "meta": c.meta, "n_mels": int(q.shape[1]), "bytes": len(blobs[-1])}
        )
    if not blobs:
        raise CacheError(f"no feature caches under {prepared / 'cache'}")
    head = json.dumps(header, ensure_ascii=False).encode()
    buf.write(MAGIC + struct.pack("<Q", len(head)) + head)
    for b in blobs:
        buf.write(b)
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(out)
    return out


def unpack_caches(packed: str | Path, prepared_dir: str | Path) -> Path:
    """Recreate ``prepared_dir/cache/<split>/`` from a packed file (numpy and the standard library only).
    A file that is not a pack, or a truncated or damaged one, is a :class:`CacheError`."""
    data = Path(packed).read_bytes()
    if data[:8] != MAGIC:
        raise CacheError(f"{packed} is not a packed fmtts cache")
    damaged = (struct.error, ValueError, KeyError, TypeError, lzma.LZMAError, zipfile.BadZipFile)
    try:
        (n,) = struct.unpack("<Q", data[8:16])
        header = json.loads(data[16 : 16 + n])
        bits, splits = header["bits"], header["splits"]
        end = 16 + n + sum(s["bytes"] for s in splits)
        if end != len(data):
            raise ValueError(f"{len(data) - end:+d} bytes against its header")
    except damaged as exc:
        raise CacheError(f"{packed} is a damaged packed cache ({exc}); pack it again") from exc
    pos = 16 + n
    for s in splits:  # one split in memory at a time
        blob = data[pos : pos + s["bytes"]]
        pos += s["bytes"]
        try:
            arrays = dict(np.load(io.BytesIO(lzma.decompress(blob))))
            delta, tokens = arrays["delta"], arrays["tokens"]
            tok_off, mel_off = arrays["token_offsets"], arrays["mel_offsets"]
            meta = dict(s["meta"])
            ids, texts = meta.pop("ids"), meta.pop("texts")
            speakers = meta.pop("speaker_ids", None)  # multi-speaker data: each clip's speaker index
        except damaged as exc:
            raise CacheError(f"{packed} is a damaged packed cache ({exc}); pack it again") from exc
        mels = _dequantize(np.cumsum(delta.astype(np.int16), axis=0).astype(np.uint8), bits)
        durs = arrays.get("durations")
        w = CacheWriter()
        for i in range(len(ids)):
            w.add(
                ids[i],
                texts[i],
                tokens[tok_off[i] : tok_off[i + 1]],
                mels[mel_off[i] : mel_off[i + 1]].T,
                None if durs is None else durs[tok_off[i] : tok_off[i + 1]],
                None if speakers is None else speakers[i],
            )
        meta["packed_bits"] = bits
        w.write(Path(prepared_dir) / "cache" / s["name"], meta)
    return Path(prepared_dir)
