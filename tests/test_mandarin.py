"""The engine's language port in Mandarin (ivr.adapters.language): what the engine gets from ivr.mandarin.

The parsers themselves are tested in tests/mandarin; these tests go through the port, with the flow's own
keyword lists where keywords matter.
"""

from __future__ import annotations

import pytest

from ivr.adapters.language import MandarinLanguage, _matcher
from ivr.engine.language import Match, NotUnderstood, Reply, SlotValue
from ivr.errors import IvrError
from ivr.flowlang.load import load_flow
from ivr.flowlang.model import Flow
from ivr.paths import ROOT

mandarin = MandarinLanguage()


@pytest.fixture(scope="module")
def flow() -> Flow:
    return load_flow(ROOT / "flows" / "hotline.yaml")


def intents(flow: Flow) -> dict[str, tuple[str, ...]]:
    return {i.id: i.keywords for i in flow.intents.values()}


@pytest.mark.rules("CONF-1", "GRT-2")
@pytest.mark.parametrize(
    ("kind", "said", "value", "spoken"),
    [
        ("phone", "一 三 八 零 零 一 三 八 零 零 零", "13800138000", "幺三八，零零幺三，八零零零"),
        ("phone", "我的电话是 幺 三 九 零 零 幺 三 八 零 零 零", "13900138000", "幺三九，零零幺三，八零零零"),
        ("phone", "一三八 零零 幺三八 洞洞洞", "13800138000", "幺三八，零零幺三，八零零零"),
        ("phone", "零七五五 两两两两 三三三三", "075522223333", "零七五五，二二二二，三三三三"),
        ("phone", "四零零 八八零 八八八八", "4008808888", "四零零，八八零，八八八八"),
        ("digits", "二零二六 幺幺二五", "20261125", "二零二六，幺幺二五"),
        ("surname", "我 姓 张 弓 长 张", "张", "弓长张"),  # read back with the spelling: which 张
        ("surname", "我 是 李 主任", "李", "木子李"),
        ("surname", "免贵 姓 欧阳", "欧阳", "欧阳"),
        ("surname", "三点水 的 汪", "汪", "三点水的汪"),
        ("surname", "姓 单", "单", "单"),
        ("address", "嗯 北京市 海淀区 三号楼 五零二", "北京市海淀区三号楼五零二", "北京市海淀区三号楼五零二"),
        ("address", "我 住 在 建设 路 八百 号", "建设路八百号", "建设路八百号"),
        ("text", "嗯 我 的 网络 很 慢 啊", "我的网络很慢", "我的网络很慢"),
        ("yesno", "对 的", "yes", "是"),
        ("yesno", "不是 是 咨询", "no", "不是"),
    ],
)
def test_the_port_fills_slots_with_the_words_read_back(kind: str, said: str, value: str, spoken: str) -> None:
    filled = mandarin.slot(kind, said)
    assert isinstance(filled, SlotValue), filled
    assert (filled.value, filled.spoken) == (value, spoken)


def test_slot_extras_carry_the_title_and_how_sure_the_value_is() -> None:
    named = mandarin.slot("surname", "我 是 李 主任")
    assert isinstance(named, SlotValue) and named.extra == {"title": "主任", "how": "title", "quality": "high"}
    guessed = mandarin.slot("surname", "我 姓 账")  # not a surname: the common one that sounds like it
    assert isinstance(guessed, SlotValue) and (guessed.value, guessed.extra["quality"]) == ("张", "low")
    phone = mandarin.slot("phone", "零 幺 零 八 八 八 八 六 六 六 六")
    assert isinstance(phone, SlotValue) and phone.extra == {
        "phone_kind": "landline",
        "area_code": "010",
        "quality": "high",
    }
    pieced = mandarin.slot("phone", "幺三八 零零幺三 八千")
    assert isinstance(pieced, SlotValue) and pieced.extra["quality"] == "low"


