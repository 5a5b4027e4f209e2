"""Diagrams of a flow: each state with what it does, each transition with its condition, as Mermaid or Graphviz dot.

A state shows its prompts (ids, or `--words`), waits, timers and rule IDs; hang-up states and states that
register a call-back or open a ticket are marked; the edges every state has to `caller_hung_up` are folded
into one note.
"""

from __future__ import annotations

from dataclasses import replace

from ivr.flowlang.compile import CALLER_HUNG_UP, describe_state
from ivr.flowlang.model import Flow, StateSpec, TransitionSpec

_CUT = 28


class _Keep(dict[str, str]):
    """The agent's details filled in; every other placeholder left as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _said(flow: Flow, state: StateSpec, words: bool) -> list[str]:
    out = []
    for pid in state.say:
        p = flow.prompts[pid]
        said = p.template.format_map(_Keep(flow.agent))
        text = said if len(said) <= _CUT else said[: _CUT - 1] + "…"
        out.append(f"«{text}» ({p.rule})" if words else f"{pid} ({p.rule})")
    return out


def state_lines(flow: Flow, state: StateSpec, words: bool) -> list[str]:
    """What a state box says, line by line."""
    lines = _said(flow, state, words)
    rest = describe_state(replace(state, say=())) if not state.hangup else ""
    if rest and rest != "listen":
        lines.append(rest)
    if state.hangup:
        lines.append(f"hang up ({state.rule})")
    elif state.rule:
        lines.append(f"rule {state.rule}")
    return lines


def edge_label(t: TransitionSpec) -> str:
    conditions = " + ".join(t.conditions)
    return f"{t.event} [{conditions}]" if conditions else t.event


def _kind(state: StateSpec) -> str:
    if state.hangup:
        return "hangup"
    if state.callback or state.ticket:
        return "record"
    return "plain"


def mermaid(flow: Flow, words: bool = False) -> str:
    out = ["stateDiagram-v2", f"    %% {flow.name}: {len(flow.states)} states"]
    out.append(f"    [*] --> {flow.initial}")
    for s in flow.states.values():
        body = "<br/>".join(line.replace('"', "'") for line in state_lines(flow, s, words))
        out.append(f'    state "{s.id}<br/>{body}" as {s.id}')
    for s in flow.states.values():
        for t in s.transitions:
            out.append(f"    {s.id} --> {t.target}: {edge_label(t).replace(':', ' ')}")
        if s.hangup:
            out.append(f"    {s.id} --> [*]")
    out.append(f"    {CALLER_HUNG_UP} --> [*]")
    out.append(
        f"    note right of {CALLER_HUNG_UP}: from every state but the hang-ups, when the line ends the call (CLOSE-1)"
    )
    for s in flow.states.values():
        if _kind(s) != "plain":
            out.append(f"    class {s.id} {_kind(s)}")
    out.append("    classDef hangup fill:#f8d7da,stroke:#a00")
    out.append("    classDef record fill:#fff3cd,stroke:#a60")
    return "\n".join(out)


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(flow: Flow, words: bool = False) -> str:
    fills = {"hangup": "#f8d7da", "record": "#fff3cd", "plain": "#ffffff"}
    out = [
        f'digraph "{flow.name}" {{',
        '  rankdir=TB; node [shape=box, style="rounded,filled", fontname="WenQuanYi Micro Hei", fontsize=10];',
        '  edge [fontname="WenQuanYi Micro Hei", fontsize=9];',
        '  start [shape=point, width=0.15, label=""];',
        f"  start -> {flow.initial};",
    ]
    for s in flow.states.values():
        label = "\\n".join([f"{s.id}", *(_dot_text(line) for line in state_lines(flow, s, words))])
        shape = ", peripheries=2" if s.hangup else ""
        out.append(f'  {s.id} [label="{label}", fillcolor="{fills[_kind(s)]}"{shape}];')
    for s in flow.states.values():
        for t in s.transitions:
            out.append(f'  {s.id} -> {t.target} [label="{_dot_text(edge_label(t))}"];')
    out.append(
        f'  {CALLER_HUNG_UP} [shape=note, label="{CALLER_HUNG_UP}\\nfrom every state but the hang-ups,\\n'
        'when the line ends the call (CLOSE-1)", fillcolor="#e2e3e5"];'
    )
    out.append("}")
    return "\n".join(out)
