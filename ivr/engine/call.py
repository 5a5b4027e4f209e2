"""One call: the caller's frames in, the IVR's frames out, the flow's machine driven by what the listener hears.

`step()` is called once per 20 ms frame by whoever moves the audio (a replay loop, a sound card, the
SIP media ticker): the player gives the IVR's next frame, the listener takes the caller's, the call's
clock moves on one frame, then the prompt that ended, the listening events and the timers that came
due go to the machine, in that order. Entering a state runs its actions (`enter_state`), compiled into
the machine from the flow. The call knows only ports: prompt audio, the listener, the clock, the
timeline, the records store and the language.

LSN-1 lives here: the caller's speech cuts a playing prompt (barge-in) unless the state says
`bargein: false`, and a prompt that comes due while the caller speaks waits until they stop — except a
prompt that must not be cut, whose state has decided the caller cannot be heard (HEAR-2/HEAR-3).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from ivr.clock import RATE, SampleClock, TimerHandle, wall_time
from ivr.engine.conversation import Collector, Conversation, Guide
from ivr.engine.language import Language
from ivr.engine.listener import Listener, SpeechStarted, SpeechStopped, Utterance, Words
from ivr.engine.player import Playing, PromptPlayer
from ivr.engine.ports import PromptSource
from ivr.engine.timeline import Timeline
from ivr.flowlang.compile import CALLER_HUNG_UP, LINE_ENDED_EVENT, compile_flow
from ivr.flowlang.model import Flow, StateSpec
from ivr.frames import FRAME, Samples
from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest
from ivr.records.port import CallRecords

MAX_RINGS = 5
"""ANS-1: answer within 5 rings; later than that, apologise first."""

LINE_ENDS = {
    "caller": ("caller", "CLOSE-1"),
    "dead_media": ("dead_media", None),
    "shutdown": ("shutdown", None),
    "device": ("device", None),
}
"""How the line can end a call: who/what ended it, and the rule it falls under."""


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as the line and the directory say."""

    number: str | None = None
    name: str | None = None
    surname: str | None = None
    title: str | None = None
    vip: bool = False


@dataclass(frozen=True)
class CallResult:
    ended_by: str
    rule: str | None
    duration: float
    final_state: str
    record_id: str | None