@pytest.mark.rules("UNSURE-1")
@pytest.mark.parametrize(
    ("kind", "said", "why"),
    [
        ("phone", "我记不清了", "no digits heard"),
        ("phone", "一三八", "a mobile number has 11 digits, heard 3"),
        ("phone", "幺三八 零零幺三 八千三", "'八千三' could be 8300 or 80003: say the number digit by digit"),
        ("digits", "一二三 还有 四五六", "several numbers heard: '一二三', '四五六'"),
        ("surname", "你好", "no surname in '你好'"),
        ("surname", "我 姓 王 木子 李", "heard both 王 and 李"),
        ("address", "嗯 那个", "no address heard"),
        ("address", "对", "too short"),
        ("text", "嗯", "nothing said"),
        ("text", "喂", "too short"),
        ("yesno", "幺 三 九", "neither yes nor no"),  # a value is not a no to a yes/no question
        ("yesno", "对 不对", "neither yes nor no"),
    ],
)
def test_words_that_fill_no_slot_say_why_in_one_line(kind: str, said: str, why: str) -> None:
    assert mandarin.slot(kind, said) == NotUnderstood(why)


@pytest.mark.rules("APOL-1", "CONF-1", "UNSURE-1", "REP-1")
@pytest.mark.parametrize(
    ("said", "kind", "corrected"),
    [
        ("对", "yes", None),
        ("是的 没错", "yes", None),
        ("好了", "yes", None),
        ("不对", "no", None),
        ("不行了", "no", None),
        ("没有，不对", "no", None),
        ("不能", "no", None),  # 'is it working now?' 'can't'
        ("不对 是 一 三 九 零 零 一 三 八 零 零 零", "correction", "一三九零零一三八零零零"),
        ("错了 应该 是 幺 三 九", "correction", "幺三九"),
        ("是 一 三 九 不是 一 三 八", "correction", "一三九"),
        ("好了，现在可以上网了", "yes", None),  # 'is it working now?' after a guide step (REP-1)
        ("还是 不行", "no", None),
        ("还是 上 不 了 网", "no", None),
        ("好了 但是 还是 有 点 慢", "unclear", None),  # half fixed is not a yes
        ("好像 好了", "unclear", None),
        ("您好", "unclear", None),
        ("我 家里 上不了网 了", "unclear", None),  # a fault named is not an answer
        ("嗯", "unclear", None),
        ("", "unclear", None),
        ("我 不 知道", "unclear", None),
        ("对 我 要 报修", "unclear", None),
    ],
)
def test_replies_to_a_read_back_or_a_guide_step(said: str, kind: str, corrected: str | None) -> None:
    assert mandarin.reply(said) == Reply(kind, corrected)  # type: ignore[arg-type]


@pytest.mark.rules("CONF-1", "APOL-1")
def test_a_reply_that_repeats_what_was_read_back_is_a_yes() -> None:
    read_back = "幺三八，零零幺三，八零零零"
    assert mandarin.reply("对 是 幺三八 零零幺三 八零零零", read_back) == Reply("yes")
    assert mandarin.reply("对 是 1 3 8 0 0 1 3 8 0 0 0", read_back) == Reply("yes")
    assert mandarin.reply("对 是 幺三九 零零幺三 八零零零", read_back) == Reply("correction", "幺三九零零幺三八零零零")
    assert mandarin.reply("是 立早 章", "立早章") == Reply("yes")
    assert mandarin.reply("是 立早 章") == Reply("correction", "立早章")  # nothing read back: read it back again


@pytest.mark.rules("CONF-1", "APOL-1")
def test_a_correction_of_one_group_gives_the_whole_number_read_back() -> None:
    read_back = "幺三八，幺二三四，五六七八"
    assert mandarin.reply("是 一 三 九 不是 一 三 八", read_back) == Reply("correction", "13912345678")
    assert mandarin.reply("不是 幺三八 是 幺三九", read_back) == Reply("correction", "13912345678")
    assert mandarin.reply("是 一 三 九 不是 一 三 七", read_back) == Reply("correction", "一三九")  # 137 not read back
    twice = "幺三八，零零幺三，八零零零"  # 138 twice: which one is meant is asked again
    assert mandarin.reply("是 一 三 九 不是 一 三 八", twice) == Reply("correction", "一三九")
    address = "北京市海淀区3号楼502室"  # only a number read back digit by digit is patched
    assert mandarin.reply("是 五 零 三 不是 五 零 二", address) == Reply("correction", "五零三")


