"""Test helpers that ship with the package: port doubles, a replay helper and a records double.

Doubles are for unit tests of one layer; every feature is also tested through the real adapters.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ivr.adapters.language import MandarinLanguage
from ivr.adapters.wavline import CollectedOutput, WavCaller
from ivr.clock import RATE
from ivr.engine.call import Caller, CallResult
from ivr.engine.listener import ListenSettings
from ivr.engine.ports import PromptSource, RecognizerFactory, Transcript, Vad
from ivr.engine.session import CallSetup, Sink, run_line
from ivr.engine.timeline import Timeline
from ivr.flowlang.model import Flow
from ivr.frames import FRAME, Samples
from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest


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
    """A Recognizer double: each utterance's words, in order, when the utterance ends."""

    def __init__(self, said: Sequence[str | Transcript]) -> None:
        self.said = [s if isinstance(s, Transcript) else Transcript(s, 0.9) for s in said]
        self.frames = 0
        self._ready: Transcript | None = None

    def accept(self, frame: Samples) -> None:
        self.frames += 1

    def end_utterance(self) -> None:
        if self.said:
            self._ready = self.said.pop(0)

    def poll(self) -> Transcript | None:
        ready, self._ready = self._ready, None
        return ready

    def hint(self, phrases: Sequence[str] | None) -> None:
        pass

    def new_call(self) -> ScriptedRecognizer:
        return self


@dataclass
class MemoryRecords:
    """A CallRecords double that keeps everything in memory."""

    calls: dict[str, tuple[CallStart, CallEnd | None]] = field(default_factory=dict)
    callbacks: list[tuple[str, CallbackRequest]] = field(default_factory=list)
    tickets: list[tuple[str, TicketRequest]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def open_call(self, start: CallStart) -> str:
        call_id = f"c{next(self._ids)}"
        self.calls[call_id] = (start, None)
        return call_id

    def add_callback(self, call_id: str, cb: CallbackRequest) -> str:
        self.callbacks.append((call_id, cb))
        return f"cb{len(self.callbacks)}"

    def add_ticket(self, call_id: str, ticket: TicketRequest) -> str:
        self.tickets.append((call_id, ticket))
        return f"t{len(self.tickets)}"

    def close_call(self, call_id: str, end: CallEnd) -> None:
        self.calls[call_id] = (self.calls[call_id][0], end)

    def close(self) -> None:
        pass


def bursts(seconds: float, ranges: list[tuple[float, float]], level_dbfs: float = -26.0) -> Samples:
    """A caller recording: silence, with 'syllables' (120 ms tone, 60 ms pause) in the given ranges."""
    x = np.zeros(int(seconds * RATE))
    for a, b in ranges:
        t = np.arange(int((b - a) * RATE)) / RATE
        syllables = (t % 0.18) < 0.12
        tone = np.sqrt(2) * 10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 1500 * t) * syllables
        x[int(a * RATE) : int(a * RATE) + len(t)] = tone
    return np.round(x * 32767).astype(np.int16)


@dataclass(frozen=True)
class Replayed:
    result: CallResult
    timeline: Timeline
    ivr_audio: Samples


def replay(
    flow: Flow,
    caller: Samples,
    prompts: PromptSource,
    vad: Vad,
    recognizers: RecognizerFactory | None,
    sinks: list[Sink] | None = None,
    record: Path | None = None,
    listening: ListenSettings | None = None,
    caller_info: Caller | None = None,
    records: object | None = None,
    rings: int = 0,
) -> Replayed:
    """Run one call with a recording as the caller, under the simulated clock."""
    from ivr.adapters.recorder import CallRecorder

    if listening is not None:
        flow = replace(flow, listening=listening)
    setup = CallSetup(flow, prompts, lambda: vad, MandarinLanguage(), recognizers, records, sinks=list(sinks or []))  # type: ignore[arg-type]
    call = setup.new_call(caller_info, rings=rings, recording=str(record) if record else None)
    out = CollectedOutput()
    recorder = CallRecorder(record) if record else None
    tap: Callable[[Samples, Samples], None] | None = recorder.add if recorder else None
    try:
        result = run_line(call, WavCaller(caller), out, tap)
    except BaseException:
        if recorder is not None:
            recorder.abort()
        raise
    if recorder is not None:
        recorder.close()
    return Replayed(result, call.timeline, out.samples())
