"""Call flows as data: a YAML file of agent details, waits, prompts and states, validated.

Every problem is reported as `file:line: message`. The structure is checked here; the
service-code compliance rules are checked by `ivr.compliance`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.adapters.prompts import PromptAudioSettings
from ivr.errors import IvrError
from ivr.flowlang.rules import RULES
from ivr.flowlang.yaml_lines import LineDict, load_yaml
from ivr.signal.hearing import HEARINGS, HearingThresholds

EVENTS: dict[str, str] = {
    "answered": "the call was just answered (if_late: it rang more than 5 times, ANS-1)",
    "speech_started": "the caller started speaking",
    "speech_stopped": "the caller stopped speaking",
    "utterance": "an utterance ended and was measured (if_hearing: clear, too_quiet, noisy, speakerphone)",
    "transcript": "the recogniser gave words (if_said: words or phrases to match)",
    "no_input": "the state's wait ran out in caller silence",
    "prompt_finished": "the state's prompt finished playing",
}
CALLER_VARIABLES = frozenset({"surname", "title"})
"""A known caller's placeholders (GRT-2); never the caller's full name (GRT-3)."""
CALL_VARIABLES = frozenset({"agent_id", "agent_name"}) | CALLER_VARIABLES
_TOP_KEYS = {"flow", "description", "agent", "voice", "waits", "hearing", "prompts", "states"}
_PROMPT_KEYS = {"text", "rule", "recording", "description"}
_STATE_KEYS = {"initial", "say", "wait", "hangup", "callback", "on", "rule", "description"}
_TRANSITION_KEYS = {"target", "if_said", "if_hearing", "if_vip", "if_known", "if_late"}
_GUARD_EVENTS = {"if_said": "transcript", "if_hearing": "utterance"}


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


@dataclass(frozen=True)
class PromptSpec:
    id: str
    template: str
    rule: str
    recording: Path | None
    where: Where

    @property
    def needs_caller(self) -> bool:
        """Whether the words name the caller, so they exist only for a known caller."""
        return any("{" + v + "}" in self.template for v in CALLER_VARIABLES)


@dataclass(frozen=True)
class TransitionSpec:
    event: str
    target: str
    where: Where
    if_said: tuple[str, ...] = ()
    if_hearing: tuple[str, ...] = ()
    if_vip: bool | None = None
    if_known: bool | None = None
    if_late: bool | None = None

    @property
    def guarded(self) -> bool:
        flags = (self.if_vip, self.if_known, self.if_late)
        return bool(self.if_said or self.if_hearing) or any(f is not None for f in flags)


@dataclass(frozen=True)
class StateSpec:
    id: str
    where: Where
    initial: bool = False
    say: str | None = None
    wait: float | None = None
    hangup: bool = False
    callback: str | None = None
    rule: str | None = None
    transitions: tuple[TransitionSpec, ...] = ()


@dataclass(frozen=True)
class Flow:
    name: str
    path: Path
    agent: dict[str, str]
    audio: PromptAudioSettings
    hearing: HearingThresholds
    prompts: dict[str, PromptSpec]
    states: dict[str, StateSpec]
    initial: str
    where: dict[str, Where] = field(default_factory=dict)

    def text(self, prompt_id: str, **call_vars: str) -> str:
        """A prompt's exact words for this call (caller placeholders need a known caller)."""
        return self.prompts[prompt_id].template.format(**self.agent, **call_vars)

    def texts(self, callers: list[dict[str, str]]) -> list[str]:
        """Every distinct text the flow can say, for these known callers: what to pre-render."""
        out: dict[str, None] = {}
        for pid, prompt in self.prompts.items():
            if prompt.recording is None:
                for call_vars in callers if prompt.needs_caller else [{}]:
                    out[self.text(pid, **call_vars)] = None
        return list(out)


