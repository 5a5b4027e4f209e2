"""How well the caller can be heard: per-utterance level, noise, SNR and reverberation (HEAR-1..3).

Each utterance the VAD delimits is measured on the audio itself:
  * `level_db`: active speech level, ITU-T P.56 (dBFS);
  * `noise_db`: the line's noise floor, from the caller's frames outside speech (VAD-gated);
  * `snr_db`: level minus noise floor;
  * `decay_db_s`: how fast the 1-3 kHz band can fall silent (3rd percentile of 40 ms slopes).
    Close-talking speech stops within a few ms (-300 dB/s and steeper); in a room heard from a
    speakerphone, reverberation holds the decay near 60 dB / RT60 (-120 to -230 dB/s).
Then classified, in this order: noisy (low SNR), too quiet (low level), speakerphone (slow
decay), else clear. The thresholds are configuration; the defaults come from `ivr eval --derive`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from ivr.clock import RATE
from ivr.frames import FRAME, Samples, to_float
from ivr.signal.level import SILENCE_DB, active_level_db, percentile, rms_db

Hearing = Literal["clear", "too_quiet", "noisy", "speakerphone"]
HEARINGS: tuple[Hearing, ...] = ("clear", "too_quiet", "noisy", "speakerphone")

# scipy.signal.butter(4, [1000, 3000], btype="band", fs=16000, output="sos"), fixed here so that listening
# never imports scipy; tests/test_level.py checks them against scipy.
BAND_SOS = (
    (0.010209480791203134, 0.02041896158240627, 0.010209480791203134, 1.0, -0.8455015112001018, 0.3792928480982152),
    (1.0, 2.0, 1.0, 1.0, -1.3399254521650663, 0.5529114477324666),
    (1.0, -2.0, 1.0, 1.0, -0.6844587448666624, 0.6776857560750688),
    (1.0, -2.0, 1.0, 1.0, -1.6981511544257875, 0.8470916054200859),
)
_IMPULSE = 1024  # the band filter's response falls below 1e-30 within this many samples


def _impulse_response(sos: tuple[tuple[float, ...], ...], n: int) -> np.ndarray:
    """The causal impulse response of a cascade of biquads (once, at import: a few thousand steps)."""
    h = [1.0] + [0.0] * (n - 1)
    for b0, b1, b2, _, a1, a2 in sos:
        out, x1, x2, y1, y2 = [], 0.0, 0.0, 0.0, 0.0
        for x in h:
            y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            out.append(y)
            x1, x2, y1, y2 = x, x1, y, y1
        h = out
    return np.array(h)


_BAND_IR = _impulse_response(BAND_SOS, _IMPULSE)


def band_1k_3k(x: np.ndarray) -> np.ndarray:
    """The 1-3 kHz band of float audio: the Butterworth band-pass applied as an FFT convolution (same length)."""
    n = len(x) + _IMPULSE - 1
    size = 1 << (n - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(_BAND_IR, size), size)[: len(x)]


_HOP = RATE // 200  # 5 ms
_WIN = 2 * _HOP
_SLOPE_HOPS = 8  # 40 ms
_FLOOR_PERCENTILE = 5
_FLOOR_CLAMP = 10 ** (-6 / 10)
_NOISE_FRAMES = 150  # 3 s of non-speech frames
_AFTER_SPEECH_FRAMES = 15  # reverberation tails are not the line's noise
NOMINAL_CALLER_DB = -26.0
"""A caller at the nominal telephone speech level (dBFS); a line louder than this less the noisy SNR drowns them."""


@dataclass(frozen=True)
class HearingThresholds:
    """Where one hearing class ends and the next begins; see `ivr eval --derive`."""

    noisy_snr_db: float = 15.0
    quiet_level_db: float = -40.0
    speakerphone_decay_db_s: float = -259.0

    @property
    def loud_line_db(self) -> float:
        """A line whose floor is above this is too noisy for a caller at the nominal level to be heard (HEAR-3)."""
        return NOMINAL_CALLER_DB - self.noisy_snr_db

    def classify(self, m: Measurement) -> Hearing:
        if m.snr_db < self.noisy_snr_db:
            return "noisy"  # HEAR-3: a line too noisy to hear, whatever the caller's level
        if m.decay_db_s > self.speakerphone_decay_db_s:
            return "speakerphone"  # HEAR-1 names the cause first, even when the caller is also quiet
        if m.level_db < self.quiet_level_db:
            return "too_quiet"  # HEAR-2
        return "clear"


@dataclass(frozen=True)
class Measurement:
    level_db: float
    noise_db: float
    snr_db: float
    decay_db_s: float
    duration: float

    def fields(self) -> dict[str, float]:
        return {k: round(v, 1) if k != "duration" else round(v, 3) for k, v in asdict(self).items()}


def band_energies(x: np.ndarray) -> np.ndarray:
    """Mean square of the 1-3 kHz band in 10 ms windows every 5 ms."""
    band = band_1k_3k(np.asarray(x, np.float64))
    n = max(0, (len(band) - _WIN) // _HOP)
    idx = np.arange(_WIN)[None, :] + _HOP * np.arange(n)[:, None]
    return np.mean(band[idx] ** 2, axis=1) + 1e-12


def decay_rate(x: np.ndarray, floor_subtracted: bool = True) -> float:
    """3rd percentile of the 1-3 kHz band's level slope over 40 ms, in dB/s (more negative: drier).

    With `floor_subtracted`, the band's own noise floor (5th percentile of its energies) is taken off first,
    down to 6 dB below it: a dry word that falls into a hissy line's floor then falls as steeply as it does on
    a quiet line, while a reverberant tail, which stays above the floor, keeps its slow decay (HEAR-1 vs HEAR-2).
    """
    energies = band_energies(x)
    if len(energies) <= _SLOPE_HOPS:
        return 0.0
    if floor_subtracted:
        floor = percentile(energies, _FLOOR_PERCENTILE)
        energies = np.maximum(energies - floor, floor * _FLOOR_CLAMP)
    db = 10 * np.log10(energies)
    slopes = (db[_SLOPE_HOPS:] - db[:-_SLOPE_HOPS]) / (_SLOPE_HOPS * _HOP / RATE)
    return percentile(slopes, 3)


def measure(utterance: np.ndarray, noise_db: float, after: np.ndarray | None = None) -> Measurement:
    """Measure one utterance (float audio) against the line's noise floor.

    `after`: the audio between the end of the utterance and the moment the detector called it over; the
    decay is measured over both, since that is where a room's reverberant tail is heard (HEAR-1).
    """
    level = active_level_db(utterance)
    if noise_db <= SILENCE_DB:  # no speech-free audio yet: the quietest 10 ms of the utterance
        frames = utterance[: len(utterance) // 160 * 160].reshape(-1, 160)
        noise_db = rms_db(frames[np.argmin(np.mean(frames**2, axis=1))]) if len(frames) else SILENCE_DB
    decay = decay_rate(utterance if after is None or not len(after) else np.concatenate([utterance, after]))
    return Measurement(level, noise_db, level - noise_db, decay, len(utterance) / RATE)


class UtteranceMeter:
    """Follows the caller's audio frame by frame: the noise floor between utterances, the audio within."""

    def __init__(self, pre_roll_s: float = 0.5) -> None:
        self._recent: deque[Samples] = deque(maxlen=max(1, int(pre_roll_s * RATE / FRAME)))
        self._noise: deque[float] = deque(maxlen=_NOISE_FRAMES)
        self._since_speech = _AFTER_SPEECH_FRAMES
        self._utterance: list[Samples] | None = None
        self._frames = 0

    def noise_db(self) -> float:
        if not self._noise:
            return SILENCE_DB
        return max(SILENCE_DB, float(10 * np.log10(percentile(self._noise, 20) + 1e-30)))

    def add(self, frame: Samples, speaking: bool) -> None:
        """Take one caller frame; `speaking` is the detector's state after it."""
        self._frames += 1
        if self._utterance is not None:
            self._utterance.append(frame)
        else:
            self._recent.append(frame)
        if speaking:
            self._since_speech = 0
            return
        self._since_speech += 1
        if self._since_speech > _AFTER_SPEECH_FRAMES:
            f = frame.astype(np.float32)
            self._noise.append(float(f @ f) / (len(f) * 32768.0**2))

    def loud_line(self, loud_db: float) -> Measurement | None:
        """The line between utterances, if its floor over the last 3 s is at least `loud_db` (nobody heard over it)."""
        if len(self._noise) < self._noise.maxlen:  # type: ignore[operator]
            return None
        floor = self.noise_db()
        if floor < loud_db:
            return None
        return Measurement(floor, floor, 0.0, 0.0, len(self._noise) * FRAME / RATE)

    def start(self, onset_frame: int) -> None:
        """Speech began at `onset_frame`: keep the frames from there on."""
        back = min(len(self._recent), self._frames - onset_frame)
        self._utterance = list(self._recent)[len(self._recent) - back :] if back > 0 else []

    def rolling(self, frames: int) -> Measurement | None:
        """The utterance so far, its last `frames` frames, measured against the line's noise as it is now.

        The noise floor is the higher of the one heard between utterances and the 10th percentile of the
        window's frame energies (minimum statistics): a line that never pauses (babble, hum, music) has
        no quiet frames between its "syllables", so its floor rises to meet its level.
        """
        if self._utterance is None or len(self._utterance) < frames:
            return None
        window = to_float(np.concatenate(self._utterance[-frames:]))
        energies = np.mean(window.reshape(-1, FRAME) ** 2, axis=1)
        floor = max(self.noise_db(), float(10 * np.log10(percentile(energies, 10) + 1e-30)))
        return measure(window, floor)

    def stop(self, onset_frame: int) -> Measurement | None:
        """Speech ended at `onset_frame` (where silence began): measure what was said."""
        if self._utterance is None:
            return None
        frames, self._utterance = self._utterance, None
        keep = len(frames) - (self._frames - onset_frame)
        if keep <= 0:
            return None
        after = to_float(np.concatenate(frames[keep:])) if keep < len(frames) else None
        return measure(to_float(np.concatenate(frames[:keep])), self.noise_db(), after)
