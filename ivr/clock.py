"""The one clock: every timer in the engine reads it; nothing else touches wall time."""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:  # asyncio costs 40 ms to import: only `ivr serve` needs it; the others ~15 ms together
    import asyncio
    import queue
    import socket
    import sqlite3
    import subprocess

T = TypeVar("T")

RATE = 16_000
"""Engine sample rate: time is counted in samples at this rate, so it never drifts."""


class Clock(Protocol):
    """What the engine reads: the current call time and one-shot timers."""

    def now(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle: ...


@dataclass(order=True)
class TimerHandle:
    """A pending timer; `cancel()` makes it a no-op."""

    deadline: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class SampleClock:
    """Call time counted in audio samples, advanced by whoever moves the audio.

    Under replay the engine advances it by each frame it consumes (a 30 s call runs as fast as
    the detectors); live, the sound card's sample counter advances it, so timers follow the
    device's own clock. Deadlines are whole samples: a 5 s wait is exactly 80 000 samples.
    """

    def __init__(self) -> None:
        self._samples = 0
        self._timers: list[TimerHandle] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self._samples / RATE

    @property
    def samples(self) -> int:
        return self._samples

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        handle = TimerHandle(self._samples + round(delay * RATE), next(self._seq), callback)
        heapq.heappush(self._timers, handle)
        return handle

    def advance(self, samples: int) -> None:
        """Move time forward; timers are fired separately by `run_due`."""
        self._samples += samples

    def run_due(self) -> None:
        """Fire, in deadline order, every timer whose deadline has passed."""
        while self._timers and self._timers[0].deadline <= self._samples:
            handle = heapq.heappop(self._timers)
            if not handle.cancelled:
                handle.callback()

    def next_deadline(self) -> float | None:
        """When the next live timer is due, or None."""
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0].deadline / RATE if self._timers else None


def wall_time() -> datetime:
    """Calendar time for records (when a call happened), never for timing."""
    return datetime.now(UTC)


def pause(seconds: float) -> None:
    """Wait for another process (a softphone starting up), never to time a call."""
    time.sleep(seconds)


def stopwatch() -> Callable[[], float]:
    """A wall-clock stopwatch for benchmarks and progress displays only."""
    start = time.perf_counter()
    return lambda: time.perf_counter() - start


# -- waiting on other processes and threads (never to time a call) ---------------------------


def run_process(args: list[str], seconds: float, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """subprocess.run bounded by `seconds` of wall time."""
    import subprocess

    return subprocess.run(args, timeout=seconds, **kwargs)


def wait_process(proc: subprocess.Popen[Any], seconds: float) -> int:
    """Wait at most `seconds` for a child process to exit; raises subprocess.TimeoutExpired."""
    return proc.wait(timeout=seconds)


def communicate(proc: subprocess.Popen[Any], seconds: float, data: Any = None) -> tuple[Any, Any]:
    """Popen.communicate bounded by `seconds` of wall time."""
    return proc.communicate(data, timeout=seconds)


def get_within(q: queue.Queue[T], seconds: float) -> T:
    """The next item of a thread queue, waiting at most `seconds`; raises queue.Empty."""
    return q.get(timeout=seconds)


def socket_deadline(sock: socket.socket, seconds: float | None) -> None:
    """Bound a blocking socket's operations to `seconds` (None: block)."""
    sock.settimeout(seconds)


def sqlite_connect(path: Path, lock_wait_s: float) -> sqlite3.Connection:
    """An autocommit SQLite connection whose lock waits are bounded by `lock_wait_s` of wall time.

    Usable from a writer thread other than the opener's; callers serialise their own use."""
    import sqlite3

    return sqlite3.connect(path, timeout=lock_wait_s, isolation_level=None, check_same_thread=False)


def postgres_connect(url: str, connect_wait_s: int) -> Any:
    """An autocommit psycopg connection whose connecting is bounded by `connect_wait_s` of wall time."""
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=connect_wait_s)


def http_post(url: str, body: bytes, seconds: float, headers: dict[str, str]) -> int:
    """POST `body` to `url`, waiting at most `seconds`; the HTTP status."""
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=seconds) as response:
        return int(response.status)


# -- the asyncio loop's clock: SIP timers and the media ticker of `ivr serve` -------------------


def loop_now(loop: asyncio.AbstractEventLoop) -> float:
    """The loop's monotonic time, in seconds."""
    return loop.time()


def later(loop: asyncio.AbstractEventLoop, seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
    """A SIP timer: `callback` on the loop after `seconds` of wall time."""
    return loop.call_later(seconds, callback)


class Ticker:
    """Calls `tick()` every `period` on an absolute schedule: a late wake-up runs the missed ticks at once,
    so the media sent stays in step with wall time and RTP timestamps never drift."""

    MAX_CATCH_UP = 25

    def __init__(self, loop: asyncio.AbstractEventLoop, period: float, tick: Callable[[], None]) -> None:
        self.loop = loop
        self.period = period
        self.tick = tick
        self.late = 0
        self.ticks = 0
        self.slow = 0
        self.worst = 0.0
        self._next = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._next = self.loop.time() + self.period
        self._handle = self.loop.call_at(self._next, self._run)

    def _run(self) -> None:
        now = self.loop.time()
        lateness = now - self._next
        self.worst = max(self.worst, lateness)
        self.slow += lateness > 0.01
        runs = 0
        while self._next <= now and runs < self.MAX_CATCH_UP:
            self.ticks += 1
            self.tick()
            self._next += self.period
            runs += 1
        if self._next <= now:  # hopelessly behind (a stalled machine): skip ahead rather than burst
            self.late += 1
            self._next = now + self.period
        self._handle = self.loop.call_at(self._next, self._run)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()


def run_loop(main: Coroutine[Any, Any, int]) -> int:
    """Run the coroutine on uvloop (1 ms timers, half the CPU of the stdlib loop for RTP), or asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.run(main)
    return uvloop.run(main)


# -- CPU time, for cost figures in benchmarks (hearing) -------------------------------------------


def cpu_time() -> float:
    """Seconds of CPU this process has used (all its threads), to measure cost per core, not speed."""
    return time.process_time()
