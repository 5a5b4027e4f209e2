"""The engine's ports: small protocols, each with a real adapter and a test double (`ivr.testing`)."""

from __future__ import annotations

from collections.abc import Sequence
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
    forced: bool = False
    """Decoded in grammar mode on a model without [unk]: the words may not have been said at all."""


class Recognizer(Protocol):
    """Speech recognition of one call, fed only the caller's speech, one utterance at a time.

    `end_utterance()` asks for the utterance's final words; `poll()` returns them once ready (at
    once for an in-process recogniser, a few frames later for one that runs on a worker thread).
    """

    def accept(self, frame: Samples) -> None: ...

    def end_utterance(self) -> None: ...

    def poll(self) -> Transcript | None: ...

    def hint(self, phrases: Sequence[str] | None) -> None: ...


class RecognizerFactory(Protocol):
    """Makes one recogniser per call from a model shared by all calls."""

    def new_call(self) -> Recognizer: ...


class Synthesizer(Protocol):
    """Text to speech: float mono audio in [-1, 1] and its sample rate."""

    name: str

    def render(self, text: str, voice: str, rate: int) -> tuple[np.ndarray, int]: ...


@dataclass(frozen=True)
class PromptAudio:
    """Ready-to-play prompt audio and where it came from."""

    samples: Samples
    source: str

    @property
    def duration(self) -> float:
        from ivr.clock import RATE

        return len(self.samples) / RATE


class PromptSource(Protocol):
    """Prompt audio for exact words; None while it is still being rendered (live calls render off the loop)."""

    def audio(self, text: str, recording: str | None = None) -> PromptAudio | None: ...
