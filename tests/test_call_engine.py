"""The engine's frame loop and action vocabulary, with doubles for VAD, recognizer and TTS."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import caller, events, silence

from ivr.adapters.prompts import PromptStore
from ivr.flowlang.model import Flow
from ivr.signal.speech import DetectorSettings
from ivr.testing import ScriptedRecognizer, ScriptedVad, ToneSynth, bursts, replay


@pytest.fixture
def tone_prompts(hotline: Flow, tmp_path: Path) -> PromptStore:
    return PromptStore(tmp_path, ToneSynth(), hotline.audio)


def test_caller_greeting_gets_grt1_reply(hotline: Flow, tone_prompts: PromptStore) -> None:
    g = tone_prompts.get(hotline.text("greeting")).duration
    speech = [(g + 1.0, g + 1.6)]
    said = ScriptedRecognizer([(g + 2.4, "您 好")])
    replayed = replay(hotline, bursts(g + 12, speech), tone_prompts, ScriptedVad(speech), said)
    started = events(replayed, "prompt_started")
    assert [(e["prompt"], e["rule"]) for e in started] == [("greeting", "ANS-2"), ("greet_back", "GRT-1")]
    assert started[1]["text"] == "您好，请问有什么可以帮助您？"
    assert started[1]["t"] == pytest.approx(g + 2.4, abs=0.021)
    assert events(replayed, "transcript")[0]["text"] == "您 好"
    assert [e["state"] for e in events(replayed, "state")][-3:] == ["greeting_reply", "listening", "caller_hung_up"]


def test_no_prompt_starts_while_the_caller_speaks(hotline: Flow, tone_prompts: PromptStore) -> None:
    """LSN-1: a reply that comes due mid-speech waits for the caller to stop."""
    g = tone_prompts.get(hotline.text("greeting")).duration
    speech = [(g + 1.0, g + 4.0)]
    said = ScriptedRecognizer([(g + 2.0, "您好")])
    settings = DetectorSettings(start_s=0.1, stop_s=0.5)
    replayed = replay(hotline, bursts(g + 10, speech), tone_prompts, ScriptedVad(speech), said, detector=settings)
    deferred = events(replayed, "prompt_deferred")
    assert [(e["prompt"], e["rule"]) for e in deferred] == [("greet_back", "LSN-1")]
    stopped = events(replayed, "speech_stopped")[0]["t"]
    reply = events(replayed, "prompt_started")[1]
    assert stopped == pytest.approx(g + 4.5, abs=0.021)
    assert reply["t"] == stopped


def test_silent_script_timing_is_exact_with_any_prompt_lengths(hotline: Flow, tone_prompts: PromptStore) -> None:
    replayed = replay(hotline, caller(silence(120)), tone_prompts, ScriptedVad([]), None)
    started, finished = events(replayed, "prompt_started"), events(replayed, "prompt_finished")
    for before, after in zip(finished, started[1:], strict=False):
        assert after["t"] - before["t"] == pytest.approx(5.0, abs=1e-9)
    assert events(replayed, "no_input")[-1]["waited"] == 5.0
    assert replayed.result.ended_by == "ivr"


def test_record_writes_both_sides(hotline: Flow, tone_prompts: PromptStore, tmp_path: Path) -> None:
    from ivr.signal.wav import read_wav

    out = tmp_path / "call.wav"
    replayed = replay(hotline, caller(silence(3)), tone_prompts, ScriptedVad([]), None, record=out)
    import wave

    with wave.open(str(out)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 16000
        assert w.getnframes() == 3 * 16000
    assert read_wav(out).any()  # the IVR's side carries the greeting
    assert len(replayed.ivr_audio) == 3 * 16000


@pytest.mark.parametrize(("rings", "first"), [(1, "greeting"), (5, "greeting"), (6, "late_apology")])
def test_late_answer_opens_with_an_apology(hotline: Flow, tone_prompts: PromptStore, rings: int, first: str) -> None:
    """ANS-1: answered after more than 5 rings, the first words apologise for the wait."""
    from ivr.adapters.wavline import CollectedOutput, WavCaller
    from ivr.clock import SampleClock
    from ivr.engine.call import Call
    from ivr.engine.timeline import Timeline
    from ivr.signal.speech import SpeechDetector

    clock = SampleClock()
    timeline = Timeline(clock)
    call = Call(
        hotline,
        tone_prompts,
        clock,
        WavCaller(caller(silence(20))),
        CollectedOutput(),
        SpeechDetector(ScriptedVad([])),
        None,
        timeline,
        rings=rings,
    )
    call.run()
    started = [e.fields for e in timeline.of("prompt_started")]
    assert started[0]["prompt"] == first
    if first == "late_apology":
        assert (started[0]["rule"], started[0]["text"]) == ("ANS-1", "对不起，让您久等了。")
        assert started[1]["prompt"] == "greeting"
        gap = timeline.of("prompt_started")[1].t - timeline.of("prompt_finished")[0].t
        assert gap == 0.0
