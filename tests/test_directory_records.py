"""The caller directory (GRT-2/3, VIP) and the durable call-records store."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import events

from ivr.adapters.directory import load_directory, lookup
from ivr.adapters.prompts import PromptStore
from ivr.errors import IvrError
from ivr.flowlang.model import Flow
from ivr.paths import ROOT
from ivr.records.store import SqliteStore
from ivr.testing import ScriptedRecognizer, ScriptedVad, ToneSynth, bursts, replay

ZHANG = '"12345":\n  name: 张伟\n  surname: 张\n  title: 老师\n'
ZHANG_AS_LI = ZHANG.replace("surname: 张", "surname: 李")


@pytest.mark.rules("GRT-2", "GRT-3")
def test_directory_gives_surname_and_title_never_the_full_name() -> None:
    callers = load_directory(ROOT / "callers.yaml")
    zhang = callers["13800138000"]
    assert (zhang.surname, zhang.title, zhang.vip) == ("张", "工程师", True)
    assert zhang.name == "张伟"  # kept for records; prompts only have {surname} and {title} (GRT-3)
    stranger = lookup(ROOT / "callers.yaml", "19999999999")
    assert (stranger.number, stranger.surname, stranger.vip) == ("19999999999", None, False)  # the number as given
    assert lookup(ROOT / "callers.yaml", None).number is None  # withheld


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
            '"12345":\n  name: 张伟\n  surname: ' + "张" * 20000 + "\n  title: 老师\n",
            r"callers\.yaml:3: caller 12345: 'surname' is longer than 4 characters",
        ),
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


@pytest.mark.rules("GRT-2")
def test_known_caller_is_addressed_by_surname_and_title(hotline: Flow, tmp_path: Path) -> None:
    """GRT-2: a known caller who greets gets `张工程师，请问有什么可以帮助您？`."""
    prompts = PromptStore(tmp_path, ToneSynth(), hotline.audio)
    g = prompts.get(hotline.text("greeting")).duration
    speech = [(g + 1.0, g + 1.6)]
    zhang = load_directory(ROOT / "callers.yaml")["13800138000"]
    said = ScriptedRecognizer(["您好"])
    replayed = replay(hotline, bursts(g + 10, speech), prompts, ScriptedVad(speech), said, caller_info=zhang)
    reply = events(replayed, "prompt_started")[-1]
    assert (reply["rule"], reply["text"]) == ("GRT-2", "张工程师，请问有什么可以帮助您？")
    assert "张伟" not in "".join(e.get("text", "") for e in events(replayed, "prompt_started"))


def test_unwritable_store_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(IvrError, match="cannot open the call-records store"):
        SqliteStore(tmp_path / "file" / "r.sqlite3")
