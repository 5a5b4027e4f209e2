"""Pipecat's Smart Turn v3.2, the field's end-of-turn model, scored against our detector by benchmarks/turn_taking.py.

The ONNX model and its Whisper feature code come from the pipecat-ai wheel, installed by setup without its
dependencies: the package's `__init__` needs loguru and the rest of Pipecat, so the two files are loaded by path.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np

from ivr.clock import RATE
from ivr.errors import IvrError

_FOLDER = "pipecat/audio/turn/smart_turn/"
WINDOW_S = 8
"""The model hears the last 8 s, zero-padded in front when shorter (as Pipecat feeds it)."""


def model_files() -> tuple[Path, Path]:
    """The ONNX model and the feature code inside the installed pipecat-ai wheel."""
    try:
        wheel = importlib.metadata.distribution("pipecat-ai")
    except importlib.metadata.PackageNotFoundError:
        raise IvrError("pipecat-ai (Smart Turn model) is not installed; run scripts/setup.sh") from None
    files = (
        Path(str(wheel.locate_file(_FOLDER + "data/smart-turn-v3.2-cpu.onnx"))),
        Path(str(wheel.locate_file(_FOLDER + "_whisper_features.py"))),
    )
    for f in files:
        if not f.is_file():
            raise IvrError(f"{f}: missing from pipecat-ai {wheel.version}; run scripts/setup.sh")
    return files


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("smart_turn_features", path)
    if spec is None or spec.loader is None:
        raise IvrError(f"{path}: cannot be loaded as Python code")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SmartTurn:
    """The probability that the caller's turn so far is complete, on one CPU thread."""

    def __init__(self) -> None:
        import onnxruntime

        model, features = model_files()
        self._features = _load(features)
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model), sess_options=options)

    def complete(self, audio: np.ndarray) -> float:
        """For int16 audio at 16 kHz from just before the turn's start up to now."""
        n = WINDOW_S * RATE
        x = audio[-n:].astype(np.float32) / 32768
        x = np.pad(x, (n - len(x), 0))
        features = self._features.compute_whisper_log_mel_features(x, do_normalize=True)
        return float(self._session.run(None, {"input_features": features[None]})[0][0][0])
