"""Timer accuracy and reaction latency on the live audio device (PulseAudio null sinks).

Timer accuracy: CALLS silent calls of benchmarks/live_flow.yaml, split over two lines run side by
side; what the IVR played is recorded from each line's monitor by parecord, the known prompts are
located in it, and each 5 s wait is measured from one prompt's last sample to the next one's first.
Reaction latency: calls where the caller (pacat into the line) says a real recorded utterance; from
the call's two-channel recording, the end of the caller's speech to the start of the IVR's reply,
plus the line's output queue (the frames queued ahead of the device). It splits into the
detector's decision (end of speech to the call's speech_stopped event, on the same sample clock)
and the engine's share after it. Two utterances: a word pair (alsa's "Front ... Center", a
longer turn: the full hangover) and a short greeting (asterisk's "Hello": the quick path).
Run: .venv/bin/python benchmarks/live_timing.py [--calls 20] [--reactions 6]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from heard import locate, wait_until_recording  # noqa: E402

from ivr.adapters.espeak import EspeakSynthesizer  # noqa: E402
from ivr.adapters.prompts import PromptStore  # noqa: E402
from ivr.adapters.soundcard import _PREFILL_FRAMES  # noqa: E402
from ivr.clock import RATE  # noqa: E402
from ivr.flowlang.load import load_flow  # noqa: E402
from ivr.frames import FRAME  # noqa: E402
from ivr.signal.wav import read_wav, write_wav  # noqa: E402

IVR = str(Path(sys.executable).parent / "ivr")
FLOW = ROOT / "benchmarks" / "live_flow.yaml"


def start_pulse() -> dict[str, str]:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "live-audio.sh"), "start", "2"], capture_output=True, text=True, check=True
    )
    env = dict(os.environ)
    for word in out.stdout.split()[1:]:
        key, _, value = word.partition("=")
        env[key] = value
    return env


def timer_calls(env: dict[str, str], line: int, calls: int, work: Path, prompts: list[np.ndarray]) -> list[float]:
    """Errors of every 5 s wait in `calls` silent calls on one line."""
    return [e for i in range(calls) for e in timer_call(env, line, work / f"heard-{line}-{i}.raw", prompts)]


def timer_call(env: dict[str, str], line: int, heard: Path, prompts: list[np.ndarray]) -> list[float]:
    with heard.open("wb") as out:
        rec = subprocess.Popen(
            ["parecord", f"--device=line{line}_ivr.monitor", "--raw", "--format=s16le", "--rate=16000", "--channels=1"],
            stdout=out,
            env=env,
        )
        wait_until_recording(heard, rec)
        subprocess.run(
            [IVR, "run", "--device", f"line{line}_caller_mon,line{line}_ivr", "--flow", str(FLOW), "--model", "none"],
            env=env,
            check=True,
            capture_output=True,
        )
        rec.terminate()
        rec.wait()
    audio = np.fromfile(heard, np.int16)
    spans = [locate(audio, p) for p in prompts]
    return [b[0] - a[1] - 5.0 for a, b in pairwise(spans)]


def reaction_call(
    env: dict[str, str], line: int, work: Path, reply: np.ndarray, utterance: Path
) -> tuple[float, float]:
    """(reaction, decision) in seconds after the end of the caller's speech."""
    record = work / f"call-{line}.wav"
    ivr = subprocess.Popen(
        [
            IVR,
            "run",
            "--device",
            f"line{line}_caller_mon,line{line}_ivr",
            "--flow",
            str(FLOW),
            "--model",
            "none",
            "--record",
            str(record),
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert ivr.stdout is not None
    stopped = None
    for text in ivr.stdout:
        if '"speech_stopped"' in text and stopped is None:
            stopped = json.loads(text)["t"]
        if '"prompt_finished"' in text and '"one"' in text:  # the first prompt is over: the caller speaks
            subprocess.run(["paplay", f"--device=line{line}_caller", utterance], env=env, check=True)
        if '"prompt_finished"' in text and '"reply"' in text:  # replied: the caller hangs up (Ctrl-C)
            ivr.send_signal(signal.SIGINT)
    ivr.wait()
    with wave.open(str(record)) as w:
        both = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
    caller, said = both[:, 0].astype(np.float64), both[:, 1]
    loud = np.flatnonzero(np.abs(caller) > 10 ** (-45 / 20) * 32768)
    speech_end = loud[-1] / RATE
    start, _, match = locate(said, reply)
    assert match > 0.99 and start > speech_end and stopped is not None, (start, speech_end, stopped)
    return start - speech_end + _PREFILL_FRAMES * FRAME / RATE, stopped - speech_end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20, help="silent calls for timer accuracy (default 20)")
    parser.add_argument("--reactions", type=int, default=6, help="calls for reaction latency (default 6)")
    args = parser.parse_args()
    env = start_pulse()
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        work = Path(tmp)
        env["IVR_AUDIO_DIR"] = str(work / "audio")
        env["IVR_RECORDS"] = str(work / "records.sqlite3")
        flow = load_flow(FLOW)
        store = PromptStore(work / "audio", EspeakSynthesizer(), flow.audio)
        audio = {p: store.get(flow.text(p)).samples for p in flow.prompts}
        timed = [audio["one"], audio["two"], audio["three"]]
        half = (args.calls + 1) // 2
        with ThreadPoolExecutor(2) as pool:
            runs = pool.map(
                lambda line: timer_calls(env, line, half if line == 1 else args.calls - half, work, timed), (1, 2)
            )
        signed = sorted(e for run in runs for e in run)
        errors = [abs(e) for e in signed]
        print(f"timer accuracy: {len(errors)} waits of 5 s in {args.calls} live calls on 2 lines")
        print(f"  errors (ms): {' '.join(f'{e * 1000:+.0f}' for e in signed)}")
        print(
            f"  mean error {statistics.mean(errors) * 1000:.2f} ms, worst {max(errors) * 1000:.2f} ms (goal <= 40 ms)"
        )
        utterances = {
            "word pair (alsa Front_Center)": "/usr/share/sounds/alsa/Front_Center.wav",
            "greeting (asterisk en hello)": "/usr/share/asterisk/sounds/en_US_f_Allison/hello.wav",
        }
        for label, source in utterances.items():
            utterance = work / "utterance.wav"
            write_wav(utterance, [read_wav(source)])
            runs = [reaction_call(env, 1, work, audio["reply"], utterance) for _ in range(args.reactions)]
            reaction = [r for r, _ in runs]
            decision = [d for _, d in runs]
            engine = [r - d for r, d in runs]
            print(f"reaction latency, {label}: end of caller speech to the reply leaving for the device")
            print(
                f"  {args.reactions} calls: mean {statistics.mean(reaction) * 1000:.0f} ms, "
                f"worst {max(reaction) * 1000:.0f} ms (goal <= 300 ms); of which the detector's decision "
                f"{statistics.mean(decision) * 1000:.0f} ms, the engine and output queue after it "
                f"{statistics.mean(engine) * 1000:.0f} ms (worst {max(engine) * 1000:.0f} ms)"
            )


if __name__ == "__main__":
    main()
