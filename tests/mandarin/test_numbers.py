"""Spoken numbers to digits, and mainland China phone numbers (CONF-1 needs the digits right)."""

from __future__ import annotations

import pytest

from ivr.mandarin.numbers import NotAPhone, Phone, amount_value, check_phone, find_phone, number_runs, spoken_digits


@pytest.mark.parametrize(
    ("heard", "digits"),
    [
        ("一 三 八 零 零 一 三 八 零 零 零", "13800138000"),
        ("幺 三 八 零 零 幺 三 八 零 零 零", "13800138000"),
        ("幺三八 零零幺三 八零零零", "13800138000"),
        ("一 三 九 两 两 三 三", "1392233"),  # 两 is 2 in a number
        ("零 幺 零 洞 洞", "01000"),  # 洞 is 0 (radio style)
        ("〇 五 七 一", "0571"),
        ("138 0013 8000", "13800138000"),  # Arabic digits
        ("１３８００１３８０００", "13800138000"),  # full width
        ("幺 三 八 0013 八 零 零 零", "13800138000"),  # mixed
        ("嗯 幺 三 八 那个 零 零 幺 三 是 八 零 零 零", "13800138000"),  # fillers between digits
        ("幺 三 八 杠 零 零 幺 三 杠 八 零 零 零", "13800138000"),  # a spoken dash
        ("一 三 要 零 零", "13100"),  # 要 (yao) heard for 幺 between digits
        ("幺 三 吧 零 零 幺 三 八 零 林 零", "13800138000"),  # 吧 for 八, 林 for 零
        ("幺 三 久 死 五", "13945"),
        ("幺 拐 三 勾 五", "17395"),  # radio 拐 7, 勾 9
        ("幺三八 零零幺三 八千", "13800138000"),  # the last group said as an amount
        ("八百", "800"),
        ("两千零二十四", "2024"),
        ("二十 七", "27"),
        ("十五", "15"),
        ("一百零一", "101"),
        ("幺 零 幺", "101"),
        ("", ""),
        ("我 要 报修", ""),
        ("千万 不要", ""),  # 千 without a digit before it is a word, not a number
    ],
)
def test_spoken_digits(heard: str, digits: str) -> None:
    assert spoken_digits(heard) == digits


def test_lone_yi_and_liang_are_words_not_numbers() -> None:
    assert spoken_digits("我 查 一下 订单") == ""
    assert spoken_digits("两 个 问题") == ""
    assert spoken_digits("十分 感谢") == ""
    assert spoken_digits("我 查 一下 订单 一二三四五六七") == "1234567"


def test_sound_alike_digits_need_digits_on_both_sides() -> None:
    assert spoken_digits("我 要 报修") == ""
    assert spoken_digits("一 要") == ""  # 要 not between two digits: not a digit
    assert spoken_digits("往 左 拐 三 号 楼") == "3"
    assert spoken_digits("幺 三 八 吧") == "138"
    assert [r.digits for r in number_runs("三 林 路 五 号")] == ["3", "5"]  # 林 after a digit but not before one
    assert [r.digits for r in number_runs("幸福 小区 一 期 二 号楼")] == ["1", "2"]  # 一期: phase one, not 17


def test_runs_keep_positions_and_what_was_said() -> None:
    runs = number_runs("住 在 八百 号 三 号楼 五 零 一 室")
    assert [(r.said, r.digits, r.amounts) for r in runs] == [
        ("八百", "800", ("八百",)),
        ("三", "3", ()),
        ("五零一", "501", ()),
    ]
    t = "住在八百号三号楼五零一室"
    assert [t[r.start : r.end] for r in runs] == ["八百", "三", "五零一"]


def test_fillers_are_not_part_of_what_was_said_at_the_edges() -> None:
    (run,) = number_runs("是 幺 三 八 是 吧")
    assert run.said == "幺三八"


@pytest.mark.parametrize(
    ("said", "abbreviated"),
    [("八千三", True), ("三百五", True), ("一万二", True), ("八千", False), ("三百零五", False), ("十五", False)],
)
def test_abbreviated_amounts_are_flagged(said: str, abbreviated: bool) -> None:
    (run,) = number_runs(said)
    assert bool(run.abbreviated) is abbreviated


@pytest.mark.parametrize(
    ("said", "value"), [("八百", 800), ("三百五", 350), ("两千零二十四", 2024), ("一二三", None), ("百", None)]
)
def test_amount_value(said: str, value: int | None) -> None:
    assert amount_value(said) == value


