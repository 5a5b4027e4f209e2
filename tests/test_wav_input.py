"""Caller audio in: every real WAV a user has, streamed in bounded memory; a bad one is one line, never a traceback.

The formats are written by sox (an independent tool) from a real recorded voice, and sox's own conversion of
each file to 16 kHz mono, read back with the standard `wave` module, is the reference the stream must match.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import warnings
import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.adapters.wavline import WavCaller
from ivr.clock import RATE, run_process
from ivr.errors import IvrError
from ivr.frames import FRAME
from ivr.signal import g711
from ivr.signal.wav import CallerAudio, probe, read_wav

IVR = str(Path(sys.executable).parent / "ivr")
CLIP = Path("/usr/share/sounds/alsa/Front_Center.wav")
"""A real recorded voice (alsa-utils): 1.43 s, 48 kHz mono 16-bit."""


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prompts rendered once for the replays of this module."""
    return tmp_path_factory.mktemp("wav-input-audio")


def ivr_replay(wav: Path, audio_dir: Path, *extra: str) -> tuple[int, str, str]:
    env = {**os.environ, "IVR_AUDIO_DIR": str(audio_dir)}
    args = [IVR, "replay", str(wav), "--model", "none", "--records", "none", *extra]
    out = run_process(args, 300, capture_output=True, text=True, env=env)
    return out.returncode, out.stdout, out.stderr


def sox(*args: str | Path) -> None:
    out = run_process(["sox", *map(str, args)], 60, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def wave_16k_mono(path: Path) -> np.ndarray:
    """A 16 kHz mono 16-bit WAV read with the standard library, not with our reader."""
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)


def streamed(path: Path) -> np.ndarray:
    """Every frame the caller's side delivers, the way a call reads them."""
    frames = []
    with CallerAudio(path) as audio:
        while (frame := audio.read()) is not None:
            assert frame.dtype == np.int16 and frame.shape == (FRAME,)
            frames.append(frame)
    return np.concatenate(frames).astype(np.float64)


def format_code(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[20:22], "little")


SOX_FORMATS = [
    # (sox output options, format code in the header, what it is)
    (["-e", "a-law", "-r", "8000"], 6, "A-law 8 kHz (telephony)"),
    (["-e", "u-law", "-r", "8000"], 7, "µ-law 8 kHz (telephony)"),
    (["-e", "floating-point", "-b", "32", "-r", "44100"], 3, "float32 44.1 kHz"),
    (["-e", "floating-point", "-b", "64", "-r", "22050"], 3, "float64 22.05 kHz"),
    (["-b", "24", "-c", "2"], 0xFFFE, "24-bit 48 kHz stereo, WAVE_FORMAT_EXTENSIBLE"),
    (["-t", "wavpcm", "-b", "24"], 1, "24-bit 48 kHz, plain PCM header"),
    (["-b", "32", "-r", "96000"], 0xFFFE, "32-bit 96 kHz, WAVE_FORMAT_EXTENSIBLE"),
    (["-c", "6"], 0xFFFE, "16-bit 48 kHz 5.1, WAVE_FORMAT_EXTENSIBLE"),
    (["-b", "8", "-r", "11025"], 1, "8-bit unsigned 11.025 kHz"),
    (["-r", "8000"], 1, "16-bit 8 kHz"),
]


