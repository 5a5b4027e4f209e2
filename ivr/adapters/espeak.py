"""pyttsx3 + espeak-ng speech synthesis, with the driver's known pitfalls handled."""

from __future__ import annotations

import contextlib
import io
import tempfile
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np

from ivr.errors import IvrError

_lock = threading.Lock()
_engine: Any = None


def _shared_engine() -> Any:
    """pyttsx3 keeps one engine per process; its first runAndWait() writes nothing, so prime it."""
    global _engine
    if _engine is None:
        import pyttsx3

        try:
            _engine = pyttsx3.init()
        except Exception as e:  # pyttsx3 surfaces missing espeak-ng as various errors
            raise IvrError(f"pyttsx3 could not start espeak-ng ({e}): apt-get install espeak-ng") from None
        _engine.runAndWait()
    return _engine


class Pyttsx3Synthesizer:
    """Renders text with espeak-ng through pyttsx3; all use is serialised through one lock."""

    name = "pyttsx3-espeak-ng"

    def voices(self) -> list[str]:
        with _lock:
            return [v.id for v in _shared_engine().getProperty("voices")]

    def _voice_id(self, voice: str) -> str:
        ids = self.voices()
        for vid in ids:
            if vid == voice or vid.rsplit("/", 1)[-1] == voice:
                return vid
        near = ", ".join(v for v in ids if voice.split("-")[0] in v) or "see `espeak-ng --voices`"
        raise IvrError(f"voice '{voice}': espeak-ng has no such voice ({near})")

    def render(self, text: str, voice: str, rate: int) -> tuple[np.ndarray, int]:
        voice_id = self._voice_id(voice)
        with _lock, tempfile.TemporaryDirectory(prefix="ivr-tts-") as tmp:
            engine = _shared_engine()
            engine.setProperty("voice", voice_id)
            engine.setProperty("rate", rate)
            out = Path(tmp) / "prompt.wav"
            with contextlib.redirect_stdout(io.StringIO()):
                engine.save_to_file(text, str(out))
                engine.runAndWait()
            if not out.is_file() or out.stat().st_size <= 44:
                raise IvrError(f"espeak-ng produced no audio for {text!r} (voice {voice})")
            with wave.open(str(out), "rb") as w:
                src_rate = w.getframerate()
                x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768.0
        return x, src_rate
