"""`ivr flows check`: a flow against the service code, each finding at file:line."""

from __future__ import annotations

from ivr.flow import Flow, Problem, TransitionSpec, Where
from ivr.machine import normalise_words
from ivr.rules import FORBIDDEN_PHRASES, SCRIPTED_HANGUP_RULES

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

    initial = flow.states[flow.initial]
    opening = flow.prompts.get(initial.say or "")
    if opening is None or opening.rule != "ANS-2":
        add(initial.where, "ANS-2: the initial state must say the ANS-2 greeting first")
    elif not all(f in opening.template for f in ("{agent_id}", "{agent_name}")):
        add(opening.where, "ANS-2: the greeting must give {agent_id} and {agent_name} from the agent settings")

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
