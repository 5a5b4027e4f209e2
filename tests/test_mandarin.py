"""Mandarin as callers say it and Vosk writes it: numbers, read-backs, replies, surnames, keywords."""

from __future__ import annotations

import pytest

from ivr.adapters.language import MandarinLanguage
from ivr.engine.language import NotUnderstood
from ivr.mandarin import confirm, keywords, numbers, readback, surnames
from ivr.mandarin.surnames_data import COMMON, COMPOUND, IDIOMS, TITLES


@pytest.mark.parametrize(
    ("said", "digits", "kind"),
    [
        ("一 三 八 零 零 一 三 八 零 零 零", "13800138000", "mobile"),
        ("幺三九 零零幺三 八零零零", "13900138000", "mobile"),
        ("我的电话是 幺 三 八 零 零 幺 三 八 零 零 零", "13800138000", "mobile"),
        ("嗯 那个 一三七 零零一三 七零零零", "13700137000", "mobile"),
        ("１３８００１３８０００", "13800138000", "mobile"),
        ("一三八 零零 幺三八 洞洞洞", "13800138000", "mobile"),
        ("零一零 八八八八 六六六六", "01088886666", "landline"),
        ("零七五五 两两两两 三三三三", "075522223333", "landline"),
        ("四零零 八八零 八八八八", "4008808888", "service"),
    ],
)
def test_spoken_phone_numbers(said: str, digits: str, kind: str) -> None:
    found = numbers.phone(said)
    assert not isinstance(found, str) and (found.digits, found.kind) == (digits, kind)


@pytest.mark.parametrize(
    ("said", "why"),
    [
        ("一三八", "a mobile number has 11 digits, not 3"),
        ("幺三八零零幺三八千", "a mobile number has 11 digits, not 8"),
        ("我记不清了", "no digits"),
        ("两两两", "3 digits are not a phone number"),
    ],
)
def test_what_is_not_a_phone_number_says_why(said: str, why: str) -> None:
    assert numbers.phone(said) == why


def test_amounts_inside_words_become_digits_and_the_rest_stays() -> None:
    assert numbers.to_arabic("三号楼五零二") == "3号楼502"
    assert numbers.to_arabic("八百零二室") == "802室"
    assert numbers.digits("两千") == "2000"


@pytest.mark.rules("CONF-1")
@pytest.mark.parametrize(
    ("digits", "words"),
    [
        ("13800138000", "幺三八，零零幺三，八零零零"),
        ("13912345678", "幺三九，幺二三四，五六七八"),
        ("01088886666", "零幺零，八八八八，六六六六"),
        ("075522223333", "零七五五，二二二二，三三三三"),
        ("4008808888", "四零零，八八零，八八八八"),
        ("20261125", "二零二六，幺幺二五"),
    ],
)
def test_read_back_digit_by_digit_with_yao_in_groups(digits: str, words: str) -> None:
    assert readback.read_back(digits) == words
    assert "一" not in words and "两" not in words


@pytest.mark.rules("APOL-1", "CONF-1", "UNSURE-1")
@pytest.mark.parametrize(
    ("said", "kind", "corrected"),
    [
        ("对", "yes", None),
        ("对 的", "yes", None),
        ("是的 没错", "yes", None),
        ("好的", "yes", None),
        ("没错", "yes", None),
        ("好了 现在 可以 上网 了", "yes", None),
        ("不对", "no", None),
        ("不是", "no", None),
        ("还是 不行", "no", None),
        ("没有，不对", "no", None),
        ("不对 是 一 三 九 零 零 一 三 八 零 零 零", "correction", "一三九零零一三八零零零"),
        ("错了 应该 是 幺 三 九", "correction", "幺三九"),
        ("是 一 三 九 不是 一 三 八", "correction", "一三九"),
        ("嗯", "unclear", None),
        ("", "unclear", None),
        ("我 不 知道", "unclear", None),
        ("什么", "unclear", None),
    ],
)
def test_replies_to_a_read_back(said: str, kind: str, corrected: str | None) -> None:
    reply = confirm.reply(said)
    assert (reply.kind, reply.corrected) == (kind, corrected)


