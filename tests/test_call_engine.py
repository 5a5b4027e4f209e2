"""The engine's frame loop and action vocabulary, with doubles for VAD, recognizer and TTS."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import caller, events, mini_flow, silence

from ivr.adapters.prompts import PromptStore
from ivr.flowlang.model import Flow
from ivr.testing import ScriptedRecognizer, ScriptedVad, ToneSynth, bursts, replay


@pytest.fixture
def tone_prompts(hotline: Flow, tmp_path: Path) -> PromptStore:
    return PromptStore(tmp_path, ToneSynth(), hotline.audio)


@pytest.mark.rules("GRT-1", "LSN-1")
def test_caller_greeting_gets_grt1_reply_when_the_turn_ends(hotline: Flow, tone_prompts: PromptStore) -> None:
    """GRT-1: the words arrive with the end of the caller's turn, and the reply starts then (LSN-1)."""
    g = tone_prompts.get(hotline.text("greeting")).duration
    speech = [(g + 1.0, g + 1.6)]
    replayed = replay(hotline, bursts(g + 12, speech), tone_prompts, ScriptedVad(speech), ScriptedRecognizer(["您 好"]))
    started = events(replayed, "prompt_started")
    assert [(e["prompt"], e["rule"]) for e in started] == [("greeting", "ANS-2"), ("greet_back", "GRT-1")]
    assert started[1]["text"] == "您好，请问有什么可以帮助您？"
    stopped = events(replayed, "speech_stopped")[0]
    words = events(replayed, "transcript")[0]
    assert stopped["onset"] == pytest.approx(g + 1.6, abs=0.021)
    assert words["text"] == "您 好" and words["t"] == stopped["t"] == started[1]["t"]
    assert [e["state"] for e in events(replayed, "state")][-3:] == ["greeting_reply", "listening", "caller_hung_up"]


@pytest.mark.rules("LSN-1")
def test_a_prompt_that_comes_due_while_the_caller_speaks_waits(tone_prompts: PromptStore, tmp_path: Path) -> None:
    """LSN-1: never start talking over the caller; the deferred prompt starts when the turn ends."""
    flow = mini_flow(
        tmp_path,
        """
  first:
    initial: true
    say: a
    timer: 1
    on: {timer: second}
  second:
    say: b
""",
    )
    a = tone_prompts.get(flow.text("a")).duration
    speech = [(a + 0.5, a + 3.0)]
    replayed = replay(flow, bursts(a + 8, speech), tone_prompts, ScriptedVad(speech), None)
    assert [(e["prompt"], e["rule"]) for e in events(replayed, "prompt_deferred")] == [("b", "LSN-1")]
    assert events(replayed, "timer")[0]["t"] == pytest.approx(a + 1.0, abs=1e-9)
    stopped = events(replayed, "speech_stopped")[0]["t"]
    assert stopped == pytest.approx(a + 3.5, abs=0.021)
    assert events(replayed, "prompt_started")[1]["t"] == stopped


@pytest.mark.rules("HEAR-2", "HEAR-3")
def test_a_prompt_without_barge_in_is_said_whole_and_its_timer_ignores_sound(
    tone_prompts: PromptStore, tmp_path: Path
) -> None:
    """HEAR-2/HEAR-3: bargein false; the timer counts from the end of the prompt whatever the line carries."""
    flow = mini_flow(
        tmp_path,
        """
  first:
    initial: true
    say: a
    bargein: false
    timer: 5
    on: {timer: done}
  done:
    rule: HEAR-2
    hangup: true
""",
    )
    a = tone_prompts.get(flow.text("a")).duration
    speech = [(0.5, 1.5), (a + 1, a + 2), (a + 3, a + 4.5)]
    replayed = replay(flow, bursts(a + 20, speech), tone_prompts, ScriptedVad(speech), None)
    finished = events(replayed, "prompt_finished")
    assert len(finished) == 1 and "interrupted" not in finished[0] and finished[0]["t"] == pytest.approx(a, abs=1e-9)
    assert len(events(replayed, "speech_started")) == 3
    assert events(replayed, "hangup")[0]["t"] == pytest.approx(a + 5.0, abs=1e-9)


@pytest.mark.rules("SIL-1")
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


@pytest.mark.rules("ANS-1")
@pytest.mark.parametrize(("rings", "first"), [(1, "greeting"), (5, "greeting"), (6, "late_apology")])
def test_late_answer_opens_with_an_apology(hotline: Flow, tone_prompts: PromptStore, rings: int, first: str) -> None:
    """ANS-1: answered after more than 5 rings, the first words apologise for the wait."""
    replayed = replay(hotline, caller(silence(20)), tone_prompts, ScriptedVad([]), None, rings=rings)
    started = events(replayed, "prompt_started")
    assert events(replayed, "answered")[0]["late"] is (rings > 5)
    assert started[0]["prompt"] == first
    if first == "late_apology":
        assert (started[0]["rule"], started[0]["text"]) == ("ANS-1", "对不起，让您久等了。")
        assert started[1]["prompt"] == "greeting"
        assert started[1]["t"] == events(replayed, "prompt_finished")[0]["t"]
