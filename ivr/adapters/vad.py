"""Voice activity detectors: Silero (ONNX) and WebRTC, behind the engine's Vad port."""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ivr.clock import RATE
from ivr.engine.ports import Vad
from ivr.errors import IvrError
from ivr.frames import Samples

SILERO_ENV = "IVR_SILERO_MODEL"
_SILERO_CHUNK = 512
_SILERO_CONTEXT = 64


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


@cache
def _silero_session(path: Path) -> Any:
    """One ONNX session per process (33 ms to load), shared by every call's VAD."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own untyped errors
        raise IvrError(f"{path}: cannot load the Silero VAD model ({e})") from None


class SileroVad:
    """Silero VAD on 32 ms chunks; frames below an energy gate skip the network entirely."""

    def __init__(self, gate_dbfs: float = -80.0, model: Path | None = None) -> None:
        self._session = _silero_session(model or silero_model_path())
        self._gate = (10 ** (gate_dbfs / 20) * 32768) ** 2
        self._sr = np.array(RATE, np.int64)
        self._state = np.zeros((2, 1, 128), np.float32)
        self._buffer = np.zeros(_SILERO_CONTEXT, np.float32)
        self._p = 0.0

    def probability(self, frame: Samples) -> float:
        if float(np.mean(np.square(frame, dtype=np.float64))) < self._gate:
            self._p = 0.0
            self._buffer = self._buffer[:_SILERO_CONTEXT]
            return 0.0
        self._buffer = np.concatenate([self._buffer, frame.astype(np.float32) / 32768.0])
        while len(self._buffer) >= _SILERO_CONTEXT + _SILERO_CHUNK:
            chunk = self._buffer[: _SILERO_CONTEXT + _SILERO_CHUNK]
            out, self._state = self._session.run(None, {"input": chunk[None], "state": self._state, "sr": self._sr})
            self._p = float(out[0, 0])
            self._buffer = self._buffer[_SILERO_CHUNK:]
        return self._p


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
