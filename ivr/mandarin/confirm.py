"""The caller's reply to a read-back (CONF-1): yes, no, a correction with its value (APOL-1), or unclear.

Never guesses (UNSURE-1): an empty, hedged, questioning or mixed reply is `unclear`, never `yes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ivr.mandarin.numbers import number_runs, spoken_digits
from ivr.mandarin.text import normalise

ReplyKind = Literal["yes", "no", "correction", "unclear"]

YES_WORDS: tuple[str, ...] = (
    "是", "是的", "是啊", "是呀", "对", "对的", "对啊", "对呀", "对头", "没错", "没错的", "正确",
    "好的", "好", "好嘞", "好吧", "可以", "行", "没问题", "就是", "就是这个", "是这个", "ok", "对了", "准确",
)  # fmt: skip
NO_WORDS: tuple[str, ...] = (
    "不是", "不是的", "不对", "不对的", "错了", "错的", "不正确", "说错了", "搞错了", "记错了", "听错了", "弄错了",
    "不准确", "不行",
)  # fmt: skip
LONE_NO_WORDS: tuple[str, ...] = ("不", "错", "没有")
"""No only when said alone: '不要了' is not a 'no' followed by a correction."""
FILLERS: tuple[str, ...] = (
    "嗯", "呃", "额", "啊", "哦", "噢", "呀", "啦", "嘛", "那个", "这个", "谢谢", "谢了", "您", "你", "您好", "你好",
)  # fmt: skip
CORRECTION_LEADS: tuple[str, ...] = ("应该是", "正确的是", "我说的是", "其实是", "就是", "是")
HEDGES: tuple[str, ...] = (
    "不知道", "清楚", "不确定", "确定吗", "记不", "不记得", "忘", "没听", "听不", "再说", "重复", "什么", "啥",
    "多少", "是吗", "对吗", "吗", "可能", "好像", "大概", "也许", "是吧", "对吧", "应该吧",
    "应该是吧", "应该对", "应该没错", "应该是的", "等一下", "等等", "稍等",
)  # fmt: skip
_TRAILING = ("啊", "呀", "吧", "呢", "嘛", "哦", "嗯", "啦", "了")


@dataclass(frozen=True)
class Reply:
    """What the caller meant; for a correction, `value` is the corrected text for the slot parser."""

    kind: ReplyKind
    value: str = ""
    replaces: str = ""
    """The part the caller said was wrong, when said ('是一三九不是一三八' -> '一三八')."""


def _segment(t: str) -> list[tuple[str, str]]:
    """Greedy longest-match into (kind, text): yes, no, filler, or other."""
    vocab = sorted(
        [(w, "yes") for w in YES_WORDS] + [(w, "no") for w in NO_WORDS] + [(w, "filler") for w in FILLERS],
        key=lambda p: len(p[0]),
        reverse=True,
    )
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(t):
        for word, kind in vocab:
            if t.startswith(word, i):
                out.append((kind, word))
                i += len(word)
                break
        else:
            if out and out[-1][0] == "other":
                out[-1] = ("other", out[-1][1] + t[i])
            else:
                out.append(("other", t[i]))
            i += 1
    # 了 on its own after a yes or a no is a particle (好了, 不行了); 了解 and 上不了 stay words
    return [
        ("filler", w) if (kind, w) == ("other", "了") and k > 0 and out[k - 1][0] in ("yes", "no") else (kind, w)
        for k, (kind, w) in enumerate(out)
    ]


def _strip_value(value: str) -> str:
    changed = True
    while changed:
        changed = False
        for lead in (*CORRECTION_LEADS, *FILLERS):
            if value.startswith(lead):
                value, changed = value[len(lead) :], True
                break
        for particle in _TRAILING:
            if value.endswith(particle):
                value, changed = value[: -len(particle)], True
                break
    return value


def _split_value(value: str) -> tuple[str, str]:
    """(value, replaces) from '一三九不是一三八' or '一三八是一三九'."""
    value = _strip_value(value)
    if "不是" in value:
        said, _, wrong = value.partition("不是")
        return _strip_value(said), _strip_value(wrong)
    if "是" in value:
        wrong, _, said = value.rpartition("是")
        return _strip_value(said), _strip_value(wrong)
    return _strip_value(value), ""


def _only_no(segments: list[tuple[str, str]]) -> bool:
    """No words only, lone ones among them: '没有，不对' is a no."""
    runs = "".join(w if kind == "other" else " " for kind, w in segments).split()
    kinds = {kind for kind, _ in segments}
    return "no" in kinds and "yes" not in kinds and all(r in LONE_NO_WORDS for r in runs)


def _only_words(value: str) -> bool:
    """Nothing but yes/no/filler words: not a value ('不对，对的')."""
    return all(kind != "other" for kind, _ in _segment(value))


def _same(value: str, expected: str | None) -> bool:
    if expected is None:
        return False
    if normalise(value) == normalise(expected):
        return True
    digits = spoken_digits(value)
    return bool(digits) and digits == spoken_digits(expected)


def _correction(value: str, replaces: str, expected: str | None) -> Reply:
    if not value or _only_words(value):
        return Reply("unclear")
    if _same(value, expected):
        return Reply("yes")
    return Reply("correction", value, replaces)


def opens_with_no(text: str) -> bool:
    """The reply starts with a no word, fillers aside (不对，是幺三九): a correction that is also a no."""
    kinds = [kind for kind, _ in _segment(normalise(text)) if kind != "filler"]
    return bool(kinds) and kinds[0] == "no"


def classify_reply(text: str, expected: str | None = None) -> Reply:
    """Classify a reply to a read-back; `expected` is what was read back (a reply repeating it is a yes)."""
    t = normalise(text)
    if not t or any(h in t for h in HEDGES):
        return Reply("unclear")
    if t in LONE_NO_WORDS or not t.strip("不"):
        return Reply("no")
    segments = _segment(t)
    kinds = [kind for kind, _ in segments if kind != "filler"]
    if not kinds:
        return Reply("unclear")
    if all(k == "yes" for k in kinds):
        return Reply("yes")
    if _only_no(segments):
        return Reply("no")
    lead = 0
    while lead < len(segments) and segments[lead][0] in ("no", "filler"):
        lead += 1
    if kinds[0] == "no":
        value, replaces = _split_value("".join(w for _, w in segments[lead:]))
        return _correction(value, replaces, expected)
    cut = next((k for k, (kind, w) in enumerate(segments) if kind == "no" and w.startswith("不是")), None)
    if cut is not None:
        said = _strip_value("".join(w for _, w in segments[:cut]))
        wrong = _strip_value("".join(w for _, w in segments[cut + 1 :]))
        return _correction(said, wrong, expected)
    if "no" in kinds:
        return Reply("unclear")
    rest_at = 0
    while rest_at < len(segments) and segments[rest_at][0] in ("yes", "filler"):
        rest_at += 1
    leads_in = rest_at > 0 and any(w in CORRECTION_LEADS for kind, w in segments[:rest_at] if kind == "yes")
    start = 0 if kinds[0] == "other" else rest_at
    value, replaces = _split_value("".join(w for _, w in segments[start:]))
    if leads_in or any(r.significant for r in number_runs(value)):
        return _correction(value, replaces, expected)
    return Reply("unclear")


FIXED_WORDS: tuple[str, ...] = (
    "好了", "好啦", "可以了", "行了", "解决了", "能用了", "可以用了", "修好了", "正常了", "没问题了", "通了",
    "能上网了", "可以上网了", "能打印了", "可以打印了", "有反应了", "好使了",
)  # fmt: skip
"""How a caller says the fault is gone (REP-1's guide: 'is it working now?')."""
NOT_FIXED_WORDS: tuple[str, ...] = (
    "还是不行", "还不行", "没用", "没有用", "没解决", "没有解决", "还是没有", "还没有", "还是不能", "还不能",
    "还是用不了", "还是上不了", "还是打不开", "还是连不上", "还是一样", "还是没反应", "还没好", "没好", "不好使",
    "老样子",
)  # fmt: skip
"""How a caller says the fault is still there after a step (还是…: a fault merely named, 上不了网, is not an answer)."""
LONE_NOT_FIXED: tuple[str, ...] = ("不能", "不好", "没有", "不行")
"""Still broken only when said alone: '不好意思' and '不能上网' are not answers."""
_CONTRASTS: tuple[str, ...] = ("但是", "不过", "可是", "只是")
"""好了，但是…: half fixed is not a yes."""
_OUTCOME_LEADS: tuple[str, ...] = ("现在", "已经", "这下", "终于", "嗯", "哦", "啊", "对", "是的", "是")


def classify_outcome(text: str) -> Reply:
    """A reply to 'is it working now?' (REP-1): yes, no, or unclear; a hedge or a mixed reply is unclear (UNSURE-1)."""
    t = normalise(text)
    if not t or any(h in t for h in (*HEDGES, *_CONTRASTS)):
        return Reply("unclear")
    if any(w in t for w in NOT_FIXED_WORDS):
        return Reply("no")
    body = t
    moved = True
    while moved:
        moved = False
        for lead in _OUTCOME_LEADS:
            if body.startswith(lead) and not body.startswith(FIXED_WORDS):
                body, moved = body[len(lead) :], True
                break
    if body in LONE_NOT_FIXED:
        return Reply("no")
    fixed = next((w for w in sorted(FIXED_WORDS, key=len, reverse=True) if body.startswith(w)), None)
    if fixed is None or any(n in body[len(fixed) :] for n in "不没别错"):
        return Reply("unclear")
    return Reply("yes")
