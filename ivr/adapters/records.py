"""The call-records store: calls and VIP call-backs in one SQLite file, each write one transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.clock import wall_time
from ivr.errors import IvrError
from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    caller_id TEXT,
    flow TEXT NOT NULL,
    ended_by TEXT NOT NULL,
    duration REAL NOT NULL,
    timeline TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    name TEXT,
    reason TEXT NOT NULL,
    rule TEXT NOT NULL,
    call_at REAL NOT NULL,
    call_id INTEGER REFERENCES calls(id),
    status TEXT NOT NULL DEFAULT 'open'
);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY,
    call_id INTEGER REFERENCES calls(id),
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    department TEXT NOT NULL,
    fields TEXT NOT NULL,
    rule TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
);
"""


@dataclass(frozen=True)
class Callback:
    id: int
    created_at: str
    caller_id: str
    name: str | None
    reason: str
    rule: str
    call_id: int | None
    status: str


def _now() -> str:
    return wall_time().isoformat(timespec="seconds")


class Records:
    """Durable call records. SQLite in WAL mode with full sync: a crash never leaves half a record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise IvrError(f"{path}: cannot open the call-records store ({e})") from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing write: committed whole, or rolled back whole."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as e:
            raise IvrError(f"{self.path}: cannot write the call-records store ({e})") from None

    def open_call(self, start: CallStart) -> str:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO calls (started_at, caller_id, flow, ended_by, duration, timeline) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (start.started_at.isoformat(timespec="seconds"), start.caller_number, start.flow, "", 0.0, "[]"),
            )
        return str(cursor.lastrowid)

    def add_callback(self, call_id: str, cb: CallbackRequest) -> str:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO callbacks (created_at, caller_id, name, reason, rule, call_at, call_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_now(), cb.caller_number, cb.name, cb.reason, cb.rule, cb.at_s, int(call_id)),
            )
        return str(cursor.lastrowid)

    def add_ticket(self, call_id: str, ticket: TicketRequest) -> str:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO tickets (call_id, created_at, kind, department, fields, rule) VALUES (?, ?, ?, ?, ?, ?)",
                (int(call_id), _now(), ticket.kind, ticket.department, json.dumps(ticket.fields), ticket.rule),
            )
        return str(cursor.lastrowid)

    def close_call(self, call_id: str, end: CallEnd) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE calls SET ended_by = ?, duration = ?, timeline = ? WHERE id = ?",
                (end.ended_by, end.duration_s, json.dumps(end.timeline, ensure_ascii=False), int(call_id)),
            )

    def callbacks(self, status: str | None = "open") -> list[Callback]:
        sql = "SELECT id, created_at, caller_id, name, reason, rule, call_id, status FROM callbacks"
        rows = self._db.execute(
            sql + (" WHERE status = ?" if status else "") + " ORDER BY id", (status,) if status else ()
        )
        return [Callback(*row) for row in rows]

    def calls(self) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT id, started_at, caller_id, flow, ended_by, duration FROM calls ORDER BY id")
        return [
            dict(zip(("id", "started_at", "caller_id", "flow", "ended_by", "duration"), r, strict=True)) for r in rows
        ]

    def close(self) -> None:
        self._db.close()
