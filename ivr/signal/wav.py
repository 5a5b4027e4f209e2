"""WAV files in and out. In: any common WAV, read as a stream in blocks (memory stays bounded whatever its
length) and converted to engine audio; out: written atomically.

The RIFF header is parsed here (the standard `wave` module refuses float and WAVE_FORMAT_EXTENSIBLE):
PCM 8/16/24/32-bit, IEEE float 32/64, A-law, µ-law, WAVE_FORMAT_EXTENSIBLE with any of those, any
channel count (mixed down) and any rate from 4 kHz to 384 kHz. A bad file is one line naming it.
"""

from __future__ import annotations

import os
import struct
import tempfile
import wave
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ivr.clock import RATE
from ivr.errors import IvrError
from ivr.frames import FRAME, Samples, to_int16
from ivr.signal import g711
from ivr.signal.resample import Resampler, resample

PCM, FLOAT, ALAW, ULAW, EXTENSIBLE = 1, 3, 6, 7, 0xFFFE
NAMES = {PCM: "PCM", FLOAT: "IEEE float", ALAW: "A-law", ULAW: "µ-law"}
MIN_RATE, MAX_RATE = 4000, 384_000
MAX_CHANNELS = 32
BLOCK_S = 1.0
"""Seconds of the file decoded at a time."""


@dataclass(frozen=True)
class WavInfo:
    path: Path
    format: int
    channels: int
    rate: int
    bits: int
    block_align: int
    data_offset: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.rate


