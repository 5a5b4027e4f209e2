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
import wave
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from conftest import speech
from heard import waits

from ivr.adapters.baresip import BaresipControl
from ivr.adapters.prompts import PromptStore
from ivr.adapters.records import Records
from ivr.flowlang.flow import Flow
from ivr.frames import resample, to_int16
from ivr.paths import ROOT
from ivr.signal.wav import write_wav

pytestmark = pytest.mark.live
IVR = str(Path(sys.executable).parent / "ivr")
SILENT_SCRIPT = ["greeting", "silent_hello", "silent_again", "silent_goodbye"]
_ports = count(0)


@pytest.fixture(scope="module")
def pulse() -> Iterator[dict[str, str]]:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "live-audio.sh"), "start", "2"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    env = dict(os.environ)
    for word in out.stdout.split()[1:]:
        key, _, value = word.partition("=")
        env[key] = value
    yield env


@pytest.fixture
def ivr_env(pulse: dict[str, str], tmp_path: Path, prompts: PromptStore) -> dict[str, str]:
    return {
        **pulse,
        "IVR_AUDIO_DIR": str(prompts.audio_dir),
        "IVR_RECORDS": str(tmp_path / "records.sqlite3"),
    }


def events_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def check_silent_script_heard(recording: np.ndarray, rate: int, hotline: Flow, prompts: PromptStore) -> None:
    """At the caller: the four prompts in order, each 5.00 s +- 0.04 s after the one before ended."""
    audio = [prompts.get(hotline.text(p)).samples for p in SILENT_SCRIPT]
    matches, gaps = waits(recording, audio, rate)
    assert min(matches) > 0.95, matches
    assert gaps == [pytest.approx(5.0, abs=0.04)] * 3


def test_devices_are_listed_and_a_wrong_one_is_a_clear_error(ivr_env: dict[str, str]) -> None:
    listed = subprocess.run([IVR, "devices"], capture_output=True, text=True, env=ivr_env)
    assert "line1_caller_mon" in listed.stdout and "line1_ivr" in listed.stdout
    bad = subprocess.run([IVR, "run", "--device", "line9_nope"], capture_output=True, text=True, env=ivr_env)
    assert bad.returncode == 2
    assert bad.stderr.startswith("ivr: --device: 'line9_nope' is not an input device (devices: ")
    assert "line1_caller_mon" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


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
            run = subprocess.run(
                [IVR, "run", "--device", "line1_caller_mon,line1_ivr", "--json", "--model", "none"],
                capture_output=True,
                text=True,
                env=ivr_env,
                timeout=120,
            )
        finally:
            recorder.terminate()
            recorder.wait()
    assert run.returncode == 0, run.stderr
    timeline = events_of(run.stdout)
    said = sum(prompts.get(hotline.text(p)).duration for p in SILENT_SCRIPT)
    ends = round(said + 4 * 5.0, 2)
    assert timeline[-1] == {"t": pytest.approx(ends), "event": "hangup", "by": "ivr", "rule": "SIL-1"}
    check_silent_script_heard(np.fromfile(heard, np.int16), 16000, hotline, prompts)
    calls = Records(Path(ivr_env["IVR_RECORDS"])).calls()
    assert [(c["ended_by"], round(c["duration"], 2)) for c in calls] == [("ivr", ends)]


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
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    timeline = events_of(rest)
    assert [e["event"] for e in timeline][-3:] == ["prompt_finished", "hangup", "state"]
    assert timeline[-3]["interrupted"] is True and timeline[-2]["by"] == "caller"
    calls = Records(Path(ivr_env["IVR_RECORDS"])).calls()
    assert len(calls) == 1 and calls[0]["ended_by"] == "caller"


class Softphone:
    """`ivr softphone` for one call on line 1, and a second baresip as the caller dialling it."""

    def __init__(self, env: dict[str, str], tmp: Path, *args: str) -> None:
        n = next(_ports)
        # baresip also takes the next port (SIP over TLS): keep the two phones' ports apart.
        self.sip, self.ctrl = f"127.0.0.1:{5100 + 10 * n}", f"127.0.0.1:{4500 + n}"
        self.caller_sip = f"127.0.0.1:{5105 + 10 * n}"
        self.caller_rtp = f"{30000 + 10 * n}-{30009 + 10 * n}"
        self.caller_ctrl = f"127.0.0.1:{4700 + n}"
        self.tmp, self.env = tmp, env
        self.proc = subprocess.Popen(
            [IVR, "softphone", "--calls", "1", "--json", "--sip", self.sip, "--ctrl", self.ctrl, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stderr is not None
        ready = self.proc.stderr.readline()
        assert "answering SIP calls" in ready, ready + self.proc.stderr.read()

    def dial(self, caller_wav: Path, seconds: int = 90) -> tuple[str, np.ndarray]:
        """The caller plays the WAV (and hangs up when it ends); returns its SIP log and what it heard."""
        config = self.tmp / "caller"
        heard = self.tmp / "heard"
        config.mkdir()
        heard.mkdir()
        (config / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen {self.caller_sip}",
                    "audio_player alsa,null",
                    f"audio_source aufile,{caller_wav}",
                    "audio_alert alsa,null",
                    f"rtp_ports {self.caller_rtp}",
                    "net_interface 127.0.0.1",
                    "module_path /usr/lib/baresip/modules",
                    "module g711.so",
                    "module aufile.so",
                    "module alsa.so",
                    "module sndfile.so",
                    "module_tmp account.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen {self.caller_ctrl}",
                    f"snd_path {heard}",
                    "",
                ]
            )
        )
        (config / "accounts").write_text(f"<sip:13900139000@{self.caller_sip}>;regint=0;audio_codecs=PCMU\n")
        log = self.tmp / "caller.log"
        with log.open("w") as out:
            caller = subprocess.Popen(
                ["baresip", "-4", "-s", "-f", str(config), "-e", f"/dial sip:ivr@{self.sip}", "-t", str(seconds)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
            ctrl = BaresipControl(self.caller_ctrl)
            while ctrl.events.get(timeout=seconds)["type"] not in ("CALL_CLOSED", "CTRL_CLOSED"):
                pass
            ctrl.send("quit")
            caller.wait(timeout=30)
            ctrl.close()
        dumps = sorted(heard.glob("*-dec.wav"))
        assert dumps, log.read_text()[-2000:]
        with wave.open(str(dumps[0])) as w:
            self.rate = w.getframerate()
            audio = np.frombuffer(w.readframes(w.getnframes()), np.int16)
        return log.read_text(), audio

    def finish(self) -> list[dict]:
        out, err = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, err
        return events_of(out)


def caller_wav(path: Path, *parts: np.ndarray) -> Path:
    """The caller's side for baresip's aufile source, which takes 8 kHz mono only."""
    audio = np.concatenate(parts).astype(np.float64) / 32768
    write_wav(path, [to_int16(resample(audio, 16000, 8000))], 8000)
    return path


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16000), np.int16)


