"""The listener: caller frames in, listening events out — one component for calls and `ivr eval` alike.

VAD -> speech detector (start/stop edges, end of turn) -> utterance meter (level, noise, SNR, decay)
-> hearing classifier -> recogniser. The recogniser hears only speech: a short pre-roll before each
utterance, the utterance itself, and its final words are asked for as soon as the turn ends, so they
arrive with `speech_stopped`, whatever the line carries (digital silence, hiss, noise). While an
utterance goes on longer than `long_turn_s`, the line is measured on a rolling window (minimum
statistics), so a line that never pauses (babble, hum, music) is called noisy without waiting for an
end that never comes (HEAR-3). Likewise a line with no speech on it for `long_turn_s` whose floor is so
loud that no caller could be heard over it (music or hum the VAD calls non-speech) is reported as an
ongoing noisy utterance with SNR 0: such a line is not silent, and SIL-1's "您的电话没有声音" would be wrong.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ivr.clock import RATE
from ivr.engine.ports import Recognizer, Transcript, Vad
from ivr.frames import FRAME, Samples
from ivr.signal.hearing import Hearing, HearingThresholds, Measurement, UtteranceMeter
from ivr.signal.speech import DetectorSettings, SpeechDetector

FRAMES_PER_S = RATE // FRAME


@dataclass(frozen=True)
class ListenSettings:
    """How the listener decides; every field can be set in a flow's `listening:` section."""

    detector: DetectorSettings = field(default_factory=DetectorSettings)
    pre_roll_s: float = 0.3
    long_turn_s: float = 4.0
    rolling_window_s: float = 3.0
    rolling_every_s: float = 0.5

    def problems(self) -> list[str]:
        out = self.detector.validate()
        if not 0.0 <= self.pre_roll_s <= 1.0:
            out.append(f"pre_roll_s must be 0 to 1 s, not {self.pre_roll_s!r}")
        if not 1.0 <= self.long_turn_s <= 30.0:
            out.append(f"long_turn_s must be 1 to 30 s, not {self.long_turn_s!r}")
        if not 1.0 <= self.rolling_window_s <= self.long_turn_s:
            out.append(f"rolling_window_s must be 1 s to long_turn_s, not {self.rolling_window_s!r}")
        if not 0.1 <= self.rolling_every_s <= 5.0:
            out.append(f"rolling_every_s must be 0.1 to 5 s, not {self.rolling_every_s!r}")
        return out


@dataclass(frozen=True)
class SpeechStarted:
    onset: float


@dataclass(frozen=True)
class SpeechStopped:
    onset: float


@dataclass(frozen=True)
class Utterance:
    """A measured utterance; `ongoing` when measured on a rolling window while it still goes on."""

    hearing: Hearing
    measurement: Measurement
    ongoing: bool = False


@dataclass(frozen=True)
class Words:
    transcript: Transcript


Heard = SpeechStarted | SpeechStopped | Utterance | Words


class Listener:
    """Follows one caller's audio frame by frame and says what it heard."""

    def __init__(
        self,
        vad: Vad,
        recognizer: Recognizer | None,
        thresholds: HearingThresholds,
        settings: ListenSettings | None = None,
    ) -> None:
        self.settings = s = settings or ListenSettings()
        self.detector = SpeechDetector(vad, s.detector)
        self.meter = UtteranceMeter()
        self.recognizer = recognizer
        self.thresholds = thresholds
        self._pre_roll_frames = round(s.pre_roll_s * FRAMES_PER_S)
        self._recent: deque[tuple[int, Samples]] = deque(maxlen=self._pre_roll_frames + FRAMES_PER_S)
        self._frames = 0
        self._turn_frames = 0
        self._flagged = False
        self._quiet_frames = 0
        self._line_flagged = False
        self._long = round(s.long_turn_s * FRAMES_PER_S)
        self._every = max(1, round(s.rolling_every_s * FRAMES_PER_S))
        self._window = round(s.rolling_window_s * FRAMES_PER_S)

    @property
    def speaking(self) -> bool:
        return self.detector.speaking

    def feed(self, frame: Samples) -> list[Heard]:
        """Take one caller frame; the events it caused, in order."""
        heard: list[Heard] = []
        was_speaking = self.detector.speaking
        if not was_speaking and self.recognizer is not None:
            self._recent.append((self._frames, frame))
        edge = self.detector.process(frame)
        self._frames += 1
        self.meter.add(frame, self.detector.speaking)
        if edge is not None and edge.kind == "start":
            self.meter.start(edge.onset_frame)
            self._turn_frames = self._frames - edge.onset_frame
            self._flagged = False
            self._quiet_frames = 0
            self._line_flagged = False
            heard.append(SpeechStarted(edge.onset_frame * FRAME / RATE))
            self._start_recognising(edge.onset_frame)
        elif edge is not None:
            heard.append(SpeechStopped(edge.onset_frame * FRAME / RATE))
            if self.recognizer is not None:
                self.recognizer.accept(frame)
                self.recognizer.end_utterance()
            measured = self.meter.stop(edge.onset_frame)
            if measured is not None and not self._flagged:
                heard.append(Utterance(self.thresholds.classify(measured), measured))
        elif was_speaking:
            if self.recognizer is not None:
                self.recognizer.accept(frame)
            self._turn_frames += 1
            heard.extend(self._rolling_check())
        else:
            self._quiet_frames += 1
            heard.extend(self._line_check())
        if self.recognizer is not None and (words := self.recognizer.poll()) is not None:
            heard.append(Words(words))
        return heard

    def _start_recognising(self, onset_frame: int) -> None:
        """Give the recogniser the frames from just before the onset on, so no word is clipped."""
        if self.recognizer is None:
            return
        first = onset_frame - self._pre_roll_frames
        for index, f in self._recent:
            if index >= first:
                self.recognizer.accept(f)
        self._recent.clear()

    def _rolling_check(self) -> list[Heard]:
        """A turn that goes on and on: measure its last window; a noisy line is reported at once (HEAR-3)."""
        if not self._due(self._turn_frames, self._flagged):
            return []
        measured = self.meter.rolling(self._window)
        if measured is None or self.thresholds.classify(measured) != "noisy":
            return []
        self._flagged = True
        return [Utterance("noisy", measured, ongoing=True)]

    def _line_check(self) -> list[Heard]:
        """No speech for a long while on a line too loud to hear anyone over: noisy, not silent (HEAR-3)."""
        if not self._due(self._quiet_frames, self._line_flagged):
            return []
        measured = self.meter.loud_line(self.thresholds.loud_line_db)
        if measured is None:
            return []
        self._line_flagged = True
        return [Utterance(self.thresholds.classify(measured), measured, ongoing=True)]

    def _due(self, frames: int, flagged: bool) -> bool:
        """Not reported yet, and `long_turn_s` reached, then every `rolling_every_s`."""
        return not flagged and frames >= self._long and (frames - self._long) % self._every == 0

    def finish(self) -> list[Heard]:
        """The call is over: the words of an utterance still in progress."""
        if self.recognizer is None:
            return []
        if self.detector.speaking:
            self.recognizer.end_utterance()
        words = self.recognizer.poll()
        return [Words(words)] if words is not None else []
