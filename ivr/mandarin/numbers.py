"""Spoken numbers: Vosk's digit words to digit strings, and mainland China phone numbers checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ivr.mandarin.text import FILLERS, normalise

_CANONICAL = "零一二三四五六七八九"
DIGIT_WORDS: dict[str, str] = {
    **{str(d): str(d) for d in range(10)},
    **{ch: str(d) for d, ch in enumerate(_CANONICAL)},
    "〇": "0",
    "洞": "0",
    "幺": "1",
    "两": "2",
}
"""Every way a single digit is said or written: 幺 for 1, 两 for 2, 洞/〇 for 0 as well."""

SOUND_ALIKE_DIGITS: dict[str, str] = {
    "要": "1", "以": "1", "衣": "1", "医": "1", "而": "2", "儿": "2", "死": "4", "舞": "5", "溜": "6",
    "拐": "7", "吧": "8", "久": "9", "酒": "9", "勾": "9", "林": "0", "灵": "0", "铃": "0",
}  # fmt: skip
"""ASR homophones of digits (要 for 幺, 久 for 九) and radio digits (拐 7, 勾 9): digits only between two digits."""

UNITS = "十百千万亿"
NUMBER_FILLERS: tuple[str, ...] = (*FILLERS, "是", "杠", "横杠")
"""What may stand between the digits of one number without ending it (嗯, 那个, 是, a spoken dash)."""

_ABBREVIATED = re.compile(f"[百千万亿][{_CANONICAL[1:]}]$")


@dataclass(frozen=True)
class NumberRun:
    """One number as said: its digits, or the problem that makes it unreadable."""

    said: str
    digits: str
    start: int
    end: int
    amounts: tuple[str, ...] = ()
    abbreviated: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def significant(self) -> bool:
        """Not a lone 一/两/十 that is more likely a word (一下, 两个, 十分) than a number."""
        return len(self.said) > 1 or self.said not in ("一", "两", "十", "幺")


def number_runs(text: str) -> list[NumberRun]:
    """Every number in a transcript, in order; fillers between digits do not split a number."""
    s = normalise(text)
    runs: list[NumberRun] = []
    i = 0
    while i < len(s):
        if not (s[i] in DIGIT_WORDS or s[i] == "十"):
            i += 1
            continue
        chars, end = _scan_run(s, i)
        runs.append(_read_run(s[i:end], chars, i, end))
        i = end
    return runs


def _scan_run(s: str, start: int) -> tuple[list[str], int]:
    chars: list[str] = []
    j = start
    while j < len(s):
        ch = s[j]
        if ch in DIGIT_WORDS or (ch in UNITS and (chars or ch == "十")):
            chars.append(ch)
            j += 1
            continue
        if ch in SOUND_ALIKE_DIGITS and chars and chars[-1] in DIGIT_WORDS and _digit_ahead(s, j + 1):
            chars.append(SOUND_ALIKE_DIGITS[ch])
            j += 1
            continue
        k = _skip_fillers(s, j)
        if k > j and k < len(s) and s[k] in DIGIT_WORDS:
            j = k
            continue
        break
    return chars, j


def _digit_ahead(s: str, k: int) -> bool:
    """A digit at k, perhaps after more sound-alike digits."""
    while k < len(s) and s[k] in SOUND_ALIKE_DIGITS:
        k += 1
    return k < len(s) and s[k] in DIGIT_WORDS


def _skip_fillers(s: str, j: int) -> int:
    moved = True
    while moved:
        moved = False
        for filler in sorted(NUMBER_FILLERS, key=len, reverse=True):
            if s.startswith(filler, j):
                j += len(filler)
                moved = True
                break
    return j


def _read_run(said: str, chars: list[str], start: int, end: int) -> NumberRun:
    canon = [ch if ch in UNITS else _CANONICAL[int(DIGIT_WORDS[ch])] for ch in chars]
    out: list[str] = []
    amounts: list[str] = []
    abbreviated: list[str] = []
    i = 0
    while i < len(canon):
        starts_amount = canon[i] in UNITS or (i + 1 < len(canon) and canon[i + 1] in UNITS)
        if not starts_amount:
            out.append(DIGIT_WORDS[canon[i]])
            i += 1
            continue
        for j in range(len(canon), i, -1):
            chunk = "".join(canon[i:j])
            value = amount_value(chunk)
            if value is not None:
                out.append(str(value))
                amounts.append(chunk)
                if _ABBREVIATED.search(chunk):
                    abbreviated.append(chunk)
                i = j
                break
        else:
            return NumberRun(said, "", start, end, problem=f"'{''.join(canon[i:])}' is not a number")
    return NumberRun(said, "".join(out), start, end, tuple(amounts), tuple(abbreviated))


def amount_value(chunk: str) -> int | None:
    """A number said as an amount (八百 800, 两千零二十四 2024, 三百五 350), or None."""
    if not any(u in chunk for u in UNITS):
        return None
    import cn2an  # slow to import (~0.2 s): only when an amount is said

    try:
        value = cn2an.cn2an(chunk, "normal")
    except ValueError:
        return None
    return value if isinstance(value, int) and value >= 0 else None


def spoken_digits(text: str) -> str:
    """The digits of a transcript's numbers joined (一 三 八 -> 138); '' when none can be read."""
    return "".join(r.digits for r in number_runs(text) if r.significant)


