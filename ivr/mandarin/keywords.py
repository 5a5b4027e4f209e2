"""Intents from keywords in what a caller says (ASK-1): exactly, by sound (pinyin) and fuzzily (rapidfuzz).

Every match has a score (0-100) and its position in the normalised text, so several intents in one
utterance are found, kept apart and ordered by urgency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from ivr.errors import IvrError
from ivr.mandarin import pinyin
from ivr.mandarin.text import normalise

DEFAULT_THRESHOLD = 80.0
MIN_KEYWORD = 2
"""A one-character keyword would match everywhere."""
MIN_FUZZY = 4
"""Shorter keywords match exactly or by sound only: one wrong character in two is another word; a fuzzy match
has all the keyword's characters, in order, but one."""
ALL_HOMOPHONES = 0.85
"""Score factor when no character was heard exactly (鼓掌 is a word of its own, not 故障 misheard)."""
INTENTS_FILE = Path(__file__).parent / "data" / "intents.yaml"

How = Literal["exact", "sound", "fuzzy"]


@dataclass(frozen=True)
class Intent:
    """A caller's intent: its keywords, how urgent it is, and phrases in which a keyword does not count."""

    name: str
    keywords: tuple[str, ...]
    urgency: int = 0
    exclude: tuple[str, ...] = ()
    rule: str = ""


@dataclass(frozen=True)
class Match:
    """One keyword found: where in the normalised text (start, end), what was heard there, and how well."""

    intent: str
    keyword: str
    heard: str
    start: int
    end: int
    score: float
    how: How
    urgency: int = 0


@dataclass(frozen=True)
class _Keyword:
    intent: Intent
    text: str
    readings: tuple[frozenset[str], ...]
    folded: tuple[frozenset[str], ...]


def _fold_all(readings: Iterable[frozenset[str]]) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(pinyin.fold(r) for r in rs) for rs in readings)


