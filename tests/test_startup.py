"""What each command's start is spared: modules only serve needs, the Silero graph optimised once (issue 7.7)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ivr.adapters import vad
from ivr.clock import run_process


def python(code: str, **env: str) -> str:
    import os

    done = run_process([sys.executable, "-c", code], 120, capture_output=True, text=True, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_replay_imports_neither_asyncio_nor_what_only_other_commands_use(tmp_path: Path) -> None:
    from ivr.app.samples import SAMPLE_RATE, hiss_call
    from ivr.signal.wav import write_wav

    wav = tmp_path / "hiss.wav"
    write_wav(wav, [hiss_call(12.0)], SAMPLE_RATE)
    args = ["replay", str(wav), "--model", "none", "--records", str(tmp_path / "r.sqlite3")]
    env = {"IVR_CACHE_DIR": str(tmp_path / "cache")}
    python(f"from ivr.app.cli import main\nassert main({args!r}) == 0", **env)  # fills the prompt and graph caches
    out = python(
        f"import sys\nfrom ivr.app.cli import main\nassert main({args!r}) == 0\n"
        "loaded = [m for m in ('ssl', 'asyncio.base_events', 'subprocess', 'tempfile', 'secrets', 'socket')"
        " if m in sys.modules]\n"
        "print('RESULT', type(sys.modules['asyncio']).__name__, loaded)\n",
        **env,
    )
    assert out.splitlines()[-1] == "RESULT _Deferred []"


def test_a_deferred_module_loads_at_its_first_attribute() -> None:
    out = python(
        "import sys\nfrom ivr.app.deferred import defer\n"
        "defer('wave')\nimport wave\n"
        "before = type(sys.modules['wave']).__name__\n"
        "from wave import open as wave_open\n"  # reads an attribute: the real module now
        "print(before, type(sys.modules['wave']).__name__, wave.Wave_read.__module__, wave_open is wave.open)\n"
        "defer('no_such_module_here')\nprint('no_such_module_here' in sys.modules)\n"
    )
    assert out.split() == ["_Deferred", "module", "wave", "True", "False"]


def test_serve_runs_its_loop_through_the_deferred_asyncio() -> None:
    out = python(
        "import sys\nfrom ivr.app.deferred import defer\ndefer('asyncio')\n"
        "import asyncio\n"
        "async def main():\n    await asyncio.sleep(0)\n    return 7\n"
        "print(asyncio.run(main()), type(sys.modules['asyncio']).__name__)\n"
    )
    assert out.split() == ["7", "module"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IVR_CACHE_DIR", str(tmp_path))
    return tmp_path / "onnx"


def probabilities(session: object) -> np.ndarray:
    """Silero's speech probability over a real recorded word, 32 ms at a time with its 4 ms of context."""
    from ivr.signal.wav import read_wav

    x = np.concatenate([np.zeros(8000), read_wav("/usr/share/sounds/alsa/Front_Center.wav") / 32768, np.zeros(8000)])
    state, sr, out = np.zeros((2, 1, 128), np.float32), np.array(16000, np.int64), []
    for i in range(1, len(x) // 512):
        chunk = x[i * 512 - 64 : (i + 1) * 512].astype(np.float32)[None]
        p, state = session.run(None, {"input": chunk, "state": state, "sr": sr})  # type: ignore[attr-defined]
        out.append(p[0, 0])
    return np.array(out)


def test_the_optimised_silero_graph_is_kept_and_hears_exactly_as_the_model(cache: Path) -> None:
    import onnxruntime as ort

    model = vad.silero_model_path()
    built = vad._optimised_session(model)
    (entry,) = cache.glob("*.onnx")
    written = entry.stat().st_mtime_ns
    loaded = vad._optimised_session(model)
    assert entry.stat().st_mtime_ns == written and list(cache.iterdir()) == [entry]
    plain = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])  # onnxruntime's defaults
    expected = probabilities(plain)
    assert np.array_equal(probabilities(built), expected) and np.array_equal(probabilities(loaded), expected)
    assert expected.max() > 0.5 > expected.min()  # the input means something to the model


def test_a_torn_or_foreign_entry_is_rebuilt(cache: Path) -> None:
    model = vad.silero_model_path()
    vad._optimised_session(model)
    (entry,) = cache.glob("*.onnx")
    entry.write_bytes(b"not an onnx graph")
    session = vad._optimised_session(model)
    assert entry.stat().st_size > 1_000_000 and list(cache.iterdir()) == [entry]
    assert probabilities(session).max() > 0.5


def test_a_cache_that_cannot_be_written_costs_nothing_but_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("IVR_CACHE_DIR", str(blocked))
    session = vad._optimised_session(vad.silero_model_path())
    assert probabilities(session).max() > 0.5 and blocked.read_text().startswith("a file")
