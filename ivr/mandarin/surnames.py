"""Surnames from what callers say, matched by sound, and the form of address (GRT-2, never the full name: GRT-3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ivr.mandarin import pinyin
from ivr.mandarin.text import drop_fillers, is_han, strip_edges, words

DATA = Path(__file__).parent / "data"

TITLES: tuple[str, ...] = (
    "工程师", "老师", "主任", "科长", "处长", "局长", "经理", "总监", "院长", "校长", "教授", "医生", "大夫",
    "书记", "部长", "厂长", "站长", "所长", "队长", "组长", "师傅", "先生", "女士", "小姐", "博士", "总", "工",
)  # fmt: skip
"""Titles callers are addressed by (GRT-2), longest first where one contains another."""

_SHORT_TITLES = ("总", "工")
_SELF = ("我就是", "我是", "叫我", "称呼我", "我")
_PARTICLES = ("啊", "呀", "吧", "呢", "嘛", "哦", "嗯", "啦", "就行", "就好", "就可以")
_NOT_GIVEN_NAME = set("的了吗呢啊吧着过来去在要想有说是不")


def _read_list(name: str) -> tuple[str, ...]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def common_surnames() -> tuple[str, ...]:
    """Single-character surnames, most frequent first (data/surnames.txt)."""
    return _read_list("surnames.txt")


@lru_cache(maxsize=1)
def compound_surnames() -> tuple[str, ...]:
    """Two-character surnames such as 欧阳 and 司马 (data/compound_surnames.txt)."""
    return _read_list("compound_surnames.txt")


@lru_cache(maxsize=1)
def idioms() -> tuple[tuple[str, str], ...]:
    """(phrase, surname) pairs callers use to spell a surname: ('弓长张', '张') (data/surname_idioms.tsv)."""
    pairs = []
    for line in _read_list("surname_idioms.tsv"):
        phrase, _, surname = line.partition("\t")
        pairs.append((phrase.strip(), surname.strip()))
    return tuple(pairs)


@lru_cache(maxsize=1)
def _reading_table() -> dict[str, tuple[frozenset[str], ...]]:
    table = {}
    for line in _read_list("surname_readings.tsv"):
        surname, _, readings = line.partition("\t")
        table[surname.strip()] = tuple(frozenset(alts.split("/")) for alts in readings.split())
    return table


def readings(surname: str) -> tuple[frozenset[str], ...]:
    """Per character, the tone-less readings a caller may say for this surname (单 -> shan or dan)."""
    table = _reading_table()
    if surname in table:
        return table[surname]
    return tuple(table[ch][0] if ch in table else frozenset({pinyin.primary(ch)}) for ch in surname)


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(common_surnames()) | frozenset(compound_surnames())


def is_surname(text: str) -> bool:
    """A known surname (single or compound)."""
    return text in _known()


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name) of a full name: a compound surname when the name starts with one."""
    if not name:
        raise ValueError("empty name")
    if name[:2] in compound_surnames():
        return name[:2], name[2:]
    return name[:1], name[1:]


def address(surname: str, title: str) -> str:
    """The form of address, surname + title ('张工程师'); a full name is cut to its surname (GRT-3)."""
    surname, title = surname.strip(), title.strip()
    if not surname or not all(is_han(ch) for ch in surname):
        raise ValueError(f"'{surname}' is not a Chinese surname")
    if not title or not all(is_han(ch) for ch in title) or len(title) > 4:
        raise ValueError(f"'{title}' is not a title (老师, 工程师, 主任 …)")
    return split_name(surname)[0] + title


def similarity(heard: str, expected: str, near: bool = False) -> float:
    """How alike a heard surname is to an expected one: 1.0 same, 0.9 homophone (单 heard as 善), 0.8 near, else 0."""
    if len(heard) != len(expected) or not heard:
        return 0.0
    if heard == expected:
        return pinyin.SAME_CHAR
    heard_readings = pinyin.readings_in(heard)
    scores = [
        pinyin.SAME_CHAR if h == e else pinyin.sound(hr, er, near)
        for h, e, hr, er in zip(heard, expected, heard_readings, readings(expected), strict=True)
    ]
    return min(scores)


def same_surname(heard: str, expected: str, near: bool = False) -> bool:
    """The heard surname is the expected one or sounds like it (an ASR homophone still matches)."""
    return similarity(heard, expected, near) > 0


def homophones(heard: str) -> tuple[str, ...]:
    """Known surnames a heard one may stand for (张 -> 张, 章; 善 -> 单), most frequent first."""
    pool = compound_surnames() if len(heard) == 2 else common_surnames()
    return tuple(s for s in pool if similarity(heard, s) > 0)


def spell(surname: str) -> str | None:
    """How to say which surname is meant ('章' -> '立早章'), or None when there is no usual phrase."""
    return next((phrase for phrase, s in idioms() if s == surname), None)


@dataclass(frozen=True)
class Surname:
    """A surname heard, the title said with it if any, and whether it was said plainly (`sure`)."""

    surname: str
    title: str = ""
    sure: bool = True
    how: str = ""
    """Which pattern found it: idiom (弓长张), example (周末的周), 姓, title, name, self (我是老王), bare."""


@dataclass(frozen=True)
class NoSurname:
    """Why no surname could be taken: a stable `reason` code and a one-line message."""

    reason: str
    message: str