PhoneKind = Literal["mobile", "landline", "service"]


@dataclass(frozen=True)
class Phone:
    """A valid mainland China number: mobile, landline with area code, or a 400/800 service number."""

    digits: str
    kind: PhoneKind
    area_code: str = ""
    sure: bool = field(default=True, compare=False)
    """False when the number was put together from amounts (八千) or from several pieces."""

    @property
    def local(self) -> str:
        return self.digits[len(self.area_code) :]

    def groups(self) -> tuple[str, ...]:
        """How it is said in groups: mobile 3-4-4, landline area code then the rest, service 3-3-4."""
        d = self.digits
        if self.kind == "mobile":
            return (d[:3], d[3:7], d[7:])
        if self.kind == "service":
            return (d[:3], d[3:6], d[6:])
        local = self.local
        head = len(local) - 4
        return (self.area_code, local[:head], local[head:])


@dataclass(frozen=True)
class NotAPhone:
    """Why what was heard is not a phone number: a stable `reason` code and a one-line message."""

    digits: str
    reason: str
    message: str


def check_phone(digits: str) -> Phone | NotAPhone:
    """Classify a digit string as a mainland China phone number, or say in one line why it is not one."""
    if not digits:
        return NotAPhone(digits, "no_digits", "no digits heard")
    if not digits.isdigit():
        return NotAPhone(digits, "not_digits", f"'{digits}' is not all digits")
    for prefix in ("0086", "86"):
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and len(rest) == 11 and re.fullmatch(r"1[3-9]\d{9}", rest):
            return Phone(rest, "mobile")
    n = len(digits)
    if n < 7 and digits[0] != "1":
        return NotAPhone(digits, "too_short", f"{n} digits is too short for a phone number")
    if digits[0] == "1":
        if n != 11:
            return NotAPhone(digits, "too_short" if n < 11 else "too_long", f"a mobile number has 11 digits, heard {n}")
        if digits[1] not in "3456789":
            return NotAPhone(digits, "bad_mobile_prefix", f"a mobile number starts 13-19, heard {digits[:2]}")
        return Phone(digits, "mobile")
    if digits.startswith(("400", "800")):
        if n != 10:
            reason = "too_short" if n < 10 else "too_long"
            return NotAPhone(digits, reason, f"a {digits[:3]} number has 10 digits, heard {n}")
        return Phone(digits, "service")
    if digits[0] == "0":
        return _check_landline(digits)
    return NotAPhone(digits, "no_area_code", f"a landline needs its area code (0…) first, heard {n} digits")


def _check_landline(digits: str) -> Phone | NotAPhone:
    if digits[1] == "1":
        area = "010" if digits.startswith("010") else ""
    elif digits[1] == "2":
        area = digits[:3]
    elif digits[1] in "3456789":
        area = digits[:4]
    else:
        area = ""
    if not area:
        return NotAPhone(digits, "bad_area_code", f"no area code starts {digits[:3]}")
    local = digits[len(area) :]
    shortest = 8 if len(area) == 3 else 7  # the big cities (010, 02x) all have 8-digit local numbers
    if not shortest <= len(local) <= 8:
        reason = "too_short" if len(local) < shortest else "too_long"
        wanted = "8" if shortest == 8 else "7-8"
        return NotAPhone(digits, reason, f"after area code {area} a landline has {wanted} digits, heard {len(local)}")
    if local[0] in "01":
        return NotAPhone(digits, "bad_local_number", f"a local number cannot start with {local[0]}")
    return Phone(digits, "landline", area)


def find_phone(text: str) -> Phone | NotAPhone:
    """The phone number in a transcript ('我 的 电话 是 幺 三 八 …'), or why there is none."""
    runs = [r for r in number_runs(text) if r.significant]
    if not runs:
        return NotAPhone("", "no_digits", "no digits heard")
    readable = [r for r in runs if not r.problem and not r.abbreviated]
    for run in readable:
        result = check_phone(run.digits)
        if isinstance(result, Phone):
            return Phone(result.digits, result.kind, result.area_code, sure=not run.amounts)
    for run in runs:
        if run.abbreviated:
            chunk = run.abbreviated[0]
            full, cut = amount_value(chunk), amount_value(chunk[:-1])
            message = f"'{chunk}' could be {full} or {cut}{DIGIT_WORDS[chunk[-1]]}: say the number digit by digit"
            return NotAPhone(run.digits, "ambiguous_amount", message)
        if run.problem:
            return NotAPhone("", "unreadable", run.problem)
    if len(runs) > 1:
        joined = check_phone("".join(r.digits for r in runs))
        if isinstance(joined, Phone):
            return Phone(joined.digits, joined.kind, joined.area_code, sure=False)
    return check_phone(max(runs, key=lambda r: len(r.digits)).digits)
