"""A slot value from one utterance, by type, with a quality flag, or why it could not be parsed (for re-asks)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ivr.mandarin.confirm import Reply, classify_reply, opens_with_no
from ivr.mandarin.numbers import NotAPhone, find_phone, number_runs, spoken_digits
from ivr.mandarin.readback import read_digits, read_phone
from ivr.mandarin.surnames import NoSurname, extract_surname, spell
from ivr.mandarin.text import drop_fillers, strip_edges, words

SlotKind = Literal["phone", "digits", "surname", "address", "text", "yesno"]
Quality = Literal["high", "low"]

LOW_CONFIDENCE = 0.6
"""Below this recogniser confidence a parsed value is marked low quality (it must be read back: CONF-1)."""

ADDRESS_LEADS: tuple[str, ...] = ("我的地址是", "地址是", "我家住在", "我住在", "住在", "我家在", "地址", "在", "是")
ADDRESS_UNITS: tuple[str, ...] = ("号楼", "号院", "单元", "号", "楼", "栋", "幢", "座", "层", "室", "弄", "巷", "排")
"""What a number in an address counts: 号, 号楼, 单元, 室 …, in the order tried (longest first)."""
ADDRESS_MARKERS = "省市区县镇乡村路街道巷弄号楼栋幢单元室院园厦场"
_TRAILING = ("啊", "呀", "吧", "呢", "嘛", "哦", "嗯", "啦")


@dataclass(frozen=True)
class Parsed:
    """A slot value; `quality` is low when it was pieced together, guessed by sound, or heard with low confidence."""

    kind: SlotKind
    value: str
    quality: Quality = "high"
    detail: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotParsed:
    """Why the utterance gave no value: a stable `reason` code (to choose the re-ask) and a one-line message."""

    kind: SlotKind
    reason: str
    message: str


Result = Parsed | NotParsed


def _clean(text: str) -> str:
    return strip_edges("".join(drop_fillers(words(text))), suffixes=_TRAILING)


def _phone(text: str) -> Result:
    found = find_phone(text)
    if isinstance(found, NotAPhone):
        return NotParsed("phone", found.reason, found.message)
    detail = {"phone_kind": found.kind, "area_code": found.area_code, "readback": read_phone(found)}
    return Parsed("phone", found.digits, "high" if found.sure else "low", detail)


def _digits(text: str) -> Result:
    runs = [r for r in number_runs(text) if r.significant]
    if not runs:
        return NotParsed("digits", "no_digits", "no digits heard")
    if len(runs) > 1:
        said = "', '".join(r.said for r in runs)
        return NotParsed("digits", "several_numbers", f"several numbers heard: '{said}'")
    run = runs[0]
    if run.problem:
        return NotParsed("digits", "unreadable", run.problem)
    if run.abbreviated:
        return NotParsed("digits", "ambiguous_amount", f"'{run.abbreviated[0]}': say the number digit by digit")
    return Parsed("digits", run.digits, "low" if run.amounts else "high", {"readback": read_digits(run.digits)})


def _surname(text: str) -> Result:
    found = extract_surname(text)
    if isinstance(found, NoSurname):
        return NotParsed("surname", found.reason, found.message)
    detail = {"title": found.title, "how": found.how, "spell": spell(found.surname) or ""}
    return Parsed("surname", found.surname, "high" if found.sure else "low", detail)


def _address(text: str) -> Result:
    said = strip_edges(_clean(text), prefixes=ADDRESS_LEADS)
    if not said:
        return NotParsed("address", "empty", "no address heard")
    detail: dict[str, str] = {}
    quality: Quality = "high" if len(said) >= 4 and any(ch in ADDRESS_MARKERS for ch in said) else "low"
    for run in number_runs(said):
        unit = next((u for u in ADDRESS_UNITS if said.startswith(u, run.end)), None)
        if unit is None or unit in detail:
            continue
        if run.problem or not run.digits:
            quality = "low"
            continue
        if run.abbreviated:
            quality = "low"
        detail[unit] = run.digits
    return Parsed("address", said, quality, detail)


def _text(text: str) -> Result:
    said = _clean(text)
    return Parsed("text", said) if said else NotParsed("text", "empty", "nothing said")


def _yesno(text: str) -> Result:
    reply = classify_reply(text)
    if reply.kind in ("yes", "no"):
        return Parsed("yesno", reply.kind)
    if reply.kind == "correction" and opens_with_no(text):  # 不是，是咨询; a bare 幺三九 is neither (UNSURE-1)
        return Parsed("yesno", "no", "high", {"correction": reply.value})
    return NotParsed("yesno", "unclear", "neither yes nor no")


_PARSERS: dict[str, Callable[[str], Result]] = {
    "phone": _phone,
    "digits": _digits,
    "surname": _surname,
    "address": _address,
    "text": _text,
    "yesno": _yesno,
}


def parse_slot(kind: SlotKind, text: str, confidence: float | None = None) -> Result:
    """Parse `text` (Vosk's words) as a `kind` slot; `confidence` (Vosk's, 0-1) below LOW_CONFIDENCE lowers quality."""
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ValueError(f"unknown slot type '{kind}' (one of {', '.join(_PARSERS)})")
    result = parser(text)
    if isinstance(result, Parsed) and confidence is not None and confidence < LOW_CONFIDENCE:
        return Parsed(result.kind, result.value, "low", result.detail)
    return result


def apply_correction(previous: str, reply: Reply) -> str | None:
    """The digits after a correction (APOL-1): a whole new number, or one part replaced; None to ask again."""
    if reply.kind != "correction":
        return None
    new = spoken_digits(reply.value)
    if not new:
        return None
    if len(new) >= len(previous):
        return new
    old = spoken_digits(reply.replaces) if reply.replaces else ""
    if old and len(old) == len(new) and previous.count(old) == 1:
        return previous.replace(old, new)
    return None
