"""Voice activity detectors: Silero (ONNX) and WebRTC, behind the engine's Vad port."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ivr.clock import RATE
from ivr.engine.ports import Vad
from ivr.errors import IvrError
from ivr.frames import FRAME, Samples
from ivr.paths import cache_dir

SILERO_ENV = "IVR_SILERO_MODEL"
_SILERO_CHUNK = 512
_SILERO_CONTEXT = 64
_DEAD_DBFS = -87.0  # below this (1.5 LSB rms) a frame is digital silence: no speech, at once
_IDLE_P = 0.1  # below this probability the line is taken as not in speech
_SPEECH_P = 0.5

_FLOOR_RISE = 10 ** (6.0 * 0.02 / 10)  # the tracked noise floor rises at most 6 dB/s (minimum statistics)


def silero_model_path() -> Path:
    """The Silero ONNX file: $IVR_SILERO_MODEL, else the one the `silero-vad` package ships."""
    if env := os.environ.get(SILERO_ENV):
        path = Path(env)
    else:
        spec = importlib.util.find_spec("silero_vad")
        if spec is None or not spec.submodule_search_locations:
            raise IvrError(
                "Silero VAD model not found: run `pip install --no-deps silero-vad` "
                f"or set {SILERO_ENV} to a silero_vad.onnx file"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "silero_vad.onnx"
    if not path.is_file():
        raise IvrError(f"{path}: Silero VAD model file not found (set {SILERO_ENV})")
    return path


_loads: dict[Path, threading.Thread] = {}
_sessions: dict[Path, Any] = {}
_loads_lock = threading.Lock()


def preload_silero() -> None:
    """Start loading the Silero session on a thread: it overlaps the imports that follow (~60 ms of each start)."""
    with contextlib.suppress(IvrError):  # a missing model is reported where the VAD is made
        _loading(silero_model_path())


def _loading(path: Path) -> threading.Thread:
    with _loads_lock:
        if path not in _loads:
            _loads[path] = threading.Thread(target=_load_session, args=(path,), name="silero-load")
            _loads[path].start()
        return _loads[path]


def _silero_session(path: Path) -> Any:
    """One ONNX session per process, shared by every call's VAD."""
    _loading(path).join()
    session = _sessions[path]
    if isinstance(session, IvrError):
        raise session
    return session


def _load_session(path: Path) -> None:
    try:
        _sessions[path] = _optimised_session(path)
    except Exception as e:  # onnxruntime raises its own untyped errors
        _sessions[path] = IvrError(f"{path}: cannot load the Silero VAD model ({e})")


def _optimised_session(path: Path) -> Any:
    """The session, from onnxruntime's own optimised graph of the model where one was kept (~40 ms of a start).

    onnxruntime's offline mode: the graph optimised at the extended level (hardware-independent; on Silero its
    outputs are bit-identical to the default level's) is written once to the cache, and later sessions load
    it with no optimisation to do. An entry is named by the model's hash and onnxruntime's version; a missing or
    unreadable one is rebuilt from the model itself (a cache that cannot be written leaves it at that).
    """
    import onnxruntime as ort

    level = ort.GraphOptimizationLevel
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    entry = cache_dir() / "onnx" / f"{path.stem}-{digest}-ort{ort.__version__}.onnx"
    if entry.is_file():
        with contextlib.suppress(Exception):
            return ort.InferenceSession(str(entry), _options(ort, level.ORT_DISABLE_ALL), ["CPUExecutionProvider"])
    part = entry.with_name(f".{entry.name}.{os.getpid()}.part")
    with contextlib.suppress(Exception):  # a cache that cannot be written: the session is built without it
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        options = _options(ort, level.ORT_ENABLE_EXTENDED)
        options.optimized_model_filepath = str(part)
        session = ort.InferenceSession(str(path), options, ["CPUExecutionProvider"])
        os.replace(part, entry)
        return session
    with contextlib.suppress(OSError):
        part.unlink(missing_ok=True)
    return ort.InferenceSession(str(path), _options(ort, level.ORT_ENABLE_EXTENDED), ["CPUExecutionProvider"])


