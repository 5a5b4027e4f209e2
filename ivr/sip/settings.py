"""`ivr serve`'s settings, and the parsing of its address arguments (validated: nothing binds where not told)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ivr.errors import IvrError


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 5080
    rtp_first: int = 20000
    rtp_last: int = 20999
    max_calls: int = 100
    queue: int = 50
    answer_after: int = 1
    ring_period_s: float = 5.0
    media_timeout_s: float = 15.0
    jitter_frames: int = 2

    def problems(self) -> list[str]:
        out = []
        if not 1 <= self.max_calls <= 5000:
            out.append("--max-calls: 1 to 5000")
        if not 0 <= self.queue <= 5000:
            out.append("--queue: 0 to 5000")
        if not 1 <= self.answer_after <= 20:
            out.append("--answer-after: 1 to 20 rings")
        if not 0.5 <= self.ring_period_s <= 30:
            out.append("--ring-period: 0.5 to 30 seconds")
        if not 1 <= self.media_timeout_s <= 3600:
            out.append("--media-timeout: 1 to 3600 seconds")
        if (self.rtp_last - self.rtp_first + 1) // 2 < self.max_calls:
            out.append(f"--rtp-ports: {self.rtp_first}-{self.rtp_last} has room for fewer than --max-calls calls")
        return out


def parse_address(text: str, flag: str = "--sip") -> tuple[str, int]:
    """HOST:PORT with HOST an IPv4 address (or [v6]); a name, a newline or junk is a one-line error."""
    if not text or len(text) > 64 or any(c.isspace() or not c.isprintable() for c in text):
        raise IvrError(f"{flag}: {text[:40]!r} is not HOST:PORT")
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise IvrError(f"{flag}: {host[:40]!r} is not an IP address (e.g. 127.0.0.1:5080)") from None
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise IvrError(f"{flag}: port {port[:10]!r} is not 1-65535")
    return host, int(port)


def parse_ports(text: str) -> tuple[int, int]:
    """A-B, an even first port (RTP) and a range inside 1024-65535."""
    first, sep, last = text.partition("-")
    if not sep or not first.isdigit() or not last.isdigit():
        raise IvrError(f"--rtp-ports: {text[:40]!r} is not A-B (e.g. 20000-20999)")
    a, b = int(first), int(last)
    if not 1024 <= a < b <= 65535:
        raise IvrError(f"--rtp-ports: {a}-{b} must lie within 1024-65535, first below last")
    if a % 2:
        raise IvrError(f"--rtp-ports: the first port {a} must be even (RTP uses even ports)")
    return a, b
