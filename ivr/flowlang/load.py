"""Reading a flow file: YAML into a validated `Flow`, every problem reported as `file:line: message`.

Structure, references, types, ranges and placeholders are checked here; the service-code rules are
checked by `ivr.flowlang.compliance`. Values are never echoed whole in a message (a flow file is
operator input: a huge or hostile value must not make a huge message).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ivr import paths
from ivr.engine.listener import ListenSettings
from ivr.errors import IvrError
from ivr.flowlang.model import (
    ENGINE_VARIABLES,
    EVENTS,
    FORBIDDEN_VARIABLES,
    MAX_TEXT,
    SLOT_TYPES,
    Answer,
    AudioSettings,
    CollectSpec,
    Fault,
    Flow,
    FlowError,
    GuideSpec,
    IntentSpec,
    Knowledge,
    Limits,
    Problem,
    PromptSpec,
    SlotSpec,
    StateSpec,
    TicketSpec,
    TransitionSpec,
    Where,
    placeholders,
)
from ivr.flowlang.rules import RULES
from ivr.flowlang.yaml_lines import LineDict, load_yaml
from ivr.signal.hearing import HEARINGS, HearingThresholds
from ivr.signal.speech import DETECTOR_RANGES, DetectorSettings

_TOP_KEYS = {
    "flow": "the flow's name",
    "description": "what the flow is for",
    "agent": "id and name of the agent (ANS-2)",
    "voice": "espeak-ng voice, rate, level and fade of every prompt",
    "waits": "named durations",
    "hearing": "thresholds between clear, too quiet, noisy and speakerphone callers",
    "listening": "speech detection and end of turn",
    "limits": "maximum call length and inactivity",
    "callers": "how callers are addressed",
    "slots": "values collected from the caller",
    "intents": "problems a caller can bring",
    "knowledge": "the knowledge file (answers and known faults)",
    "prompts": "the exact words",
    "states": "the call's states",
}
_PROMPT_KEYS = {"text", "known", "rule", "recording", "description"}
_STATE_KEYS = {
    "initial", "say", "bargein", "wait", "timer", "hangup", "callback", "ticket", "collect", "answer", "guide",
    "next_problem", "hints", "on", "rule", "description",
}  # fmt: skip
_TRANSITION_KEYS = {"target", "if_said", "if_hearing", "if_intent", "if_digit", "if_vip", "if_known", "if_late",
                    "if_several"}  # fmt: skip
_LIST_GUARDS = {"if_said": "transcript", "if_hearing": "utterance", "if_intent": "intent", "if_digit": "dtmf"}
_FLAG_GUARDS = {"if_vip": None, "if_known": None, "if_late": "answered", "if_several": "problems"}
_DIGITS = set("0123456789*#ABCD")
_WAIT_RANGE = (0.5, 600.0)
_HEARING_RANGES = {
    "noisy_snr_db": (0.0, 40.0),
    "quiet_level_db": (-70.0, -10.0),
    "speakerphone_decay_db_s": (-1000.0, -10.0),
}
_DETECTOR_RANGES = {key: (low, high) for key, (low, high, _) in DETECTOR_RANGES.items()}
_LISTEN_RANGES = {
    "pre_roll_s": (0.0, 1.0),
    "long_turn_s": (1.0, 30.0),
    "rolling_window_s": (1.0, 30.0),
    "rolling_every_s": (0.1, 5.0),
}
_LIMIT_RANGES = {"max_call_s": (30.0, 86400.0), "no_activity_s": (10.0, 3600.0)}
MAX_FLOW_BYTES = 1_000_000


def short(value: Any, limit: int = 40) -> str:
    """A value for a message: its repr, cut to `limit` characters."""
    if isinstance(value, list | dict):
        return f"a {'list' if isinstance(value, list) else 'mapping'} of {len(value)} items"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**12:
        return "a huge number"
    text = repr(value) if not isinstance(value, str) else repr(value[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nearest(name: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' for a typo, else ''."""
    import difflib

    found = difflib.get_close_matches(str(name)[:60], list(known), n=1, cutoff=0.6)
    return f" (did you mean '{found[0]}'?)" if found else ""


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
            return LineDict.empty(parent.line_of(key))
        if not isinstance(value, LineDict):
            self.fail(parent.line_of(key), f"'{key}' must be a mapping")
            return LineDict.empty(parent.line_of(key))
        return value

    def unknown_keys(self, d: LineDict, allowed: Iterable[str], what: str) -> None:
        allowed = sorted(allowed)
        for key in d:
            if key not in allowed:
                hint = nearest(key, allowed) or f" (allowed: {', '.join(allowed)})"
                self.fail(d.line_of(key), f"{what}: unknown key {short(key)}{hint}")

    def number(self, value: Any, line: int, what: str, lo: float, hi: float) -> float | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or not lo <= value <= hi:
            self.fail(line, f"{what} must be a number from {lo:g} to {hi:g}, not {short(value)}")
            return None
        return float(value)

    def seconds(self, value: Any, line: int, what: str, waits: dict[str, float]) -> float | None:
        if isinstance(value, str):
            if value in waits:
                return waits[value]
            self.fail(line, f"{what}: no wait named {short(value)}{nearest(value, waits)} (waits: {', '.join(waits)})")
            return None
        return self.number(value, line, f"{what}: a wait", *_WAIT_RANGE)

    def text(self, value: Any, line: int, what: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(line, f"{what} must be text")
            return None
        if len(value) > MAX_TEXT:
            self.fail(line, f"{what} is {len(value)} characters long (at most {MAX_TEXT})")
            return None
        return value.strip()

    def words(self, value: Any, line: int, what: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            self.fail(line, f"{what} must be a word or a list of words")
            return ()
        out = []
        for item in items:
            word = self.text(item, line, what)
            if word is not None:
                out.append(word)
        return tuple(out)

    def ref(self, value: Any, line: int, what: str, known: dict[str, Any], kind: str) -> str | None:
        if not isinstance(value, str) or value not in known:
            self.fail(line, f"{what}: no {kind} named {short(value)}{nearest(str(value), known)}")
            return None
        return value

    def refs(self, value: Any, line: int, what: str, known: dict[str, Any], kind: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            self.fail(line, f"{what} must be a {kind} name or a list of them")
            return ()
        found = [r for item in items if (r := self.ref(item, line, what, known, kind)) is not None]
        if len(set(found)) != len(found):
            self.fail(line, f"{what}: each re-ask must be a different wording (a {kind} is repeated)")
        return tuple(found)

    def flag(self, d: LineDict, key: str, what: str, default: bool) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            self.fail(d.line_of(key), f"{what}: '{key}' must be true or false")
            return default
        return value


def find_flow(name: str, flows_dir: Path) -> Path:
    """--flow takes a name in the flows directory or a path to a YAML file."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise IvrError(f"--flow: {candidate}: no such flow file")
        return candidate
    path = flows_dir / f"{name}.yaml"
    if not path.is_file():
        names = sorted(p.stem for p in flows_dir.glob("*.yaml"))
        raise IvrError(
            f"--flow: no flow named {short(name)} in {flows_dir}{nearest(name, names)} "
            f"(flows: {', '.join(names) or 'none'})"
        )
    return path


def load_flow(path: Path) -> Flow:
    """Read and validate a flow file; raises FlowError listing every problem."""
    doc = load_yaml(path, MAX_FLOW_BYTES)
    r = _Reader(path)
    r.unknown_keys(doc, _TOP_KEYS, "flow")
    name = doc.get("flow")
    if not isinstance(name, str) or not name.isidentifier() or len(name) > 60:
        r.fail(doc.line_of("flow"), "'flow' must name the flow (letters, digits, _)")
        name = path.stem
    description = doc.get("description", "")
    agent = _agent(r, r.mapping(doc, "agent", required=True))
    audio = _audio(r, r.mapping(doc, "voice"))
    waits: dict[str, float] = {}
    waits_doc = r.mapping(doc, "waits")
    for key, value in waits_doc.items():
        seconds = r.number(value, waits_doc.line_of(key), f"waits.{key}", *_WAIT_RANGE)
        if seconds is not None:
            waits[key] = seconds
    hearing = HearingThresholds(**_numbers(r, r.mapping(doc, "hearing"), "hearing", _HEARING_RANGES))
    listening = _listening(r, r.mapping(doc, "listening"))
    limits = Limits(**_numbers(r, r.mapping(doc, "limits"), "limits", _LIMIT_RANGES))
    callers = r.mapping(doc, "callers")
    r.unknown_keys(callers, {"default_title"}, "callers")
    title = r.text(callers.get("default_title", "老师"), callers.line_of("default_title"), "callers.default_title")
    slots = _slots(r, r.mapping(doc, "slots"))
    intents = _intents(r, r.mapping(doc, "intents"))
    knowledge = _knowledge(r, doc)
    prompts = _prompts(r, r.mapping(doc, "prompts", required=True), slots)
    states = _states(r, r.mapping(doc, "states", required=True), prompts, waits, slots, intents)
    initial = [s.id for s in states.values() if s.initial]
    if len(initial) != 1:
        r.fail(doc.line_of("states"), f"exactly one state must be 'initial: true', found {len(initial)}")
    if r.problems:
        raise FlowError(r.problems)
    return Flow(
        name,
        path,
        agent,
        audio,
        hearing,
        prompts,
        states,
        initial[0],
        where={"flow": r.at(doc.line), **{k: r.at(doc.line_of(k)) for k in doc}},
        description=str(description)[:MAX_TEXT],
        slots=slots,
        intents=intents,
        knowledge=knowledge,
        listening=listening,
        limits=limits,
        default_title=title or "老师",
    )


def _agent(r: _Reader, d: LineDict) -> dict[str, str]:
    r.unknown_keys(d, {"id", "name"}, "agent")
    agent = {}
    for key in ("id", "name"):
        value = d.get(key)
        text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if not text or len(text) > 20:
            r.fail(d.line_of(key), f"agent: '{key}' must be set, at most 20 characters (ANS-2)")
        agent[f"agent_{key}"] = text[:20]
    return agent


def _numbers(r: _Reader, d: LineDict, what: str, ranges: dict[str, tuple[float, float]]) -> dict[str, float]:
    r.unknown_keys(d, ranges, what)
    values = {}
    for key, (lo, hi) in ranges.items():
        if key in d and (value := r.number(d[key], d.line_of(key), f"{what}.{key}", lo, hi)) is not None:
            values[key] = value
    return values


def _listening(r: _Reader, d: LineDict) -> ListenSettings:
    detector = _numbers(r, LineDict.subset(d, _DETECTOR_RANGES), "listening", _DETECTOR_RANGES)
    rest = _numbers(r, LineDict.subset(d, _LISTEN_RANGES), "listening", _LISTEN_RANGES)
    r.unknown_keys(d, {*_DETECTOR_RANGES, *_LISTEN_RANGES}, "listening")
    settings = ListenSettings(DetectorSettings(**detector), **rest)
    for message in settings.problems():
        r.fail(d.line, f"listening: {message}")
    return settings


def _audio(r: _Reader, d: LineDict) -> AudioSettings:
    r.unknown_keys(d, {"name", "rate", "level_dbfs", "fade_s"}, "voice")
    defaults = AudioSettings()
    voice = d.get("name", defaults.voice)
    if not isinstance(voice, str) or not voice.replace("-", "").replace("+", "").isalnum() or len(voice) > 40:
        r.fail(d.line_of("name"), "voice.name must be an espeak-ng voice, e.g. cmn-latn-pinyin")
        voice = defaults.voice
    rate = d.get("rate", defaults.rate)
    if isinstance(rate, bool) or not isinstance(rate, int) or not 80 <= rate <= 450:
        r.fail(d.line_of("rate"), f"voice.rate must be words per minute, 80 to 450, not {short(rate)}")
        rate = defaults.rate
    level = r.number(d.get("level_dbfs", defaults.level_dbfs), d.line_of("level_dbfs"), "voice.level_dbfs", -50, -10)
    fade = r.number(d.get("fade_s", defaults.fade_s), d.line_of("fade_s"), "voice.fade_s (ANS-3)", 0.002, 0.1)
    return AudioSettings(voice, rate, level or defaults.level_dbfs, fade or defaults.fade_s)


def _slots(r: _Reader, d: LineDict) -> dict[str, SlotSpec]:
    slots = {}
    for sid, spec in d.items():
        line = d.line_of(sid)
        kind = spec.get("type") if isinstance(spec, LineDict) else spec
        if not sid.isidentifier() or sid in ENGINE_VARIABLES | FORBIDDEN_VARIABLES | {"title"}:
            r.fail(line, f"slot {short(sid)}: a slot name is letters, digits and _, and not a reserved name")
            continue
        if kind not in SLOT_TYPES:
            r.fail(line, f"slot '{sid}': type must be one of {', '.join(SLOT_TYPES)}{nearest(str(kind), SLOT_TYPES)}")
            continue
        if isinstance(spec, LineDict):
            r.unknown_keys(spec, {"type", "description"}, f"slot '{sid}'")
        slots[sid] = SlotSpec(sid, str(kind), r.at(line))
    return slots


def _intents(r: _Reader, d: LineDict) -> dict[str, IntentSpec]:
    intents = {}
    for iid, spec in d.items():
        line = d.line_of(iid)
        if not isinstance(spec, LineDict) or not iid.isidentifier():
            r.fail(line, f"intent {short(iid)} must be a mapping with label, keywords and urgency")
            continue
        r.unknown_keys(spec, {"label", "keywords", "urgency", "department", "description"}, f"intent '{iid}'")
        label = r.text(spec.get("label"), spec.line_of("label"), f"intent '{iid}': label")
        keywords = r.words(spec.get("keywords"), spec.line_of("keywords"), f"intent '{iid}': keywords")
        urgency = r.number(spec.get("urgency", 0), spec.line_of("urgency"), f"intent '{iid}': urgency", 0, 10)
        department = spec.get("department")
        if department is not None:
            department = r.text(department, spec.line_of("department"), f"intent '{iid}': department")
        if label and keywords and urgency is not None:
            intents[iid] = IntentSpec(iid, label, keywords, int(urgency), r.at(line), department)
    return intents


def _knowledge(r: _Reader, doc: LineDict) -> Knowledge:
    """The knowledge file named by `knowledge:`, relative to the flow file."""
    value = doc.get("knowledge")
    if value is None:
        return Knowledge()
    line = doc.line_of("knowledge")
    path = _inside(r, value, line, "knowledge")
    if path is None:
        return Knowledge()
    try:
        kdoc = load_yaml(path, MAX_FLOW_BYTES)
    except IvrError as e:
        r.fail(line, f"knowledge: {e}")
        return Knowledge()
    k = _Reader(path)
    k.unknown_keys(kdoc, {"answers", "faults", "default_department"}, "knowledge")
    answers = []
    answers_doc = k.mapping(kdoc, "answers")
    for aid, spec in answers_doc.items():
        if not isinstance(spec, LineDict):
            k.fail(answers_doc.line_of(aid), f"answer {short(aid)} must have keywords and answer")
            continue
        k.unknown_keys(spec, {"keywords", "answer"}, f"answer '{aid}'")
        words = k.words(spec.get("keywords"), spec.line_of("keywords"), f"answer '{aid}': keywords")
        text = k.text(spec.get("answer"), spec.line_of("answer"), f"answer '{aid}': answer")
        if words and text:
            answers.append(Answer(aid, words, text, k.at(answers_doc.line_of(aid))))
    default = k.text(kdoc.get("default_department", "技术支持部"), kdoc.line_of("default_department"), "default")
    faults = []
    faults_doc = k.mapping(kdoc, "faults")
    for fid, spec in faults_doc.items():
        if not isinstance(spec, LineDict):
            k.fail(faults_doc.line_of(fid), f"fault {short(fid)} must have keywords, steps and department")
            continue
        k.unknown_keys(spec, {"keywords", "steps", "department"}, f"fault '{fid}'")
        words = k.words(spec.get("keywords"), spec.line_of("keywords"), f"fault '{fid}': keywords")
        steps = k.words(spec.get("steps"), spec.line_of("steps"), f"fault '{fid}': steps")
        dept = k.text(spec.get("department", default), spec.line_of("department"), f"fault '{fid}': department")
        if words and steps and dept:
            faults.append(Fault(fid, words, steps, dept, k.at(faults_doc.line_of(fid))))
    r.problems += k.problems
    return Knowledge(path, tuple(answers), tuple(faults), default or "技术支持部")


def _inside(r: _Reader, value: Any, line: int, what: str) -> Path | None:
    """A file named relative to the flow, which must lie in the flow's folder or the audio folder."""
    if not isinstance(value, str) or not value or len(value) > 300 or "\x00" in value:
        r.fail(line, f"{what}: must be a file name relative to the flow file")
        return None
    path = (r.path.parent / value).resolve()
    roots = [r.path.parent.resolve(), paths.audio_dir().resolve()]
    if not any(path.is_relative_to(root) for root in roots):
        r.fail(line, f"{what}: {short(value)} lies outside the flow's folder and {paths.audio_dir()}")
        return None
    if not path.is_file():
        r.fail(line, f"{what}: {path} not found")
        return None
    return path


def _prompts(r: _Reader, d: LineDict, slots: dict[str, SlotSpec]) -> dict[str, PromptSpec]:
    known_vars = ENGINE_VARIABLES | {"surname", "title"} | set(slots)
    prompts = {}
    for pid, spec in d.items():
        line = d.line_of(pid)
        if not isinstance(spec, LineDict):
            r.fail(line, f"prompt {short(pid)} must be a mapping with text and rule")
            continue
        r.unknown_keys(spec, _PROMPT_KEYS, f"prompt '{pid}'")
        rule = spec.get("rule")
        if rule not in RULES:
            r.fail(
                spec.line_of("rule"),
                f"prompt '{pid}': 'rule' must be a rule ID, not {short(rule)}{nearest(str(rule), RULES)}",
            )
            continue
        texts = {}
        for key in ("text", "known"):
            if key == "known" and key not in spec:
                continue
            text = r.text(spec.get(key), spec.line_of(key), f"prompt '{pid}': '{key}'")
            if text is None:
                continue
            try:
                fields = placeholders(text)
            except ValueError as e:
                r.fail(spec.line_of(key), f"prompt '{pid}': placeholder {short(str(e))} is not a plain {{name}}")
                continue
            for f in sorted(fields & FORBIDDEN_VARIABLES):
                r.fail(spec.line_of(key), f"prompt '{pid}': {{{f}}} would say the caller's full name (GRT-3)")
            for f in sorted(fields - known_vars - FORBIDDEN_VARIABLES):
                r.fail(
                    spec.line_of(key),
                    f"prompt '{pid}': unknown placeholder {{{short(f)[1:-1]}}}{nearest(f, known_vars)} "
                    f"(known: {', '.join(sorted(known_vars))})",
                )
            texts[key] = text
        if "text" not in texts:
            continue
        recording = None
        if "recording" in spec:
            recording = _inside(r, spec["recording"], spec.line_of("recording"), f"prompt '{pid}': recording")
        prompts[pid] = PromptSpec(pid, texts["text"], rule, r.at(line), recording, texts.get("known"))
    return prompts


def _states(
    r: _Reader,
    d: LineDict,
    prompts: dict[str, PromptSpec],
    waits: dict[str, float],
    slots: dict[str, SlotSpec],
    intents: dict[str, IntentSpec],
) -> dict[str, StateSpec]:
    raw: dict[str, StateSpec] = {}
    for sid, spec in d.items():
        line = d.line_of(sid)
        spec = LineDict.empty(line) if spec is None else spec
        if not isinstance(spec, LineDict):
            r.fail(line, f"state {short(sid)} must be a mapping")
            continue
        if not sid.isidentifier() or len(sid) > 60:
            r.fail(line, f"state {short(sid)}: names are letters, digits and _")
            continue
        what = f"state '{sid}'"
        r.unknown_keys(spec, _STATE_KEYS, what)
        say = r.refs(spec["say"], spec.line_of("say"), what, prompts, "prompt") if "say" in spec else ()
        wait = r.seconds(spec["wait"], spec.line_of("wait"), what, waits) if "wait" in spec else None
        timer = r.seconds(spec["timer"], spec.line_of("timer"), what, waits) if "timer" in spec else None
        hangup = r.flag(spec, "hangup", what, False)
        if hangup and set(spec) & {"on", "say", "wait", "timer", "collect", "answer", "guide", "next_problem"}:
            r.fail(spec.line_of("hangup"), f"{what}: a hang-up state ends the call: no say, wait, timer or on")
        callback = spec.get("callback")
        if callback is not None:
            callback = r.text(callback, spec.line_of("callback"), f"{what}: 'callback' (the reason)")
        rule = spec.get("rule")
        if rule is not None and rule not in RULES:
            r.fail(spec.line_of("rule"), f"{what}: unknown rule ID {short(rule)}{nearest(str(rule), RULES)}")
        answer = None
        if "answer" in spec:
            answer = r.ref(spec["answer"], spec.line_of("answer"), f"{what}: answer", slots, "slot")
        transitions = _transitions(r, sid, spec, intents)
        events = {t.event for t in transitions}
        for needs, key in (("no_input", wait), ("timer", timer)):
            if needs in events and key is None:
                r.fail(
                    spec.line_of("on"),
                    f"{what}: moves on {needs} but sets no '{'wait' if needs == 'no_input' else 'timer'}'",
                )
        raw[sid] = StateSpec(
            sid,
            r.at(line),
            initial=spec.get("initial") is True,
            say=say,
            bargein=r.flag(spec, "bargein", what, True),
            wait=wait,
            timer=timer,
            hangup=hangup,
            callback=callback,
            ticket=_ticket(r, spec, what, slots),
            collect=_collect(r, spec, what, prompts, slots),
            answer=answer,
            guide=_guide(r, spec, what, prompts, slots),
            next_problem=r.flag(spec, "next_problem", what, False),
            hints=r.words(spec["hints"], spec.line_of("hints"), f"{what}: hints") if "hints" in spec else (),
            rule=rule,
            description=str(spec.get("description", ""))[:MAX_TEXT],
            transitions=transitions,
        )
    for state in raw.values():
        for t in state.transitions:
            if t.target not in raw:
                r.fail(
                    t.where.line,
                    f"state '{state.id}': '{t.event}' goes to unknown state {short(t.target)}{nearest(t.target, raw)}",
                )
    return raw


def _collect(
    r: _Reader, spec: LineDict, what: str, prompts: dict[str, PromptSpec], slots: dict[str, SlotSpec]
) -> CollectSpec | None:
    if "collect" not in spec:
        return None
    c = r.mapping(spec, "collect")
    r.unknown_keys(c, {"slot", "ask", "noinput", "nomatch", "confirm", "apology"}, f"{what}: collect")
    slot = r.ref(c.get("slot"), c.line_of("slot"), f"{what}: collect.slot", slots, "slot")
    ask = r.ref(c.get("ask"), c.line_of("ask"), f"{what}: collect.ask", prompts, "prompt")
    noinput = r.refs(c.get("noinput", []), c.line_of("noinput"), f"{what}: collect.noinput", prompts, "prompt")
    nomatch = r.refs(c.get("nomatch", []), c.line_of("nomatch"), f"{what}: collect.nomatch", prompts, "prompt")
    confirm = apology = None
    if "confirm" in c:
        confirm = r.ref(c["confirm"], c.line_of("confirm"), f"{what}: collect.confirm", prompts, "prompt")
    if "apology" in c:
        apology = r.ref(c["apology"], c.line_of("apology"), f"{what}: collect.apology", prompts, "prompt")
    if "wait" not in spec:
        r.fail(c.line, f"{what}: collect needs the state's 'wait' (seconds of silence before a re-ask)")
    if slot is None or ask is None:
        return None
    return CollectSpec(slot, ask, noinput, nomatch, confirm, apology, r.at(c.line))


def _ticket(r: _Reader, spec: LineDict, what: str, slots: dict[str, SlotSpec]) -> TicketSpec | None:
    if "ticket" not in spec:
        return None
    t = r.mapping(spec, "ticket")
    r.unknown_keys(t, {"kind", "department", "fields"}, f"{what}: ticket")
    kind = r.text(t.get("kind"), t.line_of("kind"), f"{what}: ticket.kind")
    department = t.get("department")
    if department is not None:
        department = r.text(department, t.line_of("department"), f"{what}: ticket.department")
    fields = r.refs(t.get("fields", []), t.line_of("fields"), f"{what}: ticket.fields", slots, "slot")
    return TicketSpec(kind, department, fields, r.at(t.line)) if kind else None


def _guide(
    r: _Reader, spec: LineDict, what: str, prompts: dict[str, PromptSpec], slots: dict[str, SlotSpec]
) -> GuideSpec | None:
    if "guide" not in spec:
        return None
    g = r.mapping(spec, "guide")
    r.unknown_keys(g, {"from", "step"}, f"{what}: guide")
    slot = r.ref(g.get("from"), g.line_of("from"), f"{what}: guide.from", slots, "slot")
    step = r.ref(g.get("step"), g.line_of("step"), f"{what}: guide.step", prompts, "prompt")
    if "wait" not in spec:
        r.fail(g.line, f"{what}: guide needs the state's 'wait' (seconds of silence before a step is repeated)")
    return GuideSpec(slot, step, r.at(g.line)) if slot and step else None


def _transitions(r: _Reader, sid: str, spec: LineDict, intents: dict[str, IntentSpec]) -> tuple[TransitionSpec, ...]:
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
            r.fail(
                line,
                f"state '{sid}': unknown event {short(event)}{nearest(event, EVENTS)} (events: {', '.join(EVENTS)})",
            )
            continue
        for item in targets if isinstance(targets, list) else [targets]:
            if isinstance(item, str):
                out.append(TransitionSpec(event, item, r.at(line)))
            elif isinstance(item, LineDict) and isinstance(item.get("target"), str):
                r.unknown_keys(item, _TRANSITION_KEYS, f"state '{sid}' on {event}")
                out.append(_guarded(r, sid, event, item, intents))
            else:
                r.fail(line, f"state '{sid}': '{event}' needs a target state name or {{target: ..., if_...: ...}}")
    return tuple(out)


def _guarded(r: _Reader, sid: str, event: str, item: LineDict, intents: dict[str, IntentSpec]) -> TransitionSpec:
    what = f"state '{sid}'"
    lists: dict[str, tuple[str, ...]] = {}
    for key, needed in _LIST_GUARDS.items():
        if key not in item:
            lists[key] = ()
            continue
        values = r.words(item[key], item.line_of(key), f"{what}: {key}")
        if event != needed:
            r.fail(item.line_of(key), f"{what}: {key} only applies to '{needed}'")
        lists[key] = values
    for hearing in lists["if_hearing"]:
        if hearing not in HEARINGS:
            r.fail(item.line_of("if_hearing"), f"{what}: unknown hearing {short(hearing)}{nearest(hearing, HEARINGS)}")
    for intent in lists["if_intent"]:
        if intent not in intents:
            r.fail(item.line_of("if_intent"), f"{what}: no intent named {short(intent)}{nearest(intent, intents)}")
    for digit in lists["if_digit"]:
        if not set(digit) <= _DIGITS:
            r.fail(item.line_of("if_digit"), f"{what}: if_digit takes keys 0-9 * # A-D, not {short(digit)}")
    flags: dict[str, bool | None] = {}
    for key, needed in _FLAG_GUARDS.items():
        value = item.get(key)
        if value is not None and not isinstance(value, bool):
            r.fail(item.line_of(key), f"{what}: {key} must be true or false")
            value = None
        if value is not None and needed is not None and event != needed:
            r.fail(item.line_of(key), f"{what}: {key} only applies to '{needed}'")
        flags[key] = value
    return TransitionSpec(event, item["target"], r.at(item.line), **lists, **flags)  # type: ignore[arg-type]
