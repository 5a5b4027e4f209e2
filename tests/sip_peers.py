"""Real SIP peers for the tests, all on 127.0.0.1: `ivr serve` itself, baresip as a caller, SIPp scenarios."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import wave
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

from ivr.clock import communicate, get_within, pause, run_process, socket_deadline, wait_process
from ivr.frames import to_int16
from ivr.signal.resample import resample
from ivr.signal.wav import write_wav

IVR = str(Path(sys.executable).parent / "ivr")
_ports = count(0)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """`ivr serve` in a process of its own, on loopback ports of its own."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        n = next(_ports)
        self.port = free_udp_port()
        self.rtp = f"{21000 + 200 * (n % 40)}-{21199 + 200 * (n % 40)}"
        self.proc = subprocess.Popen(
            [IVR, "serve", "--sip", f"127.0.0.1:{self.port}", "--rtp-ports", self.rtp, "--json", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stderr is not None
        ready = self.proc.stderr.readline()
        assert "serving SIP on" in ready, ready + self.proc.stderr.read()
        self.uri = f"sip:ivr@127.0.0.1:{self.port}"

    def __enter__(self) -> Serve:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            wait_process(self.proc, 10)

    def stop(self) -> tuple[list[dict[str, Any]], str]:
        """Drain and end it (two SIGTERMs); its events and its log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            pause(0.3)
            if self.proc.poll() is None:
                self.proc.terminate()
        out, err = communicate(self.proc, 60)
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")], err


class Ctrl:
    """baresip's ctrl_tcp: netstring JSON; events read on a thread."""

    def __init__(self, port: int) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        last: OSError | None = None
        for _ in range(100):
            try:
                self.sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError as e:
                last = e
                pause(0.05)
        else:
            raise AssertionError(f"baresip ctrl_tcp never came up: {last}")
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, command: str, params: str = "") -> None:
        payload = json.dumps({"command": command, "params": params, "token": "t"}).encode()
        self.sock.sendall(str(len(payload)).encode() + b":" + payload + b",")

    def _read(self) -> None:
        buf = b""
        socket_deadline(self.sock, None)
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.events.put({"type": "CTRL_CLOSED"})
                return
            buf += data
            while b":" in buf:
                length, rest = buf.split(b":", 1)
                if not length.isdigit() or len(rest) < int(length) + 1:
                    break
                msg = json.loads(rest[: int(length)])
                buf = rest[int(length) + 1 :]
                if not msg.get("response"):
                    self.events.put(msg)

    def wait_for(self, *kinds: str, seconds: float = 120) -> dict[str, Any]:
        while True:
            event = get_within(self.events, seconds)
            if event.get("type") in kinds or event.get("type") == "CTRL_CLOSED":
                return event


class Baresip:
    """baresip as the caller: plays a WAV as its microphone and records what it hears."""

    def __init__(self, tmp: Path, number: str = "13900139000") -> None:
        n = next(_ports)
        self.tmp = tmp / f"baresip-{n}"
        self.heard_dir = self.tmp / "heard"
        self.heard_dir.mkdir(parents=True)
        self.sip = free_udp_port()
        self.ctrl_port = free_udp_port()
        self.rtp = f"{30000 + 20 * (n % 200)}-{30019 + 20 * (n % 200)}"
        self.number = number
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self, source: Path) -> None:
        lines = [
            "poll_method epoll",
            f"sip_listen 127.0.0.1:{self.sip}",
            # aubridge without a source never plays: no device, no busy loop (alsa's "null" PCM spins a core);
            # sndfile records what is heard as it is decoded, on RTP arrival
            "audio_player aubridge,heard",
            f"audio_source aufile,{source}",
            "audio_alert aubridge,alert",
            f"rtp_ports {self.rtp}",
            "net_interface 127.0.0.1",
            "module_path /usr/lib/baresip/modules",
            "module g711.so",
            "module aufile.so",
            "module aubridge.so",
            "module sndfile.so",
            "module_tmp account.so",
            "module_app menu.so",
            "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            f"snd_path {self.heard_dir}",
            "",
        ]
        (self.tmp / "config").write_text("\n".join(lines))
        (self.tmp / "accounts").write_text(f"<sip:{self.number}@127.0.0.1:{self.sip}>;regint=0;audio_codecs=PCMU\n")

    def dial(self, uri: str, source: Path, seconds: int = 120) -> Ctrl:
        self.config(source)
        self.log = (self.tmp / "log").open("w")
        self.proc = subprocess.Popen(
            ["baresip", "-4", "-s", "-f", str(self.tmp), "-e", f"/dial {uri}", "-t", str(seconds)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.startswith("PULSE")},
        )
        return Ctrl(self.ctrl_port)

    def quit(self, ctrl: Ctrl) -> None:
        ctrl.send("quit")
        if self.proc is not None:
            wait_process(self.proc, 30)

    def heard(self) -> tuple[np.ndarray, int]:
        dumps = sorted(self.heard_dir.glob("*-dec.wav"))
        assert dumps, (self.tmp / "log").read_text()[-3000:]
        with wave.open(str(dumps[0])) as w:
            return np.frombuffer(w.readframes(w.getnframes()), np.int16), w.getframerate()

    def sip_log(self) -> str:
        return (self.tmp / "log").read_text()


def caller_wav(path: Path, *parts: np.ndarray) -> Path:
    """The caller's side for baresip's aufile source, which takes 8 kHz mono only."""
    audio = np.concatenate(parts).astype(np.float64) / 32768
    write_wav(path, [to_int16(resample(audio, 16000, 8000))], 8000)
    return path


def sipp(scenario: Path, target: str, *args: str, seconds: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a SIPp scenario against the IVR on loopback."""
    port = free_udp_port()
    with tempfile.TemporaryDirectory() as work:  # SIPp writes its logs beside the scenario otherwise
        errors = Path(work) / "errors.log"
        cmd = ["sipp", "-sf", str(scenario.resolve()), "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", str(port),
               "-m", "1", "-nostdin", "-trace_err", "-error_file", str(errors), "-timeout", f"{int(seconds)}s",
               "-timeout_error", *args, target]  # fmt: skip
        out = run_process(cmd, seconds + 30, capture_output=True, text=True, cwd=work)
        if errors.exists():
            out.stderr += errors.read_text(errors="replace")
    return out
