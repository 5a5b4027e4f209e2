"""The sound card: caller audio from an input device, prompts to an output device, via sounddevice.

The engine's clock advances by the frames the input device delivers, so every timer runs on the
device's own sample clock. Output frames are queued for the output callback; the output fills its
buffer before the call starts, and a few frames of silence stay queued ahead so it never runs dry.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from typing import Any

import numpy as np

from ivr.clock import RATE, get_within
from ivr.errors import IvrError
from ivr.frames import FRAME, Samples

_PREFILL_FRAMES = 3
# PortAudio's "high" latency on PulseAudio is 35 ms: one busy moment (the GIL held, both cores taken)
# and the caller hears a gap inside a prompt. 100 ms rides that out, at 65 ms of extra delay.
_OUTPUT_LATENCY_S = 0.1


def list_devices() -> list[dict[str, Any]]:
    """Every audio device PortAudio sees."""
    import sounddevice as sd

    return [dict(d) for d in sd.query_devices()]  # type: ignore[union-attr]


def _device_names(kind: str) -> str:
    key = f"max_{kind}_channels"
    names = [f"{i}:{d['name']}" for i, d in enumerate(list_devices()) if d[key] > 0]
    return ", ".join(names) or "none"


def resolve_device(spec: str, kind: str) -> int:
    """A device by index, exact name, or unique part of its name; `kind` is input or output."""
    devices = list_devices()
    key = f"max_{kind}_channels"
    usable = [(i, d) for i, d in enumerate(devices) if d[key] > 0]
    if spec.isdigit() and any(i == int(spec) for i, _ in usable):
        return int(spec)
    exact = [i for i, d in usable if d["name"] == spec]
    partial = [i for i, d in usable if spec in d["name"]]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    problem = "matches several" if found else "is not an"
    raise IvrError(f"--device: '{spec}' {problem} {kind} device (devices: {_device_names(kind)})")


class DeviceLine:
    """One duplex line on the sound card: `read()` caller frames, `write()` IVR frames."""

    def __init__(self, input_device: int, output_device: int, media_timeout_s: float = 5.0) -> None:
        self.input_device = input_device
        self.media_timeout_s = media_timeout_s
        self.end_reason = "caller"
        self.output_device = output_device
        self._in: queue.Queue[Samples] = queue.Queue()
        self._out: deque[Samples] = deque(np.zeros(FRAME, np.int16) for _ in range(_PREFILL_FRAMES))
        self._hangup = threading.Event()
        self._streams: list[Any] = []
        self.underruns = 0
        self.overflows = 0
        self._out_calls = 0

    def open(self) -> DeviceLine:
        import sounddevice as sd

        common: dict[str, Any] = {"samplerate": RATE, "channels": 1, "dtype": "int16", "blocksize": FRAME}
        try:
            self._streams = [
                sd.InputStream(device=self.input_device, callback=self._on_input, **common),
                sd.OutputStream(
                    device=self.output_device, callback=self._on_output, latency=_OUTPUT_LATENCY_S, **common
                ),
            ]
            for stream in self._streams:
                stream.start()
        except (sd.PortAudioError, ValueError) as e:
            self.close()
            raise IvrError(
                f"--device: cannot open {self.input_device},{self.output_device} ({e}); "
                f"inputs: {_device_names('input')}; outputs: {_device_names('output')}"
            ) from None
        self._settle(self._streams[1].latency)
        return self

    def _settle(self, latency_s: float) -> None:
        """Let the output fill its buffer before the call: a new stream asks for its whole latency at once, and a
        greeting written meanwhile would be cut by silences. Timed by the input device's own frames."""
        wanted = _PREFILL_FRAMES + round(latency_s * RATE / FRAME) + 2
        while self._out_calls < wanted and self.read() is not None:
            pass
        self._out.extend(np.zeros(FRAME, np.int16) for _ in range(_PREFILL_FRAMES - len(self._out)))
        self.underruns = 0

    def _on_input(self, indata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        if status.input_overflow:
            self.overflows += 1
        self._in.put(indata[:, 0].copy())

    def _on_output(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        self._out_calls += 1
        if status.output_underflow:
            self.underruns += 1
        try:
            outdata[:, 0] = self._out.popleft()
        except IndexError:
            self.underruns += 1
            outdata.fill(0)

    def hang_up(self) -> None:
        """End the call: the next `read()` returns None (the caller hung up, or Ctrl-C)."""
        self._hangup.set()

    def read(self) -> Samples | None:
        """The next caller frame; None when the call is hung up (Ctrl-C) or the device went silent (dead media)."""
        if self._hangup.is_set():
            return None
        try:
            frame = get_within(self._in, self.media_timeout_s)
        except queue.Empty:  # a dead device, not a quiet caller: a quiet caller still delivers frames
            self.end_reason = "dead_media"
            return None
        return frame

    def write(self, frame: Samples) -> None:
        self._out.append(frame)

    def play_out(self) -> None:
        """Keep the line running until the output has played every queued IVR frame."""
        while self._out and self.read() is not None:
            pass

    def close(self) -> None:
        for stream in self._streams:
            try:
                stream.stop()
                stream.close()
            except Exception:  # a stream that failed to open may refuse to close
                pass
        self._streams = []
