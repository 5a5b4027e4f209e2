"""Streaming rational resampling in numpy: windowed-sinc polyphase, state kept between chunks.

Chunked output equals one-shot output; going down in rate, the filter's cut-off sits below the new
Nyquist frequency, so nothing above it folds back (anti-aliasing).
"""

from __future__ import annotations

from functools import cache
from math import gcd

import numpy as np

TAPS_PER_PHASE = 32
"""Filter taps per output sample when going up in rate; going down by a factor k takes k times as many, so the
transition band stays narrow (a Kaiser window: stopband about -60 dB)."""
_KAISER_BETA = 8.0
_CUTOFF = 0.9
"""The pass band ends at this fraction of the lower Nyquist frequency: 7.2 kHz at 16 kHz."""


def taps(up: int, down: int) -> int:
    return TAPS_PER_PHASE * max(1, -(-down // up))


@cache
def _filter(up: int, down: int) -> np.ndarray:
    """The polyphase filter bank: row p holds the taps for output phase p, oldest input first."""
    k = taps(up, down)
    cutoff = _CUTOFF / max(up, down)  # as a fraction of the upsampled Nyquist frequency
    n = k * up
    t = np.arange(n) - (n // 2 - 1)  # centred on a whole sample, so the delay is whole where the rates allow
    h = cutoff * np.sinc(cutoff * t) * np.kaiser(n, _KAISER_BETA) * up
    bank = h.reshape(k, up).T  # bank[p, i] = h[i * up + p]
    return np.ascontiguousarray(bank[:, ::-1])


class Resampler:
    """`process(chunk) -> out` for float audio, any chunk sizes; `flush()` gives the tail."""

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        g = gcd(src_rate, dst_rate)
        self.up, self.down = dst_rate // g, src_rate // g
        self.bank = _filter(self.up, self.down)
        self.taps = taps(self.up, self.down)
        self.history = np.zeros(self.taps)
        self.consumed = 0  # input samples before `history`'s end, in total
        self.produced = 0  # output samples so far
        self.delay = (self.taps * self.up // 2 - 1) / self.up  # filter delay, in input samples

    def process(self, chunk: np.ndarray) -> np.ndarray:
        if self.up == self.down == 1:
            return chunk
        x = np.concatenate([self.history, np.asarray(chunk, np.float64)])
        total = self.consumed + len(chunk)
        # output m sits at input position m * down / up (plus the filter delay, removed at the start)
        last = (total * self.up - 1) // self.down + 1 if total else 0  # every output whose newest tap has arrived
        m = np.arange(self.produced, last)
        if not len(m):
            self.history = x[-self.taps :]
            self.consumed = total
            return np.zeros(0)
        pos = m * self.down  # in upsampled samples
        first = pos // self.up - (self.consumed - self.taps) - (self.taps - 1)  # x index of each output's oldest tap
        if self.down == 1:  # up by L (8 -> 16 kHz): each new input sample gives L outputs, one per phase
            span = x[first[0] : first[0] + len(m) // self.up + self.taps - 1]
            out = np.stack([np.correlate(span, phase, "valid") for phase in self.bank], axis=1).reshape(-1)
        elif self.up == 1:  # down by M (16 -> 8 kHz): every M-th input position, the one phase
            out = np.correlate(x[first[0] : first[-1] + self.taps], self.bank[0], "valid")[:: self.down]
        else:
            windows = np.lib.stride_tricks.sliding_window_view(x, self.taps)
            out = np.einsum("ij,ij->i", windows[first], self.bank[pos % self.up])
        self.produced = last
        self.history = x[-self.taps :]
        self.consumed = total
        return out

    def flush(self) -> np.ndarray:
        """The filter's tail once the input has ended."""
        return np.zeros(0) if self.up == self.down == 1 else self.process(np.zeros(self.taps))


def resample(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """One-shot resampling of float audio, delay-compensated, same duration at the new rate."""
    if src_rate == dst_rate:
        return x
    r = Resampler(src_rate, dst_rate)
    y = np.concatenate([r.process(x), r.flush()])
    start = round(r.delay * dst_rate / src_rate)
    n = round(len(x) * dst_rate / src_rate)
    return y[start : start + n]
