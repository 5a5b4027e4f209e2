"""End of the caller's turn: the fixed 500 ms hangover against the evidence-based decision, on real speech.

Speech: every prompt of 0.3-15 s of Debian's asterisk-core-sounds-{en,es,fr,ru,it} and
asterisk-prompt-it-menardi (six recorded speakers, one of them a man) and alsa-utils' two-word
clips; many have natural pauses between phrases and sentences. Ground truth per clip from the
clean audio (ivr/eval/turns.py): speech segments by frame energy, the pauses between them, the
true end. Clips split dev/test by prompt name (a prompt and its translations in one split).
Each clip is played after 0.5 s and before 3 s of digital silence, or over white hiss 25 dB
below the speech; Silero runs once per clip and condition, and both detectors read its output.

Printed: per split and condition, each detector's decision latency after the true end
(median, p90), the clips where a stop edge came while the caller still had speech to come
("interrupted"), the reaction estimate (decision + the engine's measured share after the
decision); the trade-off curve over the hangover; how well each cue tells a pause from the end
(AUC); and the detector's cost per frame.
With --smart-turn, also the field's end-of-turn model: Pipecat's Smart Turn v3.2 (its ONNX and
feature code from the pipecat-ai wheel, which setup installs without its dependencies), asked
100 or 200 ms into every silence as Pipecat does: how well it tells a pause from the end, and
what ending the turn on its "complete" would do (its inference time, measured here, added).
Run: .venv/bin/python benchmarks/turn_taking.py [--engine-ms 60] [--no-curve] [--every N] [--smart-turn]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from ivr.adapters.vad import SileroVad
from ivr.clock import RATE, stopwatch
from ivr.errors import IvrError
from ivr.eval.smart_turn import SmartTurn
from ivr.eval.turns import (
    CONDITIONS,
    SPLITS,
    Clip,
    Outcome,
    ProbabilityTrack,
    clips,
    decisions,
    judge,
    played,
    probabilities,
)
from ivr.flowlang.load import load_flow
from ivr.frames import FRAME
from ivr.paths import flows_dir
from ivr.signal.pitch import PhraseEndPitch, semitones
from ivr.signal.speech import DetectorSettings, SpeechDetector

ENGINE_MS = 60.0
"""The engine's share after the decision on the live sound card, measured by live_timing.py (reaction - decision)."""
OLD = DetectorSettings(quick_turn_s=0.0)
"""The fixed hangover: every turn ends after stop_s (500 ms) of silence."""
NEW = load_flow(flows_dir() / "hotline.yaml").listening.detector
"""What calls do: the hotline flow's listening settings."""
SHORT_S = 1.0
"""Clips whose speech lasts less than this are reported apart as short turns (greetings, yes/no)."""


@dataclass(frozen=True)
class Played:
    clip: Clip
    condition: str
    audio: np.ndarray
    p: list[float]


def load(every: int) -> list[Played]:
    """Every clip in both conditions with Silero's probabilities (computed once here)."""
    out = []
    for i, c in enumerate(clips()):
        if i % every:
            continue
        for condition in CONDITIONS:
            audio = played(c, condition)
            out.append(Played(c, condition, audio, probabilities(SileroVad(), audio)))
    return out


def run(items: Iterable[Played], settings: DetectorSettings) -> list[Outcome]:
    return [judge(x.clip, decisions(SpeechDetector(ProbabilityTrack(x.p), settings), x.audio)) for x in items]


def summary(outcomes: list[Outcome], short: set[str]) -> dict[str, float]:
    lat = [o.latency * 1000 for o in outcomes if o.latency is not None]
    quick = [o.latency * 1000 for o in outcomes if o.latency is not None and o.clip in short]
    return {
        "median": statistics.median(lat),
        "p90": float(np.percentile(lat, 90)),
        "interrupted": sum(o.interrupted for o in outcomes),
        "no_end": sum(o.latency is None for o in outcomes),
        "short": statistics.median(quick) if quick else float("nan"),
        "clips": len(outcomes),
    }


def table(items: list[Played], engine_ms: float) -> None:
    short = {x.clip.name for x in items if x.clip.truth.end - x.clip.truth.start < SHORT_S}
    print(f"decision latency after the true end of speech (ms); reaction = decision + {engine_ms:.0f} ms engine share")
    head = f"{'split':<5} {'line':<12} {'clips':>5} {'detector':<10} {'median':>7} {'p90':>6} {'reaction':>9}"
    print(head + f" {'interrupted':>11} {'short turns':>12} {'no end':>7}")
    for split in SPLITS:
        for condition in CONDITIONS:
            subset = [x for x in items if x.clip.split == split and x.condition == condition]
            for name, settings in (("fixed 500", OLD), ("new", NEW)):
                s = summary(run(subset, settings), short)
                print(
                    f"{split:<5} {condition:<12} {s['clips']:>5} {name:<10} {s['median']:>7.0f} {s['p90']:>6.0f} "
                    f"{s['median'] + engine_ms:>9.0f} {s['interrupted']:>11} {s['short']:>12.0f} {s['no_end']:>7}"
                )
    n_short = len({x.clip.name for x in items if x.clip.name in short})
    print(f"short turns: median decision on the {n_short} clips with under {SHORT_S:.0f} s of speech")


