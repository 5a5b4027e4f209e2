"""The `ivr` command as a user runs it: help, one-line errors, timelines, recordings, checks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.adapters.directory import load_directory
from ivr.app.cli import _COMMANDS, _parser
from ivr.app.flows import fixed_texts
from ivr.app.printing import width
from ivr.clock import run_process
from ivr.flowlang.load import load_flow
from ivr.paths import ROOT
from ivr.signal.wav import write_wav

IVR = str(Path(sys.executable).parent / "ivr")


def ivr(*args: str, audio_dir: Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IVR_AUDIO_DIR": str(audio_dir), "IVR_RECORDS": str(audio_dir / "records.sqlite3")}
    return run_process([IVR, *args], 300, capture_output=True, text=True, env=env, check=check)


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-audio")


@pytest.mark.parametrize(
    "args",
    [[], ["replay"], ["demo"], ["prompts", "build"], ["flows", "check"], ["flows", "graph"]],
)
def test_every_command_explains_itself(args: list[str], audio_dir: Path) -> None:
    out = ivr(*args, "--help", audio_dir=audio_dir)
    assert out.returncode == 0 and "usage: ivr" in out.stdout
    assert len(out.stdout.splitlines()) > 5


@pytest.mark.parametrize(
    "args",
    [[c] for c in _COMMANDS]
    + [["calls", "list"], ["calls", "show"], ["records", "sync"], ["prompts", "build"], ["flows", "check"]]
    + [["flows", "graph"], ["replay", "x.wav", "--vad", "nope"], ["calls", "nope"], ["serve", "--max-calls", "x"]],
)
def test_a_command_parsed_alone_reads_as_in_the_whole_parser(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """main() builds only the named command's parser: its help, errors and defaults are the whole parser's."""
    seen = []
    for parser in (_parser(), _parser(args[0])):
        for words in ([*args, "--help"], args, [*args, "x"]):
            try:
                parsed = vars(parser.parse_args(words))
            except SystemExit as e:
                parsed = {"exit": e.code}
            parsed.pop("run", None)
            seen.append((words, parsed, capsys.readouterr()))
    half = len(seen) // 2
    assert seen[:half] == seen[half:]


def test_the_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for words in (["--help"], ["-h", "replay"]):
        with pytest.raises(SystemExit):
            _parser(words[0]).parse_args(words)
        shown = capsys.readouterr().out
        assert [c for c in _COMMANDS if not re.search(rf"\n    {c}\s", shown)] == [], shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "missing.wav"], "ivr: missing.wav: no such file"),
        (["replay", "pyproject.toml"], "ivr: pyproject.toml: not a readable WAV file (no RIFF/WAVE header)"),
        (["replay", "SILENT", "--flow", "nope"], "ivr: --flow: no flow named 'nope'"),
        (["replay", "SILENT", "--model", "/no/model"], "ivr: --model: /no/model is not a Vosk model directory"),
        (["replay", "SILENT", "--record", "out.mp3"], "ivr: --record: out.mp3 must end in .wav"),
        (["replay", "SILENT", "--record", "/proc/nope/out.wav", "--model", "none"], "ivr: --record: cannot write"),
        (["eval", "--lead", "-1"], "ivr: --lead: -1 s is out of range (0-60 s)"),
        (["eval", "--lead", "nan"], "ivr: --lead: nan s is out of range (0-60 s)"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args: list[str], message: str, audio_dir: Path, tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    write_wav(silent, [np.zeros(8000, np.int16)], 8000)
    out = ivr(*[str(silent) if a == "SILENT" else a for a in args], audio_dir=audio_dir)
    assert out.returncode == 2
    assert out.stderr.startswith(message), out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert list(tmp_path.glob("*.part")) == [] and not Path("out.mp3").exists()


def test_replay_json_and_record(audio_dir: Path, tmp_path: Path) -> None:
    caller = tmp_path / "caller.wav"
    write_wav(caller, [np.zeros(8000 * 12, np.int16)], 8000)
    record = tmp_path / "call.wav"
    out = ivr("replay", str(caller), "--json", "--record", str(record), "--model", "none", audio_dir=audio_dir)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert all(set(e) >= {"t", "event"} and round(e["t"], 3) == e["t"] for e in lines)
    assert [e["event"] for e in lines][:4] == ["answered", "state", "state", "prompt_started"]
    assert lines[3]["rule"] == "ANS-2" and "客服代表王芳" in lines[3]["text"]
    assert lines[-2] == {"t": 12.0, "event": "hangup", "by": "caller", "rule": "CLOSE-1"}
    with wave.open(str(record)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (2, 16000, 12 * 16000)
        both = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
    assert not both[:, 0].any() and both[:, 1].any()  # caller silent on the left, the IVR on the right


def test_a_replay_leaves_its_records_store_closed(audio_dir: Path, tmp_path: Path) -> None:
    """The CLI freezes what its imports made out of the garbage collector; what the call made is still
    collected at exit, so the SQLite store is closed (its WAL checkpointed and removed)."""
    caller = tmp_path / "caller.wav"
    write_wav(caller, [np.zeros(8000 * 2, np.int16)], 8000)
    store = tmp_path / "records" / "ivr.sqlite3"
    out = ivr("replay", str(caller), "--model", "none", "--records", str(store), audio_dir=audio_dir)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in store.parent.iterdir()) == ["ivr.sqlite3"]


def test_demo_runs_the_silent_script_with_the_real_model(audio_dir: Path) -> None:
    out = ivr("demo", audio_dir=audio_dir)
    assert out.returncode == 0, out.stderr
    assert "«您好，软件事业部12号，客服代表王芳很高兴为您服务，请问有什么可以帮助您！»" in out.stdout
    assert "对不起，您的电话没有声音，请您换一部电话再次打来，好吗？再见！" in out.stdout
    assert out.stdout.strip().splitlines()[-1].split()[1:] == ["hangup", "by=ivr", "rule=SIL-1"]
    assert (audio_dir / "calls" / "silent.wav").is_file()


def test_prompts_build_fills_the_cache_and_shows_progress_only_on_a_terminal(tmp_path: Path) -> None:
    out = ivr("prompts", "build", audio_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    flow = load_flow(ROOT / "flows" / "hotline.yaml")
    callers = [(c.surname or "", c.title or "") for c in load_directory(ROOT / "callers.yaml").values()]
    texts = fixed_texts(flow, callers)
    assert "张工程师，请问有什么可以帮助您？" in texts and "李老师，请问有什么可以帮助您？" in texts
    assert "\r" not in out.stderr and "[" not in out.stderr  # a log gets no progress bar
    assert len(list((tmp_path / "prompts" / "cache").glob("*.wav"))) == len(texts)
    again = ivr("prompts", "build", audio_dir=tmp_path)
    assert again.stdout.startswith("0 prompt(s) rendered")


def test_progress_bar_fits_the_terminal_counting_wide_characters() -> None:
    import io

    from ivr.app.progress import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    os.environ["COLUMNS"] = "40"
    try:
        bar = Progress("hotline", stream)
        bar.update(3, 10, "您好，软件事业部12号，客服代表王芳很高兴为您服务")
        bar.done()
    finally:
        del os.environ["COLUMNS"]
    line = stream.getvalue().strip("\r\n")
    assert line.startswith("hotline [") and " 3/10 " in line and width(line) == 39


def test_flows_check_points_at_file_and_line(tmp_path: Path, audio_dir: Path) -> None:
    ok = ivr("flows", "check", audio_dir=audio_dir)
    assert ok.returncode == 0 and "hotline.yaml: ok" in ok.stdout
    text = (ROOT / "flows" / "hotline.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    shutil.copytree(ROOT / "flows" / "knowledge", tmp_path / "knowledge")
    bad.write_text(text.replace("text: 您好，请问您还在线吗？", "text: 喂，说吧！"), encoding="utf-8")
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if t == "  still_there:")
    out = ivr("flows", "check", str(bad), audio_dir=audio_dir)
    assert out.returncode == 1
    assert out.stdout.strip() == f"{bad}:{line}: FORBID-1: prompt 'still_there' says the forbidden «喂，说吧！»"


def test_flows_graph_writes_a_diagram(tmp_path: Path, audio_dir: Path) -> None:
    target = tmp_path / "hotline.mmd"
    out = ivr("flows", "graph", "-o", str(target), audio_dir=audio_dir)
    assert out.returncode == 0
    diagram = target.read_text()
    assert diagram.startswith("stateDiagram-v2") and "silent_goodbye --> silent_hangup" in diagram


def test_vip_call_back_is_listed_and_done_by_ivr_callbacks(tmp_path: Path, audio_dir: Path) -> None:
    from conftest import QUIET, line_call

    caller = tmp_path / "quiet.wav"
    write_wav(caller, [line_call(40, [(10.5, "Front_Center", QUIET), (17.0, "Rear_Left", QUIET)])])
    db = tmp_path / "calls.sqlite3"
    out = ivr(
        "replay",
        str(caller),
        "--caller-id",
        "13800138000",
        "--records",
        str(db),
        "--model",
        "none",
        audio_dir=audio_dir,
    )
    assert out.returncode == 0, out.stderr
    assert "callback_registered" in out.stdout and "by=ivr rule=HEAR-2" in out.stdout
    listed = ivr("callbacks", "--records", str(db), audio_dir=audio_dir)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["call-back", "asked", "age", "number", "name", "reason", "rule", "call", "status"]
    assert "13800138000  张伟" in row and "caller too quiet" in row and "HEAR-2" in row and row.endswith("open")
    assert width(header.split("name")[0]) == width(row.split("张伟")[0])  # columns line up with Chinese names
    listed_json = ivr("callbacks", "--records", str(db), "--json", audio_dir=audio_dir).stdout.splitlines()
    (as_json,) = [json.loads(line) for line in listed_json]
    assert as_json["caller_number"] == "13800138000" and as_json["status"] == "open"
    done = ivr("callbacks", "done", as_json["id"], "--records", str(db), audio_dir=audio_dir)
    assert done.returncode == 0
    assert ivr("callbacks", "--records", str(db), audio_dir=audio_dir).stdout.strip() == "no open call-backs"
    missing = ivr("callbacks", "--records", str(tmp_path / "none.sqlite3"), audio_dir=audio_dir)
    assert missing.returncode == 2 and "no call-records store yet" in missing.stderr
    bad = ivr("replay", str(caller), "--caller-id", "abc", "--model", "none", audio_dir=audio_dir)
    assert bad.returncode == 2 and bad.stderr.strip() == "ivr: --caller-id: 'abc' is not a phone number"


def test_pip_install_finds_its_flows(tmp_path: Path) -> None:
    """`pip install .` ships the flows, the caller directory and the requirements inside the package."""
    wheel = run_process(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheel"), str(ROOT)], 300
    )
    assert wheel.returncode == 0
    (built,) = (tmp_path / "wheel").glob("*.whl")
    target = tmp_path / "site"
    done = run_process(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(built)], 300
    )
    assert done.returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")} | {"PYTHONPATH": str(target)}
    code = "from ivr.app.cli import main; import ivr; print(ivr.__file__); main(['flows', 'check'])"
    out = run_process([sys.executable, "-c", code], 120, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.stdout.startswith(str(target)), out.stdout + out.stderr
    assert "resources/flows/hotline.yaml: ok" in out.stdout


def test_calls_list_and_show_for_a_supervisor(tmp_path: Path, audio_dir: Path) -> None:
    db = tmp_path / "calls.sqlite3"
    script = ROOT / "flows" / "callers" / "repair_ticket.yaml"
    made = ivr("replay", "--script", str(script), "--records", str(db), audio_dir=audio_dir)
    assert made.returncode == 0, made.stderr
    ivr(
        "replay", "--script", str(ROOT / "flows" / "callers" / "silent.yaml"), "--records", str(db), audio_dir=audio_dir
    )
    listed = ivr("calls", "list", "--records", str(db), audio_dir=audio_dir)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["call", "started", "caller", "flow"] and len(lines) == 3
    assert "withheld" in lines[1] and "caller (CLOSE-1)" in lines[1] and "complete" in lines[1]
    assert "ivr (SIL-1)" in lines[2]
    rows = [
        json.loads(line)
        for line in ivr("calls", "list", "--json", "--records", str(db), audio_dir=audio_dir).stdout.splitlines()
    ]
    assert [(r["ended_by"], r["tickets"]) for r in rows] == [("caller", 1), ("ivr", 0)]
    as_csv = ivr("calls", "list", "--csv", "--records", str(db), audio_dir=audio_dir).stdout.splitlines()
    assert as_csv[0].startswith("id,started_at,ended_at,caller_number,flow") and len(as_csv) == 3
    assert ivr("calls", "list", "--since", "1d", "--records", str(db), audio_dir=audio_dir).stdout.count("\n") == 3
    assert (
        ivr("calls", "list", "--since", "2999-01-01", "--records", str(db), audio_dir=audio_dir)
        .stdout.strip()
        .startswith("no calls")
    )
    bad = ivr("calls", "list", "--since", "yesterday", "--records", str(db), audio_dir=audio_dir)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("ivr: --since: 'yesterday' is not 30m, 2h, 1d")
    shown = ivr("calls", "show", rows[0]["id"], "--records", str(db), audio_dir=audio_dir).stdout
    assert "REP-1" in shown and "ticket t" in shown and "caller: 北京市海淀区中关村大街1号3号楼502室" in shown
    assert "prompts" in shown and "greeting (ANS-2)" in shown
    full = json.loads(ivr("calls", "show", rows[0]["id"], "--json", "--records", str(db), audio_dir=audio_dir).stdout)
    assert full["tickets"][0]["department"] == "技术支持部" and full["timeline"][0]["event"] == "answered"
    missing = ivr("calls", "show", "c000000-NOPE", "--records", str(db), audio_dir=audio_dir)
    assert missing.returncode == 2 and missing.stderr.startswith("ivr: no call 'c000000-NOPE'")
    tickets = ivr("tickets", "--records", str(db), audio_dir=audio_dir).stdout
    assert "repair" in tickets and "技术支持部" in tickets and "sent" in tickets  # the default log notifier took it
    assert (tmp_path / "tickets.jsonl").is_file()


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path, audio_dir: Path) -> None:
    caller = tmp_path / "silent.wav"
    write_wav(caller, [np.zeros(8000 * 40, np.int16)], 8000)
    env = {**os.environ, "IVR_AUDIO_DIR": str(audio_dir), "IVR_RECORDS": "none"}
    out = run_process(
        ["bash", "-c", f"set -o pipefail; {IVR} replay {caller} --json --model none | head -1"],
        120,
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.stdout.count("\n") == 1 and json.loads(out.stdout)["event"] == "answered"
    assert out.stderr == "" and out.returncode == 0