class IntentMatcher:
    """Finds intents in utterances; `threshold` (0-100) is the lowest score that counts."""

    def __init__(self, intents: Sequence[Intent], threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0 < threshold <= 100:
            raise ValueError(f"threshold {threshold} is not in (0, 100]")
        self.threshold = threshold
        self.intents = tuple(intents)
        self._keywords: list[_Keyword] = []
        owner: dict[str, str] = {}
        for intent in self.intents:
            if intent.name in {i.name for i in self.intents if i is not intent}:
                raise ValueError(f"intent '{intent.name}' is defined twice")
            for raw in intent.keywords:
                kw = normalise(raw)
                if len(kw) < MIN_KEYWORD:
                    raise ValueError(f"intent '{intent.name}': keyword '{raw}' is under {MIN_KEYWORD} characters")
                if kw in owner and owner[kw] != intent.name:
                    raise ValueError(f"keyword '{kw}' is in both '{owner[kw]}' and '{intent.name}'")
                owner[kw] = intent.name
                readings = pinyin.readings_in(kw)
                self._keywords.append(_Keyword(intent, kw, readings, _fold_all(readings)))

    def find(self, text: str) -> list[Match]:
        """Every intent heard, one match per stretch of text (the best), in the order said."""
        t = normalise(text)
        if not t:
            return []
        readings = pinyin.readings_in(t)
        folded = _fold_all(readings)
        candidates: list[Match] = []
        for kw in self._keywords:
            candidates.extend(self._by_sound(kw, t, readings, folded))
            if len(kw.text) >= MIN_FUZZY:
                candidates.extend(self._fuzzy(kw, t))
        candidates = [m for m in candidates if not _excluded(m, t, _intent(self.intents, m.intent).exclude)]
        kept: list[Match] = []
        for m in sorted(candidates, key=lambda m: (-m.score, -(m.end - m.start), m.start)):
            if all(m.end <= k.start or m.start >= k.end for k in kept):
                kept.append(m)
        return sorted(kept, key=lambda m: m.start)

    def by_urgency(self, text: str) -> list[Match]:
        """One match per intent, most urgent first, then in the order said (ASK-1)."""
        first: dict[str, Match] = {}
        for m in self.find(text):
            first.setdefault(m.intent, m)
        return sorted(first.values(), key=lambda m: (-m.urgency, m.start))

    def _by_sound(
        self, kw: _Keyword, t: str, readings: tuple[frozenset[str], ...], folded: tuple[frozenset[str], ...]
    ) -> list[Match]:
        n = len(kw.text)
        out = []
        for i in range(len(t) - n + 1):
            sims = []
            for k in range(n):
                if t[i + k] == kw.text[k]:
                    sims.append(pinyin.SAME_CHAR)
                elif readings[i + k] & kw.readings[k]:
                    sims.append(pinyin.SAME_SOUND)
                elif folded[i + k] & kw.folded[k]:
                    sims.append(pinyin.NEAR_SOUND)
                else:
                    sims.append(0.0)
            score = 100 * sum(sims) / n
            if pinyin.SAME_CHAR not in sims:
                score *= ALL_HOMOPHONES
            if score >= self.threshold:
                how: How = "exact" if score == 100 else "sound"
                out.append(Match(kw.intent.name, kw.text, t[i : i + n], i, i + n, score, how, kw.intent.urgency))
        return out

    def _fuzzy(self, kw: _Keyword, t: str) -> list[Match]:
        from rapidfuzz import fuzz  # imported on first use (~40 ms)
        from rapidfuzz.distance import LCSseq

        found = fuzz.partial_ratio_alignment(kw.text, t, score_cutoff=self.threshold)
        if found is None or found.score >= 100:
            return []
        start, end = found.dest_start, found.dest_end
        while start < end and t[start] not in kw.text:  # the alignment's window may take a neighbour along
            start += 1
        while end > start and t[end - 1] not in kw.text:
            end -= 1
        heard = t[start:end]
        if LCSseq.similarity(heard, kw.text) < len(kw.text) - 1 or _negations(heard) != _negations(kw.text):
            return []  # 不要了 is not 登录不了 half heard, and 可以打印了 is not 打印不了 with a word lost
        return [Match(kw.intent.name, kw.text, heard, start, end, found.score, "fuzzy", kw.intent.urgency)]


NEGATIONS = "不没无未别非"
"""A fuzzy match may leave out or change one character, but never one of these: it would turn the meaning over."""


def _negations(text: str) -> int:
    return sum(ch in NEGATIONS for ch in text)


def _intent(intents: Sequence[Intent], name: str) -> Intent:
    return next(i for i in intents if i.name == name)


def _excluded(m: Match, t: str, exclude: Sequence[str]) -> bool:
    for phrase in exclude:
        p = normalise(phrase)
        at = t.find(p)
        while at >= 0:
            if at < m.end and m.start < at + len(p):
                return True
            at = t.find(p, at + 1)
    return False


def load_intents(path: Path) -> tuple[Intent, ...]:
    """Intents from a YAML file (name: {keywords, urgency, exclude, rule}); a bad file is one IvrError line."""
    import yaml

    try:
        doc: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise IvrError(f"{path}: cannot read intents: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise IvrError(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not doc:
        raise IvrError(f"{path}: intents must be a mapping of intent name to keywords")
    intents = []
    for name, entry in doc.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("keywords"), list) or not entry["keywords"]:
            raise IvrError(f"{path}: intent '{name}' needs a non-empty 'keywords' list")
        unknown = set(entry) - {"keywords", "urgency", "exclude", "rule"}
        if unknown:
            raise IvrError(f"{path}: intent '{name}': unknown key '{sorted(unknown)[0]}'")
        urgency = entry.get("urgency", 0)
        if not isinstance(urgency, int) or isinstance(urgency, bool):
            raise IvrError(f"{path}: intent '{name}': urgency must be a whole number")
        exclude = entry.get("exclude", [])
        if not isinstance(exclude, list):
            raise IvrError(f"{path}: intent '{name}': exclude must be a list")
        intents.append(
            Intent(
                str(name),
                tuple(str(k) for k in entry["keywords"]),
                urgency,
                tuple(str(x) for x in exclude),
                str(entry.get("rule", "")),
            )
        )
    try:
        IntentMatcher(intents)
    except ValueError as e:
        raise IvrError(f"{path}: {e}") from None
    return tuple(intents)


def default_intents() -> tuple[Intent, ...]:
    """The hotline's intents (data/intents.yaml): fault report (REP-1), consultation (CONS-1), wrong number."""
    return load_intents(INTENTS_FILE)


@lru_cache(maxsize=1)
def default_excludes() -> tuple[str, ...]:
    """Every exclude phrase of data/intents.yaml: words that hold a keyword or sound like one (累坏了, 司机)."""
    return tuple(dict.fromkeys(p for intent in default_intents() for p in intent.exclude))
