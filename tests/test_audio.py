"""Caller WAVs of any common rate, width and channel count become 16 kHz mono s16."""

from __future__ import annotations

import struct
import sys
import warnings
import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.clock import run_process
from ivr.errors import IvrError
from ivr.frames import FRAME, pad_to_frames
from ivr.signal import g711
from ivr.signal.resample import Resampler, resample
from ivr.signal.wav import CallerAudio, read_wav, write_wav

IVR = str(Path(sys.executable).parent / "ivr")


def _tone(rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * np.sin(2 * np.pi * 440 * t)


def _write(path: Path, x: np.ndarray, rate: int, width: int, channels: int) -> Path:
    if width == 1:
        raw = (np.round(x * 127) + 128).astype(np.uint8)
    elif width == 2:
        raw = np.round(x * 32767).astype("<i2")
    elif width == 3:
        v = np.round(x * (2**23 - 1)).astype(np.int32)
        raw = np.stack([(v >> s) & 0xFF for s in (0, 8, 16)], axis=1).astype(np.uint8)
    else:
        raw = np.round(x * (2**31 - 1)).astype("<i4")
    data = np.repeat(raw.reshape(len(x), -1), channels, axis=0).reshape(len(x), channels, -1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return path


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000])
@pytest.mark.parametrize("width", [1, 2, 3, 4])
@pytest.mark.parametrize("channels", [1, 2])
def test_any_common_wav_is_converted(tmp_path: Path, rate: int, width: int, channels: int) -> None:
    path = _write(tmp_path / "in.wav", _tone(rate), rate, width, channels)
    x = read_wav(path)
    assert x.dtype == np.int16
    assert len(x) == pytest.approx(16000, abs=2)
    spectrum = np.abs(np.fft.rfft(x.astype(float)))
    assert np.argmax(spectrum) * 16000 / len(x) == pytest.approx(440, abs=2)
    assert np.max(np.abs(x)) == pytest.approx(0.5 * 32768, rel=0.03)


def test_empty_recording_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
    with pytest.raises(IvrError, match=r"empty\.wav: the recording is empty"):
        read_wav(path)


def test_unreadable_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    with pytest.raises(IvrError, match=r"notes\.wav: not a readable WAV file \(no RIFF/WAVE header\)") as e:
        read_wav(path)
    assert "\n" not in str(e.value)
    with pytest.raises(IvrError, match="no such file"):
        read_wav(tmp_path / "missing.wav")


def test_write_wav_is_atomic_and_two_channel(tmp_path: Path) -> None:
    left, right = np.ones(10, np.int16), np.full(5, 7, np.int16)
    write_wav(tmp_path / "out.wav", [left, right])
    with wave.open(str(tmp_path / "out.wav")) as w:
        assert (w.getnchannels(), w.getnframes()) == (2, 10)
        data = np.frombuffer(w.readframes(10), "<i2").reshape(-1, 2)
    assert data[:, 0].tolist() == [1] * 10 and data[:, 1].tolist() == [7] * 5 + [0] * 5
    assert list(tmp_path.glob("*.part")) == []


def test_pad_to_frames() -> None:
    assert len(pad_to_frames(np.ones(FRAME + 1, np.int16))) == 2 * FRAME
    assert len(pad_to_frames(np.ones(FRAME, np.int16))) == FRAME


CLIP = Path("/usr/share/sounds/alsa/Front_Center.wav")
"""A real recorded voice (alsa-utils) to convert with sox, an independent tool."""


@pytest.mark.parametrize(
    ("sox_args", "name"),
    [
        (["-e", "a-law", "-b", "8", "-r", "8000"], "a-law 8 kHz"),
        (["-e", "u-law", "-b", "8", "-r", "8000"], "µ-law 8 kHz"),
        (["-e", "floating-point", "-b", "32", "-r", "44100"], "float32 44.1 kHz"),
        (["-e", "floating-point", "-b", "64", "-r", "22050"], "float64 22.05 kHz"),
        (["-b", "24", "-r", "48000", "-c", "2"], "24-bit 48 kHz stereo (WAVE_FORMAT_EXTENSIBLE)"),
        (["-b", "32", "-r", "96000"], "32-bit 96 kHz (WAVE_FORMAT_EXTENSIBLE)"),
        (["-b", "8", "-r", "11025"], "8-bit 11.025 kHz"),
    ],
)
def test_telephony_and_studio_wavs_written_by_sox_are_converted(tmp_path: Path, sox_args: list[str], name: str) -> None:
    path = tmp_path / "in.wav"
    assert run_process(["sox", str(CLIP), *sox_args, str(path)], 60).returncode == 0, name
    original = read_wav(CLIP).astype(np.float64)
    converted = read_wav(path).astype(np.float64)
    assert abs(len(converted) - len(original)) <= 16, name
    n = min(len(original), len(converted)) - 4
    corr = max(np.corrcoef(original[2 : 2 + n], converted[2 + lag : 2 + lag + n])[0, 1] for lag in (-2, -1, 0, 1, 2))
    assert corr > (0.97 if "8 kHz" in name else 0.98), (name, corr)  # sub-sample delays of two resamplers
    level = 20 * np.log10(np.std(converted[:n]) / np.std(original[:n]))
    assert abs(level) < 0.5, (name, level)
    if "EXTENSIBLE" in name:
        assert int.from_bytes(path.read_bytes()[20:22], "little") == 0xFFFE  # sox wrote the extensible format
    streamed = CallerAudio(path)
    frames = []
    while (frame := streamed.read()) is not None:
        frames.append(frame)
    assert abs(len(np.concatenate(frames)) - len(converted)) <= 2 * FRAME


