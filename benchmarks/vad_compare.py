"""Silero (ONNX) against webrtcvad on real speech and on line noise: the numbers behind the choice.

Real speech: the eight recorded voice clips Debian's alsa-utils ships (/usr/share/sounds/alsa),
alone and mixed into line hiss at 10 dB SNR. Line noise: white and pink hiss at -50, -40, -30
and -20 dBFS, and 50 Hz mains hum. Each VAD drives the engine's own hysteresis detector.
Prints the clips where speech was detected; for a minute of each noise, the false speech starts
and the share of time the detector says the caller is talking; and the
cost per 20 ms frame. Run: .venv/bin/python benchmarks/vad_compare.py
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

from ivr.adapters.vad import SileroVad, WebRtcVad
from ivr.clock import RATE, stopwatch
from ivr.engine.ports import Vad
from ivr.frames import FRAME, to_float, to_int16
from ivr.signal.speech import SpeechDetector
from ivr.signal.wav import read_wav

ALSA = Path("/usr/share/sounds/alsa")
rng = np.random.default_rng(2024)


def at_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    return x * 10 ** (dbfs / 20) / np.sqrt(np.mean(x**2))


def white(seconds: float) -> np.ndarray:
    return rng.standard_normal(int(seconds * RATE))


def pink(seconds: float) -> np.ndarray:
    b, a = [0.049922035, -0.095993537, 0.050612699, -0.004408786], [1, -2.494956002, 2.017265875, -0.522189400]
    return lfilter(b, a, white(seconds))


def hum(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.sin(2 * np.pi * 50 * t) + 0.3 * np.sin(2 * np.pi * 150 * t)


def starts(make: Callable[[], Vad], audio: np.ndarray) -> int:
    """Speech starts the detector reports."""
    return run(make, audio)[0]


def speaking(make: Callable[[], Vad], audio: np.ndarray) -> str:
    """Speech starts, and the share of the time the detector says the caller is speaking."""
    n, share = run(make, audio)
    return f"{n} / {share:.0%}"


def run(make: Callable[[], Vad], audio: np.ndarray) -> tuple[int, float]:
    detector = SpeechDetector(make())
    x = to_int16(audio)
    n = frames = talking = 0
    for i in range(0, len(x) - FRAME + 1, FRAME):
        edge = detector.process(x[i : i + FRAME])
        n += edge is not None and edge.kind == "start"
        frames += 1
        talking += detector.speaking
    return n, talking / max(frames, 1)


def main() -> None:
    clips = [to_float(read_wav(p)) for p in sorted(ALSA.glob("*.wav")) if p.stem != "Noise"]
    pad = np.zeros(RATE // 2)
    speech = [np.concatenate([pad, c, pad, pad]) for c in clips]
    vads: dict[str, Callable[[], Vad]] = {"silero": SileroVad, "webrtc": WebRtcVad}
    print(f"{'condition':<34}" + "".join(f"{n:>10}" for n in vads))
    row = "{:<34}" + "{:>10}" * len(vads)
    print(
        row.format(
            "real speech: clips detected",
            *[f"{sum(starts(m, s) > 0 for s in speech)}/{len(speech)}" for m in vads.values()],
        )
    )
    noisy = [
        s + at_level(white(len(s) / RATE), 20 * np.log10(np.sqrt(np.mean(c**2)) + 1e-12) - 10)
        for s, c in zip(speech, clips, strict=True)
    ]
    print(
        row.format(
            "speech in hiss, 10 dB SNR: detected",
            *[f"{sum(starts(m, s) > 0 for s in noisy)}/{len(noisy)}" for m in vads.values()],
        )
    )
    minute = 60.0
    for name, make_noise in (("white", white), ("pink", pink)):
        for level in (-50, -40, -30, -20):
            noise = at_level(make_noise(minute), level)
            print(
                row.format(f"{name} hiss {level} dBFS: starts / talking", *[speaking(m, noise) for m in vads.values()])
            )
    mains = at_level(hum(minute), -30)
    print(row.format("50 Hz hum -30 dBFS: starts / talking", *[speaking(m, mains) for m in vads.values()]))
    probe = to_int16(at_level(white(20), -30))
    costs = []
    for make in vads.values():
        vad = make()
        elapsed = stopwatch()
        for i in range(0, len(probe) - FRAME + 1, FRAME):
            vad.probability(probe[i : i + FRAME])
        costs.append(f"{elapsed() / (len(probe) // FRAME) * 1e6:.1f}")
    print(row.format("cost per 20 ms frame, us (ungated)", *costs))


if __name__ == "__main__":
    main()
