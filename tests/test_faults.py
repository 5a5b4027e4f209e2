"""Hostile cases in one place: what a call centre's IVR meets when things go wrong, each through real parts.

A reviewer reads this module to see every fault tried and what the IVR does about it:

- resources: 1,000 calls in one process grow its memory by at most 5 %;
- the records store failing (a read-only disk, a full disk, a lock held by another process, the process
  SIGKILLed between any two writes, a department's webhook down): the call goes on as the flow says, one line
  says what happened, nothing is lost and no call-back is ever left without its call;
- recordings: a disk that fills during `--record`, and targets that cannot work (a directory, the input file,
  an unwritable place, a wrong suffix) refused before the call;
- no call holds a line for ever: a caller who vanishes after speaking, a call past the flow's maximum, a
  flow left with nothing to do.

Faults that belong to one layer are tested beside it: broken and huge WAVs (tests/test_audio.py), flows that
would break a call: NaN waits, format specs, paths outside the flow, YAML alias bombs (tests/test_flow.py,
tests/test_compliance.py), hostile SIP datagrams, a phone that dies without a BYE, addresses with injected
lines (tests/test_sip.py), a killed worker behind Kamailio (tests/test_cluster.py), a directory entry of
20,000 characters (tests/test_directory_records.py).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from conftest import ReplayFn, caller, end, events, mini_flow, silence, speech, start, stored

from ivr.adapters.language import MandarinLanguage
from ivr.adapters.prompts import PromptStore
from ivr.adapters.vad import SileroVad
from ivr.adapters.wavline import CollectedOutput, WavCaller
from ivr.clock import run_process, wait_process
from ivr.engine.session import CallSetup, run_line
from ivr.errors import IvrError
from ivr.flowlang.model import Flow
from ivr.records import Unavailable, open_records, open_store
from ivr.records.durable import DurableRecords
from ivr.records.model import CallbackRequest, CallEnd, TicketRequest
from ivr.records.notify import WebhookNotifier, deliver, notifier
from ivr.records.store import SqliteStore, Store
from ivr.testing import MemoryRecords, ScriptedVad, ToneSynth, replay

# -- resources and recordings ----------------------------------------------------------------------------


def rss_bytes() -> int:
    """The process's resident memory now (not its peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small filesystem of our own (root can write through chmod, not through a read-only mount)."""
    where.mkdir()
    assert run_process(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], 30).returncode == 0
    try:
        yield where
    finally:
        run_process(["umount", "-l", str(where)], 30)


def remount(where: Path, mode: str) -> None:
    assert run_process(["mount", "-o", f"remount,{mode}", str(where)], 30).returncode == 0


def test_a_thousand_calls_in_one_process_do_not_grow_its_memory(hotline: Flow, prompts: PromptStore) -> None:
    """Soak: 1,000 calls through one CallSetup (real prompts, real Silero): <= 5 % memory growth."""

    class Forgetful(MemoryRecords):
        def close_call(self, call_id: str, end: object) -> None:  # a store keeps rows on disk, not in memory
            self.calls.pop(call_id, None)

    setup = CallSetup(hotline, prompts, SileroVad, MandarinLanguage(), None, Forgetful())
    audio = caller(silence(0.5), speech(), silence(0.6))  # speaks over the greeting (barge-in), hangs up

    def calls(n: int) -> None:
        for _ in range(n):
            call = setup.new_call()
            result = run_line(call, WavCaller(audio), CollectedOutput())
            assert result.ended_by == "caller"

    calls(100)
    gc.collect()
    warm = rss_bytes()
    calls(900)
    gc.collect()
    grown = rss_bytes() / warm - 1
    assert grown <= 0.05, f"memory grew {grown:.1%} over 900 calls"


IVR = str(Path(sys.executable).parent / "ivr")


