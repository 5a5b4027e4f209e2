"""`ivr flows check`: a flow against the service code, each finding at file:line."""

from __future__ import annotations

from ivr.flow import Flow, Problem, Where
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

    incoming: dict[str, list[tuple[str, str]]] = {}
    for state in flow.states.values():
        for t in state.transitions:
            incoming.setdefault(t.target, []).append((state.id, t.event))
    for state in flow.states.values():
        prompt = flow.prompts.get(state.say or "")
        listens = any(t.event == "speech_started" for t in state.transitions)
        if prompt is not None and prompt.rule == "SIL-1" and not listens:
            add(state.where, f"SIL-2: state '{state.id}' runs the silent-call script but ignores speech_started")
        if not state.hangup:
            continue
        if state.rule not in SCRIPTED_HANGUP_RULES:
            add(state.where, f"CLOSE-1: state '{state.id}' hangs up first outside {_SCRIPTS} (rule: {state.rule})")
        for source_id, event in incoming.get(state.id, []):
            source = flow.states[source_id]
            said = flow.prompts.get(source.say or "")
            if event != "no_input" or said is None or said.rule not in SCRIPTED_HANGUP_RULES:
                add(source.where, f"CLOSE-1: '{source_id}' hangs up on {event} without a {_SCRIPTS} script and a wait")

    used = {s.say for s in flow.states.values()}
    for prompt in flow.prompts.values():
        if prompt.id not in used:
            add(prompt.where, f"prompt '{prompt.id}' is never said by any state")
    return problems
