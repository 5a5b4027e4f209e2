"""The engine's ports: small protocols, each with a real adapter and a test double."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ivr.frames import Samples


class AudioIn(Protocol):
    """The caller's side: one 20 ms frame per read, None once the caller has hung up."""

    def read(self) -> Samples | None: ...


class AudioOut(Protocol):
    """The IVR's side: one 20 ms frame per write."""

    def write(self, frame: Samples) -> None: ...


class Vad(Protocol):
    """Speech probability (0..1) of each 20 ms frame, in order."""

    def probability(self, frame: Samples) -> float: ...


@dataclass(frozen=True)
class Transcript:
    """Words recognised in one caller utterance."""

    text: str
    confidence: float


class Recognizer(Protocol):
    """Streaming speech recognition of one call: frames in, utterances out."""

    def accept(self, frame: Samples) -> Transcript | None: ...

    def finish(self) -> Transcript | None: ...


class RecognizerFactory(Protocol):
    """Makes one recognizer per call from a model shared by all calls."""

    def new_call(self) -> Recognizer: ...


class Synthesizer(Protocol):
    """Text to speech: float mono audio in [-1, 1] and its sample rate."""

    name: str

    def render(self, text: str, voice: str, rate: int) -> tuple[np.ndarray, int]: ...
