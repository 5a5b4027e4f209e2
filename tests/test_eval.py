"""The hearing classifier on the labelled evaluation set of real recorded speech (HEAR-1..3)."""

from __future__ import annotations

import numpy as np
import pytest

from ivr.eval import dataset as evalset
from ivr.flowlang.model import Flow
from ivr.signal.hearing import HearingThresholds


@pytest.fixture(scope="module")
def dev() -> list[evalset.Result]:
    return evalset.evaluate(list(evalset.build("dev")))


@pytest.fixture(scope="module")
def test_split() -> list[evalset.Result]:
    return evalset.evaluate(list(evalset.build("test")))


def test_set_is_deterministic_and_splits_are_disjoint() -> None:
    first = list(evalset.build("test"))
    again = list(evalset.build("test"))
    assert [i.name for i in first] == [i.name for i in again]
    assert all((a.audio == b.audio).all() and a.params == b.params for a, b in zip(first, again, strict=True))
    dev_clips = {i.params["clip"] for i in evalset.build("dev") if "clip" in i.params}
    test_clips = {i.params["clip"] for i in first if "clip" in i.params}
    assert dev_clips and test_clips and not dev_clips & test_clips
    assert len({c.split("/")[0] for c in test_clips}) >= 4  # several recorded speakers


def test_every_class_is_recognised_on_the_held_out_split(test_split: list[evalset.Result], hotline: Flow) -> None:
    accuracy = evalset.accuracy(evalset.confusion(test_split, hotline.hearing))
    assert all(accuracy[label] >= 0.95 for label in evalset.LABELS), accuracy
    assert accuracy["silence"] == 1.0  # silence and hiss are never speech


def test_configured_thresholds_are_the_ones_the_data_gives(dev: list[evalset.Result], hotline: Flow) -> None:
    derived = evalset.derive(dev)
    configured = hotline.hearing
    assert derived.noisy_snr_db == pytest.approx(configured.noisy_snr_db, abs=1.0)
    assert derived.quiet_level_db == pytest.approx(configured.quiet_level_db, abs=1.0)
    assert derived.speakerphone_decay_db_s == pytest.approx(configured.speakerphone_decay_db_s, abs=15)
    assert evalset.accuracy(evalset.confusion(dev, derived))["clear"] == 1.0


def test_clear_speech_at_the_nominal_level_never_triggers_a_hear_script(hotline: Flow) -> None:
    for index, (name, clip) in enumerate(evalset.speech_clips("test")):
        rng = np.random.default_rng(index)
        audio = evalset.compose(clip, -26.0, "white", -70.0, rng)
        measured = evalset.hear(evalset.to_int16(audio))
        assert measured is not None and hotline.hearing.classify(measured) == "clear", (name, measured)


def test_order_of_the_checks() -> None:
    t = HearingThresholds(noisy_snr_db=15, quiet_level_db=-40, speakerphone_decay_db_s=-259)
    from ivr.signal.hearing import Measurement

    assert t.classify(Measurement(-50, -60, 10, -100, 1)) == "noisy"
    assert t.classify(Measurement(-50, -80, 30, -100, 1)) == "too_quiet"
    assert t.classify(Measurement(-30, -80, 50, -100, 1)) == "speakerphone"
    assert t.classify(Measurement(-30, -80, 50, -500, 1)) == "clear"