class FlowError(IvrError):
    """A flow file with problems; str() is the first, `problems` holds all."""

    def __init__(self, problems: list[Problem]) -> None:
        more = f" (and {len(problems) - 1} more; run `ivr flows check`)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")
        self.problems = problems


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def at(self, line: int) -> Where:
        return Where(self.path, line)

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.at(line), message))

    def mapping(self, parent: LineDict, key: str, required: bool = False) -> LineDict:
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(parent.line, f"missing '{key}'")
            return _empty(parent.line_of(key))
        if not isinstance(value, LineDict):
            self.fail(parent.line_of(key), f"'{key}' must be a mapping")
            return _empty(parent.line_of(key))
        return value

    def unknown_keys(self, d: LineDict, allowed: set[str], what: str) -> None:
        for key in d:
            if key not in allowed:
                self.fail(d.line_of(key), f"{what}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")

    def seconds(self, value: Any, line: int, what: str, waits: dict[str, float]) -> float | None:
        if isinstance(value, str) and value in waits:
            return waits[value]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
            named = f" or one of {', '.join(waits)}" if waits else ""
            self.fail(line, f"{what}: wait must be seconds between 0 and 600{named}, not {value!r}")
            return None
        return float(value)


def find_flow(name: str, flows_dir: Path) -> Path:
    """--flow takes a name in the flows directory or a path to a YAML file."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise IvrError(f"--flow: {candidate}: no such flow file")
        return candidate
    path = flows_dir / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in flows_dir.glob("*.yaml"))) or "none"
        raise IvrError(f"--flow: no flow named '{name}' in {flows_dir} (flows: {known})")
    return path


def load_flow(path: Path) -> Flow:
    """Read and validate a flow file; raises FlowError listing every problem."""
    doc = load_yaml(path)
    r = _Reader(path)
    r.unknown_keys(doc, _TOP_KEYS, "flow")
    name = doc.get("flow")
    if not isinstance(name, str) or not name.isidentifier():
        r.fail(doc.line_of("flow"), "'flow' must name the flow (letters, digits, _)")
        name = path.stem

    agent_doc = r.mapping(doc, "agent")
    agent = {}
    for key in ("id", "name"):
        value = agent_doc.get(key)
        if value is None or not str(value).strip():
            r.fail(agent_doc.line_of(key), f"agent: '{key}' must be set (ANS-2)")
        agent[f"agent_{key}"] = str(value or "").strip()

    audio = _audio_settings(r, r.mapping(doc, "voice"))
    waits: dict[str, float] = {}
    waits_doc = r.mapping(doc, "waits")
    for key, value in waits_doc.items():
        seconds = r.seconds(value, waits_doc.line_of(key), f"waits.{key}", {})
        if seconds is not None:
            waits[key] = seconds

    hearing = _hearing(r, r.mapping(doc, "hearing"))
    prompts = _prompts(r, r.mapping(doc, "prompts", required=True))
    states = _states(r, r.mapping(doc, "states", required=True), prompts, waits)
    initial = [s.id for s in states.values() if s.initial]
    if len(initial) != 1:
        r.fail(doc.line_of("states"), f"exactly one state must be 'initial: true', found {len(initial)}")
    if r.problems:
        raise FlowError(r.problems)
    return Flow(name, path, agent, audio, hearing, prompts, states, initial[0], {"flow": r.at(doc.line)})


def _hearing(r: _Reader, d: LineDict) -> HearingThresholds:
    defaults = HearingThresholds()
    allowed = set(defaults.__dataclass_fields__)
    r.unknown_keys(d, allowed, "hearing")
    values = {}
    for key in allowed & set(d):
        value = d[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            r.fail(d.line_of(key), f"hearing.{key} must be a number, not {value!r}")
            continue
        values[key] = float(value)
    return HearingThresholds(**values)


def _audio_settings(r: _Reader, d: LineDict) -> PromptAudioSettings:
    r.unknown_keys(d, {"name", "rate", "level_dbfs", "fade_s"}, "voice")
    defaults = PromptAudioSettings()
    voice = d.get("name", defaults.voice)
    rate = d.get("rate", defaults.rate)
    level = d.get("level_dbfs", defaults.level_dbfs)
    fade_s = d.get("fade_s", defaults.fade_s)
    if not isinstance(voice, str) or not voice:
        r.fail(d.line_of("name"), "voice.name must be an espeak-ng voice, e.g. cmn-latn-pinyin")
        voice = defaults.voice
    if isinstance(rate, bool) or not isinstance(rate, int) or not 80 <= rate <= 450:
        r.fail(d.line_of("rate"), f"voice.rate must be words per minute, 80 to 450, not {rate!r}")
        rate = defaults.rate
    if isinstance(level, bool) or not isinstance(level, int | float) or not -50 <= level <= -10:
        r.fail(d.line_of("level_dbfs"), f"voice.level_dbfs must be -50 to -10 dBFS, not {level!r}")
        level = defaults.level_dbfs
    if isinstance(fade_s, bool) or not isinstance(fade_s, int | float) or not 0.002 <= fade_s <= 0.1:
        r.fail(d.line_of("fade_s"), f"voice.fade_s must be 0.002 to 0.1 s (ANS-3), not {fade_s!r}")
        fade_s = defaults.fade_s
    return PromptAudioSettings(voice, rate, float(level), float(fade_s))


def _prompts(r: _Reader, d: LineDict) -> dict[str, PromptSpec]:
    prompts = {}
    for pid, spec in d.items():
        line = d.line_of(pid)
        if not isinstance(spec, LineDict):
            r.fail(line, f"prompt '{pid}' must be a mapping with text and rule")
            continue
        r.unknown_keys(spec, _PROMPT_KEYS, f"prompt '{pid}'")
        text, rule = spec.get("text"), spec.get("rule")
        if not isinstance(text, str) or not text.strip():
            r.fail(spec.line_of("text"), f"prompt '{pid}': 'text' must be the words to say")
            continue
        if rule not in RULES:
            r.fail(spec.line_of("rule"), f"prompt '{pid}': 'rule' must be a service-code rule ID, not {rule!r}")
            continue
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as e:
            r.fail(spec.line_of("text"), f"prompt '{pid}': bad placeholder ({e})")
            continue
        for f in sorted(fields - CALL_VARIABLES):
            r.fail(
                spec.line_of("text"),
                f"prompt '{pid}': unknown placeholder {{{f}}} (known: {', '.join(sorted(CALL_VARIABLES))})",
            )
        recording = spec.get("recording")
        rec_path = None
        if recording is not None:
            rec_path = (r.path.parent / str(recording)).resolve()
            if not rec_path.is_file():
                r.fail(spec.line_of("recording"), f"prompt '{pid}': recording {rec_path} not found")
        prompts[pid] = PromptSpec(pid, text.strip(), rule, rec_path, r.at(line))
    return prompts


def _states(r: _Reader, d: LineDict, prompts: dict[str, PromptSpec], waits: dict[str, float]) -> dict[str, StateSpec]:
    raw: dict[str, StateSpec] = {}
    for sid, spec in d.items():
        line = d.line_of(sid)
        if not isinstance(spec, LineDict):
            spec = _empty(line) if spec is None else spec
            if not isinstance(spec, LineDict):
                r.fail(line, f"state '{sid}' must be a mapping")
                continue
        if not sid.isidentifier():
            r.fail(line, f"state '{sid}': names are letters, digits and _")
        r.unknown_keys(spec, _STATE_KEYS, f"state '{sid}'")
        say = spec.get("say")
        if say is not None and say not in prompts:
            r.fail(spec.line_of("say"), f"state '{sid}': no prompt named '{say}'")
        wait = None
        if "wait" in spec:
            wait = r.seconds(spec["wait"], spec.line_of("wait"), f"state '{sid}'", waits)
        hangup = spec.get("hangup", False)
        if not isinstance(hangup, bool):
            r.fail(spec.line_of("hangup"), f"state '{sid}': 'hangup' must be true or false")
        if hangup and ("on" in spec or say or wait):
            r.fail(spec.line_of("hangup"), f"state '{sid}': a hang-up state ends the call: no say, wait or on")
        callback = spec.get("callback")
        if callback is not None and (not isinstance(callback, str) or not callback.strip()):
            r.fail(spec.line_of("callback"), f"state '{sid}': 'callback' names the reason for the call-back")
            callback = None
        rule = spec.get("rule")
        if rule is not None and rule not in RULES:
            r.fail(spec.line_of("rule"), f"state '{sid}': unknown rule ID {rule!r}")
        transitions = _transitions(r, sid, spec)
        if any(t.event == "no_input" for t in transitions) and wait is None:
            r.fail(spec.line_of("on"), f"state '{sid}': handles no_input but sets no 'wait'")
        raw[sid] = StateSpec(
            sid, r.at(line), spec.get("initial") is True, say, wait, hangup is True, callback, rule, transitions
        )
    for state in raw.values():
        for t in state.transitions:
            if t.target not in raw:
                r.fail(t.where.line, f"state '{state.id}': '{t.event}' goes to unknown state '{t.target}'")
    return raw


def _guarded(r: _Reader, sid: str, event: str, item: LineDict) -> TransitionSpec:
    lists: dict[str, tuple[str, ...]] = {}
    for key, needed in _GUARD_EVENTS.items():
        value = item.get(key, [])
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(w, str) and w for w in value):
            r.fail(item.line_of(key), f"state '{sid}': {key} must be a word or a list of them")
            value = []
        if value and event != needed:
            r.fail(item.line_of(key), f"state '{sid}': {key} only applies to '{needed}'")
        lists[key] = tuple(value)
    for hearing in lists["if_hearing"]:
        if hearing not in HEARINGS:
            r.fail(item.line_of("if_hearing"), f"state '{sid}': unknown hearing '{hearing}' ({', '.join(HEARINGS)})")
    flags: dict[str, bool | None] = {}
    for key in ("if_vip", "if_known", "if_late"):
        value = item.get(key)
        if value is not None and not isinstance(value, bool):
            r.fail(item.line_of(key), f"state '{sid}': {key} must be true or false")
            value = None
        flags[key] = value
    if flags["if_late"] is not None and event != "answered":
        r.fail(item.line_of("if_late"), f"state '{sid}': if_late only applies to 'answered'")
    return TransitionSpec(
        event,
        item["target"],
        r.at(item.line),
        if_said=lists["if_said"],
        if_hearing=lists["if_hearing"],
        if_vip=flags["if_vip"],
        if_known=flags["if_known"],
        if_late=flags["if_late"],
    )


def _empty(line: int) -> LineDict:
    d = LineDict()
    d.line, d.key_lines = line, {}
    return d


def _transitions(r: _Reader, sid: str, spec: LineDict) -> tuple[TransitionSpec, ...]:
    on = spec.get("on")
    if on is None:
        return ()
    if not isinstance(on, LineDict):
        r.fail(spec.line_of("on"), f"state '{sid}': 'on' must map events to target states")
        return ()
    out = []
    for event, targets in on.items():
        line = on.line_of(event)
        if event not in EVENTS:
            r.fail(line, f"state '{sid}': unknown event '{event}' (events: {', '.join(EVENTS)})")
            continue
        for item in targets if isinstance(targets, list) else [targets]:
            if isinstance(item, str):
                out.append(TransitionSpec(event, item, r.at(line)))
                continue
            if not isinstance(item, LineDict) or not isinstance(item.get("target"), str):
                r.fail(line, f"state '{sid}': '{event}' needs a target state name or {{target: ..., if_...: ...}}")
                continue
            r.unknown_keys(item, _TRANSITION_KEYS, f"state '{sid}' on {event}")
            out.append(_guarded(r, sid, event, item))
    return tuple(out)
