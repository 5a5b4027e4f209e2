"""What a flow file says, as frozen data: agent, voice, waits, prompts, slots, intents, knowledge, states.

The vocabulary, in the spirit of VoiceXML forms and Rasa forms and simpler than both:
  * a state may `say` prompts (`bargein: false` keeps the caller's sound from cutting them), `wait`
    for caller silence (-> `no_input`), run a `timer` counted from the end of its prompt whatever the
    line carries (-> `timer`), `collect` a typed slot with escalating re-asks and a read-back
    confirmation (-> `filled`, `give_up`), `answer` from the knowledge file (-> `found`,
    `not_found`), `guide` the caller through a known fault's steps (-> `resolved`, `unresolved`),
    take the `next_problem` from the caller's agenda (-> `intent`, `no_more`), open a `ticket`,
    register a `callback`, or `hangup`;
  * `hints` gives the recogniser a phrase list for the state (Vosk grammar mode), an accuracy hint only;
  * transitions move `on` events, guarded by `if_` conditions on the event and the caller.
The engine provides every action; a flow file never contains code.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

from ivr.engine.listener import ListenSettings
from ivr.errors import IvrError
from ivr.signal.hearing import HearingThresholds

EVENTS: dict[str, str] = {
    "answered": "the call was just answered (if_late: it rang more than 5 times, ANS-1)",
    "speech_started": "the caller started speaking",
    "speech_stopped": "the caller's turn ended",
    "utterance": "an utterance was measured (if_hearing: clear, too_quiet, noisy, speakerphone)",
    "transcript": "the recogniser gave words (if_said: words or phrases to match)",
    "problems": "the caller named one or more known problems (if_several: more than one, ASK-1)",
    "intent": "next_problem took the most urgent problem off the agenda (if_intent: its name)",
    "no_more": "next_problem found the agenda empty",
    "no_input": "the state's wait ran out in caller silence",
    "timer": "the state's timer ran out (counted from the end of its prompt, whatever the caller did)",
    "prompt_finished": "the state's last prompt finished playing",
    "filled": "collect: the slot was filled and confirmed (CONF-1)",
    "give_up": "collect or guide: the last re-ask went unanswered or not understood (UNSURE-1)",
    "found": "answer: the knowledge file answers the caller's question (CONS-1)",
    "not_found": "answer: it does not",
    "resolved": "guide: the caller says the fault is fixed (REP-1)",
    "unresolved": "guide: every step was tried, or the fault is not a known customer-side one",
    "dtmf": "the caller pressed a key (if_digit: the keys)",
    "max_duration": "the call reached the flow's maximum length",
}
"""Every event a flow may move on, with what it means (shown by `ivr flows check --events`)."""

SLOT_TYPES = ("phone", "digits", "surname", "address", "text", "yesno")
CALLER_VARIABLES = frozenset({"surname", "title"})
"""A known caller's placeholders (GRT-2); never the caller's full name (GRT-3)."""
FORBIDDEN_VARIABLES = frozenset({"name", "full_name", "fullname", "caller_name"})
"""GRT-3: no placeholder may say the caller's full name."""
ENGINE_VARIABLES = frozenset({"agent_id", "agent_name", "value", "answer", "step", "problems"})
"""Placeholders the engine fills: the agent (ANS-2), the slot being confirmed, a knowledge answer, a guide step,
the caller's problems in the order they will be handled (ASK-1)."""
MAX_TEXT = 500
"""No prompt text, keyword or knowledge entry is longer than this many characters."""


@dataclass(frozen=True)
class Where:
    """A place in a flow file."""

    file: Path
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Problem:
    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class FlowError(IvrError):
    """A flow file with problems; str() is the first, `problems` holds all."""

    def __init__(self, problems: list[Problem]) -> None:
        more = f" (and {len(problems) - 1} more; run `ivr flows check`)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")
        self.problems = problems


def placeholders(template: str) -> set[str]:
    """The {names} a prompt text uses; raises ValueError on a malformed one or a format spec."""
    names = set()
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            raise ValueError(f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}")
        names.add(name)
    return names


@dataclass(frozen=True)
class PromptSpec:
    """Exact words the IVR says, the rule they carry out, and optionally a recording that replaces them."""

    id: str
    template: str
    rule: str
    where: Where
    recording: Path | None = None
    known_template: str | None = None

    @property
    def fields(self) -> set[str]:
        return placeholders(self.template) | placeholders(self.known_template or "")

    @property
    def needs_caller(self) -> bool:
        """Whether the words name the caller (GRT-2), so they exist only for a known caller."""
        return bool(placeholders(self.template) & CALLER_VARIABLES)


@dataclass(frozen=True)
class SlotSpec:
    """A value the IVR collects from the caller, of one type."""

    id: str
    type: str
    where: Where


@dataclass(frozen=True)
class IntentSpec:
    """A problem a caller can bring, recognised by keywords; the more urgent, the sooner handled (ASK-1)."""

    id: str
    label: str
    keywords: tuple[str, ...]
    urgency: int
    where: Where
    department: str | None = None


