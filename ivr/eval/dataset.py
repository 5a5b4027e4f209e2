"""The hearing evaluation set: real recorded speech put through each line condition, reproducibly.

Speech: the voice prompts of Debian's asterisk-core-sounds-{en,es,fr,ru}-wav (four recorded
speakers, telephone quality) and alsa-utils' recorded clips. Each clip becomes a caller
recording (line noise, then the utterance, then line noise) in one condition:

  clear         -32..-20 dBFS, line noise 35-50 dB down, dry or near-field (RT60 0.15-0.3 s, DRR 8-15 dB)
  too_quiet     -54..-44 dBFS, line noise 20-30 dB down
  noisy         -30..-20 dBFS, SNR 0-10 dB: white, pink or brown noise, or mains hum + hiss
  speakerphone  -36..-26 dBFS, room reverberation RT60 0.4-1.0 s at DRR -6..+2 dB, noise 25-40 dB down
  silence       no speech: digital silence, hiss at -60..-25 dBFS, or hum

Competing talkers (babble) are left out: any VAD hears them as the caller still talking.
Every parameter is drawn from a generator seeded by the split and the item's index, so the set
is the same on every machine. Clips alternate between the `dev` split (used to derive the
thresholds) and the `test` split (used to report accuracy).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import butter, fftconvolve, lfilter, sosfilt

from ivr.adapters.vad import SileroVad
from ivr.clock import RATE
from ivr.engine.listener import Listener, ListenSettings, Utterance
from ivr.errors import IvrError
from ivr.frames import FRAME, to_float, to_int16
from ivr.signal.hearing import HearingThresholds, Measurement
from ivr.signal.level import active_level_db
from ivr.signal.wav import probe, read_wav, write_wav

SPEECH_SOURCES = (
    Path("/usr/share/asterisk/sounds/en_US_f_Allison"),
    Path("/usr/share/asterisk/sounds/es_MX_f_Allison"),
    Path("/usr/share/asterisk/sounds/fr_CA_f_June"),
    Path("/usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU"),
    Path("/usr/share/sounds/alsa"),
)
LABELS = ("clear", "too_quiet", "noisy", "speakerphone", "silence")
SPLITS = {"dev": 0, "test": 1}
_CLIPS_PER_SOURCE = 24
_PHONE_BAND = butter(4, [250, 3500], btype="band", fs=RATE, output="sos")
_SILENCE_ITEMS = 30


@dataclass(frozen=True)
class Item:
    """One labelled caller recording."""

    name: str
    label: str
    params: dict[str, Any]
    audio: np.ndarray = field(repr=False)


def speech_clips(split: str) -> list[tuple[str, np.ndarray]]:
    """Recorded utterances of 1.2-4 s, alternating between the splits, from every source present."""
    if split not in SPLITS:
        raise IvrError(f"--split: choose one of {', '.join(SPLITS)}")
    clips = []
    for source in SPEECH_SOURCES:
        if not source.is_dir():
            continue
        found = []
        for path in sorted(source.glob("*.wav")):
            try:
                duration = probe(path).duration
            except IvrError:
                continue
            if 1.2 <= duration <= 4.0 and path.stem != "Noise":
                found.append(path)
        step = max(1, len(found) // _CLIPS_PER_SOURCE)
        picked = [(f"{source.name}/{p.stem}", to_float(read_wav(p))) for p in found[::step][:_CLIPS_PER_SOURCE]]
        clips += picked[SPLITS[split] :: 2]
    if not clips:
        raise IvrError(
            "no recorded speech found: apt-get install asterisk-core-sounds-en-wav alsa-utils (scripts/setup.sh)"
        )
    return clips


def _at(x: np.ndarray, dbfs: float) -> np.ndarray:
    rms = np.sqrt(np.mean(x**2))
    return x * (10 ** (dbfs / 20) / rms) if rms > 0 else x


def _noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    w = rng.standard_normal(n)
    if kind == "pink":
        w = lfilter(
            [0.049922035, -0.095993537, 0.050612699, -0.004408786], [1, -2.494956002, 2.017265875, -0.5221894], w
        )
    elif kind == "brown":
        w = lfilter([1.0], [1.0, -0.98], w)
    elif kind == "hum":
        t = np.arange(n) / RATE
        w = np.sin(2 * np.pi * 50 * t) + 0.4 * np.sin(2 * np.pi * 150 * t) + 0.2 * _at(w, 0)
    return w


def room(rt60: float, drr_db: float, rng: np.random.Generator) -> np.ndarray:
    """A room impulse response: the direct sound, then exponentially decaying diffuse reverberation."""
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.004 * RATE)] = 0.0
    tail *= 10 ** (-drr_db / 20) / np.sqrt(np.sum(tail**2))
    tail[0] += 1.0
    return tail


def utterance(
    speech: np.ndarray, level_db: float, rng: np.random.Generator, rt60: float = 0.0, drr_db: float = 0.0
) -> np.ndarray:
    """The utterance as it reaches the line: reverberated if in a room, phone band, at a level."""
    x = fftconvolve(speech, room(rt60, drr_db, rng))[: len(speech) + int(rt60 * RATE)] if rt60 else speech
    x = sosfilt(_PHONE_BAND, x)
    return x * 10 ** ((level_db - active_level_db(x)) / 20)


def line_noise(kind: str, n: int, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """`n` samples of the line's own noise, phone band, at a level; 'none' is digital silence."""
    return np.zeros(n) if kind == "none" else _at(sosfilt(_PHONE_BAND, _noise(kind, n, rng)), level_db)


