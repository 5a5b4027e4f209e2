"""The hearing classifier on the labelled evaluation sets of real recorded speech (HEAR-1..3), through the Listener.

The sets are heard once per module (about a minute on this machine) and shared by the tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from ivr.adapters.vad import SileroVad
from ivr.clock import RATE
from ivr.eval import dataset as evalset
from ivr.eval import scoring
from ivr.eval.sources import f0_track, speech_clips
from ivr.flowlang.model import Flow
from ivr.signal.hearing import HearingThresholds, Measurement

CLEAN_GOAL = 0.98
OVERLAP_GOAL = 0.90
_heard: dict[tuple[str, str, str], list[scoring.Result]] = {}


def heard(split: str, which: str, hotline: Flow, vad: str = "silero") -> list[scoring.Result]:
    """The listener's reports on one set (cached for the module)."""
    key = (split, which, vad)
    if key not in _heard:
        make = None if vad == "silero" else baseline_vad
        _heard[key] = scoring.evaluate(evalset.build(split, which), hotline.hearing, hotline.listening, make)
    return _heard[key]


def baseline_vad() -> SileroVad:
    """Silero as it was before the cost work: gate at -80 dBFS, the network on every other frame, no input gain."""
    return SileroVad(gate_dbfs=-80.0, floor_margin_db=0.0, hold=0.0, gain_db=0.0, close_s=0.0)


def test_sets_are_deterministic_and_splits_are_disjoint(hotline: Flow) -> None:
    for which in evalset.SETS:
        first = [r.item for r in heard("test", which, hotline)]
        again = list(evalset.build("test", which))
        assert [i.name for i in first] == [i.name for i in again]
        assert all((a.audio == b.audio).all() and a.params == b.params for a, b in zip(first, again, strict=True))
    dev_clips = {name for name, _ in speech_clips("dev")}
    test_clips = {name for name, _ in speech_clips("test")}
    assert dev_clips and test_clips and not dev_clips & test_clips
    assert len({c.split("/")[0] for c in test_clips}) >= 6  # several recorded speakers


def test_a_longer_lead_puts_more_line_before_every_caller_and_changes_nothing_else() -> None:
    # `ivr eval --lead 10`: the caller speaks after the greeting, when the VAD's noise floor has settled
    for which in evalset.SETS:
        usual = {i.name: i for i in evalset.build("dev", which)}
        for item in evalset.build("dev", which, lead_s=10.0):
            before = usual[item.name]
            assert item.params == before.params and item.label == before.label
            speaks = "clip" in item.params  # the lines with nobody on them are as long as ever
            default = evalset.UNDER_LEAD_S if item.params.get("condition", "").endswith("_under") else evalset.LEAD_S
            added = round((10.0 - default) * RATE) if speaks else 0
            assert len(item.audio) == len(before.audio) + added, item.name


def test_overlap_set_has_every_band_the_rules_name(hotline: Flow) -> None:
    items = [r.item for r in heard("dev", "overlap", hotline)]
    conditions = {(i.params["condition"], i.label) for i in items}
    assert {
        ("quiet_reverberant", "speakerphone"),  # HEAR-1 first, even below the quiet level
        ("speakerphone_any", "speakerphone"),
        ("quiet_hiss", "too_quiet"),  # SNR above the noisy band: the voice is what is weak (HEAR-2)
        ("noisy_quiet", "noisy"),  # HEAR-3 whatever the level
        ("babble_under", "noisy"),
        ("music_under", "noisy"),
        ("hum_under", "noisy"),
        ("babble_alone", "noisy"),
        ("music_alone", "noisy"),
        ("hum_alone", "noisy"),
        ("hiss_alone", "noisy"),
    } == conditions
    talkers = [i.params["talkers"] for i in items if "talkers" in i.params]
    assert talkers and min(talkers) >= 3 and max(talkers) <= 6


def test_overlap_set_reaches_its_goal_on_the_held_out_split(hotline: Flow) -> None:
    accuracy = scoring.accuracy(scoring.confusion(heard("test", "overlap", hotline), hotline.hearing))
    assert set(accuracy) == {"too_quiet", "noisy", "speakerphone"}
    assert all(value >= OVERLAP_GOAL for value in accuracy.values()), accuracy


def test_clean_set_reaches_its_goal(hotline: Flow) -> None:
    """>= 98 % per class on the held-out split and over both (128 recordings a class). Measured: too quiet 63/64
    on test (one 0.44 s word whose own fade is as slow as a room's: HEAR-1 first), 64/64 on dev."""
    test = scoring.confusion(heard("test", "clean", hotline), hotline.hearing)
    both = scoring.confusion(heard("test", "clean", hotline) + heard("dev", "clean", hotline), hotline.hearing)
    assert set(test) == set(evalset.LABELS)
    assert all(value >= CLEAN_GOAL for value in scoring.accuracy(test).values()), test
    assert all(value >= CLEAN_GOAL for value in scoring.accuracy(both).values()), both
    assert scoring.accuracy(test)["silence"] == 1.0  # a dead line is never speech


