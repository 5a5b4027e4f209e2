"""The caller directory (GRT-2/3, VIP) and the durable call-records store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import events

from ivr.adapters.directory import load_directory, lookup
from ivr.adapters.prompts import PromptStore
from ivr.adapters.records import Records
from ivr.errors import IvrError
from ivr.flowlang.model import Flow
from ivr.paths import ROOT
from ivr.testing import ScriptedRecognizer, ScriptedVad, ToneSynth, bursts, replay

ZHANG = '"12345":\n  name: 张伟\n  surname: 张\n  title: 老师\n'
ZHANG_AS_LI = ZHANG.replace("surname: 张", "surname: 李")


def test_directory_gives_surname_and_title_never_the_full_name() -> None:
    callers = load_directory(ROOT / "callers.yaml")
    zhang = callers["13800138000"]
    assert (zhang.surname, zhang.title, zhang.vip) == ("张", "工程师", True)
    assert zhang.call_vars() == {"surname": "张", "title": "工程师"}  # GRT-3: no full name to say
    assert lookup(ROOT / "callers.yaml", "19999999999") is None
    assert lookup(ROOT / "callers.yaml", None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '"12345":\n  name: 张伟\n  surname: 李\n  title: 老师\n',
            r"callers\.yaml:3: caller 12345: surname must begin the name",
        ),
        (
            '"12345":\n  name: 张伟\n  surname: 张\n  title: 老师\n  vip: maybe\n',
            r"callers\.yaml:5: caller 12345: vip must be",
        ),
        ('"12345":\n  name: 张伟\n  surname: 张\n', r"callers\.yaml:2: caller 12345: 'title' must be set"),
        ('"call-me":\n  name: 张伟\n', r"callers\.yaml:1: 'call-me' is not a phone number"),
        (
            '"12345":\n  name: 张伟\n  surname: 张\n  title: 老师\n  email: x\n',
            r"callers\.yaml:5: caller 12345: unknown key 'email'",
        ),
    ],
)
def test_directory_errors_point_at_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "callers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IvrError, match=message):
        load_directory(path)


def test_known_caller_is_addressed_by_surname_and_title(hotline: Flow, tmp_path: Path) -> None:
    """GRT-2: a known caller who greets gets `张工程师，请问有什么可以帮助您？`."""
    prompts = PromptStore(tmp_path, ToneSynth(), hotline.audio)
    g = prompts.get(hotline.text("greeting")).duration
    speech = [(g + 1.0, g + 1.6)]
    zhang = load_directory(ROOT / "callers.yaml")["13800138000"]
    said = ScriptedRecognizer([(g + 2.4, "您好")])
    replayed = replay(hotline, bursts(g + 10, speech), prompts, ScriptedVad(speech), said, caller_info=zhang)
    reply = events(replayed, "prompt_started")[-1]
    assert (reply["rule"], reply["text"]) == ("GRT-2", "张工程师，请问有什么可以帮助您？")
    assert "张伟" not in "".join(e.get("text", "") for e in events(replayed, "prompt_started"))


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    records = Records(tmp_path / "r.sqlite3")
    with pytest.raises(RuntimeError), records._transaction() as db:
        db.execute(
            "INSERT INTO callbacks (created_at, caller_id, reason, rule, call_at) VALUES ('x', '1', 'r', 'HEAR-2', 0)"
        )
        raise RuntimeError("crash in the middle of a call record")
    assert records.callbacks(None) == []
    callback = records.add_callback("13800138000", "张伟", "noisy line", "HEAR-3", 12.5)
    call = records.add_call(
        "13800138000", "hotline", "ivr", 30.0, [{"event": "callback_registered", "callback_id": callback}]
    )
    records.close()
    db = sqlite3.connect(tmp_path / "r.sqlite3")
    assert db.execute("SELECT call_id, status FROM callbacks").fetchall() == [(call, "open")]
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_unwritable_store_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(IvrError, match="cannot open the call-records store"):
        Records(tmp_path / "file" / "r.sqlite3")
