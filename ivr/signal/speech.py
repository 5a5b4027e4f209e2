"""Speech detection: per-frame speech probabilities turned into speech start edges and end-of-turn edges.

A turn starts after `start_s` of frames at or above `start_p`. It ends after a run of silence
(frames below `stop_p`) as long as the evidence asks for (LSN-1: never talk into a caller's pause):

- `stop_s` by default;
- `quick_stop_s` when the turn so far is short (under `quick_turn_s`, e.g. a greeting or a yes)
  and its last voiced stretch did not end in a pitch rise of `rise_st` semitones or more
  (a rise is the continuation cue of a list or an unfinished phrase).

`benchmarks/turn_taking.py` measures these choices on real recorded speech: what a longer turn's
pause looks like before it (pitch fall, energy fall, the Silero trajectory, the pauses so far)
does not tell it from the turn's end there, so a longer turn keeps the plain hangover.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

from ivr.clock import RATE
from ivr.engine.ports import Vad
from ivr.frames import FRAME, Samples
from ivr.signal.pitch import PhraseEndPitch

DETECTOR_RANGES = {
    "start_p": (0.05, 0.99, ""),
    "stop_p": (0.01, 0.99, ""),
    "start_s": (0.02, 1.0, " s"),
    "stop_s": (0.1, 3.0, " s"),
    "quick_stop_s": (0.1, 3.0, " s"),
    "quick_turn_s": (0.0, 5.0, " s"),
    "rise_st": (0.5, 24.0, " semitones"),
}
"""Each setting's usable range and unit, for `validate` and for the flow file's checks."""


@dataclass(frozen=True)
class DetectorSettings:
    """Speech start and end-of-turn decision; probabilities 0..1, durations in seconds, pitch in semitones."""

    start_p: float = 0.5
    stop_p: float = 0.35
    start_s: float = 0.1
    stop_s: float = 0.5
    quick_stop_s: float = 0.45
    quick_turn_s: float = 1.0
    rise_st: float = 3.0

    def validate(self) -> list[str]:
        """One message per bad value; empty if the settings are usable."""
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            low, high, unit = DETECTOR_RANGES[f.name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                problems.append(f"{f.name}: must be a number, not {value!r}")
            elif not low <= value <= high:
                problems.append(f"{f.name}: {value}{unit} is out of range ({low}-{high}{unit})")
        if not problems:
            if self.stop_p > self.start_p:
                problems.append(f"stop_p: {self.stop_p} must not be above start_p ({self.start_p})")
            if self.quick_stop_s > self.stop_s:
                problems.append(f"quick_stop_s: {self.quick_stop_s} s must not be above stop_s ({self.stop_s} s)")
        return problems


@dataclass(frozen=True)
class SpeechEdge:
    """A change of speech state, with the time (in frames from the start) its cause began."""

    kind: Literal["start", "stop"]
    onset_frame: int


def _frames(seconds: float) -> int:
    return max(1, round(seconds * RATE / FRAME))


class SpeechDetector:
    """Turns per-frame probabilities into speech start edges and end-of-turn (stop) edges."""

    def __init__(self, vad: Vad, settings: DetectorSettings | None = None) -> None:
        self.vad = vad
        self.settings = s = settings or DetectorSettings()
        self._start_frames = _frames(s.start_s)
        self._stop_frames = _frames(s.stop_s)
        self._quick_frames = min(_frames(s.quick_stop_s), self._stop_frames)
        self._quick_turn = round(s.quick_turn_s * RATE / FRAME)
        self.speaking = False
        self._run = 0
        self._frame = 0
        self._turn_onset = 0
        self._needed = self._stop_frames
        self._pitch = PhraseEndPitch()

    def process(self, frame: Samples) -> SpeechEdge | None:
        p = self.vad.probability(frame)
        self._frame += 1
        s = self.settings
        if self.speaking:
            return self._while_speaking(frame, p < s.stop_p)
        if p >= s.start_p:
            if self._run == 0:
                self._pitch.clear()
            self._pitch.add(frame)
            self._run += 1
        else:
            self._pitch.skip()
            self._run = 0
        if self._run < self._start_frames:
            return None
        self.speaking = True
        self._run = 0
        self._turn_onset = self._frame - self._start_frames
        return SpeechEdge("start", self._turn_onset)

    def _while_speaking(self, frame: Samples, silent: bool) -> SpeechEdge | None:
        if not silent:
            self._pitch.add(frame)
            self._run = 0
            return None
        if self._run == 0:
            self._needed = self._silence_needed()
        self._pitch.skip()
        self._run += 1
        if self._run < self._needed:
            return None
        self.speaking = False
        onset, self._run = self._frame - self._run, 0
        return SpeechEdge("stop", onset)

    def _silence_needed(self) -> int:
        """Frames of silence that end the turn, decided when a silence begins."""
        turn = self._frame - 1 - self._turn_onset
        if turn < self._quick_turn and self._pitch.rise() < self.settings.rise_st:
            return self._quick_frames
        return self._stop_frames
