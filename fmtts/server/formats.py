"""Audio encodings the speech server answers with (soundfile / libsndfile writes them)."""

from __future__ import annotations

import io
import struct

import numpy as np

from fmtts.streaming import to_pcm16

# response_format -> (content type, streamed as it is generated)
FORMATS: dict[str, tuple[str, bool]] = {
    "wav": ("audio/wav", True),
    "pcm": ("audio/pcm", True),
    "flac": ("audio/flac", False),
    "mp3": ("audio/mpeg", False),
    "opus": ("audio/ogg", False),
}
OPUS_RATE = 48000  # Opus runs at 8, 12, 16, 24 or 48 kHz only
_SOUNDFILE = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "mp3": ("MP3", None),
    "opus": ("OGG", "OPUS"),
}


def streaming_wav_header(sample_rate: int) -> bytes:
    """A 16-bit mono WAV header for audio of unknown length: the RIFF and data sizes are 0xFFFFFFFF
    (what streaming servers send; readers take the data up to the end of the stream)."""
    unknown = 0xFFFFFFFF
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
    return struct.pack("<4sI4s", b"RIFF", unknown, b"WAVE") + fmt + struct.pack("<4sI", b"data", unknown)


def encode(audio: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """Whole float32 mono audio → the bytes of a ``fmt`` file (``pcm``: raw 16-bit little-endian)."""
    if fmt == "pcm":
        return to_pcm16(audio)
    import soundfile as sf

    container, subtype = _SOUNDFILE[fmt]
    audio = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    if fmt == "opus" and sample_rate != OPUS_RATE:
        from fmtts.audio import resample

        audio, sample_rate = resample(audio, sample_rate, OPUS_RATE).astype(np.float32), OPUS_RATE
    if subtype == "PCM_16":  # the same 16-bit samples as the pcm and streamed wav formats
        audio = np.frombuffer(to_pcm16(audio), dtype="<i2")
    buf = io.BytesIO()
    sf.write(buf, audio, sample_rate, format=container, subtype=subtype)
    return buf.getvalue()
