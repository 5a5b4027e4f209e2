"""Replay adapters: a WAV file as the caller, output collected in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ivr.engine.ports import AudioIn
from ivr.frames import FRAME, Samples


class WavCaller:
    """The caller's side from a recording, streamed or in memory; the caller hangs up when it ends."""

    def __init__(self, source: Samples | AudioIn) -> None:
        self._source = source if not isinstance(source, np.ndarray) else None
        self._frames = _frames(source) if isinstance(source, np.ndarray) else None

    @classmethod
    def open(cls, path: Path | str) -> WavCaller:
        """Stream any WAV file (see ivr.signal.wav): memory stays bounded whatever its length."""
        from ivr.signal.wav import CallerAudio

        return cls(CallerAudio(path))

    def read(self) -> Samples | None:
        if self._frames is not None:
            return next(self._frames, None)
        assert self._source is not None
        return self._source.read()

    @property
    def end_reason(self) -> str:
        return str(getattr(self._source, "end_reason", "caller"))

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def _frames(samples: Samples) -> Iterator[Samples]:
    for i in range(0, len(samples), FRAME):
        chunk = samples[i : i + FRAME]
        yield chunk if len(chunk) == FRAME else np.concatenate([chunk, np.zeros(FRAME - len(chunk), np.int16)])


class CollectedOutput:
    """The IVR's side, kept as a list of frames."""

    def __init__(self) -> None:
        self.frames: list[Samples] = []

    def write(self, frame: Samples) -> None:
        self.frames.append(frame)

    def samples(self) -> Samples:
        return np.concatenate(self.frames) if self.frames else np.zeros(0, np.int16)
