"""`ivr chat`: a flow author types what the caller says and reads what the IVR says.

The same engine, with the caller's words spoken into the line (so timers, barge-in and the timeline
behave as on a real line) and the simulated clock: while the IVR talks, the caller listens; when the IVR
waits for the caller, the author is asked. An empty line lets the call run on in silence until the IVR
says something or the call ends; `/silence S` keeps silent S seconds; `/hangup` (or end of input) hangs up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from ivr.adapters.scripted_caller import Script, ScriptedLine, ScriptedWords, Step
from ivr.app import wiring
from ivr.app.script import caller_voice
from ivr.engine.call import Call
from ivr.engine.session import run_line
from ivr.engine.timeline import Event
from ivr.errors import IvrError
from ivr.frames import FRAME, SILENCE, Samples

PROMPT = "caller> "
SHOWN = ("hangup", "ticket_opened", "callback_registered", "slot_confirmed", "problems", "no_input", "timer")


def parse(line: str) -> Step | None:
    """A typed line: the caller's words, an empty line (let the call run on), or a command; None hangs up."""
    text = line.strip()
    if text in ("/hangup", "/quit", "/exit"):
        return None
    if text.startswith("/silence"):
        try:
            seconds = float(text.split(maxsplit=1)[1])
        except (IndexError, ValueError):
            raise IvrError("/silence takes seconds, e.g. /silence 6") from None
        if not 0 < seconds <= 600:
            raise IvrError("/silence takes 0 to 600 seconds")
        return Step("silence", seconds=seconds)
    if text.startswith("/"):
        raise IvrError(f"unknown command {text.split()[0][:20]} (/silence S, /hangup)")
    if not text:
        return Step("silence", seconds=0.0)
    return Step("say", text=text[:200], after=0.0)


class ChatLine(ScriptedLine):
    """The caller's line, its next step typed when the IVR waits for the caller."""

    def __init__(self, ask: Callable[[], Step | None], waiting: Callable[[], bool]) -> None:
        super().__init__(Script(Path("<chat>"), ()), caller_voice(), waiting)
        self.ask = ask
        self.waiting = waiting
        self.running_on = False

    def read(self) -> Samples | None:
        if self.idle_line:
            if self.running_on and not self.waiting():
                self.running_on = False  # the IVR said something: the caller's turn comes after it
            if self.running_on or not self.waiting():
                self.position += FRAME
                return SILENCE
            step = self.ask()
            if step is None:
                return None
            if step.kind == "silence" and step.seconds == 0:
                self.running_on = True
            else:
                self.add(step)
            return self.read()
        return super().read()


def chat(args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty()
    opts = wiring.Options(args.flow, "none", args.vad, args.directory, args.records, args.caller_id, args.notify)

    def show(e: Event) -> None:
        if args.json:
            print(e.json(), file=out, flush=True)
        elif e.event == "prompt_started":
            print(f"{e.t:8.2f}  IVR: {e.fields['text']}  ({e.fields['rule']})", file=out, flush=True)
        elif e.event in SHOWN:
            detail = " ".join(f"{k}={v}" for k, v in e.fields.items())
            print(f"{e.t:8.2f}  [{e.event} {detail}]", file=out, flush=True)

    def ask() -> Step | None:
        while True:
            if interactive:
                print(PROMPT, end="", file=out, flush=True)
            typed = stdin.readline()
            if not typed:
                return None
            try:
                return parse(typed)
            except IvrError as e:
                print(f"ivr: {e}", file=sys.stderr)

    calls: list[Call] = []
    line = ChatLine(ask, lambda: _waiting(calls[0]))
    setup = replace(wiring.setup(opts, [show], "chat"), recognizers=ScriptedWords(line))
    calls.append(setup.new_call(wiring.caller(opts)))
    run_line(calls[0], line, _Discard())
    wiring.notify_tickets(setup.records, opts)
    return 0


def _waiting(call: Call) -> bool:
    return not call.talking and not call.listener.speaking and not call.ended


class _Discard:
    def write(self, frame: Samples) -> None:
        pass
