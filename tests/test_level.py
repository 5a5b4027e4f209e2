"""HEAR-4 and ANS-3: prompts at one active speech level, with click-free fades."""

import numpy as np
import pytest
from conftest import speech

from ivr.frames import to_float
from ivr.signal.level import active_level_db, fade, normalise, rms_db


def test_active_level_of_a_sine_is_its_rms() -> None:
    t = np.arange(16000) / 16000
    assert active_level_db(0.1 * np.sin(2 * np.pi * 440 * t)) == pytest.approx(-23.01, abs=0.05)


def test_active_level_ignores_pauses_but_rms_does_not() -> None:
    x = to_float(speech())
    padded = np.concatenate([x, np.zeros(3 * len(x))])
    assert active_level_db(padded) == pytest.approx(active_level_db(x), abs=0.5)
    assert rms_db(padded) < rms_db(x) - 5


def test_normalise_reaches_the_target_level() -> None:
    for gain in (0.05, 0.3, 1.0):
        y = normalise(gain * to_float(speech()), -26.0)
        assert active_level_db(y) == pytest.approx(-26.0, abs=0.2)


def test_fade_starts_and_ends_at_zero() -> None:
    y = fade(np.ones(1600), 0.01)
    assert y[0] == 0.0 and y[-1] == 0.0 and y[800] == 1.0
    assert np.all(np.diff(y[:160]) >= 0)
