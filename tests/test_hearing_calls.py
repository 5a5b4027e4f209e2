"""HEAR-1..4 through the real replay path: espeak-ng prompts, Silero, real recorded speech on a line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import CLEAR, QUIET, SPEAKERPHONE, ReplayFn, events, line_call, records_at, speech, stored

from ivr.adapters.directory import Caller, load_directory
from ivr.adapters.prompts import PromptStore
from ivr.clock import RATE
from ivr.flowlang.model import Flow
from ivr.paths import ROOT
from ivr.signal.level import active_level_db
from ivr.testing import Replayed


@pytest.fixture(scope="module")
def directory() -> dict[str, Caller]:
    return load_directory(ROOT / "callers.yaml")


def seconds(prompts: PromptStore, flow: Flow, *prompt_ids: str) -> float:
    return sum(prompts.get(flow.text(p)).duration for p in prompt_ids)


def prompt_rules(replayed: Replayed) -> list[tuple[str, str]]:
    return [(e["prompt"], e["rule"]) for e in events(replayed, "prompt_started")]


def hung_up_after_script(replayed: Replayed, rule: str) -> None:
    """The IVR hangs up 5 s after its script finished (HEAR-2/HEAR-3), never without it."""
    hangup = events(replayed, "hangup")
    assert [(h["by"], h["rule"]) for h in hangup] == [("ivr", rule)]
    last = events(replayed, "prompt_finished")[-1]
    assert last["rule"] == rule and not last.get("interrupted")
    assert hangup[0]["t"] - last["t"] == pytest.approx(5.0, abs=0.02)


@pytest.mark.rules("HEAR-2")
def test_too_quiet_caller_is_asked_louder_then_told_to_use_another_phone(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore, tmp_path: Path
) -> None:
    g = seconds(prompts, hotline, "greeting")
    louder = seconds(prompts, hotline, "louder")
    audio = line_call(g + louder + 25, [(g + 1, "Front_Center", QUIET), (g + 4 + louder, "Rear_Left", QUIET)])
    replayed = run_call(audio, records=records_at(tmp_path / "records.sqlite3"))
    assert [e["hearing"] for e in events(replayed, "utterance")] == ["too_quiet", "too_quiet"]
    assert prompt_rules(replayed) == [("greeting", "ANS-2"), ("louder", "HEAR-2"), ("quiet_other_phone", "HEAR-2")]
    hung_up_after_script(replayed, "HEAR-2")
    assert events(replayed, "callback_registered") == [] and stored(tmp_path / "records.sqlite3", "callbacks") == []


@pytest.mark.rules("HEAR-2")
def test_too_quiet_vip_is_offered_a_call_back_that_is_stored(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore, directory: dict[str, Caller], tmp_path: Path
) -> None:
    g = seconds(prompts, hotline, "greeting")
    louder = seconds(prompts, hotline, "louder")
    audio = line_call(g + louder + 25, [(g + 1, "Front_Center", QUIET), (g + 4 + louder, "Rear_Left", QUIET)])
    vip = directory["13800138000"]
    replayed = run_call(audio, records=records_at(tmp_path / "records.sqlite3"), caller_info=vip)
    assert prompt_rules(replayed)[-1] == ("quiet_call_back", "HEAR-2")
    assert events(replayed, "prompt_started")[-1]["text"] == "对不起，由于您的电话声音太小，您看我们给您打过去，好吗？"
    hung_up_after_script(replayed, "HEAR-2")
    callbacks = stored(tmp_path / "records.sqlite3", "callbacks")
    assert [(c["caller_number"], c["name"], c["reason"], c["rule"], c["status"]) for c in callbacks] == [
        ("13800138000", "张伟", "caller too quiet", "HEAR-2", "open")
    ]
    (call,) = stored(tmp_path / "records.sqlite3", "calls")
    assert callbacks[0]["call_id"] == call["id"] and call["status"] == "complete" and call["ended_by"] == "ivr"
    assert events(replayed, "callback_registered")[0]["callback_id"] == callbacks[0]["id"]


@pytest.mark.rules("HEAR-2", "CLOSE-1")
def test_a_quiet_caller_who_keeps_murmuring_hears_the_whole_script_and_is_hung_up_5_s_after_it(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore
) -> None:
    """然后过5秒挂机: once the IVR cannot hear the caller, murmurs neither cut the script nor delay the hang-up."""
    g = seconds(prompts, hotline, "greeting")
    louder = seconds(prompts, hotline, "louder")
    second = g + 4 + louder
    murmurs = [(second + d, clip, QUIET) for d, clip in [(2.5, "Front_Left"), (4.5, "Rear_Right"), (7.0, "Side_Left"),
               (9.5, "Front_Right"), (12.0, "Side_Right")]]  # fmt: skip
    audio = line_call(second + 30, [(g + 1, "Front_Center", QUIET), (second, "Rear_Left", QUIET), *murmurs])
    replayed = run_call(audio)
    assert prompt_rules(replayed) == [("greeting", "ANS-2"), ("louder", "HEAR-2"), ("quiet_other_phone", "HEAR-2")]
    script = events(replayed, "prompt_started")[-1]["t"]
    hangup = events(replayed, "hangup")[0]["t"]
    spoken = [e["t"] for e in events(replayed, "speech_started") if script < e["t"] < hangup]
    assert len(spoken) >= 2, "the caller murmured during the script and the 5 s after it"
    hung_up_after_script(replayed, "HEAR-2")


@pytest.mark.rules("HEAR-2")
def test_caller_who_speaks_up_after_louder_goes_on(run_call: ReplayFn, hotline: Flow, prompts: PromptStore) -> None:
    g = seconds(prompts, hotline, "greeting")
    louder = seconds(prompts, hotline, "louder")
    audio = line_call(g + louder + 20, [(g + 1, "Front_Center", QUIET), (g + 4 + louder, "Rear_Left", CLEAR)])
    replayed = run_call(audio)
    assert [e["hearing"] for e in events(replayed, "utterance")] == ["too_quiet", "clear"]
    assert prompt_rules(replayed) == [("greeting", "ANS-2"), ("louder", "HEAR-2")]
    assert events(replayed, "state")[-2]["state"] == "listening"
    assert [h["by"] for h in events(replayed, "hangup")] == ["caller"]


@pytest.mark.parametrize(
    ("number", "script", "callback"), [(None, "noisy_other_phone", False), ("01088886666", "noisy_call_back", True)]
)
@pytest.mark.rules("HEAR-3")
def test_noisy_line_gets_its_script_then_hang_up(
    run_call: ReplayFn,
    hotline: Flow,
    prompts: PromptStore,
    directory: dict[str, Caller],
    tmp_path: Path,
    number: str | None,
    script: str,
    callback: bool,
) -> None:
    g = seconds(prompts, hotline, "greeting")
    audio = line_call(g + 25, [(g + 1, "Front_Center", CLEAR)], noise="pink", noise_db=-31.0)
    replayed = run_call(
        audio, records=records_at(tmp_path / "records.sqlite3"), caller_info=directory.get(number or "")
    )
    heard = events(replayed, "utterance")
    said = [e for e in heard if not e.get("ongoing")]
    assert said and said[0]["hearing"] == "noisy" and said[0]["snr_db"] < 15
    # a -31 dBFS line with nobody on it is reported noisy already while the greeting plays (never "silent")
    assert heard[0].get("ongoing") and heard[0]["snr_db"] == 0 and heard[0]["t"] < g
    assert {e["hearing"] for e in heard} == {"noisy"}
    assert prompt_rules(replayed) == [("greeting", "ANS-2"), (script, "HEAR-3")]
    hung_up_after_script(replayed, "HEAR-3")
    assert [c["reason"] for c in stored(tmp_path / "records.sqlite3", "callbacks")] == (
        ["noisy line"] if callback else []
    )
    clip_s = len(speech("Front_Center")) / RATE
    assert all(g + 1 <= e["onset"] <= g + 1 + clip_s for e in events(replayed, "speech_started"))  # never the noise


@pytest.mark.rules("HEAR-1")
def test_speakerphone_caller_is_asked_to_pick_up_the_handset(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore
) -> None:
    g = seconds(prompts, hotline, "greeting")
    handset = seconds(prompts, hotline, "handset")
    audio = line_call(g + handset + 20, [(g + 1, "Front_Center", SPEAKERPHONE), (g + 5 + handset, "Rear_Left", CLEAR)])
    replayed = run_call(audio)
    assert [e["hearing"] for e in events(replayed, "utterance")] == ["speakerphone", "clear"]
    assert prompt_rules(replayed) == [("greeting", "ANS-2"), ("handset", "HEAR-1")]
    assert events(replayed, "prompt_started")[1]["text"] == "对不起，您的声音太小，请您拿起话筒说话好吗？"
    assert [h["by"] for h in events(replayed, "hangup")] == ["caller"]


@pytest.mark.rules("HEAR-4")
def test_prompt_level_never_changes_whoever_is_on_the_line(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore
) -> None:
    """HEAR-4: the IVR's own prompts are at one level, loud line or quiet caller alike."""
    g = seconds(prompts, hotline, "greeting")
    louder = seconds(prompts, hotline, "louder")
    audio = line_call(g + louder + 25, [(g + 1, "Front_Center", QUIET), (g + 4 + louder, "Rear_Left", QUIET)])
    replayed = run_call(audio)
    started, finished = events(replayed, "prompt_started"), events(replayed, "prompt_finished")
    levels = [
        active_level_db(replayed.ivr_audio[int(a["t"] * RATE) : int(b["t"] * RATE)] / 32768)
        for a, b in zip(started, finished, strict=True)
    ]
    assert len(levels) == 3 and max(levels) - min(levels) < 0.5
    assert np.mean(levels) == pytest.approx(-26.0, abs=0.5)


