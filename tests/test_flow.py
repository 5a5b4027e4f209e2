"""Flows are data: validated on load, every problem at file:line, nothing unbounded echoed back."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from ivr.errors import IvrError
from ivr.flowlang.compile import compile_flow, said_guard
from ivr.flowlang.compliance import check
from ivr.flowlang.load import find_flow, load_flow
from ivr.flowlang.model import FlowError
from ivr.paths import ROOT

HOTLINE = (ROOT / "flows" / "hotline.yaml").read_text(encoding="utf-8")


def edited(tmp_path: Path, text: str) -> Path:
    """The hotline flow with an edit, beside a copy of its knowledge file."""
    shutil.copytree(ROOT / "flows" / "knowledge", tmp_path / "knowledge", dirs_exist_ok=True)
    path = tmp_path / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def state_line(text: str, sid: str) -> int:
    """The line where a state is defined (states come after prompts, so the last `  sid:` line)."""
    return max(i for i, line in enumerate(text.splitlines(), 1) if line == f"  {sid}:")


def problems(path: Path) -> list[str]:
    with pytest.raises(FlowError) as e:
        load_flow(path)
    return [str(p) for p in e.value.problems]


@pytest.mark.rules("SIL-1", "SIL-2", "ANS-2")
def test_hotline_flow_loads_compiles_and_passes_the_service_code() -> None:
    """SIL-1: the design card's silent call by default: greeting, 5 s, re-greet, 5 s, apology, 5 s, hang up."""
    flow = load_flow(ROOT / "flows" / "hotline.yaml")
    assert flow.initial == "answer"
    assert flow.text("greeting") == "您好，软件事业部12号，客服代表王芳很高兴为您服务，请问有什么可以帮助您！"
    assert flow.states["silent_goodbye"].wait == 5.0
    machine = compile_flow(flow)()
    machine.send("answered", late=False)
    assert machine.configuration_values == {"greeting"}
    machine.send("no_input")
    assert machine.configuration_values == {"silent_again"}
    machine.send("speech_started")  # SIL-2
    assert machine.configuration_values == {"listening"}
    assert check(flow) == []
    assert len(flow.knowledge.answers) >= 3 and len(flow.knowledge.faults) >= 2


def test_the_four_prompt_silent_call_is_a_documented_option(tmp_path: Path) -> None:
    """SIL-1: the flow file shows how to say all three of SIL-1's lines after the greeting."""
    text = HOTLINE.replace("      no_input: silent_again      # SIL-1", "      no_input: silent_hello      # SIL-1")
    text = text.replace(
        "  # The four-prompt reading",
        "  silent_hello:\n    say: silent_hello\n    wait: silence\n"
        "    on: {speech_started: listening, no_input: silent_again}\n  # The four-prompt reading",
    )
    text = text.replace(
        "  silent_again:\n    rule: SIL-1",
        "  silent_hello:\n    rule: SIL-1\n    text: 您好！请问有什么可以帮助您？\n  silent_again:\n    rule: SIL-1",
    )
    assert "#     say: silent_hello          # a prompt {rule: SIL-1, text: 您好！请问有什么可以帮助您？}" in HOTLINE
    flow = load_flow(edited(tmp_path, text))
    assert check(flow) == []
    machine = compile_flow(flow)()
    machine.send("answered", late=False)
    machine.send("no_input")
    assert machine.configuration_values == {"silent_hello"}


def test_operations_edit_agent_and_wait_without_code(tmp_path: Path) -> None:
    text = HOTLINE.replace('id: "12"', 'id: "07"').replace("name: 王芳", "name: 李明").replace("reply: 8 ", "reply: 6 ")
    flow = load_flow(edited(tmp_path, text))
    assert flow.text("greeting").startswith("您好，软件事业部07号，客服代表李明很高兴为您服务")
    assert flow.states["repair_phone"].wait == 6.0


def test_unknown_target_is_reported_at_its_line_with_the_nearest_name(tmp_path: Path) -> None:
    text = HOTLINE.replace("no_input: silent_goodbye}", "no_input: silent_goodby}")
    path = edited(tmp_path, text)
    line = line_of(text, "no_input: silent_goodby}")
    assert (
        f"{path}:{line}: state 'silent_again': 'no_input' goes to unknown state 'silent_goodby' "
        "(did you mean 'silent_goodbye'?)" in problems(path)
    )


