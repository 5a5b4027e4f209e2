"""The hearing evaluation sets: real recorded speech put through line conditions, labelled by the rules.

Speech and music come from `ivr.eval.sources` (Debian's recorded voice prompts, alsa-utils' clips, music on
hold). Each clip becomes a caller recording (line noise, the utterance, line noise) in one condition.

The clean set: one cause at a time, the bands drawn apart.
  clear         -32..-20 dBFS, line noise 35-50 dB down, dry or near-field (RT60 0.15-0.3 s, DRR 8-15 dB)
  too_quiet     -54..-44 dBFS, line noise 20-30 dB down
  noisy         -30..-20 dBFS, SNR 0-10 dB: white, pink or brown noise, or hum + hiss
  speakerphone  -36..-26 dBFS, room reverberation RT60 0.4-1.0 s at DRR -6..+2 dB, noise 25-40 dB down
  silence       no speech on a dead line: digital silence, or hiss or hum at -60..-47 dBFS

The overlap set: callers hard to hear in more than one way, labelled by what the service code does first.
  quiet_reverberant -> speakerphone  -54..-42 dBFS in a room (RT60 0.4-1.0 s, DRR -6..+2 dB), noise 25-40 dB
                                     down: HEAR-1 names the cause (免提) before HEAR-2 asks for a louder voice
  speakerphone_any  -> speakerphone  -48..-22 dBFS, rooms RT60 0.4-1.2 s, DRR -6..+3 dB, noise 25-40 dB down
  quiet_hiss        -> too_quiet     -54..-44 dBFS on a hissy line at SNR 18-24 dB, above the noisy band
                                     (0-10 dB): the voice is what is too weak, not the line (HEAR-2)
  noisy_quiet       -> noisy         -54..-40 dBFS at SNR 0-10 dB (white, pink, brown noise, mains hum): a
                                     line too noisy to hear is HEAR-3 whatever the caller's level
  babble_under, music_under, hum_under -> noisy
                                     a caller at -32..-20 dBFS over other talkers (3-6, real recorded
                                     speech of the split's own clips), music on hold or mains hum at SNR 0-10 dB
  babble_alone, music_alone, hum_alone, hiss_alone -> noisy
                                     10 s of the line alone, the caller silent, at -38..-20 dBFS (hum and hiss
                                     -35..-20): a line that is plainly not silent is too noisy to hear anyone
                                     on (HEAR-3), never SIL-1's "您的电话没有声音"
Left out as ambiguous under the rules: a speakerphone on a noisy line, and levels between the bands.

Every parameter is drawn from a generator seeded by the set, the split and the item's index, so the sets
are the same on every machine. Clips alternate between the `dev` split (used to derive the thresholds) and
the `test` split (used to report accuracy); so do the music tracks, and babble is made of the split's clips.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ivr.clock import RATE
from ivr.eval.conditions import (
    at_rms,
    babble,
    line_noise,
    mains_hum,
    music,
    noise,
    phone_band,
    utterance,
)
from ivr.eval.sources import SPLITS, check_split, music_tracks, speech_clips
from ivr.frames import to_int16
from ivr.signal.wav import write_wav

__all__ = [
    "LABELS",
    "LEAD_S",
    "SETS",
    "UNDER_LEAD_S",
    "Item",
    "build",
    "compose",
    "line_noise",
    "speech_clips",
    "to_int16",
    "utterance",
    "write",
]

LABELS = ("clear", "too_quiet", "noisy", "speakerphone", "silence")
SETS = ("clean", "overlap")
_SILENCE_ITEMS = 30
_ALONE_ITEMS = 8  # per kind of line alone
_ALONE_S = 10.0
SEED = 20261124
LEAD_S = 1.5
"""The line before a caller speaks, by default."""
UNDER_LEAD_S = 3.0
"""The same over babble, music or hum, so the line's floor is heard first."""


@dataclass(frozen=True)
class Item:
    """One labelled caller recording."""

    name: str
    label: str
    params: dict[str, Any]
    audio: np.ndarray = field(repr=False)


