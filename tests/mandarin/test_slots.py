"""Slot values by type, with a quality flag, or the reason for a 'not understood' re-ask."""

from __future__ import annotations

import pytest

from ivr.mandarin.confirm import Reply, classify_reply
from ivr.mandarin.readback import read_phone
from ivr.mandarin.slots import NotParsed, Parsed, apply_correction, parse_slot


@pytest.mark.parametrize(
    ("heard", "value", "quality", "phone_kind", "readback"),
    [
        (
            "我 的 电话 是 幺 三 八 零 零 幺 三 八 零 零 零",
            "13800138000",
            "high",
            "mobile",
            "幺三八，零零幺三，八零零零",
        ),
        ("嗯 一 三 九 那个 一 二 三 四 五 六 七 八", "13912345678", "high", "mobile", "幺三九，幺二三四，五六七八"),
        ("零 幺 零 八 八 八 八 六 六 六 六", "01088886666", "high", "landline", "零幺零，八八八八，六六六六"),
        ("四 零 零 八 八 八 六 六 六 六", "4008886666", "high", "service", "四零零，八八八，六六六六"),
        ("幺三八 零零幺三 八千", "13800138000", "low", "mobile", "幺三八，零零幺三，八零零零"),
    ],
)
def test_phone(heard: str, value: str, quality: str, phone_kind: str, readback: str) -> None:
    result = parse_slot("phone", heard)
    assert isinstance(result, Parsed), result
    assert (result.value, result.quality) == (value, quality)
    assert result.detail["phone_kind"] == phone_kind
    assert result.detail["readback"] == readback


@pytest.mark.parametrize(
    ("heard", "reason"),
    [
        ("", "no_digits"),
        ("嗯 我 找 一下", "no_digits"),
        ("幺 三 八 零 零", "too_short"),
        ("幺三八 零零幺三 八千三", "ambiguous_amount"),
        ("八 八 八 八 六 六 六 六", "no_area_code"),
    ],
)
def test_phone_not_parsed(heard: str, reason: str) -> None:
    result = parse_slot("phone", heard)
    assert isinstance(result, NotParsed)
    assert (result.kind, result.reason) == ("phone", reason)


@pytest.mark.parametrize(
    ("heard", "value", "quality", "readback"),
    [
        ("订单 号 是 一 二 三 四 五 六 七 八", "12345678", "high", "幺二三四，五六七八"),
        ("二 零 二 四 零 幺 零 幺 零 零 零 幺", "202401010001", "high", "二零二四，零幺零幺，零零零幺"),
        ("两千零二十四", "2024", "low", "二零二四"),
    ],
)
def test_digits(heard: str, value: str, quality: str, readback: str) -> None:
    result = parse_slot("digits", heard)
    assert isinstance(result, Parsed)
    assert (result.value, result.quality, result.detail["readback"]) == (value, quality, readback)


@pytest.mark.parametrize(
    ("heard", "reason"),
    [("我 不 记得 了", "no_digits"), ("一二三 还有 四五六", "several_numbers"), ("八千三", "ambiguous_amount")],
)
def test_digits_not_parsed(heard: str, reason: str) -> None:
    result = parse_slot("digits", heard)
    assert isinstance(result, NotParsed) and result.reason == reason


@pytest.mark.parametrize(
    ("heard", "value", "quality", "title", "spell"),
    [
        ("免贵 姓 王", "王", "high", "", "三横王"),
        ("我 是 李 老师", "李", "high", "老师", "木子李"),
        ("立早 章", "章", "high", "", "立早章"),
        ("我 姓 账", "张", "low", "", "弓长张"),
        ("姓 欧阳", "欧阳", "high", "", ""),
    ],
)
def test_surname(heard: str, value: str, quality: str, title: str, spell: str) -> None:
    result = parse_slot("surname", heard)
    assert isinstance(result, Parsed)
    assert (result.value, result.quality, result.detail["title"], result.detail["spell"]) == (
        value,
        quality,
        title,
        spell,
    )


def test_surname_not_parsed() -> None:
    result = parse_slot("surname", "我 要 报修")
    assert isinstance(result, NotParsed) and result.reason == "no_surname"


