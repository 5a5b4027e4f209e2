"""Caller WAVs of any common rate, width and channel count become 16 kHz mono s16 (more in test_wav_input.py)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.errors import IvrError
from ivr.frames import FRAME, pad_to_frames
from ivr.signal.wav import read_wav, write_wav


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