def compose(
    speech: np.ndarray,
    level_db: float,
    noise_kind: str,
    noise_db: float,
    rng: np.random.Generator,
    rt60: float = 0.0,
    drr_db: float = 0.0,
    lead_s: float = LEAD_S,
    tail_s: float = 1.5,
) -> np.ndarray:
    """A caller recording: line noise, the utterance, line noise."""
    x = utterance(speech, level_db, rng, rt60, drr_db)
    y = np.concatenate([np.zeros(int(lead_s * RATE)), x, np.zeros(int(tail_s * RATE))])
    return y + line_noise(noise_kind, len(y), noise_db, rng)


def build(split: str, which: str = "clean", seed: int = SEED, lead_s: float | None = None) -> Iterator[Item]:
    """The items of one set and split, in a fixed order; `lead_s`: the line before every caller speaks (default
    LEAD_S, UNDER_LEAD_S over babble, music or hum), e.g. 10 s for a caller who speaks after the greeting."""
    check_split(split)
    if which == "clean":
        yield from _clean(split, seed, LEAD_S if lead_s is None else lead_s)
    elif which == "overlap":
        yield from _overlap(split, seed, *((LEAD_S, UNDER_LEAD_S) if lead_s is None else (lead_s, lead_s)))
    else:
        raise ValueError(f"unknown set {which!r}")


def _rng(seed: int, which: str, split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, SETS.index(which), SPLITS[split], index])


def _clean(split: str, seed: int, lead_s: float) -> Iterator[Item]:
    clips = speech_clips(split)
    pairs = [(label, c) for label in ("clear", "too_quiet", "noisy", "speakerphone") for c in clips]
    for index, (label, (name, clip)) in enumerate(pairs):
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
        level, noise_db = p["level_db"], p["level_db"] - p["snr_db"]
        audio = compose(clip, level, p["noise"], noise_db, rng, p.get("rt60", 0.0), p.get("drr_db", 0.0), lead_s)
        yield Item(f"{split}-{index:03d}-{label}", label, _rounded(p), to_int16(audio))
    for index in range(_SILENCE_ITEMS):
        rng = np.random.default_rng([seed, SPLITS[split], 1000 + index])
        kind = str(rng.choice(["digital", "white", "pink", "brown", "hum"]))
        level = rng.uniform(-60, -47)
        n = int(4.0 * RATE)
        audio = np.zeros(n) if kind == "digital" else at_rms(noise(kind, n, rng), level)
        params = {"noise": kind} if kind == "digital" else {"noise": kind, "noise_db": level}
        yield Item(f"{split}-{1000 + index}-silence", "silence", _rounded(params), to_int16(audio))


Condition = Callable[[np.ndarray, np.random.Generator, dict[str, Any]], np.ndarray]


