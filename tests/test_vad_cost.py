"""The Silero VAD's cost savings (energy gate at -60 dBFS, noise-floor skip) keep every real speech clip detected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import hiss, speech

from ivr.adapters.vad import SileroVad
from ivr.frames import FRAME, to_float, to_int16
from ivr.signal.speech import SpeechDetector

CLIPS = sorted(p.stem for p in Path("/usr/share/sounds/alsa").glob("*.wav") if p.stem != "Noise")


def starts(vad: SileroVad, audio: np.ndarray) -> list[float]:
    """Where the detector says speech started (s)."""
    detector = SpeechDetector(vad)
    found = []
    for i in range(0, len(audio) - FRAME + 1, FRAME):
        edge = detector.process(audio[i : i + FRAME])
        if edge is not None and edge.kind == "start":
            found.append(edge.onset_frame * FRAME / 16000)
    return found


def on_line(clip: str, speech_db: float, line: str, line_db: float) -> np.ndarray:
    """3 s of the line, the recorded clip at an RMS level over it, 2 s more of the line."""
    x = to_float(speech(clip))
    x = x * 10 ** (speech_db / 20) / np.sqrt(np.mean(x**2))
    y = np.concatenate([np.zeros(48000), x, np.zeros(32000)])
    if line == "hiss":
        y += to_float(hiss(len(y) / 16000, line_db, seed=len(clip)))
    return to_int16(y)


def test_the_gate_is_where_the_readme_says() -> None:
    vad = SileroVad()
    quiet = hiss(10, -62.0)
    assert starts(vad, quiet) == [] and vad.network_frames == 0  # below -60 dBFS: the network never runs


@pytest.mark.parametrize(
    ("speech_db", "line", "line_db"),
    [
        (-26.0, "zeros", 0.0),
        (-26.0, "hiss", -36.0),
        (-30.0, "hiss", -40.0),
        (-50.0, "hiss", -75.0),
        (-50.0, "zeros", 0.0),
    ],
)
def test_every_real_speech_clip_is_detected(speech_db: float, line: str, line_db: float) -> None:
    """Real recorded speech (alsa-utils), nominal and quiet, on digital silence and on hiss at 10 dB SNR."""
    for clip in CLIPS:
        found = starts(SileroVad(), on_line(clip, speech_db, line, line_db))
        assert found and 2.9 <= found[0] <= 3.5, (clip, found)


def test_steady_hiss_seldom_runs_the_network() -> None:
    """Hiss at -40 dBFS (the sample hiss call): after the floor is found, frames near it skip Silero."""
    vad = SileroVad()
    audio = hiss(30, -40.0)
    assert starts(vad, audio) == []
    assert vad.network_frames < 0.2 * len(audio) // FRAME
