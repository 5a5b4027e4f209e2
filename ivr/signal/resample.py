"""Streaming rational resampling in numpy: a Kaiser-windowed sinc applied polyphase, state kept between chunks.

Causal (the default, for live media): each chunk of n inputs gives n * dst / src outputs at once (an 8 kHz
RTP packet of 160 samples, a 320-sample frame), the aligned stream `lag` outputs later. Aligned
(`causal=False`, for files and `resample`): output k sits exactly at input time k * src / dst, no delay to
trim. Either way chunked output equals one-shot output. The pass band is flat (±0.001 dB) to 84 % of the
lower Nyquist frequency (6.7 kHz at 16 kHz) and the stop band starts at that Nyquist frequency, 80 dB down:
going down in rate nothing folds back into the band (anti-aliasing), going up no image is left above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from math import ceil, gcd, pi

import numpy as np
from numpy.lib.stride_tricks import as_strided

STOPBAND_DB = 80.0
PASSBAND = 0.84
"""The pass band ends at this fraction of the lower Nyquist frequency; the transition band fills the rest."""
MAX_TERMS = 4096
"""Ratios whose reduced terms exceed this (44 101 Hz, 32 004 Hz: never the usual rates) are approximated so the
filter bank stays small (at most 2 MB): for any rate from 4 to 384 kHz the rate is then off by at most
1.3e-4 (32 004 Hz read as 32 000 Hz: half a second an hour)."""
_CONV_BUDGET = 64
"""Up to this many sub-filters per chunk, outputs are computed as short convolutions (fast when going down
by a small factor); beyond it, as one strided matrix product per output phase."""


def ratio(src_rate: int, dst_rate: int) -> tuple[int, int]:
    """(up, down): the reduced ratio dst/src, approximated if its terms exceed MAX_TERMS."""
    g = gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    if max(up, down) <= MAX_TERMS:
        return up, down
    from fractions import Fraction

    if down > up:
        f = Fraction(dst_rate, src_rate).limit_denominator(MAX_TERMS)
        return f.numerator, f.denominator
    f = Fraction(src_rate, dst_rate).limit_denominator(MAX_TERMS)
    return f.denominator, f.numerator


@dataclass(frozen=True)
class _Bank:
    """The filter for one ratio: `taps` per output, one row per output phase."""

    up: int
    down: int
    half: int  # the filter spans -half..half samples at the upsampled rate
    taps: int
    oldest_first: np.ndarray  # [phase, i]: the tap for input (newest - taps + 1 + i)
    subfilters: tuple[tuple[tuple[int, np.ndarray], ...], ...] | None  # [phase] -> ((s, taps on every down-th input))


@cache
def _bank(up: int, down: int) -> _Bank:
    nyquist = 0.5 / max(up, down)  # the lower Nyquist frequency, in cycles per upsampled sample
    width = (1.0 - PASSBAND) * nyquist
    cutoff = nyquist - width / 2
    half = ceil((STOPBAND_DB - 7.95) / (2.285 * 2 * pi * width) / 2)
    t = np.arange(-half, half + 1)
    h = 2 * cutoff * np.sinc(2 * cutoff * t) * np.kaiser(2 * half + 1, 0.1102 * (STOPBAND_DB - 8.7)) * up
    taps = -(-(2 * half + 1) // up)
    padded = np.zeros(taps * up)
    padded[: len(h)] = h
    newest_first = padded.reshape(taps, up).T  # [phase, j] = h[phase + j * up], the tap for input (newest - j)
    subfilters = None
    if up * min(down, taps) <= _CONV_BUDGET:
        subfilters = tuple(
            tuple((s, np.ascontiguousarray(row[s::down])) for s in range(min(down, taps))) for row in newest_first
        )
    return _Bank(up, down, half, taps, np.ascontiguousarray(newest_first[:, ::-1]), subfilters)


class Resampler:
    """`process(chunk) -> out` for float audio in chunks of any size; `flush()` gives the rest at the end."""

    def __init__(self, src_rate: int, dst_rate: int, causal: bool = True) -> None:
        self.up, self.down = ratio(src_rate, dst_rate)
        self._identity = self.up == self.down
        self._bank = _bank(self.up, self.down) if not self._identity else None
        half = self._bank.half if self._bank else 0
        self.lag = -(-half // self.down) if causal else 0
        """Output samples by which a causal stream trails the aligned one."""
        self.delay = self.lag * self.down / self.up
        """The same, in input samples."""
        self._causal = causal
        pad = (self._bank.taps if self._bank else 0) + self.down // self.up + 1
        self._buf = np.zeros(pad)  # inputs still needed, zeros before the start
        self._buf0 = -pad  # input index of _buf[0]
        self._inputs = 0
        self._next = -self.lag  # index of the next output (a causal stream starts with the filter's lead-in)
        self._flushed = False

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Every output whose inputs have all arrived."""
        if self._flushed:
            raise ValueError("Resampler: process() after flush()")
        x = np.asarray(chunk, np.float64)
        if self._identity:
            return x.copy()
        self._inputs += len(x)
        if self._causal:  # every output up to the input's end, shifted by `lag`: all its taps are in
            return self._run(x, (self._inputs * self.up - 1) // self.down + 1 - self.lag)
        return self._run(x, (self._inputs * self.up - 1 - self._bank.half) // self.down + 1)  # type: ignore[union-attr]

    def flush(self) -> np.ndarray:
        """The outputs up to the end of the input (it continues as silence for the filter)."""
        if self._flushed or self._identity or not self._inputs:
            self._flushed = True
            return np.zeros(0)
        bank = self._bank
        assert bank is not None
        end = -(-self._inputs * self.up // self.down)
        needed = -(-((end - 1) * self.down + bank.half + 1) // self.up) if end else 0
        out = self._run(np.zeros(max(0, needed - self._inputs)), end)
        self._flushed = True
        return out

    def _run(self, x: np.ndarray, stop: int) -> np.ndarray:
        bank = self._bank
        assert bank is not None
        buf = np.concatenate([self._buf, x])
        start, stop = self._next, max(self._next, stop)
        out = np.empty(stop - start)
        up, down, half, taps = bank.up, bank.down, bank.half, bank.taps
        for k in range(start, min(stop, start + up)):  # one pass per output phase
            count = (stop - 1 - k) // up + 1
            newest = (k * down + half) // up - self._buf0  # in buf
            phase = (k * down + half) % up
            if bank.subfilters is not None:
                y = None
                for s, g in bank.subfilters[phase]:
                    first = newest - s - (len(g) - 1) * down
                    part = np.convolve(buf[first : first + (count + len(g) - 2) * down + 1 : down], g, "valid")
                    y = part if y is None else y + part
            else:
                oldest = buf[newest - taps + 1 :]
                windows = as_strided(oldest, (count, taps), (down * oldest.strides[0], oldest.strides[0]))
                y = windows @ bank.oldest_first[phase]
            out[k - start :: up] = y
        self._next = stop
        keep = (stop * down + half) // up - taps + 1 - self._buf0  # the oldest input the next output needs
        self._buf = buf[max(0, keep) :].copy()
        self._buf0 += max(0, keep)
        return out


def resample(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """One-shot resampling of float audio: ceil(len(x) * dst / src) samples, aligned with the input."""
    if src_rate == dst_rate:
        return np.asarray(x, np.float64)
    r = Resampler(src_rate, dst_rate, causal=False)
    return np.concatenate([r.process(x), r.flush()])
