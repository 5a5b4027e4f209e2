"""The language port: what the engine needs to understand the caller's words (Mandarin in `ivr.mandarin`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol


@dataclass(frozen=True)
class SlotValue:
    """A slot value understood from the caller's words: canonical, and as the IVR reads it back (CONF-1)."""

    value: str
    spoken: str
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotUnderstood:
    """Why the words do not fill the slot."""

    why: str


@dataclass(frozen=True)
class Reply:
    """A reply to a read-back or a yes/no question; a correction carries the corrected words (APOL-1)."""

    kind: Literal["yes", "no", "correction", "unclear"]
    corrected: str | None = None


@dataclass(frozen=True)
class Match:
    """A keyword list that matched, where in the words, and how well (0..1)."""

    id: str
    position: int
    score: float


class Language(Protocol):
    def slot(self, kind: str, text: str) -> SlotValue | NotUnderstood: ...

    def reply(self, text: str, expected: str | None = None) -> Reply:
        """`expected`: the words just read back (CONF-1); a reply that repeats them is a yes, not a correction."""
        ...

    def find(self, text: str, keywords: Mapping[str, Sequence[str]]) -> list[Match]: ...

    def address(self, surname: str, title: str) -> str: ...
