"""Scoring the hearing classifier: what the engine's own listener hears in each item, matrices, derived thresholds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from ivr.adapters.vad import SileroVad
from ivr.engine.listener import Listener, ListenSettings, Utterance
from ivr.engine.ports import Vad
from ivr.eval.dataset import LABELS, Item
from ivr.frames import FRAME
from ivr.signal.hearing import HearingThresholds, Measurement


@dataclass(frozen=True)
class Result:
    """One item and what the listener reported: its first measured utterance (the one a call acts on), if any."""

    item: Item
    measurement: Measurement | None
    ongoing: bool = False

    def predicted(self, thresholds: HearingThresholds) -> str:
        return "silence" if self.measurement is None else thresholds.classify(self.measurement)


def hear(
    audio: np.ndarray,
    thresholds: HearingThresholds | None = None,
    settings: ListenSettings | None = None,
    vad: Vad | None = None,
) -> tuple[Measurement | None, bool]:
    """What the engine's own listener reports first in one recording: a measured utterance (ongoing or not), or none."""
    listener = Listener(vad or SileroVad(), None, thresholds or HearingThresholds(), settings)
    for i in range(0, len(audio) - FRAME + 1, FRAME):
        for h in listener.feed(audio[i : i + FRAME]):
            if isinstance(h, Utterance):
                return h.measurement, h.ongoing
    return None, False


def evaluate(
    items: Iterable[Item],
    thresholds: HearingThresholds | None = None,
    settings: ListenSettings | None = None,
    make_vad: Callable[[], Vad] | None = None,
    progress: Callable[[int, Item], None] | None = None,
) -> list[Result]:
    """Every item through a fresh listener (a fresh VAD each: `make_vad`, else Silero as calls use it);
    `progress` is told each item done, counted from 1."""
    results = []
    for done, item in enumerate(items, 1):
        results.append(Result(item, *hear(item.audio, thresholds, settings, make_vad() if make_vad else None)))
        if progress is not None:
            progress(done, item)
    return results


def confusion(results: list[Result], thresholds: HearingThresholds) -> dict[str, dict[str, int]]:
    """Rows: the truth; columns: the prediction; only the labels a set has as rows."""
    present = [label for label in LABELS if any(r.item.label == label for r in results)]
    table = {truth: dict.fromkeys(LABELS, 0) for truth in present}
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
    speaker = _split_point([(m.decay_db_s, label == "speakerphone") for label, m in rest], low_is_positive=False)
    rest = [(label, m) for label, m in rest if m.decay_db_s <= speaker]
    quiet = _split_point([(m.level_db, label == "too_quiet") for label, m in rest], low_is_positive=True)
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
