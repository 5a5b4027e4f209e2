"""Line conditions for the evaluation set: rooms, levels, line noise, babble and music, made reproducibly."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, fftconvolve, lfilter, sosfilt

from ivr.clock import RATE
from ivr.signal.level import active_level_db

_PHONE_BAND = butter(4, [250, 3500], btype="band", fs=RATE, output="sos")
NOISES = ("white", "pink", "brown", "hum")


def at_rms(x: np.ndarray, dbfs: float) -> np.ndarray:
    """`x` scaled to an RMS level in dBFS."""
    rms = np.sqrt(np.mean(x**2))
    return x * (10 ** (dbfs / 20) / rms) if rms > 0 else x


def at_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    """`x` scaled to an active speech level (P.56) in dBFS."""
    return x * 10 ** ((dbfs - active_level_db(x)) / 20)


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` samples of white, pink, brown noise or mains hum (50 Hz and harmonics over a little hiss)."""
    w = rng.standard_normal(n)
    if kind == "pink":
        w = lfilter(
            [0.049922035, -0.095993537, 0.050612699, -0.004408786], [1, -2.494956002, 2.017265875, -0.5221894], w
        )
    elif kind == "brown":
        w = lfilter([1.0], [1.0, -0.98], w)
    elif kind == "hum":
        t = np.arange(n) / RATE
        w = np.sin(2 * np.pi * 50 * t) + 0.4 * np.sin(2 * np.pi * 150 * t) + 0.2 * at_rms(w, 0)
    elif kind != "white":
        raise ValueError(f"unknown noise {kind!r}")
    return w


def mains_hum(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum as a telephone line carries it: 50 Hz harmonics up to 1 kHz, odd ones strongest, a little hiss."""
    t = np.arange(n) / RATE
    phase = rng.uniform(0, 2 * np.pi, 20)
    x = sum((1.0 if k % 2 else 0.3) / k * np.sin(2 * np.pi * 50 * k * t + phase[k - 1]) for k in range(1, 21))
    return np.asarray(x) + 0.05 * at_rms(rng.standard_normal(n), 0)


def room(rt60: float, drr_db: float, rng: np.random.Generator) -> np.ndarray:
    """A room impulse response: the direct sound, then exponentially decaying diffuse reverberation."""
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.004 * RATE)] = 0.0
    tail *= 10 ** (-drr_db / 20) / np.sqrt(np.sum(tail**2))
    tail[0] += 1.0
    return tail


def phone_band(x: np.ndarray) -> np.ndarray:
    return sosfilt(_PHONE_BAND, x)


def utterance(
    speech: np.ndarray, level_db: float, rng: np.random.Generator, rt60: float = 0.0, drr_db: float = 0.0
) -> np.ndarray:
    """The utterance as it reaches the line: reverberated if in a room, phone band, at an active level."""
    x = fftconvolve(speech, room(rt60, drr_db, rng))[: len(speech) + int(rt60 * RATE)] if rt60 else speech
    return at_level(phone_band(x), level_db)


def line_noise(kind: str, n: int, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """`n` samples of the line's own noise, phone band, at an RMS level; 'none' is digital silence."""
    return np.zeros(n) if kind == "none" else at_rms(phone_band(noise(kind, n, rng)), level_db)


def babble(clips: list[np.ndarray], talkers: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Other people talking near the phone: `talkers` streams of recorded clips, each back to back, summed."""
    out = np.zeros(n)
    for _ in range(talkers):
        stream: list[np.ndarray] = []
        length = -int(rng.integers(0, RATE))  # each talker starts at a different point
        while length < n:
            clip = clips[int(rng.integers(len(clips)))]
            gap = np.zeros(int(rng.uniform(0.05, 0.3) * RATE))
            stream += [at_rms(clip, rng.uniform(-3, 3)), gap]
            length += len(clip) + len(gap)
        x = np.concatenate(stream)
        start = len(x) - length
        out += x[start : start + n] if start >= 0 else np.concatenate([np.zeros(-start), x])[:n]
    return phone_band(out)


def music(track: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` samples of a recorded music-on-hold track, from a random point, phone band."""
    start = int(rng.integers(0, max(1, len(track) - n)))
    return phone_band(np.resize(track[start:], n))
