"""CONF-1: the exact words the IVR says to read a number back."""

from __future__ import annotations

import pytest

from ivr.mandarin.numbers import find_phone
from ivr.mandarin.readback import group_sizes, read_digits, read_phone, say_digits, say_groups


@pytest.mark.rules("CONF-1")
@pytest.mark.parametrize(
    ("number", "said"),
    [
        ("13800138000", "幺三八，零零幺三，八零零零"),  # mobile 3-4-4
        ("19922334455", "幺九九，二二三三，四四五五"),  # 2 is 二, never 两
        ("01088886666", "零幺零，八八八八，六六六六"),  # area code, then the local number
        ("02187654321", "零二幺，八七六五，四三二幺"),
        ("075586668888", "零七五五，八六六六，八八八八"),
        ("07558666888", "零七五五，八六六，六八八八"),
        ("4008886666", "四零零，八八八，六六六六"),  # 400/800: 3-3-4
        ("8008102222", "八零零，八幺零，二二二二"),
        ("8613800138000", "幺三八，零零幺三，八零零零"),  # +86 is not read back
    ],
)
def test_read_phone(number: str, said: str) -> None:
    assert read_phone(number) == said


def test_read_phone_takes_a_parsed_phone() -> None:
    phone = find_phone("幺 三 八 零 零 幺 三 八 零 零 零")
    assert not isinstance(phone, str)
    assert read_phone(phone) == "幺三八，零零幺三，八零零零"  # type: ignore[arg-type]


def test_read_phone_refuses_a_non_number() -> None:
    with pytest.raises(ValueError, match="11 digits"):
        read_phone("1380013800")


@pytest.mark.parametrize(
    ("digits", "said"),
    [
        ("1", "幺"),
        ("2024", "二零二四"),
        ("12345", "幺二，三四五"),
        ("123456", "幺二三，四五六"),
        ("1234567", "幺二三，四五六七"),
        ("20240101", "二零二四，零幺零幺"),
        ("123456789", "幺二三，四五六，七八九"),
        ("1234567890", "幺二三，四五六，七八九零"),
        ("202401010001", "二零二四，零幺零幺，零零零幺"),
    ],
)
def test_read_digits_in_groups_of_three_or_four(digits: str, said: str) -> None:
    assert read_digits(digits) == said


@pytest.mark.parametrize("n", range(5, 40))
def test_group_sizes_are_three_or_four(n: int) -> None:
    sizes = group_sizes(n)
    assert sum(sizes) == n
    assert all(3 <= s <= 4 for s in sizes) or n == 5
    assert sizes == sorted(sizes)


def test_say_digits_uses_the_readback_digits() -> None:
    assert say_digits("0123456789") == "零幺二三四五六七八九"
    assert "一" not in say_digits("1111") and "两" not in say_digits("2222")


def test_say_groups_uses_full_width_commas() -> None:
    assert say_groups(["010", "", "8888"]) == "零幺零，八八八八"


@pytest.mark.parametrize("bad", ["", "12a", "一二三"])
def test_say_digits_refuses_non_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        say_digits(bad)
