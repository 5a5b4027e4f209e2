"""Hostile cases in one place: what a call centre's IVR meets when things go wrong, each through real parts.

A reviewer reads this module to see every fault tried and what the IVR does about it.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import caller, silence, speech, stored

from ivr.adapters.language import MandarinLanguage
from ivr.adapters.prompts import PromptStore
from ivr.adapters.vad import SileroVad
from ivr.adapters.wavline import CollectedOutput, WavCaller
from ivr.clock import run_process
from ivr.engine.session import CallSetup, run_line
from ivr.flowlang.model import Flow
from ivr.testing import MemoryRecords


def rss_bytes() -> int:
    """The process's resident memory now (not its peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


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

    disk = tmp_path / "disk"
    disk.mkdir()
    assert run_process(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], 30).returncode == 0
    try:
        db = disk / "calls.sqlite3"
        env = {**os.environ, "IVR_AUDIO_DIR": str(tmp_path / "audio"), "XDG_STATE_HOME": str(tmp_path / "state")}
        caller_wav = tmp_path / "quiet.wav"
        write_wav(caller_wav, [line_call(40, [(10.5, "Front_Center", QUIET), (17.0, "Rear_Left", QUIET)])])
        args = [IVR, "replay", str(caller_wav), "--caller-id", "13800138000", "--records", str(db), "--model", "none"]
        assert run_process([*args[:2], "--help"], 60, capture_output=True).returncode == 0
        first = run_process(args, 120, capture_output=True, text=True, env=env)  # makes the store
        assert first.returncode == 0, first.stderr
        assert run_process(["mount", "-o", "remount,ro", str(disk)], 30).returncode == 0
        out = run_process(args, 120, capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1].split()[1:] == ["hangup", "by=ivr", "rule=HEAR-2"]
        assert "callback_registered" in out.stdout
        (warned,) = out.stderr.strip().splitlines()  # one clear line, at start-up
        assert "the store cannot be written" in warned
        journals = list((tmp_path / "state" / "ivr" / "journal").glob("*.jsonl"))  # not on the read-only disk
        ops = [json.loads(line)["op"] for j in journals for line in j.read_text().splitlines()]
        assert ops == ["open_call", "add_callback", "close_call"]
        assert run_process(["mount", "-o", "remount,rw", str(disk)], 30).returncode == 0
        synced = run_process(
            [IVR, "records", "sync", "--records", str(db)], 60, capture_output=True, text=True, env=env
        )
        assert synced.returncode == 0 and "3 journaled write(s) replayed" in synced.stderr
        listed = run_process([IVR, "callbacks", "--records", str(db)], 60, capture_output=True, text=True, env=env)
        assert listed.stdout.count("caller too quiet") == 2  # this call's call-back and the first call's
    finally:
        run_process(["umount", "-l", str(disk)], 30)


def test_a_recording_that_fills_the_disk_ends_the_recording_not_the_call(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    assert run_process(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], 30).returncode == 0
    try:
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
    finally:
        run_process(["umount", "-l", str(disk)], 30)


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