@dataclass(frozen=True)
class Answer:
    """CONS-1: a question the hotline can answer at once, and the exact answer."""

    id: str
    keywords: tuple[str, ...]
    text: str
    where: Where


@dataclass(frozen=True)
class Fault:
    """REP-1: a known customer-side fault, the steps that fix it, and who takes it when they do not."""

    id: str
    keywords: tuple[str, ...]
    steps: tuple[str, ...]
    department: str
    where: Where


@dataclass(frozen=True)
class Knowledge:
    """The hotline's knowledge file: answers to consultations and known customer-side faults."""

    path: Path | None = None
    answers: tuple[Answer, ...] = ()
    faults: tuple[Fault, ...] = ()
    default_department: str = ""


@dataclass(frozen=True)
class CollectSpec:
    """Collect one slot: ask, re-ask on silence and on not-understood (each a different wording), confirm."""

    slot: str
    ask: str
    noinput: tuple[str, ...]
    nomatch: tuple[str, ...]
    confirm: str | None
    apology: str | None
    where: Where


@dataclass(frozen=True)
class TicketSpec:
    """Open a ticket for a department with the slots collected (REP-1, CONS-1, UNSURE-1)."""

    kind: str
    department: str | None
    fields: tuple[str, ...]
    where: Where


@dataclass(frozen=True)
class GuideSpec:
    """Walk the caller through the steps of the known fault the slot's words describe (REP-1)."""

    slot: str
    step: str
    where: Where


@dataclass(frozen=True)
class TransitionSpec:
    event: str
    target: str
    where: Where
    if_said: tuple[str, ...] = ()
    if_hearing: tuple[str, ...] = ()
    if_intent: tuple[str, ...] = ()
    if_digit: tuple[str, ...] = ()
    if_vip: bool | None = None
    if_known: bool | None = None
    if_late: bool | None = None
    if_several: bool | None = None

    @property
    def conditions(self) -> list[str]:
        """The guard in words, for diagrams and messages: `noisy + VIP`, `said 您好`."""
        out = []
        if self.if_hearing:
            out.append("/".join(self.if_hearing))
        if self.if_said:
            out.append("said " + "/".join(self.if_said))
        if self.if_intent:
            out.append("/".join(self.if_intent))
        if self.if_digit:
            out.append("key " + "/".join(self.if_digit))
        for flag, yes, no in (
            (self.if_vip, "VIP", "not VIP"),
            (self.if_known, "known caller", "unknown caller"),
            (self.if_late, "late", "on time"),
            (self.if_several, "several", "one"),
        ):
            if flag is not None:
                out.append(yes if flag else no)
        return out

    @property
    def guarded(self) -> bool:
        return bool(self.conditions)


@dataclass(frozen=True)
class StateSpec:
    id: str
    where: Where
    initial: bool = False
    say: tuple[str, ...] = ()
    bargein: bool = True
    wait: float | None = None
    timer: float | None = None
    hangup: bool = False
    callback: str | None = None
    ticket: TicketSpec | None = None
    collect: CollectSpec | None = None
    answer: str | None = None
    guide: GuideSpec | None = None
    next_problem: bool = False
    hints: tuple[str, ...] = ()
    rule: str | None = None
    description: str = ""
    transitions: tuple[TransitionSpec, ...] = ()

    @property
    def prompts(self) -> tuple[str, ...]:
        """Every prompt this state can say, its own and its collect/guide prompts."""
        out = list(self.say)
        if self.collect:
            c = self.collect
            out += [c.ask, *c.noinput, *c.nomatch, *(p for p in (c.confirm, c.apology) if p)]
        if self.guide:
            out.append(self.guide.step)
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Limits:
    """How long a call may hold a line (ended with its reason on the timeline and in the record)."""

    max_call_s: float = 1800.0
    no_activity_s: float = 120.0


@dataclass(frozen=True)
class AudioSettings:
    """How prompts are rendered and levelled; part of the prompt cache key."""

    voice: str = "cmn-latn-pinyin"
    rate: int = 175
    level_dbfs: float = -26.0
    fade_s: float = 0.01


@dataclass(frozen=True)
class Flow:
    name: str
    path: Path
    agent: dict[str, str]
    audio: AudioSettings
    hearing: HearingThresholds
    prompts: dict[str, PromptSpec]
    states: dict[str, StateSpec]
    initial: str
    where: dict[str, Where] = field(default_factory=dict)
    description: str = ""
    slots: dict[str, SlotSpec] = field(default_factory=dict)
    intents: dict[str, IntentSpec] = field(default_factory=dict)
    knowledge: Knowledge = field(default_factory=Knowledge)
    listening: ListenSettings = field(default_factory=ListenSettings)
    limits: Limits = field(default_factory=Limits)
    default_title: str = "老师"

    def text(self, prompt_id: str, known: bool = False, **call_vars: str) -> str:
        """A prompt's exact words for this call; a known caller hears the prompt's `known` wording (GRT-2)."""
        prompt = self.prompts[prompt_id]
        template = prompt.known_template if known and prompt.known_template else prompt.template
        return template.format(**self.agent, **call_vars)
