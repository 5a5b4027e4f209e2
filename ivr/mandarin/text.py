"""Text folding shared by every matcher: no spaces or punctuation, full width to half width, lower case."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_NOT_WORDS = re.compile(r"[\s\W_]+", re.UNICODE)
FILLERS = ("嗯", "呃", "啊", "那个", "就是", "这个", "然后")
"""Words callers put anywhere while thinking; they carry nothing."""


def fold(text: str) -> str:
    """`一 三 八，零零` -> `一三八零零`; `１３８` -> `138`; `OK` -> `ok`."""
    return _NOT_WORDS.sub("", unicodedata.normalize("NFKC", text)).lower()


def without_fillers(text: str) -> str:
    out = fold(text)
    for filler in FILLERS:
        out = out.replace(filler, "")
    return out


@cache
def pinyin(text: str) -> str:
    """Tone-less pinyin of the folded text, one syllable per character, spaced: 报修 -> `bao xiu`."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(fold(text), errors=lambda chars: list(chars)))
