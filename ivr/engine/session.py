"""Wiring: a flow, its prompts, a VAD and a recognizer put together into one call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivr.adapters.directory import Caller
from ivr.adapters.prompts import PromptStore
from ivr.adapters.recorder import CallRecorder
from ivr.adapters.records import Records
from ivr.adapters.wavline import CollectedOutput, WavCaller
from ivr.clock import SampleClock
from ivr.engine.call import Call, CallResult
from ivr.engine.ports import AudioIn, AudioOut, RecognizerFactory, Synthesizer, Vad
from ivr.engine.timeline import Event, Timeline
from ivr.flowlang.flow import Flow
from ivr.frames import Samples
from ivr.signal.speech import DetectorSettings, SpeechDetector


def prompt_store(flow: Flow, audio_dir: Path, synth: Synthesizer | None = None) -> PromptStore:
    """The prompt store for a flow's voice settings; espeak-ng unless told otherwise."""
    if synth is None:
        from ivr.adapters.espeak import Pyttsx3Synthesizer

        synth = Pyttsx3Synthesizer()
    return PromptStore(audio_dir, synth, flow.audio)


@dataclass(frozen=True)
class CallSetup:
    """What every call of a process shares: the flow, its prompts, a VAD maker, the recognizer model."""

    flow: Flow
    prompts: PromptStore
    make_vad: Callable[[], Vad]
    recognizers: RecognizerFactory | None = None
    records: Records | None = None
    detector: DetectorSettings | None = None


def run_call(
    setup: CallSetup,
    audio_in: AudioIn,
    audio_out: AudioOut,
    sinks: list[Callable[[Event], None]] | None = None,
    record: Path | None = None,
    caller: Caller | None = None,
    **call_vars: object,
) -> tuple[CallResult, Timeline]:
    """Run one call to its end; the recording and the call record are written only once it is over."""
    clock = SampleClock()
    timeline = Timeline(clock, sinks)
    recorder = CallRecorder(record) if record else None
    try:
        call = Call(
            setup.flow,
            setup.prompts,
            clock,
            audio_in,
            audio_out,
            SpeechDetector(setup.make_vad(), setup.detector),
            setup.recognizers.new_call() if setup.recognizers else None,
            timeline,
            caller=caller,
            records=setup.records,
            recorder=recorder,
            **call_vars,  # type: ignore[arg-type]
        )
        result = call.run()
    except BaseException:
        if recorder is not None:
            recorder.abort()
        raise
    if recorder is not None:
        recorder.close()
    if setup.records is not None:
        number = caller.number if caller else None
        events = [e.as_dict() for e in timeline.events]
        setup.records.add_call(number, setup.flow.name, result.ended_by, result.duration, events)
    return result, timeline


@dataclass(frozen=True)
class Replayed:
    result: CallResult
    timeline: Timeline
    ivr_audio: Samples


def replay(
    flow: Flow,
    caller: Samples,
    prompts: PromptStore,
    vad: Vad,
    recognizers: RecognizerFactory | None,
    sinks: list[Callable[[Event], None]] | None = None,
    record: Path | None = None,
    detector: DetectorSettings | None = None,
    caller_info: Caller | None = None,
    records: Records | None = None,
) -> Replayed:
    """Run one call with a recording as the caller, under the simulated clock."""
    out = CollectedOutput()
    setup = CallSetup(flow, prompts, lambda: vad, recognizers, records, detector)
    result, timeline = run_call(setup, WavCaller(caller), out, sinks, record, caller_info)
    return Replayed(result, timeline, out.samples())
