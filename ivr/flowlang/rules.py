"""The hotline service code's rules (spec/REQUIREMENTS.md): their IDs, mandated scripts, waits and forbidden words.

The exact words live here, not only in the flows: `ivr flows check` fails a flow whose mandated script
is reworded, whose mandated wait is not 5 s, or that says a forbidden phrase in any variation.
"""

from __future__ import annotations

import re

RULES: dict[str, str] = {
    "ANS-1": "answer within 5 rings, else apologise first",
    "ANS-2": "greet, then unit, agent number and name",
    "ANS-3": "gentle answer and hang-up: no clicks",
    "GRT-1": "reply to the caller's greeting",
    "GRT-2": "address a known caller by surname and title",
    "GRT-3": "never address the caller by full name",
    "SIL-1": "silent-call script",
    "SIL-2": "caller speech ends the silent-call script",
    "HEAR-1": "speakerphone script",
    "HEAR-2": "too-quiet script",
    "HEAR-3": "noisy-line script",
    "HEAR-4": "prompt level never changes",
    "FORBID-1": "forbidden wording",
    "LSN-1": "listen, never talk over the caller",
    "ASK-1": "ask for the caller's intent; several problems by urgency",
    "CONS-1": "consultation: answer, or take a number and call back",
    "REP-1": "fault report: guide, or record name, phone, address and notify",
    "CONF-1": "repeat and confirm important content",
    "CANT-1": "business that cannot be handled: explain, ask for understanding",
    "APOL-1": "apologise at once for own mistakes",
    "UNSURE-1": "do not guess: escalate and answer later",
    "WRONG-1": "wrong number: explain politely",
    "HARASS-1": "nuisance call: firm, never rude",
    "CLOSE-1": "wait for the caller to hang up first",
}

SCRIPTS: dict[str, tuple[str, ...]] = {
    "ANS-1": ("对不起，让您久等了。",),
    "ANS-2": ("您好，软件事业部{agent_id}号，客服代表{agent_name}很高兴为您服务，请问有什么可以帮助您！",),
    "GRT-1": ("您好，请问有什么可以帮助您？",),
    "GRT-2": ("{surname}{title}，请问有什么可以帮助您？",),
    "SIL-1": (
        "您好！请问有什么可以帮助您？",
        "您好，请问有什么可以帮助您？",
        "对不起，您的电话没有声音，请您换一部电话再次打来，好吗？再见！",
    ),
    "HEAR-1": ("对不起，您的声音太小，请您拿起话筒说话好吗？",),
    "HEAR-2": (
        "对不起！请您大声一点，好吗？",
        "对不起！您的电话声音太小，请您换一部电话打来，好吗？",
        "对不起，由于您的电话声音太小，您看我们给您打过去，好吗？",
    ),
    "HEAR-3": (
        "对不起，您的电话杂音太大，听不清，请您换一部电话再次打来好吗？再见！",
        "对不起，对不起，我这里听不清楚，我们给您打过去好吗？",
    ),
}
"""Rules whose words are mandated: a prompt carrying one of these rules says one of its scripts, exactly."""

REQUIRED_SCRIPTS: dict[str, tuple[str, ...]] = {
    "SIL-1": SCRIPTS["SIL-1"][1:],
    "HEAR-2": SCRIPTS["HEAR-2"],
    "HEAR-3": SCRIPTS["HEAR-3"],
}
"""A flow that carries out one of these rules says all of these lines (SIL-1's first line may be the ANS-2
greeting itself: the design card's three-prompt silent call)."""

MANDATED_WAIT_S = 5.0
"""SIL-1's 稍停5秒 and HEAR-2/HEAR-3's 然后过5秒挂机."""

SCRIPTED_HANGUP_RULES = frozenset({"SIL-1", "HEAR-2", "HEAR-3", "CLOSE-1"})
"""CLOSE-1: the only scripts after which the IVR may hang up first (CLOSE-1 itself: the goodbye to a caller
who stays on silently past the flow's limit after the closing words)."""

FORBIDDEN_PHRASES: tuple[str, ...] = (
    "喂，说话呀！",
    "喂，说吧！",
    "喂，说话呀！再不说话我就挂了啊！",
    "喂，大声一点儿！",
    "再不说话我就挂了",
)
"""FORBID-1: wording the IVR must never say (matched after `fold_wording`)."""

PROFANITY: tuple[str, ...] = (
    "他妈的",
    "妈的",
    "傻逼",
    "傻b",
    "混蛋",
    "王八蛋",
    "滚蛋",
    "去死",
    "操你",
    "草你",
    "贱人",
    "白痴",
)
"""FORBID-1 / HARASS-1: no profanity, not even to a nuisance caller."""

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_VARIANTS = str.maketrans({"吧": "吧", "呀": "啊", "哪": "啊", "呐": "啊", "嘛": "啊", "罗": "啦", "了": "啦"})


def fold_wording(text: str) -> str:
    """Text as a forbidden-phrase check compares it: no punctuation or spaces, no 儿化, sentence particles folded."""
    t = _PUNCT.sub("", text).lower()
    t = re.sub(r"(?<=.)儿", "", t)  # 一点儿 -> 一点
    return t.translate(_VARIANTS)