# -- callers hard to hear in more than one way, and lines that never pause ------------------------------------

QUIET_SPEAKERPHONE = {"level_db": -48.0, "rt60": 0.8, "drr_db": -4.0}


def test_quiet_reverberant_caller_hears_hear1_first_then_hear2(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore
) -> None:
    """Quiet AND far from the phone: HEAR-1 names the cause (免提) first; still quiet after it: HEAR-2."""
    g = seconds(prompts, hotline, "greeting")
    handset = seconds(prompts, hotline, "handset")
    audio = line_call(
        g + handset + 20, [(g + 1, "Rear_Left", QUIET_SPEAKERPHONE), (g + 5 + handset, "Front_Center", QUIET)]
    )
    replayed = run_call(audio)
    heard = events(replayed, "utterance")
    assert [e["hearing"] for e in heard] == ["speakerphone", "too_quiet"]
    assert heard[0]["level_db"] < hotline.hearing.quiet_level_db  # below the quiet level, yet HEAR-1 first
    assert prompt_rules(replayed)[:3] == [("greeting", "ANS-2"), ("handset", "HEAR-1"), ("louder", "HEAR-2")]


def line_with(kind: str, seconds_: float, level_db: float) -> np.ndarray:
    """Real babble (5 recorded talkers), real music on hold, or mains hum, alone on the line."""
    from ivr.eval.conditions import at_rms, babble, mains_hum, music, phone_band
    from ivr.eval.sources import music_tracks, speech_clips

    rng = np.random.default_rng(11)
    n = int(seconds_ * RATE)
    if kind == "babble":
        x = babble([c for _, c in speech_clips("test")], 5, n, rng)
    elif kind == "music":
        x = music(music_tracks("test")[0][1], n, rng)
    else:
        x = phone_band(mains_hum(n, rng))
    return at_rms(x, level_db)


