"""Real recordings the evaluation set is made of: Debian's recorded voice prompts, alsa-utils' clips, music on hold.

Speakers, with the median F0 `median_f0` measures over the 20 clips of each used by the sets (8 for alsa):
  en_US_f_Allison 200 Hz and es_MX_f_Allison 205 Hz (one speaker, two languages), fr_CA_f_June 203 Hz,
  ru_RU_f_IvrvoiceRU 216 Hz, it_IT_f_Menardi 186 Hz (asterisk-prompt-it-menardi-wav: "Marco Menardi e
  Paola Dal Zot", the voice is Paola's), it_IT_m_Carlo 180 Hz (asterisk-core-sounds-it-wav; Asterisk names
  it a male voice, but its F0 is in the women's range like every other source here, 165-255 Hz, not the
  men's 85-155 Hz: no recording here is known to be a man's), alsa-utils' clips 188 Hz.
Checked and not used: asterisk-prompt-es-co and asterisk-prompt-fr-armelle ship GSM files only (women's
voices by their credits). Music: the five tracks of asterisk-moh-opsound-wav (CC BY-SA 3.0).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from ivr.clock import RATE
from ivr.errors import IvrError
from ivr.frames import to_float
from ivr.signal.wav import probe, read_wav

SOUNDS = Path("/usr/share/asterisk/sounds")
SPEECH_SOURCES = (
    SOUNDS / "en_US_f_Allison",
    SOUNDS / "es_MX_f_Allison",
    SOUNDS / "fr_CA_f_June",
    SOUNDS / "ru_RU_f_IvrvoiceRU",
    SOUNDS / "it_IT_f_Menardi",
    SOUNDS / "it_IT_m_Carlo",
    Path("/usr/share/sounds/alsa"),
)
MUSIC = Path("/usr/share/asterisk/moh")
SPLITS = {"dev": 0, "test": 1}
CLIPS_PER_SOURCE = 20
_INSTALL = (
    "apt-get install asterisk-core-sounds-en-wav asterisk-core-sounds-it-wav asterisk-prompt-it-menardi-wav "
    "asterisk-moh-opsound-wav alsa-utils (scripts/setup.sh)"
)


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise IvrError(f"--split: choose one of {', '.join(SPLITS)}")


@cache
def _source_paths(source: Path) -> tuple[Path, ...]:
    """Every clip of 1.2-4 s in one source directory, in name order (headers only)."""
    found = []
    for path in sorted(source.glob("*.wav")):
        try:
            duration = probe(path).duration
        except IvrError:
            continue
        if 1.2 <= duration <= 4.0 and path.stem != "Noise":
            found.append(path)
    return tuple(found)


@cache
def _clip(path: Path) -> np.ndarray:
    return to_float(read_wav(path))


def speech_clips(split: str) -> list[tuple[str, np.ndarray]]:
    """Recorded utterances of 1.2-4 s, alternating between the splits, from every source present."""
    check_split(split)
    clips: list[tuple[str, np.ndarray]] = []
    for source in SPEECH_SOURCES:
        if not source.is_dir():
            continue
        found = _source_paths(source)
        step = max(1, len(found) // CLIPS_PER_SOURCE)
        picked = found[::step][:CLIPS_PER_SOURCE][SPLITS[split] :: 2]
        clips += [(f"{source.name}/{p.stem}", _clip(p)) for p in picked]
    if not clips:
        raise IvrError(f"no recorded speech found: {_INSTALL}")
    return clips


@cache
def music_tracks(split: str) -> tuple[tuple[str, np.ndarray], ...]:
    """The music-on-hold tracks of one split (they alternate between the splits by name)."""
    check_split(split)
    paths = sorted(MUSIC.glob("*.wav"))
    if len(paths) < 2:
        raise IvrError(f"no music on hold found in {MUSIC}: {_INSTALL}")
    return tuple((p.stem, to_float(read_wav(p))) for p in paths[SPLITS[split] :: 2])


def f0_track(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Voiced frames' fundamental frequency (Hz): autocorrelation of 40 ms frames, low-passed and centre-clipped."""
    spectrum = np.fft.rfft(x)
    spectrum[np.fft.rfftfreq(len(x), 1 / rate) > 900] = 0
    y = np.fft.irfft(spectrum, len(x))
    n, hop, lo, hi = int(0.04 * rate), int(0.01 * rate), rate // 400, rate // 60
    out = []
    for i in range(0, len(y) - n, hop):
        f = y[i : i + n]
        if np.sqrt(np.mean(f**2)) < 0.01:
            continue
        c = 0.3 * np.max(np.abs(f))
        f = np.where(f > c, f - c, np.where(f < -c, f + c, 0.0))
        ac = np.correlate(f, f, "full")[n - 1 :]
        if ac[0] <= 0:
            continue
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] > 0.4 * ac[0]:
            out.append(rate / k)
    return np.array(out)


def median_f0(clips: list[np.ndarray]) -> float:
    """The median F0 over the voiced frames of several clips: about 85-155 Hz for men, 165-255 Hz for women."""
    f0 = np.concatenate([f0_track(c) for c in clips]) if clips else np.array([])
    return float(np.median(f0)) if len(f0) else 0.0
