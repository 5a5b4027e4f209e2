"""Call records on SQLite and on a real PostgreSQL: one schema, the same behaviour (faults: tests/test_faults.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import end, start

from ivr.errors import IvrError
from ivr.records import open_records, open_store
from ivr.records.model import CallbackRequest, TicketRequest
from ivr.records.notify import LogNotifier, deliver, notifier
from ivr.records.store import MAX_FIELD


def test_a_call_row_exists_from_the_start_and_is_completed_at_the_end(url: str, tmp_path: Path) -> None:
    warnings: list[str] = []
    records = open_records(url, tmp_path, warnings.append, "test:1")
    call = records.open_call(start())
    rows = records.store.read("SELECT * FROM calls")
    assert [(r["id"], r["status"], r["caller_number"], r["started_at"]) for r in rows] == [
        (call, "in_progress", "13800138000", "2026-11-25T08:00:00+00:00")
    ]
    cb = records.add_callback(call, CallbackRequest("13800138000", "张伟", "noisy line", "HEAR-3", 30.0))
    ticket = records.add_ticket(call, TicketRequest("repair", "网络维护部", {"phone": "13900138000"}, "REP-1", 3, 50.0))
    assert records.store.read("SELECT call_id FROM callbacks WHERE id = ?", [cb]) == [{"call_id": call}]
    records.close_call(call, end())
    (row,) = records.store.read("SELECT * FROM calls")
    assert (row["status"], row["ended_by"], row["end_rule"], row["duration_s"]) == (
        "complete",
        "caller",
        "CLOSE-1",
        61.5,
    )
    assert json.loads(row["transcript"]) == ["您好"] and json.loads(row["hearing"]) == ["clear"]
    (t,) = records.store.read("SELECT * FROM tickets")
    assert (t["id"], t["department"], json.loads(t["fields"]), t["notify_state"]) == (
        ticket,
        "网络维护部",
        {"phone": "13900138000"},
        "pending",
    )
    assert warnings == []


def test_unknown_numbers_are_kept_as_given_and_only_a_withheld_one_is_empty(url: str, tmp_path: Path) -> None:
    records = open_records(url, tmp_path, print, "test:1")
    given = records.open_call(start("+8612345678"))
    withheld = records.open_call(start(None))
    numbers = {r["id"]: r["caller_number"] for r in records.store.read("SELECT id, caller_number FROM calls")}
    assert numbers == {given: "+8612345678", withheld: None}


def test_long_values_are_cut_by_policy_never_refused(url: str, tmp_path: Path) -> None:
    records = open_records(url, tmp_path, print, "test:1")
    call = records.open_call(start())
    records.add_callback(call, CallbackRequest("13800138000", "张" * 20000, "r", "HEAR-2", 1.0))
    (row,) = records.store.read("SELECT name FROM callbacks")
    assert len(row["name"]) == MAX_FIELD and row["name"].endswith("…")


def test_a_bad_records_url_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(IvrError, match=r"--records: 'mysql://x' is not a SQLite file"):
        open_store("mysql://x")


def test_records_from_an_older_ivr_are_named_not_an_sql_error(tmp_path: Path) -> None:
    """A file an early prototype wrote (calls without `worker`, no schema version) once failed at every call."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, timeline TEXT NOT NULL)")
    with pytest.raises(IvrError, match=r"old.sqlite3: call records from an older IVR \(no calls\.caller_number, "):
        open_store(str(path))


def test_the_log_notifier_appends_one_line_per_ticket(url: str, tmp_path: Path) -> None:
    records = open_records(url, tmp_path, print, "test:1")
    call = records.open_call(start())
    records.add_ticket(call, TicketRequest("callback", "技术支持部", {"question": "几点上班"}, "CONS-1", 1, 5.0))
    log = tmp_path / "dept" / "tickets.jsonl"
    assert deliver(records.store, LogNotifier(log)) == (1, 0)
    (line,) = log.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["fields"] == {"question": "几点上班"}
    with pytest.raises(IvrError, match="--notify: 'ftp://x' is not log:///path/to/file or an http"):
        notifier("ftp://x")
