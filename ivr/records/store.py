"""The records stores: one schema on SQLite (the default) and PostgreSQL (shared by many IVR workers).

Every write is one transaction: a crash leaves a row whole or absent. A call's row is written when the
call starts (status `in_progress`) and completed when it ends; call-backs and tickets reference their
call from the moment they exist. IDs are made here, not by the database, so a write can wait in the
journal and be replayed later with the same ID.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ivr.clock import postgres_connect, sqlite_connect, wall_time
from ivr.errors import IvrError
from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    caller_number TEXT,
    flow TEXT NOT NULL,
    channel TEXT NOT NULL,
    worker TEXT NOT NULL,
    status TEXT NOT NULL,
    ended_by TEXT,
    end_rule TEXT,
    duration_s REAL,
    recording TEXT,
    prompts TEXT,
    hearing TEXT,
    transcript TEXT,
    timeline TEXT
);
CREATE INDEX IF NOT EXISTS calls_started ON calls (started_at);
CREATE TABLE IF NOT EXISTS callbacks (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls (id),
    created_at TEXT NOT NULL,
    caller_number TEXT NOT NULL,
    name TEXT,
    reason TEXT NOT NULL,
    rule TEXT NOT NULL,
    at_s REAL NOT NULL,
    status TEXT NOT NULL,
    done_at TEXT
);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls (id),
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    department TEXT NOT NULL,
    fields TEXT NOT NULL,
    rule TEXT NOT NULL,
    urgency INTEGER NOT NULL,
    at_s REAL NOT NULL,
    status TEXT NOT NULL,
    done_at TEXT,
    notify_state TEXT NOT NULL,
    notify_attempts INTEGER NOT NULL,
    notify_error TEXT,
    notified_at TEXT
);
"""
"""One schema for both databases (TEXT timestamps in UTC ISO 8601, JSON as TEXT)."""

MAX_FIELD = 2000
"""No stored text field is longer than this; longer values are cut with an ellipsis (a policy, not an error)."""
MAX_JSON = 2_000_000


