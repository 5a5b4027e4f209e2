"""The call's timeline: timestamped events, printed as text or JSON lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ivr.clock import Clock


@dataclass(frozen=True)
class Event:
    """Something that happened `t` seconds after the call was answered."""

    t: float
    event: str
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "event": self.event, **self.fields}

    def json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)

    def text(self) -> str:
        f = dict(self.fields)
        words = f.pop("text", None)
        detail = " ".join(f"{k}={_fmt(v)}" for k, v in f.items())
        if words is not None:
            detail = f"{detail} «{words}»".strip()
        return f"{self.t:8.3f}  {self.event:<16} {detail}".rstrip()


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


class Timeline:
    """Collects a call's events, stamped from the call's clock, and forwards each to sinks."""

    def __init__(self, clock: Clock, sinks: list[Callable[[Event], None]] | None = None) -> None:
        self.clock = clock
        self.events: list[Event] = []
        self.sinks = list(sinks or [])

    def emit(self, event: str, **fields: Any) -> Event:
        e = Event(self.clock.now(), event, fields)
        self.events.append(e)
        for sink in self.sinks:
            sink(e)
        return e

    def of(self, event: str) -> list[Event]:
        return [e for e in self.events if e.event == event]
