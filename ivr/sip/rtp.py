"""RTP media of one call: packets in through a small jitter buffer, G.711 to 16 kHz engine frames and back.

The caller's packets are placed by their RTP timestamp; each 20 ms tick takes the next 160 samples
(8 kHz) from the play-out point, silence where a packet is missing or late. The IVR's frames go out
with continuous timestamps, one packet per tick, from the process's one ticker. RFC 4733 telephone
events are reported once each, when they end.
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

import numpy as np

from ivr.frames import FRAME, Samples, to_int16
from ivr.signal import g711
from ivr.signal.resample import Resampler

LINE_RATE = 8000
TICK = LINE_RATE // 50
"""Samples of 8 kHz audio per 20 ms."""
WINDOW = LINE_RATE * 2
"""How far ahead of the play-out point packets are kept (2 s); later ones are dropped as a burst."""
EVENTS = "0123456789*#ABCD"
_TICKS = np.arange(TICK)
_QUIET_FRAMES = 2
"""Silent IVR frames after which the down-sampler holds only zeros (its filter spans under 40 ms)."""


@dataclass(frozen=True)
class Packet:
    payload_type: int
    marker: bool
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse(data: bytes) -> Packet | None:
    """An RTP packet, or None for anything else (RTCP, junk, other versions)."""
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    first, second, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
    payload_type = second & 0x7F
    if 72 <= payload_type <= 76:  # RTCP sent to the RTP port
        return None
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10:  # header extension
        if len(data) < offset + 4:
            return None
        offset += 4 + 4 * struct.unpack("!H", data[offset + 2 : offset + 4])[0]
    end = len(data) - (data[-1] if first & 0x20 and data else 0)  # padding
    if offset > end:
        return None
    return Packet(payload_type, bool(second & 0x80), seq, ts, ssrc, data[offset:end])


def build(payload_type: int, seq: int, timestamp: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    return (
        struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | payload_type, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc)
        + payload
    )


class JitterBuffer:
    """The caller's audio by RTP timestamp; play-out a fixed `depth` behind the first packet heard."""

    def __init__(self, depth_ticks: int = 2) -> None:
        self.depth = depth_ticks * TICK
        self.buffer = np.zeros(WINDOW, np.int16)
        self.filled = np.zeros(WINDOW, bool)
        self.play: int | None = None  # RTP timestamp (unwrapped) of the next sample played
        self._last_ts: int | None = None
        self._wraps = 0
        self.late = 0
        self.lost = 0

    def _unwrap(self, ts: int) -> int:
        if self._last_ts is not None:
            if ts < 0x40000000 and self._last_ts > 0xC0000000:
                self._wraps += 1
            elif ts > 0xC0000000 and self._last_ts < 0x40000000:
                return (self._wraps - 1) * (1 << 32) + ts
        self._last_ts = ts
        return self._wraps * (1 << 32) + ts

    def put(self, timestamp: int, samples: Samples) -> None:
        ts = self._unwrap(timestamp)
        if self.play is None:
            self.play = ts - self.depth
        if ts < self.play:  # too late: its time has been played already
            self.late += 1
            return
        if ts + len(samples) - self.play > WINDOW:  # far ahead (the sender jumped): play from here on
            self.play = ts - self.depth
            self.filled[:] = False
        idx = (ts + np.arange(len(samples))) % WINDOW
        self.buffer[idx] = samples
        self.filled[idx] = True

    def pull(self) -> Samples:
        """The next 20 ms at 8 kHz; silence before the first packet and where packets are missing."""
        if self.play is None:
            return np.zeros(TICK, np.int16)
        first = self.play % WINDOW
        idx: slice | np.ndarray = slice(first, first + TICK) if first + TICK <= WINDOW else (first + _TICKS) % WINDOW
        filled = self.filled[idx]
        out = np.where(filled, self.buffer[idx], np.int16(0))
        if not filled.any():
            self.lost += 1
        self.filled[idx] = False
        self.play += TICK
        return out


class DtmfEvents:
    """RFC 4733: each telephone event reported once, when its end bit arrives (the end is sent three times)."""

    def __init__(self) -> None:
        self._done: set[int] = set()

    def take(self, packet: Packet) -> str | None:
        if len(packet.payload) < 4:
            return None
        event, flags = packet.payload[0], packet.payload[1]
        if not flags & 0x80 or packet.timestamp in self._done or event >= len(EVENTS):
            return None
        self._done.add(packet.timestamp)
        if len(self._done) > 64:
            self._done = {packet.timestamp}
        return EVENTS[event]


class Media:
    """One call's media: decode what comes in, encode what goes out, 8 kHz line to 16 kHz engine and back."""

    def __init__(self, payload_type: int, codec: str, dtmf_type: int | None, jitter_ticks: int = 2) -> None:
        self.payload_type = payload_type
        self.law = "ulaw" if codec == "PCMU" else "alaw"
        self.dtmf_type = dtmf_type
        self.jitter = JitterBuffer(jitter_ticks)
        self.dtmf = DtmfEvents()
        self.up = Resampler(LINE_RATE, 16000)
        self.down = Resampler(16000, LINE_RATE)
        self.ssrc = secrets.randbits(32)
        self.seq = secrets.randbits(16)
        self.timestamp = secrets.randbits(32)
        self.remote_ssrc: int | None = None
        self.packets_in = 0
        self.first_out = True
        self._quiet = 0
        self._silence = g711.encode(np.zeros(TICK, np.int16), self.law)

    def received(self, packet: Packet) -> str | None:
        """Take a packet from the caller; a DTMF digit if one ended."""
        if (
            self.remote_ssrc is not None
            and packet.ssrc != self.remote_ssrc
            and packet.payload_type == self.payload_type
        ):
            self.jitter = JitterBuffer(self.jitter.depth // TICK)  # a new source (re-INVITE, transfer): start over
        if packet.payload_type == self.payload_type:
            self.remote_ssrc = packet.ssrc
            self.packets_in += 1
            self.jitter.put(packet.timestamp, g711.decode(packet.payload, self.law))
        elif packet.payload_type == self.dtmf_type:
            self.packets_in += 1
            return self.dtmf.take(packet)
        return None

    def frame_in(self) -> Samples:
        """The caller's next 20 ms as an engine frame (16 kHz)."""
        line = self.jitter.pull().astype(np.float64) / 32768.0
        up = to_int16(self.up.process(line))
        return up if len(up) == FRAME else np.resize(up, FRAME)

    def packet_out(self, frame: Samples) -> bytes:
        """The IVR's next 20 ms as an RTP packet."""
        self._quiet = self._quiet + 1 if not frame.any() else 0
        if self._quiet > _QUIET_FRAMES:  # the IVR listens: no filtering of zeros (most of a call's frames)
            payload = self._silence
        else:
            line = to_int16(self.down.process(frame.astype(np.float64) / 32768.0))
            if len(line) != TICK:
                line = np.resize(line, TICK)
            payload = g711.encode(line, self.law)
        packet = build(self.payload_type, self.seq, self.timestamp, self.ssrc, payload, self.first_out)
        self.first_out = False
        self.seq = (self.seq + 1) & 0xFFFF
        self.timestamp = (self.timestamp + TICK) & 0xFFFFFFFF
        return packet
