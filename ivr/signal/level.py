"""Speech levels: ITU-T P.56 active speech level, gain to a target level, click-free fades.

numpy only: the hearing path runs on every utterance and must not pay scipy's import (about 1.2 s).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ivr.clock import RATE

SILENCE_DB = -100.0
_MARGIN_DB = 15.9
_TIME_CONSTANT_S = 0.03
_HANGOVER_S = 0.2
_BLOCK = 1024  # g**-_BLOCK stays below 10 at 16 kHz: the blocked recursion keeps full precision


def percentile(values: Any, q: float) -> float:
    """np.percentile's default (linear) method without the numpy.ma import its first call costs (15 ms a start)."""
    v = np.sort(np.asarray(values), axis=None)
    index = (len(v) - 1) * (q / 100)
    lo = int(index)
    a, b = v[lo], v[min(lo + 1, len(v) - 1)]
    t = index - lo
    return float(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)


def smooth(x: np.ndarray, g: float) -> np.ndarray:
    """The first-order low-pass y[n] = g*y[n-1] + (1-g)*x[n] from rest, in blocks (no Python loop per sample)."""
    n = len(x)
    blocks = -(-n // _BLOCK)
    padded = np.zeros(blocks * _BLOCK)
    padded[:n] = x
    xb = padded.reshape(blocks, _BLOCK)
    powers = g ** np.arange(_BLOCK, dtype=np.float64)  # g**i
    # within each block from rest: (1-g) * g**i * sum_k<=i g**-k x[k]
    local = (1 - g) * powers * np.cumsum(xb / powers, axis=1)
    carry = np.empty(blocks)
    c, gb = 0.0, g**_BLOCK
    for j in range(blocks):  # one step per block: the state handed from block to block
        carry[j] = c
        c = gb * c + local[j, -1]
    y = local + carry[:, None] * (g * powers)[None, :]
    return y.reshape(-1)[:n]


def _active_count(above: np.ndarray, hangover: int) -> int:
    """Samples within `hangover` before an above-threshold one (symmetric padding at the end)."""
    n = len(above)
    tail = above[::-1][: hangover - 1] if hangover > 1 else above[:0]
    tail = np.concatenate([tail, np.zeros(max(0, hangover - 1 - len(tail)), bool)])
    sums = np.concatenate([[0], np.cumsum(np.concatenate([above, tail]), dtype=np.int64)])
    return int(np.count_nonzero(sums[hangover : hangover + n] - sums[:n]))


def active_level_db(x: np.ndarray, rate: int = RATE) -> float:
    """Active speech level of float audio in dBFS (P.56 method B); -100 for silence."""
    x = np.asarray(x, np.float64)
    if not len(x) or not np.any(x):
        return SILENCE_DB
    g = np.exp(-1.0 / (rate * _TIME_CONSTANT_S))
    envelope = smooth(smooth(np.abs(x), g), g)
    hangover = max(1, int(_HANGOVER_S * rate))
    energy = np.sum(x * x)
    thresholds = 2.0 ** -np.arange(15, -1, -0.5)
    last: tuple[float, float] | None = None
    for c in thresholds:
        above = envelope >= c
        if not above.any():
            break
        active = _active_count(above, hangover)
        level = 10 * np.log10(energy / active + 1e-30)
        diff = level - 20 * np.log10(c)
        if diff <= _MARGIN_DB:
            if last is None:
                return float(level)
            prev_level, prev_diff = last
            frac = (prev_diff - _MARGIN_DB) / (prev_diff - diff) if prev_diff != diff else 0.0
            return float(prev_level + frac * (level - prev_level))
        last = (level, diff)
    return float(last[0]) if last else SILENCE_DB


def rms_db(x: np.ndarray) -> float:
    """Plain RMS level of float audio in dBFS."""
    if not len(x):
        return SILENCE_DB
    return max(SILENCE_DB, float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-30)))


def normalise(x: np.ndarray, target_db: float, rate: int = RATE) -> np.ndarray:
    """Scale float audio so its active speech level is `target_db`, peaks kept below 0 dBFS."""
    level = active_level_db(x, rate)
    if level <= SILENCE_DB:
        return x
    y = x * 10 ** ((target_db - level) / 20)
    peak = np.max(np.abs(y))
    return y * (0.99 / peak) if peak > 0.99 else y


def fade(x: np.ndarray, seconds: float, rate: int = RATE) -> np.ndarray:
    """Raised-cosine fade-in and fade-out, so audio starts and ends without a click (ANS-3)."""
    n = min(int(seconds * rate), len(x) // 2)
    if n == 0:
        return x
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n))
    y = x.astype(np.float64, copy=True)
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y