def probe(path: Path) -> WavInfo:
    """Read and check a WAV file's header; raises IvrError naming the file and what is wrong."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            return _parse(path, f, size)
    except FileNotFoundError:
        raise IvrError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise IvrError(f"{path}: is a directory, not a WAV file") from None
    except OSError as e:
        raise IvrError(f"{path}: cannot read ({e.strerror})") from None


def _parse(path: Path, f: BinaryIO, size: int) -> WavInfo:
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise IvrError(f"{path}: not a readable WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, int, int, int, int] | None = None
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            raise IvrError(f"{path}: not a readable WAV file (no {'data' if fmt else 'fmt'} chunk)")
        kind, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if kind == b"fmt ":
            body = f.read(min(length, 64))
            if length < 16 or len(body) < 16:
                raise IvrError(f"{path}: not a readable WAV file (fmt chunk of {length} bytes)")
            code, channels, rate, _, align, bits = struct.unpack("<HHIIHH", body[:16])
            if code == EXTENSIBLE:
                if len(body) < 26:
                    raise IvrError(f"{path}: WAVE_FORMAT_EXTENSIBLE header too short")
                code = struct.unpack("<H", body[24:26])[0]
            fmt = (code, channels, rate, align, bits)
            f.seek(length - len(body) + (length & 1), os.SEEK_CUR)
        elif kind == b"data":
            if fmt is None:
                raise IvrError(f"{path}: not a readable WAV file (data before fmt)")
            offset = f.tell()
            available = min(length, size - offset)  # a recording cut short: read what is there
            return _checked(path, *fmt, offset, available)
        else:
            f.seek(length + (length & 1), os.SEEK_CUR)


def _checked(path: Path, code: int, channels: int, rate: int, align: int, bits: int, offset: int, n: int) -> WavInfo:
    widths = {PCM: (8, 16, 24, 32), FLOAT: (32, 64), ALAW: (8,), ULAW: (8,)}
    if code not in widths:
        raise IvrError(f"{path}: unsupported WAV format code {code} (PCM, float, A-law, µ-law are read)")
    if bits not in widths[code]:
        raise IvrError(f"{path}: {NAMES[code]} with {bits} bits per sample is not a WAV this reads")
    if not 1 <= channels <= MAX_CHANNELS:
        raise IvrError(f"{path}: {channels} channels (1 to {MAX_CHANNELS} are read)")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise IvrError(f"{path}: sample rate {rate} Hz is not a rate a recording has ({MIN_RATE}-{MAX_RATE} Hz)")
    if align != channels * bits // 8:
        raise IvrError(f"{path}: block align {align} does not match {channels} channels of {bits} bits")
    frames = n // align  # a data length that is not whole frames: the tail is ignored
    if frames == 0:
        raise IvrError(f"{path}: the recording is empty")
    return WavInfo(path, code, channels, rate, bits, align, offset, frames)


def decode(raw: bytes, info: WavInfo) -> np.ndarray:
    """Whole frames of raw data to mono float in [-1, 1]."""
    n = len(raw) // info.block_align * info.block_align
    raw = raw[:n]
    if info.format in (ALAW, ULAW):
        x = g711.decode(raw, "alaw" if info.format == ALAW else "ulaw").astype(np.float64) / 32768.0
    elif info.format == FLOAT:
        x = np.frombuffer(raw, "<f4" if info.bits == 32 else "<f8").astype(np.float64)
        x = np.nan_to_num(np.clip(x, -1.0, 1.0))
    elif info.bits == 8:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    elif info.bits == 16:
        x = np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
    elif info.bits == 24:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / float(1 << 23)
    else:
        x = np.frombuffer(raw, "<i4").astype(np.float64) / float(1 << 31)
    return x.reshape(-1, info.channels).mean(axis=1)


class CallerAudio:
    """A WAV file as the caller's side of a call: 20 ms engine frames, read and converted a block at a time."""

    end_reason = "caller"

    def __init__(self, path: Path) -> None:
        self.info = probe(path)
        self._file = path.open("rb")
        self._file.seek(self.info.data_offset)
        self._left = self.info.frames
        self._resampler = Resampler(self.info.rate, RATE)
        self._skip = 0 if self.info.rate == RATE else round(self._resampler.delay * RATE / self.info.rate)
        self._left_out = round(self.info.frames * RATE / self.info.rate)  # the call lasts as long as the recording
        self._pending = np.zeros(0, np.int16)
        self._frames: deque[Samples] = deque()
        self._flushed = False

    def read(self) -> Samples | None:
        """The next frame; None when the recording has ended (the caller hangs up)."""
        while not self._frames:
            if not self._fill():
                return None
        return self._frames.popleft()

    def _fill(self) -> bool:
        if self._left > 0:
            want = min(self._left, max(1, int(BLOCK_S * self.info.rate)))
            raw = self._file.read(want * self.info.block_align)
            got = len(raw) // self.info.block_align
            self._left = self._left - got if got else 0
            y = self._resampler.process(decode(raw, self.info)) if got else np.zeros(0)
        elif not self._flushed:
            self._flushed = True
            y = self._resampler.flush()
        else:
            if len(self._pending):
                self._frames.append(np.concatenate([self._pending, np.zeros(FRAME - len(self._pending), np.int16)]))
                self._pending = np.zeros(0, np.int16)
                return True
            self._file.close()
            return False
        if self._skip:  # the filter's delay: the stream starts where the recording does
            dropped = min(self._skip, len(y))
            y, self._skip = y[dropped:], self._skip - dropped
        y = y[: self._left_out]
        self._left_out -= len(y)
        samples = np.concatenate([self._pending, to_int16(y)])
        whole = len(samples) // FRAME * FRAME
        self._frames.extend(samples[:whole].reshape(-1, FRAME))
        self._pending = samples[whole:]
        return True

    def close(self) -> None:
        self._file.close()


def read_wav(path: Path | str, rate: int = RATE) -> Samples:
    """A whole WAV file (prompts, tests) as mono int16 at `rate`."""
    info = probe(Path(path))
    with info.path.open("rb") as f:
        f.seek(info.data_offset)
        x = decode(f.read(info.frames * info.block_align), info)
    return to_int16(resample(x, info.rate, rate))


def write_wav(path: Path | str, channels: list[Samples], rate: int = RATE) -> None:
    """Write int16 channels (padded to one length) atomically: a crash leaves no half file."""
    path = Path(path)
    n = max(len(c) for c in channels)
    data = np.zeros((n, len(channels)), np.int16)
    for i, c in enumerate(channels):
        data[: len(c), i] = c
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(len(channels))
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(data.tobytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
