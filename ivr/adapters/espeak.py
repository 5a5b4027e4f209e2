"""espeak-ng speech synthesis through its own command line: one process per prompt, the same bytes every time.

pyttsx3 2.99's espeak driver was used before and measured unfit: it runs espeak-ng asynchronously and
applies voice and rate changes to whichever render comes next, so with two rates in one process 21–31 of
60 renders came out at the wrong rate and some empty (the scripted caller's voice and the IVR's share a
process). A prompt is rendered once and cached, so a wrong render would stay wrong.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import numpy as np

from ivr.clock import run_process
from ivr.errors import IvrError

RENDER_WAIT_S = 60.0


@cache
def _program() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise IvrError("espeak-ng is not installed: apt-get install espeak-ng (scripts/setup.sh does it)")
    return path


@cache
def voices() -> tuple[str, ...]:
    """Every voice espeak-ng has, by language code and by file name (e.g. cmn-latn-pinyin, sit/cmn-Latn-pinyin)."""
    out = run_process([_program(), "--voices"], RENDER_WAIT_S, capture_output=True, text=True)
    names: list[str] = []
    for line in out.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5:
            names += [fields[1], fields[4]]
    return tuple(names)


class EspeakSynthesizer:
    """Renders text with the espeak-ng program (text on stdin, so nothing in it is read as an option)."""

    name = "espeak-ng"

    def render(self, text: str, voice: str, rate: int) -> tuple[np.ndarray, int]:
        import subprocess  # only when a prompt is not in the cache yet: ~5 ms of each start otherwise
        import tempfile
        import wave

        if voice not in voices():
            near = ", ".join(v for v in voices() if voice.split("-")[0].lower() in v.lower()) or "espeak-ng --voices"
            raise IvrError(f"voice '{voice}': espeak-ng has no such voice (see {near})")
        with tempfile.TemporaryDirectory(prefix="ivr-tts-") as tmp:
            out = Path(tmp) / "prompt.wav"
            args = [_program(), "-v", voice, "-s", str(int(rate)), "-b", "1", "-w", str(out)]
            try:
                done = run_process(args, RENDER_WAIT_S, input=text.encode("utf-8"), capture_output=True)
            except subprocess.TimeoutExpired:
                raise IvrError(f"espeak-ng took over {RENDER_WAIT_S:g} s for {text[:40]!r}") from None
            if done.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
                why = done.stderr.decode("utf-8", "replace").strip()[:200] or "no audio"
                raise IvrError(f"espeak-ng could not render {text[:40]!r} with voice {voice} ({why})")
            with wave.open(str(out), "rb") as w:
                rate_hz = w.getframerate()
                x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768.0
        return x, rate_hz
