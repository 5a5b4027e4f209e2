"""The built-in sample callers under audio/calls, made deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ivr.frames import to_int16
from ivr.signal.wav import write_wav

SAMPLE_RATE = 8000
"""Telephone rate: the samples also exercise the engine's conversion."""


def silent_call(seconds: float = 60.0) -> np.ndarray:
    """A caller who never says anything: digital silence."""
    return np.zeros(int(seconds * SAMPLE_RATE), np.int16)


def hiss_call(seconds: float = 60.0, level_dbfs: float = -40.0, seed: int = 7) -> np.ndarray:
    """A caller's line carrying only hiss: band-limited white noise at a steady level."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(seconds * SAMPLE_RATE))
    x *= 10 ** (level_dbfs / 20) / np.sqrt(np.mean(x**2))
    return to_int16(x)


def speech_call(seconds: float = 40.0) -> np.ndarray:
    """A caller who speaks after the greeting: real recorded human voice (alsa-utils' clips), then silence."""
    from ivr.errors import IvrError
    from ivr.signal.wav import read_wav

    clips = [Path("/usr/share/sounds/alsa") / f"{name}.wav" for name in ("Front_Center", "Front_Left")]
    if not all(c.is_file() for c in clips):
        raise IvrError("the sample speech call needs alsa-utils' voice clips: apt-get install alsa-utils")
    x = np.zeros(int(seconds * SAMPLE_RATE), np.int16)
    for at, clip in zip((10.5, 20.0), clips, strict=True):
        voice = read_wav(clip, SAMPLE_RATE)
        x[int(at * SAMPLE_RATE) : int(at * SAMPLE_RATE) + len(voice)] = voice
    return x


SAMPLES = {"silent.wav": silent_call, "hiss.wav": hiss_call, "speech.wav": speech_call}


def ensure_samples(calls_dir: Path) -> list[Path]:
    """Write any missing sample call; returns the paths of all of them."""
    paths = []
    for name, make in SAMPLES.items():
        path = calls_dir / name
        if not path.is_file():
            write_wav(path, [make()], SAMPLE_RATE)
        paths.append(path)
    return paths


if __name__ == "__main__":  # scripts/setup.sh: the samples are there for `ivr replay` at once
    from ivr import paths as where

    for made in ensure_samples(where.audio_dir() / "calls"):
        print(f"setup: sample call {made}")
