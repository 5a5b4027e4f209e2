"""Text normalisation shared by ivr.mandarin: Vosk's spaces, punctuation and full/half width folded."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

FILLERS: tuple[str, ...] = (
    "嗯", "呃", "额", "啊", "哦", "噢", "唉", "诶", "哎", "那个", "这个", "就是", "然后", "那么",
)  # fmt: skip
"""Words that carry nothing when they stand alone as a Vosk word (hesitations, discourse fillers)."""

_UNK = re.compile(r"\[unk\]|<unk>", re.IGNORECASE)
_SEPARATOR_CATEGORIES = ("P", "S", "Z", "C")


def fold(text: str) -> str:
    """Full width to half width (NFKC), lower case, Vosk's [unk] dropped; spaces and punctuation kept."""
    return _UNK.sub(" ", unicodedata.normalize("NFKC", text)).lower()


def words(text: str) -> list[str]:
    """The words of a transcript: split at spaces and at punctuation, which is dropped."""
    out: list[str] = []
    current: list[str] = []
    for ch in fold(text):
        if unicodedata.category(ch)[0] in _SEPARATOR_CATEGORIES:
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        out.append("".join(current))
    return out


def normalise(text: str) -> str:
    """One string to match on: no spaces, no punctuation, half width, lower case."""
    return "".join(words(text))


def drop_fillers(tokens: Iterable[str], fillers: Iterable[str] = FILLERS) -> list[str]:
    """The words that are not fillers; a filler inside a longer word is kept (那个人 stays)."""
    drop = set(fillers)
    return [t for t in tokens if t not in drop]


def strip_edges(text: str, prefixes: Iterable[str] = (), suffixes: Iterable[str] = ()) -> str:
    """Remove any of the prefixes from the start and suffixes from the end, repeatedly, longest first."""
    pre = sorted(prefixes, key=len, reverse=True)
    suf = sorted(suffixes, key=len, reverse=True)
    changed = True
    while changed and text:
        changed = False
        for p in pre:
            if p and text.startswith(p):
                text = text[len(p) :]
                changed = True
                break
        for s in suf:
            if s and text.endswith(s) and len(text) > len(s):
                text = text[: -len(s)]
                changed = True
                break
    return text


def is_han(ch: str) -> bool:
    """A CJK unified ideograph (the characters pinyin applies to)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"