def test_unknown_prompt_event_key_and_placeholder(tmp_path: Path) -> None:
    text = (
        HOTLINE.replace("say: silent_again", "say: silent_agian")
        .replace("speech_started: listening   # SIL-2", "speech_begun: listening")
        .replace("客服代表{agent_name}", "客服代表{agent_nam}")
        .replace(
            "    bargein: false\n    timer: before_hangup\n    on: {timer: quiet_hangup}",
            "    bargin: false\n    timer: before_hangup\n    on: {timer: quiet_hangup}",
            1,
        )
    )
    path = edited(tmp_path, text)
    found = problems(path)
    assert (
        f"{path}:{line_of(text, 'say: silent_agian')}: state 'silent_again': "
        "no prompt named 'silent_agian' (did you mean 'silent_again'?)" in found
    )
    assert any(
        p.startswith(
            f"{path}:{line_of(text, 'speech_begun')}: state 'greeting': unknown event 'speech_begun' (did you mean"
        )
        for p in found
    )
    assert any(
        f":{line_of(text, '客服代表{agent_nam}很')}: prompt 'greeting': "
        "unknown placeholder {agent_nam} (did you mean 'agent_name'?)" in p
        for p in found
    )
    assert any(
        f":{line_of(text, 'bargin: false')}: state 'quiet_other_phone': unknown key 'bargin' (did you mean 'bargein'?)"
        in p
        for p in found
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("silence: 5 ", "silence: -5 ", "waits.silence must be a number from 0.5 to 600, not -5"),
        ("silence: 5 ", "silence: .nan ", "waits.silence must be a number from 0.5 to 600, not nan"),
        ("silence: 5 ", "silence: 0.000001 ", "waits.silence must be a number from 0.5 to 600, not 1e-06"),
        ("noisy_snr_db: ", "noisy_snr_db: .inf  #", "hearing.noisy_snr_db must be a number from 0 to 40, not inf"),
        ("quiet_level_db: ", "quiet_level_db: -4000  #", "hearing.quiet_level_db must be a number from -70 to -10"),
        (
            "客服代表{agent_name}很",
            "客服代表{agent_name:>100000000}很",
            "placeholder '{agent_name:>100000000}' is not a plain {name}",
        ),
        (
            '    text: "{surname}{title}，请问',
            '    text: "{name}{title}，请问',
            "{name} would say the caller's full name (GRT-3)",
        ),
        ("max_call_s: 1800 ", "max_call_s: 1e300 ", "limits.max_call_s must be a number from 30 to 86400"),
        ('  id: "12"', "  id:", "agent: 'id' must be set, at most 20 characters (ANS-2)"),
    ],
)
@pytest.mark.rules("GRT-3", "ANS-2")
def test_numbers_placeholders_and_names_are_refused_with_a_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """A flow that would break a call (NaN or microsecond waits, format specs, full names) never loads."""
    assert old in HOTLINE
    text = HOTLINE.replace(old, new, 1)
    path = edited(tmp_path, text)
    line = line_of(text, new.strip())
    assert any(p.startswith(f"{path}:") and message in p for p in problems(path)), problems(path)
    assert any(f"{path}:{line}:" in p for p in problems(path))


def test_a_recording_outside_the_flow_folders_is_refused(tmp_path: Path) -> None:
    text = HOTLINE.replace(
        "    text: 对不起，让您久等了。", "    text: 对不起，让您久等了。\n    recording: /etc/passwd"
    )
    path = edited(tmp_path, text)
    assert any("recording: '/etc/passwd' lies outside the flow's folder" in p for p in problems(path))


def test_a_huge_value_is_never_echoed_whole(tmp_path: Path) -> None:
    bomb = "\n".join(
        ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]" for i in range(8)]
        + ["flow: *i"]
    )
    path = edited(tmp_path, bomb)
    with pytest.raises(IvrError, match="more than 200000 YAML nodes once aliases are expanded"):
        load_flow(path)
    long = HOTLINE.replace("name: 王芳", "name: " + "王" * 100_000)
    found = problems(edited(tmp_path, long))
    assert all(len(p) < 400 for p in found)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = edited(tmp_path, "flow: x\nstates:\n  a: [unclosed\n")
    with pytest.raises(IvrError, match=r"edited\.yaml:\d+: invalid YAML"):
        load_flow(path)


