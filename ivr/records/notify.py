"""Department notifiers for tickets: a log file or an HTTP webhook, chosen by URL; failures retried from the store.

A ticket's notification state lives in the store (pending / sent, attempts, last error), so a notifier
that fails loses nothing: `deliver()` tries every pending ticket again, after each new ticket and on
`ivr tickets notify`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from ivr.clock import http_post, wall_time
from ivr.errors import IvrError
from ivr.records.store import Store, iso

WEBHOOK_WAIT_S = 5.0
MAX_ATTEMPTS_SHOWN = 1000


class Notifier(Protocol):
    name: str

    def send(self, ticket: dict[str, Any]) -> None: ...


class LogNotifier:
    """One JSON line per ticket appended to a file (fsynced): a department's queue read by its own tools."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"log://{path}"

    def send(self, ticket: dict[str, Any]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, (json.dumps(ticket, ensure_ascii=False) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise IvrError(f"{self.path}: {e.strerror}") from None


class WebhookNotifier:
    """POST each ticket as JSON to a department's URL; any answer but 2xx is a failure to retry."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = url

    def send(self, ticket: dict[str, Any]) -> None:
        body = json.dumps(ticket, ensure_ascii=False).encode()
        try:
            status = http_post(self.url, body, WEBHOOK_WAIT_S, {"Content-Type": "application/json; charset=utf-8"})
        except OSError as e:
            raise IvrError(f"{self.url}: {e}") from None
        if not 200 <= status < 300:
            raise IvrError(f"{self.url}: HTTP {status}")


def notifier(url: str) -> Notifier:
    if url.startswith("log://"):
        return LogNotifier(Path(url.removeprefix("log://")))
    if url.startswith(("http://", "https://")):
        return WebhookNotifier(url)
    raise IvrError(f"--notify: {url[:60]!r} is not log:///path/to/file or an http(s):// webhook")


def deliver(store: Store, to: Notifier) -> tuple[int, int]:
    """Send every ticket still pending; (sent, failed). Each outcome is one transaction in the store."""
    pending = store.read(
        "SELECT t.id, t.call_id, t.created_at, t.kind, t.department, t.fields, t.rule, t.urgency, c.caller_number "
        "FROM tickets t JOIN calls c ON c.id = t.call_id WHERE t.notify_state = 'pending' ORDER BY t.created_at, t.id"
    )
    sent = failed = 0
    for row in pending:
        ticket = {**row, "fields": json.loads(row["fields"])}
        try:
            to.send(ticket)
        except IvrError as e:
            failed += 1
            store.write(
                "UPDATE tickets SET notify_attempts = notify_attempts + 1, notify_error = ? WHERE id = ?",
                [str(e)[:300], row["id"]],
            )
            continue
        sent += 1
        store.write(
            "UPDATE tickets SET notify_state = 'sent', notify_attempts = notify_attempts + 1, notify_error = NULL, "
            "notified_at = ? WHERE id = ?",
            [iso(wall_time()), row["id"]],
        )
    return sent, failed
