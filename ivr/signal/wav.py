"""WAV files in and out. In: any common WAV, read as a stream in blocks (memory stays bounded whatever its
length) and converted to engine audio; out: written atomically.

The RIFF header is parsed here (the standard `wave` module refuses float and WAVE_FORMAT_EXTENSIBLE):
PCM 8/16/24/32-bit, IEEE float 32/64, A-law, µ-law, WAVE_FORMAT_EXTENSIBLE with any of those, any
channel count (mixed down) and any rate from 4 kHz to 384 kHz. Chunks other than fmt and data (in either order) are
skipped; a data chunk longer than the file (a recording cut short) is read as far as it goes, and a data
length that is not whole sample frames loses only its tail. A bad file is one line naming it.
"""

from __future__ import annotations

import os
import struct
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np

from ivr.clock import RATE
from ivr.errors import IvrError
from ivr.frames import FRAME, Samples, to_int16
from ivr.signal import g711
from ivr.signal.resample import Resampler

PCM, FLOAT, ALAW, ULAW, EXTENSIBLE = 1, 3, 6, 7, 0xFFFE
NAMES = {PCM: "PCM", FLOAT: "IEEE float", ALAW: "A-law", ULAW: "µ-law"}
OTHER_NAMES = {2: "MS ADPCM", 0x11: "IMA ADPCM", 0x31: "GSM 6.10", 0x50: "MPEG", 0x55: "MP3", 0x161: "WMA"}
"""Codes seen in the wild that are not read, named in the error."""
SUBFORMAT_TAIL = bytes.fromhex("000000001000800000aa00389b71")
"""WAVE_FORMAT_EXTENSIBLE: the sub-format GUID is the format code followed by these 14 bytes."""
MIN_RATE, MAX_RATE = 4000, 384_000
BLOCK_BYTES = 1 << 18
"""Bytes of the file read and decoded at a time (about 1.4 s of 48 kHz stereo 16-bit): memory stays bounded."""


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
    data: tuple[int, int] | None = None
    while fmt is None or data is None:
        chunk = f.read(8)
        if len(chunk) < 8:
            raise IvrError(f"{path}: not a readable WAV file (no {'data' if fmt else 'fmt'} chunk)")
        kind, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if kind == b"fmt ":
            body = f.read(min(length, 64))
            if length < 16 or len(body) < 16:
                raise IvrError(f"{path}: not a readable WAV file (fmt chunk of {length} bytes)")
            fmt = _fmt(path, body)
            f.seek(length - len(body) + (length & 1), os.SEEK_CUR)
        elif kind == b"data":
            offset = f.tell()
            data = offset, max(0, min(length, size - offset))  # a recording cut short: read what is there
            f.seek(length + (length & 1), os.SEEK_CUR)
        else:
            f.seek(length + (length & 1), os.SEEK_CUR)
    return _checked(path, *fmt, *data)


def _fmt(path: Path, body: bytes) -> tuple[int, int, int, int, int]:
    """(format code, channels, rate, block align, bits per sample) from a fmt chunk, EXTENSIBLE resolved."""
    code, channels, rate, _, align, bits = struct.unpack("<HHIIHH", body[:16])
    if code == EXTENSIBLE:
        if len(body) < 40:
            raise IvrError(f"{path}: WAVE_FORMAT_EXTENSIBLE header too short")
        guid = body[24:40]
        if guid[2:] != SUBFORMAT_TAIL:
            raise IvrError(f"{path}: unsupported WAVE_FORMAT_EXTENSIBLE sub-format {guid.hex()}")
        code = struct.unpack("<H", guid[:2])[0]
    return code, channels, rate, align, bits


def _checked(path: Path, code: int, channels: int, rate: int, align: int, bits: int, offset: int, n: int) -> WavInfo:
    widths = {PCM: (8, 16, 24, 32), FLOAT: (32, 64), ALAW: (8,), ULAW: (8,)}
    if code not in widths:
        known = f" ({OTHER_NAMES[code]})" if code in OTHER_NAMES else ""
        convert = "convert it to PCM first, e.g. sox IN.wav -e signed-integer OUT.wav"
        raise IvrError(f"{path}: unsupported WAV format code {code}{known}; {convert}")
    if bits not in widths[code]:
        raise IvrError(f"{path}: {NAMES[code]} with {bits} bits per sample is not a WAV this reads")
    if channels == 0:
        raise IvrError(f"{path}: 0 channels")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise IvrError(f"{path}: sample rate {rate} Hz is not a rate a recording has ({MIN_RATE}-{MAX_RATE} Hz)")
    if align != channels * bits // 8:
        raise IvrError(f"{path}: block align {align} does not match {channels} channels of {bits} bits")
    frames = n // align  # a data length that is not whole frames: the tail is ignored
    if frames == 0:
        raise IvrError(f"{path}: the recording is empty")
    return WavInfo(path, code, channels, rate, bits, align, offset, frames)


