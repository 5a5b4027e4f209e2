"""The hotline's conversations, in Mandarin, with scripted callers through the whole engine.

Every caller script in flows/callers is a real call: the caller's words are spoken by espeak-ng into the
line, the real Silero VAD and end of turn hear them, and the scripted words reach the flow as the
recogniser's result for each utterance. Each test names the rules it proves.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.adapters.espeak import EspeakSynthesizer
from ivr.adapters.language import MandarinLanguage
from ivr.adapters.prompts import PromptStore
from ivr.adapters.scripted_caller import CALLER_RATE, CALLER_VOICE, Script, load_script
from ivr.adapters.vad import SileroVad
from ivr.app.script import ScriptedCall, check_expectations
from ivr.engine.call import Call
from ivr.engine.session import CallSetup
from ivr.flowlang.model import AudioSettings, Flow
from ivr.paths import ROOT
from ivr.testing import MemoryRecords

CALLERS = ROOT / "flows" / "callers"


@pytest.fixture(scope="session")
def caller_voice(tmp_path_factory: pytest.TempPathFactory) -> PromptStore:
    return PromptStore(
        tmp_path_factory.mktemp("callers"), EspeakSynthesizer(), AudioSettings(CALLER_VOICE, CALLER_RATE)
    )


def converse(hotline: Flow, prompts: PromptStore, voice: PromptStore, script: Script) -> tuple[Call, MemoryRecords]:
    records = MemoryRecords()
    setup = CallSetup(hotline, prompts, SileroVad, MandarinLanguage(), None, records)
    call = ScriptedCall(setup, script, voice).run([])
    return call, records


def said(call: Call) -> list[tuple[str, str, str]]:
    return [(e.fields["prompt"], e.fields["rule"], e.fields["text"]) for e in call.timeline.of("prompt_started")]


def event(call: Call, name: str) -> list[dict]:
    return [e.as_dict() for e in call.timeline.of(name)]


@pytest.mark.parametrize("name", sorted(p.name for p in CALLERS.glob("*.yaml")))
def test_every_example_caller_script_meets_its_expectations(
    name: str, hotline: Flow, prompts: PromptStore, caller_voice: PromptStore
) -> None:
    script = load_script(CALLERS / name)
    call, _ = converse(hotline, prompts, caller_voice, script)
    assert check_expectations(script, call.timeline.events) == []


@pytest.mark.rules("GRT-1", "CLOSE-1", "CONS-1", "LSN-1")
def test_greeting_gets_the_reply_and_a_question_its_answer(hotline: Flow, prompts: PromptStore, caller_voice) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "greeting.yaml"))
    lines = said(call)
    assert lines[1] == ("greet_back", "GRT-1", "您好，请问有什么可以帮助您？")
    answer = next(line for line in lines if line[0] == "consult_answer")
    assert answer[2] == hotline.knowledge.answers[0].text and answer[1] == "CONS-1"
    turns = list(
        zip(
            [e["t"] for e in event(call, "speech_started")],
            [e["t"] for e in event(call, "speech_stopped")],
            strict=True,
        )
    )
    for started in event(call, "prompt_started"):
        assert not any(a <= started["t"] < b for a, b in turns)  # LSN-1: never starts while the caller speaks
    assert event(call, "hangup") == [
        {"t": pytest.approx(call.clock.now(), abs=0.03), "event": "hangup", "by": "caller", "rule": "CLOSE-1"}
    ]


@pytest.mark.rules("CONF-1", "APOL-1")
def test_a_caller_who_corrects_one_group_hears_the_whole_corrected_number(
    hotline: Flow, prompts: PromptStore, caller_voice: PromptStore, tmp_path: Path
) -> None:
    words = ["我们办公室的系统登录不了", "一打开就报错", "我姓张，弓长张", "对", "一三八一二三四五六七八",
             "是一三九不是一三八", "对的", "北京市海淀区中关村大街1号", "对", "没有了，谢谢"]  # fmt: skip
    script = tmp_path / "one_group.yaml"
    script.write_text(
        "steps:\n" + "".join(f"  - say: {w}\n" for w in words) + "  - silence: 2\n  - hangup: true\n",
        encoding="utf-8",
    )
    call, _ = converse(hotline, prompts, caller_voice, load_script(script))
    texts = [text for _, _, text in said(call)]
    corrected = texts.index("对不起，是我听错了。")  # APOL-1, then the whole number read back again (CONF-1)
    assert texts[corrected + 1] == "您的电话是幺三九，幺二三四，五六七八，对吗？"
    assert ("phone", "13912345678") in [(e["slot"], e["value"]) for e in event(call, "slot_confirmed")]


@pytest.mark.rules("GRT-2", "GRT-3")
def test_a_known_caller_is_addressed_by_surname_and_title_never_the_full_name(
    hotline: Flow, prompts: PromptStore, caller_voice: PromptStore
) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "known_caller.yaml"))
    lines = said(call)
    assert lines[1] == ("greet_known", "GRT-2", "张工程师，请问有什么可以帮助您？")
    assert lines[2][2] == "张工程师，感谢您的来电，再见！"
    assert not any("张伟" in text for _, _, text in lines)


@pytest.mark.rules("REP-1", "CONF-1", "APOL-1", "GRT-2")
def test_a_fault_report_becomes_a_repair_ticket_with_every_value_read_back(
    hotline: Flow, prompts: PromptStore, caller_voice: PromptStore
) -> None:
    call, records = converse(hotline, prompts, caller_voice, load_script(CALLERS / "repair_ticket.yaml"))
    lines = said(call)
    texts = [text for _, _, text in lines]
    assert "您的电话是幺三八，零零幺三，八零零零，对吗？" in texts  # CONF-1: digit by digit, 1 as 幺, 3-4-4
    corrected = texts.index("对不起，是我听错了。")  # APOL-1: at once, before anything else
    assert lines[corrected][1] == "APOL-1" and texts[corrected + 1] == "您的电话是幺三九，零零幺三，八零零零，对吗？"
    apology = event(call, "prompt_started")[corrected]
    assert apology["t"] == next(e["t"] for e in event(call, "corrected"))
    assert [(e["slot"], e["value"]) for e in event(call, "slot_confirmed")] == [
        ("surname", "张"),
        ("phone", "13900138000"),
        ("address", "北京市海淀区中关村大街1号3号楼502室"),
    ]
    assert "张老师，请问您的联系电话是多少？" in texts  # GRT-2 once the name is said and confirmed
    (opened,) = event(call, "ticket_opened")
    assert (opened["kind"], opened["department"], opened["rule"]) == ("repair", "技术支持部", "REP-1")
    assert opened["fields"]["phone"] == "13900138000" and opened["fields"]["surname"] == "张"
    assert opened["fields"]["fault"] == "一打开就报错说服务器连接失败"
    ((call_id, ticket),) = records.tickets
    assert ticket.fields == opened["fields"] and call_id == call.record_id
    assert records.calls[call_id][1] is not None and records.calls[call_id][1].ended_by == "caller"


@pytest.mark.rules("REP-1")
def test_a_known_customer_side_fault_is_guided_step_by_step(hotline: Flow, prompts, caller_voice) -> None:
    call, records = converse(hotline, prompts, caller_voice, load_script(CALLERS / "repair_known_fault.yaml"))
    steps = [e["step"] for e in event(call, "guide_step")]
    assert steps == [1, 2]
    fault = next(f for f in hotline.knowledge.faults if f.id == "no_network")
    texts = [text for _, _, text in said(call)]
    assert fault.steps[0] in texts and fault.steps[1] in texts
    assert event(call, "guide")[-1]["outcome"] == "resolved" and records.tickets == []


@pytest.mark.rules("CONS-1", "CONF-1")
def test_an_unanswerable_question_becomes_a_call_back_ticket(hotline: Flow, prompts, caller_voice) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "consult_callback.yaml"))
    texts = [text for _, _, text in said(call)]
    assert "对不起，这个问题我需要查询以后再答复您，请您留一个联系电话，我们查清楚后尽快给您回电。" in texts
    (opened,) = event(call, "ticket_opened")
    assert opened["kind"] == "callback" and opened["fields"]["phone"] == "13900139000"
    assert opened["fields"]["question"] == "你们明年的软件采购计划什么时候公布"


@pytest.mark.rules("ASK-1")
def test_several_problems_are_handled_most_urgent_first(hotline: Flow, prompts, caller_voice) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "several_problems.yaml"))
    assert event(call, "problems")[0]["found"] == ["repair", "consult"]  # said consult first, repair is urgent
    agenda = next(text for pid, _, text in said(call) if pid == "agenda")
    assert agenda == "好的，您的几个问题，我们按轻重缓急依次处理：报修、咨询。"
    assert [e["intent"] for e in event(call, "problem")] == ["repair", "consult"]


@pytest.mark.rules("CANT-1")
def test_business_that_cannot_be_handled_is_explained(hotline: Flow, prompts, caller_voice) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "cant_handle.yaml"))
    assert ("cant_explain", "CANT-1") in [(p, r) for p, r, _ in said(call)]


@pytest.mark.rules("WRONG-1", "CLOSE-1")
def test_a_wrong_number_is_explained_and_the_caller_hangs_up_first(hotline: Flow, prompts, caller_voice) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "wrong_number.yaml"))
    assert said(call)[-1][:2] == ("wrong_number", "WRONG-1")
    assert event(call, "hangup")[0]["by"] == "caller"


@pytest.mark.rules("HARASS-1", "FORBID-1")
def test_a_nuisance_call_is_told_firmly_without_a_rude_word(hotline: Flow, prompts, caller_voice) -> None:
    from ivr.flowlang.rules import PROFANITY, fold_wording

    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "nuisance.yaml"))
    pid, rule, text = said(call)[-1]
    assert (pid, rule) == ("nuisance", "HARASS-1") and "请您不要拨打与业务无关的电话" in text
    assert not any(fold_wording(word) in fold_wording(text) for word in PROFANITY)


@pytest.mark.rules("UNSURE-1", "CONF-1")
def test_after_the_last_re_ask_the_ivr_escalates_instead_of_guessing(hotline: Flow, prompts, caller_voice) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "unsure.yaml"))
    assert [e["why"] for e in event(call, "not_understood")][:3] == ["no digits heard"] * 3
    assert event(call, "gave_up")[0]["rule"] == "UNSURE-1"
    (opened,) = event(call, "ticket_opened")
    assert (
        opened["kind"] == "escalation" and opened["rule"] == "UNSURE-1" and opened["fields"]["phone"] == "13700137000"
    )


@pytest.mark.rules("UNSURE-1", "CLOSE-1")
def test_a_caller_who_says_nothing_at_a_slot_is_asked_again_then_let_go(hotline: Flow, prompts, caller_voice) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "silent_at_slot.yaml"))
    asks = [p for p, _, _ in said(call)]
    assert asks.count("ask_question") == 1 and asks.count("ask_question_again") == 1  # a different wording
    assert [e["why"] for e in event(call, "gave_up")] == ["no answer", "no answer"]


@pytest.mark.rules("CLOSE-1")
def test_a_caller_who_stays_on_after_goodbye_hears_a_goodbye_and_a_hang_up(
    hotline: Flow, prompts, caller_voice
) -> None:
    call, _ = converse(hotline, prompts, caller_voice, load_script(CALLERS / "stays_on.yaml"))
    closing = next(e for e in event(call, "prompt_finished") if e["prompt"] == "closing")
    goodbye = next(e for e in event(call, "prompt_started") if e["prompt"] == "close_goodbye")
    assert goodbye["t"] - closing["t"] == pytest.approx(hotline.states["waiting_for_hangup"].wait, abs=0.03)
    last = event(call, "prompt_finished")[-1]
    assert event(call, "hangup")[0] == {
        "t": pytest.approx(last["t"] + 5.0, abs=1e-6),
        "event": "hangup",
        "by": "ivr",
        "rule": "CLOSE-1",
    }


def test_script_errors_name_the_file_and_line(tmp_path: Path) -> None:
    from ivr.errors import IvrError

    bad = tmp_path / "bad.yaml"
    bad.write_text("- say: 您好\n- shout: 喂\n", encoding="utf-8")
    with pytest.raises(IvrError, match=r"bad\.yaml:2: a step has exactly one of say, silence, hangup"):
        load_script(bad)
    bad.write_text("- silence: -3\n", encoding="utf-8")
    with pytest.raises(IvrError, match=r"bad\.yaml:1: silence is seconds from 0 to 3600, not -3"):
        load_script(bad)
