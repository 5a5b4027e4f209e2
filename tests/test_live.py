"""Live calls on a real audio device (PulseAudio null sinks) and through real SIP peers (baresip).

These run in CI: the fixture starts the project's own PulseAudio (scripts/live-audio.sh); a
failure to start it fails the tests, it never skips them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from conftest import stored
from heard import wait_until_recording, waits

from ivr.adapters.prompts import PromptStore
from ivr.clock import communicate, run_process
from ivr.flowlang.model import Flow
from ivr.paths import ROOT

pytestmark = pytest.mark.live
IVR = str(Path(sys.executable).parent / "ivr")
SILENT_SCRIPT = ["greeting", "silent_again", "silent_goodbye"]
_ports = count(0)


@pytest.fixture(scope="module")
def pulse() -> Iterator[dict[str, str]]:
    """The project's PulseAudio lines; stopped afterwards unless it was running before (its players cost CPU)."""
    script = ["bash", str(ROOT / "scripts" / "live-audio.sh")]
    was_running = run_process([*script, "status"], 30).returncode == 0
    out = run_process([*script, "start", "2"], 60, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    env = dict(os.environ)
    for word in out.stdout.split()[1:]:
        key, _, value = word.partition("=")
        env[key] = value
    yield env
    if not was_running:
        run_process([*script, "stop"], 30)


@pytest.fixture
def ivr_env(pulse: dict[str, str], tmp_path: Path, prompts: PromptStore) -> dict[str, str]:
    return {
        **pulse,
        "IVR_AUDIO_DIR": str(prompts.audio_dir),
        "IVR_RECORDS": str(tmp_path / "records.sqlite3"),
    }


def events_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def check_silent_script_heard(
    recording: np.ndarray, rate: int, hotline: Flow, prompts: PromptStore, stderr: str = ""
) -> None:
    """At the caller: the three prompts in order, each 5.00 s +- 0.04 s after the one before ended."""
    audio = [prompts.get(hotline.text(p)).samples for p in SILENT_SCRIPT]
    matches, gaps = waits(recording, audio, rate)
    assert min(matches) > 0.95, (matches, stderr)
    assert gaps == [pytest.approx(5.0, abs=0.04)] * 2


def test_devices_are_listed_and_a_wrong_one_is_a_clear_error(ivr_env: dict[str, str]) -> None:
    listed = subprocess.run([IVR, "devices"], capture_output=True, text=True, env=ivr_env)
    assert "line1_caller_mon" in listed.stdout and "line1_ivr" in listed.stdout
    bad = subprocess.run([IVR, "run", "--device", "line9_nope"], capture_output=True, text=True, env=ivr_env)
    assert bad.returncode == 2
    assert bad.stderr.startswith("ivr: --device: 'line9_nope' is not an input device (devices: ")
    assert "line1_caller_mon" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.rules("SIL-1", "ANS-2")
def test_sound_card_silent_call_is_timed_by_the_device(
    ivr_env: dict[str, str], hotline: Flow, prompts: PromptStore, tmp_path: Path
) -> None:
    heard = tmp_path / "heard.raw"
    with heard.open("wb") as out:
        recorder = subprocess.Popen(
            ["parecord", "--device=line1_ivr.monitor", "--raw", "--format=s16le", "--rate=16000", "--channels=1"],
            stdout=out,
            env=ivr_env,
        )
        try:
            wait_until_recording(heard, recorder)
            run = run_process(
                [IVR, "run", "--device", "line1_caller_mon,line1_ivr", "--json", "--model", "none"],
                120,
                capture_output=True,
                text=True,
                env=ivr_env,
            )
        finally:
            recorder.terminate()
            recorder.wait()
    assert run.returncode == 0, run.stderr
    timeline = events_of(run.stdout)
    said = sum(prompts.get(hotline.text(p)).duration for p in SILENT_SCRIPT)
    ends = round(said + 3 * 5.0, 2)
    assert timeline[-1] == {"t": pytest.approx(ends), "event": "hangup", "by": "ivr", "rule": "SIL-1"}
    check_silent_script_heard(np.fromfile(heard, np.int16), 16000, hotline, prompts, run.stderr)
    calls = stored(Path(ivr_env["IVR_RECORDS"]), "calls")
    assert [(c["ended_by"], round(c["duration_s"], 2), c["channel"]) for c in calls] == [("ivr", ends, "soundcard")]


@pytest.mark.rules("CLOSE-1")
def test_ctrl_c_ends_the_call_cleanly_with_its_record(ivr_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [IVR, "run", "--device", "line2_caller_mon,line2_ivr", "--json", "--model", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ivr_env,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if '"prompt_started"' in line:
            break
    proc.send_signal(signal.SIGINT)
    rest, err = communicate(proc, 30)
    assert proc.returncode == 0, err
    timeline = events_of(rest)
    assert [e["event"] for e in timeline][-3:] == ["prompt_finished", "hangup", "state"]
    assert timeline[-3]["interrupted"] is True and timeline[-2]["by"] == "caller"
    calls = stored(Path(ivr_env["IVR_RECORDS"]), "calls")
    assert len(calls) == 1 and calls[0]["ended_by"] == "caller"