def curve(items: list[Played], engine_ms: float) -> None:
    print("\ntrade-off (both lines, dev / test): hangover -> median decision, reaction, clips interrupted")
    short = {x.clip.name for x in items if x.clip.truth.end - x.clip.truth.start < SHORT_S}
    for label, base in (("fixed", OLD), ("new", NEW)):
        for stop_s in (0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
            settings = replace(base, stop_s=stop_s, quick_stop_s=min(base.quick_stop_s, stop_s))
            cells = []
            for split in SPLITS:
                s = summary(run([x for x in items if x.clip.split == split], settings), short)
                cells.append(f"{s['median']:4.0f} {s['median'] + engine_ms:4.0f} {s['interrupted']:4d}")
            print(f"  {label:<5} stop_s {stop_s:.2f}  dev {cells[0]}   test {cells[1]}")


@dataclass
class Silence:
    final: bool
    cues: dict[str, float]


def silences(x: Played, stop_p: float = 0.35, start_frames: int = 5) -> list[Silence]:
    """Every silence of 120 ms or more after speech starts, with the cues known when it began."""
    frames = [x.audio[i : i + FRAME] for i in range(0, len(x.audio) - FRAME + 1, FRAME)]
    pitch, energy = PhraseEndPitch(), [float(10 * np.log10(np.mean(f.astype(float) ** 2) + 1)) for f in frames]
    out: list[Silence] = []
    start, run, pauses = None, 0, [0.0]
    turn_st: list[float] = []
    for i, p in enumerate(x.p):
        if start is None:
            run = run + 1 if p >= 0.5 else 0
            if run >= start_frames:
                start = i - start_frames + 1
            continue
        if p >= stop_p:
            if run:
                pauses.append(run * FRAME / RATE)
            run = 0
            pitch.add(frames[i])
            if i and (st := semitones(np.concatenate([frames[i - 1], frames[i]]).astype(float))) is not None:
                turn_st.append(st)
            continue
        if run == 0:
            end = next((k for k in range(i, len(x.p)) if x.p[k] >= stop_p), len(x.p))
            recent = np.array(x.p[max(start, i - 10) : i])
            e = energy[max(start, i - 10) : i]
            cues = {
                "turn length": (i - start) * FRAME / RATE,
                "pitch rise": pitch.rise(),
                "pitch fall": (statistics.median(turn_st) - turn_st[-1]) if len(turn_st) > 3 else 0.0,
                "energy slope": float(np.polyfit(np.arange(len(e)), e, 1)[0]) if len(e) > 2 else 0.0,
                "silero mean": float(recent.mean()) if len(recent) else 0.0,
                "longest pause": max(pauses),
            }
            if end == len(x.p) or end - i >= 6:
                out.append(Silence(end == len(x.p), cues))
        pitch.skip()
        run += 1
    return out


def auc(pos: list[float], neg: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties half), direction-free."""
    a, b = np.array(pos), np.array(neg)
    if not len(a) or not len(b):
        return float("nan")
    greater = (a[:, None] > b[None, :]).mean() + 0.5 * (a[:, None] == b[None, :]).mean()
    return float(max(greater, 1 - greater))


def evidence(items: list[Played]) -> None:
    print("\nevidence when a silence begins: how well each cue tells a turn's end from a pause of >= 120 ms (AUC)")
    for split in SPLITS:
        found = [s for x in items if x.clip.split == split for s in silences(x)]
        ends = [s for s in found if s.final]
        pauses = [s for s in found if not s.final]
        row = ", ".join(f"{k} {auc([s.cues[k] for s in ends], [s.cues[k] for s in pauses]):.2f}" for k in found[0].cues)
        print(f"  {split}: {len(ends)} ends, {len(pauses)} pauses: {row}")
    print("  (0.5 = no information; a cue that could end turns early without interrupting would need ~1.0)")


@dataclass(frozen=True)
class Asked:
    """The model's answer at one silence of a played clip, `after` frames into it."""

    frame: int
    length: int
    final: bool
    p: float


PRE_SPEECH_FRAMES = 25
"""Pipecat's pre_speech_ms (500 ms) of audio before the turn's start goes to the model."""


def ask(model: SmartTurn, x: Played, after: int, stop_p: float = 0.35, start_frames: int = 5) -> list[Asked]:
    """The model's answer `after` frames into every silence of the turn that lasts that long."""
    out, start, run, i = [], None, 0, 0
    while i < len(x.p):
        if start is None:
            run = run + 1 if x.p[i] >= 0.5 else 0
            if run >= start_frames:
                start = i - start_frames + 1
            i += 1
            continue
        end = next((k for k in range(i, len(x.p)) if x.p[k] >= stop_p), len(x.p))
        if end - i >= after:
            heard = x.audio[max(0, start - PRE_SPEECH_FRAMES) * FRAME : (i + after) * FRAME]
            out.append(Asked(i, end - i, end == len(x.p), model.complete(heard)))
        i = max(end, i + 1)
    return out


def smart_turn(items: list[Played], engine_ms: float) -> None:
    try:
        model = SmartTurn()
    except IvrError as e:
        raise SystemExit(f"--smart-turn: {e}") from None
    for after in (5, 10):
        elapsed = stopwatch()
        asked = [ask(model, x, after) for x in items]
        infer = elapsed() / max(1, sum(map(len, asked)))
        lag = int(np.ceil(infer * RATE / FRAME))
        ends = [a.p for found in asked for a in found if a.final]
        pauses = [a.p for found in asked for a in found if not a.final]
        print(
            f"\nSmart Turn v3.2 asked {after * FRAME * 1000 // RATE} ms into each silence: {len(ends)} ends, "
            f"{len(pauses)} pauses, AUC {auc(ends, pauses):.2f}; {infer * 1000:.0f} ms per answer on one thread"
        )
        for theta in (0.5, 0.8, 0.9, 0.95):
            share = sum(p >= theta for p in ends) / len(ends)
            cells = []
            for split in SPLITS:
                outcomes = [
                    model_outcome(x, found, after + lag, theta, NEW.stop_s)
                    for x, found in zip(items, asked, strict=True)
                    if x.clip.split == split
                ]
                s = summary(outcomes, set())
                cells.append(f"{s['median']:4.0f} {s['median'] + engine_ms:4.0f} {s['interrupted']:4d}")
            print(
                f"  'complete' at p >= {theta:.2f} ({share:.0%} of ends, {sum(p >= theta for p in pauses)} pauses) "
                f"ends the turn, else {NEW.stop_s * 1000:.0f} ms: dev {cells[0]}   test {cells[1]}"
            )
    print("  (median decision, reaction, clips interrupted; the fixed 500 ms rows above are the baseline)")


def model_outcome(x: Played, asked: list[Asked], quick: int, theta: float, stop_s: float) -> Outcome:
    """Where the turn ends if the model's 'complete' ends it after `quick` frames of silence, else after stop_s."""
    edges: list[tuple[Literal["start", "stop"], int]] = []
    for a in asked:
        needed = quick if a.p >= theta else round(stop_s * RATE / FRAME)
        if a.length >= needed:
            edges.append(("stop", a.frame + needed - 1))
    return judge(x.clip, edges)


def cost(items: list[Played]) -> None:
    sample = items[:: max(1, len(items) // 200)]
    frames = sum(len(x.p) for x in sample)
    timings = {}
    for name, settings in (("fixed 500", OLD), ("new", NEW)):
        elapsed = stopwatch()
        run(sample, settings)
        timings[name] = elapsed() / frames * 1e6
    elapsed = stopwatch()
    for x in sample[:20]:
        probabilities(SileroVad(), x.audio)
    silero = elapsed() / sum(len(x.p) for x in sample[:20]) * 1e6
    print(
        f"\ncost per 20 ms frame (detector incl. pitch, Silero replayed): {timings['new']:.1f} us new, "
        f"{timings['fixed 500']:.1f} us fixed; Silero itself {silero:.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine-ms", type=float, default=ENGINE_MS, help="engine share after the decision (ms)")
    parser.add_argument("--no-curve", action="store_true", help="skip the trade-off curve and the evidence")
    parser.add_argument("--every", type=int, default=1, help="use every Nth clip (quick look)")
    parser.add_argument("--smart-turn", action="store_true", help="also score Pipecat's Smart Turn v3.2 model (slow)")
    args = parser.parse_args()
    items = load(args.every)
    voices = sorted({x.clip.voice for x in items})
    lines = len(CONDITIONS)
    print(f"{len(items) // lines} clips from {len(voices)} sources ({', '.join(voices)}), each on {lines} lines")
    table(items, args.engine_ms)
    if not args.no_curve:
        curve(items, args.engine_ms)
        evidence(items)
    if args.smart_turn:
        smart_turn(items, args.engine_ms)
    cost(items)


if __name__ == "__main__":
    main()