@pytest.mark.parametrize(("options", "code", "what"), SOX_FORMATS, ids=[f[2] for f in SOX_FORMATS])
def test_every_common_wav_streams_as_the_recorded_voice(
    tmp_path: Path, options: list[str], code: int, what: str
) -> None:
    path, reference = tmp_path / "caller.wav", tmp_path / "reference.wav"
    sox(CLIP, *options, path)
    assert format_code(path) == code, what  # the header really is the one named
    sox(path, "-r", RATE, "-c", 1, "-b", 16, "-e", "signed-integer", reference)
    expected = wave_16k_mono(reference)
    got = streamed(path)
    assert len(got) == -(-len(expected) // FRAME) * FRAME  # whole frames, the last padded
    assert not got[len(expected) + 1 :].any()
    n = len(expected)
    correlation = np.corrcoef(expected[:n], got[:n])[0, 1]  # at lag 0: no delay added
    assert correlation > 0.998, (what, correlation)
    level_db = 20 * np.log10(np.std(got[:n]) / np.std(expected))
    assert abs(level_db) < 0.1, (what, level_db)
    whole = read_wav(path).astype(np.float64)  # the whole-file reader is the same stream
    assert np.array_equal(whole, got[: len(whole)]) and len(got) - len(whole) < FRAME


def _extensible(sub: int, channels: int, rate: int, container: int, valid: int, data: bytes) -> bytes:
    align = channels * container // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * align, align, container)
    fmt += struct.pack("<HHI", 22, valid, 0) + struct.pack("<H", sub) + bytes.fromhex("000000001000800000aa00389b71")
    return _riff([(b"fmt ", fmt), (b"data", data)])


def _riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"WAVE"
    for kind, content in chunks:
        body += kind + struct.pack("<I", len(content)) + content + b"\0" * (len(content) & 1)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _pcm_fmt(channels: int = 1, rate: int = RATE, bits: int = 16, code: int = 1) -> bytes:
    align = channels * bits // 8
    return struct.pack("<HHIIHH", code, channels, rate, (rate * align) & 0xFFFFFFFF, align, bits)


def test_float_and_24_in_32_bit_extensible_files_decode(tmp_path: Path) -> None:
    """WAVE_FORMAT_EXTENSIBLE as other writers make it: float sub-format, 24 valid bits in 32-bit containers."""
    voice = read_wav(CLIP)  # at 16 kHz already, so only the decoding differs
    stereo = np.repeat(voice.astype(np.float32) / 32768, 2)
    path = tmp_path / "float.wav"
    path.write_bytes(_extensible(3, 2, RATE, 32, 32, stereo.astype("<f4").tobytes()))
    assert np.array_equal(read_wav(path), voice)
    path.write_bytes(_extensible(1, 1, RATE, 32, 24, (voice.astype("<i4") << 16).tobytes()))
    assert np.array_equal(read_wav(path), voice)
    path.write_bytes(_extensible(0x55, 1, RATE, 16, 16, voice.tobytes()))
    with pytest.raises(IvrError, match="unsupported WAV format code 85 \\(MP3\\); convert it"):
        read_wav(path)


def test_other_chunks_odd_padding_and_data_before_fmt_are_read(tmp_path: Path) -> None:
    voice = read_wav(CLIP)
    data = voice.tobytes()
    path = tmp_path / "chunks.wav"
    odd = [(b"LIST", b"INFOISFT\x05\x00\x00\x00sox\x00\x00"), (b"junk", b"x" * 7), (b"fact", b"\0\0\0\0")]
    path.write_bytes(_riff([*odd, (b"fmt ", _pcm_fmt() + b"\0\0"), (b"cue ", b"c" * 3), (b"data", data)]))
    assert np.array_equal(read_wav(path), voice)
    path.write_bytes(_riff([(b"data", data), (b"fmt ", _pcm_fmt()), (b"LIST", b"trailing")]))
    assert np.array_equal(read_wav(path), voice)


def test_g711_tables_decode_as_the_standard_says() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop
    every_byte = bytes(range(256))
    for law, ref in (("ulaw", audioop.ulaw2lin), ("alaw", audioop.alaw2lin)):
        assert np.array_equal(g711.decode(every_byte, law), np.frombuffer(ref(every_byte, 2), np.int16))
        x = np.arange(-32768, 32768, 7, dtype=np.int16)
        assert np.max(np.abs(g711.decode(g711.encode(x, law), law).astype(int) - x)) <= 1024


def _pcm(data: bytes, **fmt: int) -> bytes:
    return _riff([(b"fmt ", _pcm_fmt(**fmt)), (b"data", data)])


SECOND = b"\x00\x01" * RATE
CONVERT = "convert it to PCM first, e.g. sox IN.wav -e signed-integer OUT.wav"
BROKEN = [
    ("garbage", np.random.default_rng(1).bytes(1000), "not a readable WAV file (no RIFF/WAVE header)"),
    ("text", b"caller,number\n13800138000\n", "not a readable WAV file (no RIFF/WAVE header)"),
    ("fmt missing", _riff([(b"data", SECOND)]), "not a readable WAV file (no fmt chunk)"),
    ("data missing", _riff([(b"fmt ", _pcm_fmt()), (b"LIST", b"x" * 4)]), "not a readable WAV file (no data chunk)"),
    ("header cut in fmt", _pcm(SECOND)[:30], "not a readable WAV file (fmt chunk of 16 bytes)"),
    ("rate 0", _pcm(SECOND, rate=0), "sample rate 0 Hz is not a rate a recording has (4000-384000 Hz)"),
    ("rate 2^31", _pcm(SECOND, rate=2**31), "sample rate 2147483648 Hz is not a rate a recording has (4000-384000 Hz)"),
    ("rate 3999", _pcm(SECOND, rate=3999), "sample rate 3999 Hz is not a rate a recording has (4000-384000 Hz)"),
    ("0 channels", _pcm(SECOND, channels=0), "0 channels"),
    ("12-bit", _pcm(SECOND, bits=12), "PCM with 12 bits per sample is not a WAV this reads"),
    ("ADPCM", _pcm(SECOND, code=2), "unsupported WAV format code 2 (MS ADPCM); " + CONVERT),
    ("empty", _pcm(b""), "the recording is empty"),
    ("less than a frame", _pcm(b"\x01", channels=2), "the recording is empty"),
    (
        "block align",
        _riff([(b"fmt ", struct.pack("<HHIIHH", 1, 2, RATE, RATE * 4, 3, 16)), (b"data", SECOND)]),
        "block align 3 does not match 2 channels of 16 bits",
    ),
    (
        "unknown sub-format",
        _extensible(1, 1, RATE, 16, 16, SECOND).replace(bytes.fromhex("00aa00389b71"), b"\x01" * 6),
        "unsupported WAVE_FORMAT_EXTENSIBLE sub-format 01000000000010008000010101010101",
    ),
]


@pytest.mark.parametrize(("case", "content", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_wav_is_one_line_through_the_real_command(
    tmp_path: Path, audio_dir: Path, case: str, content: bytes, message: str
) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(content)
    code, out, err = ivr_replay(path, audio_dir)
    assert code == 2 and err == f"ivr: {path}: {message}\n" and out == "", (case, err)


def test_a_real_adpcm_file_and_a_folder_are_one_line_too(tmp_path: Path, audio_dir: Path) -> None:
    adpcm = tmp_path / "adpcm.wav"
    sox(CLIP, "-e", "ms-adpcm", adpcm)
    code, _, err = ivr_replay(adpcm, audio_dir)
    assert code == 2 and err == f"ivr: {adpcm}: unsupported WAV format code 2 (MS ADPCM); {CONVERT}\n"
    code, _, err = ivr_replay(tmp_path, audio_dir)
    assert code == 2 and err == f"ivr: {tmp_path}: is a directory, not a WAV file\n"


def _declared(data: bytes, length: int) -> bytes:
    """A 16 kHz mono 16-bit WAV whose data chunk says `length` bytes, followed by `data`."""
    return _riff([(b"fmt ", _pcm_fmt())]) + b"data" + struct.pack("<I", length) + data


def _hangup(stdout: str) -> dict:
    return [e for e in map(json.loads, stdout.splitlines()) if e["event"] == "hangup"][-1]


@pytest.mark.parametrize(
    ("case", "content", "seconds"),
    [
        ("odd data length: the half sample is dropped", _pcm(b"\0\0" * 8 * RATE + b"\x07"), 8.0),
        ("data length not whole stereo frames", _pcm(b"\0\0" * 2 * 8 * RATE + b"\0\0", channels=2), 8.0),
        ("recording cut short: the header promises 12 s", _declared(bytes(16 * RATE), 24 * RATE), 8.0),
        ("streaming writer's data length 0xFFFFFFFF", _declared(bytes(16 * RATE), 0xFFFFFFFF), 8.0),
    ],
)
def test_a_damaged_but_readable_wav_replays_as_far_as_it_goes(
    tmp_path: Path, audio_dir: Path, case: str, content: bytes, seconds: float
) -> None:
    """The caller hangs up when the audio there is ends (CLOSE-1)."""
    path = tmp_path / "damaged.wav"
    path.write_bytes(content)
    code, out, err = ivr_replay(path, audio_dir, "--json")
    assert code == 0 and err == "", (case, err)
    assert _hangup(out) == {"t": seconds, "event": "hangup", "by": "caller", "rule": "CLOSE-1"}, case


def test_wavcaller_streams_a_file_or_plays_an_array_the_same(tmp_path: Path) -> None:
    path = tmp_path / "voice.wav"
    sox(CLIP, "-e", "a-law", "-r", "8000", path)
    from_file = WavCaller.open(path)
    from_array = WavCaller(read_wav(path))
    while (a := from_file.read()) is not None:
        b = from_array.read()
        assert b is not None and np.array_equal(a, b)
    assert from_array.read() is None and from_file.end_reason == "caller"
    from_file.close()


# -- an hour-long recording: streamed, never decoded whole -------------------------------------------

HOUR_RATE, HOUR_S, TALK_S = 48000, 3600, 60


def _long_recording(path: Path, seconds: int) -> Path:
    """48 kHz stereo 16-bit: a minute of the recorded voice every 10 s over hiss, then silence (sparse on disk)."""
    voice = (read_wav(CLIP, HOUR_RATE).astype(np.float64) / 32768)[: HOUR_RATE * 2]
    rng = np.random.default_rng(9)
    minute = rng.standard_normal((HOUR_RATE * TALK_S, 2)) * 10 ** (-60 / 20)
    for at in range(1, TALK_S, 10):
        minute[at * HOUR_RATE : at * HOUR_RATE + len(voice), 0] += voice
        minute[at * HOUR_RATE : at * HOUR_RATE + len(voice), 1] += 0.5 * voice
    pcm = np.clip(np.round(minute * 32767), -32768, 32767).astype("<i2").tobytes()
    data_bytes = seconds * HOUR_RATE * 4
    fmt = _pcm_fmt(channels=2, rate=HOUR_RATE)
    with path.open("wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt " + struct.pack("<I", 16) + fmt)
        f.write(b"data" + struct.pack("<I", data_bytes) + pcm[:data_bytes])
        f.truncate(44 + data_bytes)
    return path


def _peak_rss_mb(args: list[str]) -> tuple[float, str]:
    """Peak resident memory of a child process running `args` (measured by a parent of its own)."""
    measure = (
        "import resource, subprocess, sys; "
        "out = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "assert out.returncode == 0, out.stderr; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(out.stdout, end='')"
    )
    out = run_process([sys.executable, "-c", measure, *args], 600, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    peak_kb, _, stdout = out.stdout.partition("\n")
    return int(peak_kb) / 1024, stdout


STREAM_ALL = """
import sys, numpy as np
from ivr.signal.wav import CallerAudio
audio, frames, loud = CallerAudio(sys.argv[1]), 0, []
while (frame := audio.read()) is not None:
    if np.abs(frame).max() > 3000:
        loud.append(frames)
    frames += 1
print(frames, loud[0], len(loud))
"""


def test_an_hour_long_wav_streams_in_bounded_memory(tmp_path: Path, audio_dir: Path) -> None:
    """1 h of 48 kHz stereo (660 MB as PCM, 1.3 GB as float) costs no more memory than its first minute."""
    hour = _long_recording(tmp_path / "hour.wav", HOUR_S)
    minute = _long_recording(tmp_path / "minute.wav", TALK_S)
    assert probe(hour).duration == HOUR_S and hour.stat().st_size > 600e6
    decoded_mb = HOUR_S * HOUR_RATE * 2 * 2 / 2**20

    env_replay = ["env", f"IVR_AUDIO_DIR={audio_dir}", IVR, "replay", "--model", "none", "--records", "none"]
    short_mb, short_out = _peak_rss_mb([*env_replay, str(minute)])
    long_mb, long_out = _peak_rss_mb([*env_replay, str(hour)])
    assert long_out.splitlines()[-1].split()[1] == "hangup"
    assert long_mb - short_mb < 16, (long_mb, short_mb)
    assert long_mb < decoded_mb / 2, (long_mb, decoded_mb)

    # the whole hour, read to its end: every frame there, the voice where it was put, memory still flat
    short_mb, short_out = _peak_rss_mb([sys.executable, "-c", STREAM_ALL, str(minute)])
    long_mb, long_out = _peak_rss_mb([sys.executable, "-c", STREAM_ALL, str(hour)])
    frames, first_loud, loud = map(int, long_out.split())
    assert frames == HOUR_S * 50 and 50 <= first_loud < 75 and loud > 6 * 20  # the voice from 1 s, six times
    assert long_out.split()[1:] == short_out.split()[1:]  # the same minute of voice, read the same way
    assert long_mb - short_mb < 16, (long_mb, short_mb)