@pytest.mark.rules("HEAR-2", "CLOSE-1")
def test_a_store_that_cannot_be_written_never_cuts_the_call(tmp_path: Path) -> None:
    """A VIP's call-back while the records disk is read-only: the call ends as the flow says, nothing is lost."""
    from conftest import QUIET, line_call

    from ivr.signal.wav import write_wav

    with tmpfs(tmp_path / "disk", "4m") as disk:
        db = disk / "calls.sqlite3"
        env = {**os.environ, "IVR_AUDIO_DIR": str(tmp_path / "audio"), "XDG_STATE_HOME": str(tmp_path / "state")}
        caller_wav = tmp_path / "quiet.wav"
        write_wav(caller_wav, [line_call(40, [(10.5, "Front_Center", QUIET), (17.0, "Rear_Left", QUIET)])])
        args = [IVR, "replay", str(caller_wav), "--caller-id", "13800138000", "--records", str(db), "--model", "none"]
        assert run_process([*args[:2], "--help"], 60, capture_output=True).returncode == 0
        first = run_process(args, 120, capture_output=True, text=True, env=env)  # makes the store
        assert first.returncode == 0, first.stderr
        remount(disk, "ro")
        out = run_process(args, 120, capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1].split()[1:] == ["hangup", "by=ivr", "rule=HEAR-2"]
        assert "callback_registered" in out.stdout
        (warned,) = out.stderr.strip().splitlines()  # one clear line, at start-up
        assert "the store cannot be written" in warned
        journals = list((tmp_path / "state" / "ivr" / "journal").glob("*.jsonl"))  # not on the read-only disk
        ops = [json.loads(line)["op"] for j in journals for line in j.read_text().splitlines()]
        assert ops == ["open_call", "add_callback", "close_call"]
        remount(disk, "rw")
        synced = run_process(
            [IVR, "records", "sync", "--records", str(db)], 60, capture_output=True, text=True, env=env
        )
        assert synced.returncode == 0 and "3 journaled write(s) replayed" in synced.stderr
        listed = run_process([IVR, "callbacks", "--records", str(db)], 60, capture_output=True, text=True, env=env)
        assert listed.stdout.count("caller too quiet") == 2  # this call's call-back and the first call's


def test_a_recording_that_fills_the_disk_ends_the_recording_not_the_call(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "256k") as disk:
        db = tmp_path / "calls.sqlite3"
        env = {**os.environ, "IVR_AUDIO_DIR": str(tmp_path / "audio")}
        args = [IVR, "demo", "--model", "none", "--records", str(db), "--record", str(disk / "call.wav")]
        out = run_process(args, 120, capture_output=True, text=True, env=env)
        assert out.returncode == 2, out.stderr
        reason = "could not be written (No space left on device); the call went on without it"
        assert out.stderr.strip() == f"ivr: --record: {disk / 'call.wav'} {reason}"
        assert out.stdout.strip().splitlines()[-1].split()[1:] == ["hangup", "by=ivr", "rule=SIL-1"]
        assert list(disk.iterdir()) == []  # no stray .part
        (call,) = stored(db, "calls")
        assert call["status"] == "complete" and call["ended_by"] == "ivr"


