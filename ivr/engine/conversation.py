"""What the call knows so far: slots, the caller's name, the agenda of problems; and the collect and guide dialogs.

A `Collector` runs one `collect:` state (VoiceXML's form field, simpler): ask, re-ask after silence and
after words it could not use (each re-ask a different wording, counted apart), read the value back and
confirm it (CONF-1), apologise at once for a misheard value the caller corrects (APOL-1), and after the
last re-ask give up rather than guess (UNSURE-1). A `Guide` walks the caller through a known fault's
steps (REP-1). Both speak through the call's `say` and end by sending the machine an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ivr.engine.language import Language, NotUnderstood, SlotValue
from ivr.engine.ports import Transcript
from ivr.flowlang.model import CollectSpec, Fault, Flow, GuideSpec, IntentSpec

Say = Callable[..., None]
Emit = Callable[..., Any]
Send = Callable[..., None]


@dataclass
class Conversation:
    """Everything learned in the call: filled slots, who the caller is, the problems still to handle."""

    flow: Flow
    language: Language
    surname: str | None = None
    title: str | None = None
    vip: bool = False
    slots: dict[str, SlotValue] = field(default_factory=dict)
    agenda: list[IntentSpec] = field(default_factory=list)
    handled: list[str] = field(default_factory=list)
    current: IntentSpec | None = None
    fault: Fault | None = None
    answer: str | None = None
    step: str | None = None
    confirming: str | None = None

    @property
    def known(self) -> bool:
        """GRT-2: the caller's surname is known (from the directory, or said and confirmed in the call)."""
        return self.surname is not None

    def variables(self) -> dict[str, str]:
        """Every placeholder's words for this moment of the call."""
        out = {sid: v.spoken for sid, v in self.slots.items()}
        if self.surname is not None:
            out.update(surname=self.surname, title=self.title or self.flow.default_title)
        if self.confirming is not None and self.confirming in self.slots:
            out["value"] = self.slots[self.confirming].spoken
        if self.answer is not None:
            out["answer"] = self.answer
        if self.step is not None:
            out["step"] = self.step
        order = ([self.current] if self.current else []) + self.agenda
        out["problems"] = "、".join(i.label for i in order)
        return out

    def add_problems(self, text: str) -> list[IntentSpec]:
        """ASK-1: the problems named in the words join the agenda, most urgent first (then as said)."""
        keywords = {i.id: i.keywords for i in self.flow.intents.values()}
        found = []
        for m in sorted(self.language.find(text, keywords), key=lambda m: m.position):
            intent = self.flow.intents[m.id]
            waiting = {i.id for i in self.agenda} | set(self.handled) | {self.current.id if self.current else ""}
            if intent.id not in waiting:
                found.append(intent)
                self.agenda.append(intent)
        self.agenda.sort(key=lambda i: -i.urgency)
        return found

    def next_problem(self) -> IntentSpec | None:
        if self.current is not None:
            self.handled.append(self.current.id)
        self.current = self.agenda.pop(0) if self.agenda else None
        return self.current

    def department(self, named: str | None) -> str:
        """Who takes a ticket: the state's department, the fault's, the problem's, or the default."""
        return (
            named
            or (self.fault.department if self.fault else None)
            or (self.current.department if self.current else None)
            or self.flow.knowledge.default_department
        )


