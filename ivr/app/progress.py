"""Progress bars on a terminal only: fitted to its width, wide characters counted; nothing in a log."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

from ivr.app.printing import pad, width


class Progress:
    """`update(done, total, label)` redraws one line on a terminal; elsewhere it stays silent."""

    def __init__(self, title: str, stream: TextIO | None = None) -> None:
        self.title = title
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self._drawn = False

    def update(self, done: int, total: int, label: str = "") -> None:
        if not self.live or total <= 0:
            return
        columns = shutil.get_terminal_size((80, 24)).columns - 1
        counts = f" {done}/{total} "
        bar_width = max(10, min(30, columns // 3))
        filled = bar_width * done // total
        line = f"{self.title} [{'#' * filled}{'.' * (bar_width - filled)}]{counts}"
        room = columns - width(line)
        shown = ""
        for c in label:
            if width(shown + c) > room:
                break
            shown += c
        self.stream.write("\r" + pad(line + shown, columns))
        self.stream.flush()
        self._drawn = True

    def done(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class Working:
    """`with Working("loading the Vosk model"):` one status line on a terminal, with the time it took."""

    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self.what = what
        self.stream = stream or sys.stderr

    def __enter__(self) -> Working:
        from ivr.clock import stopwatch

        self.elapsed = stopwatch()
        if self.stream.isatty():
            self.stream.write(f"ivr: {self.what} …")
            self.stream.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stream.isatty():
            self.stream.write(f"\rivr: {self.what}: {self.elapsed():.1f} s\n")
            self.stream.flush()
