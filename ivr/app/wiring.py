"""Wiring: from command-line options to the adapters a call needs, checked before any call starts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ivr import paths
from ivr.engine.call import Caller
from ivr.engine.ports import PromptSource, RecognizerFactory
from ivr.engine.session import CallSetup, Sink
from ivr.errors import IvrError
from ivr.flowlang.load import find_flow, load_flow
from ivr.flowlang.model import Flow
from ivr.records.durable import worker_id
from ivr.records.port import CallRecords


@dataclass(frozen=True)
class Options:
    """What every call command shares on its command line."""

    flow: str = "hotline"
    model: str | None = None
    vad: str = "silero"
    directory: Path | None = None
    records: str | None = None
    caller_id: str | None = None
    notify: str | None = None


def load(name: str) -> Flow:
    """A flow by name (flows/NAME.yaml) or by path."""
    return load_flow(find_flow(name, paths.flows_dir()))


def records_url(option: str | None) -> str:
    return option or os.environ.get("IVR_RECORDS") or str(paths.records_file())


def open_records(option: str | None) -> CallRecords | None:
    """The records store named by --records / $IVR_RECORDS; `none` keeps nothing (replays kept out of production)."""
    from ivr.app.printing import say
    from ivr.records import open_records as open_url

    url = records_url(option)
    if url == "none":
        return None
    return open_url(url, paths.records_file().parent, say, worker_id())


def notify_tickets(records: CallRecords | None, opts: Options) -> None:
    """After a call: send the tickets still pending to their department (a failure waits for the next try)."""
    from ivr.app.printing import say
    from ivr.app.records_cli import notify_url
    from ivr.records.durable import DurableRecords
    from ivr.records.notify import deliver, notifier

    if not isinstance(records, DurableRecords) or not records.healthy:
        return
    target = notify_url(opts.notify, records_url(opts.records))
    if target is None:
        return
    try:
        _, failed = deliver(records.store, notifier(target))
    except IvrError as e:
        say(f"tickets: {e}")
        return
    if failed:
        say(f"tickets: {failed} could not be sent to {target}; they stay pending (ivr tickets notify)")


def model_dir(option: str | None) -> Path:
    """A real recogniser model, for what needs one (golden files, vocabulary checks)."""
    from ivr.adapters.vosk import resolve_model_path

    path = resolve_model_path(option)
    if path is None:
        raise IvrError("--model: this needs a Vosk model directory, not none")
    return path


def recognizers(option: str | None) -> RecognizerFactory | None:
    from ivr.adapters.vosk import VoskModel, resolve_model_path
    from ivr.app.progress import Working

    path = resolve_model_path(option)
    if path is None:
        return None
    with Working(f"loading the Vosk model {path.name}"):
        return VoskModel(path)


def prompt_source(flow: Flow) -> PromptSource:
    from ivr.adapters.espeak import EspeakSynthesizer
    from ivr.adapters.prompts import PromptStore

    return PromptStore(paths.audio_dir(), EspeakSynthesizer(), flow.audio)


def caller(opts: Options) -> Caller:
    from ivr.adapters.directory import lookup

    return lookup(opts.directory or paths.callers_file(), opts.caller_id)


def setup(opts: Options, sinks: list[Sink], channel: str) -> CallSetup:
    """The flow, prompt audio, VAD, recogniser model, records store and language every call needs."""
    from ivr.adapters.language import MandarinLanguage
    from ivr.adapters.vad import make_vad

    flow = load(opts.flow)
    make_vad(opts.vad)  # a missing VAD model is an error now, not mid-call
    return CallSetup(
        flow,
        prompt_source(flow),
        lambda: make_vad(opts.vad),
        MandarinLanguage(),
        recognizers(opts.model),
        open_records(opts.records),
        channel=channel,
        worker=worker_id(),
        sinks=sinks,
    )


def check_record_target(target: Path | None, inputs: list[Path]) -> None:
    """--record must name a new or replaceable .wav file in a writable folder, not an input."""
    if target is None:
        return
    if target.suffix.lower() != ".wav":
        raise IvrError(f"--record: {target} must end in .wav")
    if target.is_dir():
        raise IvrError(f"--record: {target} is a directory")
    resolved = target.resolve()
    if any(resolved == p.resolve() for p in inputs):
        raise IvrError(f"--record: {target} is the caller's recording itself")
    folder = resolved.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise IvrError(f"--record: cannot write in {folder}")
    if target.exists() and not os.access(target, os.W_OK):
        raise IvrError(f"--record: {target} is not writable")