def test_a_quiet_word_on_hiss_at_the_digital_silence_edge_is_heard(hotline: Flow) -> None:
    """HEAR-2: white hiss at -80 dBFS straddles the VAD's digital-silence cut; when that cut sat at -80 dBFS,
    the frames above it ran Silero on its stale in-speech state, it flickered back to speech after this quiet
    man's word (-51 dBFS) and the utterance never ended: a too-quiet caller taken for a silent one (SIL-1)."""
    [result] = [r for r in heard("test", "clean", hotline) if r.item.name == "test-117-too_quiet"]
    assert result.item.params["noise"] == "white" and result.measurement is not None
    assert result.measurement.noise_db < -79 and result.predicted(hotline.hearing) == "too_quiet"


def test_configured_thresholds_are_the_ones_the_data_gives(hotline: Flow) -> None:
    dev = heard("dev", "clean", hotline) + heard("dev", "overlap", hotline)
    derived = scoring.derive(dev)
    configured = hotline.hearing
    assert derived.noisy_snr_db == pytest.approx(configured.noisy_snr_db, abs=0.5)
    assert derived.quiet_level_db == pytest.approx(configured.quiet_level_db, abs=0.5)
    assert derived.speakerphone_decay_db_s == pytest.approx(configured.speakerphone_decay_db_s, abs=5)
    assert scoring.accuracy(scoring.confusion(heard("dev", "clean", hotline), derived))["clear"] == 1.0


def test_vad_gate_and_noise_floor_skip_lose_no_class(hotline: Flow) -> None:
    """The -60 dBFS gate and the noise-floor skip save the network's cost; its input gain keeps quiet callers heard.

    Against Silero as it was (gate -80 dBFS, no skip, no gain), both splits (1,276 recordings). Measured: every
    class within two recordings of the old VAD (the two cut a borderline utterance differently: clean
    speakerphone 126 vs 128 of 128, overlap too quiet 124 vs 125 of 128; overlap noisy 315 vs 314 of 320) and
    quiet far-field callers heard far more often (overlap speakerphone 245 vs 207 of 256).
    """
    gained = 0
    for which in evalset.SETS:
        now = scoring.confusion(heard("dev", which, hotline) + heard("test", which, hotline), hotline.hearing)
        before = scoring.confusion(
            heard("dev", which, hotline, "baseline") + heard("test", which, hotline, "baseline"), hotline.hearing
        )
        assert all(now[label][label] >= before[label][label] - 2 for label in now), (which, now, before)
        gained += sum(now[label][label] - before[label][label] for label in now)
    assert gained >= 20


def test_a_loud_line_with_no_speech_is_noisy_not_silent(hotline: Flow) -> None:
    """Music, hum and hiss alone at -35..-20 dBFS: an ongoing noisy report, so SIL-1's "no sound" is never said."""
    alone = [r for r in heard("test", "overlap", hotline) if r.item.params["condition"].endswith("_alone")]
    assert len(alone) == 32
    assert all(r.measurement is not None and r.predicted(hotline.hearing) == "noisy" for r in alone)
    dead = [r for r in heard("test", "clean", hotline) if r.item.label == "silence"]
    assert all(r.measurement is None for r in dead)  # digital silence and hiss up to -47 dBFS stay silence


def test_clear_speech_at_the_nominal_level_never_triggers_a_hear_script(hotline: Flow) -> None:
    for index, (name, clip) in enumerate(speech_clips("test")):
        rng = np.random.default_rng(index)
        audio = evalset.compose(clip, -26.0, "white", -70.0, rng)
        measured, _ = scoring.hear(evalset.to_int16(audio), hotline.hearing)
        assert measured is not None and hotline.hearing.classify(measured) == "clear", (name, measured)


def test_order_of_the_checks() -> None:
    """Noisy first (HEAR-3), then speakerphone (HEAR-1 names the cause), then too quiet (HEAR-2)."""
    t = HearingThresholds(noisy_snr_db=15, quiet_level_db=-40, speakerphone_decay_db_s=-259)
    assert t.classify(Measurement(-50, -60, 10, -100, 1)) == "noisy"
    assert t.classify(Measurement(-50, -80, 30, -100, 1)) == "speakerphone"  # quiet and reverberant
    assert t.classify(Measurement(-50, -80, 30, -500, 1)) == "too_quiet"
    assert t.classify(Measurement(-30, -80, 50, -100, 1)) == "speakerphone"
    assert t.classify(Measurement(-30, -80, 50, -500, 1)) == "clear"
    assert t.loud_line_db == -41


def test_pitch_tells_a_low_voice_from_a_high_one() -> None:
    """The F0 measure used to look for male voices among the recordings (see ivr.eval.sources)."""
    t = np.arange(RATE) / RATE
    for f0 in (110.0, 210.0):
        pulses = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 15))
        assert np.median(f0_track(0.3 * pulses)) == pytest.approx(f0, rel=0.03)