def new_id(prefix: str) -> str:
    """A short, time-ordered ID a supervisor can type: c251125-7KQ2MX."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 letters: a random byte modulo 32 is uniform
    return f"{prefix}{wall_time():%y%m%d}-{''.join(alphabet[b % 32] for b in os.urandom(6))}"


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


def cut(value: str | None) -> str | None:
    if value is None or len(value) <= MAX_FIELD:
        return value
    return value[: MAX_FIELD - 1] + "…"


def as_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_JSON else json.dumps({"truncated": True, "bytes": len(text)})


class Store(Protocol):
    """A database with the records schema: SQLite or PostgreSQL."""

    name: str

    def write(self, sql: str, params: Sequence[Any]) -> None: ...

    def write_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None: ...

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    def probe(self) -> None: ...

    def close(self) -> None: ...


def _columns(db: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {row[1] for row in db.execute(f"PRAGMA table_info({t})")} for t in tables}


class SqliteStore:
    """Records in one SQLite file: WAL mode, full sync, lock waits bounded."""

    def __init__(self, path: Path, lock_wait_s: float = 5.0) -> None:
        self.path = path
        self.name = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite_connect(path, lock_wait_s)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._refuse_older()
            self._db.executescript(SCHEMA)
            self._version()
        except (OSError, sqlite3.Error) as e:
            raise IvrError(f"{path}: cannot open the call-records store ({e})") from None

    def _refuse_older(self) -> None:
        """Tables from an older IVR (columns missing) cannot be written to; say so, not an SQL error at a call."""
        with closing(sqlite3.connect(":memory:")) as empty:
            wanted = _columns(empty.executescript(SCHEMA))
        missing = [f"{t}.{c}" for t, cols in _columns(self._db).items() if t in wanted for c in wanted[t] - cols]
        if missing:
            raise IvrError(
                f"{self.path}: call records from an older IVR (no {', '.join(sorted(missing)[:3])}); "
                "move the file aside or give --records another file"
            )

    def _version(self) -> None:
        rows = self._db.execute("SELECT version FROM schema_version").fetchall()
        if not rows:
            self.write("INSERT INTO schema_version (version) VALUES (?)", [SCHEMA_VERSION])
        elif rows[0][0] != SCHEMA_VERSION:
            raise IvrError(f"{self.path}: records schema version {rows[0][0]}, this IVR needs {SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
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

    def write(self, sql: str, params: Sequence[Any]) -> None:
        self.write_many([(sql, params)])

    def write_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        with self._transaction() as db:
            for sql, params in statements:
                db.execute(sql, list(params))

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            cursor = self._db.execute(sql, list(params))
        except sqlite3.Error as e:
            raise IvrError(f"{self.path}: cannot read the call-records store ({e})") from None
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def probe(self) -> None:
        with self._transaction() as db:
            db.execute("UPDATE schema_version SET version = version")

    def close(self) -> None:
        self._db.close()


class PostgresStore:
    """Records in a PostgreSQL database shared by every IVR worker."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            need = "pip install 'psycopg[binary]'"
            raise IvrError(f"--records postgresql://...: psycopg is not installed ({need})") from None
        self._psycopg = psycopg
        self.name = _redact(url)
        try:
            self._db = postgres_connect(url, 10)
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(20261125)")  # one worker creates the schema
                for statement in filter(str.strip, SCHEMA.split(";")):
                    self._db.execute(statement)
                rows = self._db.execute("SELECT version FROM schema_version").fetchall()
                if not rows:
                    self._db.execute("INSERT INTO schema_version (version) VALUES (%s)", [SCHEMA_VERSION])
        except psycopg.Error as e:
            raise IvrError(f"{self.name}: cannot open the call-records store ({_first_line(e)})") from None

    def write(self, sql: str, params: Sequence[Any]) -> None:
        self.write_many([(sql, params)])

    def write_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        try:
            with self._db.transaction():
                for sql, params in statements:
                    self._db.execute(sql.replace("?", "%s"), list(params))
        except self._psycopg.Error as e:
            raise IvrError(f"{self.name}: cannot write the call-records store ({_first_line(e)})") from None

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            cursor = self._db.execute(sql.replace("?", "%s"), list(params))
            names = [d.name for d in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except self._psycopg.Error as e:
            raise IvrError(f"{self.name}: cannot read the call-records store ({_first_line(e)})") from None

    def probe(self) -> None:
        self.write("UPDATE schema_version SET version = version", [])

    def close(self) -> None:
        self._db.close()


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__


def _redact(url: str) -> str:
    """A database URL as shown in messages: no password."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, userinfo = head.partition("//")
    return f"{scheme}//{userinfo.split(':', 1)[0]}:***@{tail}"


class Writes:
    """The SQL of each records operation, idempotent so a journal can be replayed over a partial write."""

    @staticmethod
    def open_call(call_id: str, s: CallStart) -> tuple[str, list[Any]]:
        return (
            "INSERT INTO calls (id, started_at, caller_number, flow, channel, worker, status, recording) "
            "VALUES (?, ?, ?, ?, ?, ?, 'in_progress', ?) ON CONFLICT (id) DO NOTHING",
            [call_id, iso(s.started_at), cut(s.caller_number), cut(s.flow), s.channel, cut(s.worker), cut(s.recording)],
        )

    @staticmethod
    def add_callback(cb_id: str, call_id: str, cb: CallbackRequest, created: datetime) -> tuple[str, list[Any]]:
        return (
            "INSERT INTO callbacks (id, call_id, created_at, caller_number, name, reason, rule, at_s, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open') ON CONFLICT (id) DO NOTHING",
            [cb_id, call_id, iso(created), cut(cb.caller_number), cut(cb.name), cut(cb.reason), cb.rule, cb.at_s],
        )

    @staticmethod
    def add_ticket(t_id: str, call_id: str, t: TicketRequest, created: datetime) -> tuple[str, list[Any]]:
        fields = {k: cut(v) for k, v in t.fields.items()}
        return (
            "INSERT INTO tickets (id, call_id, created_at, kind, department, fields, rule, urgency, at_s, status, "
            "notify_state, notify_attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 'pending', 0) "
            "ON CONFLICT (id) DO NOTHING",
            [t_id, call_id, iso(created), cut(t.kind), cut(t.department), as_json(fields), t.rule, t.urgency, t.at_s],
        )

    @staticmethod
    def close_call(call_id: str, e: CallEnd) -> tuple[str, list[Any]]:
        return (
            "UPDATE calls SET ended_at = ?, status = 'complete', ended_by = ?, end_rule = ?, duration_s = ?, "
            "prompts = ?, hearing = ?, transcript = ?, timeline = ? WHERE id = ?",
            [
                iso(e.ended_at),
                e.ended_by,
                e.end_rule,
                e.duration_s,
                as_json(e.prompts),
                as_json(e.hearing),
                as_json([cut(t) for t in e.transcript]),
                as_json(e.timeline),
                call_id,
            ],
        )


def dump(op: str, *args: Any) -> dict[str, Any]:
    """A records operation as a journal entry."""

    def plain(a: Any) -> Any:
        if isinstance(a, datetime):
            return {"datetime": iso(a)}
        if hasattr(a, "__dataclass_fields__"):
            return {type(a).__name__: {k: plain(v) for k, v in asdict(a).items()}}
        return a

    return {"op": op, "args": [plain(a) for a in args]}


def load(entry: dict[str, Any]) -> tuple[str, list[Any]]:
    """A journal entry back into an operation and its arguments."""
    kinds = {c.__name__: c for c in (CallStart, CallEnd, CallbackRequest, TicketRequest)}

    def rich(a: Any) -> Any:
        if isinstance(a, dict) and len(a) == 1:
            ((key, value),) = a.items()
            if key == "datetime":
                return datetime.fromisoformat(value)
            if key in kinds:
                fields = {k: rich(v) for k, v in value.items()}
                return kinds[key](**fields)
        return a

    return entry["op"], [rich(a) for a in entry["args"]]
