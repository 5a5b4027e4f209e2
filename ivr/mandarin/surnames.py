"""Surnames as callers say them (我姓张，弓长张 / 免贵姓欧阳 / 我是李主任) and as the IVR addresses them.

GRT-2: surname and title; GRT-3: never the full name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ivr.mandarin.surnames_data import COMMON, COMPOUND, IDIOMS, TITLES
from ivr.mandarin.text import fold

_NAMED = re.compile(r"(?:免贵姓|我姓|姓|我是|我叫|这里是|叫我)(.+)")


@dataclass(frozen=True)
class Surname:
    surname: str
    title: str | None = None


def known(surname: str) -> bool:
    return surname in COMPOUND or (len(surname) == 1 and surname in COMMON)


def _first_surname(text: str) -> str | None:
    """The surname at the start of the text: a compound one (two characters) first, else one character."""
    if text[:2] in COMPOUND:
        return text[:2]
    if text[:1] and ("\u4e00" <= text[0] <= "\u9fff"):
        return text[0]
    return None


def extract(text: str) -> Surname | None:
    """The surname (and a title) the caller gives: `我姓张，弓长张` -> 张; `我是李主任` -> 李, 主任."""
    said = fold(text)
    for idiom, surname in sorted(IDIOMS.items(), key=lambda kv: -len(kv[0])):
        if idiom in said:
            return Surname(surname, _title_after(said, said.find(surname, said.find(idiom) + len(idiom))))
    m = _NAMED.search(said)
    rest = m.group(1) if m else said
    surname = _first_surname(rest)
    if surname is None or (not m and not known(surname)):
        return None
    after = rest[len(surname) :]
    return Surname(surname, _title_after(after, 0))


def _title_after(text: str, at: int) -> str | None:
    if at < 0:
        return None
    rest = text[at:]
    for title in sorted(TITLES, key=len, reverse=True):
        if rest.startswith(title) or (
            len(rest) > 1 and rest[1:].startswith(title) and rest[0] in COMMON + "".join(COMPOUND)
        ):
            return title
    return None


@cache
def readings(surname: str) -> frozenset[str]:
    """Every tone-less pinyin reading of a surname, heteronyms included (单: dan, shan, chan)."""
    from itertools import product

    from pypinyin import Style, pinyin

    per_char = pinyin(surname, style=Style.NORMAL, heteronym=True)
    return frozenset(" ".join(p) for p in product(*per_char))


def same(heard: str, expected: str) -> bool:
    """The heard surname is the expected one, or a homophone of it (an ASR slip): 单 heard as 善 still matches."""
    return heard == expected or bool(readings(heard) & readings(expected))


def spelled(surname: str) -> str:
    """How the IVR reads a surname back: its idiom if it has one (弓长张), else the surname."""
    for idiom, s in IDIOMS.items():
        if s == surname and idiom.endswith(surname) and "的" not in idiom:
            return idiom
    return surname


def address(surname_or_name: str, title: str) -> str:
    """How the IVR addresses the caller: surname and title, never the full name (GRT-3)."""
    name = fold(surname_or_name)
    surname = name[:2] if name[:2] in COMPOUND else name[:1]
    return f"{surname}{title}"
