"""The IVR behind a softphone: baresip carries the SIP call, the IVR answers, talks and hangs up.

The line's audio device paces everything: while no call is up the IVR keeps reading the device,
and the rings are counted on that sample clock too.
"""

from __future__ import annotations

import queue
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ivr.adapters.baresip import BaresipControl
from ivr.adapters.directory import Caller
from ivr.adapters.soundcard import DeviceLine
from ivr.clock import SampleClock, TimerHandle
from ivr.engine.call import CallResult
from ivr.engine.session import CallSetup, run_call
from ivr.engine.timeline import Event
from ivr.errors import IvrError
from ivr.frames import FRAME, Samples

RING_ON_S = 1.0
"""A ring sounds for 1 s of each ring period; the IVR answers at the end of the ring it picks."""


@dataclass(frozen=True)
class Answering:
    """When to pick up: after this many rings (ANS-1 allows 5) of this period (China: 1 s on, 4 s off)."""

    after_rings: int = 1
    ring_period_s: float = 5.0

    def delay(self) -> float:
        return (self.after_rings - 1) * self.ring_period_s + RING_ON_S


class _CallAudio:
    """The line's input for one call: None once baresip says the call is closed, or on Ctrl-C."""

    def __init__(self, line: DeviceLine, events: queue.Queue[dict[str, Any]]) -> None:
        self.line = line
        self.events = events
        self.closed_by_caller = False

    def read(self) -> Samples | None:
        while not self.closed_by_caller:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            if event.get("type") in ("CALL_CLOSED", "CTRL_CLOSED"):
                self.closed_by_caller = True
        return None if self.closed_by_caller else self.line.read()


class Softphone:
    """Serves the calls one baresip line receives."""

    def __init__(
        self,
        setup: CallSetup,
        line: DeviceLine,
        ctrl: BaresipControl,
        answering: Answering,
        lookup: Callable[[str | None], Caller | None],
        sinks: list[Callable[[Event], None]],
    ) -> None:
        self.setup = setup
        self.line = line
        self.ctrl = ctrl
        self.answering = answering
        self.lookup = lookup
        self.sinks = sinks
        self.stopping = False

    def _say(self, event: str, **fields: Any) -> None:
        for sink in self.sinks:
            sink(Event(0.0, event, fields))

    def stop(self) -> None:
        """Ctrl-C: end the call in progress cleanly (its record is written) and serve no more."""
        self.stopping = True
        self.line.hang_up()

    def serve(self, calls: int | None = None) -> list[CallResult]:
        idle = SampleClock()
        results: list[CallResult] = []
        answer: TimerHandle | None = None
        rings: list[TimerHandle] = []
        ring_count = 0
        ringing = False
        peer: str | None = None

        def ring(n: int) -> None:
            nonlocal ring_count
            ring_count = n
            self._say("ring", ring=n, peer=peer)

        while not self.stopping and (calls is None or len(results) < calls):
            if self.line.read() is None:
                break
            idle.advance(FRAME)
            idle.run_due()
            try:
                event = self.ctrl.events.get_nowait()
            except queue.Empty:
                continue
            kind = event.get("type")
            if kind == "CALL_INCOMING":
                peer = str(event.get("peeruri", ""))
                ring_count, ringing = 0, True
                period = self.answering.ring_period_s
                rings = [
                    idle.call_later(i * period, lambda n=i + 1: ring(n)) for i in range(self.answering.after_rings)
                ]
                answer = idle.call_later(self.answering.delay(), lambda: self.ctrl.send("accept"))
            elif kind == "CALL_ESTABLISHED":
                ringing = False
                results.append(self._run(peer, ring_count))
            elif kind == "CALL_CLOSED" and ringing:  # the caller gave up before the IVR answered
                ringing = False
                for handle in [*rings, *([answer] if answer else [])]:
                    handle.cancel()
                self._say("missed", peer=peer, rings=ring_count)
            elif kind == "CTRL_CLOSED":
                raise IvrError("baresip closed its control connection (see its log)")
        return results

    def _run(self, peer: str | None, rings: int) -> CallResult:
        self.line.drain()
        audio = _CallAudio(self.line, self.ctrl.events)
        caller = self.lookup(_number(peer))
        result, _ = run_call(self.setup, audio, self.line, self.sinks, caller=caller, rings=rings)
        if result.ended_by == "ivr" or self.stopping:
            self.line.play_out()  # what is queued plays before the BYE (ANS-3: no cut-off)
            self.ctrl.send("hangup")
        return result


def _number(peer: str | None) -> str | None:
    """The caller's number from a SIP URI's user part, if it is one."""
    match = re.match(r"(?:sips?:)?\+?([0-9]{3,20})@", peer or "")
    return match.group(1) if match else None
