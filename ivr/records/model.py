"""What the engine records about a call: its start, call-backs, tickets and its end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CallStart:
    started_at: datetime
    caller_number: str | None
    flow: str
    channel: str
    worker: str
    recording: str | None = None


@dataclass(frozen=True)
class CallbackRequest:
    caller_number: str
    name: str | None
    reason: str
    rule: str
    at_s: float


@dataclass(frozen=True)
class TicketRequest:
    kind: str
    department: str
    fields: dict[str, str]
    rule: str
    urgency: int
    at_s: float


@dataclass(frozen=True)
class CallEnd:
    ended_at: datetime
    ended_by: str
    end_rule: str | None
    duration_s: float
    prompts: list[dict[str, str]] = field(default_factory=list)
    hearing: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