@pytest.mark.rules("ASK-1")
def test_the_flows_keywords_are_found_by_sound_and_in_the_order_said(flow: Flow) -> None:
    (misheard,) = mandarin.find("我 想 报秀 吧", intents(flow))  # 报秀: an ASR homophone of 报修
    assert misheard.id == "repair" and misheard.position == 2 and 0.8 <= misheard.score < 1.0
    both = mandarin.find("我想问一下维修收费的事，还有我的打印机打印不了了", intents(flow))
    assert both == [Match("consult", 2, 1.0), Match("repair", 18, 1.0)]  # one match per list, where first heard
    faults = {f.id: f.keywords for f in flow.knowledge.faults}
    assert [m.id for m in mandarin.find("我 家 网络 连接 不 上 了", faults)] == ["no_network"]  # a word too many


UNRELATED = [
    "今天 天气 不错", "我 吃 饭 了", "谢谢 你", "你 叫 什么 名字", "北京 欢迎 你", "好的 再见", "我 想 想",
    "没有 了", "没有了，谢谢", "好吧，没有了", "不 要 了", "不用了", "等 一下", "错了", "对 的", "不 是",
    "好了，可以打印了", "好了，现在可以上网了", "我 累 坏 了", "孩子 饿 坏 了", "司机 马上 就 到", "大家 鼓掌 欢迎",
    "我 姓 张 弓 长 张", "幺 三 八 零 零 幺 三 八 零 零 零", "北京市 海淀区 中关村 大街 一 号",
]  # fmt: skip


@pytest.mark.parametrize("sentence", UNRELATED)
def test_unrelated_sentences_match_none_of_the_flows_keyword_lists(flow: Flow, sentence: str) -> None:
    answers = {a.id: a.keywords for a in flow.knowledge.answers}
    faults = {f.id: f.keywords for f in flow.knowledge.faults}
    assert [mandarin.find(sentence, lists) for lists in (intents(flow), answers, faults)] == [[], [], []]


def test_a_phrase_that_hides_a_keyword_still_counts_for_a_list_that_names_it() -> None:
    lists = {"repair": ("死机", "坏了"), "taxi": ("出租车司机", "叫车")}
    assert [m.id for m in mandarin.find("出租车 司机 马上 就 到", lists)] == ["taxi"]  # 司机 is not 死机 here
    assert [m.id for m in mandarin.find("电脑 死机 了", lists)] == ["repair"]
    assert mandarin.find("我 累 坏 了", lists) == []


def test_one_matcher_per_keyword_mapping(flow: Flow) -> None:
    before = _matcher.cache_info()
    for _ in range(3):
        mandarin.find("我 要 报修", dict(intents(flow)))  # a new dict each time, the same lists
    after = _matcher.cache_info()
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 2


@pytest.mark.rules("GRT-2", "GRT-3")
def test_the_form_of_address_is_surname_and_title_never_the_full_name() -> None:
    assert mandarin.address("王建国", "主任") == "王主任"
    assert mandarin.address("欧阳修", "老师") == "欧阳老师"
    assert mandarin.address("张", "工程师") == "张工程师"


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: mandarin.address("", "老师"), "form of address: '' is not a Chinese surname"),
        (lambda: mandarin.address("张", "mr"), "form of address: 'mr' is not a title"),
        (lambda: mandarin.slot("colour", "红色"), "slot type: unknown slot type 'colour'"),
        (lambda: mandarin.find("报修", {"a": ["报"]}), "keywords: intent 'a': keyword '报' is under 2 characters"),
        (lambda: mandarin.find("报修", {"a": ["报修"], "b": ["报修"]}), "keywords: keyword '报修' is in both"),
    ],
)
def test_bad_input_is_one_line_ivr_error(call: object, error: str) -> None:
    with pytest.raises(IvrError) as raised:
        call()  # type: ignore[operator]
    assert str(raised.value).startswith(error) and "\n" not in str(raised.value)
