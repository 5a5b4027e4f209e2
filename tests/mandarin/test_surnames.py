"""Surnames from what callers say, matched by sound; the form of address (GRT-2) and never the full name (GRT-3)."""

from __future__ import annotations

import pytest

from ivr.mandarin import pinyin
from ivr.mandarin.surnames import (
    DATA,
    NoSurname,
    Surname,
    address,
    common_surnames,
    compound_surnames,
    extract_surname,
    homophones,
    idioms,
    is_surname,
    readings,
    same_surname,
    similarity,
    spell,
    split_name,
)
from ivr.mandarin.text import is_han


@pytest.mark.rules("GRT-2")
@pytest.mark.parametrize(
    ("heard", "surname", "title", "how"),
    [
        ("我 姓 张", "张", "", "姓"),
        ("免贵 姓 王", "王", "", "姓"),
        ("我 免贵 姓 刘", "刘", "", "姓"),
        ("姓 欧阳", "欧阳", "", "姓"),
        ("我 姓 司马", "司马", "", "姓"),
        ("我 姓 诸葛", "诸葛", "", "姓"),
        ("我 的 姓 是 赵", "赵", "", "姓"),
        ("嗯 那个 我 姓 黄", "黄", "", "姓"),
        ("我 是 李 老师", "李", "老师", "title"),
        ("我 是 王 主任", "王", "主任", "title"),
        ("我 是 张 工程师", "张", "工程师", "title"),
        ("我 是 欧阳 老师", "欧阳", "老师", "title"),
        ("叫 我 王 工 就 行", "王", "工", "title"),
        ("我 是 王 总", "王", "总", "title"),
        ("李 老师", "李", "老师", "title"),
        ("我 叫 张 伟", "张", "", "name"),
        ("我 的 姓名 是 欧阳 娜娜", "欧阳", "", "name"),
        ("我 是 老 王", "王", "", "self"),
        ("弓 长 张", "张", "", "idiom"),
        ("立早 章", "章", "", "idiom"),
        ("木子 李", "李", "", "idiom"),
        ("耳东 陈", "陈", "", "idiom"),
        ("耳 朵 陈", "陈", "", "idiom"),
        ("口 天 吴", "吴", "", "idiom"),
        ("双 木 林", "林", "", "idiom"),
        ("古 月 胡", "胡", "", "idiom"),
        ("草头 黄", "黄", "", "idiom"),
        ("三 点 水 的 汪", "汪", "", "idiom"),
        ("言 午 许", "许", "", "idiom"),
        ("弓 长 的 张", "张", "", "idiom"),  # 的 optional
        ("我 姓 张 弓 长 张", "张", "", "idiom"),
        ("我 姓 张 立 早 章", "章", "", "idiom"),  # the spelling tells 章 from 张
        ("我 姓 陈 耳东 陈", "陈", "", "idiom"),
        ("立 早 张", "章", "", "idiom"),  # ASR wrote the homophone 张: the spelling wins
        ("工 厂 张", "张", "", "idiom"),  # 弓长 misheard as 工厂 still spells 张
        ("木 子 里", "李", "", "idiom"),
        ("周末 的 周", "周", "", "example"),  # a word, 的, the surname in it
        ("欧阳 修 的 欧阳", "欧阳", "", "example"),
        ("我 性 王", "王", "", "姓"),  # 性 heard for 姓
        ("我 是 李 老师 木子 李", "李", "老师", "idiom"),
        ("张", "张", "", "bare"),
        ("欧阳", "欧阳", "", "bare"),
    ],
)
def test_extract_surname(heard: str, surname: str, title: str, how: str) -> None:
    found = extract_surname(heard)
    assert isinstance(found, Surname), found
    assert (found.surname, found.title, found.how) == (surname, title, how)
    assert found.sure


@pytest.mark.parametrize(
    ("heard", "surname"),
    [
        ("我 姓 账", "张"),  # not a surname: the most common surname that sounds like it
        ("我 姓 善", "单"),  # 单 read shan as a surname
        ("我 姓 增", "曾"),
        ("我 是 张 伟", "张"),  # could be a name, could be something else
    ],
)
def test_surname_guessed_by_sound_is_not_sure(heard: str, surname: str) -> None:
    found = extract_surname(heard)
    assert isinstance(found, Surname)
    assert found.surname == surname
    assert not found.sure


@pytest.mark.parametrize(
    ("heard", "reason"),
    [
        ("", "empty"),
        ("嗯 嗯", "empty"),
        ("我 要 报修", "no_surname"),
        ("我 是 来 报修 的", "no_surname"),
        ("我 是 施工 单位 的", "no_surname"),
        ("我 找 李 老师", "no_surname"),  # the person asked for, not the caller
        ("我 姓 王 木子 李", "conflict"),  # UNSURE-1: two different surnames, do not pick one
        ("十分 感谢", "no_surname"),
        ("我 性格 很 好", "no_surname"),  # 性格 is not 姓
        ("老 百姓", "no_surname"),
    ],
)
def test_no_surname(heard: str, reason: str) -> None:
    found = extract_surname(heard)
    assert isinstance(found, NoSurname)
    assert found.reason == reason


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("善", "单"),  # 单 shàn as a surname, dān as a word
        ("单", "单"),
        ("丹", "单"),
        ("增", "曾"),
        ("层", "曾"),
        ("谢", "解"),
        ("姐", "解"),
        ("求", "仇"),
        ("愁", "仇"),
        ("欧", "区"),
        ("曲", "区"),
        ("嫖", "朴"),
        ("渣", "查"),
        ("各", "盖"),
        ("章", "张"),
        ("玉迟", "尉迟"),
        ("张孙", "长孙"),
    ],
)
def test_same_surname_by_sound(heard: str, expected: str) -> None:
    assert same_surname(heard, expected)


