"""Audio frames and WAV files: 16 kHz mono s16, 20 ms frames, any common WAV converted in."""

from __future__ import annotations

import os
import tempfile
import wave
from math import gcd
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from ivr.clock import RATE
from ivr.errors import IvrError

FRAME = RATE // 50
"""Samples in one 20 ms engine frame."""

Samples = np.ndarray
"""Mono int16 audio at the engine rate."""


def resample(x: np.ndarray, src_rate: int, dst_rate: int = RATE) -> np.ndarray:
    """Polyphase resampling of float audio."""
    if src_rate == dst_rate:
        return x
    g = gcd(src_rate, dst_rate)
    return resample_poly(x, dst_rate // g, src_rate // g)


def to_int16(x: np.ndarray) -> Samples:
    """Float audio in [-1, 1] to int16, clipped."""
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def to_float(x: Samples) -> np.ndarray:
    return x.astype(np.float64) / 32768.0


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


def pad_to_frames(x: Samples) -> Samples:
    """Zero-pad to a whole number of frames, so prompt ends fall on frame boundaries."""
    rest = (-len(x)) % FRAME
    return np.concatenate([x, np.zeros(rest, np.int16)]) if rest else x
