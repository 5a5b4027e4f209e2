"""`ivr serve`: the engine behind the SIP endpoint. Each answered call is an engine call on its own media clock.

What could block the media loop runs off it: new prompt words are rendered by a worker thread (the call
waits a frame or two before it speaks them), and the recogniser decodes on a worker thread (its words
arrive a little after the turn ends). Fixed prompts are rendered before the first call.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import queue
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from ivr import paths
from ivr.app import wiring
from ivr.app.printing import emit, server_say
from ivr.clock import stopwatch
from ivr.engine.call import Call, Caller
from ivr.engine.ports import PromptAudio, Recognizer, RecognizerFactory, Transcript
from ivr.engine.session import CallSetup
from ivr.engine.timeline import Event
from ivr.errors import IvrError
from ivr.frames import Samples
from ivr.records.durable import DurableRecords
from ivr.sip.host import IncomingCall
from ivr.sip.settings import ServeSettings, parse_address, parse_ports


class OffLoopPrompts:
    """Prompt audio for a live loop: cached words at once, new words rendered on a worker thread meanwhile."""

    def __init__(self, store: Any, fixed: list[str]) -> None:
        self.store = store
        self.ready: dict[tuple[str, str | None], PromptAudio] = {(text, None): store.audio(text) for text in fixed}
        self.pending: dict[tuple[str, str | None], Future[PromptAudio]] = {}
        self.worker = _background_thread("prompts")

    def audio(self, text: str, recording: str | None = None) -> PromptAudio | None:
        key = (text, recording)
        if key in self.ready:
            return self.ready[key]
        if key not in self.pending:
            self.pending[key] = self.worker.submit(self.store.audio, text, recording)
        future = self.pending[key]
        if not future.done():
            return None
        del self.pending[key]
        self.ready[key] = future.result()
        return self.ready[key]


class OffLoopRecognizer:
    """One call's recogniser fed from the loop and decoded on the process's recogniser thread, in order.

    Even making it happens there: a Vosk recogniser takes ~70 ms to build, which on the loop stalled
    every other call's media at each call's start."""

    def __init__(self, model: RecognizerFactory, worker: ThreadPoolExecutor) -> None:
        self.worker = worker
        self.inner: Future[Recognizer] = worker.submit(model.new_call)
        self.batch: list[Samples] = []
        self.results: queue.SimpleQueue[Transcript] = queue.SimpleQueue()

    def _later(self, work: Callable[[Recognizer], None]) -> None:
        # one worker thread, first in first out: the recogniser is built before any work on it runs
        self.worker.submit(lambda: work(self.inner.result()))

    def accept(self, frame: Samples) -> None:
        self.batch.append(frame)
        if len(self.batch) >= 10:
            self._flush()

    def _flush(self) -> None:
        if self.batch:  # one call into the decoder for the lot: the thread holds the GIL as little as it can
            audio = np.concatenate(self.batch)
            self._later(lambda r: r.accept(audio))
            self.batch = []

    def end_utterance(self) -> None:
        self._flush()

        def finish(r: Recognizer) -> None:
            r.end_utterance()
            if (words := r.poll()) is not None:
                self.results.put(words)

        self._later(finish)

    def poll(self) -> Transcript | None:
        try:
            return self.results.get_nowait()
        except queue.Empty:
            return None

    def hint(self, phrases: Sequence[str] | None) -> None:
        self._later(lambda r: r.hint(phrases))


class OffLoopModel:
    def __init__(self, model: RecognizerFactory) -> None:
        self.model = model
        self.worker = _background_thread("recogniser")

    def new_call(self) -> OffLoopRecognizer:
        return OffLoopRecognizer(self.model, self.worker)


class EngineLine:
    """An engine call as the SIP server drives it."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self._closed = False

    def step(self, frame: Samples) -> Samples:
        if not self.call.ended:
            return self.call.step(frame)
        out = self.call.drain()
        if self.call.player.current is None:
            self._close()
        return out

    def dtmf(self, digit: str) -> None:
        if not self.call.ended:
            self.call.dtmf(digit)

    def end(self, reason: str) -> None:
        self.call.end(reason)
        self._close()

    @property
    def hung_up(self) -> bool:
        """The IVR hung up and its last frame is out; the call's record is completed then."""
        if self.call.hung_up:
            self._close()
        return self.call.hung_up

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self.call.close_record()


