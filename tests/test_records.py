"""Call records on SQLite and on a real PostgreSQL: one schema, the same behaviour, records that survive faults."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from postgres import cluster

from ivr.clock import run_process, wait_process
from ivr.errors import IvrError
from ivr.records import Unavailable, open_records, open_store
from ivr.records.durable import DurableRecords
from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest
from ivr.records.notify import LogNotifier, WebhookNotifier, deliver, notifier
from ivr.records.store import MAX_FIELD, SqliteStore, Store


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "records.sqlite3")
    base: str = request.getfixturevalue("postgres_url")
    store = open_store(base)  # a clean slate per test: the same database, emptied
    store.write_many([(f"DELETE FROM {t}", []) for t in ("tickets", "callbacks", "calls")])
    store.close()
    return base


def start(number: str | None = "13800138000") -> CallStart:
    return CallStart(datetime(2026, 11, 25, 8, 0, tzinfo=UTC), number, "hotline", "replay", "test:1")


def end(by: str = "caller") -> CallEnd:
    prompts = [{"prompt": "greeting", "rule": "ANS-2"}]
    return CallEnd(datetime(2026, 11, 25, 8, 1, tzinfo=UTC), by, "CLOSE-1", 61.5, prompts, ["clear"], ["您好"], [])


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


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small filesystem of our own (root can write through chmod, not through a read-only mount)."""
    where.mkdir()
    assert run_process(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], 30).returncode == 0
    try:
        yield where
    finally:
        run_process(["umount", "-l", str(where)], 30)


def remount(where: Path, mode: str) -> None:
    assert run_process(["mount", "-o", f"remount,{mode}", str(where)], 30).returncode == 0


@pytest.mark.rules("HEAR-2")
def test_a_read_only_store_never_cuts_the_call_and_the_journal_catches_up(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "8m") as disk:
        path = disk / "records.sqlite3"
        open_records(str(path), disk, print, "test:1").close()
        remount(disk, "ro")
        warnings: list[str] = []
        journal = tmp_path / "journal"
        records = DurableRecords(open_store_or_unavailable(path), journal, warnings.append, "test:1")
        records.start()
        assert len(warnings) == 1 and "the store cannot be written" in warnings[0]  # reported at start-up
        call = records.open_call(start())
        records.add_callback(call, CallbackRequest("13800138000", "张伟", "caller too quiet", "HEAR-2", 20.0))
        records.close_call(call, end("ivr"))
        assert len(warnings) == 1  # the failure was said once, at start-up; the writes went quietly to the journal
        assert [e["op"] for e in records.journal.entries()] == ["open_call", "add_callback", "close_call"]
        remount(disk, "rw")
        again = DurableRecords(open_store(str(path)), journal, warnings.append, "test:1")
        again.start()
        assert "replayed 3 journaled write(s)" in warnings[-1]
        assert again.store.read("SELECT id, status FROM calls") == [{"id": call, "status": "complete"}]
        assert again.store.read("SELECT call_id FROM callbacks") == [{"call_id": call}]
        assert not records.journal


def open_store_or_unavailable(path: Path) -> Store:
    try:
        return open_store(str(path))
    except IvrError as e:
        return Unavailable(str(path), str(e))


