"""Turn-taking evaluation set: real recorded multi-phrase speech with its ground truth, reproducibly.

Speech: the voice prompts of Debian's asterisk sound packages (six recorded speakers; one man,
it_IT_m_Carlo) and alsa-utils' eight two-word clips ("Front ... Center"). Ground truth comes from
the clean recording itself: 10 ms frame energies against
a threshold set by the clip's active speech level and its own noise floor give the speech
segments; gaps between them are the pauses; the end of the last segment is the true end of the
turn. Each clip is played to a detector padded with digital silence, over line hiss, or as a
reverberant speakerphone caller over hiss.
Clips split into `dev` and `test` by a hash of the prompt's name, so a prompt and its
translations (same name in every language) always fall in the same split.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from ivr.clock import RATE
from ivr.engine.ports import Vad
from ivr.errors import IvrError
from ivr.frames import FRAME, Samples, to_float, to_int16
from ivr.signal.level import active_level_db
from ivr.signal.speech import SpeechDetector
from ivr.signal.wav import read_wav

SOUNDS = Path("/usr/share/asterisk/sounds")
VOICES = (
    "en_US_f_Allison",
    "es_MX_f_Allison",
    "fr_CA_f_June",
    "ru_RU_f_IvrvoiceRU",
    "it_IT_f_Menardi",
    "it_IT_m_Carlo",
)
"""Directory names: language, sex (f/m) and speaker; it_IT_m_Carlo is the one male voice."""
ALSA = Path("/usr/share/sounds/alsa")
"""alsa-utils' recorded channel names: two words with a pause between them."""
NOT_SPEECH = frozenset(
    {"beep", "beeperr", "ascending-2tone", "descending-2tone", "confbridge-join", "confbridge-leave", "Noise"}
)
SPLITS = ("dev", "test")
HOP = RATE // 100
"""Ground truth resolution: 10 ms."""
LEVEL_DB = -26.0
"""Active speech level every clip is played at."""

_BELOW_LEVEL_DB = 35.0
_ABOVE_FLOOR_DB = 9.0
_MIN_GAP_S = 0.08
_MIN_ISLAND_S = 0.03
_MIN_S, _MAX_S = 0.3, 15.0


@dataclass(frozen=True)
class Truth:
    """Where the speech is in a clean clip: (start, end) segments in seconds, gaps under 80 ms closed."""

    segments: tuple[tuple[float, float], ...]

    @property
    def start(self) -> float:
        return self.segments[0][0]

    @property
    def end(self) -> float:
        return self.segments[-1][1]

    @property
    def pauses(self) -> tuple[float, ...]:
        """Durations of the silences between segments."""
        return tuple(b[0] - a[1] for a, b in zip(self.segments, self.segments[1:], strict=False))

    def speech_after(self, t: float) -> float:
        """Seconds of speech after time `t`."""
        return sum(max(0.0, b - max(a, t)) for a, b in self.segments)


@dataclass(frozen=True)
class Clip:
    """One recorded prompt at the engine rate and level, and its ground truth (clip-relative seconds)."""

    name: str
    voice: str
    split: str
    audio: np.ndarray = field(repr=False)
    truth: Truth


def split_of(stem: str) -> str:
    """dev or test, by a stable hash of the prompt's file name."""
    return SPLITS[zlib.crc32(stem.encode()) % 2]


def ground_truth(x: np.ndarray) -> Truth:
    """Speech segments of clean float audio by a frame-energy threshold."""
    n = len(x) // HOP
    energy = 10 * np.log10(np.mean(np.square(x[: n * HOP].reshape(n, HOP)), axis=1) + 1e-12)
    level = active_level_db(x)
    floor = min(float(np.percentile(energy, 10)), level - _BELOW_LEVEL_DB)
    active = energy > max(level - _BELOW_LEVEL_DB, floor + _ABOVE_FLOOR_DB)
    segments: list[list[int]] = []
    for i in np.flatnonzero(active):
        if segments and i - segments[-1][1] <= round(_MIN_GAP_S * 100):
            segments[-1][1] = i + 1
        else:
            segments.append([int(i), int(i) + 1])
    kept = [(a / 100, b / 100) for a, b in segments if b - a >= round(_MIN_ISLAND_S * 100)]
    return Truth(tuple(kept))


def _folder(voice: str) -> Path:
    return ALSA if voice == "alsa" else SOUNDS / voice


def _load(voice: str, path: Path) -> Clip | None:
    """The recording as a clip, or None if it is empty, too short or too long, or has no speech."""
    try:
        x = to_float(read_wav(path))
    except IvrError:
        return None  # a few packaged prompts are empty files
    if not _MIN_S * RATE <= len(x) <= _MAX_S * RATE:
        return None
    truth = ground_truth(x)
    if not truth.segments:
        return None
    gain = 10 ** ((LEVEL_DB - active_level_db(x)) / 20)
    return Clip(f"{voice}/{path.stem}", voice, split_of(path.stem), x * gain, truth)


