"""Speech detection hysteresis, and the real VADs on real speech versus line noise."""

from __future__ import annotations

import numpy as np
from conftest import hiss, speech

from ivr.adapters.vad import SileroVad
from ivr.frames import FRAME
from ivr.signal.speech import DetectorSettings, SpeechDetector
from ivr.testing import ScriptedVad


def _edges(detector: SpeechDetector, audio: np.ndarray) -> list[tuple[str, float]]:
    out = []
    for i in range(0, len(audio) - FRAME + 1, FRAME):
        if (edge := detector.process(audio[i : i + FRAME])) is not None:
            out.append((edge.kind, edge.onset_frame * FRAME / 16000))
    return out


def test_hysteresis_ignores_blips_and_short_gaps() -> None:
    vad = ScriptedVad([(1.0, 1.06), (2.0, 3.0), (3.2, 4.0)])
    detector = SpeechDetector(vad, DetectorSettings(start_s=0.1, stop_s=0.5))
    assert _edges(detector, np.zeros(16000 * 6, np.int16)) == [("start", 2.0), ("stop", 4.0)]


def test_silero_hears_real_speech_and_not_noise() -> None:
    for name in ("Front_Center", "Rear_Left", "Side_Right"):
        clip = np.concatenate([np.zeros(8000, np.int16), speech(name), np.zeros(16000, np.int16)])
        kinds = [k for k, _ in _edges(SpeechDetector(SileroVad()), clip)]
        assert kinds == ["start", "stop"], name
    for level in (-50.0, -30.0, -20.0):
        assert _edges(SpeechDetector(SileroVad()), hiss(10, level)) == []
