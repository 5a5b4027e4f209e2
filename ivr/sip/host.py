"""The port between the SIP server and the IVR engine: the server answers, the host runs the call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ivr.frames import Samples


@dataclass(frozen=True)
class IncomingCall:
    sip_call_id: str
    caller_number: str | None
    caller_uri: str
    rings: int


class LineCall(Protocol):
    """One answered call as the engine sees it; driven by the media ticker, one 20 ms frame per tick."""

    def step(self, frame: Samples) -> Samples: ...

    def dtmf(self, digit: str) -> None: ...

    def end(self, reason: str) -> None: ...

    @property
    def hung_up(self) -> bool: ...


class CallHost(Protocol):
    def answer(self, call: IncomingCall) -> LineCall: ...
