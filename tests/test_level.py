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


# -- numpy only: the hearing path never imports scipy; its values equal the scipy implementation's ------------

LEVEL_TOLERANCE_DB = 0.001
"""The numpy P.56 level against the scipy one (lfilter + maximum_filter1d); measured: 0 dB on 60 clips."""
DECAY_TOLERANCE_DB_S = 0.01
"""The numpy 1-3 kHz decay rate against scipy's sosfilt band; measured: below 1e-11 dB/s."""


def scipy_active_level_db(x: np.ndarray, rate: int = 16000) -> float:
    """The previous implementation, kept here as the reference: scipy's IIR and its hangover dilation."""
    from scipy.ndimage import maximum_filter1d
    from scipy.signal import lfilter

    x = np.asarray(x, np.float64)
    if not len(x) or not np.any(x):
        return -100.0
    g = np.exp(-1.0 / (rate * 0.03))
    envelope = lfilter([1 - g], [1, -g], lfilter([1 - g], [1, -g], np.abs(x)))
    hangover = max(1, int(0.2 * rate))
    energy = np.sum(x * x)
    last: tuple[float, float] | None = None
    for c in 2.0 ** -np.arange(15, -1, -0.5):
        above = envelope >= c
        if not above.any():
            break
        active = np.count_nonzero(maximum_filter1d(above.view(np.uint8), hangover, origin=-(hangover // 2)))
        level = 10 * np.log10(energy / active + 1e-30)
        diff = level - 20 * np.log10(c)
        if diff <= 15.9:
            if last is None:
                return float(level)
            prev_level, prev_diff = last
            frac = (prev_diff - 15.9) / (prev_diff - diff) if prev_diff != diff else 0.0
            return float(prev_level + frac * (level - prev_level))
        last = (level, diff)
    return float(last[0]) if last else -100.0


def scipy_decay_rate(x: np.ndarray, floor_subtracted: bool) -> float:
    """The decay rate with scipy's Butterworth band-pass (sosfilt), the rest as in ivr.signal.hearing."""
    from scipy.signal import butter, sosfilt

    band = sosfilt(butter(4, [1000, 3000], btype="band", fs=16000, output="sos"), x)
    n = (len(band) - 160) // 80
    idx = np.arange(160)[None, :] + 80 * np.arange(n)[:, None]
    energies = np.mean(band[idx] ** 2, axis=1) + 1e-12
    if floor_subtracted:
        floor = np.percentile(energies, 5)
        energies = np.maximum(energies - floor, floor * 10 ** (-6 / 10))
    db = 10 * np.log10(energies)
    return float(np.percentile((db[8:] - db[:-8]) / 0.04, 3))


def real_clips() -> list[np.ndarray]:
    """Real recorded speech at random levels over random hiss: alsa-utils' clips and Debian's voice prompts."""
    from pathlib import Path

    from ivr.signal.wav import read_wav

    rng = np.random.default_rng(3)
    paths = sorted(Path("/usr/share/asterisk/sounds/en_US_f_Allison").glob("*.wav"))[:40]
    paths += sorted(Path("/usr/share/sounds/alsa").glob("*.wav"))
    out = []
    for p in paths:
        x = to_float(read_wav(p)) * rng.uniform(0.01, 1.0)
        out.append(x + rng.standard_normal(len(x)) * 10 ** (rng.uniform(-80, -30) / 20))
    return out


def test_smoothing_equals_the_iir_filter() -> None:
    from scipy.signal import lfilter

    from ivr.signal.level import smooth

    g = float(np.exp(-1 / 480))
    for n in (1, 5, 1023, 1024, 1025, 64000, 200001):
        x = np.abs(np.random.default_rng(n).standard_normal(n))
        ref = lfilter([1 - g], [1, -g], x)
        assert np.max(np.abs(smooth(x, g) - ref)) <= 1e-12 * np.max(np.abs(ref))


def test_hangover_count_equals_the_dilation() -> None:
    from scipy.ndimage import maximum_filter1d

    from ivr.signal.level import _active_count

    rng = np.random.default_rng(9)
    for hangover in (1, 2, 5, 3200):
        for n in (3, 100, 5000, 40000):
            above = rng.random(n) < 0.01
            expected = np.count_nonzero(maximum_filter1d(above.view(np.uint8), hangover, origin=-(hangover // 2)))
            assert _active_count(above, hangover) == expected, (hangover, n)


def test_numpy_level_and_decay_equal_the_scipy_ones_on_real_speech() -> None:
    from scipy.signal import butter

    from ivr.signal.hearing import BAND_SOS, decay_rate

    assert np.allclose(BAND_SOS, butter(4, [1000, 3000], btype="band", fs=16000, output="sos"), rtol=0, atol=1e-15)
    for x in real_clips():
        assert active_level_db(x) == pytest.approx(scipy_active_level_db(x), abs=LEVEL_TOLERANCE_DB)
        for floor_subtracted in (False, True):
            assert decay_rate(x, floor_subtracted) == pytest.approx(
                scipy_decay_rate(x, floor_subtracted), abs=DECAY_TOLERANCE_DB_S
            )


def test_listening_never_imports_scipy() -> None:
    """scipy's import costs about 1.2 s a command: the whole hearing path (meter, listener, VAD) does without it."""
    import sys

    from ivr.clock import run_process

    code = (
        "import sys, numpy as np\n"
        "from ivr.engine.listener import Listener\n"
        "from ivr.adapters.vad import SileroVad\n"
        "from ivr.signal.hearing import HearingThresholds\n"
        "from ivr.signal.wav import read_wav\n"
        "listener = Listener(SileroVad(), None, HearingThresholds())\n"
        "speech = read_wav('/usr/share/sounds/alsa/Front_Center.wav')\n"
        "audio = np.concatenate([np.zeros(16000, np.int16), speech, np.zeros(32000, np.int16)])\n"
        "heard = [h for i in range(0, len(audio) - 319, 320) for h in listener.feed(audio[i : i + 320])]\n"
        "assert any(type(h).__name__ == 'Utterance' for h in heard), heard\n"
        "assert 'scipy' not in sys.modules, sorted(m for m in sys.modules if m.startswith('scipy'))[:3]\n"
    )
    done = run_process([sys.executable, "-c", code], 120, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
