"""The records port: what the engine needs from a call-records store."""

from __future__ import annotations

from typing import Protocol

from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest


class CallRecords(Protocol):
    def open_call(self, start: CallStart) -> str: ...

    def add_callback(self, call_id: str, cb: CallbackRequest) -> str: ...

    def add_ticket(self, call_id: str, ticket: TicketRequest) -> str: ...

    def close_call(self, call_id: str, end: CallEnd) -> None: ...

    def close(self) -> None: ...
