"""Spoken numbers to digits (一三八, 幺, 两, 洞, 八百零二 …) and phone numbers checked as China numbers them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ivr.mandarin.text import without_fillers

DIGIT = {"零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
         "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}  # fmt: skip
UNITS = set("十百千万亿")


def to_arabic(text: str) -> str:
    """Every number in the words as Arabic digits, the rest kept: `三号楼五零二` -> `3号楼502`."""
    import warnings

    import cn2an

    said = without_fillers(text)
    digitwise = "".join(DIGIT.get(c, c) for c in said)
    if not (UNITS & set(said)):
        return digitwise
    with warnings.catch_warnings(record=True) as refused:  # cn2an warns, not raises, on numerals it cannot read
        warnings.simplefilter("always")
        try:
            arabic = str(cn2an.transform(said, "cn2an"))
        except (ValueError, KeyError):
            arabic = ""
    return digitwise if refused or not arabic else arabic


def digits(text: str) -> str:
    """The digits said, in order (digit by digit, or amounts such as 八百 spelt out): `幺三九 零零` -> `13900`."""
    return re.sub(r"\D", "", to_arabic(text))


@dataclass(frozen=True)
class Phone:
    digits: str
    kind: str  # mobile | landline | service


def phone(text: str) -> Phone | str:
    """A mainland China phone number in the words, or why not."""
    found = digits(text)
    if not found:
        return "no digits"
    if re.fullmatch(r"1[3-9]\d{9}", found):
        return Phone(found, "mobile")
    if re.fullmatch(r"0\d{9,11}", found):
        return Phone(found, "landline")
    if re.fullmatch(r"[48]00\d{7}", found):
        return Phone(found, "service")
    if found.startswith("1") and len(found) != 11:
        return f"a mobile number has 11 digits, not {len(found)}"
    return f"{len(found)} digits are not a phone number"
