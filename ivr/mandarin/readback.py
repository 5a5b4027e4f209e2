"""How the IVR reads numbers back (CONF-1): digit by digit as Mandarin speakers do, in groups."""

from __future__ import annotations

from ivr.mandarin.numbers import NotAPhone, Phone, check_phone

SPOKEN_DIGITS = "零幺二三四五六七八九"
"""0 零, 1 幺 (not 一, which is easily misheard as 七), 2 二 (not 两)."""

GROUP_SEPARATOR = "，"


def say_digits(digits: str) -> str:
    """One digit after another, no grouping: '10086' -> 幺零零八六."""
    if not digits.isdigit():
        raise ValueError(f"'{digits}' is not all digits")
    return "".join(SPOKEN_DIGITS[int(d)] for d in digits)


def say_groups(groups: tuple[str, ...] | list[str]) -> str:
    """Groups of digits, a full-width comma (a short pause) between them."""
    return GROUP_SEPARATOR.join(say_digits(g) for g in groups if g)


def group_sizes(n: int) -> list[int]:
    """Sizes of 3 to 4 digits as even as possible, shorter groups first (10 -> 3, 3, 4); n <= 4 is one group."""
    if n <= 4:
        return [n] if n else []
    count = -(-n // 4)
    small, extra = divmod(n, count)
    return [small] * (count - extra) + [small + 1] * extra


def read_digits(digits: str) -> str:
    """An order or account number read back in groups of 3-4: '1234567890' -> 幺二三，四五六，七八九零."""
    sizes = group_sizes(len(digits))
    groups, at = [], 0
    for size in sizes:
        groups.append(digits[at : at + size])
        at += size
    return say_groups(groups)


def read_phone(phone: Phone | str) -> str:
    """A phone number read back: mobile 3-4-4 (幺三八，零零幺三，八零零零), landline area code first, 400/800 3-3-4."""
    checked = check_phone(phone) if isinstance(phone, str) else phone
    if isinstance(checked, NotAPhone):
        raise ValueError(f"not a phone number: {checked.message}")
    return say_groups(checked.groups())
