"""Keyword lists matched in what the caller said: exact, fuzzy (rapidfuzz), and by sound (pinyin), for misheard words.

An ASR that writes 报秀 for 报修 still names the fault report: the pinyin of the words (bao xiu) is matched
too. Short keywords must match exactly, so a one-syllable word does not match everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ivr.engine.language import Match
from ivr.mandarin.text import fold, pinyin

FUZZY_SCORE = 90.0
"""Fuzzy matches below this score (0-100) do not count."""
MIN_FUZZY_CHARS = 3
"""Keywords shorter than this match only exactly or by their exact sound."""


def find(text: str, keywords: Mapping[str, Sequence[str]]) -> list[Match]:
    """Each keyword list that matched, where in the words, how well; at most one match per list (its best)."""
    from rapidfuzz import fuzz

    said = fold(text)
    if not said:
        return []
    said_py = pinyin(said)
    out = []
    for key, words in keywords.items():
        best: Match | None = None
        for word in words:
            w = fold(word)
            if not w:
                continue
            match: Match | None = None
            if w in said:
                match = Match(key, said.find(w), 1.0)
            elif (w_py := pinyin(w)) and f" {w_py} " in f" {said_py} ":
                position = said_py[: said_py.find(w_py)].count(" ")
                match = Match(key, position, 0.95)
            elif len(w) >= MIN_FUZZY_CHARS:
                aligned = fuzz.partial_ratio_alignment(w, said)
                if aligned is not None and aligned.score >= FUZZY_SCORE:
                    match = Match(key, aligned.dest_start, aligned.score / 100)
            if match is not None and (best is None or match.score > best.score):
                best = match
        if best is not None:
            out.append(best)
    return out