@pytest.mark.rules("GRT-2")
@pytest.mark.parametrize(
    ("said", "surname", "title"),
    [
        ("我 姓 张 弓 长 张", "张", None),
        ("免贵 姓 欧阳", "欧阳", None),
        ("我 是 李 主任", "李", "主任"),
        ("木子 李", "李", None),
        ("耳东 陈", "陈", None),
        ("立早 章", "章", None),
        ("三点水 的 汪", "汪", None),
        ("姓 单", "单", None),
        ("我 叫 王 建国", "王", None),
        ("我 是 司马 老师", "司马", "老师"),
    ],
)
def test_surnames_as_callers_give_them(said: str, surname: str, title: str | None) -> None:
    assert surnames.extract(said) == surnames.Surname(surname, title)


@pytest.mark.parametrize("said", ["你好", "我 要 报修", "嗯", ""])
def test_no_surname_is_invented(said: str) -> None:
    assert surnames.extract(said) is None


@pytest.mark.rules("GRT-2", "GRT-3")
def test_surnames_match_by_sound_heteronyms_included_and_the_address_never_has_the_full_name() -> None:
    assert "shan" in {r for r in surnames.readings("单")} and "dan" in surnames.readings("单")
    assert surnames.same("善", "单") and surnames.same("增", "曾") and not surnames.same("张", "李")
    assert surnames.spelled("张") == "弓长张" and surnames.spelled("欧阳") == "欧阳"
    assert surnames.address("王建国", "主任") == "王主任" and surnames.address("欧阳修", "老师") == "欧阳老师"


def test_the_surname_data_is_clean() -> None:
    assert len(COMMON) == len(set(COMMON)) > 300
    assert len(set(COMPOUND)) == len(COMPOUND) and all(len(s) == 2 for s in COMPOUND)
    assert all(idiom.endswith(s) for idiom, s in IDIOMS.items()) and all(
        s in COMMON or s in COMPOUND for s in IDIOMS.values()
    )
    assert len(set(TITLES)) == len(TITLES)


@pytest.mark.rules("ASK-1")
def test_keywords_match_misheard_words_by_sound_and_say_where() -> None:
    repair = {"repair": ["报修", "上不了网"], "consult": ["咨询", "收费"]}
    (found,) = keywords.find("我 想 报秀 一下", repair)  # ASR homophone of 报修
    assert found.id == "repair" and found.score < 1.0
    both = keywords.find("我 想 问 一下 收费 还有 网络 上不了网", repair)
    assert sorted((m.id, m.position) for m in both) == [("consult", 5), ("repair", 11)]


@pytest.mark.parametrize(
    "sentence",
    ["今天 天气 不错", "我 吃 饭 了", "谢谢 你", "你 叫 什么 名字", "北京 欢迎 你", "好的 再见", "我 想 想"],
)
def test_unrelated_sentences_match_no_problem(sentence: str) -> None:
    from ivr.flowlang.load import load_flow
    from ivr.paths import ROOT

    intents = {i.id: i.keywords for i in load_flow(ROOT / "flows" / "hotline.yaml").intents.values()}
    assert keywords.find(sentence, intents) == []


def test_the_language_port_fills_slots_or_says_why_not() -> None:
    mandarin = MandarinLanguage()
    phone = mandarin.slot("phone", "一三八 零零一三 八零零零")
    assert not isinstance(phone, NotUnderstood) and phone.spoken == "幺三八，零零幺三，八零零零"
    assert mandarin.slot("phone", "不 记得 了") == NotUnderstood("not a phone number")
    surname = mandarin.slot("surname", "我 是 李 主任")
    assert not isinstance(surname, NotUnderstood) and (surname.value, surname.spoken, surname.extra) == (
        "李",
        "木子李",
        {"title": "主任"},
    )
    address = mandarin.slot("address", "嗯 北京市 海淀区 三号楼 五零二")
    assert not isinstance(address, NotUnderstood) and address.value == "北京市海淀区三号楼五零二"
    assert mandarin.slot("text", "嗯") == NotUnderstood("nothing said")