def test_a_full_disk_during_a_call_is_one_line_and_nothing_is_lost(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        path = disk / "records.sqlite3"
        warnings: list[str] = []
        records = open_records(str(path), tmp_path, warnings.append, "test:1")
        call = records.open_call(start())
        filler = disk / "filler"
        with filler.open("wb") as f:
            try:
                while True:
                    f.write(b"x" * 65536)
                    f.flush()
            except OSError:
                pass
        big = end()
        big = CallEnd(
            big.ended_at,
            big.ended_by,
            big.end_rule,
            big.duration_s,
            timeline=[{"t": i, "event": "x" * 100} for i in range(20000)],
        )
        records.close_call(call, big)
        assert len(warnings) == 1 and "kept in the journal" in warnings[0]
        assert [e["op"] for e in records.journal.entries()] == ["close_call"]  # on another disk than the full one
        filler.unlink()
        records.add_ticket(call, TicketRequest("repair", "网络维护部", {}, "REP-1", 3, 50.0))  # the store is back
        (row,) = records.store.read("SELECT status FROM calls")
        assert row["status"] == "complete" and len(records.store.read("SELECT id FROM tickets")) == 1


def test_a_lock_held_by_another_process_is_waited_out_then_journaled(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    warnings: list[str] = []
    records = open_records(str(path), tmp_path, warnings.append, "test:1")
    records.store._db.close()  # reopen with a short lock wait, as a busy deployment would configure it
    records.store = SqliteStore(path, lock_wait_s=0.5)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        call = records.open_call(start())
        assert "database is locked" in warnings[0] and [e["op"] for e in records.journal.entries()] == ["open_call"]
    finally:
        holder.kill()
        wait_process(holder, 10)
    records.close_call(call, end())
    assert records.store.read("SELECT status FROM calls") == [{"status": "complete"}] and not records.journal


HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read() if False else __import__("signal").pause()
"""


WRITER = """
import signal, sys
from datetime import UTC, datetime
from ivr.records import open_records
from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest
url, stop = sys.argv[1], int(sys.argv[2])
records = open_records(url, __import__("pathlib").Path(sys.argv[3]), print)
now = datetime.now(UTC)
steps = [
    lambda: records.open_call(CallStart(now, "13800138000", "hotline", "sip", records.worker)),
    lambda: records.add_callback(call, CallbackRequest("13800138000", "张伟", "noisy line", "HEAR-3", 9.0)),
    lambda: records.add_ticket(call, TicketRequest("repair", "网络维护部", {}, "REP-1", 3, 9.5)),
    lambda: records.close_call(call, CallEnd(now, "ivr", "HEAR-3", 15.0)),
]
call = None
for i, step in enumerate(steps[:stop]):
    result = step()
    call = result if i == 0 else call
print("ready", flush=True)
signal.pause()
"""


@pytest.mark.parametrize("stop", [1, 2, 3, 4])
def test_a_process_killed_between_writes_never_leaves_a_call_back_without_its_call(
    url: str, tmp_path: Path, stop: int
) -> None:
    """SIGKILL at every event boundary: a complete row, or a row the next start reports as unfinished."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(stop), str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    writer.kill()
    wait_process(writer, 10)
    warnings: list[str] = []
    after = open_records(url, tmp_path, warnings.append)
    calls = after.store.read("SELECT id, status FROM calls")
    orphans = after.store.read("SELECT b.id FROM callbacks b LEFT JOIN calls c ON c.id = b.call_id WHERE c.id IS NULL")
    assert orphans == [] and len(calls) == 1
    if stop == 4:
        assert calls[0]["status"] == "complete" and warnings == []
    else:
        assert calls[0]["status"] == "unfinished"
        assert warnings == [f"records: 1 call(s) were left unfinished by a previous run: {calls[0]['id']}"]
    assert len(after.store.read("SELECT id FROM callbacks")) == (1 if stop >= 2 else 0)


class Department(BaseHTTPRequestHandler):
    """A department's webhook: refuses while `down`, records what it was sent otherwise."""

    down = True
    got: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Department.down:
            self.send_response(503)
        else:
            Department.got.append(body)
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.rules("REP-1")
def test_a_failing_department_webhook_loses_no_ticket(url: str, tmp_path: Path) -> None:
    Department.down = True
    Department.got.clear()
    server = HTTPServer(("127.0.0.1", 0), Department)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        records = open_records(url, tmp_path, print, "test:1")
        call = records.open_call(start())
        ticket = records.add_ticket(
            call, TicketRequest("repair", "网络维护部", {"phone": "13900138000"}, "REP-1", 3, 5.0)
        )
        hook = notifier(f"http://127.0.0.1:{server.server_port}/tickets")
        assert isinstance(hook, WebhookNotifier)
        assert deliver(records.store, hook) == (0, 1)
        (row,) = records.store.read("SELECT notify_state, notify_attempts, notify_error FROM tickets")
        assert (row["notify_state"], row["notify_attempts"]) == ("pending", 1)
        assert row["notify_error"].startswith(f"{hook.url}: HTTP Error 503")
        Department.down = False
        assert deliver(records.store, hook) == (1, 0)
        assert [t["id"] for t in Department.got] == [ticket] and Department.got[0]["fields"] == {"phone": "13900138000"}
        assert Department.got[0]["caller_number"] == "13800138000" and Department.got[0]["department"] == "网络维护部"
        assert deliver(records.store, hook) == (0, 0)  # sent once, never again
    finally:
        server.shutdown()


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
