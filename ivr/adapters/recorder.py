"""Call recordings (caller left, IVR right), streamed to disk and published atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
import wave
from pathlib import Path
from types import TracebackType

import numpy as np

from ivr.clock import RATE
from ivr.errors import IvrError
from ivr.frames import Samples


class CallRecorder:
    """Writes a two-channel WAV frame by frame; the file appears only when the call is done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        except OSError as e:
            raise IvrError(f"--record: cannot write {path} ({e.strerror})") from None
        self._tmp = Path(tmp)
        os.close(fd)
        self._wav = wave.open(tmp, "wb")  # noqa: SIM115 - open for the whole call, closed in close()
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(RATE)

        self.failed: str | None = None

    def add(self, caller: Samples, ivr: Samples) -> None:
        """One frame of each side; a write that fails (a full disk) ends the recording, never the call."""
        if self.failed is not None:
            return
        try:
            self._wav.writeframes(np.column_stack([caller, ivr]).astype("<i2").tobytes())
        except OSError as e:
            self.failed = e.strerror or str(e)
            self.abort()

    def close(self) -> None:
        """Publish the recording; if it failed mid-call, nothing is left behind and the reason is raised."""
        if self.failed is not None:
            raise IvrError(f"--record: {self.path} could not be written ({self.failed}); the call went on without it")
        try:
            self._wav.close()
            _sync(self._tmp)
            os.replace(self._tmp, self.path)
        except OSError as e:
            self.abort()
            raise IvrError(f"--record: {self.path} could not be written ({e.strerror})") from None

    def abort(self) -> None:
        with contextlib.suppress(OSError):  # a full disk may refuse even the header's last update
            self._wav.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> CallRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def _sync(path: Path) -> None:
    """Flush a finished file to disk before it is renamed into place, so a crash cannot publish it empty."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
