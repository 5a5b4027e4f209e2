"""`ivr flows check`: a flow against the service code, each finding at file:line.

What can be seen without running a call: the mandated scripts word for word and their 5 s waits, the
forbidden wording in any variation, the opening, the silent call, the hang-up scripts said whole, who
hangs up first, how the caller is addressed, confirmation and apology in every collected slot,
reachability.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from ivr.flowlang.model import Flow, Problem, PromptSpec, StateSpec, TransitionSpec, Where
from ivr.flowlang.rules import (
    FORBIDDEN_PHRASES,
    MANDATED_WAIT_S,
    PROFANITY,
    REQUIRED_SCRIPTS,
    SCRIPTED_HANGUP_RULES,
    SCRIPTS,
    fold_wording,
)

_SCRIPTS = "/".join(sorted(SCRIPTED_HANGUP_RULES))
_CONFIRMED_TYPES = {"phone", "digits", "surname", "address"}
_ADDRESS = "{surname}{title}，"
"""GRT-2: how a known caller is addressed; never by full name (GRT-3)."""


def check(flow: Flow) -> list[Problem]:
    """Every way the flow breaks a service-code rule that can be seen without running it."""
    problems = [
        *_wording(flow),
        *_scripts(flow),
        *_opening(flow),
        *_silent_call(flow),
        *_hangups(flow),
        *_addressing(flow),
        *_collecting(flow),
        *_reachability(flow),
    ]
    return sorted(problems, key=lambda p: (str(p.where.file), p.where.line, p.message))


def _texts(flow: Flow) -> Iterator[tuple[Where, str, str]]:
    """Everything the flow can say: (where, what, words)."""
    for p in flow.prompts.values():
        yield p.where, f"prompt '{p.id}'", p.template
        if p.known_template:
            yield p.where, f"prompt '{p.id}' (known)", p.known_template
    for a in flow.knowledge.answers:
        yield a.where, f"answer '{a.id}'", a.text
    for f in flow.knowledge.faults:
        for i, step in enumerate(f.steps, 1):
            yield f.where, f"fault '{f.id}' step {i}", step


def _wording(flow: Flow) -> Iterator[Problem]:
    forbidden = [(p, fold_wording(p)) for p in FORBIDDEN_PHRASES] + [(w, fold_wording(w)) for w in PROFANITY]
    for where, what, text in _texts(flow):
        said = fold_wording(text)
        for phrase, folded in forbidden:
            if folded in said:
                yield Problem(where, f"FORBID-1: {what} says the forbidden «{phrase}»")


def _scripts(flow: Flow) -> Iterator[Problem]:
    """Mandated scripts are said word for word; a flow carrying out SIL-1/HEAR-2/HEAR-3 says all their lines."""
    for p in flow.prompts.values():
        scripts = SCRIPTS.get(p.rule)
        if scripts is not None and p.template not in scripts:
            yield Problem(
                p.where, f"{p.rule}: prompt '{p.id}' must say one of the rule's scripts exactly: «{scripts[0]}»"
            )
        if p.known_template is not None and not p.known_template.startswith(_ADDRESS):
            yield Problem(p.where, f"GRT-2: prompt '{p.id}': a known caller's wording starts «{_ADDRESS}»")
    said = {flow.prompts[pid].template for s in flow.states.values() for pid in s.prompts}
    for rule, lines in REQUIRED_SCRIPTS.items():
        if any(flow.prompts[pid].rule == rule for s in flow.states.values() for pid in s.prompts):
            for line in lines:
                if line not in said:
                    yield Problem(flow.where["states"], f"{rule}: no state says the rule's line «{line}»")


def _said_rules(flow: Flow, state: StateSpec) -> list[str]:
    return [flow.prompts[p].rule for p in state.say]


def _incoming(flow: Flow, target: str) -> list[tuple[StateSpec, TransitionSpec]]:
    return [(s, t) for s in flow.states.values() for t in s.transitions if t.target == target]


def _opening(flow: Flow) -> Iterator[Problem]:
    """ANS-1/ANS-2: every call opens with the greeting, or with the late-answer apology and then it."""
    initial = flow.states[flow.initial]
    firsts = [initial.id] if initial.say else [t.target for t in initial.transitions if t.event == "answered"]
    if not firsts:
        yield Problem(initial.where, "ANS-2: the initial state must say the greeting, or route 'answered' to it")
    for sid in firsts:
        state = flow.states[sid]
        rules = _said_rules(flow, state)
        if rules[:1] == ["ANS-1"]:
            after = [t.target for t in state.transitions if t.event == "prompt_finished"]
            if not after or any(_said_rules(flow, flow.states[a])[:1] != ["ANS-2"] for a in after):
                yield Problem(state.where, f"ANS-1: '{sid}' must go on to the ANS-2 greeting when it finishes")
        elif rules[:1] != ["ANS-2"]:
            yield Problem(state.where, f"ANS-2: the call must open with the greeting, but '{sid}' says {rules}")


def _silent_call(flow: Flow) -> Iterator[Problem]:
    """SIL-1's waits are 5 s of silence after each line; SIL-2: speech at any point leaves the script."""
    for s in flow.states.values():
        rules = _said_rules(flow, s)
        if "SIL-1" in rules or ("ANS-2" in rules and any(t.event == "no_input" for t in s.transitions)):
            if s.wait != MANDATED_WAIT_S:
                yield Problem(
                    s.where, f"SIL-1: state '{s.id}' must wait {MANDATED_WAIT_S:g} s of silence, not {s.wait}"
                )
            if not any(t.event == "speech_started" for t in s.transitions):
                yield Problem(s.where, f"SIL-2: state '{s.id}' runs the silent-call script but ignores speech_started")


