"""WAV files in and out: any common WAV converted to engine audio; writes are atomic."""

from __future__ import annotations

import os
import tempfile
import wave
from pathlib import Path

import numpy as np

from ivr.clock import RATE
from ivr.errors import IvrError
from ivr.frames import Samples, resample, to_int16


def read_wav(path: Path | str, rate: int = RATE) -> Samples:
    """Read a PCM WAV of any rate, width (8/16/24/32 bit) and channel count as mono int16."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, src_rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except FileNotFoundError:
        raise IvrError(f"{path}: no such file") from None
    except (wave.Error, EOFError, OSError) as e:
        raise IvrError(f"{path}: not a readable PCM WAV file ({e})") from None
    if not raw:
        raise IvrError(f"{path}: the recording is empty")
    x = _decode(raw, width, path)
    usable = len(x) - len(x) % channels
    x = x[:usable].reshape(-1, channels).mean(axis=1)
    if not len(x):
        raise IvrError(f"{path}: the recording is empty")
    return to_int16(resample(x, src_rate, rate))


def _decode(raw: bytes, width: int, path: Path) -> np.ndarray:
    if width == 1:
        return (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
    if width == 3:
        b = np.frombuffer(raw[: len(raw) - len(raw) % 3], np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        return np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / float(1 << 23)
    if width == 4:
        return np.frombuffer(raw, "<i4").astype(np.float64) / float(1 << 31)
    raise IvrError(f"{path}: unsupported sample width of {width} bytes")


def write_wav(path: Path | str, channels: list[Samples], rate: int = RATE) -> None:
    """Write int16 channels (padded to one length) atomically: a crash leaves no half file."""
    path = Path(path)
    n = max(len(c) for c in channels)
    data = np.zeros((n, len(channels)), np.int16)
    for i, c in enumerate(channels):
        data[: len(c), i] = c
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(len(channels))
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(data.tobytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