def _options(ort: Any, level: Any) -> Any:
    options = ort.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.graph_optimization_level = level
    return options


class SileroVad:
    """Silero VAD on 32 ms chunks, run only where it can tell something.

    A frame skips the network when it is below the energy gate (-60 dBFS), or, while the line is not in
    speech, when it is within `floor_margin_db` of the line's tracked noise floor: steady hiss or hum costs
    next to nothing. Neither applies within `close_s` of the network last hearing speech, so a quiet
    caller's next word, which may begin below the gate, is heard as it always was; a skipped frame repeats
    the last probability, fading by `hold` per frame. Frames below -87 dBFS (digital silence) answer 0 at
    once. The network hears the line `gain_db` louder: Silero misses quiet speech (-45 dBFS and below) that it
    finds at a normal level.
    """

    def __init__(
        self,
        gate_dbfs: float = -60.0,
        model: Path | None = None,
        floor_margin_db: float = 3.0,
        hold: float = 0.8,
        gain_db: float = 24.0,
        close_s: float = 1.0,
    ) -> None:
        self._close_frames = round(close_s * RATE / FRAME)
        self._close = 0
        self._gain = np.float32(10 ** (gain_db / 20) / 32768.0)
        self._session = _silero_session(model or silero_model_path())
        self._gate = _energy(gate_dbfs)
        self._dead = _energy(_DEAD_DBFS)
        self._margin = 10 ** (floor_margin_db / 10)
        self._hold = hold
        self._floor = self._gate
        self._sr = np.array(RATE, np.int64)
        self._state = np.zeros((2, 1, 128), np.float32)
        self._buffer = np.zeros(_SILERO_CONTEXT, np.float32)
        self._p = 0.0
        self.network_frames = 0
        """Frames the network ran on (for the cost figures in benchmarks/replay_speed.py)."""

    def probability(self, frame: Samples) -> float:
        e = float(np.dot(frame, frame.astype(np.float64))) / len(frame)
        quiet_line = self._p < _IDLE_P
        if e < self._dead:
            return self._skip(0.0)
        if e < self._floor:
            self._floor = e
        elif quiet_line:
            self._floor *= _FLOOR_RISE
        if self._close > 0:
            self._close -= 1
        elif e < self._gate or (quiet_line and e < self._floor * self._margin):
            return self._skip(self._p * self._hold)
        self.network_frames += 1
        self._buffer = np.concatenate([self._buffer, frame.astype(np.float32) * self._gain])
        while len(self._buffer) >= _SILERO_CONTEXT + _SILERO_CHUNK:
            chunk = self._buffer[: _SILERO_CONTEXT + _SILERO_CHUNK]
            out, self._state = self._session.run(None, {"input": chunk[None], "state": self._state, "sr": self._sr})
            self._p = float(out[0, 0])
            self._buffer = self._buffer[_SILERO_CHUNK:]
        if self._p >= _SPEECH_P:
            self._close = self._close_frames
        return self._p

    def _skip(self, p: float) -> float:
        self._p = p
        self._buffer = self._buffer[:_SILERO_CONTEXT]
        return p


def _energy(dbfs: float) -> float:
    """Mean square of int16 samples at a level in dBFS."""
    return (10 ** (dbfs / 20) * 32768) ** 2


class WebRtcVad:
    """webrtcvad's GMM classifier: fast, but it calls steady line noise speech."""

    def __init__(self, aggressiveness: int = 3) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)

    def probability(self, frame: Samples) -> float:
        return 1.0 if self._vad.is_speech(frame.tobytes(), RATE) else 0.0


def make_vad(name: str) -> Vad:
    """The VAD named on the command line or in the flow."""
    if name == "silero":
        return SileroVad()
    if name == "webrtc":
        return WebRtcVad()
    raise IvrError(f"--vad: unknown VAD '{name}' (choose silero or webrtc)")
