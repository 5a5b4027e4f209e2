"""Test doubles for the engine's ports, for unit tests of one layer."""

from __future__ import annotations

import numpy as np

from ivr.clock import RATE
from ivr.engine.ports import Transcript
from ivr.frames import FRAME, Samples


class ToneSynth:
    """A Synthesizer double: a 440 Hz tone, 0.1 s per character, at 22.05 kHz like espeak-ng."""

    name = "tone-double"

    def __init__(self) -> None:
        self.rendered: list[str] = []

    def render(self, text: str, voice: str, rate: int) -> tuple[np.ndarray, int]:
        self.rendered.append(text)
        t = np.arange(int(0.1 * len(text) * 22050)) / 22050
        return 0.3 * np.sin(2 * np.pi * 440 * t), 22050


class ScriptedVad:
    """A Vad double: speech during the given (start, end) second ranges of the caller's audio."""

    def __init__(self, speech: list[tuple[float, float]]) -> None:
        self.speech = speech
        self.frame = 0

    def probability(self, frame: Samples) -> float:
        t = self.frame * FRAME / RATE
        self.frame += 1
        return 1.0 if any(a <= t < b for a, b in self.speech) else 0.0


class ScriptedRecognizer:
    """A Recognizer double: returns each transcript once the caller's audio reaches its time."""

    def __init__(self, said: list[tuple[float, str]]) -> None:
        self.said = sorted(said)
        self.frame = 0

    def accept(self, frame: Samples) -> Transcript | None:
        self.frame += 1
        t = self.frame * FRAME / RATE
        if self.said and self.said[0][0] <= t:
            return Transcript(self.said.pop(0)[1], 0.9)
        return None

    def finish(self) -> Transcript | None:
        return None

    def new_call(self) -> ScriptedRecognizer:
        return self


def bursts(seconds: float, ranges: list[tuple[float, float]], level_dbfs: float = -26.0) -> Samples:
    """A caller recording: silence, with 'syllables' (120 ms tone, 60 ms pause) in the given ranges."""
    x = np.zeros(int(seconds * RATE))
    for a, b in ranges:
        t = np.arange(int((b - a) * RATE)) / RATE
        syllables = (t % 0.18) < 0.12
        tone = np.sqrt(2) * 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 1500 * t) * syllables
        x[int(a * RATE) : int(a * RATE) + len(t)] = tone
    return np.round(x * 32767).astype(np.int16)
