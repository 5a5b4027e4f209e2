"""Mandarin for the engine's language port, on `ivr.mandarin` (slots, replies, intents, forms of address).

Every `ivr.mandarin` import is inside a method: the package's modules are light, but the engine's start-up
should not pay even for them, and pypinyin, cn2an and rapidfuzz load only when first used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ivr.engine.language import Match, NotUnderstood, Reply, SlotValue
from ivr.errors import IvrError

if TYPE_CHECKING:
    from ivr.mandarin.confirm import Reply as MandarinReply
    from ivr.mandarin.keywords import IntentMatcher

KeywordLists = tuple[tuple[str, tuple[str, ...]], ...]

_YESNO_SPOKEN = {"yes": "是", "no": "不是"}
MIN_WORDS = 2
"""A fault, a question or an address of one character (喂, 对) is asked for again."""


class MandarinLanguage:
    """The language port for Mandarin callers: slot values, replies, keywords, forms of address."""

    def slot(self, kind: str, text: str) -> SlotValue | NotUnderstood:
        """The slot's value and its read-back words (CONF-1), or why the words give none (the re-ask says so)."""
        from ivr.mandarin.slots import NotParsed, parse_slot

        try:
            parsed = parse_slot(kind, text)  # type: ignore[arg-type]
        except ValueError as e:
            raise IvrError(f"slot type: {e}") from None
        if isinstance(parsed, NotParsed):
            return NotUnderstood(parsed.message)
        if kind in ("text", "address") and len(parsed.value) < MIN_WORDS:
            return NotUnderstood("too short")
        detail = dict(parsed.detail)
        extra = {k: v for k, v in detail.items() if v and k not in ("readback", "spell")}
        extra["quality"] = parsed.quality
        if kind == "surname":
            spoken = detail.get("spell") or parsed.value  # 弓长张: which 张 is meant
        elif kind == "yesno":
            spoken = _YESNO_SPOKEN[parsed.value]
        else:
            spoken = detail.get("readback") or parsed.value  # phone and digits: 幺, in groups (CONF-1)
        return SlotValue(parsed.value, spoken, extra)

    def reply(self, text: str, expected: str | None = None) -> Reply:
        """A reply to a read-back of `expected` (CONF-1) or to 'is it fixed now?' (REP-1); never a guess (UNSURE-1)."""
        from ivr.mandarin.confirm import classify_outcome, classify_reply

        said = classify_reply(text, expected)
        if said.kind == "unclear":
            said = classify_outcome(text)
        if said.kind == "correction" and said.replaces and expected:
            whole = _corrected_digits(expected, said)
            if whole:
                return Reply("correction", whole)
        return Reply(said.kind, said.value or None)  # a correction's value is parsed again as the slot (APOL-1)

    def find(self, text: str, keywords: Mapping[str, Sequence[str]]) -> list[Match]:
        """Each keyword list heard (ASK-1): where it was first heard, and its best score (0..1)."""
        lists: KeywordLists = tuple((key, tuple(words)) for key, words in keywords.items())
        found: dict[str, Match] = {}
        for m in _matcher(lists).find(text):
            seen = found.get(m.intent)
            score = m.score / 100
            position = m.start if seen is None else min(seen.position, m.start)
            found[m.intent] = Match(m.intent, position, score if seen is None else max(seen.score, score))
        return sorted(found.values(), key=lambda m: m.position)

    def address(self, surname: str, title: str) -> str:
        """Surname and title (GRT-2), never the full name (GRT-3)."""
        from ivr.mandarin.surnames import address

        try:
            return address(surname, title)
        except ValueError as e:
            raise IvrError(f"form of address: {e}") from None


def _corrected_digits(read_back: str, said: MandarinReply) -> str | None:
    """The whole number after '是一三九不是一三八' corrects one group of a digit read-back (APOL-1), else None."""
    from ivr.mandarin.readback import GROUP_SEPARATOR, SPOKEN_DIGITS
    from ivr.mandarin.slots import apply_correction

    groups = read_back.split(GROUP_SEPARATOR)
    if not all(g and all(ch in SPOKEN_DIGITS for ch in g) for g in groups):
        return None  # only a number read back digit by digit: an address's 五零二 is not the whole value
    return apply_correction("".join(str(SPOKEN_DIGITS.index(ch)) for g in groups for ch in g), said)


@lru_cache(maxsize=64)
def _matcher(lists: KeywordLists) -> IntentMatcher:
    """One matcher per keyword mapping (the flow's intents, its answers, its faults), built once."""
    from ivr.mandarin.keywords import Intent, IntentMatcher, default_excludes
    from ivr.mandarin.text import normalise

    excludes = default_excludes()
    intents = []
    for key, words in lists:
        own = [normalise(w) for w in words]
        # a phrase the list itself names (司机 in 出租车司机) still counts for that list
        kept = tuple(p for p in excludes if not any(normalise(p) in w for w in own))
        intents.append(Intent(key, words, exclude=kept))
    try:
        return IntentMatcher(intents)
    except ValueError as e:
        raise IvrError(f"keywords: {e}") from None
