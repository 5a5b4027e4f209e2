"""One call: audio frames in and out, speech detection, the flow's machine and its timers.

Each 20 ms frame: the player writes the IVR's next frame, the caller's frame is read, the
detector and recognizer look at it, the clock moves on by one frame, then the frame's events
go to the machine, and last the timers that came due fire. Entering a state runs its
actions from the engine's vocabulary: say a prompt, arm a no-input wait, hang up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from statemachine import State

from ivr.adapters.directory import Caller
from ivr.adapters.prompts import PromptStore
from ivr.adapters.recorder import CallRecorder
from ivr.adapters.records import Records
from ivr.clock import RATE, SampleClock, TimerHandle
from ivr.engine.player import SILENCE, Playing, PromptPlayer
from ivr.engine.ports import AudioIn, AudioOut, Recognizer, Transcript
from ivr.engine.timeline import Timeline
from ivr.flowlang.compile import CALLER_HANGUP_EVENT, compile_flow
from ivr.flowlang.flow import Flow, StateSpec
from ivr.frames import FRAME
from ivr.signal.hearing import UtteranceMeter
from ivr.signal.speech import SpeechDetector, SpeechEdge

MAX_RINGS = 5
"""ANS-1: answer within 5 rings; later than that, apologise first."""


@dataclass(frozen=True)
class CallResult:
    ended_by: str
    duration: float
    final_state: str


class Call:
    """Runs one call of a flow to its end: the IVR's hang-up or the caller's."""

    def __init__(
        self,
        flow: Flow,
        prompts: PromptStore,
        clock: SampleClock,
        audio_in: AudioIn,
        audio_out: AudioOut,
        detector: SpeechDetector,
        recognizer: Recognizer | None,
        timeline: Timeline,
        caller: Caller | None = None,
        records: Records | None = None,
        recorder: CallRecorder | None = None,
        rings: int = 0,
    ) -> None:
        self.flow = flow
        self.clock = clock
        self.audio_in = audio_in
        self.audio_out = audio_out
        self.detector = detector
        self.recognizer = recognizer
        self.timeline = timeline
        self.caller = caller
        self.call_vars = caller.call_vars() if caller else {}
        self.records = records
        self.recorder = recorder
        self.meter = UtteranceMeter()
        self.rings = rings
        self.player = PromptPlayer()
        self.audio = {
            pid: prompts.get(flow.text(pid, **self.call_vars), p.recording)
            for pid, p in flow.prompts.items()
            if caller is not None or not p.needs_caller
        }
        self._machine_class = compile_flow(flow)
        self._state: StateSpec | None = None
        self._state_id = ""
        self._wait: TimerHandle | None = None
        self._deferred: str | None = None
        self._ended_by: str | None = None

    # -- the engine's action vocabulary, run on entering a state ---------------------------

    def on_enter_state(self, state: State) -> None:
        """python-statemachine listener hook: run the entered state's actions."""
        spec = self.flow.states.get(state.id)
        self.timeline.emit("state", state=state.id)
        self._state = spec
        self._state_id = state.id
        if spec is None:  # the built-in caller-hung-up final state
            return
        if spec.callback:
            self._register_callback(spec)
        if spec.hangup:
            self._hang_up("ivr", spec.rule)
        elif spec.say:
            self._say(spec.say)
        else:
            self._arm_wait()

    def on_exit_state(self, state: State) -> None:
        self._cancel_wait()
        self._deferred = None
        if self.player.current is not None:
            self.player.cut()

    def _say(self, prompt_id: str) -> None:
        if self.detector.speaking:  # LSN-1: never start talking over the caller
            self._deferred = prompt_id
            self.timeline.emit("prompt_deferred", prompt=prompt_id, rule="LSN-1")
            return
        spec = self.flow.prompts[prompt_id]
        audio = self.audio[prompt_id]
        text = self.flow.text(prompt_id, **self.call_vars)
        self.player.start(Playing(prompt_id, text, spec.rule, audio.samples))
        self.timeline.emit("prompt_started", prompt=prompt_id, rule=spec.rule, duration=audio.duration, text=text)

    def _register_callback(self, state: StateSpec) -> None:
        rule = self.flow.prompts[state.say].rule if state.say else state.rule or ""
        if self.caller is None:
            self.timeline.emit("callback_skipped", reason=state.callback, rule=rule, why="caller unknown")
            return
        callback_id = None
        if self.records is not None:
            callback_id = self.records.add_callback(
                self.caller.number, self.caller.name, state.callback or "", rule, self.clock.now()
            )
        self.timeline.emit(
            "callback_registered",
            callback_id=callback_id,
            caller_id=self.caller.number,
            reason=state.callback,
            rule=rule,
        )

    def _arm_wait(self) -> None:
        self._cancel_wait()
        state = self._state
        if state is None or state.wait is None or self.detector.speaking or self.player.busy:
            return
        waited_from = self.clock.now()

        def expire() -> None:
            self._wait = None
            self.timeline.emit("no_input", state=state.id, waited=round(self.clock.now() - waited_from, 3))
            self._send("no_input")

        self._wait = self.clock.call_later(state.wait, expire)

    def _cancel_wait(self) -> None:
        if self._wait is not None:
            self._wait.cancel()
            self._wait = None

    def _hang_up(self, by: str, rule: str | None = None) -> None:
        if self._ended_by is None:
            self._ended_by = by
            fields: dict[str, Any] = {"by": by}
            if rule:
                fields["rule"] = rule
            self.timeline.emit("hangup", **fields)

    # -- the frame loop -------------------------------------------------------------------

    def run(self) -> CallResult:
        self.timeline.emit("answered", flow=self.flow.name, rings=self.rings)
        self.machine = self._machine_class(listeners=[self])
        self._send("answered", late=self.rings > MAX_RINGS)
        while self._ended_by is None:
            self._step()
        self._drain_player()
        return CallResult(self._ended_by, self.clock.now(), self._state_id)

    def _step(self) -> None:
        frame = self.audio_in.read()
        if frame is None:
            self._caller_hung_up()
            return
        out, ended = self.player.next_frame()
        self.audio_out.write(out)
        if self.recorder is not None:
            self.recorder.add(frame, out)
        edge = self.detector.process(frame)
        self.meter.add(frame, self.detector.speaking)
        heard = self.recognizer.accept(frame) if self.recognizer else None
        self.clock.advance(FRAME)
        if ended is not None:
            self._prompt_ended(ended)
        if edge is not None:
            self._speech_edge(edge)
        if heard is not None:
            self._heard(heard)
        self.clock.run_due()

    def _prompt_ended(self, p: Playing) -> None:
        fields: dict[str, Any] = {"prompt": p.prompt, "rule": p.rule}
        if p.cutting:
            fields.update(interrupted=True, played=round(min(p.played, len(p.samples) / RATE), 3))
        self.timeline.emit("prompt_finished", **fields, text=p.text)
        if self._state is not None and self._state.say == p.prompt:
            self._arm_wait()
            self._send("prompt_finished")

    def _speech_edge(self, edge: SpeechEdge) -> None:
        onset = round(edge.onset_frame * FRAME / RATE, 3)
        if edge.kind == "start":
            self.meter.start(edge.onset_frame)
            self._cancel_wait()
            self.timeline.emit("speech_started", onset=onset)
            if self.player.current is not None:  # LSN-1: barge-in
                self.player.cut()
            self._send("speech_started")
        else:
            self.timeline.emit("speech_stopped", onset=onset)
            self._send("speech_stopped")
            measured = self.meter.stop(edge.onset_frame)
            if measured is not None:
                hearing = self.flow.hearing.classify(measured)
                self.timeline.emit("utterance", hearing=hearing, **measured.fields())
                self._send("utterance", hearing=hearing)
            if self._deferred is not None:
                prompt, self._deferred = self._deferred, None
                self._say(prompt)
            else:
                self._arm_wait()

    def _heard(self, heard: Transcript) -> None:
        self.timeline.emit("transcript", confidence=heard.confidence, text=heard.text)
        self._send("transcript", text=heard.text, confidence=heard.confidence)

    def _caller_hung_up(self) -> None:
        if self.player.current is not None:
            p = self.player.current
            self.player.current = None
            self.timeline.emit(
                "prompt_finished",
                prompt=p.prompt,
                rule=p.rule,
                interrupted=True,
                played=round(p.played, 3),
                text=p.text,
            )
        if self.recognizer is not None and (heard := self.recognizer.finish()) is not None:
            self.timeline.emit("transcript", confidence=heard.confidence, text=heard.text)
        self._hang_up("caller", "CLOSE-1")
        self._send(CALLER_HANGUP_EVENT)

    def _drain_player(self) -> None:
        """After the IVR hangs up, let a prompt still playing fade out (ANS-3)."""
        if self.player.current is None:
            return
        self.player.cut()
        out, ended = self.player.next_frame()
        self.audio_out.write(out)
        if self.recorder is not None:
            self.recorder.add(SILENCE, out)
        self.clock.advance(FRAME)
        if ended is not None:
            self._prompt_ended(ended)

    def _send(self, event: str, **kwargs: Any) -> None:
        if self._ended_by is None or event == CALLER_HANGUP_EVENT:
            self.machine.send(event, caller=self.caller, **kwargs)