def _overlap(split: str, seed: int, lead_s: float, under_lead_s: float) -> Iterator[Item]:
    clips = speech_clips(split)
    tracks = music_tracks(split)
    talkers = [c for _, c in clips]

    def quiet_reverberant(clip: np.ndarray, rng: np.random.Generator, p: dict[str, Any]) -> np.ndarray:
        p.update(level_db=rng.uniform(-54, -42), noise="pink", snr_db=rng.uniform(25, 40))
        p.update(rt60=rng.uniform(0.4, 1.0), drr_db=rng.uniform(-6, 2))
        return compose(clip, p["level_db"], "pink", p["level_db"] - p["snr_db"], rng, p["rt60"], p["drr_db"], lead_s)

    def speakerphone_any(clip: np.ndarray, rng: np.random.Generator, p: dict[str, Any]) -> np.ndarray:
        p.update(level_db=rng.uniform(-48, -22), noise=str(rng.choice(["white", "pink"])), snr_db=rng.uniform(25, 40))
        p.update(rt60=rng.uniform(0.4, 1.2), drr_db=rng.uniform(-6, 3))
        level, noise_db = p["level_db"], p["level_db"] - p["snr_db"]
        return compose(clip, level, p["noise"], noise_db, rng, p["rt60"], p["drr_db"], lead_s)

    def quiet_hiss(clip: np.ndarray, rng: np.random.Generator, p: dict[str, Any]) -> np.ndarray:
        p.update(level_db=rng.uniform(-54, -44), noise=str(rng.choice(["white", "pink"])), snr_db=rng.uniform(18, 24))
        return compose(clip, p["level_db"], p["noise"], p["level_db"] - p["snr_db"], rng, lead_s=lead_s)

    def noisy_quiet(clip: np.ndarray, rng: np.random.Generator, p: dict[str, Any]) -> np.ndarray:
        kind = str(rng.choice(["white", "pink", "brown", "mains"]))
        p.update(level_db=rng.uniform(-54, -40), noise=kind, snr_db=rng.uniform(0, 10))
        x = compose(clip, p["level_db"], "none", 0.0, rng, lead_s=lead_s)
        bed = phone_band(mains_hum(len(x), rng)) if kind == "mains" else line_noise(kind, len(x), 0.0, rng)
        return x + at_rms(bed, p["level_db"] - p["snr_db"])

    def under(kind: str) -> Condition:
        def make(clip: np.ndarray, rng: np.random.Generator, p: dict[str, Any]) -> np.ndarray:
            p.update(level_db=rng.uniform(-32, -20), noise=kind, snr_db=rng.uniform(0, 10))
            x = compose(clip, p["level_db"], "none", 0.0, rng, lead_s=under_lead_s, tail_s=2.0)
            bed = _line(kind, len(x), rng, p)
            return x + at_rms(bed, p["level_db"] - p["snr_db"])

        return make

    def _line(kind: str, n: int, rng: np.random.Generator, p: dict[str, Any]) -> np.ndarray:
        if kind == "babble":
            p["talkers"] = int(rng.integers(3, 7))
            return babble(talkers, p["talkers"], n, rng)
        if kind == "music":
            name, track = tracks[int(rng.integers(len(tracks)))]
            p["track"] = name
            return music(track, n, rng)
        if kind == "hum":
            return phone_band(mains_hum(n, rng))
        return line_noise("white", n, 0.0, rng)

    per_clip: list[tuple[str, str, Condition]] = [
        ("quiet_reverberant", "speakerphone", quiet_reverberant),
        ("speakerphone_any", "speakerphone", speakerphone_any),
        ("quiet_hiss", "too_quiet", quiet_hiss),
        ("noisy_quiet", "noisy", noisy_quiet),
    ]
    index = 0
    for condition, label, make in per_clip:
        for name, clip in clips:
            rng = _rng(seed, "overlap", split, index)
            p: dict[str, Any] = {"condition": condition, "clip": name}
            audio = make(clip, rng, p)
            yield Item(f"{split}-overlap-{index:03d}-{condition}", label, _rounded(p), to_int16(audio))
            index += 1
    unders = ("babble", "music", "hum")
    for i, (name, clip) in enumerate(clips):
        kind = unders[i % len(unders)]
        rng = _rng(seed, "overlap", split, index)
        p = {"condition": f"{kind}_under", "clip": name}
        audio = under(kind)(clip, rng, p)
        yield Item(f"{split}-overlap-{index:03d}-{kind}_under", "noisy", _rounded(p), to_int16(audio))
        index += 1
    for kind in ("babble", "music", "hum", "hiss"):
        for _ in range(_ALONE_ITEMS):
            rng = _rng(seed, "overlap", split, index)
            top = -38.0 if kind in ("babble", "music") else -35.0
            p = {"condition": f"{kind}_alone", "noise": kind, "noise_db": rng.uniform(top, -20)}
            audio = at_rms(_line(kind, int(_ALONE_S * RATE), rng, p), p["noise_db"])
            yield Item(f"{split}-overlap-{index:03d}-{kind}_alone", "noisy", _rounded(p), to_int16(audio))
            index += 1


def _rounded(p: dict[str, Any]) -> dict[str, Any]:
    return {k: round(float(v), 2) if isinstance(v, float) else v for k, v in p.items()}


def write(items: list[Item], out: Path) -> None:
    """Write the items as 16 kHz WAVs with a labels.csv, for listening or other tools."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "label", "params"])
        for item in items:
            write_wav(out / f"{item.name}.wav", [item.audio])
            w.writerow([f"{item.name}.wav", item.label, item.params])
