"""`ivr flows check`: a flow against the service code, each finding at file:line."""

from __future__ import annotations

from ivr.flowlang.compile import normalise_words
from ivr.flowlang.flow import Flow, Problem, TransitionSpec, Where
from ivr.flowlang.rules import FORBIDDEN_PHRASES, SCRIPTED_HANGUP_RULES

_SCRIPTS = "/".join(sorted(SCRIPTED_HANGUP_RULES))


def check(flow: Flow) -> list[Problem]:
    """Every way the flow breaks a service-code rule that can be seen without running it."""
    problems: list[Problem] = []

    def add(where: Where, message: str) -> None:
        problems.append(Problem(where, message))

    for prompt in flow.prompts.values():
        words = normalise_words(prompt.template)
        for phrase in FORBIDDEN_PHRASES:
            if normalise_words(phrase) in words:
                add(prompt.where, f"FORBID-1: prompt '{prompt.id}' says the forbidden «{phrase}»")

    for where, message in _opening_problems(flow):
        add(where, message)

    for state in flow.states.values():
        prompt = flow.prompts.get(state.say or "")
        listens = any(t.event == "speech_started" for t in state.transitions)
        if prompt is not None and prompt.rule == "SIL-1" and not listens:
            add(state.where, f"SIL-2: state '{state.id}' runs the silent-call script but ignores speech_started")
        if not state.hangup:
            continue
        if state.rule not in SCRIPTED_HANGUP_RULES:
            add(state.where, f"CLOSE-1: state '{state.id}' hangs up first outside {_SCRIPTS} (rule: {state.rule})")
        for source_id, t in _incoming_transitions(flow, state.id):
            said = flow.prompts.get(flow.states[source_id].say or "")
            if t.event != "no_input" or said is None or said.rule not in SCRIPTED_HANGUP_RULES:
                add(t.where, f"CLOSE-1: '{source_id}' hangs up on {t.event} without a {_SCRIPTS} script and a wait")

    for state in flow.states.values():
        prompt = flow.prompts.get(state.say or "")
        if prompt is None or not prompt.needs_caller:
            continue
        for source_id, t in _incoming_transitions(flow, state.id):
            if t.if_known is not True and t.if_vip is not True:
                add(t.where, f"GRT-2: '{source_id}' can reach '{state.id}', which names the caller, without if_known")

    used = {s.say for s in flow.states.values()}
    for prompt in flow.prompts.values():
        if prompt.id not in used:
            add(prompt.where, f"prompt '{prompt.id}' is never said by any state")
    return problems


def _incoming_transitions(flow: Flow, target: str) -> list[tuple[str, TransitionSpec]]:
    return [(s.id, t) for s in flow.states.values() for t in s.transitions if t.target == target]


def _said(flow: Flow, state_id: str) -> str | None:
    prompt = flow.prompts.get(flow.states[state_id].say or "")
    return prompt.rule if prompt else None


def _opening_problems(flow: Flow) -> list[tuple[Where, str]]:
    """ANS-1/ANS-2: every call opens with the greeting, or with the late-answer apology and then it."""
    initial = flow.states[flow.initial]
    firsts = [initial.id] if initial.say else [t.target for t in initial.transitions if t.event == "answered"]
    if not firsts:
        return [(initial.where, "ANS-2: the initial state must say the greeting, or route 'answered' to it")]
    problems = []
    for sid in firsts:
        state = flow.states[sid]
        rule = _said(flow, sid)
        if rule == "ANS-1":
            after = [t.target for t in state.transitions if t.event == "prompt_finished"]
            if not after or any(_said(flow, a) != "ANS-2" for a in after):
                problems.append((state.where, f"ANS-1: '{sid}' must go on to the ANS-2 greeting when it finishes"))
        elif rule != "ANS-2":
            problems.append((state.where, f"ANS-2: the call must open with the greeting, but '{sid}' says {rule}"))
    for prompt in flow.prompts.values():
        if prompt.rule == "ANS-2" and not all(f in prompt.template for f in ("{agent_id}", "{agent_name}")):
            problems.append((prompt.where, "ANS-2: the greeting must give {agent_id} and {agent_name}"))
    return problems
