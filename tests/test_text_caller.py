"""`ivr chat` and `ivr replay --script` as flow authors use them, and `ivr spec` as reviewers do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.clock import run_process
from ivr.paths import ROOT

IVR = str(Path(sys.executable).parent / "ivr")


def ivr(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_process([IVR, *args], 300, input=stdin, capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    audio = tmp_path_factory.mktemp("audio")
    return {**os.environ, "IVR_AUDIO_DIR": str(audio), "IVR_RECORDS": str(audio / "records.sqlite3")}


@pytest.mark.rules("GRT-1", "CONS-1", "CLOSE-1")
def test_chat_answers_what_the_author_types(env: dict[str, str]) -> None:
    typed = "您好\n我想咨询一下服务时间\n几点上班\n\n没有了\n/hangup\n"
    out = ivr("chat", "--records", "none", env=env, stdin=typed)
    assert out.returncode == 0, out.stderr
    said = [line.split("IVR: ", 1)[1] for line in out.stdout.splitlines() if "IVR: " in line]
    assert said[1] == "您好，请问有什么可以帮助您？  (GRT-1)"
    assert any(s.startswith("我们热线的服务时间是周一到周五") for s in said)
    assert said[-1] == "感谢您的来电，再见！  (CLOSE-1)"
    assert out.stdout.strip().splitlines()[-1].endswith("[hangup by=caller rule=CLOSE-1]")


def test_chat_commands_and_mistakes(env: dict[str, str]) -> None:
    out = ivr("chat", "--records", "none", "--json", env=env, stdin="/shout\n/silence 6\n")
    assert out.returncode == 0
    assert "ivr: unknown command /shout (/silence S, /hangup)" in out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    no_input = [e for e in events if e["event"] == "no_input"]
    assert no_input and no_input[0]["state"] == "greeting"  # 6 s of typed silence: SIL-1's first wait ran out


def test_replay_script_checks_its_expectations_and_fails_when_they_do_not_hold(
    env: dict[str, str], tmp_path: Path
) -> None:
    ok = ivr("replay", "--script", str(ROOT / "flows" / "callers" / "wrong_number.yaml"), "--records", "none", env=env)
    assert ok.returncode == 0, ok.stderr
    wrong = tmp_path / "expects_more.yaml"
    wrong.write_text(
        "steps:\n  - say: 我要订外卖\n  - silence: 3\nexpect:\n  prompts: [greeting, closing]\n", encoding="utf-8"
    )
    out = ivr("replay", "--script", str(wrong), "--records", "none", env=env)
    assert out.returncode == 1
    assert "expected the prompts ['greeting', 'closing'] in this order; closing missing" in out.stderr
    both = ivr("replay", str(wrong), "--script", str(wrong), env=env)
    assert both.returncode == 2 and "one of them" in both.stderr


def test_golden_files_are_written_with_a_real_model_and_replayed(env: dict[str, str], tmp_path: Path) -> None:
    """The mechanism a Mandarin model uses (README): here the Korean model, whose words mean nothing in Mandarin."""
    script = tmp_path / "hello.yaml"
    script.write_text("- say: 您好\n- silence: 2\n", encoding="utf-8")
    wrote = ivr("replay", "--script", str(script), "--golden", "write", "--records", "none", env=env)
    assert wrote.returncode == 0, wrote.stderr
    (golden,) = (tmp_path / "golden").glob("hello.*.json")
    doc = json.loads(golden.read_text(encoding="utf-8"))
    assert doc["said"] == ["您好"] and len(doc["recognised"]) == 1 and doc["recognised"][0]
    replayed = ivr("replay", "--script", str(script), "--golden", "replay", "--records", "none", "--json", env=env)
    assert replayed.returncode == 0, replayed.stderr
    words = [json.loads(line)["text"] for line in replayed.stdout.splitlines() if '"transcript"' in line]
    assert words == doc["recognised"]


SHIPPED_GOLDENS = sorted((ROOT / "flows" / "callers" / "golden").glob("*.json"))


@pytest.mark.parametrize("golden", SHIPPED_GOLDENS, ids=[p.name for p in SHIPPED_GOLDENS])
def test_every_shipped_golden_meets_its_scripts_expectations(golden: Path, env: dict[str, str]) -> None:
    """Goldens written with a real Mandarin model (README) replay the words it heard; none ship until one is run."""
    script = golden.parent.parent / f"{golden.name.split('.')[0]}.yaml"
    out = ivr("replay", "--script", str(script), "--golden", "replay", "--records", "none", env=env)
    assert out.returncode == 0, out.stderr


def test_spec_lists_every_rule_with_what_carries_it_and_its_tests(env: dict[str, str], tmp_path: Path) -> None:
    results = tmp_path / "results.xml"
    results.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_conversations" name="test_business_that_cannot_be_handled_is_explained"/>'
        '<testcase classname="tests.test_conversations" '
        'name="test_a_wrong_number_is_explained_and_the_caller_hangs_up_first">'
        '<failure message="boom"/></testcase>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    out = ivr("spec", "--json", "--results", str(results), env=env)
    assert out.returncode == 0, out.stderr
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    requirements = (ROOT / "spec" / "REQUIREMENTS.md").read_text(encoding="utf-8")
    assert set(rows) == {line.split("**")[1] for line in requirements.splitlines() if line.startswith("- **")}
    assert all(set(r) == {"id", "states", "prompts", "tests", "missing"} for r in rows.values())
    cant = rows["CANT-1"]
    assert cant["states"] == ["hotline.cant_explain"] and cant["prompts"] == ["hotline.cant_explain"]
    assert cant["tests"] == ["tests/test_conversations.py::test_business_that_cannot_be_handled_is_explained"]
    assert cant["missing"] == []
    assert any(
        m.startswith("failed: tests/test_conversations.py::test_a_wrong_number") for m in rows["WRONG-1"]["missing"]
    )
    strict = ivr("spec", "--strict", "--results", str(results), env=env)
    assert strict.returncode == 1 and "24 rules" in strict.stdout