class Call:
    """Runs one call of a flow, frame by frame, until the IVR or the line ends it."""

    def __init__(
        self,
        flow: Flow,
        prompts: PromptSource,
        listener: Listener,
        timeline: Timeline,
        clock: SampleClock,
        language: Language,
        records: CallRecords | None = None,
        caller: Caller | None = None,
        rings: int = 0,
        channel: str = "replay",
        worker: str = "",
        recording: str | None = None,
        compiled: type | None = None,
    ) -> None:
        self.flow = flow
        self.compiled = compiled
        self.prompts = prompts
        self.listener = listener
        self.timeline = timeline
        self.clock = clock
        self.records = records
        self.caller = caller or Caller()
        self.rings = rings
        self.channel = channel
        self.worker = worker
        self.recording = recording
        self.conv = Conversation(
            flow, language, surname=self.caller.surname, title=self.caller.title, vip=self.caller.vip
        )
        self.player = PromptPlayer()
        self.machine: Any = None
        self.state: StateSpec | None = None
        self.state_id = ""
        self.record_id: str | None = None
        self._queue: deque[str] = deque()
        self._wait: TimerHandle | None = None
        self._timer: TimerHandle | None = None
        self._deferred = False
        self._pending: tuple[str, str] | None = None
        self._dialog: Collector | Guide | None = None
        self._ended: tuple[str, str | None] | None = None
        self._last_activity = 0.0
        self._generation = 0

    # -- what the flow's guards read ------------------------------------------------------

    @property
    def known(self) -> bool:
        return self.conv.known

    @property
    def vip(self) -> bool:
        return self.conv.vip

    @property
    def ended(self) -> bool:
        return self._ended is not None

    @property
    def talking(self) -> bool:
        """The IVR is saying something or has words queued to say."""
        return self.player.current is not None or bool(self._queue) or self._pending is not None

    @property
    def hung_up(self) -> bool:
        """The IVR has hung up and its last frame is out: the line may close (send the BYE)."""
        return self._ended is not None and self.player.current is None

    # -- the call's life --------------------------------------------------------------------

    def start(self) -> None:
        """Answer: the call's record exists from here, then the flow starts (ANS-1: late if > 5 rings)."""
        late = self.rings > MAX_RINGS
        self.timeline.emit("answered", flow=self.flow.name, rings=self.rings, late=late)
        if self.records is not None:
            c = self.caller
            start = CallStart(wall_time(), c.number, self.flow.name, self.channel, self.worker, self.recording)
            self.record_id = self.records.open_call(start)
        self.machine = (self.compiled or compile_flow(self.flow))(model=self, state_field="machine_state")
        self._send("answered", late=late)

    def step(self, frame: Samples) -> Samples:
        """One 20 ms frame: the caller's in, the IVR's out."""
        out, ended = self.player.next_frame()
        if self._ended is not None:
            return out
        heard = self.listener.feed(frame)
        self.clock.advance(FRAME)
        if ended is not None:
            self._prompt_ended(ended)
        for h in heard:
            if self._ended is None:
                self._hear(h)
        self.clock.run_due()
        self._start_pending()
        self._check_limits()
        return out

    def dtmf(self, digit: str) -> None:
        self._activity()
        self.timeline.emit("dtmf", digit=digit)
        self._send("dtmf", digit=digit)

    def end(self, reason: str) -> None:
        """The line ended the call: the caller hung up (CLOSE-1), its media died, or the IVR is shutting down."""
        if self._ended is not None:
            return
        p = self.player.current
        if p is not None:
            self.player.current = None
            self._queue.clear()
            self.timeline.emit("prompt_finished", **self._prompt_fields(p), interrupted=True, played=round(p.played, 3))
        for h in self.listener.finish():
            if isinstance(h, Words):
                self.timeline.emit("transcript", confidence=h.transcript.confidence, text=h.transcript.text)
        by, rule = LINE_ENDS.get(reason, (reason, None))
        self._finish(by, rule)
        if self.machine is not None:
            self.machine.send(LINE_ENDED_EVENT)
            self.state_id = CALLER_HUNG_UP
            self.timeline.emit("state", state=CALLER_HUNG_UP)

    def drain(self) -> Samples:
        """After the IVR hung up, the rest of what it was saying (a cut prompt fades out: ANS-3)."""
        out, ended = self.player.next_frame()
        self.clock.advance(FRAME)
        if ended is not None:
            played = round(min(ended.played, len(ended.samples) / RATE), 3)
            self.timeline.emit("prompt_finished", **self._prompt_fields(ended), interrupted=True, played=played)
        return out

    def result(self) -> CallResult:
        assert self._ended is not None
        by, rule = self._ended
        return CallResult(by, rule, self.clock.now(), self.state_id, self.record_id)

    # -- entering a state: the engine's action vocabulary -----------------------------------

    def enter_state(self, state: StateSpec) -> None:
        """Run the state's actions (called by the machine's compiled enter action)."""
        self._leave_state()
        self._generation += 1
        self.state = state
        self.state_id = state.id
        self._activity()
        self.timeline.emit("state", state=state.id)
        if self.listener.recognizer is not None:
            self.listener.recognizer.hint(state.hints or None)
        if state.callback:
            self._register_callback(state)
        if state.ticket:
            self._open_ticket(state)
        if state.hangup:
            self._finish("ivr", state.rule)
            return
        self._say_all(*state.say)
        if state.collect:
            self._dialog = Collector(state.collect, self.conv, self._say_all, self.timeline.emit, self._send)
            self._dialog.start()
        elif state.guide:
            self._dialog = Guide(state.guide, self.conv, self._say_all, self.timeline.emit, self._send)
            self._dialog.start()
        elif state.answer:
            self._answer(state.answer)
        elif state.next_problem:
            self._next_problem()
        elif self.player.current is None and not self._queue and self._pending is None:
            self._prompts_done()

    def _leave_state(self) -> None:
        self._cancel(self._wait)
        self._cancel(self._timer)
        self._wait = self._timer = None
        self._dialog = None
        self._deferred = False
        self._pending = None
        self._queue.clear()
        if self.player.current is not None:
            self.player.cut()

    def _say_all(self, *prompt_ids: str) -> None:
        """Queue prompts to be said one after the other (a dialog's re-ask restarts the queue)."""
        self._cancel(self._wait)
        self._cancel(self._timer)
        self._wait = self._timer = None
        self._queue.extend(prompt_ids)
        if self.player.current is None and self._pending is None:
            self._next_prompt()

    def _next_prompt(self) -> None:
        if not self._queue:
            return
        if self.listener.speaking and self.state is not None and self.state.bargein:
            if not self._deferred:  # LSN-1: never start talking over the caller
                self._deferred = True
                self.timeline.emit("prompt_deferred", prompt=self._queue[0], rule="LSN-1")
            return
        self._deferred = False
        prompt_id = self._queue.popleft()
        text = self.flow.text(prompt_id, known=self.conv.known, **self.conv.variables())
        self._pending = (prompt_id, text)
        self._start_pending()

    def _start_pending(self) -> None:
        """Start the prompt whose audio is ready (live calls render new words off the media loop)."""
        if self._pending is None or self._ended is not None:
            return
        prompt_id, text = self._pending
        spec = self.flow.prompts[prompt_id]
        audio = self.prompts.audio(text, str(spec.recording) if spec.recording else None)
        if audio is None:
            return
        self._pending = None
        bargein = self.state.bargein if self.state is not None else True
        self.player.start(Playing(prompt_id, text, spec.rule, audio.samples, bargein=bargein, tag=self._generation))
        self.timeline.emit(
            "prompt_started", prompt=prompt_id, rule=spec.rule, duration=round(audio.duration, 3), text=text
        )

    def _prompts_done(self) -> None:
        """The state's prompts are all said: its silence wait and its timer start now."""
        state = self.state
        if state is None:
            return
        self._arm_wait()
        if state.timer is not None:
            self._timer = self.clock.call_later(state.timer, self._timer_expired(state.timer))
        self._send("prompt_finished")

    def _timer_expired(self, seconds: float) -> Any:
        def expire() -> None:
            self._timer = None
            self.timeline.emit("timer", state=self.state_id, waited=seconds)
            self._send("timer")

        return expire

    def _arm_wait(self) -> None:
        self._cancel(self._wait)
        self._wait = None
        state = self.state
        wait = state.wait if state is not None else None
        if wait is None or self.listener.speaking or self.player.busy or self._queue or self._pending:
            return
        since = self.clock.now()

        def expire() -> None:
            self._wait = None
            self.timeline.emit("no_input", state=self.state_id, waited=round(self.clock.now() - since, 3))
            if self._dialog is not None:
                self._dialog.silence()
            else:
                self._send("no_input")

        self._wait = self.clock.call_later(wait, expire)

    @staticmethod
    def _cancel(handle: TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()

    def _register_callback(self, state: StateSpec) -> None:
        rule = self._rule_of(state)
        number = self.caller.number
        if number is None:
            self.timeline.emit("callback_skipped", reason=state.callback, rule=rule, why="caller number withheld")
            return
        callback_id = None
        if self.records is not None and self.record_id is not None:
            request = CallbackRequest(number, self.caller.name, state.callback or "", rule, self.clock.now())
            callback_id = self.records.add_callback(self.record_id, request)
        self.timeline.emit(
            "callback_registered", callback_id=callback_id, caller_id=number, reason=state.callback, rule=rule
        )

    def _open_ticket(self, state: StateSpec) -> None:
        spec = state.ticket
        assert spec is not None
        fields = {f: self.conv.slots[f].value for f in spec.fields if f in self.conv.slots}
        if self.conv.current is not None:
            fields["problem"] = self.conv.current.label
        if self.conv.fault is not None:
            fields["fault"] = self.conv.fault.id
        if self.caller.number is not None:
            fields.setdefault("caller_number", self.caller.number)
        department = self.conv.department(spec.department)
        rule = self._rule_of(state)
        urgency = self.conv.current.urgency if self.conv.current else 0
        ticket_id = None
        if self.records is not None and self.record_id is not None:
            request = TicketRequest(spec.kind, department, fields, rule, urgency, self.clock.now())
            ticket_id = self.records.add_ticket(self.record_id, request)
        self.timeline.emit(
            "ticket_opened", ticket_id=ticket_id, kind=spec.kind, department=department, fields=fields, rule=rule
        )

    def _rule_of(self, state: StateSpec) -> str:
        said = [self.flow.prompts[p].rule for p in state.say]
        return state.rule or (said[0] if said else "")

    def _answer(self, slot: str) -> None:
        """CONS-1: the knowledge file's answer to the caller's question, if it has one."""
        value = self.conv.slots.get(slot)
        entries = {a.id: a.keywords for a in self.flow.knowledge.answers}
        found = self.conv.language.find(value.value, entries) if value else []
        if found:
            best = max(found, key=lambda m: m.score)
            self.conv.answer = next(a.text for a in self.flow.knowledge.answers if a.id == best.id)
            self.timeline.emit("answer_found", answer=best.id, rule="CONS-1")
            self._send("found")
        else:
            self.timeline.emit("answer_not_found", rule="CONS-1")
            self._send("not_found")

    def _next_problem(self) -> None:
        intent = self.conv.next_problem()
        if intent is None:
            self._send("no_more")
            return
        self.timeline.emit("problem", intent=intent.id, label=intent.label, urgency=intent.urgency, rule="ASK-1")
        self.conv.fault = None
        self._send("intent", intent=intent.id)

    # -- what the listener heard ------------------------------------------------------------

    def _hear(self, h: SpeechStarted | SpeechStopped | Utterance | Words) -> None:
        if isinstance(h, SpeechStarted):
            self._activity()
            self._cancel(self._wait)
            self._wait = None
            self.timeline.emit("speech_started", onset=round(h.onset, 3))
            p = self.player.current
            if p is not None and p.bargein:  # LSN-1: barge-in
                self.player.cut()
                self._queue.clear()
            self._send("speech_started")
        elif isinstance(h, SpeechStopped):
            self._activity()
            self.timeline.emit("speech_stopped", onset=round(h.onset, 3))
            self._send("speech_stopped")
            if self._queue and self.player.current is None and self._pending is None:
                self._next_prompt()
            else:
                self._arm_wait()
        elif isinstance(h, Utterance):
            fields = h.measurement.fields() | ({"ongoing": True} if h.ongoing else {})
            self.timeline.emit("utterance", hearing=h.hearing, **fields)
            self._send("utterance", hearing=h.hearing)
        else:
            self._heard_words(h)

    def _heard_words(self, h: Words) -> None:
        t = h.transcript
        self.timeline.emit("transcript", confidence=t.confidence, text=t.text)
        if self._dialog is not None:
            self._dialog.heard(t)
            return
        if self.flow.intents and self._moves_on("problems") and self.conv.add_problems(t.text):
            self.timeline.emit("problems", found=[i.id for i in self.conv.agenda], rule="ASK-1")
            self._send("problems", several=len(self.conv.agenda) > 1)
            return
        self._send("transcript", text=t.text, confidence=t.confidence)

    def _moves_on(self, event: str) -> bool:
        return self.state is not None and any(t.event == event for t in self.state.transitions)

    def _prompt_ended(self, p: Playing) -> None:
        self._activity()
        fields = self._prompt_fields(p)
        if p.cutting:
            fields.update(interrupted=True, played=round(min(p.played, len(p.samples) / RATE), 3))
        self.timeline.emit("prompt_finished", **fields)
        if p.tag != self._generation:  # a prompt of a state already left
            return
        if self._queue:
            self._next_prompt()
        else:
            self._prompts_done()

    @staticmethod
    def _prompt_fields(p: Playing) -> dict[str, Any]:
        return {"prompt": p.prompt, "rule": p.rule, "text": p.text}

    # -- limits and the end ----------------------------------------------------------------

    def _activity(self) -> None:
        self._last_activity = self.clock.now()

    def _check_limits(self) -> None:
        """No call holds a line forever: a maximum length, and a backstop for a flow left with nothing to do."""
        if self._ended is not None:
            return
        now = self.clock.now()
        limits = self.flow.limits
        if now >= limits.max_call_s:
            self.timeline.emit("limit", limit="max_call_s", seconds=limits.max_call_s)
            before = self.state_id
            self._send("max_duration")
            if self._ended is None and self.state_id == before:
                self._finish("max_duration", None)
        elif (
            now - self._last_activity >= limits.no_activity_s
            and self.player.current is None
            and not self.listener.speaking
            and self._wait is None
            and self._timer is None
        ):
            self.timeline.emit("limit", limit="no_activity_s", seconds=limits.no_activity_s)
            self._finish("no_activity", None)

    def _finish(self, by: str, rule: str | None) -> None:
        if self._ended is not None:
            return
        self._ended = (by, rule)
        fields: dict[str, Any] = {"by": by}
        if rule:
            fields["rule"] = rule
        self.timeline.emit("hangup", **fields)
        self._cancel(self._wait)
        self._cancel(self._timer)
        if self.player.current is not None:
            self.player.cut()

    def close_record(self) -> None:
        """Complete the call's record (one transaction): how it ended, what was said and heard."""
        if self.records is None or self.record_id is None or self._ended is None:
            return
        events = [e.as_dict() for e in self.timeline.events]
        by, rule = self._ended
        end = CallEnd(
            ended_at=wall_time(),
            ended_by=by,
            end_rule=rule,
            duration_s=round(self.clock.now(), 3),
            prompts=[{"prompt": e["prompt"], "rule": e["rule"]} for e in events if e["event"] == "prompt_started"],
            hearing=[e["hearing"] for e in events if e["event"] == "utterance"],
            transcript=[e["text"] for e in events if e["event"] == "transcript"],
            timeline=events,
        )
        self.records.close_call(self.record_id, end)

    def _send(self, event: str, **kwargs: Any) -> None:
        if self._ended is None and self.machine is not None:
            self.machine.send(event, **kwargs)
