"""A caller's reply to a read-back or a yes/no question: yes, no, a correction (with its value), or unclear.

Never a guess (UNSURE-1): only clear words count as yes; a reply that is neither is unclear.
"""

from __future__ import annotations

import re

from ivr.engine.language import Reply
from ivr.mandarin.text import FILLERS, fold

YES = ("是的", "是啊", "对的", "对啊", "对", "正确", "好的", "可以", "行", "是", "对了", "好了", "可以了", "解决了",
       "能用了", "好啦")  # fmt: skip
NO = ("不是", "不对", "错了", "不正确", "有错", "不行", "还是不行", "没有用", "没用", "不好", "没解决", "不能",
      "还不行", "搞错了", "说错了", "听错了", "没有")  # fmt: skip
_CORRECTION = re.compile(r"^(?:不对|不是|错了|搞错了|说错了|听错了)(?:的|啊|呀)?(?:应该是|应该|是)(.+)$")
_NOT_X_BUT_Y = re.compile(r"^(?:是)?(.+?)不是(.+)$")


def _bare(text: str) -> str:
    said = fold(text)
    while True:
        for filler in FILLERS:
            if said.startswith(filler):
                said = said[len(filler) :]
                break
        else:
            return said


def reply(text: str) -> Reply:
    said = _bare(text)
    if not said:
        return Reply("unclear")
    if m := _CORRECTION.match(said):
        return Reply("correction", m.group(1))
    for no in sorted(NO, key=len, reverse=True):
        if said.startswith(no):
            rest = said[len(no) :].lstrip("的啊呀了，")
            if rest.startswith(("应该", "是")):
                return Reply("correction", rest.removeprefix("应该").removeprefix("是"))
            return Reply("correction", rest) if len(rest) >= 3 and not rest.startswith(NO) else Reply("no")
    if m := _NOT_X_BUT_Y.match(said):  # 是一三九不是一三八: the first part is the right one
        right, _ = m.groups()
        if len(right) >= 2:
            return Reply("correction", right)
    plain = said
    for affirmation in ("没错", "没问题", "没有错"):
        plain = plain.replace(affirmation, "对")
    negated = any(n in plain for n in ("不", "没", "别", "错"))
    if not negated and plain.startswith("对"):
        return Reply("yes")
    if not negated and any(said.startswith(yes) for yes in YES):
        return Reply("yes")
    return Reply("unclear")
