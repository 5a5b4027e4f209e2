"""`ivr flows check` guards the service code itself, not only the wording a flow happens to use."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_flow import HOTLINE, edited, state_line

from ivr.flowlang.compliance import check
from ivr.flowlang.load import load_flow
from ivr.flowlang.rules import SCRIPTS, fold_wording


def findings(tmp_path: Path, text: str) -> list[str]:
    return [str(p) for p in check(load_flow(edited(tmp_path, text)))]


@pytest.mark.parametrize(
    ("rule", "old", "new"),
    [
        (
            "SIL-1",
            "对不起，您的电话没有声音，请您换一部电话再次打来，好吗？再见！",
            "对不起，您的电话没有声音，请换个电话打来。",
        ),
        ("HEAR-1", "对不起，您的声音太小，请您拿起话筒说话好吗？", "对不起，请您拿起话筒说话好吗？"),
        ("HEAR-2", "对不起！请您大声一点，好吗？", "对不起，请您大声一点，好吗？"),
        ("HEAR-3", "我这里听不清楚，我们给您打过去好吗？", "我这里听不清，我们给您打过去吧？"),
        ("GRT-1", "    text: 您好，请问有什么可以帮助您？\n  greet_known", "    text: 您好，有什么事？\n  greet_known"),
    ],
)
@pytest.mark.rules("SIL-1", "HEAR-1", "HEAR-2", "HEAR-3", "GRT-1")
def test_a_reworded_mandated_script_fails(tmp_path: Path, rule: str, old: str, new: str) -> None:
    assert old in HOTLINE
    text = HOTLINE.replace(old, new, 1)
    found = findings(tmp_path, text)
    assert any(f"{rule}: prompt" in f and "must say one of the rule's scripts exactly" in f for f in found), found


def test_the_scripts_live_in_the_rules() -> None:
    assert "对不起，您的电话没有声音，请您换一部电话再次打来，好吗？再见！" in SCRIPTS["SIL-1"]
    assert SCRIPTS["HEAR-3"][1] == "对不起，对不起，我这里听不清楚，我们给您打过去好吗？"


@pytest.mark.rules("SIL-1", "HEAR-2", "HEAR-3")
def test_a_mandated_wait_that_is_not_5_s_fails(tmp_path: Path) -> None:
    text = HOTLINE.replace(
        "  silent_again:\n    say: silent_again\n    wait: silence",
        "  silent_again:\n    say: silent_again\n    wait: reply",
    )
    found = findings(tmp_path, text)
    assert (
        f"{edited(tmp_path, text)}:{state_line(text, 'silent_again')}: "
        "SIL-1: state 'silent_again' must wait 5 s of silence, not 8.0" in found
    )
    text = HOTLINE.replace("before_hangup: 5 ", "before_hangup: 4 ")
    found = findings(tmp_path, text)
    assert any("HEAR-2: state 'quiet_other_phone' must hang up 5 s after the script: timer: 5" in f for f in found)
    assert any("HEAR-3: state 'noisy_call_back' must hang up 5 s after the script: timer: 5" in f for f in found)


@pytest.mark.rules("HEAR-3")
def test_a_hangup_script_that_a_caller_can_cut_fails(tmp_path: Path) -> None:
    """HEAR-2/HEAR-3: never hang up without the script: it is said whole."""
    text = HOTLINE.replace(
        "  noisy_other_phone:\n    say: noisy_other_phone\n    bargein: false",
        "  noisy_other_phone:\n    say: noisy_other_phone",
    )
    found = findings(tmp_path, text)
    assert any("HEAR-3: state 'noisy_other_phone' must say its script whole: bargein: false" in f for f in found)


@pytest.mark.parametrize(
    "said",
    [
        "喂，说话呀！",
        "喂, 说话呀!",
        "喂 说话呀",
        "喂，说话啊！",
        "喂，大声一点儿！",
        "喂，大声一点！",
        "再不说话我就挂了啊",
        "他妈的",
    ],
)
@pytest.mark.rules("FORBID-1")
def test_forbidden_wording_in_any_variation_fails(tmp_path: Path, said: str) -> None:
    """FORBID-1, matched after punctuation, spacing, 儿化 and sentence particles are folded."""
    text = HOTLINE.replace("text: 您好，请问您还在线吗？", f"text: 您好，{said}")
    found = findings(tmp_path, text)
    assert any("FORBID-1: prompt 'still_there' says the forbidden" in f for f in found), found


def test_folding_keeps_other_words_apart() -> None:
    assert fold_wording("喂，大声一点儿！") == fold_wording("喂 大声一点")
    assert fold_wording("请您大声一点，好吗？") != fold_wording("喂，大声一点儿！")


@pytest.mark.rules("FORBID-1")
def test_forbidden_wording_in_the_knowledge_file_fails(tmp_path: Path) -> None:
    path = edited(tmp_path, HOTLINE)
    knowledge = path.parent / "knowledge" / "hotline.yaml"
    knowledge.write_text(
        knowledge.read_text(encoding="utf-8").replace("免费的；", "免费的，喂，说吧！"), encoding="utf-8"
    )
    found = [str(p) for p in check(load_flow(path))]
    assert any("knowledge/hotline.yaml" in f and "FORBID-1: answer 'repair_fee' says the forbidden" in f for f in found)


def test_unreachable_states_are_reported_at_their_own_line(tmp_path: Path) -> None:
    text = HOTLINE.replace("        - {if_intent: nuisance, target: nuisance}\n", "")
    path = edited(tmp_path, text)
    found = [str(p) for p in check(load_flow(path))]
    assert f"{path}:{state_line(text, 'nuisance')}: state 'nuisance' can never be reached from 'answer'" in found


@pytest.mark.rules("CLOSE-1")
def test_an_early_hangup_fails(tmp_path: Path) -> None:
    """CLOSE-1: the IVR hangs up first only after SIL-1/HEAR-2/HEAR-3 (or CLOSE-1's goodbye) and its wait."""
    text = HOTLINE.replace(
        "on: {speech_started: listening, no_input: silent_goodbye}",
        "on: {speech_started: silent_hangup, no_input: silent_goodbye}",
    )
    found = findings(tmp_path, text)
    assert any(
        "CLOSE-1: 'silent_again' hangs up on speech_started without a CLOSE-1/HEAR-2/HEAR-3/SIL-1 script" in f
        for f in found
    )


@pytest.mark.rules("CONF-1", "APOL-1", "UNSURE-1")
def test_collecting_without_read_back_apology_or_an_end_fails(tmp_path: Path) -> None:
    """CONF-1, APOL-1, UNSURE-1 for every collected slot."""
    text = HOTLINE.replace(
        "      confirm: confirm_address\n      apology: misheard\n    wait: reply\n"
        "    on: {filled: repair_ticket, give_up: escalate}",
        "    wait: reply\n    on: {filled: repair_ticket}",
    )
    found = findings(tmp_path, text)
    assert any(
        "CONF-1: state 'repair_address' collects address 'address' without a read-back (confirm)" in f for f in found
    )
    assert any(
        "UNSURE-1: state 'repair_address' does not say what happens after the last re-ask (give_up)" in f for f in found
    )
    text = HOTLINE.replace(
        "      confirm: confirm_phone\n      apology: misheard\n", "      confirm: confirm_phone\n", 1
    )
    found = findings(tmp_path, text)
    assert any("APOL-1: state 'repair_phone' confirms 'phone' but has no APOL-1 apology" in f for f in found)


@pytest.mark.rules("GRT-2")
def test_greeting_reply_must_address_a_known_caller(tmp_path: Path) -> None:
    """GRT-2: never ignore a known name."""
    text = HOTLINE.replace("        - {if_said: [您好, 你好], if_known: true, target: known_reply}   # GRT-2\n", "")
    found = findings(tmp_path, text)
    assert any("GRT-2: 'listening' replies to a greeting without addressing a known caller first" in f for f in found)