def _is_hangup_script(flow: Flow, s: StateSpec) -> bool:
    """A state whose last words are a script the IVR hangs up after (HEAR-2's/HEAR-3's last line)."""
    rules = _said_rules(flow, s)
    return (
        bool(rules) and rules[-1] in ("HEAR-2", "HEAR-3") and any(flow.states[t.target].hangup for t in s.transitions)
    )


def _hangups(flow: Flow) -> Iterator[Problem]:
    """CLOSE-1: the IVR hangs up first only 5 s after a whole SIL-1/HEAR-2/HEAR-3 script (or CLOSE-1's goodbye)."""
    for s in flow.states.values():
        if _is_hangup_script(flow, s):
            if s.bargein:
                yield Problem(
                    s.where, f"{_said_rules(flow, s)[-1]}: state '{s.id}' must say its script whole: bargein: false"
                )
            if s.timer != MANDATED_WAIT_S:
                yield Problem(
                    s.where, f"{_said_rules(flow, s)[-1]}: state '{s.id}' must hang up 5 s after the script: timer: 5"
                )
        if not s.hangup:
            continue
        if s.rule not in SCRIPTED_HANGUP_RULES:
            yield Problem(s.where, f"CLOSE-1: state '{s.id}' hangs up first outside {_SCRIPTS} (rule: {s.rule})")
        for source, t in _incoming(flow, s.id):
            said = _said_rules(flow, source)
            if t.event not in ("no_input", "timer") or not said or said[-1] not in SCRIPTED_HANGUP_RULES:
                yield Problem(
                    t.where, f"CLOSE-1: '{source.id}' hangs up on {t.event} without a {_SCRIPTS} script and a wait"
                )


def _addressing(flow: Flow) -> Iterator[Problem]:
    """GRT-2: words naming the caller only for a known caller, and a known caller's name never ignored."""
    for s in flow.states.values():
        named = [p for p in s.prompts if flow.prompts[p].needs_caller]
        if not named:
            continue
        for source, t in _incoming(flow, s.id):
            if t.if_known is not True:
                yield Problem(
                    t.where, f"GRT-2: '{source.id}' can reach '{s.id}', which names the caller, without if_known"
                )
    for s in flow.states.values():
        for t in s.transitions:
            target = flow.states[t.target]
            if "GRT-1" not in _said_rules(flow, target) or t.if_known is not None:
                continue
            siblings = [u for u in s.transitions if u.event == t.event and u.if_known is True]
            if not any("GRT-2" in _said_rules(flow, flow.states[u.target]) for u in siblings):
                yield Problem(t.where, f"GRT-2: '{s.id}' replies to a greeting without addressing a known caller first")


def _collecting(flow: Flow) -> Iterator[Problem]:
    """CONF-1: important values are read back; APOL-1: a correction is apologised for; UNSURE-1: no endless loop."""
    for s in flow.states.values():
        c = s.collect
        if c is None:
            continue
        kind = flow.slots[c.slot].type
        if kind in _CONFIRMED_TYPES and c.confirm is None:
            yield Problem(c.where, f"CONF-1: state '{s.id}' collects {kind} '{c.slot}' without a read-back (confirm)")
        if c.confirm is not None:
            if c.apology is None or flow.prompts[c.apology].rule != "APOL-1":
                yield Problem(c.where, f"APOL-1: state '{s.id}' confirms '{c.slot}' but has no APOL-1 apology")
            if not {"{value}", "{" + c.slot + "}"} & _fields(flow.prompts[c.confirm]):
                yield Problem(c.where, f"CONF-1: confirm prompt '{c.confirm}' does not read the value back")
        if not any(t.event == "give_up" for t in s.transitions):
            yield Problem(
                c.where, f"UNSURE-1: state '{s.id}' does not say what happens after the last re-ask (give_up)"
            )
        if not any(t.event == "filled" for t in s.transitions):
            yield Problem(c.where, f"state '{s.id}' collects '{c.slot}' but never moves on when it is filled")


def _fields(p: PromptSpec) -> set[str]:
    return {"{" + f + "}" for f in p.fields}


def _reachability(flow: Flow) -> Iterator[Problem]:
    """Every state can be reached from the initial one, and every prompt is said by some state."""
    seen = {flow.initial}
    todo = deque([flow.initial])
    while todo:
        for t in flow.states[todo.popleft()].transitions:
            if t.target not in seen:
                seen.add(t.target)
                todo.append(t.target)
    for s in flow.states.values():
        if s.id not in seen:
            yield Problem(s.where, f"state '{s.id}' can never be reached from '{flow.initial}'")
    used = {p for s in flow.states.values() for p in s.prompts}
    for p in flow.prompts.values():
        if p.id not in used:
            yield Problem(p.where, f"prompt '{p.id}' is never said by any state")
