"""Replay adapters: a WAV file as the caller, output collected in memory."""

from __future__ import annotations

import numpy as np

from ivr.frames import FRAME, Samples


class WavCaller:
    """The caller's side from a recording; the caller hangs up when it ends."""

    def __init__(self, samples: Samples) -> None:
        self._samples = samples
        self._pos = 0

    def read(self) -> Samples | None:
        if self._pos >= len(self._samples):
            return None
        chunk = self._samples[self._pos : self._pos + FRAME]
        self._pos += FRAME
        if len(chunk) < FRAME:
            chunk = np.concatenate([chunk, np.zeros(FRAME - len(chunk), np.int16)])
        return chunk


class CollectedOutput:
    """The IVR's side, kept as a list of frames."""

    def __init__(self) -> None:
        self.frames: list[Samples] = []

    def write(self, frame: Samples) -> None:
        self.frames.append(frame)

    def samples(self) -> Samples:
        return np.concatenate(self.frames) if self.frames else np.zeros(0, np.int16)
