"""Plays one prompt at a time, frame by frame; a cut fades out over one frame (ANS-3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivr.clock import RATE
from ivr.frames import FRAME, SILENCE, Samples

_FADE_OUT = np.linspace(1.0, 0.0, FRAME)


@dataclass
class Playing:
    """A prompt being played: what it is and how far it got."""

    prompt: str
    text: str
    rule: str
    samples: Samples
    position: int = 0
    cutting: bool = False
    bargein: bool = True
    tag: int = 0

    @property
    def played(self) -> float:
        return self.position / RATE


class PromptPlayer:
    """Feeds prompt audio to the output one frame at a time."""

    def __init__(self) -> None:
        self.current: Playing | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None

    def start(self, playing: Playing) -> None:
        self.current = playing

    def cut(self) -> None:
        """Stop the prompt after one fade-out frame."""
        if self.current is not None:
            self.current.cutting = True

    def next_frame(self) -> tuple[Samples, Playing | None]:
        """The next output frame, and the prompt that ended with it, if one did."""
        p = self.current
        if p is None:
            return SILENCE, None
        chunk = p.samples[p.position : p.position + FRAME]
        if len(chunk) < FRAME:
            chunk = np.concatenate([chunk, SILENCE[: FRAME - len(chunk)]])
        p.position += FRAME
        if p.cutting:
            chunk = (chunk * _FADE_OUT).astype(np.int16)
        if p.cutting or p.position >= len(p.samples):
            self.current = None
            return chunk, p
        return chunk, None