def compose(
    speech: np.ndarray,
    level_db: float,
    noise: str,
    noise_db: float,
    rng: np.random.Generator,
    rt60: float = 0.0,
    drr_db: float = 0.0,
    lead_s: float = 1.5,
    tail_s: float = 1.5,
) -> np.ndarray:
    """A caller recording: line noise, the utterance, line noise."""
    x = utterance(speech, level_db, rng, rt60, drr_db)
    y = np.concatenate([np.zeros(int(lead_s * RATE)), x, np.zeros(int(tail_s * RATE))])
    return y + line_noise(noise, len(y), noise_db, rng)


def build(split: str, seed: int = 20261124) -> Iterator[Item]:
    """The split's items, in a fixed order."""
    clips = speech_clips(split)
    for index, (label, (name, clip)) in enumerate(
        (label, c) for label in ("clear", "too_quiet", "noisy", "speakerphone") for c in clips
    ):
        rng = np.random.default_rng([seed, SPLITS[split], index])
        p: dict[str, Any] = {"clip": name}
        if label == "clear":
            p["level_db"] = rng.uniform(-32, -20)
            p["noise"] = str(rng.choice(["white", "pink", "none"]))
            p["snr_db"] = rng.uniform(35, 50)
            if rng.random() < 0.5:
                p["rt60"], p["drr_db"] = rng.uniform(0.15, 0.3), rng.uniform(8, 15)
        elif label == "too_quiet":
            p["level_db"] = rng.uniform(-54, -44)
            p["noise"] = str(rng.choice(["white", "pink"]))
            p["snr_db"] = rng.uniform(20, 30)
        elif label == "noisy":
            p["level_db"] = rng.uniform(-30, -20)
            p["noise"] = str(rng.choice(["white", "pink", "brown", "hum"]))
            p["snr_db"] = rng.uniform(0, 10)
        else:
            p["level_db"] = rng.uniform(-36, -26)
            p["noise"] = "pink"
            p["snr_db"] = rng.uniform(25, 40)
            p["rt60"], p["drr_db"] = rng.uniform(0.4, 1.0), rng.uniform(-6, 2)
        audio = compose(
            clip,
            p["level_db"],
            p["noise"],
            p["level_db"] - p["snr_db"],
            rng,
            p.get("rt60", 0.0),
            p.get("drr_db", 0.0),
        )
        yield Item(f"{split}-{index:03d}-{label}", label, _rounded(p), to_int16(audio))
    for index in range(_SILENCE_ITEMS):
        rng = np.random.default_rng([seed, SPLITS[split], 1000 + index])
        kind = str(rng.choice(["digital", "white", "pink", "brown", "hum"]))
        level = rng.uniform(-60, -25)
        n = int(4.0 * RATE)
        audio = np.zeros(n) if kind == "digital" else _at(_noise(kind, n, rng), level)
        params = {"noise": kind} if kind == "digital" else {"noise": kind, "noise_db": level}
        yield Item(f"{split}-{1000 + index}-silence", "silence", _rounded(params), to_int16(audio))