class Collector:
    """One slot, asked for, re-asked, read back and confirmed."""

    def __init__(self, spec: CollectSpec, conv: Conversation, say: Say, emit: Emit, send: Send) -> None:
        self.spec = spec
        self.conv = conv
        self.say = say
        self.emit = emit
        self.send = send
        self.kind = conv.flow.slots[spec.slot].type
        self.noinput = 0
        self.nomatch = 0
        self.confirming = False

    def start(self) -> None:
        self.say(self.spec.ask)

    def silence(self) -> None:
        """The caller said nothing for the state's wait: the next silence re-ask, or give up."""
        if self.noinput >= len(self.spec.noinput):
            self._give_up("no answer")
            return
        prompt = self.spec.noinput[self.noinput]
        self.noinput += 1
        self.say(self.spec.confirm if self.confirming and self.spec.confirm else prompt)

    def heard(self, words: Transcript) -> None:
        if self.confirming:
            self._confirm_reply(words)
            return
        value = self.conv.language.slot(self.kind, words.text)
        if isinstance(value, NotUnderstood):
            self._not_understood(value.why)
            return
        self._filled(value, words.confidence)

    def _filled(self, value: SlotValue, confidence: float, apologise: bool = False) -> None:
        slot = self.spec.slot
        self.conv.slots[slot] = value
        self.emit("slot_filled", slot=slot, value=value.value, confidence=confidence)
        if self.spec.confirm is None:
            self._done()
            return
        self.confirming = True
        self.conv.confirming = slot
        prompts = [self.spec.apology] if apologise and self.spec.apology else []
        self.say(*prompts, self.spec.confirm)

    def _confirm_reply(self, words: Transcript) -> None:
        read_back = self.conv.slots[self.spec.slot].spoken
        reply = self.conv.language.reply(words.text, read_back) if not getattr(words, "forced", False) else None
        if reply is not None and reply.kind == "yes":
            self.emit("slot_confirmed", slot=self.spec.slot, value=self.conv.slots[self.spec.slot].value)
            self._done()
        elif reply is not None and reply.kind == "correction" and reply.corrected:
            value = self.conv.language.slot(self.kind, reply.corrected)
            self.emit("corrected", slot=self.spec.slot, rule="APOL-1")
            if isinstance(value, NotUnderstood):
                self._ask_again(apologise=True)
            else:
                self._filled(value, words.confidence, apologise=True)
        elif reply is not None and reply.kind in ("no", "correction"):
            self.emit("corrected", slot=self.spec.slot, rule="APOL-1")
            self._ask_again(apologise=True)
        else:
            self._not_understood("not a yes or a no")

    def _ask_again(self, apologise: bool) -> None:
        """The value was wrong: apologise (APOL-1) and ask for it again; counts as not understood."""
        self.confirming = False
        self.conv.confirming = None
        self.conv.slots.pop(self.spec.slot, None)
        if self.nomatch >= len(self.spec.nomatch):
            self._give_up("still wrong")
            return
        self.nomatch += 1
        self.say(*([self.spec.apology] if apologise and self.spec.apology else []), self.spec.ask)

    def _not_understood(self, why: str) -> None:
        self.emit("not_understood", slot=self.spec.slot, why=why)
        if self.nomatch >= len(self.spec.nomatch):
            self._give_up(why)
            return
        prompt = self.spec.nomatch[self.nomatch]
        self.nomatch += 1
        self.say(self.spec.confirm if self.confirming and self.spec.confirm else prompt)

    def _give_up(self, why: str) -> None:
        self.emit("gave_up", slot=self.spec.slot, why=why, rule="UNSURE-1")
        self.conv.confirming = None
        self.send("give_up")

    def _done(self) -> None:
        self.conv.confirming = None
        if self.kind == "surname":
            value = self.conv.slots[self.spec.slot]
            self.conv.surname = value.value
            self.conv.title = value.extra.get("title") or self.conv.title
            self.emit("caller_named", surname=self.conv.surname, title=self.conv.title or self.conv.flow.default_title)
        self.send("filled")


class Guide:
    """REP-1: a known customer-side fault's steps, one at a time, until the caller says it is fixed."""

    def __init__(self, spec: GuideSpec, conv: Conversation, say: Say, emit: Emit, send: Send) -> None:
        self.spec = spec
        self.conv = conv
        self.say = say
        self.emit = emit
        self.send = send
        self.index = 0
        self.repeated = False

    def start(self) -> None:
        described = self.conv.slots.get(self.spec.slot)
        faults = {f.id: f.keywords for f in self.conv.flow.knowledge.faults}
        matches = self.conv.language.find(described.value, faults) if described else []
        if not matches:
            self.emit("guide", outcome="unknown fault", rule="REP-1")
            self.send("unresolved")
            return
        best = max(matches, key=lambda m: m.score).id
        self.conv.fault = next(f for f in self.conv.flow.knowledge.faults if f.id == best)
        self._step()

    def _step(self) -> None:
        fault = self.conv.fault
        assert fault is not None
        self.conv.step = fault.steps[self.index]
        self.emit("guide_step", fault=fault.id, step=self.index + 1, of=len(fault.steps))
        self.say(self.spec.step)

    def silence(self) -> None:
        if self.repeated:
            self.emit("guide", outcome="no answer", rule="UNSURE-1")
            self.send("give_up")
            return
        self.repeated = True
        self.say(self.spec.step)

    def heard(self, words: Transcript) -> None:
        reply = self.conv.language.reply(words.text)
        fault = self.conv.fault
        assert fault is not None
        if reply.kind == "yes":
            self.emit("guide", outcome="resolved", fault=fault.id, step=self.index + 1)
            self.send("resolved")
        elif reply.kind in ("no", "correction"):
            self.index += 1
            self.repeated = False
            if self.index >= len(fault.steps):
                self.emit("guide", outcome="unresolved", fault=fault.id)
                self.send("unresolved")
            else:
                self._step()
        else:
            self.silence()
