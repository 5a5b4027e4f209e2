"""What a caller heard: where each known prompt sits in a recording of the line."""

from __future__ import annotations

import subprocess
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy.signal import correlate, resample_poly

from ivr.clock import pause, stopwatch


def locate(recording: np.ndarray, prompt: np.ndarray, rate: int = 16000) -> tuple[float, float, float]:
    """(start s, end s, match 0..1) of the prompt's best match in the recording, both at `rate`."""
    x = recording.astype(np.float64)
    p = prompt.astype(np.float64)
    c = correlate(x, p, mode="valid", method="fft")
    start = int(np.argmax(c))
    segment = x[start : start + len(p)]
    match = float(c[start] / (np.linalg.norm(segment) * np.linalg.norm(p) + 1e-12))
    return start / rate, (start + len(p)) / rate, match


def at_rate(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    return samples if src == dst else resample_poly(samples.astype(np.float64), dst, src)


def waits(recording: np.ndarray, prompts: list[np.ndarray], rate: int = 16000) -> tuple[list[float], list[float]]:
    """Each prompt's match score, and the silences between one prompt's end and the next one's start."""
    found = []
    for p in prompts:
        start, end, match = locate(recording, at_rate(p, 16000, rate), rate)
        found.append((start, end, match))
    assert [f[0] for f in found] == sorted(f[0] for f in found), "prompts out of order"
    gaps = [b[0] - a[1] for a, b in pairwise(found)]
    return [f[2] for f in found], gaps


def wait_until_recording(path: Path, recorder: subprocess.Popen[bytes]) -> None:
    """parecord needs a moment to connect; a call started before it would lose its greeting's start."""
    elapsed = stopwatch()
    while path.stat().st_size < 3200:
        assert recorder.poll() is None and elapsed() < 10, "parecord did not start recording line1_ivr.monitor"
        pause(0.02)