@pytest.mark.parametrize(
    ("digits", "kind", "area"),
    [
        ("13800138000", "mobile", ""),
        ("19912345678", "mobile", ""),
        ("8613800138000", "mobile", ""),  # country code dropped
        ("008613800138000", "mobile", ""),
        ("01088886666", "landline", "010"),
        ("02187654321", "landline", "021"),
        ("075586668888", "landline", "0755"),
        ("07558666888", "landline", "0755"),  # 7-digit local number
        ("4008886666", "service", ""),
        ("8008102222", "service", ""),
    ],
)
def test_valid_phone_numbers(digits: str, kind: str, area: str) -> None:
    phone = check_phone(digits)
    assert isinstance(phone, Phone)
    assert (phone.kind, phone.area_code) == (kind, area)
    assert phone.digits == digits[-11:] if kind == "mobile" else phone.digits == digits


@pytest.mark.parametrize(
    ("digits", "reason"),
    [
        ("", "no_digits"),
        ("1380013800", "too_short"),
        ("138001380001", "too_long"),
        ("12800138000", "bad_mobile_prefix"),
        ("88886666", "no_area_code"),
        ("0108888666", "too_short"),  # Beijing numbers have 8 digits
        ("0755866688", "too_short"),
        ("0108888666612", "too_long"),
        ("01188886666", "bad_area_code"),
        ("01018886666", "bad_local_number"),
        ("400888666", "too_short"),
        ("80081022220", "too_long"),
        ("2024", "too_short"),
        ("13a", "not_digits"),
    ],
)
def test_invalid_phone_numbers_say_why(digits: str, reason: str) -> None:
    result = check_phone(digits)
    assert isinstance(result, NotAPhone)
    assert result.reason == reason
    assert result.message and "\n" not in result.message


@pytest.mark.parametrize(
    ("heard", "digits", "sure"),
    [
        ("我 的 电话 是 幺 三 八 零 零 幺 三 八 零 零 零", "13800138000", True),
        ("手机 号 一 三 九 一 二 三 四 五 六 七 八 谢谢", "13912345678", True),
        ("零 幺 零 八 八 八 八 六 六 六 六", "01088886666", True),
        ("四 零 零 八 八 八 六 六 六 六", "4008886666", True),
        ("幺三八 零零幺三 八千", "13800138000", False),  # an amount inside: read it back (CONF-1)
        ("幺 三 八 零 零 幺 三 我 说 八 零 零 零", "13800138000", False),  # pieced together
        ("我 住 三 号 楼 电话 幺 三 八 零 零 幺 三 八 零 零 零", "13800138000", True),  # the number that is a phone
    ],
)
def test_find_phone(heard: str, digits: str, sure: bool) -> None:
    phone = find_phone(heard)
    assert isinstance(phone, Phone), phone
    assert phone.digits == digits
    assert phone.sure is sure


@pytest.mark.parametrize(
    ("heard", "reason"),
    [
        ("嗯 我 想 想", "no_digits"),
        ("幺 三 八 零 零 幺 三", "too_short"),
        ("幺三八 零零幺三 八千三", "ambiguous_amount"),  # 8300 or 8000 then 3: never guess (UNSURE-1)
        ("八 八 八 八 六 六 六 六", "no_area_code"),
    ],
)
def test_find_phone_rejects_clearly(heard: str, reason: str) -> None:
    result = find_phone(heard)
    assert isinstance(result, NotAPhone)
    assert result.reason == reason


def test_ambiguous_amount_message_names_both_readings() -> None:
    result = find_phone("幺三八 零零幺三 八千三")
    assert isinstance(result, NotAPhone)
    assert "8300" in result.message and "80003" in result.message


@pytest.mark.parametrize(
    ("digits", "groups"),
    [
        ("13800138000", ("138", "0013", "8000")),
        ("01088886666", ("010", "8888", "6666")),
        ("07558666888", ("0755", "866", "6888")),
        ("4008886666", ("400", "888", "6666")),
    ],
)
def test_phone_groups(digits: str, groups: tuple[str, ...]) -> None:
    phone = check_phone(digits)
    assert isinstance(phone, Phone)
    assert phone.groups() == groups


@pytest.mark.parametrize(
    "heard",
    [
        "嗯 幺 三 八 那个 零 零 幺 三 是 八 零 零 零",
        "幺 三 八 杠 零 零 幺 三 杠 八 零 零 零",
        "幺 三 八 嗯 呃 零 零 幺 三 八 零 零 零",
    ],
)
def test_fillers_do_not_split_a_number(heard: str) -> None:
    (run,) = number_runs(heard)
    assert run.digits == "13800138000"


def test_other_words_split_numbers() -> None:
    assert [r.digits for r in number_runs("三 号楼 二 单元")] == ["3", "2"]
