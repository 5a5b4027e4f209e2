"""Caller audio in: streaming speed, import cost, and what a whole `ivr replay` costs next to its imports.

Prints, from one run on this machine:
  * how many times real time CallerAudio streams a WAV to 16 kHz frames (goal: hundreds for 48 kHz stereo);
  * the import time of the audio-in modules (python -X importtime, cumulative);
  * the wall time of `ivr replay --model none` on the built-in silent call, as a ratio to
    `python -c "import numpy, onnxruntime"` (goal <= 2), and the heaviest imports of that process.
Run: .venv/bin/python benchmarks/audio_in.py [--repeat N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np

from ivr.clock import run_process, stopwatch
from ivr.paths import ROOT
from ivr.signal.wav import CallerAudio

PY = sys.executable
IVR = str(Path(PY).parent / "ivr")
SECONDS = 120


def _wav(path: Path, rate: int, channels: int, code: int, bits: int, data: bytes) -> Path:
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", code, channels, rate, rate * align, align, bits)
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt \x10\0\0\0" + fmt + b"data")
    with path.open("ab") as f:
        f.write(struct.pack("<I", len(data)) + data)
    return path


def stream_speed(folder: Path) -> None:
    rng = np.random.default_rng(1)
    cases = {
        "48 kHz stereo 16-bit": (48000, 2, 1, 16),
        "44.1 kHz stereo 16-bit": (44100, 2, 1, 16),
        "96 kHz stereo 32-bit float": (96000, 2, 3, 32),
        "22.05 kHz mono 16-bit": (22050, 1, 1, 16),
        "8 kHz mono µ-law": (8000, 1, 7, 8),
    }
    print(f"{'streamed to 16 kHz frames':<30}{'audio s':>9}{'wall s':>9}{'x real time':>13}")
    for name, (rate, channels, code, bits) in cases.items():
        n = rate * channels * SECONDS
        if code == 3:
            data = (0.1 * rng.standard_normal(n)).astype("<f4").tobytes()
        elif bits == 8:
            data = rng.integers(0, 256, n, np.uint8).tobytes()
        else:
            data = (3000 * rng.standard_normal(n)).astype("<i2").tobytes()
        path = _wav(folder / "in.wav", rate, channels, code, bits, data)
        elapsed = stopwatch()
        audio = CallerAudio(path)
        while audio.read() is not None:
            pass
        wall = elapsed()
        print(f"{name:<30}{SECONDS:>9}{wall:>9.2f}{SECONDS / wall:>12.0f}x")


def import_us(code: str, by_package: bool = False) -> dict[str, int]:
    """Import time in microseconds from -X importtime: each top-level module's cumulative time, or with
    `by_package` every package's own time summed over its modules (`scipy` = scipy.*)."""
    out = run_process([PY, "-X", "importtime", "-c", code], 120, capture_output=True, text=True)
    found: dict[str, int] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
        if not m:
            continue
        if by_package:
            package = m.group(4).split(".")[0]
            found[package] = found.get(package, 0) + int(m.group(1))
        elif not m.group(3):
            found.setdefault(m.group(4), int(m.group(2)))
    return found


def median_wall(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        elapsed = stopwatch()
        out = run_process(args, 300, capture_output=True, text=True)
        times.append(elapsed())
        assert out.returncode == 0, out.stderr
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per wall-time figure; the median is printed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        stream_speed(Path(tmp))

    print(f"\n{'import (cumulative)':<30}{'ms':>9}")
    for module in ("numpy", "ivr.frames", "ivr.signal.resample", "ivr.signal.wav", "ivr.adapters.wavline"):
        print(f"{module:<30}{import_us(f'import {module}')[module] / 1000:>9.1f}")

    silent = ROOT / "audio" / "calls" / "silent.wav"
    if not silent.is_file():
        print(f"{silent} is missing: run scripts/setup.sh", file=sys.stderr)
        return 1
    replay = [IVR, "replay", str(silent), "--model", "none", "--records", "none"]
    run_process(replay, 300, capture_output=True)  # prompts rendered, caches warm
    base = median_wall([PY, "-c", "import numpy, onnxruntime"], args.repeat)
    call = median_wall(replay, args.repeat)
    print(f"\n{'wall time (median of ' + str(args.repeat) + ')':<30}{'s':>9}")
    print(f"{'import numpy, onnxruntime':<30}{base:>9.2f}")
    print(f"{'ivr replay --model none':<30}{call:>9.2f}   ratio {call / base:.1f} (goal <= 2)")

    code = (
        f"import sys; sys.argv = ['ivr', 'replay', {str(silent)!r}, '--model', 'none', '--records', 'none']; "
        "from ivr.app.cli import main; main()"
    )
    total = sum(import_us(code).values())
    print(f"\nimports of that replay: {total / 1e6:.2f} s in all; the heaviest packages (all their modules):")
    for package, us in sorted(import_us(code, by_package=True).items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {package:<40}{us / 1000:>8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