def decode(raw: bytes, info: WavInfo) -> np.ndarray:
    """Whole frames of raw data to mono float in [-1, 1] (channels averaged)."""
    raw = raw[: len(raw) // info.block_align * info.block_align]
    if info.format in (ALAW, ULAW):
        x, scale = g711.decode(raw, "alaw" if info.format == ALAW else "ulaw").astype(np.float64), 1 / 32768
    elif info.format == FLOAT:
        x = np.frombuffer(raw, "<f4" if info.bits == 32 else "<f8").astype(np.float64)
        x, scale = np.nan_to_num(np.clip(x, -1.0, 1.0)), 1.0
    elif info.bits == 8:
        x, scale = np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0, 1 / 128
    elif info.bits == 16:
        x, scale = np.frombuffer(raw, "<i2").astype(np.float64), 1 / 32768
    elif info.bits == 24:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = (b[:, 0] << 8) | (b[:, 1] << 16) | (b[:, 2] << 24)  # into the top of an int32: the sign comes along
        x, scale = v.astype(np.float64), 1 / float(1 << 31)
    else:
        x, scale = np.frombuffer(raw, "<i4").astype(np.float64), 1 / float(1 << 31)
    if info.channels == 1:
        return x * scale
    return x.reshape(-1, info.channels) @ np.full(info.channels, scale / info.channels)  # far faster than mean()


class CallerAudio:
    """A WAV file as the caller's side of a call: 20 ms engine frames, read and converted a block at a time.

    `read()` is the engine's AudioIn: the next frame, or None once the recording has ended (the caller
    hangs up); the last frame is padded with silence. Memory stays bounded whatever the file's length.
    """

    end_reason = "caller"

    def __init__(self, path: Path | str) -> None:
        self.info = probe(Path(path))
        self._blocks = _blocks(self.info, RATE)
        self._pending = np.zeros(0, np.int16)
        self._frames: deque[Samples] = deque()

    def read(self) -> Samples | None:
        """The next frame; None when the recording has ended."""
        while not self._frames:
            block = next(self._blocks, None)
            if block is None:
                if not len(self._pending):
                    return None
                block, self._pending = np.zeros(FRAME - len(self._pending), np.int16), self._pending
            samples = np.concatenate([self._pending, block])
            whole = len(samples) // FRAME * FRAME
            self._frames.extend(samples[:whole].reshape(-1, FRAME))
            self._pending = samples[whole:]
        return self._frames.popleft()

    def close(self) -> None:
        self._blocks.close()

    def __enter__(self) -> CallerAudio:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _blocks(info: WavInfo, rate: int) -> Generator[Samples, None, None]:
    """The data as int16 mono at `rate`, a block at a time; the file is closed at the end or on close()."""
    resampler = Resampler(info.rate, rate, causal=False)
    per_block = max(1, BLOCK_BYTES // info.block_align)
    try:
        with info.path.open("rb") as f:
            f.seek(info.data_offset)
            left = info.frames
            while left > 0:
                raw = f.read(min(left, per_block) * info.block_align)
                got = len(raw) // info.block_align
                if not got:  # the file shrank while we read it
                    break
                left -= got
                yield to_int16(resampler.process(decode(raw, info)))
    except OSError as e:
        raise IvrError(f"{info.path}: cannot read ({e.strerror})") from None
    yield to_int16(resampler.flush())


def read_wav(path: Path | str, rate: int = RATE) -> Samples:
    """A whole WAV file (prompts, tests) as mono int16 at `rate`: ceil(frames * rate / its rate) samples."""
    return np.concatenate(list(_blocks(probe(Path(path)), rate)))


def write_wav(path: Path | str, channels: list[Samples], rate: int = RATE) -> None:
    """Write int16 channels (padded to one length) atomically: a crash leaves no half file."""
    path = Path(path)
    n = max(len(c) for c in channels)
    data = np.zeros((n, len(channels)), np.int16)
    for i, c in enumerate(channels):
        data[: len(c), i] = c
    import tempfile  # only where a file is written (~4 ms of every start otherwise)
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            with wave.open(f, "wb") as w:
                w.setnchannels(len(channels))
                w.setsampwidth(2)
                w.setframerate(rate)
                w.writeframes(data.tobytes())
            f.flush()
            os.fsync(f.fileno())  # on disk before it is renamed into place
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
