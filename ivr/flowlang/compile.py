"""Compiles a Flow into a python-statemachine StateChart class whose states carry their actions.

Each state's `enter` action is one callable named for what it does (`say greeting, wait 5 s`), so the
machine alone says what a state does and its diagrams show it; the action hands the state to the
machine's model (the call), which carries it out with the engine's vocabulary. Each guard is named
for its condition (`noisy + VIP`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from statemachine import State, StateChart
from statemachine.exceptions import InvalidDefinition

from ivr.flowlang.model import Flow, FlowError, Problem, StateSpec, TransitionSpec

CALLER_HUNG_UP = "caller_hung_up"
"""The final state every flow gets: the line ended the call (CLOSE-1: the caller hung up first)."""
LINE_ENDED_EVENT = "line_ended"

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


def describe_state(state: StateSpec, seconds: Callable[[float], str] = lambda s: f"{s:g} s") -> str:
    """What entering the state does, in a few words: `say greeting (no barge-in), timer 5 s, hang up`."""
    parts = []
    if state.callback:
        parts.append(f"call-back: {state.callback}")
    if state.ticket:
        parts.append(f"ticket: {state.ticket.kind}")
    if state.say:
        parts.append("say " + " + ".join(state.say) + ("" if state.bargein else " (no barge-in)"))
    if state.collect:
        c = state.collect
        parts.append(f"collect {c.slot}" + (", confirm" if c.confirm else ""))
    if state.answer:
        parts.append(f"answer {state.answer} from knowledge")
    if state.guide:
        parts.append("guide through fault steps")
    if state.next_problem:
        parts.append("next problem")
    if state.wait is not None:
        parts.append(f"wait {seconds(state.wait)} of silence")
    if state.timer is not None:
        parts.append(f"timer {seconds(state.timer)}")
    if state.hangup:
        parts.append(f"hang up ({state.rule})")
    return ", ".join(parts) or "listen"


def _enter_action(state: StateSpec) -> Callable[..., None]:
    def enter(*_: Any, machine: Any, **__: Any) -> None:
        run = getattr(machine.model, "enter_state", None)  # a bare machine (tests, walking the flow) has none
        if run is not None:
            run(state)

    enter.__name__ = describe_state(state)
    return enter


def transition_guard(t: TransitionSpec) -> Callable[..., bool]:
    """All of a transition's if_ conditions, evaluated on the event's arguments and the call."""
    said = said_guard(t.if_said) if t.if_said else None

    def guard(
        *_: Any,
        machine: Any = None,
        text: str = "",
        hearing: str = "",
        intent: str = "",
        digit: str = "",
        late: bool = False,
        several: bool = False,
        **__: Any,
    ) -> bool:
        call = machine.model if machine is not None else None
        if said is not None and not said(text=text):
            return False
        if t.if_hearing and hearing not in t.if_hearing:
            return False
        if t.if_intent and intent not in t.if_intent:
            return False
        if t.if_digit and digit not in t.if_digit:
            return False
        if t.if_late is not None and late != t.if_late:
            return False
        if t.if_several is not None and several != t.if_several:
            return False
        if t.if_known is not None and bool(call is not None and call.known) != t.if_known:
            return False
        return t.if_vip is None or bool(call is not None and call.vip) == t.if_vip

    guard.__name__ = " + ".join(t.conditions)
    return guard


def compile_flow(flow: Flow) -> type[StateChart]:
    """One StateChart class per flow; each call instantiates it with itself as the model."""
    if CALLER_HUNG_UP in flow.states:
        raise FlowError([Problem(flow.states[CALLER_HUNG_UP].where, f"'{CALLER_HUNG_UP}' is reserved")])
    states = {s.id: State(initial=s.initial, final=s.hangup, enter=[_enter_action(s)]) for s in flow.states.values()}
    states[CALLER_HUNG_UP] = State(final=True)
    events: dict[str, Any] = {}
    for s in flow.states.values():
        on: dict[str, list[Any]] = {}  # a state's transitions grouped by event, each group in the flow's order
        for t in s.transitions:
            on.setdefault(t.event, []).append((states[t.target], transition_guard(t) if t.guarded else None))
        if not s.hangup:
            on[LINE_ENDED_EVENT] = [(states[CALLER_HUNG_UP], None)]
        for event, targets in on.items():
            for target, cond in targets:
                transition = states[s.id].to(target, event=event, cond=cond)
                events[event] = events[event] | transition if event in events else transition
    class_name = "".join(part.title() for part in flow.name.split("_")) + "Flow"
    attrs = {"catch_errors_as_events": False, "validate_final_reachability": False, **states, **events}
    try:
        return type(StateChart)(class_name, (StateChart,), attrs)  # type: ignore[no-any-return]
    except InvalidDefinition as e:
        raise FlowError([Problem(flow.where["flow"], f"not a valid state machine: {str(e)[:200]}")]) from None
