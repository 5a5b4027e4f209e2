"""Text normalisation: Vosk's spaces, punctuation and full/half width folded into one form."""

from __future__ import annotations

import pytest

from ivr.mandarin.text import drop_fillers, fold, is_han, normalise, strip_edges, words


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("我 要 报修", "我要报修"),
        ("一 三 八 零 零 一 三 八 零 零 零", "一三八零零一三八零零零"),
        ("不对，是幺三九。", "不对是幺三九"),
        ("  喂 ， 你好 ！ ", "喂你好"),
        ("１３８ ００１３", "1380013"),  # full-width digits and space
        ("ＯＫ，好的", "ok好的"),
        ("我 [unk] 姓 张", "我姓张"),
        ("电话：138-0013-8000", "电话13800138000"),
        ("「对」", "对"),
        ("\t\n", ""),
        ("", ""),
    ],
)
def test_normalise(heard: str, expected: str) -> None:
    assert normalise(heard) == expected


def test_words_split_at_spaces_and_punctuation() -> None:
    assert words("嗯 ， 那个 我 姓张。弓长 张") == ["嗯", "那个", "我", "姓张", "弓长", "张"]


def test_fold_keeps_spaces_and_folds_width() -> None:
    assert fold("Ａ　１") == "a 1"


def test_drop_fillers_only_whole_words() -> None:
    assert drop_fillers(["嗯", "那个", "人", "那个人", "就是", "我"]) == ["人", "那个人", "我"]


def test_strip_edges_repeats_longest_first() -> None:
    assert strip_edges("我住在在北京吧", prefixes=("在", "我住在"), suffixes=("吧",)) == "北京"
    assert strip_edges("吧", suffixes=("吧",)) == "吧"  # never strips a suffix down to nothing


@pytest.mark.parametrize(("ch", "han"), [("张", True), ("〇", False), ("1", False), ("a", False), ("，", False)])
def test_is_han(ch: str, han: bool) -> None:
    assert is_han(ch) is han
