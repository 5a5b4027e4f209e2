"""Call records, call-backs and tickets: the records port, its stores (SQLite, PostgreSQL) and journal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ivr.errors import IvrError
from ivr.records.durable import DurableRecords
from ivr.records.store import PostgresStore, SqliteStore, Store

NONE = "none"


def open_store(url: str) -> Store:
    """A store by URL: a SQLite file path, sqlite:///path, or postgresql://..."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    if "://" in url and not url.startswith("sqlite:///"):
        raise IvrError(f"--records: {url[:60]!r} is not a SQLite file, sqlite:///path, postgresql://... or none")
    return SqliteStore(Path(url.removeprefix("sqlite:///")))


def journal_dir(url: str, default: Path) -> Path:
    """Where a store's journal lives: beside a SQLite file, else in the default records folder."""
    if url.startswith(("postgresql://", "postgres://")):
        return default / "journal"
    return Path(url.removeprefix("sqlite:///")).parent / "journal"


def open_records(url: str, default_dir: Path, warn: Callable[[str], None], worker: str | None = None) -> DurableRecords:
    """The records port for a URL: store + journal, checked and caught up at start-up."""
    try:
        store: Store = open_store(url)
    except IvrError as e:
        if "://" in url and not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise
        store = Unavailable(url, str(e))
    records = DurableRecords(store, journal_dir(url, default_dir), warn, worker)
    records.start()
    return records


class Unavailable:
    """A store that could not be opened: every write fails, so the journal keeps it until the store is back."""

    def __init__(self, name: str, why: str) -> None:
        self.name = name
        self.why = why

    def write(self, sql: str, params: object) -> None:
        raise IvrError(self.why)

    def write_many(self, statements: object) -> None:
        raise IvrError(self.why)

    def read(self, sql: str, params: object = ()) -> list[dict[str, object]]:
        raise IvrError(self.why)

    def probe(self) -> None:
        raise IvrError(self.why)

    def close(self) -> None:
        pass