def _rounded(p: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in p.items()}


@dataclass(frozen=True)
class Result:
    item: Item
    measurement: Measurement | None

    def predicted(self, thresholds: HearingThresholds) -> str:
        return "silence" if self.measurement is None else thresholds.classify(self.measurement)


def hear(audio: np.ndarray, settings: ListenSettings | None = None) -> Measurement | None:
    """What the engine's own listener measures in one recording: its longest utterance (or a line that never paused)."""
    listener = Listener(SileroVad(), None, HearingThresholds(), settings)
    found: list[Measurement] = []
    for i in range(0, len(audio) - FRAME + 1, FRAME):
        found += [h.measurement for h in listener.feed(audio[i : i + FRAME]) if isinstance(h, Utterance)]
    return max(found, key=lambda m: m.duration) if found else None


def evaluate(items: list[Item]) -> list[Result]:
    return [Result(item, hear(item.audio)) for item in items]


def confusion(results: list[Result], thresholds: HearingThresholds) -> dict[str, dict[str, int]]:
    table = {truth: dict.fromkeys(LABELS, 0) for truth in LABELS}
    for r in results:
        table[r.item.label][r.predicted(thresholds)] += 1
    return table


def accuracy(table: dict[str, dict[str, int]]) -> dict[str, float]:
    return {label: row[label] / max(1, sum(row.values())) for label, row in table.items()}


def derive(results: list[Result]) -> HearingThresholds:
    """Thresholds that separate the dev split's classes best, each in the order `classify` applies them."""
    measured = [(r.item.label, r.measurement) for r in results if r.measurement is not None]
    noisy = _split_point([(m.snr_db, label == "noisy") for label, m in measured], low_is_positive=True)
    rest = [(label, m) for label, m in measured if m.snr_db >= noisy]
    quiet = _split_point([(m.level_db, label == "too_quiet") for label, m in rest], low_is_positive=True)
    rest = [(label, m) for label, m in rest if m.level_db >= quiet]
    speaker = _split_point([(m.decay_db_s, label == "speakerphone") for label, m in rest], low_is_positive=False)
    return HearingThresholds(round(noisy, 1), round(quiet, 1), round(speaker, 0))


def _split_point(values: list[tuple[float, bool]], low_is_positive: bool) -> float:
    """The cut that maximises balanced accuracy; where several do, the middle of their range."""
    xs = sorted({v for v, _ in values})
    cuts = [(a + b) / 2 for a, b in pairwise(xs)] or xs
    pos = [v for v, p in values if p]
    neg = [v for v, p in values if not p]

    def score(c: float) -> float:
        hit = sum((v < c) == low_is_positive for v in pos) / max(1, len(pos))
        reject = sum((v < c) != low_is_positive for v in neg) / max(1, len(neg))
        return (hit + reject) / 2

    best = max(score(c) for c in cuts)
    good = [c for c in cuts if score(c) == best]
    return (good[0] + good[-1]) / 2


def write(items: list[Item], out: Path) -> None:
    """Write the items as 16 kHz WAVs with a labels.csv, for listening or other tools."""
    import csv

    out.mkdir(parents=True, exist_ok=True)
    with (out / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "label", "params"])
        for item in items:
            write_wav(out / f"{item.name}.wav", [item.audio])
            w.writerow([f"{item.name}.wav", item.label, item.params])