def test_softphone_silent_call_hangs_up_with_a_bye(
    ivr_env: dict[str, str], hotline: Flow, prompts: PromptStore, tmp_path: Path
) -> None:
    phone = Softphone(ivr_env, tmp_path, "--model", "none")
    log, heard = phone.dial(caller_wav(tmp_path / "silent.wav", quiet(60)))
    timeline = phone.finish()
    check_silent_script_heard(heard, phone.rate, hotline, prompts)
    assert "BYE sip:13900139000" in log  # the IVR's hang-up reached the caller as a SIP BYE
    assert [(e["by"], e["rule"]) for e in timeline if e["event"] == "hangup"] == [("ivr", "SIL-1")]
    rings = [e for e in timeline if e["event"] == "ring"]
    assert [r["ring"] for r in rings] == [1] and timeline[len(rings)]["rings"] == 1
    assert Records(Path(ivr_env["IVR_RECORDS"])).calls()[0]["caller_id"] == "13900139000"


def test_softphone_caller_speaks_then_hangs_up(
    ivr_env: dict[str, str], hotline: Flow, prompts: PromptStore, tmp_path: Path
) -> None:
    g = prompts.get(hotline.text("greeting")).duration
    phone = Softphone(ivr_env, tmp_path)  # with the real Vosk model
    log, _ = phone.dial(caller_wav(tmp_path / "speaks.wav", quiet(g + 2), speech(), quiet(6)))
    timeline = phone.finish()
    started = [e["rule"] for e in timeline if e["event"] == "prompt_started"]
    assert started == ["ANS-2"]  # SIL-2: no silent-call script, LSN-1: no talking over the caller
    assert [e["event"] for e in timeline].count("speech_started") == 1
    assert [(e["by"], e["rule"]) for e in timeline if e["event"] == "hangup"] == [("caller", "CLOSE-1")]
    assert "BYE sip:ivr" in log  # it was the caller's BYE
    calls = Records(Path(ivr_env["IVR_RECORDS"])).calls()
    assert [c["ended_by"] for c in calls] == ["caller"]


def test_softphone_caller_hangs_up_mid_prompt(ivr_env: dict[str, str], tmp_path: Path) -> None:
    phone = Softphone(ivr_env, tmp_path, "--model", "none")
    phone.dial(caller_wav(tmp_path / "short.wav", quiet(4)))
    timeline = phone.finish()
    finished = [e for e in timeline if e["event"] == "prompt_finished"]
    assert len(finished) == 1 and finished[0]["interrupted"] is True and 3.0 < finished[0]["played"] < 5.0
    assert [e["by"] for e in timeline if e["event"] == "hangup"] == ["caller"]
    assert Records(Path(ivr_env["IVR_RECORDS"])).calls()[0]["ended_by"] == "caller"


def test_softphone_answering_late_apologises_first(
    ivr_env: dict[str, str], hotline: Flow, prompts: PromptStore, tmp_path: Path
) -> None:
    phone = Softphone(ivr_env, tmp_path, "--model", "none", "--answer-after", "6", "--ring-period", "0.5")
    _, heard = phone.dial(caller_wav(tmp_path / "late.wav", quiet(12)))
    timeline = phone.finish()
    assert [e["ring"] for e in timeline if e["event"] == "ring"] == [1, 2, 3, 4, 5, 6]
    started = [(e["prompt"], e["rule"]) for e in timeline if e["event"] == "prompt_started"]
    assert started[:2] == [("late_apology", "ANS-1"), ("greeting", "ANS-2")]
    matches, gaps = waits(
        heard, [prompts.get(hotline.text(p)).samples for p in ("late_apology", "greeting")], phone.rate
    )
    assert min(matches) > 0.95 and gaps == [pytest.approx(0.0, abs=0.04)]
