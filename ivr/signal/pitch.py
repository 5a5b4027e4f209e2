"""Pitch of one voiced frame by normalised autocorrelation, and the rise at the end of a phrase."""

from __future__ import annotations

from collections import deque

import numpy as np

from ivr.clock import RATE
from ivr.frames import FRAME, Samples

_WINDOW = 2 * FRAME
_FFT = 1024
_MIN_HZ, _MAX_HZ = 60.0, 400.0
_LAG_MIN = int(RATE / _MAX_HZ)
_LAG_MAX = int(RATE / _MIN_HZ)
_UNBIAS = 1.0 - np.arange(_LAG_MAX + 2) / _WINDOW
_VOICED = 0.6
"""Normalised autocorrelation peak above which a frame counts as voiced."""
_GATE = (10 ** (-50 / 20) * 32768) ** 2 * _WINDOW
"""Frames quieter than -50 dBFS are not analysed (silence, line hiss)."""


def semitones(window: np.ndarray) -> float | None:
    """Pitch of 40 ms of audio in semitones above 100 Hz, or None if it is not clearly voiced."""
    x = window - window.mean()
    energy = float(np.dot(x, x))
    if energy < _GATE:
        return None
    spectrum = np.fft.rfft(x, _FFT)
    r = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, _FFT)[: _LAG_MAX + 2]
    r = r / (r[0] * _UNBIAS)
    band = r[_LAG_MIN : _LAG_MAX + 1]
    best = float(band.max())
    if best < _VOICED:
        return None
    k = int(np.argmax(band >= 0.85 * best))  # the shortest strong lag: no octave-down errors
    while k + 1 < len(band) and band[k + 1] > band[k]:
        k += 1
    if k == 0 or k == len(band) - 1:  # a peak on the edge of the range is not a pitch
        return None
    return float(12 * np.log2(RATE / (k + _LAG_MIN) / 100.0))


class PhraseEndPitch:
    """Pitch of the last 200 ms of voicing, to tell a continuation rise from a phrase-final fall."""

    def __init__(self, frames: int = 10) -> None:
        self._recent: deque[float] = deque(maxlen=frames)
        self._previous: Samples | None = None

    def add(self, frame: Samples) -> None:
        """Analyse one frame of speech (with the frame before it)."""
        if self._previous is not None:
            st = semitones(np.concatenate([self._previous, frame]).astype(np.float64))
            if st is not None:
                self._recent.append(st)
        self._previous = frame

    def skip(self) -> None:
        """A frame that is not analysed (no speech): the next window starts afresh."""
        self._previous = None

    def clear(self) -> None:
        """A new turn: forget the last one's pitch."""
        self._recent.clear()

    def rise(self) -> float:
        """Semitones the pitch rose from its lowest point to the end of the last voiced stretch; 0 if unknown."""
        voiced = np.array(self._recent)
        if len(voiced) < 3:
            return 0.0
        smooth = [_median(voiced[max(0, i - 1) : i + 2]) for i in range(len(voiced))]
        return max(0.0, float(_median(voiced[-3:]) - min(smooth)))


def _median(values: np.ndarray) -> float:
    """np.median of a few values, without the numpy.ma import its first call costs."""
    s = sorted(values)
    m = len(s) // 2
    return float(s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2)
