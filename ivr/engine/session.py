"""Putting a call together from what a process shares, and running it against a line that is read frame by frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ivr.clock import SampleClock
from ivr.engine.call import Call, Caller, CallResult
from ivr.engine.language import Language
from ivr.engine.listener import Listener
from ivr.engine.ports import AudioIn, AudioOut, PromptSource, RecognizerFactory, Vad
from ivr.engine.timeline import Event, Timeline
from ivr.flowlang.compile import compile_flow
from ivr.flowlang.model import Flow
from ivr.frames import SILENCE, Samples
from ivr.records.port import CallRecords

Sink = Callable[[Event], None]
FrameTap = Callable[[Samples, Samples], None]


@dataclass(frozen=True)
class CallSetup:
    """What every call of a process shares: the flow, prompt audio, a VAD maker, the recogniser model,
    the records store and the language."""

    flow: Flow
    prompts: PromptSource
    make_vad: Callable[[], Vad]
    language: Language
    recognizers: RecognizerFactory | None = None
    records: CallRecords | None = None
    channel: str = "replay"
    worker: str = ""
    sinks: list[Sink] = field(default_factory=list)
    compiled: type = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", compile_flow(self.flow))

    def new_call(
        self,
        caller: Caller | None = None,
        rings: int = 0,
        recording: str | None = None,
        sinks: list[Sink] | None = None,
    ) -> Call:
        """A call on its own clock, timeline and listener, ready to `start()`."""
        clock = SampleClock()
        timeline = Timeline(clock, [*self.sinks, *(sinks or [])])
        recognizer = self.recognizers.new_call() if self.recognizers is not None else None
        listener = Listener(self.make_vad(), recognizer, self.flow.hearing, self.flow.listening)
        return Call(
            self.flow,
            self.prompts,
            listener,
            timeline,
            clock,
            self.language,
            records=self.records,
            caller=caller,
            rings=rings,
            channel=self.channel,
            worker=self.worker,
            recording=recording,
            compiled=self.compiled,
        )


def run_line(call: Call, audio_in: AudioIn, audio_out: AudioOut, tap: FrameTap | None = None) -> CallResult:
    """Drive a call from a line that is read frame by frame, until the IVR or the caller ends it."""
    call.start()
    while not call.ended:
        frame = audio_in.read()
        if frame is None:  # the line says why: the caller hung up, or its media died
            call.end(getattr(audio_in, "end_reason", "caller"))
            break
        out = call.step(frame)
        audio_out.write(out)
        if tap is not None:
            tap(frame, out)
    while call.player.current is not None:  # ANS-3: a prompt cut by the hang-up fades out
        out = call.drain()
        audio_out.write(out)
        if tap is not None:
            tap(SILENCE, out)
    call.close_record()
    return call.result()
