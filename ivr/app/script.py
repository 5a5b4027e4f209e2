"""`ivr replay --script`: a call with a scripted caller, checked against the script's expectations.

With a real Mandarin model (`--model` or $IVR_VOSK_MODEL) and `--golden write`, the scripted caller's
audio is recognised by that model and the words are written as a golden file named with the model's hash;
`--golden replay` (what CI does) feeds the recorded words instead of the script's own.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from ivr.adapters.scripted_caller import (
    CALLER_RATE,
    CALLER_VOICE,
    Script,
    ScriptedLine,
    ScriptedWords,
    golden_path,
    load_script,
    model_hash,
    read_golden,
    write_golden,
)
from ivr.app import wiring
from ivr.app.printing import say, timeline_sink
from ivr.engine.call import Call
from ivr.engine.ports import PromptSource, RecognizerFactory
from ivr.engine.session import CallSetup, Sink
from ivr.engine.timeline import Event
from ivr.errors import IvrError
from ivr.flowlang.model import AudioSettings
from ivr.frames import Samples


def caller_voice() -> PromptSource:
    """The scripted caller's voice: espeak-ng Mandarin at a caller's pace, levelled like a clear caller."""
    from ivr import paths
    from ivr.adapters.espeak import EspeakSynthesizer
    from ivr.adapters.prompts import PromptStore

    return PromptStore(paths.audio_dir() / "callers", EspeakSynthesizer(), AudioSettings(CALLER_VOICE, CALLER_RATE))


@dataclass
class ScriptedCall:
    """A call of the setup's flow with a scripted caller; `words` decides what the recogniser hears."""

    setup: CallSetup
    script: Script
    voice: PromptSource
    texts: list[str] | None = None
    model: RecognizerFactory | None = None
    directory: Path | None = None
    recognised: list[str] = field(default_factory=list)

    def run(self, sinks: list[Sink]) -> Call:
        from dataclasses import replace

        from ivr.engine.session import run_line

        call_box: list[Call] = []
        line = ScriptedLine(self.script, self.voice, lambda: _idle(call_box[0]))
        words: RecognizerFactory = self.model if self.model is not None else ScriptedWords(line, self.texts)
        setup = replace(self.setup, recognizers=words, sinks=[*self.setup.sinks, *sinks])
        caller = wiring.caller(wiring.Options(caller_id=self.script.caller_id, directory=self.directory))
        call = setup.new_call(caller)
        call_box.append(call)
        run_line(call, line, _Discard())
        if self.model is not None:
            self.recognised = [e.fields["text"] for e in call.timeline.of("transcript")]
        return call


def _idle(call: Call) -> bool:
    """The IVR is not talking and has nothing queued: a waiting caller may speak."""
    return not call.talking and not call.listener.speaking and not call.ended


class _Discard:
    def write(self, frame: Samples) -> None:
        pass


def check_expectations(script: Script, events: list[Event]) -> list[str]:
    """What the script expected and the call did not do, one line each."""
    e = script.expect
    problems = []
    said = [ev.fields["prompt"] for ev in events if ev.event == "prompt_started"]
    it = iter(said)
    missing = [p for p in e.prompts if p not in it]
    if missing:
        problems.append(f"expected the prompts {list(e.prompts)} in this order; {missing[0]} missing (said: {said})")
    hangups = [ev.fields for ev in events if ev.event == "hangup"]
    if e.hangup is not None and (not hangups or hangups[0].get("by") != e.hangup):
        problems.append(f"expected the {e.hangup} to hang up, got {hangups[0] if hangups else 'no hang-up'}")
    if e.rule is not None and (not hangups or hangups[0].get("rule") != e.rule):
        problems.append(f"expected the call to end under {e.rule}, got {hangups[0] if hangups else 'no hang-up'}")
    kinds = [ev.fields["kind"] for ev in events if ev.event == "ticket_opened"]
    if e.tickets and kinds != list(e.tickets):
        problems.append(f"expected tickets {list(e.tickets)}, got {kinds}")
    callbacks = sum(ev.event == "callback_registered" for ev in events)
    if e.callbacks is not None and callbacks != e.callbacks:
        problems.append(f"expected {e.callbacks} call-back(s), got {callbacks}")
    return problems


def find_golden(script: Path, model: str | None) -> Path:
    """The golden file to replay: the only one the script has, else the one of the model in use."""
    found = sorted((script.parent / "golden").glob(f"{script.stem}.*.json"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise IvrError(f"{script}: no golden file in {script.parent / 'golden'}; write one with --golden write")
    wanted = golden_path(script, model_hash(wiring.model_dir(model)))
    if wanted not in found:
        names = ", ".join(p.name for p in found)
        raise IvrError(f"{script}: several golden files ({names}) and none of the model in use; pass --model")
    return wanted


def replay_script(args: argparse.Namespace) -> int:
    if args.record is not None:
        raise IvrError("--record: a scripted caller has no recording to keep; replay a WAV to record")
    script = load_script(args.script)
    if args.caller_id is not None:
        script = Script(script.path, script.steps, args.caller_id, script.expect)
    opts = wiring.Options(args.flow, "none", args.vad, args.directory, args.records, script.caller_id, args.notify)
    setup = wiring.setup(opts, [timeline_sink(args.json)], "script")
    scripted = ScriptedCall(setup, script, caller_voice(), directory=args.directory)
    golden = getattr(args, "golden", None)
    if golden == "write":
        model_dir = wiring.model_dir(args.model)
        target = golden_path(script.path, model_hash(model_dir))
        scripted.model = wiring.recognizers(str(model_dir))
    elif golden == "replay":
        scripted.texts = read_golden(find_golden(script.path, args.model), script)
    call = scripted.run([])
    wiring.notify_tickets(setup.records, opts)
    if golden == "write":
        write_golden(target, script, model_dir.name, scripted.recognised)
        say(f"wrote {target}")
    problems = check_expectations(script, call.timeline.events)
    for p in problems:
        say(f"{script.path}: {p}")
    return 1 if problems else 0
