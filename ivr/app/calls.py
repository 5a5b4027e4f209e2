"""`ivr replay`, `ivr demo`, `ivr run` and `ivr devices`: one call from a recording, a script or a sound card."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable
from pathlib import Path

from ivr import paths
from ivr.app import wiring
from ivr.app.printing import say, timeline_sink
from ivr.engine.call import Call, CallResult
from ivr.engine.ports import AudioIn, AudioOut
from ivr.engine.session import CallSetup, run_line
from ivr.errors import IvrError
from ivr.frames import Samples


def options(args: argparse.Namespace) -> wiring.Options:
    return wiring.Options(args.flow, args.model, args.vad, args.directory, args.records, args.caller_id, args.notify)


class _Discard:
    """The IVR's side of a replay nobody listens to (the recording, if asked for, taps both sides)."""

    def write(self, frame: Samples) -> None:
        pass


def run_recorded(call: Call, line: AudioIn, out: AudioOut, record: Path | None) -> CallResult:
    """Run the call, writing the two-channel recording if asked; a failed recording leaves no file behind."""
    if record is None:
        return run_line(call, line, out)
    from ivr.adapters.recorder import CallRecorder

    recorder = CallRecorder(record)
    try:
        result = run_line(call, line, out, recorder.add)
    except BaseException:
        recorder.abort()
        raise
    recorder.close()
    return result


def replay(args: argparse.Namespace) -> int:
    if (args.caller is None) == (args.script is None):
        raise IvrError("replay: give the caller's recording (CALLER.wav) or --script CALLER.yaml, one of them")
    if args.script is not None:
        from ivr.app.script import replay_script

        return replay_script(args)
    wiring.check_record_target(args.record, [args.caller])
    from ivr.signal.wav import CallerAudio

    audio = CallerAudio(args.caller)
    opts = options(args)
    setup = wiring.setup(opts, [timeline_sink(args.json)], "replay")
    call = setup.new_call(wiring.caller(opts), recording=str(args.record) if args.record else None)
    try:
        run_recorded(call, audio, _Discard(), args.record)
    finally:
        audio.close()
    wiring.notify_tickets(setup.records, opts)
    return 0


def demo(args: argparse.Namespace) -> int:
    from ivr.app.samples import ensure_samples

    args.caller = ensure_samples(paths.audio_dir() / "calls")[0]
    args.script = None
    return replay(args)


def devices(args: argparse.Namespace) -> int:
    from ivr.adapters.soundcard import list_devices

    found = list_devices()
    if not found:
        print("no audio devices (no sound card? scripts/live-audio.sh start provides virtual ones)")
    for i, d in enumerate(found):
        kinds = "/".join(k for k, n in (("in", d["max_input_channels"]), ("out", d["max_output_channels"])) if n)
        print(f"{i:>3}  {d['name']:<28} {kinds:<7} {d['default_samplerate']:.0f} Hz")
    return 0


def _on_interrupt(stop: Callable[[], None]) -> None:
    signal.signal(signal.SIGINT, lambda *_: stop())
    signal.signal(signal.SIGTERM, lambda *_: stop())


def run_live(args: argparse.Namespace) -> int:
    from ivr.adapters.soundcard import DeviceLine, resolve_device

    if not 0.5 <= args.media_timeout <= 600:
        raise IvrError("--media-timeout: 0.5 to 600 seconds")
    inp, _, out = args.device.partition(",")
    devices = resolve_device(inp, "input"), resolve_device(out or inp, "output")
    wiring.check_record_target(args.record, [])
    opts = options(args)
    setup: CallSetup = wiring.setup(opts, [timeline_sink(args.json)], "soundcard")
    call = setup.new_call(wiring.caller(opts), recording=str(args.record) if args.record else None)
    line = DeviceLine(*devices, media_timeout_s=args.media_timeout).open()
    _on_interrupt(line.hang_up)
    try:
        result = run_recorded(call, line, line, args.record)
        line.play_out()
    finally:
        line.close()
    if line.underruns or line.overflows:
        say(
            f"the sound card ran late: {line.underruns} output gaps (short silences the caller heard), "
            f"{line.overflows} input overflows (caller audio lost): the machine is too busy for this line"
        )
    wiring.notify_tickets(setup.records, opts)
    if result.ended_by == "dead_media":
        say(f"the input device delivered no audio for {args.media_timeout:g} s: call ended as dead media")
        return 1
    return 0
