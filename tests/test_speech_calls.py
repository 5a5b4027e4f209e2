"""SIL-2, LSN-1 (barge-in) and CLOSE-1 with real recorded speech through the real adapters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ReplayFn, caller, events, silence, speech

from ivr.adapters.espeak import EspeakSynthesizer
from ivr.adapters.prompts import PromptStore
from ivr.adapters.scripted_caller import CALLER_RATE, CALLER_VOICE
from ivr.adapters.vosk import VoskModel, VoskRecognizer
from ivr.eval.dataset import line_noise
from ivr.flowlang.model import AudioSettings, Flow
from ivr.frames import to_int16


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


@pytest.mark.parametrize("line", ["digital zeros", "hiss -55 dBFS"])
@pytest.mark.rules("GRT-1", "LSN-1")
def test_a_greeting_gets_its_transcript_within_300_ms_of_the_caller_stopping(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore, vosk_model, tmp_path: Path, line: str
) -> None:
    """Vosk never endpoints on exact zeros (dither off): the listener ends the utterance itself, at once."""
    voice = PromptStore(tmp_path, EspeakSynthesizer(), AudioSettings(CALLER_VOICE, CALLER_RATE))
    hello = voice.get("您好").samples
    g = greeting_seconds(hotline, prompts)
    audio = caller(silence(g + 1.0), hello, silence(6))
    if line != "digital zeros":
        audio = to_int16(audio / 32768 + line_noise("white", len(audio), -55.0, np.random.default_rng(3)))
    replayed = run_call(audio, recognizers=vosk_model)
    (stopped,) = events(replayed, "speech_stopped")
    (heard,) = events(replayed, "transcript")
    assert heard["text"], "the Korean model gives some words for the sound (their content is not the point)"
    assert 0 <= heard["t"] - stopped["t"] <= 0.3
    assert heard["t"] - (g + 1.0 + len(hello) / 16000) <= 0.8  # the detector's end-of-turn wait, then at once


READ_BACK_FLOW = """
  ask:
    initial: true
    hints: [네, 아니요, 예]
    collect: {slot: what, ask: a, noinput: [a], nomatch: [a], confirm: c, apology: b}
    wait: 8
    on: {filled: done, give_up: done}
  done:
    say: b
    on: {prompt_finished: bye}
  bye:
    hangup: true
"""


@pytest.mark.rules("CONF-1", "LSN-1", "UNSURE-1")
def test_a_caller_who_talks_over_the_read_back_cuts_it_and_a_forced_grammar_word_is_no_yes(
    vosk_model, prompts: PromptStore, tmp_path: Path
) -> None:
    """The real Korean model in grammar mode (no [unk], so every sound is forced onto the list): timing and
    barge-in only. The caller answers, the IVR reads it back, the caller talks over the read-back."""
    from conftest import mini_flow

    from ivr.adapters.vad import SileroVad
    from ivr.testing import replay

    flow = mini_flow(
        tmp_path,
        READ_BACK_FLOW,
        "  a: {rule: ASK-1, text: 请问有什么可以帮助您？}\n  b: {rule: APOL-1, text: 好的。}\n"
        "  c:\n    rule: CONF-1\n    text: 您说的是{value}，这个问题我们会认真记录下来，对吗？\nslots:\n  what: text\n",
    )
    store = PromptStore(tmp_path / "audio", EspeakSynthesizer(), flow.audio)
    ask = store.get(flow.text("a")).duration
    answered = ask + 1.0
    audio = caller(silence(answered), speech("Front_Center"), silence(2.2), speech("Rear_Left"), silence(20))
    replayed = replay(flow, audio, store, SileroVad(), vosk_model)
    read_back = [e for e in events(replayed, "prompt_finished") if e["prompt"] == "c"]
    assert read_back and read_back[0]["interrupted"] is True  # LSN-1: the caller talked over it
    cut_at = read_back[0]["t"]
    started = [e["t"] for e in events(replayed, "speech_started")]
    assert any(abs(cut_at - (t + 0.02)) < 0.001 for t in started)
    filled = events(replayed, "slot_filled")
    assert filled and filled[0]["value"], "the first answer filled the slot (with whatever the grammar forced)"
    transcripts = events(replayed, "transcript")
    assert len(transcripts) >= 2 and set(transcripts[1]["text"].split()) <= {"네", "아니요", "예"}
    assert events(replayed, "slot_confirmed") == [], "a word the grammar forced is never a yes (UNSURE-1)"


class _Watched:
    """The real Vosk model, keeping each call's recogniser to look at afterwards."""

    def __init__(self, model: VoskModel) -> None:
        self.model = model
        self.made: list[VoskRecognizer] = []

    def new_call(self) -> VoskRecognizer:
        self.made.append(self.model.new_call())
        return self.made[-1]


@pytest.mark.parametrize("speaks", [False, True])
def test_vosk_is_built_only_when_the_caller_speaks(run_call: ReplayFn, vosk_model: VoskModel, speaks: bool) -> None:
    # Issue 7.7: a silent or hissy call costs no recogniser (~70 ms of a core each, and again per phrase list).
    watched = _Watched(vosk_model)
    line = caller(silence(3.0), speech(), silence(8)) if speaks else caller(silence(20.0))
    replayed = run_call(line, recognizers=watched)
    assert len(watched.made) == 1 and watched.made[0].built is speaks
    assert bool(events(replayed, "transcript")) is speaks