def header(fmt: int = 1, channels: int = 1, rate: int = 16000, bits: int = 16, data: bytes = b"\0\0" * 1600) -> bytes:
    align = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, (rate * align) & 0xFFFFFFFF, align, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (header(rate=0), "sample rate 0 Hz is not a rate a recording has"),
        (header(rate=2**31), "sample rate 2147483648 Hz is not a rate a recording has"),
        (header(fmt=2), "unsupported WAV format code 2"),
        (header(bits=12), "PCM with 12 bits per sample is not a WAV this reads"),
        (header(channels=0), "0 channels"),
        (header(data=b""), "the recording is empty"),
        (header()[:36], "not a readable WAV file (no data chunk)"),
        (b"RIFF\x10\x00\x00\x00WAVEdata\x00\x00\x00\x00", "not a readable WAV file (data before fmt)"),
        (b"\x00" * 100, "not a readable WAV file (no RIFF/WAVE header)"),
    ],
)
def test_broken_wavs_are_one_line_through_the_real_command(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    out = run_process(
        [IVR, "replay", str(path), "--model", "none", "--records", "none"], 60, capture_output=True, text=True
    )
    assert out.returncode == 2 and out.stderr.startswith(f"ivr: {path}: {message}"), out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_an_odd_data_length_uses_the_whole_frames(tmp_path: Path) -> None:
    path = tmp_path / "odd.wav"
    path.write_bytes(header(data=b"\x01\x00" * 1600 + b"\x07"))
    assert len(read_wav(path)) == 1600
    cut = tmp_path / "cut.wav"
    cut.write_bytes(header(data=b"\x01\x00" * 16000)[:-8000])  # the header promises more than the file holds
    assert len(read_wav(cut)) == 16000 - 4000


def test_an_hour_long_wav_streams_in_bounded_memory(tmp_path: Path) -> None:
    """A 1-hour 48 kHz stereo recording (660 MB) before a call that ends in 35 s: read as it goes."""
    path = tmp_path / "hour.wav"
    seconds, rate = 3600, 48000
    data_bytes = seconds * rate * 4
    with path.open("wb") as f:
        f.write(header(channels=2, rate=rate, data=b"")[:-8])
        f.write(b"data" + struct.pack("<I", data_bytes))
        f.truncate(f.tell() + data_bytes)  # a sparse hour of digital silence
    measure = (
        "import resource, subprocess, sys; "
        "out = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(out.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, out.stdout.splitlines()[-1])"
    )
    args = [sys.executable, "-c", measure, IVR, "replay", str(path), "--model", "none", "--records", "none"]
    out = run_process(args, 300, capture_output=True, text=True)
    code, peak_kb, last = out.stdout.split(maxsplit=2)
    assert code == "0" and last.split()[1:] == ["hangup", "by=ivr", "rule=SIL-1"], out.stdout + out.stderr
    peak_mb = int(peak_kb) / 1024
    assert peak_mb < 400, peak_mb  # decoded whole it would be 660 MB raw, 3.6 GB as float


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (48000, 16000), (44100, 16000), (16000, 8000)])
def test_the_resampler_streams_exactly_keeps_tones_and_rejects_aliases(src: int, dst: int) -> None:
    t = np.arange(src) / src
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    for size in (1, 7, 777):
        r = Resampler(src, dst)
        chunked = np.concatenate([r.process(x[i : i + size]) for i in range(0, len(x), size)])
        assert np.allclose(chunked, Resampler(src, dst).process(x))
    y = resample(x, src, dst)
    assert len(y) == dst
    assert np.argmax(np.abs(np.fft.rfft(y))) == pytest.approx(440, abs=1)
    assert np.std(y[dst // 4 : -dst // 4]) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)
    if dst < src:
        above = 0.5 * np.sin(2 * np.pi * (dst / 2) * 1.2 * t)  # a tone above the new Nyquist frequency
        assert np.std(resample(above, src, dst)[100:-100]) < 0.5 / np.sqrt(2) * 0.01  # at least 40 dB down


def test_g711_tables_decode_as_the_standard_says() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    for law, ref in (("ulaw", audioop.ulaw2lin), ("alaw", audioop.alaw2lin)):
        assert np.array_equal(g711.decode(bytes(range(256)), law), np.frombuffer(ref(bytes(range(256)), 2), np.int16))
        x = np.arange(-32768, 32768, 7, dtype=np.int16)
        assert np.max(np.abs(g711.decode(g711.encode(x, law), law).astype(int) - x)) <= 1024
