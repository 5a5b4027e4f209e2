"""The numpy resampler: exact streaming, the textbook sum, tones kept in place, aliases and images rejected."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from ivr.clock import run_process
from ivr.signal.resample import MAX_TERMS, PASSBAND, Resampler, _bank, ratio, resample

# Both ways the outputs are computed (short convolutions, strided products), going up and down, plus a rate
# whose exact ratio (16000/44101) is too fine and is approximated.
RATIOS = [(48000, 16000), (8000, 16000), (12000, 16000), (96000, 16000), (44100, 16000), (22050, 16000)]
RATIOS += [(11025, 16000), (16000, 8000), (44101, 16000)]


def _direct(x: np.ndarray, src: int, dst: int, first: int = 0) -> np.ndarray:
    """The definition, summed term by term: y[k] = sum_n x[n] h(k * down - n * up), h centred on 0, from k = first."""
    up, down = ratio(src, dst)
    bank = _bank(up, down)
    newest_first = bank.oldest_first[:, ::-1]
    h = newest_first.T.reshape(-1)[: 2 * bank.half + 1]  # h[phase + j * up] = newest_first[phase, j]
    y = np.zeros(-(-len(x) * up // down) - first)
    for i in range(len(y)):
        for n in range(len(x)):
            t = (first + i) * down - n * up
            if -bank.half <= t <= bank.half:
                y[i] += h[t + bank.half] * x[n]
    return y


@pytest.mark.parametrize(("src", "dst"), [(48000, 16000), (8000, 16000), (12000, 16000), (22050, 16000)])
def test_the_polyphase_bookkeeping_gives_the_textbook_sum(src: int, dst: int) -> None:
    x = np.random.default_rng(3).standard_normal(120)
    assert np.allclose(resample(x, src, dst), _direct(x, src, dst), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("src", "dst"), RATIOS)
def test_chunked_output_equals_one_shot_output(src: int, dst: int) -> None:
    x = np.random.default_rng(4).standard_normal(src // 4)
    whole = resample(x, src, dst)
    assert len(whole) == -(-len(x) * ratio(src, dst)[0] // ratio(src, dst)[1])
    for size in (1, 7, 320, 4801):
        r = Resampler(src, dst, causal=False)
        chunked = np.concatenate([r.process(x[i : i + size]) for i in range(0, len(x), size)] + [r.flush()])
        assert len(chunked) == len(whole)
        assert np.allclose(chunked, whole, rtol=0, atol=1e-12), size


@pytest.mark.parametrize(("src", "dst"), RATIOS)
def test_a_tone_keeps_its_frequency_level_and_timing(src: int, dst: int) -> None:
    """Resampled, a 1 kHz tone is the same tone sampled at the new rate: no delay, no gain, no drift."""
    t = np.arange(src) / src
    y = resample(0.5 * np.sin(2 * np.pi * 1000 * t + 0.3), src, dst)
    up, down = ratio(src, dst)
    expected = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(len(y)) * down / up / src + 0.3)
    inner = slice(len(y) // 10, -len(y) // 10)  # away from the ends, where the input stops
    assert np.max(np.abs(y[inner] - expected[inner])) < 1e-3


@pytest.mark.parametrize(("src", "dst"), [(48000, 16000), (44100, 16000), (22050, 16000), (16000, 8000)])
def test_going_down_the_pass_band_is_flat_and_nothing_folds_back(src: int, dst: int) -> None:
    t = np.arange(src) / src

    def gain_db(f: float) -> float:
        y = resample(np.sin(2 * np.pi * f * t), src, dst)[dst // 10 : -dst // 10]
        return float(20 * np.log10(np.sqrt(2) * np.std(y) + 1e-12))

    nyquist = dst / 2
    for f in (50.0, 1000.0, PASSBAND * nyquist * 0.99):
        assert abs(gain_db(f)) < 0.01, f
    for f in np.linspace(nyquist, 0.98 * src / 2, 25):  # would fold back to 2 * nyquist - f
        assert gain_db(f) < -75.0, f


def test_going_up_no_image_is_left_above_the_old_band() -> None:
    src, dst = 8000, 16000
    y = resample(np.sin(2 * np.pi * 3000 * np.arange(src) / src), src, dst)[1600:-1600]
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / dst)
    tone = spectrum[np.argmin(np.abs(freqs - 3000))]
    image = spectrum[np.argmin(np.abs(freqs - 5000))]  # 8000 - 3000
    assert 20 * np.log10(image / tone) < -75.0


def test_usual_rates_are_exact_and_unusual_ones_closely_approximated_with_a_small_filter() -> None:
    for src in (4000, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 37800, 44100, 47952, 48000, 88200, 96000):
        up, down = ratio(src, 16000)
        assert up * src == down * 16000, src
    for src in (44101, 22254, 44056, 4001, 32004, 383953):  # the last two are the worst from 4 to 384 kHz
        up, down = ratio(src, 16000)
        assert max(up, down) <= MAX_TERMS
        assert abs(up / down / (16000 / src) - 1) < 1.3e-4, src
        assert _bank(up, down).oldest_first.nbytes <= 2.1e6


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000), (48000, 16000), (44100, 16000)])
def test_a_causal_stream_gives_a_whole_frame_per_packet_and_the_same_audio_later(src: int, dst: int) -> None:
    """Live media: every 20 ms in is 20 ms out at once (RTP 160 samples <-> 320-sample frames), `lag` late."""
    x = np.random.default_rng(6).standard_normal(src // 2)
    r = Resampler(src, dst, causal=True)
    packet = src // 50
    out = [r.process(x[i : i + packet]) for i in range(0, len(x), packet)]
    assert {len(o) for o in out} == {dst // 50}
    assert r.lag * 1000 / dst < 5  # milliseconds
    stream = np.concatenate([*out, r.flush()])
    assert np.allclose(stream[r.lag :], resample(x, src, dst), rtol=0, atol=1e-12)
    short = x[:100]
    r = Resampler(src, dst, causal=True)
    lead_in = np.concatenate([r.process(short), r.flush()])  # the filter's lead-in before the first sample too
    assert np.allclose(lead_in, _direct(short, src, dst, first=-r.lag), rtol=0, atol=1e-12)


def test_equal_rates_pass_through() -> None:
    x = np.random.default_rng(5).standard_normal(1000)
    r = Resampler(16000, 16000)
    assert np.array_equal(np.concatenate([r.process(x[:300]), r.process(x[300:]), r.flush()]), x)
    assert np.array_equal(resample(x, 16000, 16000), x)


def test_process_after_flush_is_a_mistake() -> None:
    r = Resampler(48000, 16000, causal=False)
    r.process(np.zeros(100))
    r.flush()
    with pytest.raises(ValueError, match="after flush"):
        r.process(np.zeros(10))


_HASH_OUTPUTS = """
import hashlib, numpy as np
from ivr.signal.resample import Resampler, resample
x, h = np.random.default_rng(1).standard_normal(240000) * 3000, hashlib.sha256()
for src, dst in RATIOS:
    h.update(resample(x, src, dst).tobytes())
    r = Resampler(src, dst)
    h.update(b"".join(r.process(x[i : i + 4000]).tobytes() for i in range(0, len(x), 4000)) + r.flush().tobytes())
for channels in (1, 2, 6):
    h.update((x.reshape(-1, channels) @ np.full(channels, 0.7 / channels)).tobytes())
print(h.hexdigest())
"""


def test_outputs_do_not_depend_on_blas_threads() -> None:
    """`ivr` runs OpenBLAS on one thread (it starts faster): the large products give the same bits as with a pool."""
    code = f"RATIOS = {RATIOS!r}\n{_HASH_OUTPUTS}"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    hashes = {
        threads: run_process(
            [sys.executable, "-c", code],
            120,
            capture_output=True,
            text=True,
            check=True,
            env={**env, "OPENBLAS_NUM_THREADS": threads} if threads else env,
        ).stdout
        for threads in ("1", "4", "")
    }
    assert len(set(hashes.values())) == 1, hashes
