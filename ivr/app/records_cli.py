"""What a supervisor runs: `ivr calls`, `ivr callbacks`, `ivr tickets`, `ivr records sync`.

Times are stored in UTC and shown in local time; tables line up with Chinese names (wide characters
count two columns); `--json` gives one object per line, `--csv` a CSV with a header.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ivr import paths
from ivr.app.printing import json_line, say, table
from ivr.clock import wall_time
from ivr.errors import IvrError
from ivr.records import open_store
from ivr.records.durable import DurableRecords
from ivr.records.notify import deliver, notifier
from ivr.records.store import Store, iso

_SINCE = re.compile(r"^(\d+)\s*(m|min|h|d)$")


def store_url(option: str | None) -> str:
    """--records, else $IVR_RECORDS, else the default SQLite file (which must exist for reading)."""
    import os

    url = option or os.environ.get("IVR_RECORDS") or str(paths.records_file())
    if url == "none":
        raise IvrError("--records: 'none' keeps no records, so there is nothing to show")
    if "://" not in url and not Path(url).is_file():
        raise IvrError(f"--records: {url}: no call-records store yet (it is made by the first call)")
    return url


def _store(args: argparse.Namespace) -> Store:
    return open_store(store_url(args.records))


def since(text: str | None) -> str | None:
    """--since 30m | 2h | 1d | 2026-11-25 [10:00]: the UTC time it means, as stored."""
    if text is None:
        return None
    if m := _SINCE.match(text.strip()):
        n, unit = int(m.group(1)), m.group(2)
        delta = (
            timedelta(minutes=n) if unit in ("m", "min") else timedelta(hours=n) if unit == "h" else timedelta(days=n)
        )
        return iso(wall_time() - delta)
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise IvrError(f"--since: {text[:40]!r} is not 30m, 2h, 1d or a date like 2026-11-25") from None
    return iso(local.astimezone() if local.tzinfo is None else local)


def local(value: str | None) -> str:
    """A stored UTC time in the local time zone, to the minute."""
    if not value:
        return "-"
    return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def age(value: str | None) -> str:
    if not value:
        return "-"
    seconds = (wall_time() - datetime.fromisoformat(value)).total_seconds()
    for limit, unit, size in ((3600, "min", 60), (86400, "h", 3600), (float("inf"), "d", 86400)):
        if seconds < limit:
            return f"{max(0, int(seconds // size))} {unit}"
    return "-"


def _emit(
    rows: list[dict[str, Any]], args: argparse.Namespace, header: list[str], cells: list[list[Any]], empty: str
) -> None:
    if not rows and not getattr(args, "json", False) and not getattr(args, "csv", False):
        print(empty)
    elif getattr(args, "json", False):
        for row in rows:
            print(json_line(row))
    elif getattr(args, "csv", False):
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(rows[0].keys() if rows else header)
        for row in rows:
            writer.writerow(row.values())
    else:
        print(table(header, cells))


def calls_list(args: argparse.Namespace) -> int:
    store = _store(args)
    after = since(args.since)
    rows = store.read(
        "SELECT c.id, c.started_at, c.ended_at, c.caller_number, c.flow, c.channel, c.status, c.ended_by, c.end_rule, "
        "c.duration_s, (SELECT COUNT(*) FROM tickets t WHERE t.call_id = c.id) AS tickets, "
        "(SELECT COUNT(*) FROM callbacks b WHERE b.call_id = c.id) AS callbacks FROM calls c "
        + ("WHERE c.started_at >= ? " if after else "")
        + "ORDER BY c.started_at, c.id",
        [after] if after else [],
    )
    cells = [
        [
            r["id"],
            local(r["started_at"]),
            r["caller_number"] or "withheld",
            r["flow"],
            f"{r['duration_s']:.1f} s" if r["duration_s"] is not None else "-",
            f"{r['ended_by'] or '-'}" + (f" ({r['end_rule']})" if r["end_rule"] else ""),
            r["tickets"],
            r["callbacks"],
            r["status"],
        ]
        for r in rows
    ]
    header = ["call", "started", "caller", "flow", "length", "ended by", "tickets", "call-backs", "status"]
    _emit(rows, args, header, cells, "no calls" + (f" since {args.since}" if args.since else ""))
    return 0


def calls_show(args: argparse.Namespace) -> int:
    store = _store(args)
    rows = store.read("SELECT * FROM calls WHERE id = ?", [args.id])
    if not rows:
        raise IvrError(f"no call {args.id[:40]!r} in {store.name} (ivr calls list shows them)")
    call = rows[0]
    for key in ("prompts", "hearing", "transcript", "timeline"):
        call[key] = json.loads(call[key]) if call[key] else []
    call["callbacks"] = store.read("SELECT * FROM callbacks WHERE call_id = ? ORDER BY created_at", [args.id])
    call["tickets"] = store.read("SELECT * FROM tickets WHERE call_id = ? ORDER BY created_at", [args.id])
    if args.json:
        print(json.dumps(call, ensure_ascii=False, indent=1, default=str))
        return 0
    print(table(["", ""], [
        ["call", call["id"]],
        ["started", local(call["started_at"])],
        ["ended", local(call["ended_at"])],
        ["caller", call["caller_number"] or "withheld"],
        ["flow", f"{call['flow']} ({call['channel']})"],
        ["ended by", f"{call['ended_by'] or '-'} {call['end_rule'] or ''}".strip()],
        ["status", call["status"]],
        ["recording", call["recording"] or "-"],
        ["prompts", ", ".join(f"{p['prompt']} ({p['rule']})" for p in call["prompts"]) or "-"],
        ["hearing", ", ".join(call["hearing"]) or "-"],
    ]))  # fmt: skip
    for text in call["transcript"]:
        print(f"  caller: {text}")
    for t in call["tickets"]:
        state = f"{t['status']}, notify {t['notify_state']}"
        print(f"  ticket {t['id']}: {t['kind']} for {t['department']} ({t['rule']}), {state}")
    for b in call["callbacks"]:
        print(f"  call-back {b['id']}: {b['caller_number']} {b['reason']} ({b['rule']}), {b['status']}")
    print("  timeline:")
    for e in call["timeline"]:
        detail = " ".join(f"{k}={v}" for k, v in e.items() if k not in ("t", "event"))
        print(f"    {e['t']:8.3f}  {e['event']:<16} {detail}"[:160])
    return 0


def callbacks(args: argparse.Namespace) -> int:
    if args.which == "done":
        return _done(args, "callbacks", "call-back")
    store = _store(args)
    where = {"open": "WHERE status = 'open' ", "all": ""}[args.which]
    rows = store.read(f"SELECT * FROM callbacks {where}ORDER BY created_at, id")
    cells = [
        [r["id"], local(r["created_at"]), age(r["created_at"]), r["caller_number"], r["name"] or "-", r["reason"],
         r["rule"], r["call_id"], r["status"]]
        for r in rows
    ]  # fmt: skip
    header = ["call-back", "asked", "age", "number", "name", "reason", "rule", "call", "status"]
    _emit(rows, args, header, cells, "no open call-backs" if args.which == "open" else "no call-backs")
    return 0


def tickets(args: argparse.Namespace) -> int:
    if args.which == "done":
        return _done(args, "tickets", "ticket")
    if args.which == "notify":
        return notify(args)
    store = _store(args)
    where = {"open": "WHERE status = 'open' ", "all": ""}[args.which]
    rows = store.read(f"SELECT * FROM tickets {where}ORDER BY created_at, id")
    for r in rows:
        r["fields"] = json.loads(r["fields"])
    cells = [
        [r["id"], local(r["created_at"]), age(r["created_at"]), r["kind"], r["department"], r["rule"],
         " ".join(f"{k}={v}" for k, v in r["fields"].items())[:50], r["status"], r["notify_state"]]
        for r in rows
    ]  # fmt: skip
    header = ["ticket", "opened", "age", "kind", "department", "rule", "fields", "status", "notified"]
    _emit(rows, args, header, cells, "no open tickets" if args.which == "open" else "no tickets")
    return 0


def _done(args: argparse.Namespace, kind: str, what: str) -> int:
    if not args.id:
        raise IvrError(f"ivr {kind} done: which {what}? (give its ID)")
    store = _store(args)
    rows = store.read(f"SELECT status FROM {kind} WHERE id = ?", [args.id])
    if not rows:
        raise IvrError(f"no {what} {args.id[:40]!r} in {store.name}")
    if rows[0]["status"] == "done":
        say(f"{what} {args.id} was already done")
        return 0
    store.write(f"UPDATE {kind} SET status = 'done', done_at = ? WHERE id = ?", [iso(wall_time()), args.id])
    say(f"{what} {args.id} done")
    return 0


def notify_url(option: str | None, records_url: str) -> str | None:
    """--notify, else $IVR_NOTIFY, else a log file beside a SQLite store; `none` sends nothing."""
    import os

    url = option or os.environ.get("IVR_NOTIFY")
    if url == "none":
        return None
    if url:
        return url
    if "://" in records_url and not records_url.startswith("sqlite:///"):
        return None
    return f"log://{Path(records_url.removeprefix('sqlite:///')).parent / 'tickets.jsonl'}"


def notify(args: argparse.Namespace) -> int:
    url = store_url(args.records)
    target = notify_url(args.notify, url)
    if target is None:
        raise IvrError("--notify: no notifier (give log:///path or an http(s):// webhook)")
    sent, failed = deliver(open_store(url), notifier(target))
    say(f"tickets notified: {sent} sent, {failed} failed (kept pending) via {target}")
    return 1 if failed else 0


def sync(args: argparse.Namespace) -> int:
    from ivr.records import journal_dir

    url = store_url(args.records)
    records = DurableRecords(open_store(url), journal_dir(url, paths.records_file().parent), say)
    replayed = records.sync() + records.adopt()
    left = records.mark_unfinished()
    say(f"records: {replayed} journaled write(s) replayed, {len(left)} call(s) marked unfinished")
    return 0
