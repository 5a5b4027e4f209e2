"""Tone-less pinyin of heard text, for homophone matching (报秀 sounds like 报修)."""

from __future__ import annotations

from functools import lru_cache

from ivr.mandarin.text import is_han

SAME_CHAR = 1.0
SAME_SOUND = 0.9
NEAR_SOUND = 0.8
"""How alike two heard characters are: identical, homophones (tone-less), near-homophones (fold())."""

Readings = frozenset[str]

_RETROFLEX = (("zh", "z"), ("ch", "c"), ("sh", "s"))


def fold(syllable: str) -> str:
    """Fold the confusions of southern accents and ASR: zh/z, ch/c, sh/s, n/l, -ng/-n."""
    s = syllable
    for retroflex, flat in _RETROFLEX:
        if s.startswith(retroflex):
            s = flat + s[2:]
            break
    if s.startswith("n") and not s.startswith("ng"):
        s = "l" + s[1:]
    if s.endswith("ng") and len(s) > 2:
        s = s[:-1]
    return s


def _pinyin_per_char(text: str, heteronym: bool) -> list[list[str]]:
    from pypinyin import Style, pinyin  # slow to import (~0.3 s): only when a homophone is asked for

    return pinyin(text, style=Style.NORMAL, heteronym=heteronym, errors=lambda chunk: list(chunk))


@lru_cache(maxsize=16384)
def primary(ch: str) -> str:
    """The usual reading of one character on its own (单 -> dan); a non-Han character reads as itself."""
    return _pinyin_per_char(ch, False)[0][0] if is_han(ch) else ch


@lru_cache(maxsize=16384)
def heteronyms(ch: str) -> Readings:
    """Every reading pypinyin knows for one character (heteronym=True: 单 -> dan, shan, chan)."""
    return frozenset(_pinyin_per_char(ch, True)[0]) if is_han(ch) else frozenset({ch})


@lru_cache(maxsize=4096)
def readings_in(text: str) -> tuple[Readings, ...]:
    """Per character: its reading in this context (pypinyin's phrases: 银行 -> hang) and its usual reading."""
    if not any(is_han(ch) for ch in text):
        return tuple(frozenset({ch}) for ch in text)
    in_context = _pinyin_per_char(text, False)
    if len(in_context) != len(text):  # a non-Han chunk came back as one piece: fall back to one by one
        return tuple(frozenset({primary(ch)}) for ch in text)
    return tuple(frozenset({r[0], primary(ch)}) for r, ch in zip(in_context, text, strict=True))


def sound(heard: Readings, expected: Readings, near: bool = True) -> float:
    """SAME_SOUND if a reading is shared, NEAR_SOUND if one is after fold() (and near), else 0."""
    if heard & expected:
        return SAME_SOUND
    if near and {fold(r) for r in heard} & {fold(r) for r in expected}:
        return NEAR_SOUND
    return 0.0


def similarity(heard: str, expected: str, near: bool = True) -> float:
    """How alike two single characters sound on their own: SAME_CHAR, SAME_SOUND, NEAR_SOUND or 0."""
    if heard == expected:
        return SAME_CHAR
    if not (is_han(heard) and is_han(expected)):
        return 0.0
    return sound(frozenset({primary(heard)}), frozenset({primary(expected)}), near)