def test_find_flow_errors_name_the_flag(tmp_path: Path) -> None:
    with pytest.raises(IvrError, match=r"--flow: no flow named 'hotlin' .*\(did you mean 'hotline'\?\)"):
        find_flow("hotlin", ROOT / "flows")
    with pytest.raises(IvrError, match=r"--flow: .*missing\.yaml: no such flow file"):
        find_flow(str(tmp_path / "missing.yaml"), ROOT / "flows")


def test_said_guard_matches_spaced_words() -> None:
    guard = said_guard(("您好",))
    assert guard(text="您 好 我 想 报修")
    assert not guard(text="我 想 报修")


def test_conversation_vocabulary_is_validated(tmp_path: Path) -> None:
    """Slots with types, re-asks as different wordings, intents and knowledge: all checked at file:line."""
    text = (
        HOTLINE.replace("  phone: phone ", "  phone: telephone ")
        .replace(
            "nomatch: [ask_phone_unclear, ask_phone_unclear_2]", "nomatch: [ask_phone_unclear, ask_phone_unclear]", 1
        )
        .replace("- {if_intent: repair, target: repair_describe}", "- {if_intent: repiar, target: repair_describe}")
    )
    path = edited(tmp_path, text)
    found = problems(path)
    assert any(
        f":{line_of(text, 'phone: telephone')}: slot 'phone': type must be one of phone, digits" in p for p in found
    )
    assert any(
        f":{line_of(text, 'nomatch: [ask_phone_unclear, ask_phone_unclear]')}: state 'repair_phone': collect.nomatch: "
        "each re-ask must be a different wording" in p
        for p in found
    )
    assert any(
        f":{line_of(text, 'if_intent: repiar')}: state 'next_problem': "
        "no intent named 'repiar' (did you mean 'repair'?)" in p
        for p in found
    )


def _specs(group: Any) -> list[tuple[Any, ...]]:
    return [(getattr(c.func, "__name__", c.func), c.is_convention, type(c).__name__) for c in group]


def _callbacks(t: Any) -> list[list[tuple[Any, ...]]]:
    return [_specs(g) for g in (t.validators, t.cond, t.before, t.on, t.after)]


def _machine(cls: Any) -> dict[str, Any]:
    """Everything a compiled flow's class says about its states and transitions, in order."""
    return {
        "settings": (cls.catch_errors_as_events, cls.validate_final_reachability, cls.__name__),
        "states": [(s.id, s.name, s.initial, s.final, _specs(s.enter), _specs(s.exit)) for s in cls.states],
        "transitions": [
            (t.source.id, [x.id for x in t.targets], list(t.events), bool(t.internal), bool(t.initial), _callbacks(t))
            for s in cls.states
            for t in s.transitions
        ],
        "events": [(e.id, e.name) for e in cls.events],
    }


@pytest.mark.parametrize("path", [ROOT / "flows" / "hotline.yaml", ROOT / "benchmarks" / "live_flow.yaml"])
def test_the_compiled_machine_is_the_one_the_librarys_dict_factory_builds(path: Path) -> None:
    """compile_flow declares the class itself (statemachine.io, which has the factory, costs 16 ms to import)."""
    from statemachine.io import create_machine_class_from_definition

    from ivr.flowlang.compile import CALLER_HUNG_UP, LINE_ENDED_EVENT, _enter_action, transition_guard

    flow = load_flow(path)
    states: dict[str, Any] = {}
    for s in flow.states.values():
        on: dict[str, list[dict[str, Any]]] = {}
        for t in s.transitions:
            on.setdefault(t.event, []).append(
                {"target": t.target, **({"cond": transition_guard(t)} if t.guarded else {})}
            )
        if not s.hangup:
            on[LINE_ENDED_EVENT] = [{"target": CALLER_HUNG_UP}]
        states[s.id] = {"initial": s.initial, "final": s.hangup, "on": on, "enter": [_enter_action(s)]}
    states[CALLER_HUNG_UP] = {"final": True}
    name = "".join(part.title() for part in flow.name.split("_")) + "Flow"
    factory = create_machine_class_from_definition(
        name, states=states, catch_errors_as_events=False, validate_final_reachability=False
    )
    assert _machine(compile_flow(flow)) == _machine(factory)
