"""Records that survive the store failing: a local journal takes what the store cannot, and gives it back later.

The call never sees the store fail. Each write goes to the store; if the store refuses (read-only file,
full disk, a lock held too long, the database down), the write is appended to an fsynced journal and one
line says so. The journal is replayed, in order and idempotently, before the next write, at start-up and
by `ivr records sync`. A process killed mid-call leaves its call row `in_progress`; the next start marks
such rows of dead processes `unfinished` and says so.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivr.clock import wall_time
from ivr.errors import IvrError
from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest
from ivr.records.store import Store, Writes, dump, load, new_id

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

Warn = Callable[[str], None]


def worker_id() -> str:
    """This process among the workers writing one store: host:pid."""
    return f"{os.uname().nodename}:{os.getpid()}"


FALLBACK = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "ivr" / "journal"
"""Where the journal goes when its own folder cannot be written (the store's disk is full or read-only)."""


class Journal:
    """An append-only JSON-lines file of records writes the store did not take; each line fsynced.

    It is written where the store lives if it can be, else in a fallback folder on another disk.
    """

    def __init__(self, path: Path, fallback: Path | None = None) -> None:
        self.path = path
        self.paths = [path] + ([fallback / path.name] if fallback is not None else [])

    def append(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        last: OSError | None = None
        for path in self.paths:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                return
            except OSError as e:
                last = e
        assert last is not None
        raise last

    def entries(self) -> list[dict[str, Any]]:
        """What the journal holds; a torn last line (a crash mid-append) is ignored."""
        out = []
        for path in self.paths:
            if not path.is_file():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out

    def clear(self) -> None:
        for path in self.paths:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def __bool__(self) -> bool:
        return any(p.is_file() and p.stat().st_size > 0 for p in self.paths)


class DurableRecords:
    """The records port over a store and a journal: writes never fail a call, and are never lost."""

    def __init__(self, store: Store, journal_dir: Path, warn: Warn, worker: str | None = None) -> None:
        self.store = store
        self.warn = warn
        self.worker = worker or worker_id()
        self.journal_dir = journal_dir
        self.journal = Journal(journal_dir / f"{self.worker.replace(':', '-').replace('/', '_')}.jsonl", FALLBACK)
        self._failing = False
        self._held: list[dict[str, Any]] = []
        """Writes neither the store nor the journal could take (a full disk): kept in memory, retried first."""
        self._behind: Executor | None = None

    # -- the port -----------------------------------------------------------------------

    def open_call(self, start: CallStart) -> str:
        call_id = new_id("c")
        self._put("open_call", call_id, start)
        return call_id

    def add_callback(self, call_id: str, cb: CallbackRequest) -> str:
        cb_id = new_id("b")
        self._put("add_callback", cb_id, call_id, cb, wall_time())
        return cb_id

    def add_ticket(self, call_id: str, ticket: TicketRequest) -> str:
        ticket_id = new_id("t")
        self._put("add_ticket", ticket_id, call_id, ticket, wall_time())
        return ticket_id

    def close_call(self, call_id: str, end: CallEnd) -> None:
        self._put("close_call", call_id, end)

    def write_behind(self, worker: Executor) -> None:
        """From now on the port's writes are queued to `worker` (one thread: in order) and return at once, IDs
        made here: a live media loop never waits for the store. Shut the worker down before `close`."""
        self._behind = worker

    def _put(self, op: str, *args: Any) -> None:
        if self._behind is None:
            self.write(op, *args)
        else:
            self._behind.submit(self.write, op, *args).add_done_callback(self._report)

    def _report(self, done: Future[None]) -> None:
        if (e := done.exception()) is not None:
            self.warn(f"records: a write failed unexpectedly: {e!r}")

    @property
    def healthy(self) -> bool:
        """The store takes writes and nothing waits in a journal or in memory."""
        return not self._failing and not self._held and not self.journal

    def close(self) -> None:
        if self._held:
            self.warn(f"records: {len(self._held)} write(s) could not be kept anywhere and are lost with this process")
        self.store.close()

    # -- start-up, sync ---------------------------------------------------------------------

    def check(self) -> bool:
        """Whether the store takes writes now; if not, one line says so and the journal will keep the records."""
        try:
            self.store.probe()
        except IvrError as e:
            where = self.journal.path
            self.warn(f"records: the store cannot be written ({e}); calls go on, records are kept in {where}")
            self._failing = True
            return False
        return True

    def sync(self) -> int:
        """Replay the journal (and writes held in memory) into the store; how many. Raises if the store refuses."""
        entries = self.journal.entries() + self._held
        if not entries:
            self.journal.clear()
            return 0
        statements = [_sql(*load(e)) for e in entries]
        self.store.write_many(statements)
        self.journal.clear()
        self._held = []
        if self._failing:
            self.warn(f"records: the store is back; {len(entries)} journaled write(s) replayed into {self.store.name}")
        self._failing = False
        return len(entries)

    def mark_unfinished(self) -> list[str]:
        """Calls left in progress by processes that are gone (this host): marked unfinished, their IDs returned."""
        host = self.worker.rsplit(":", 1)[0]
        rows = self.store.read("SELECT id, worker FROM calls WHERE status = 'in_progress'")
        dead = [r["id"] for r in rows if _gone(r["worker"], host, self.worker)]
        if dead:
            self.store.write_many([("UPDATE calls SET status = 'unfinished' WHERE id = ?", [i]) for i in dead])
        return dead

    def adopt(self) -> int:
        """Replay the journals of this host's processes that are gone (a worker killed while its store was down)."""
        host = self.worker.rsplit(":", 1)[0]
        replayed = 0
        for path in sorted({*self.journal_dir.glob("*.jsonl"), *FALLBACK.glob("*.jsonl")}):
            if path in self.journal.paths or not _gone(_worker_of(path), host, self.worker):
                continue
            orphan = Journal(path)
            entries = orphan.entries()
            self.store.write_many([_sql(*load(e)) for e in entries])
            orphan.clear()
            replayed += len(entries)
        return replayed

    def start(self) -> None:
        """At start-up: is the store writable, replay what journals hold, report calls a crash left behind."""
        if not self.check():
            return
        try:
            replayed = self.sync() + self.adopt()
            if replayed:
                self.warn(f"records: replayed {replayed} journaled write(s) into {self.store.name}")
            left = self.mark_unfinished()
        except IvrError as e:
            self.warn(f"records: {e}")
            return
        if left:
            shown = ", ".join(left[:5]) + (" …" if len(left) > 5 else "")
            self.warn(f"records: {len(left)} call(s) were left unfinished by a previous run: {shown}")

    # -- writing ----------------------------------------------------------------------------

    def write(self, op: str, *args: Any) -> None:
        """One records operation with its IDs already made: to the store, else kept until the store is back."""
        entry = dump(op, *args)
        try:
            if self.journal or self._held:
                self.sync()
            self.store.write_many([_sql(op, list(args))])
        except IvrError as e:
            if not self._failing:
                self.warn(f"records: {e}; kept in the journal {self.journal.path} until the store is back")
            self._failing = True
            self._keep(entry)

    def _keep(self, entry: dict[str, Any]) -> None:
        """Into the journal; if even that cannot be written (a full disk), into memory until it can."""
        if not self._held:
            try:
                self.journal.append(entry)
                return
            except OSError as e:
                self.warn(f"records: cannot write the journal either ({e.strerror}); holding the records in memory")
        self._held.append(entry)


def _sql(op: str, args: list[Any]) -> tuple[str, list[Any]]:
    build: Callable[..., tuple[str, list[Any]]] = getattr(Writes, op)
    return build(*args)


def _worker_of(journal: Path) -> str:
    """The worker (host:pid) a journal file belongs to: HOST-PID.jsonl."""
    host, _, pid = journal.stem.rpartition("-")
    return f"{host}:{pid}"


def _gone(worker: str, host: str, me: str) -> bool:
    """A worker (host:pid) of this host whose process no longer runs."""
    w_host, _, pid = worker.rpartition(":")
    if w_host != host or worker == me or not pid.isdigit():
        return False
    return not Path(f"/proc/{pid}").exists()
