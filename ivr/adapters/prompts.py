"""Prompt audio: synthesized once into a cache keyed by text, voice and rate, or recorded.

Every prompt leaves here at one active speech level (HEAR-4) with short fades (ANS-3),
trimmed of leading and trailing silence and padded to whole frames.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ivr.clock import RATE
from ivr.engine.ports import PromptAudio, Synthesizer
from ivr.flowlang.model import AudioSettings
from ivr.frames import Samples, pad_to_frames, resample, to_float, to_int16
from ivr.signal.level import fade, normalise
from ivr.signal.wav import read_wav, write_wav

CACHE_VERSION = 1
_TRIM_DBFS = -55.0
_TRIM_KEEP_S = 0.03


def finish(x: np.ndarray, settings: AudioSettings) -> Samples:
    """Trim, level and fade float 16 kHz audio into frame-aligned int16."""
    x = _trim(x)
    return pad_to_frames(to_int16(fade(normalise(x, settings.level_dbfs), settings.fade_s)))


def _trim(x: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > 10 ** (_TRIM_DBFS / 20))
    if not len(loud):
        return x
    keep = int(_TRIM_KEEP_S * RATE)
    return x[max(0, loud[0] - keep) : loud[-1] + keep + 1]


class PromptStore:
    """Renders, caches and loads prompt audio under one audio directory."""

    def __init__(self, audio_dir: Path, synth: Synthesizer, settings: AudioSettings) -> None:
        self.audio_dir = audio_dir
        self.cache_dir = audio_dir / "prompts" / "cache"
        self.synth = synth
        self.settings = settings
        self._loaded: dict[str, PromptAudio] = {}

    def cache_path(self, text: str) -> Path:
        s = self.settings
        key = json.dumps(
            [CACHE_VERSION, self.synth.name, text, s.voice, s.rate, s.level_dbfs, s.fade_s],
            ensure_ascii=False,
        )
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.wav"

    def is_cached(self, text: str) -> bool:
        return self.cache_path(text).is_file()

    def get(self, text: str, recording: Path | None = None) -> PromptAudio:
        """The prompt's audio: the recording if given, else the cached or fresh synthesis."""
        memo = f"{recording}|{text}"
        if memo not in self._loaded:
            self._loaded[memo] = self._load(text, recording)
        return self._loaded[memo]

    def _load(self, text: str, recording: Path | None) -> PromptAudio:
        if recording is not None:
            return PromptAudio(finish(to_float(read_wav(recording)), self.settings), f"recorded:{recording}")
        path = self.cache_path(text)
        if path.is_file():
            return PromptAudio(read_wav(path), f"cache:{path.name}")
        x, rate = self.synth.render(text, self.settings.voice, self.settings.rate)
        samples = finish(resample(x, rate), self.settings)
        write_wav(path, [samples])
        return PromptAudio(samples, f"synthesized:{path.name}")

    def audio(self, text: str, recording: str | None = None) -> PromptAudio:
        """The PromptSource port: rendered in the caller's thread (replays are deterministic this way)."""
        return self.get(text, Path(recording) if recording else None)

    def build(self, texts: list[str], progress: Callable[[int, int, str], None] | None = None) -> int:
        """Render every text not yet cached; returns how many were rendered."""
        rendered = 0
        for i, text in enumerate(texts, 1):
            if not self.is_cached(text):
                self.get(text)
                rendered += 1
            if progress:
                progress(i, len(texts), text)
        return rendered