@pytest.mark.parametrize("target", ["DIR", "INPUT", "/proc/nope/x.wav", "call.mp3"])
def test_a_bad_recording_target_is_refused_before_the_call(tmp_path: Path, target: str) -> None:
    caller = tmp_path / "in.wav"
    from ivr.signal.wav import write_wav

    write_wav(caller, [np.zeros(16000, np.int16)])
    where = {"DIR": str(tmp_path), "INPUT": str(caller)}.get(target, target)
    env = {**os.environ, "IVR_AUDIO_DIR": str(tmp_path / "audio")}
    out = run_process(
        [IVR, "replay", str(caller), "--model", "none", "--records", "none", "--record", where],
        60,
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 2 and out.stdout == "" and out.stderr.startswith("ivr: --record: ")
    assert out.stderr.count("\n") == 1 and list(tmp_path.glob(".*.part")) == []


# -- the records store failing ---------------------------------------------------------------------------


@pytest.mark.rules("HEAR-2")
def test_a_read_only_store_never_cuts_the_call_and_the_journal_catches_up(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "8m") as disk:
        path = disk / "records.sqlite3"
        open_records(str(path), disk, print, "test:1").close()
        remount(disk, "ro")
        warnings: list[str] = []
        journal = tmp_path / "journal"
        records = DurableRecords(open_store_or_unavailable(path), journal, warnings.append, "test:1")
        records.start()
        assert len(warnings) == 1 and "the store cannot be written" in warnings[0]  # reported at start-up
        call = records.open_call(start())
        records.add_callback(call, CallbackRequest("13800138000", "张伟", "caller too quiet", "HEAR-2", 20.0))
        records.close_call(call, end("ivr"))
        assert len(warnings) == 1  # the failure was said once, at start-up; the writes went quietly to the journal
        assert [e["op"] for e in records.journal.entries()] == ["open_call", "add_callback", "close_call"]
        remount(disk, "rw")
        again = DurableRecords(open_store(str(path)), journal, warnings.append, "test:1")
        again.start()
        assert "replayed 3 journaled write(s)" in warnings[-1]
        assert again.store.read("SELECT id, status FROM calls") == [{"id": call, "status": "complete"}]
        assert again.store.read("SELECT call_id FROM callbacks") == [{"call_id": call}]
        assert not records.journal


def open_store_or_unavailable(path: Path) -> Store:
    try:
        return open_store(str(path))
    except IvrError as e:
        return Unavailable(str(path), str(e))


def test_a_full_disk_during_a_call_is_one_line_and_nothing_is_lost(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk:
        path = disk / "records.sqlite3"
        warnings: list[str] = []
        records = open_records(str(path), tmp_path, warnings.append, "test:1")
        call = records.open_call(start())
        filler = disk / "filler"
        with filler.open("wb") as f:
            try:
                while True:
                    f.write(b"x" * 65536)
                    f.flush()
            except OSError:
                pass
        big = end()
        big = CallEnd(
            big.ended_at,
            big.ended_by,
            big.end_rule,
            big.duration_s,
            timeline=[{"t": i, "event": "x" * 100} for i in range(20000)],
        )
        records.close_call(call, big)
        assert len(warnings) == 1 and "kept in the journal" in warnings[0]
        assert [e["op"] for e in records.journal.entries()] == ["close_call"]  # on another disk than the full one
        filler.unlink()
        records.add_ticket(call, TicketRequest("repair", "网络维护部", {}, "REP-1", 3, 50.0))  # the store is back
        (row,) = records.store.read("SELECT status FROM calls")
        assert row["status"] == "complete" and len(records.store.read("SELECT id FROM tickets")) == 1


def test_a_lock_held_by_another_process_is_waited_out_then_journaled(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    warnings: list[str] = []
    records = open_records(str(path), tmp_path, warnings.append, "test:1")
    records.store._db.close()  # reopen with a short lock wait, as a busy deployment would configure it
    records.store = SqliteStore(path, lock_wait_s=0.5)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        call = records.open_call(start())
        assert "database is locked" in warnings[0] and [e["op"] for e in records.journal.entries()] == ["open_call"]
    finally:
        holder.kill()
        wait_process(holder, 10)
    records.close_call(call, end())
    assert records.store.read("SELECT status FROM calls") == [{"status": "complete"}] and not records.journal


HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read() if False else __import__("signal").pause()
"""


WRITER = """
import signal, sys
from datetime import UTC, datetime
from ivr.records import open_records
from ivr.records.model import CallbackRequest, CallEnd, CallStart, TicketRequest
url, stop = sys.argv[1], int(sys.argv[2])
records = open_records(url, __import__("pathlib").Path(sys.argv[3]), print)
now = datetime.now(UTC)
steps = [
    lambda: records.open_call(CallStart(now, "13800138000", "hotline", "sip", records.worker)),
    lambda: records.add_callback(call, CallbackRequest("13800138000", "张伟", "noisy line", "HEAR-3", 9.0)),
    lambda: records.add_ticket(call, TicketRequest("repair", "网络维护部", {}, "REP-1", 3, 9.5)),
    lambda: records.close_call(call, CallEnd(now, "ivr", "HEAR-3", 15.0)),
]
call = None
for i, step in enumerate(steps[:stop]):
    result = step()
    call = result if i == 0 else call
print("ready", flush=True)
signal.pause()
"""


@pytest.mark.parametrize("stop", [1, 2, 3, 4])
def test_a_process_killed_between_writes_never_leaves_a_call_back_without_its_call(
    url: str, tmp_path: Path, stop: int
) -> None:
    """SIGKILL at every event boundary: a complete row, or a row the next start reports as unfinished."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(stop), str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    writer.kill()
    wait_process(writer, 10)
    warnings: list[str] = []
    after = open_records(url, tmp_path, warnings.append)
    calls = after.store.read("SELECT id, status FROM calls")
    orphans = after.store.read("SELECT b.id FROM callbacks b LEFT JOIN calls c ON c.id = b.call_id WHERE c.id IS NULL")
    assert orphans == [] and len(calls) == 1
    if stop == 4:
        assert calls[0]["status"] == "complete" and warnings == []
    else:
        assert calls[0]["status"] == "unfinished"
        assert warnings == [f"records: 1 call(s) were left unfinished by a previous run: {calls[0]['id']}"]
    assert len(after.store.read("SELECT id FROM callbacks")) == (1 if stop >= 2 else 0)


class Department(BaseHTTPRequestHandler):
    """A department's webhook: refuses while `down`, records what it was sent otherwise."""

    down = True
    got: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Department.down:
            self.send_response(503)
        else:
            Department.got.append(body)
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.rules("REP-1")
def test_a_failing_department_webhook_loses_no_ticket(url: str, tmp_path: Path) -> None:
    Department.down = True
    Department.got.clear()
    server = HTTPServer(("127.0.0.1", 0), Department)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        records = open_records(url, tmp_path, print, "test:1")
        call = records.open_call(start())
        ticket = records.add_ticket(
            call, TicketRequest("repair", "网络维护部", {"phone": "13900138000"}, "REP-1", 3, 5.0)
        )
        hook = notifier(f"http://127.0.0.1:{server.server_port}/tickets")
        assert isinstance(hook, WebhookNotifier)
        assert deliver(records.store, hook) == (0, 1)
        (row,) = records.store.read("SELECT notify_state, notify_attempts, notify_error FROM tickets")
        assert (row["notify_state"], row["notify_attempts"]) == ("pending", 1)
        assert row["notify_error"].startswith(f"{hook.url}: HTTP Error 503")
        Department.down = False
        assert deliver(records.store, hook) == (1, 0)
        assert [t["id"] for t in Department.got] == [ticket] and Department.got[0]["fields"] == {"phone": "13900138000"}
        assert Department.got[0]["caller_number"] == "13800138000" and Department.got[0]["department"] == "网络维护部"
        assert deliver(records.store, hook) == (0, 0)  # sent once, never again
    finally:
        server.shutdown()


# -- no call holds a line for ever -----------------------------------------------------------------------


@pytest.mark.rules("CLOSE-1", "LSN-1")
def test_a_caller_who_speaks_then_vanishes_is_asked_then_let_go(run_call: ReplayFn, hotline: Flow) -> None:
    """The listening state has a limit: still there? then CLOSE-1's goodbye and the hang-up 5 s after it."""
    replayed = run_call(caller(silence(11), speech(), silence(180)))
    said = [e["prompt"] for e in events(replayed, "prompt_started")]
    assert said == ["greeting", "still_there", "close_goodbye"]
    stopped = events(replayed, "speech_stopped")[0]["t"]
    asked = events(replayed, "prompt_started")[1]["t"]
    assert asked - stopped == pytest.approx(hotline.states["listening"].wait, abs=1e-6)
    last = events(replayed, "prompt_finished")[-1]
    assert events(replayed, "hangup") == [
        {"t": pytest.approx(last["t"] + 5.0), "event": "hangup", "by": "ivr", "rule": "CLOSE-1"}
    ]
    assert replayed.result.duration < 60


def test_a_call_never_outlasts_the_flows_maximum(tmp_path: Path) -> None:
    flow = mini_flow(tmp_path, "\n  talk:\n    initial: true\n    say: a\n    on: {speech_started: talk}\n")
    flow = flow.__class__(**{**flow.__dict__, "limits": flow.limits.__class__(max_call_s=30.0, no_activity_s=600.0)})
    prompts = PromptStore(tmp_path, ToneSynth(), flow.audio)
    speech_all_along = [(0.0, 100.0)]
    replayed = replay(flow, caller(silence(100)), prompts, ScriptedVad(speech_all_along), None)
    assert events(replayed, "limit") == [{"t": 30.0, "event": "limit", "limit": "max_call_s", "seconds": 30.0}]
    assert events(replayed, "hangup") == [{"t": 30.0, "event": "hangup", "by": "max_duration"}]
    assert replayed.result.ended_by == "max_duration"


def test_a_flow_left_with_nothing_to_do_is_given_up_after_the_inactivity_limit(tmp_path: Path) -> None:
    flow = mini_flow(tmp_path, "\n  stuck:\n    initial: true\n    say: a\n")
    flow = flow.__class__(**{**flow.__dict__, "limits": flow.limits.__class__(max_call_s=3600.0, no_activity_s=20.0)})
    prompts = PromptStore(tmp_path, ToneSynth(), flow.audio)
    replayed = replay(flow, caller(silence(300)), prompts, ScriptedVad([]), None)
    finished = events(replayed, "prompt_finished")[0]["t"]
    assert events(replayed, "hangup") == [
        {"t": pytest.approx(finished + 20.0, abs=0.021), "event": "hangup", "by": "no_activity"}
    ]
