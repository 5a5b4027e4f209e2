"""SIL-2, LSN-1 (barge-in) and CLOSE-1 with real recorded speech through the real adapters."""

from __future__ import annotations

import pytest
from conftest import ReplayFn, caller, events, silence, speech

from ivr.adapters.prompts import PromptStore
from ivr.flowlang.model import Flow


def greeting_seconds(hotline: Flow, prompts: PromptStore) -> float:
    return prompts.get(hotline.text("greeting")).duration


@pytest.mark.rules("SIL-2", "LSN-1", "CLOSE-1")
def test_caller_speaks_after_greeting_gets_no_silent_script(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore, vosk_model
) -> None:
    g = greeting_seconds(hotline, prompts)
    replayed = run_call(caller(silence(g + 2.0), speech(), silence(12)), recognizers=vosk_model)
    # SIL-2: no SIL-1 prompts; the Korean model's words are no known problem, so ASK-1 asks again (UNSURE-1:
    # it does not guess), after the caller's turn ended (LSN-1)
    started = events(replayed, "prompt_started")
    assert [e["rule"] for e in started] == ["ANS-2", "ASK-1"]
    assert started[1]["prompt"] == "not_understood" and started[1]["t"] == events(replayed, "speech_stopped")[0]["t"]
    started = events(replayed, "speech_started")
    assert len(started) == 1 and started[0]["t"] == pytest.approx(g + 2.0, abs=0.3)
    assert events(replayed, "speech_stopped")
    assert [e["state"] for e in events(replayed, "state")][:3] == ["answer", "greeting", "listening"]
    assert events(replayed, "hangup") == [
        {"t": pytest.approx(g + 2.0 + 1.43 + 12, abs=0.03), "event": "hangup", "by": "caller", "rule": "CLOSE-1"}
    ]
    assert events(replayed, "transcript"), "Vosk gives words for the real utterance"


@pytest.mark.rules("LSN-1", "ANS-3")
def test_caller_speaking_during_greeting_cuts_it(run_call: ReplayFn, hotline: Flow, prompts: PromptStore) -> None:
    replayed = run_call(caller(silence(3.0), speech(), silence(8)))
    speech_at = events(replayed, "speech_started")[0]["t"]
    finished = events(replayed, "prompt_finished")[0]
    assert finished["prompt"] == "greeting" and finished["interrupted"] is True
    assert 3.0 < speech_at < 3.4
    assert finished["t"] == pytest.approx(speech_at + 0.02, abs=0.001)  # one fade-out frame (ANS-3)
    assert finished["played"] == pytest.approx(finished["t"], abs=0.001)
    assert finished["played"] < greeting_seconds(hotline, prompts)
    # The IVR's audio really stops: nothing but silence after the cut.
    cut = int(finished["t"] * 16000)
    assert not replayed.ivr_audio[cut:].any()
    assert len(events(replayed, "prompt_started")) == 1


@pytest.mark.rules("CLOSE-1")
def test_caller_hangs_up_mid_prompt(run_call: ReplayFn, vosk_model) -> None:
    replayed = run_call(caller(silence(4.0)), recognizers=vosk_model)
    names = [e["event"] for e in events(replayed)]
    assert names == ["answered", "state", "state", "prompt_started", "prompt_finished", "hangup", "state"]
    finished = events(replayed, "prompt_finished")[0]
    assert finished["interrupted"] is True and finished["played"] == pytest.approx(4.0)
    assert events(replayed, "hangup") == [{"t": 4.0, "event": "hangup", "by": "caller", "rule": "CLOSE-1"}]
    assert replayed.result.ended_by == "caller"
    assert replayed.result.final_state == "caller_hung_up"


@pytest.mark.rules("SIL-2")
def test_caller_speaking_during_the_apology_keeps_the_call(run_call: ReplayFn, hotline: Flow, prompts) -> None:
    g = greeting_seconds(hotline, prompts)
    again = prompts.get(hotline.text("silent_again")).duration
    apology_starts = g + 5 + again + 5
    replayed = run_call(caller(silence(apology_starts + 2.0), speech(), silence(10)))
    last = events(replayed, "prompt_finished")[-1]
    assert last["rule"] == "SIL-1" and last["interrupted"] is True  # SIL-2 at any point
    assert events(replayed, "hangup")[0]["by"] == "caller"
