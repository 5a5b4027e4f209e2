"""Mandarin for the engine's language port, on the text functions of `ivr.mandarin`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ivr.engine.language import Match, NotUnderstood, Reply, SlotValue

_FOLD = re.compile(r"[\s\W_]+", re.UNICODE)
_DIGITS = {"零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
           "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}  # fmt: skip
_SPOKEN = "零幺二三四五六七八九"
_YES = ("是的", "对的", "没错", "正确", "好的", "可以", "对", "是", "嗯", "好了", "行")
_NO = ("不是", "不对", "错了", "不正确", "不行", "没有", "还是不行", "不")


def fold(text: str) -> str:
    return _FOLD.sub("", text)


class MandarinLanguage:
    """The language port for Mandarin callers."""

    def slot(self, kind: str, text: str) -> SlotValue | NotUnderstood:
        said = fold(text)
        if kind in ("phone", "digits"):
            digits = "".join(_DIGITS.get(c, c if c.isdigit() else "") for c in said)
            if kind == "phone" and not re.fullmatch(r"1[3-9]\d{9}|0\d{9,11}|[48]00\d{7}", digits):
                return NotUnderstood("not a phone number")
            if not digits:
                return NotUnderstood("no digits")
            spoken = "".join(_SPOKEN[int(d)] for d in digits)
            if kind == "phone" and len(digits) == 11:
                spoken = f"{spoken[:3]}，{spoken[3:7]}，{spoken[7:]}"
            return SlotValue(digits, spoken)
        if kind == "surname":
            m = re.search(r"(?:姓|我是)(\w)(老师|工程师|科长|主任|经理)?", said)
            if not m:
                return NotUnderstood("no surname")
            extra = {"title": m.group(2)} if m.group(2) else {}
            return SlotValue(m.group(1), m.group(1), extra)
        if kind == "yesno":
            reply = self.reply(text)
            if reply.kind in ("yes", "no"):
                return SlotValue(reply.kind, "是" if reply.kind == "yes" else "不是")
            return NotUnderstood("not a yes or a no")
        if not said:
            return NotUnderstood("nothing said")
        return SlotValue(said, said)

    def reply(self, text: str) -> Reply:
        said = fold(text)
        for no in _NO:
            if said.startswith(no):
                rest = said[len(no) :].lstrip("是应该")
                return Reply("correction", rest) if rest else Reply("no")
        if any(said.startswith(y) for y in _YES):
            return Reply("yes")
        return Reply("unclear")

    def find(self, text: str, keywords: Mapping[str, Sequence[str]]) -> list[Match]:
        said = fold(text)
        out = []
        for key, words in keywords.items():
            positions = [said.find(fold(w)) for w in words if fold(w) and fold(w) in said]
            if positions:
                out.append(Match(key, min(positions), 1.0))
        return out

    def address(self, surname: str, title: str) -> str:
        return surname + title
