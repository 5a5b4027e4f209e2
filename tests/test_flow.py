"""Flows are data: validated on load, every problem at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import IvrError
from ivr.flowlang.compile import compile_flow, said_guard
from ivr.flowlang.compliance import check
from ivr.flowlang.flow import FlowError, find_flow, load_flow
from ivr.paths import ROOT

HOTLINE = (ROOT / "flows" / "hotline.yaml").read_text(encoding="utf-8")


def _flow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _problems(path: Path) -> list[str]:
    with pytest.raises(FlowError) as e:
        load_flow(path)
    return [str(p) for p in e.value.problems]


def test_hotline_flow_loads_and_compiles() -> None:
    flow = load_flow(ROOT / "flows" / "hotline.yaml")
    assert flow.initial == "answer"
    assert flow.text("greeting") == "您好，软件事业部12号，客服代表王芳很高兴为您服务，请问有什么可以帮助您！"
    assert flow.states["silent_goodbye"].wait == 5.0
    machine = compile_flow(flow)(listeners=[])
    machine.send("answered", late=False)
    assert machine.configuration_values == {"greeting"}
    machine.send("no_input")
    assert machine.configuration_values == {"silent_hello"}
    machine.send("speech_started")  # SIL-2
    assert machine.configuration_values == {"listening"}
    assert check(flow) == []


def test_operations_edit_agent_and_wait_without_code(tmp_path: Path) -> None:
    text = (
        HOTLINE.replace('id: "12"', 'id: "07"')
        .replace("name: 王芳", "name: 李明")
        .replace("silence: 5", "silence: 4.5")
    )
    flow = load_flow(_flow(tmp_path, text))
    assert flow.text("greeting").startswith("您好，软件事业部07号，客服代表李明很高兴为您服务")
    assert flow.states["greeting"].wait == 4.5


def test_unknown_target_is_reported_at_its_line(tmp_path: Path) -> None:
    text = HOTLINE.replace("no_input: silent_hello ", "no_input: silent_helo ")
    path = _flow(tmp_path, text)
    line = _line_of(text, "no_input: silent_helo")
    assert f"{path}:{line}: state 'greeting': 'no_input' goes to unknown state 'silent_helo'" in _problems(path)


def test_unknown_prompt_event_and_placeholder(tmp_path: Path) -> None:
    text = (
        HOTLINE.replace("say: silent_again", "say: silent_agian")
        .replace("speech_started: listening   # SIL-2", "speech_begun: listening")
        .replace("客服代表{agent_name}", "客服代表{agent_fullname}")
    )
    path = _flow(tmp_path, text)
    problems = _problems(path)
    assert (
        f"{path}:{_line_of(text, 'say: silent_agian')}: state 'silent_again': no prompt named 'silent_agian'"
        in problems
    )
    assert any(
        p.startswith(f"{path}:{_line_of(text, 'speech_begun')}: state 'greeting': unknown event") for p in problems
    )
    line = _line_of(text, "text: 您好，软件事业部")
    assert any(f":{line}: prompt 'greeting': unknown placeholder {{agent_fullname}}" in p for p in problems)


def test_bad_wait_and_missing_agent(tmp_path: Path) -> None:
    text = HOTLINE.replace("silence: 5 ", "silence: -5 ").replace('  id: "12"', "  id:")
    problems = _problems(_flow(tmp_path, text))
    assert any(f":{_line_of(text, 'silence: -5')}: waits.silence: wait must be seconds" in p for p in problems)
    assert any(f":{_line_of(text, '  id:')}: agent: 'id' must be set (ANS-2)" in p for p in problems)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = _flow(tmp_path, "flow: x\nstates:\n  a: [unclosed\n")
    with pytest.raises(IvrError, match=r"edited\.yaml:\d+: invalid YAML"):
        load_flow(path)


def test_find_flow_errors_name_the_flag(tmp_path: Path) -> None:
    with pytest.raises(IvrError, match=r"--flow: no flow named 'nope' .*\(flows: hotline\)"):
        find_flow("nope", ROOT / "flows")
    with pytest.raises(IvrError, match=r"--flow: .*missing\.yaml: no such flow file"):
        find_flow(str(tmp_path / "missing.yaml"), ROOT / "flows")


def test_compliance_finds_forbidden_words_and_early_hangup(tmp_path: Path) -> None:
    text = HOTLINE.replace(
        "text: 您好，请问有什么可以帮助您？\n  silent_goodbye", "text: 喂，说话呀！\n  silent_goodbye"
    )
    text = text.replace(
        "on: {speech_started: listening, no_input: silent_again}",
        "on: {speech_started: silent_hangup, no_input: silent_again}",
    )
    path = _flow(tmp_path, text)
    findings = [str(p) for p in check(load_flow(path))]
    assert (
        f"{path}:{_line_of(text, 'silent_again:')}: FORBID-1: prompt 'silent_again' says the forbidden «喂，说话呀»"
        in findings
    )
    line = _line_of(text, "on: {speech_started: silent_hangup")
    assert (
        f"{path}:{line}: CLOSE-1: 'silent_hello' hangs up on speech_started without a HEAR-2/HEAR-3/SIL-1 "
        "script and a wait" in findings
    )


def test_said_guard_matches_spaced_words() -> None:
    guard = said_guard(("您好",))
    assert guard(text="您 好 我 想 报修")
    assert not guard(text="我 想 报修")
