"""Printing for people and for programs: timelines as text or JSON lines, tables that line up in wide characters."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from typing import TextIO

from ivr.engine.timeline import Event


def timeline_sink(as_json: bool) -> Callable[[Event], None]:
    """Where a call's events go as they happen: one text line, or one JSON object, per event."""
    if as_json:
        return lambda e: print(e.json(), flush=True)
    return lambda e: print(e.text(), flush=True)


def width(text: str) -> int:
    """Display columns of the text: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table whose columns line up on a terminal, Chinese names included."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(width(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def json_line(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def say(message: str) -> None:
    """A one-line status message for the person at the terminal (stderr, so stdout stays data)."""
    print(f"ivr: {message}", file=sys.stderr, flush=True)


def silence(stream: TextIO) -> None:
    """Point a stream whose reader has gone (a closed pipe) at /dev/null, so later writes cannot fail."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def emit(line: str, stream: TextIO) -> None:
    """Print a line for a server: a reader that has gone (a closed pipe) silences the stream, never the server."""
    try:
        print(line, file=stream, flush=True)
    except BrokenPipeError:
        silence(stream)


def server_say(message: str) -> None:
    """`say` for a server: its stderr being closed never stops it serving or stopping."""
    emit(f"ivr: {message}", sys.stderr)
