"""Intents from keywords (ASK-1): exactly, by sound and fuzzily, with positions; no false matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import IvrError
from ivr.mandarin.keywords import (
    DEFAULT_THRESHOLD,
    Intent,
    IntentMatcher,
    default_excludes,
    default_intents,
    load_intents,
)


@pytest.fixture(scope="module")
def hotline() -> IntentMatcher:
    return IntentMatcher(default_intents())


@pytest.mark.parametrize(
    ("heard", "intent", "keyword", "said", "how"),
    [
        ("我 要 报修", "fault_report", "报修", "报修", "exact"),
        ("我 要 报秀", "fault_report", "报修", "报秀", "sound"),  # ASR homophone
        ("我 要 抱 修", "fault_report", "报修", "抱修", "sound"),
        ("电脑 死机 了", "fault_report", "死机", "死机", "exact"),
        ("开 不 了 几", "fault_report", "开不了机", "开不了几", "sound"),
        ("我们 家 的 电视 登陆 不了", "fault_report", "登录不了", "登陆不了", "sound"),
        ("网络 连 不 上 网 了", "fault_report", "连不上网", "连不上网", "exact"),
        ("我 家 网络 连 不 上 了", "fault_report", "网络连接不上", "网络连不上", "fuzzy"),  # a word left out
        ("我 想 咨询 一下", "consultation", "咨询", "咨询", "exact"),
        ("我 想 咨 讯 一下", "consultation", "咨询", "咨讯", "sound"),
        ("请问 怎么 办 里", "consultation", "怎么办理", "怎么办里", "sound"),
        ("这个 怎么 收费", "consultation", "怎么收费", "怎么收费", "exact"),
        ("对不起 我 打 错 了", "wrong_number", "打错了", "打错了", "exact"),
    ],
)
def test_finds_intent(hotline: IntentMatcher, heard: str, intent: str, keyword: str, said: str, how: str) -> None:
    (match,) = [m for m in hotline.find(heard) if m.intent == intent]
    assert (match.keyword, match.heard, match.how) == (keyword, said, how)
    assert DEFAULT_THRESHOLD <= match.score <= 100
    assert (match.score == 100) is (how == "exact")


def test_positions_are_in_the_normalised_text(hotline: IntentMatcher) -> None:
    (m,) = hotline.find("嗯 那个 我 要 报 修")
    assert (m.start, m.end) == (5, 7)
    assert "嗯那个我要报修"[m.start : m.end] == "报修"


def test_several_intents_in_order_said(hotline: IntentMatcher) -> None:
    found = hotline.find("我 想 咨询 一下 收费 另外 我 家 宽带 断网 了 电脑 也 死机 了")
    assert [(m.intent, m.keyword) for m in found] == [
        ("consultation", "咨询"),
        ("fault_report", "断网"),
        ("fault_report", "死机"),
    ]
    assert [m.start for m in found] == sorted(m.start for m in found)


@pytest.mark.rules("ASK-1")
def test_most_urgent_first(hotline: IntentMatcher) -> None:
    """ASK-1: several problems in one call are handled in order of urgency."""
    ordered = hotline.by_urgency("我 想 咨询 一下 收费 另外 我 家 宽带 断网 了")
    assert [m.intent for m in ordered] == ["fault_report", "consultation"]
    assert [m.urgency for m in ordered] == [3, 1]


def test_overlapping_keywords_give_one_match(hotline: IntentMatcher) -> None:
    found = hotline.find("我 的 电脑 出 故障 了")
    assert [(m.keyword, m.heard) for m in found] == [("出故障", "出故障")]  # not 故障 as well


def test_threshold_is_a_setting() -> None:
    strict = IntentMatcher(default_intents(), threshold=100)
    loose = IntentMatcher(default_intents(), threshold=70)
    assert strict.find("我 要 报秀") == []
    assert [m.keyword for m in strict.find("我 要 报修")] == ["报修"]
    assert [m.keyword for m in loose.find("大家 鼓掌 欢迎")] == []  # excluded whatever the threshold
    # every character a homophone, and a word of its own (资讯 'news'): only with a low threshold
    assert [m.heard for m in loose.find("我 想 资讯 一下")] == ["资讯"]
    assert IntentMatcher(default_intents()).find("我 想 资讯 一下") == []


UNRELATED = [
    "今天 天气 很 好", "我 在 开车", "你们 公司 在 哪里", "我 刚 吃 完 饭", "明天 下午 三 点 开会",
    "请 帮 我 转告 他", "我 的 名字 叫 张 伟", "我 姓 王", "谢谢 你", "再见", "好 的", "对 的", "不 是", "你好",
    "喂", "嗯", "大家 鼓掌 欢迎", "我 累 坏 了", "孩子 饿 坏 了", "报销 的 事情 下周 再说", "司机 马上 就 到",
    "他 是 我 的 老师", "这个 周末 去 爬山", "我 家 住 在 建设 路 八百 号",
    "电话 号码 是 幺 三 八 零 零 幺 三 八 零 零 零",
    "我 想 买 一 本 书", "他 说话 很 大声", "我 现在 不 方便", "等 一下 我 再 打 过来", "会议 改 到 明天 了",
    "这 件 事情 很 重要", "我们 一起 去 吃饭 吧", "今天 是 星期五", "小 明 考试 考 得 很 好", "把 窗户 关 上",
    "我 妈 让 我 回家", "他 修 好 了 自行车", "外面 在 下雨", "这个 苹果 很 甜", "我 马上 到",
]  # fmt: skip


@pytest.mark.parametrize("heard", UNRELATED)
def test_no_false_match_on_unrelated_sentences(hotline: IntentMatcher, heard: str) -> None:
    assert hotline.find(heard) == []


def test_empty_text(hotline: IntentMatcher) -> None:
    assert hotline.find("") == [] and hotline.find(" ， ") == []


@pytest.mark.parametrize(
    ("intents", "error"),
    [
        ([Intent("a", ("报",))], "under 2 characters"),
        ([Intent("a", ("报修",)), Intent("b", ("报修",))], "in both"),
        ([Intent("a", ("报修",)), Intent("a", ("咨询",))], "defined twice"),
    ],
)
def test_matcher_refuses_bad_intents(intents: list[Intent], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        IntentMatcher(intents)


@pytest.mark.parametrize("threshold", [0, -5, 101])
def test_matcher_refuses_bad_threshold(threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        IntentMatcher(default_intents(), threshold=threshold)


def test_default_intents_cite_rules() -> None:
    rules = {i.name: i.rule for i in default_intents()}
    assert rules == {"fault_report": "REP-1", "consultation": "CONS-1", "wrong_number": "WRONG-1"}


def test_load_intents_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "intents.yaml"
    path.write_text("billing:\n  urgency: 2\n  keywords: [账单, 话费]\n  exclude: [话费券]\n", encoding="utf-8")
    (intent,) = load_intents(path)
    assert intent == Intent("billing", ("账单", "话费"), 2, ("话费券",), "")
    matcher = IntentMatcher([intent])
    assert [m.keyword for m in matcher.find("查 一下 话 费")] == ["话费"]
    assert matcher.find("我 有 一 张 话费券") == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "must be a mapping"),
        ("- a\n- b\n", "must be a mapping"),
        ("a: [\n", "not valid YAML"),
        ("a:\n  urgency: 1\n", "needs a non-empty 'keywords' list"),
        ("a:\n  keywords: []\n", "needs a non-empty 'keywords' list"),
        ("a:\n  keywords: [报修]\n  urgent: 1\n", "unknown key 'urgent'"),
        ("a:\n  keywords: [报修]\n  urgency: high\n", "urgency must be a whole number"),
        ("a:\n  keywords: [报修]\n  exclude: 累坏了\n", "exclude must be a list"),
        ("a:\n  keywords: [报]\n", "under 2 characters"),
    ],
)
def test_load_intents_bad_file_is_one_line(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "intents.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IvrError, match=error) as raised:
        load_intents(path)
    assert str(raised.value).startswith(str(path)) and "\n" not in str(raised.value)


def test_load_intents_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IvrError, match="cannot read intents"):
        load_intents(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("heard", "found"),
    [
        ("不 要 了", []),  # two characters of 登录不了 are not the keyword half heard
        ("不用 了", []),
        ("好了 可以 打印 了", []),  # 打印不了 without its 不 is the opposite
        ("打印机 打印 不 了", ["打印不了"]),
        ("登陆 不 了 了", ["登录不了"]),  # by sound
        ("我 家 网络 连接 不 上 了", ["网络连不上"]),  # one character too many
        ("网络 连 不 上 了", ["网络连不上"]),
    ],
)
def test_a_fuzzy_match_keeps_all_but_one_character_and_every_negation(heard: str, found: list[str]) -> None:
    matcher = IntentMatcher([Intent("a", ("登录不了", "打印不了")), Intent("b", ("网络连不上",))])
    assert [m.keyword for m in matcher.find(heard)] == found


def test_default_excludes_are_every_exclude_of_the_default_intents() -> None:
    excludes = default_excludes()
    assert set(excludes) == {p for i in default_intents() for p in i.exclude}
    assert {"累坏了", "司机", "鼓掌"} <= set(excludes) and len(excludes) == len(set(excludes))
