"""Wiring: a flow, its prompts, a VAD and a recognizer put together into a replayed call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivr.audio import Samples
from ivr.call import Call, CallResult
from ivr.clock import SampleClock
from ivr.directory import Caller
from ivr.flow import Flow
from ivr.ports import RecognizerFactory, Synthesizer, Vad
from ivr.prompts import PromptStore
from ivr.recording import CallRecorder
from ivr.records import Records
from ivr.replay import CollectedOutput, WavCaller
from ivr.timeline import Event, Timeline
from ivr.vad import DetectorSettings, SpeechDetector


def prompt_store(flow: Flow, audio_dir: Path, synth: Synthesizer | None = None) -> PromptStore:
    """The prompt store for a flow's voice settings; espeak-ng unless told otherwise."""
    if synth is None:
        from ivr.tts import Pyttsx3Synthesizer

        synth = Pyttsx3Synthesizer()
    return PromptStore(audio_dir, synth, flow.audio)


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
    clock = SampleClock()
    timeline = Timeline(clock, sinks)
    out = CollectedOutput()
    recorder = CallRecorder(record) if record else None
    try:
        call = Call(
            flow,
            prompts,
            clock,
            WavCaller(caller),
            out,
            SpeechDetector(vad, detector),
            recognizers.new_call() if recognizers else None,
            timeline,
            caller=caller_info,
            records=records,
            recorder=recorder,
        )
        result = call.run()
    except BaseException:
        if recorder is not None:
            recorder.abort()
        raise
    if recorder is not None:
        recorder.close()
    if records is not None:
        number = caller_info.number if caller_info else None
        records.add_call(number, flow.name, result.ended_by, result.duration, [e.as_dict() for e in timeline.events])
    return Replayed(result, timeline, out.samples())
