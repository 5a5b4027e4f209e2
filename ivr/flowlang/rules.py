"""Rule IDs of the hotline service code (../shared/spec/REQUIREMENTS.md) that flows may cite."""

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
    "ASK-1": "ask for the caller's intent",
    "CONS-1": "consultation",
    "REP-1": "fault report",
    "CONF-1": "repeat and confirm",
    "CANT-1": "business that cannot be handled",
    "APOL-1": "apologise for own mistakes",
    "UNSURE-1": "do not guess: escalate",
    "WRONG-1": "wrong number",
    "HARASS-1": "nuisance call",
    "CLOSE-1": "wait for the caller to hang up first",
}

FORBIDDEN_PHRASES: tuple[str, ...] = (
    "喂，说话呀",
    "喂，说吧",
    "再不说话我就挂了",
    "喂，大声一点儿",
)
"""FORBID-1: wording the IVR must never say (matched ignoring punctuation)."""

SCRIPTED_HANGUP_RULES = frozenset({"SIL-1", "HEAR-2", "HEAR-3"})
"""CLOSE-1: the only scripts after which the IVR may hang up first."""
