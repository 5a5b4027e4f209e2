"""Engine audio: 16 kHz mono int16 in 20 ms frames, and conversions to and from float."""

from __future__ import annotations

import numpy as np

from ivr.clock import RATE

FRAME = RATE // 50
"""Samples in one 20 ms engine frame."""

Samples = np.ndarray
"""Mono int16 audio at the engine rate."""

SILENCE: Samples = np.zeros(FRAME, np.int16)
SILENCE.flags.writeable = False
"""One frame of digital silence (read-only)."""


def resample(x: np.ndarray, src_rate: int, dst_rate: int = RATE) -> np.ndarray:
    """Polyphase resampling of float audio (numpy only: see ivr.signal.resample)."""
    from ivr.signal.resample import resample as polyphase

    return polyphase(x, src_rate, dst_rate)


def to_int16(x: np.ndarray) -> Samples:
    """Float audio in [-1, 1] to int16, clipped (in place on a scaled copy: called for every frame of every call)."""
    y = np.multiply(x, 32768.0, dtype=np.float64)
    np.rint(y, out=y)
    np.minimum(y, 32767.0, out=y)
    np.maximum(y, -32768.0, out=y)
    return y.astype(np.int16)


def to_float(x: Samples) -> np.ndarray:
    return x.astype(np.float64) / 32768.0


def pad_to_frames(x: Samples) -> Samples:
    """Zero-pad to a whole number of frames, so prompt ends fall on frame boundaries."""
    rest = (-len(x)) % FRAME
    return np.concatenate([x, np.zeros(rest, np.int16)]) if rest else x
