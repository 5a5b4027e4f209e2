"""No call holds a line forever: the flow's own waits, a maximum call length, and a backstop for inactivity."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ReplayFn, caller, events, mini_flow, silence, speech

from ivr.adapters.prompts import PromptStore
from ivr.flowlang.model import Flow
from ivr.testing import ScriptedVad, ToneSynth, replay


@pytest.mark.rules("CLOSE-1", "LSN-1")
def test_a_caller_who_speaks_then_vanishes_is_asked_then_let_go(run_call: ReplayFn, hotline: Flow) -> None:
    """The listening state has a limit: still there? then CLOSE-1's goodbye and the hang-up 5 s after it."""
    replayed = run_call(caller(silence(11), speech(), silence(180)))
    said = [e["prompt"] for e in events(replayed, "prompt_started")]
    assert said == ["greeting", "still_there", "close_goodbye"]
    stopped = events(replayed, "speech_stopped")[0]["t"]
    asked = events(replayed, "prompt_started")[1]["t"]
    assert asked - stopped == pytest.approx(hotline.states["listening"].wait, abs=1e-6)
    last = events(replayed, "prompt_finished")[-1]
    assert events(replayed, "hangup") == [
        {"t": pytest.approx(last["t"] + 5.0), "event": "hangup", "by": "ivr", "rule": "CLOSE-1"}
    ]
    assert replayed.result.duration < 60


def test_a_call_never_outlasts_the_flows_maximum(tmp_path: Path) -> None:
    flow = mini_flow(tmp_path, "\n  talk:\n    initial: true\n    say: a\n    on: {speech_started: talk}\n")
    flow = flow.__class__(**{**flow.__dict__, "limits": flow.limits.__class__(max_call_s=30.0, no_activity_s=600.0)})
    prompts = PromptStore(tmp_path, ToneSynth(), flow.audio)
    speech_all_along = [(0.0, 100.0)]
    replayed = replay(flow, caller(silence(100)), prompts, ScriptedVad(speech_all_along), None)
    assert events(replayed, "limit") == [{"t": 30.0, "event": "limit", "limit": "max_call_s", "seconds": 30.0}]
    assert events(replayed, "hangup") == [{"t": 30.0, "event": "hangup", "by": "max_duration"}]
    assert replayed.result.ended_by == "max_duration"


def test_a_flow_left_with_nothing_to_do_is_given_up_after_the_inactivity_limit(tmp_path: Path) -> None:
    flow = mini_flow(tmp_path, "\n  stuck:\n    initial: true\n    say: a\n")
    flow = flow.__class__(**{**flow.__dict__, "limits": flow.limits.__class__(max_call_s=3600.0, no_activity_s=20.0)})
    prompts = PromptStore(tmp_path, ToneSynth(), flow.audio)
    replayed = replay(flow, caller(silence(300)), prompts, ScriptedVad([]), None)
    finished = events(replayed, "prompt_finished")[0]["t"]
    assert events(replayed, "hangup") == [
        {"t": pytest.approx(finished + 20.0, abs=0.021), "event": "hangup", "by": "no_activity"}
    ]