@pytest.mark.parametrize(
    ("heard", "value", "numbers", "quality"),
    [
        (
            "嗯 我 住 在 建设 路 八百 号 三 号楼 二 单元 五 零 一 室",
            "建设路八百号三号楼二单元五零一室",  # numbers kept as said, for the read-back
            {"号": "800", "号楼": "3", "单元": "2", "室": "501"},  # and as values
            "high",
        ),
        ("那个 北京 市 海淀 区 中关村 大街 二十 七 号", "北京市海淀区中关村大街二十七号", {"号": "27"}, "high"),
        ("地址 是 人民 路 幺 零 幺 号 啊", "人民路幺零幺号", {"号": "101"}, "high"),
        ("我 家 在 幸福 小区 十 栋 一 零 二", "幸福小区十栋一零二", {"栋": "10"}, "high"),
        ("在 光明 路 三百五 号", "光明路三百五号", {"号": "350"}, "low"),  # 三百五: 350 as people say it
        ("火车站", "火车站", {}, "low"),  # no street, number or district
    ],
)
def test_address(heard: str, value: str, numbers: dict[str, str], quality: str) -> None:
    result = parse_slot("address", heard)
    assert isinstance(result, Parsed), result
    assert (result.value, dict(result.detail), result.quality) == (value, numbers, quality)


@pytest.mark.parametrize("heard", ["", "嗯", "嗯 那个", "我 住 在"])
def test_address_not_parsed(heard: str) -> None:
    result = parse_slot("address", heard)
    assert isinstance(result, NotParsed) and result.reason == "empty"


def test_text() -> None:
    assert parse_slot("text", "嗯 我 的 网络 很 慢 啊") == Parsed("text", "我的网络很慢")
    result = parse_slot("text", "嗯 呃")
    assert isinstance(result, NotParsed) and result.reason == "empty"


@pytest.mark.parametrize(
    ("heard", "value", "correction"),
    [("对 的", "yes", None), ("不 是", "no", None), ("不是 是 咨询", "no", "咨询")],
)
def test_yesno(heard: str, value: str, correction: str | None) -> None:
    result = parse_slot("yesno", heard)
    assert isinstance(result, Parsed)
    assert result.value == value
    assert result.detail.get("correction") == correction


@pytest.mark.parametrize(
    "heard", ["嗯", "", "什么", "对 不对", "幺 三 九", "今天 是 星期五", "是 一 三 九 不是 一 三 八"]
)
def test_yesno_unclear(heard: str) -> None:
    """UNSURE-1: never a yes by default."""
    result = parse_slot("yesno", heard)
    assert isinstance(result, NotParsed) and result.reason == "unclear"


def test_low_recogniser_confidence_lowers_quality() -> None:
    heard = "幺 三 八 零 零 幺 三 八 零 零 零"
    assert parse_slot("phone", heard, confidence=0.95).quality == "high"  # type: ignore[union-attr]
    assert parse_slot("phone", heard, confidence=0.3).quality == "low"  # type: ignore[union-attr]


def test_unknown_slot_type() -> None:
    with pytest.raises(ValueError, match="unknown slot type 'colour'"):
        parse_slot("colour", "红色")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("previous", "heard", "corrected"),
    [
        ("13800138000", "不对 是 幺 三 九 零 零 幺 三 八 零 零 零", "13900138000"),  # the whole number again
        ("13912345678", "是 幺 三 五 不是 幺 三 九", "13512345678"),  # one group replaced
        ("13912345678", "不是 五 六 七 八 是 五 六 七 九", "13912345679"),
        ("13800138000", "是 幺 三 九 不是 幺 三 八", None),  # 138 is there twice: ask again, do not guess
        ("13912345678", "不对 是 幺 三 五", None),  # which part? ask again
        ("13912345678", "不对", None),
    ],
)
def test_apply_correction(previous: str, heard: str, corrected: str | None) -> None:
    """APOL-1: the caller's correction replaces what the IVR got wrong."""
    assert apply_correction(previous, classify_reply(heard)) == corrected


def test_apply_correction_needs_a_correction() -> None:
    assert apply_correction("13912345678", Reply("yes")) is None


@pytest.mark.rules("CONF-1", "APOL-1")
def test_conversation_phone_read_back_and_corrected() -> None:
    """CONF-1 + APOL-1: take a number, read it back, take the correction, read back the corrected number."""
    first = parse_slot("phone", "我 的 手机 是 幺 三 八 零 零 幺 三 八 零 零 零")
    assert isinstance(first, Parsed)
    assert first.detail["readback"] == "幺三八，零零幺三，八零零零"
    reply = classify_reply("不 对 是 幺 三 九 零 零 幺 三 八 零 零 零", expected=first.detail["readback"])
    assert reply.kind == "correction"
    second = parse_slot("phone", reply.value)
    assert isinstance(second, Parsed) and second.value == "13900138000"
    assert classify_reply("对 的", expected=read_phone(second.value)).kind == "yes"