class EngineHost:
    """Answers each SIP call with an engine call of the flow."""

    def __init__(self, setup: CallSetup, lookup: Callable[[str | None], Caller], as_json: bool) -> None:
        self.setup = setup
        self.lookup = lookup
        self.as_json = as_json
        self.calls = 0

    def answer(self, incoming: IncomingCall) -> EngineLine:
        self.calls += 1
        tag = f"{self.calls:05d}"
        call = self.setup.new_call(
            self.lookup(incoming.caller_number), incoming.rings, sinks=[_sink(tag, self.as_json)]
        )
        call.start()
        return EngineLine(call)


def _background_thread(name: str) -> ThreadPoolExecutor:
    """A worker thread the kernel schedules after the media loop (nice 10): when the CPU is short, words and
    records come late, never the caller's audio or the 5 s waits."""
    return ThreadPoolExecutor(1, thread_name_prefix=name, initializer=_lower_priority)


def _media_priority(nice: int) -> None:
    """The media loop's own thread (Linux nices threads one by one); the worker threads keep theirs."""
    if nice == 0:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except PermissionError:
        raise IvrError(f"--media-nice {nice}: not permitted (below 0 needs root or CAP_SYS_NICE)") from None


def _lower_priority() -> None:
    with contextlib.suppress(OSError):  # not permitted: the thread keeps the process's priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def _sink(tag: str, as_json: bool) -> Callable[[Event], None]:
    if as_json:
        import json

        return lambda e: emit(json.dumps({"call": tag, **e.as_dict()}, ensure_ascii=False), sys.stdout)
    return lambda e: emit(f"[{tag}] {e.text()}", sys.stdout)


class GcPauses:
    """How long Python's garbage collector held the media loop, per generation (logged at exit, like the ticker)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.worst = [0.0, 0.0, 0.0]
        self._since: Callable[[], float] | None = None
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._since = stopwatch()
        elif self._since is not None:
            g = info["generation"]
            self.count[g] += 1
            self.worst[g] = max(self.worst[g], self._since())

    def summary(self) -> str:
        pairs = enumerate(zip(self.count, self.worst, strict=True))
        return "garbage collections: " + ", ".join(f"gen{g} {n} (worst {w * 1000:.1f} ms)" for g, (n, w) in pairs)


def warm_up(setup: CallSetup) -> None:
    """A throw-away second of silence through every layer, so the first caller never waits for lazy set-up."""
    from ivr.frames import SILENCE

    call = replace(setup, records=None, sinks=[]).new_call(Caller(None))
    call.start()
    for _ in range(50):
        call.step(SILENCE)
    call.end("warm-up")


def serve(args: argparse.Namespace) -> int:
    from ivr.adapters.directory import load_directory
    from ivr.app.flows import fixed_texts
    from ivr.sip.server import serve as run

    host, port = parse_address(args.sip)
    first, last = parse_ports(args.rtp_ports)
    settings = ServeSettings(
        host, port, first, last, args.max_calls, args.queue, args.answer_after, args.ring_period, args.media_timeout
    )
    problems = settings.problems()
    if problems:
        raise IvrError(problems[0])
    if not -20 <= args.media_nice <= 19:
        raise IvrError("--media-nice: -20 to 19")
    opts = wiring.Options(args.flow, args.model, args.vad, args.directory, args.records, None, args.notify)
    setup = wiring.setup(opts, [], "sip")
    directory = load_directory(opts.directory or paths.callers_file())
    store = setup.prompts
    fixed = fixed_texts(setup.flow, [(c.surname or "", c.title or "") for c in directory.values()])
    store.build(fixed)  # type: ignore[attr-defined]
    live = replace(
        setup,
        prompts=OffLoopPrompts(store, fixed),
        recognizers=OffLoopModel(setup.recognizers) if setup.recognizers is not None else None,
    )
    records = setup.records
    writer = _background_thread("records")
    if isinstance(records, DurableRecords):
        records.write_behind(writer)

    def lookup(number: str | None) -> Caller:
        return directory.get(number or "") or Caller(number)

    warm_up(setup)
    gc.collect()
    gc.freeze()  # the models, prompts and flow are never freed: full collections need not walk them mid-tick
    engine = EngineHost(live, lookup, args.json)
    _media_priority(args.media_nice)
    pauses = GcPauses()
    status = run(engine, settings, server_say)
    server_say(pauses.summary())
    writer.shutdown(wait=True)  # every record written before the notifier reads the tickets
    if isinstance(records, DurableRecords):
        wiring.notify_tickets(records, opts)
        records.close()
    return status
