"""Compiles a Flow into a python-statemachine StateChart class."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from statemachine import StateChart
from statemachine.exceptions import InvalidDefinition
from statemachine.io import create_machine_class_from_definition

from ivr.adapters.directory import Caller
from ivr.flowlang.flow import Flow, FlowError, Problem, TransitionSpec

CALLER_HUNG_UP = "caller_hung_up"
"""The final state every flow gets: the caller hung up (CLOSE-1)."""
CALLER_HANGUP_EVENT = "caller_hangup"

_NOT_WORDS = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_words(text: str) -> str:
    """Text without spaces or punctuation, for matching Vosk's spaced words to flow phrases."""
    return _NOT_WORDS.sub("", text).lower()


def said_guard(phrases: tuple[str, ...]) -> Callable[..., bool]:
    """A transition condition: the transcript contains any of the phrases."""
    wanted = [normalise_words(p) for p in phrases]

    def guard(text: str = "", **_: Any) -> bool:
        heard = normalise_words(text)
        return any(w in heard for w in wanted)

    return guard


def transition_guard(t: TransitionSpec) -> Callable[..., bool]:
    """All of a transition's if_ conditions, evaluated on the event's arguments and the caller."""
    said = said_guard(t.if_said) if t.if_said else None

    def guard(text: str = "", hearing: str = "", caller: Caller | None = None, late: bool = False, **_: Any) -> bool:
        if said is not None and not said(text=text):
            return False
        if t.if_late is not None and late != t.if_late:
            return False
        if t.if_hearing and hearing not in t.if_hearing:
            return False
        if t.if_known is not None and (caller is not None) != t.if_known:
            return False
        return t.if_vip is None or (caller is not None and caller.vip) == t.if_vip

    return guard


def compile_flow(flow: Flow) -> type[StateChart]:
    """One StateChart class per flow; the engine drives it through a listener."""
    if CALLER_HUNG_UP in flow.states:
        raise FlowError([Problem(flow.states[CALLER_HUNG_UP].where, f"'{CALLER_HUNG_UP}' is reserved")])
    states: dict[str, Any] = {}
    for s in flow.states.values():
        on: dict[str, list[dict[str, Any]]] = {}
        for t in s.transitions:
            entry: dict[str, Any] = {"target": t.target}
            if t.guarded:
                entry["cond"] = transition_guard(t)
            on.setdefault(t.event, []).append(entry)
        if not s.hangup:
            on[CALLER_HANGUP_EVENT] = [{"target": CALLER_HUNG_UP}]
        states[s.id] = {"initial": s.initial, "final": s.hangup, "on": on}
    states[CALLER_HUNG_UP] = {"final": True}
    class_name = "".join(part.title() for part in flow.name.split("_")) + "Flow"
    try:
        return create_machine_class_from_definition(class_name, states=states, catch_errors_as_events=False)
    except InvalidDefinition as e:
        raise FlowError([Problem(flow.where["flow"], f"not a valid state machine: {e}")]) from None


def render_graph(flow: Flow, fmt: str) -> str:
    """The flow's diagram as mermaid, dot or a markdown transition table."""
    from statemachine.contrib.diagram.formatter import formatter

    return formatter.render(compile_flow(flow), fmt)
