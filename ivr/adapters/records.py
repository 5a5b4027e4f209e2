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

    def add_callback(self, caller_id: str, name: str | None, reason: str, rule: str, call_at: float) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO callbacks (created_at, caller_id, name, reason, rule, call_at) VALUES (?, ?, ?, ?, ?, ?)",
                (_now(), caller_id, name, reason, rule, call_at),
            )
        return int(cursor.lastrowid or 0)

    def add_call(self, caller_id: str | None, flow: str, ended_by: str, duration: float, timeline: list[dict]) -> int:
        """Store a finished call and link the call-backs it registered to it, in one transaction."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO calls (started_at, caller_id, flow, ended_by, duration, timeline) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (_now(), caller_id, flow, ended_by, duration, json.dumps(timeline, ensure_ascii=False)),
            )
            call_id = int(cursor.lastrowid or 0)
            ids = [e["callback_id"] for e in timeline if e.get("event") == "callback_registered"]
            db.executemany("UPDATE callbacks SET call_id = ? WHERE id = ?", [(call_id, i) for i in ids])
        return call_id

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
