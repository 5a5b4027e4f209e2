"""SIL-1 / ANS-2 through the real adapters: espeak-ng prompts, Silero VAD, Vosk, WAV callers."""

from __future__ import annotations

import pytest
from conftest import ReplayFn, caller, events, hiss, silence

from ivr.app.samples import hiss_call
from ivr.flowlang.model import Flow

SIL1 = [
    "您好，请问有什么可以帮助您？",
    "对不起，您的电话没有声音，请您换一部电话再次打来，好吗？再见！",
]


def check_silent_script(replayed, hotline: Flow) -> None:
    """SIL-1 as the design card draws it: the ANS-2 greeting (the greet), 5 s, the re-greet, 5 s, the apology,
    5 s, hang up; each 5 s of silence counted from the end of the prompt before it."""
    started = events(replayed, "prompt_started")
    finished = events(replayed, "prompt_finished")
    assert [e["text"] for e in started] == [hotline.text("greeting"), *SIL1]
    assert [e["rule"] for e in started] == ["ANS-2", "SIL-1", "SIL-1"]
    assert started[0]["t"] == 0.0
    assert "软件事业部12号" in started[0]["text"] and "客服代表王芳" in started[0]["text"]
    assert not any(e.get("interrupted") for e in finished)
    for before, after in zip(finished, started[1:], strict=False):
        assert after["t"] - before["t"] == pytest.approx(5.0, abs=0.02)
    hangups = events(replayed, "hangup")
    assert hangups == [{"t": hangups[0]["t"], "event": "hangup", "by": "ivr", "rule": "SIL-1"}]
    assert hangups[0]["t"] - finished[-1]["t"] == pytest.approx(5.0, abs=0.02)
    assert events(replayed, "speech_started") == []


@pytest.mark.rules("SIL-1", "ANS-2")
def test_silent_caller_gets_the_whole_silent_script(run_call: ReplayFn, hotline: Flow, vosk_model) -> None:
    replayed = run_call(caller(silence(60)), recognizers=vosk_model)
    check_silent_script(replayed, hotline)
    assert replayed.result.ended_by == "ivr"
    assert events(replayed, "transcript") == []


@pytest.mark.rules("SIL-1")
@pytest.mark.parametrize("level_dbfs", [-50.0, -40.0, -30.0, -20.0])
def test_line_hiss_is_not_speech(run_call: ReplayFn, hotline: Flow, level_dbfs: float) -> None:
    check_silent_script(run_call(caller(hiss(60, level_dbfs))), hotline)


def test_sample_hiss_call_at_telephone_rate(run_call: ReplayFn, hotline: Flow, tmp_path) -> None:
    from ivr.signal.wav import read_wav, write_wav

    path = tmp_path / "hiss8k.wav"
    write_wav(path, [hiss_call()], 8000)
    check_silent_script(run_call(read_wav(path)), hotline)


def test_same_input_gives_identical_timeline(run_call: ReplayFn, vosk_model) -> None:
    from conftest import speech

    audio = caller(silence(11), speech(), silence(3), speech("Rear_Left"), silence(6))
    first = run_call(audio, recognizers=vosk_model)
    second = run_call(audio, recognizers=vosk_model)
    assert [e.json() for e in first.timeline.events] == [e.json() for e in second.timeline.events]
    assert (first.ivr_audio == second.ivr_audio).all()
    assert events(first, "transcript"), "the real model should hear words in real speech"