@lru_cache(maxsize=1)
def _idiom_variants() -> tuple[tuple[str, str, tuple[frozenset[str], ...]], ...]:
    """(variant, surname, readings): each phrase with and without 的 before the surname, any reading of its parts."""
    out = []
    for phrase, surname in idioms():
        other = phrase[:-2] + phrase[-1] if phrase[-2] == "的" else phrase[:-1] + "的" + phrase[-1]
        for variant in (phrase, other):
            parts = tuple(pinyin.heteronyms(ch) for ch in variant[:-1])
            out.append((variant, surname, (*parts, readings(surname)[0] | {pinyin.primary(surname)})))
    return tuple(out)


def _best_idiom(t: str) -> tuple[str, float] | None:
    """The spelled-out surname ('弓 长 张'), by sound, with its score, or None."""
    heard = pinyin.readings_in(t)
    best: tuple[str, float] | None = None
    for variant, surname, expected in _idiom_variants():
        n = len(variant)
        for i in range(len(t) - n + 1):
            scores = [
                pinyin.SAME_CHAR if t[i + k] == variant[k] else pinyin.sound(heard[i + k], expected[k], near=False)
                for k in range(n)
            ]
            if min(scores) > 0 and (best is None or sum(scores) / n > best[1]):
                best = (surname, sum(scores) / n)
    return best


def _from_example(t: str) -> Surname | None:
    """'周 末 的 周': a word, 的, then the surname that is in the word."""
    for m in re.finditer("的", t):
        for size in (2, 1):
            cand, word = t[m.end() : m.end() + size], t[max(0, m.start() - 4) : m.start()]
            if len(cand) == size and cand in word and is_surname(cand):
                return Surname(cand, how="example")
    return None


def _resolve(char: str) -> tuple[str, bool] | None:
    """A heard surname, or the most frequent known surname that sounds like it (not sure)."""
    if is_surname(char):
        return char, True
    if not all(is_han(ch) for ch in char):
        return None
    alike = homophones(char)
    return (alike[0], False) if alike else None


def _after_xing(t: str) -> Surname | None:
    m = re.search(r"(?:姓|(?<=[我贵])性(?![格别能质感]))(?:是|氏是)?(.{1,2})", t)  # 性: an ASR homophone of 姓
    if not m or t[m.start() : m.start() + 2] == "姓名":
        return None
    said = m.group(1)
    if said[:2] in compound_surnames():
        return Surname(said[:2], how="姓")
    found = _resolve(said[0])
    return Surname(found[0], sure=found[1], how="姓") if found else None


def _from_name(t: str) -> Surname | None:
    m = re.search(r"(?:我叫|名字叫|名字是|姓名是|姓名叫|姓名)(.{2,4})$", t)
    if not m:
        return None
    surname, given = split_name(strip_edges(m.group(1), suffixes=_PARTICLES))
    found = _resolve(surname) if given else None
    return Surname(found[0], sure=found[1], how="name") if found else None


def _from_title(t: str) -> Surname | None:
    for title in TITLES:
        for m in re.finditer(title, t):
            if title in _SHORT_TITLES and strip_edges(t[m.end() :], prefixes=_PARTICLES):
                continue
            for size in (2, 1):
                cand, prefix = t[max(0, m.start() - size) : m.start()], t[: max(0, m.start() - size)]
                if len(cand) == size and is_surname(cand) and (prefix == "" or prefix.endswith(_SELF)):
                    return Surname(cand, title, how="title")
    return None


def _from_self(t: str) -> Surname | None:
    m = re.search(r"(?:我就是|我是|叫我)([老小]?)(.{1,3})$", t)
    if not m:
        return None
    familiar, rest = m.group(1), strip_edges(m.group(2), suffixes=_PARTICLES)
    if familiar and len(rest) == 1 and is_surname(rest):
        return Surname(rest, how="self")
    if len(rest) < 2 or any(ch in _NOT_GIVEN_NAME for ch in rest[1:]):
        return None
    surname, given = split_name(rest)
    return Surname(surname, sure=False, how="self") if given and is_surname(surname) else None


def extract_surname(text: str) -> Surname | NoSurname:
    """The caller's surname from '我 姓 张', '免贵 姓 王', '姓 欧阳', '我 是 李 老师', '弓 长 张' …"""
    t = "".join(drop_fillers(words(text)))
    if not t:
        return NoSurname("empty", "nothing said")
    idiom, how = _best_idiom(t), "idiom"
    example = _from_example(t)
    if example and not idiom:
        idiom, how = (example.surname, pinyin.SAME_CHAR), "example"
    plain = _after_xing(t) or _from_title(t) or _from_name(t) or _from_self(t)
    if plain is None and 1 <= len(t) <= 2:
        bare = t if is_surname(t) else None
        plain = Surname(bare, how="bare") if bare else None
    if idiom:
        surname = idiom[0]
        if plain and not same_surname(plain.surname, surname):
            return NoSurname("conflict", f"heard both {plain.surname} and {surname}")
        return Surname(surname, plain.title if plain else "", sure=idiom[1] >= pinyin.SAME_SOUND, how=how)
    if plain:
        return plain
    return NoSurname("no_surname", f"no surname in '{t}'")