@pytest.mark.parametrize(("kind", "level_db"), [("babble", -28.0), ("music", -30.0), ("hum", -30.0)])
def test_a_line_that_never_pauses_is_noisy_within_10_s(kind: str, level_db: float, hotline: Flow) -> None:
    """Through the Listener with the real Silero VAD: babble (heard as endless speech), music or hum (heard as
    no speech at all) get an ongoing noisy verdict within 10 s of call audio (HEAR-3), never silence."""
    from ivr.adapters.vad import SileroVad
    from ivr.engine.listener import Listener, Utterance
    from ivr.frames import FRAME, to_int16

    audio = to_int16(line_with(kind, 10.0, level_db))
    listener = Listener(SileroVad(), None, hotline.hearing, hotline.listening)
    verdicts = []
    for i in range(0, len(audio) - FRAME + 1, FRAME):
        verdicts += [(i / RATE, h) for h in listener.feed(audio[i : i + FRAME]) if isinstance(h, Utterance)]
    assert verdicts, f"{kind}: no verdict in 10 s"
    t, first = verdicts[0]
    assert first.hearing == "noisy" and first.ongoing and t <= 10.0
    assert first.measurement.snr_db < hotline.hearing.noisy_snr_db


def test_babble_after_the_greeting_gets_hear3_without_waiting_for_an_end(
    run_call: ReplayFn, hotline: Flow, prompts: PromptStore
) -> None:
    g = seconds(prompts, hotline, "greeting")
    audio = np.zeros(int((g + 40) * RATE))
    audio[int((g + 1) * RATE) :] = line_with("babble", 39.0, -28.0)
    from ivr.frames import to_int16

    replayed = run_call(to_int16(audio))
    heard = events(replayed, "utterance")
    assert heard and heard[0]["hearing"] == "noisy" and heard[0].get("ongoing")
    assert heard[0]["t"] - (g + 1) <= 10.0
    assert prompt_rules(replayed) == [("greeting", "ANS-2"), ("noisy_other_phone", "HEAR-3")]
    hung_up_after_script(replayed, "HEAR-3")