@pytest.mark.parametrize(
    ("heard", "expected"),
    [("邓", "单"), ("王", "黄"), ("陈", "程"), ("李", "刘"), ("张", "欧阳"), ("", "张"), ("欧阳", "欧")],
)
def test_different_surnames(heard: str, expected: str) -> None:
    assert not same_surname(heard, expected)


def test_near_sounds_only_when_asked() -> None:
    assert similarity("陈", "程") == 0
    assert similarity("陈", "程", near=True) == pinyin.NEAR_SOUND  # en/eng of southern accents
    assert similarity("张", "张") == pinyin.SAME_CHAR
    assert similarity("章", "张") == pinyin.SAME_SOUND


def test_homophones_most_frequent_first() -> None:
    assert homophones("张")[:2] == ("张", "章")
    assert homophones("善") == ("单",)
    assert "邓" not in homophones("单")  # a rare reading of 邓 does not make it a homophone


def test_spell() -> None:
    assert spell("张") == "弓长张"
    assert spell("章") == "立早章"
    assert spell("欧阳") is None


@pytest.mark.rules("GRT-2", "GRT-3")
@pytest.mark.parametrize(
    ("name", "title", "said"),
    [
        ("张", "工程师", "张工程师"),
        ("李", "老师", "李老师"),
        ("王", "主任", "王主任"),
        ("张三", "老师", "张老师"),  # GRT-3: a full name is cut to its surname
        ("王小明", "科长", "王科长"),
        ("欧阳娜娜", "工程师", "欧阳工程师"),
        ("司马光", "老师", "司马老师"),
        (" 赵 ", " 主任 ", "赵主任"),
    ],
)
def test_address(name: str, title: str, said: str) -> None:
    assert address(name, title) == said


@pytest.mark.parametrize(
    ("name", "title"), [("", "老师"), ("张", ""), ("Zhang", "老师"), ("张", "Mr"), ("张", "老师老师老")]
)
def test_address_refuses_bad_input(name: str, title: str) -> None:
    with pytest.raises(ValueError):
        address(name, title)


def test_split_name() -> None:
    assert split_name("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_name("张伟") == ("张", "伟")
    assert split_name("欧") == ("欧", "")
    with pytest.raises(ValueError):
        split_name("")


# -- the data files --------------------------------------------------------------------------


def _lines(name: str) -> list[str]:
    return [x.strip() for x in (DATA / name).read_text(encoding="utf-8").splitlines() if x.strip() and x[0] != "#"]


def test_common_surnames_file() -> None:
    names = _lines("surnames.txt")
    assert len(names) == len(set(names)), "duplicate surnames"
    assert len(names) >= 300
    assert all(len(n) == 1 and is_han(n) for n in names)
    assert names[:5] == ["王", "李", "张", "刘", "陈"]  # most frequent first
    assert common_surnames() == tuple(names)


COMPOUNDS = [
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "夏侯",
    "司徒",
    "长孙",
    "宇文",
    "轩辕",
    "端木",
    "南宫",
    "西门",
    "独孤",
    "万俟",
    "单于",
    "澹台",
    "公冶",
    "申屠",
]


def test_compound_surnames_file() -> None:
    names = _lines("compound_surnames.txt")
    assert len(names) == len(set(names)), "duplicate compound surnames"
    assert all(len(n) == 2 and all(is_han(c) for c in n) for n in names)
    for name in COMPOUNDS:
        assert name in names, name
        assert is_surname(name)
    assert not set(names) & set(_lines("surnames.txt"))
    assert compound_surnames() == tuple(names)


def test_idioms_file() -> None:
    pairs = idioms()
    phrases = [p for p, _ in pairs]
    assert len(phrases) == len(set(phrases)), "duplicate idioms"
    assert len(pairs) >= 30
    for phrase, surname in pairs:
        assert phrase.endswith(surname), phrase
        assert len(phrase) >= 3, phrase
        assert surname in common_surnames(), surname
    for phrase in ["弓长张", "立早章", "木子李", "耳东陈", "口天吴", "双木林", "古月胡", "草头黄", "三点水的汪"]:
        assert phrase in phrases, phrase


def test_surname_readings_file() -> None:
    rows = [line.split("\t") for line in _lines("surname_readings.tsv")]
    surnames = [s for s, _ in rows]
    assert len(surnames) == len(set(surnames))
    for surname, said in rows:
        assert is_surname(surname), surname
        per_char = said.split()
        assert len(per_char) == len(surname), surname
        for ch, alternatives in zip(surname, per_char, strict=True):
            for reading in alternatives.split("/"):
                assert reading in pinyin.heteronyms(ch), (ch, reading)  # every reading is a real one
    for heteronym in "单曾解仇区朴查盖":
        assert len(readings(heteronym)[0]) == 2, heteronym
