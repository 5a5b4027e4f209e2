"""Speech detection: per-frame speech probabilities turned into debounced start/stop edges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ivr.clock import RATE
from ivr.engine.ports import Vad
from ivr.frames import FRAME, Samples


@dataclass(frozen=True)
class DetectorSettings:
    """Hysteresis: speech starts after `start_s` above `start_p`, stops after `stop_s` below `stop_p`."""

    start_p: float = 0.5
    stop_p: float = 0.35
    start_s: float = 0.1
    stop_s: float = 0.5


@dataclass(frozen=True)
class SpeechEdge:
    """A change of speech state, with the time (in frames from the start) its cause began."""

    kind: Literal["start", "stop"]
    onset_frame: int


class SpeechDetector:
    """Turns per-frame probabilities into debounced speech start/stop edges."""

    def __init__(self, vad: Vad, settings: DetectorSettings | None = None) -> None:
        self.vad = vad
        self.settings = s = settings or DetectorSettings()
        self._start_frames = max(1, round(s.start_s * RATE / FRAME))
        self._stop_frames = max(1, round(s.stop_s * RATE / FRAME))
        self.speaking = False
        self._run = 0
        self._frame = 0

    def process(self, frame: Samples) -> SpeechEdge | None:
        p = self.vad.probability(frame)
        self._frame += 1
        s = self.settings
        counts = p < s.stop_p if self.speaking else p >= s.start_p
        self._run = self._run + 1 if counts else 0
        needed = self._stop_frames if self.speaking else self._start_frames
        if self._run < needed:
            return None
        self.speaking = not self.speaking
        self._run = 0
        return SpeechEdge("start" if self.speaking else "stop", self._frame - needed)
