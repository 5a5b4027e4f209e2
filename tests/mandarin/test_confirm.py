"""Replies to a read-back (CONF-1): yes, no, correction with its value (APOL-1), or unclear (UNSURE-1)."""

from __future__ import annotations

import pytest

from ivr.mandarin.confirm import Reply, classify_outcome, classify_reply, opens_with_no

YES = ["是", "是的", "对", "对的", "对 对 对", "没错", "正确", "嗯 对", "嗯，是的", "好的", "好", "可以", "行",
       "没问题", "对 的 对 的", "好 的 谢谢", "OK", "对对对 就是 这个", "是 啊", "没错 没错"]  # fmt: skip
NO = [
    "不是",
    "不对",
    "错了",
    "不正确",
    "不 是 的",
    "不对 不对",
    "不",
    "不 不 不",
    "不是 不是",
    "说 错 了",
    "没有",
    "错",
    "不行",
    "没有，不对",
    "不对 没有",
    "没有 不是 的",
]
UNCLEAR = [
    "", "   ", "嗯", "嗯 嗯", "啊", "那个", "对 不对", "是不是", "是 吗", "对吧", "我 不 知道", "不 清楚",
    "什么", "你 说 什么", "再 说 一 遍", "好像 是", "可能 吧", "对 不是", "是 不是", "对不起", "我 要 报修",
    "对 我 要 报修", "不对 是 对的", "不 要 了", "不用了", "等 一下", "应该 是 吧", "没 听 清",
]  # fmt: skip


@pytest.mark.parametrize("heard", YES)
def test_yes(heard: str) -> None:
    assert classify_reply(heard) == Reply("yes")


@pytest.mark.parametrize("heard", NO)
def test_no(heard: str) -> None:
    assert classify_reply(heard) == Reply("no")


@pytest.mark.rules("UNSURE-1")
@pytest.mark.parametrize("heard", UNCLEAR)
def test_unclear_is_never_yes(heard: str) -> None:
    """UNSURE-1: an empty, hedged, questioning or mixed reply is not taken as an answer."""
    assert classify_reply(heard) == Reply("unclear")


@pytest.mark.rules("APOL-1", "CONF-1")
@pytest.mark.parametrize(
    ("heard", "value", "replaces"),
    [
        ("不 对 是 幺 三 九", "幺三九", ""),
        ("不对，是幺三九", "幺三九", ""),
        ("错了 应该 是 幺 三 九 零 零", "幺三九零零", ""),
        ("不对 幺 三 九", "幺三九", ""),
        ("是 一 三 九 不是 一 三 八", "一三九", "一三八"),
        ("一 三 九 不是 一 三 八", "一三九", "一三八"),
        ("不是 一 三 八 是 一 三 九", "一三九", "一三八"),
        ("不对 不对 是 幺三九 不是 幺三八", "幺三九", "幺三八"),
        ("不是 北京 路 是 南京 路", "南京路", "北京路"),
        ("说 错 了 我 说 的 是 八百 号", "八百号", ""),
        ("不是 张 是 章 立早 章", "章立早章", "张"),
        ("是 立早 章", "立早章", ""),  # 是 + a value: the value is what counts
        ("对 是 幺 三 九", "幺三九", ""),  # 'yes, it is …' with a number: read it back again
        ("幺 三 九", "幺三九", ""),  # a bare number in reply to a read-back
        ("不对 是 幺 三 九 啊", "幺三九", ""),
        ("不行 是 幺 三 九", "幺三九", ""),
    ],
)
def test_correction_carries_the_value(heard: str, value: str, replaces: str) -> None:
    """APOL-1: a correction gives the corrected value for the slot parser."""
    assert classify_reply(heard) == Reply("correction", value, replaces)


@pytest.mark.parametrize(
    ("heard", "expected", "kind"),
    [
        ("对 是 幺 三 八", "幺三八", "yes"),  # repeats what was read back
        ("对 是 1 3 8", "幺三八", "yes"),  # same digits, said another way
        ("对 是 幺 三 九", "幺三八", "correction"),
        ("幺 三 八", "幺三八", "yes"),
        ("是 立早 章", "立早章", "yes"),
        ("不对", "幺三八", "no"),
        ("嗯", "幺三八", "unclear"),
    ],
)
def test_expected_value_repeated_is_yes(heard: str, expected: str, kind: str) -> None:
    assert classify_reply(heard, expected=expected).kind == kind


@pytest.mark.parametrize(
    ("heard", "kind"),
    [("好了", "yes"), ("可以 了", "yes"), ("没问题 了", "yes"), ("是 了", "yes"), ("不行 了", "no"), ("不对 了", "no")],
)
def test_le_after_a_yes_or_a_no_is_a_particle(heard: str, kind: str) -> None:
    assert classify_reply(heard) == Reply(kind)  # type: ignore[arg-type]


def test_le_inside_a_value_stays_and_a_trailing_le_goes() -> None:
    assert classify_reply("是 了解 一下") == Reply("correction", "了解一下")
    assert classify_reply("不是 了解 是 咨询") == Reply("correction", "咨询", "了解")
    assert classify_reply("不对 是 幺三九 了") == Reply("correction", "幺三九")


@pytest.mark.parametrize(("heard", "kind"), [("您好", "unclear"), ("你 好", "unclear"), ("您好 对 的", "yes")])
def test_a_greeting_is_not_a_yes(heard: str, kind: str) -> None:
    assert classify_reply(heard).kind == kind


@pytest.mark.rules("REP-1", "UNSURE-1")
@pytest.mark.parametrize(
    ("heard", "kind"),
    [
        ("好了，现在可以上网了", "yes"),
        ("好了，可以打印了", "yes"),
        ("现在 可以 上网 了", "yes"),
        ("已经 好 了", "yes"),
        ("解决 了", "yes"),
        ("能 用 了 谢谢", "yes"),
        ("还是 不行", "no"),
        ("还是 上 不 了 网", "no"),
        ("没 用", "no"),
        ("还是 老样子", "no"),
        ("不能", "no"),
        ("不好", "no"),
        ("不好意思", "unclear"),
        ("不能 上网", "unclear"),
        ("好了 但是 还是 有 点 慢", "unclear"),  # half fixed
        ("好了 不过 打印机 不 行", "unclear"),
        ("好像 好了", "unclear"),
        ("可以 了 吗", "unclear"),
        ("我 家里 上不了网 了", "unclear"),  # the fault named again, not an answer to 'is it working now?'
        ("可以 上网 了 不过 没有 声音", "unclear"),
        ("", "unclear"),
        ("嗯", "unclear"),
    ],
)
def test_outcome_of_a_guide_step(heard: str, kind: str) -> None:
    """REP-1: 'is it working now?'; a hedged or mixed answer is unclear, never a yes (UNSURE-1)."""
    assert classify_outcome(heard) == Reply(kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("heard", "no"),
    [("不对 是 幺 三 九", True), ("嗯 不是 是 咨询", True), ("幺 三 九", False), ("是 一 三 九 不是 一 三 八", False)],
)
def test_opens_with_no(heard: str, no: bool) -> None:
    assert opens_with_no(heard) is no