def clips(split: str | None = None, voices: tuple[str, ...] = (*VOICES, "alsa")) -> Iterator[Clip]:
    """Every speech prompt of 0.3-15 s of the installed voices, in a fixed order."""
    found = False
    for voice in voices:
        for path in sorted(_folder(voice).glob("*.wav")):
            if path.stem in NOT_SPEECH or (split is not None and split_of(path.stem) != split):
                continue
            if (c := _load(voice, path)) is not None:
                found = True
                yield c
    if not found:
        raise IvrError(f"no recorded prompts found under {SOUNDS}: run scripts/setup.sh (asterisk-core-sounds-*)")


def clip(name: str) -> Clip:
    """One clip by its name, e.g. 'en_US_f_Allison/vm-opts' or 'alsa/Front_Center'."""
    voice, _, stem = name.partition("/")
    path = _folder(voice) / f"{stem}.wav"
    c = _load(voice, path) if voice in (*VOICES, "alsa") and path.is_file() else None
    if c is None:
        raise IvrError(f"{name}: no such recorded prompt with speech in it")
    return c


CONDITIONS = ("silence", "hiss", "speakerphone")
SPEAKERPHONE = {"level_db": -31.0, "rt60": 0.8, "drr_db": -4.0}
"""A far-field caller (HEAR-1): reverberant, 5 dB quieter, over the same hiss."""


def played(clip: Clip, condition: str, lead_s: float = 0.5, tail_s: float = 3.0, snr_db: float = 25.0) -> np.ndarray:
    """The clip as a caller's line: `lead_s` before, `tail_s` after: digital silence, hiss `snr_db` down, or hiss
    under a reverberant speakerphone caller."""
    if condition not in CONDITIONS:
        raise IvrError(f"unknown line condition '{condition}' (choose {', '.join(CONDITIONS)})")
    rng = np.random.default_rng(zlib.crc32(clip.name.encode()))
    lead, tail = int(lead_s * RATE), int(tail_s * RATE)
    n = lead + len(clip.audio) + tail
    n += -n % FRAME
    x = np.zeros(n)
    if condition == "speakerphone":
        from ivr.eval.conditions import utterance

        voice = utterance(clip.audio, rng=rng, **SPEAKERPHONE)
        x[lead : lead + len(voice)] = voice[: n - lead]
    else:
        x[lead : lead + len(clip.audio)] = clip.audio
    if condition != "silence":
        w = rng.standard_normal(n)
        x += w * 10 ** ((LEVEL_DB - snr_db) / 20) / np.sqrt(np.mean(w**2))
    return to_int16(x)


class ProbabilityTrack:
    """A Vad that replays the probabilities a real VAD gave earlier on the same audio."""

    def __init__(self, probabilities: list[float]) -> None:
        self._p = probabilities
        self._i = 0

    def probability(self, frame: Samples) -> float:
        self._i += 1
        return self._p[self._i - 1]


def probabilities(vad: Vad, audio: Samples) -> list[float]:
    """The VAD's probability for each whole frame of the audio."""
    return [vad.probability(audio[i : i + FRAME]) for i in range(0, len(audio) - FRAME + 1, FRAME)]


Decision = tuple[Literal["start", "stop"], int]
"""An edge and the frame (0-based) during which the detector decided it."""


def decisions(detector: SpeechDetector, audio: Samples) -> list[Decision]:
    """Every edge the detector gives on the audio, with the frame it was decided in."""
    out: list[Decision] = []
    for n, i in enumerate(range(0, len(audio) - FRAME + 1, FRAME)):
        if (edge := detector.process(audio[i : i + FRAME])) is not None:
            out.append((edge.kind, n))
    return out


SPEECH_LEFT_S = 0.05
"""A stop decided with at least this much of the clip's speech still to come interrupts the caller."""


@dataclass(frozen=True)
class Outcome:
    """How a detector's stop edges fell on one clip, in seconds from the clip's true end."""

    clip: str
    latency: float | None
    interrupted: bool


def judge(c: Clip, edges: list[Decision], lead_s: float = 0.5) -> Outcome:
    """A stop edge interrupts if the caller had more to say; the first one that does not ends the turn."""
    interrupted = False
    latency = None
    for kind, n in edges:
        if kind != "stop":
            continue
        t = (n + 1) * FRAME / RATE - lead_s
        if c.truth.speech_after(t) >= SPEECH_LEFT_S:
            interrupted = True
        elif latency is None:
            latency = t - c.truth.end
    return Outcome(c.name, latency, interrupted)
