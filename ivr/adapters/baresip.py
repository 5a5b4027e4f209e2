"""baresip as the IVR's softphone: a generated config, the process, and its ctrl_tcp interface."""

from __future__ import annotations

import json
import queue
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.clock import pause
from ivr.errors import IvrError


@dataclass(frozen=True)
class BaresipSettings:
    """One softphone line: where it takes SIP calls, its control port, and its PulseAudio devices."""

    sip: str = "127.0.0.1:5080"
    ctrl: str = "127.0.0.1:4444"
    player: str = "pulse,line1_caller"
    source: str = "pulse,line1_ivr.monitor"
    alert: str = "pulse,alerts"
    rtp_ports: str = "20000-20099"

    def config(self) -> str:
        host = self.sip.rsplit(":", 1)[0]
        return "\n".join(
            [
                "poll_method epoll",
                f"sip_listen {self.sip}",
                "call_max_calls 1",
                f"audio_player {self.player}",
                f"audio_source {self.source}",
                f"audio_alert {self.alert}",
                "audio_buffer 20-160",
                "jitter_buffer_delay 1-4",
                f"rtp_ports {self.rtp_ports}",
                f"net_interface {host}",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module pulse.so",
                "module_tmp account.so",
                "module_app menu.so",
                "module_app ctrl_tcp.so",
                f"ctrl_tcp_listen {self.ctrl}",
                "",
            ]
        )

    def account(self) -> str:
        return f"<sip:ivr@{self.sip}>;regint=0;audio_codecs=PCMU\n"


def start_baresip(settings: BaresipSettings, config_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """Launch baresip with a config written for this line."""
    exe = shutil.which("baresip")
    if exe is None:
        raise IvrError("baresip is not installed: apt-get install baresip (scripts/setup.sh)")
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config").write_text(settings.config())
    (config_dir / "accounts").write_text(settings.account())
    with log.open("wb") as out:
        return subprocess.Popen([exe, "-4", "-f", str(config_dir)], stdin=subprocess.DEVNULL, stdout=out, stderr=out)


class BaresipControl:
    """A ctrl_tcp connection: commands out, events in (netstring-framed JSON), read on a thread."""

    def __init__(self, address: str, attempts: int = 100) -> None:
        host, port = address.rsplit(":", 1)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._sock = self._connect(host, int(port), attempts)
        self._token = 0
        threading.Thread(target=self._read, name="baresip-ctrl", daemon=True).start()

    @staticmethod
    def _connect(host: str, port: int, attempts: int) -> socket.socket:
        last: OSError | None = None
        for _ in range(attempts):
            try:
                return socket.create_connection((host, port), timeout=0.1)
            except OSError as e:  # baresip is still starting
                last = e
                pause(0.05)
        raise IvrError(f"--ctrl: cannot reach baresip's ctrl_tcp at {host}:{port} ({last})")

    def send(self, command: str, params: str = "") -> None:
        self._token += 1
        payload = json.dumps({"command": command, "params": params, "token": str(self._token)}).encode()
        self._sock.sendall(str(len(payload)).encode() + b":" + payload + b",")

    def _read(self) -> None:
        self._sock.settimeout(None)
        buf = b""
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.events.put({"type": "CTRL_CLOSED"})
                return
            buf += data
            while b":" in buf:
                length, rest = buf.split(b":", 1)
                n = int(length)
                if len(rest) < n + 1:
                    break
                message = json.loads(rest[:n])
                buf = rest[n + 1 :]
                (self.replies if message.get("response") else self.events).put(message)

    def close(self) -> None:
        self._sock.close()
