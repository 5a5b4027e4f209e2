"""A scripted caller: a YAML list of what the caller says and does, played as a real line.

Each `say` is spoken by espeak-ng (a caller's voice, not the IVR's) into the caller's audio, so the
real VAD, end of turn, barge-in and timers see an utterance of realistic length; its words reach the
flow as the recogniser's result for that utterance. A `say` without `after` waits, as callers do, until
the IVR has finished talking; with `after: S` it comes S seconds after the previous step, interrupting
if the IVR is still talking. With a real Mandarin model the same audio can be recognised for real, and
the words written as golden files (`--golden write`) that later runs replay (`--golden replay`).

    - say: 您好，我想报修        # optional: after: 1.5, confidence: 0.6
    - silence: 6
    - hangup: true

or a mapping with `caller_id`, `steps` (that list) and `expect` (`prompts` said in this order,
`hangup`: ivr|caller, `rule`, `tickets`: kinds opened, `callbacks`: count).
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ivr.clock import RATE
from ivr.engine.ports import PromptSource, Transcript
from ivr.errors import IvrError
from ivr.flowlang.load import short
from ivr.flowlang.yaml_lines import LineDict, load_yaml_any
from ivr.frames import FRAME, SILENCE, Samples

CALLER_VOICE = "cmn-latn-pinyin"
CALLER_RATE = 190
TURN_GAP_S = 0.6
"""A caller waiting for their turn starts speaking this long after the IVR stops."""
MAX_STEPS = 500
MAX_SILENCE_S = 3600.0


@dataclass(frozen=True)
class Step:
    kind: str  # say | silence | hangup
    text: str = ""
    seconds: float = 0.0
    after: float | None = None
    confidence: float = 0.9
    line: int = 0


@dataclass(frozen=True)
class Expect:
    prompts: tuple[str, ...] = ()
    hangup: str | None = None
    rule: str | None = None
    tickets: tuple[str, ...] = ()
    callbacks: int | None = None


@dataclass(frozen=True)
class Script:
    path: Path
    steps: tuple[Step, ...]
    caller_id: str | None = None
    expect: Expect = field(default_factory=Expect)

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.steps if s.kind == "say"]


def load_script(path: Path) -> Script:
    """Read a caller script; every problem is one `file:line:` error."""
    doc = _load(path)
    steps_doc: Any = doc
    caller_id = None
    expect = Expect()
    if isinstance(doc, LineDict):
        unknown = set(doc) - {"caller_id", "steps", "expect", "description"}
        if unknown:
            key = sorted(unknown)[0]
            raise IvrError(f"{path}:{doc.line_of(key)}: unknown key {short(key)} (caller_id, steps, expect)")
        steps_doc = doc.get("steps")
        if doc.get("caller_id") is not None:
            caller_id = str(doc["caller_id"])
        expect = _expect(path, doc.get("expect"), doc.line_of("expect"))
    if not isinstance(steps_doc, list) or not steps_doc or len(steps_doc) > MAX_STEPS:
        raise IvrError(f"{path}: a caller script is a list of 1 to {MAX_STEPS} steps ({{say: ...}}, ...)")
    steps = tuple(_step(path, item) for item in steps_doc)
    return Script(path, steps, caller_id, expect)


def _load(path: Path) -> Any:
    if not path.is_file():
        raise IvrError(f"--script: {path}: no such file")
    return load_yaml_any(path, 200_000)


def _step(path: Path, item: Any) -> Step:
    if not isinstance(item, LineDict):
        raise IvrError(f"{path}: each step is a mapping such as {{say: 您好}}, not {short(item)}")
    where = f"{path}:{item.line}"
    kinds = set(item) & {"say", "silence", "hangup"}
    if len(kinds) != 1:
        raise IvrError(f"{where}: a step has exactly one of say, silence, hangup")
    unknown = set(item) - {"say", "silence", "hangup", "after", "confidence"}
    if unknown:
        raise IvrError(f"{where}: unknown key {short(sorted(unknown)[0])} (say, after, confidence, silence, hangup)")
    kind = kinds.pop()
    if kind == "hangup":
        if item["hangup"] is not True:
            raise IvrError(f"{where}: hangup: true")
        return Step("hangup", line=item.line)
    if kind == "silence":
        return Step("silence", seconds=_seconds(where, item["silence"], "silence"), line=item.line)
    text = item["say"]
    if not isinstance(text, str) or not text.strip() or len(text) > 200:
        raise IvrError(f"{where}: say: the caller's words, 1 to 200 characters")
    after = _seconds(where, item["after"], "after") if "after" in item else None
    confidence = item.get("confidence", 0.9)
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise IvrError(f"{where}: confidence is a number from 0 to 1")
    return Step("say", text=text.strip(), after=after, confidence=float(confidence), line=item.line)


def _seconds(where: str, value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_SILENCE_S:
        raise IvrError(f"{where}: {key} is seconds from 0 to {MAX_SILENCE_S:g}, not {short(value)}")
    return float(value)


def _expect(path: Path, doc: Any, line: int) -> Expect:
    if doc is None:
        return Expect()
    if not isinstance(doc, LineDict):
        raise IvrError(f"{path}:{line}: expect is a mapping (prompts, hangup, rule, tickets, callbacks)")
    unknown = set(doc) - {"prompts", "hangup", "rule", "tickets", "callbacks"}
    if unknown:
        raise IvrError(f"{path}:{doc.line_of(sorted(unknown)[0])}: unknown key in expect")
    prompts = doc.get("prompts", [])
    tickets = doc.get("tickets", [])
    if not all(isinstance(x, str) for x in [*prompts, *tickets]):
        raise IvrError(f"{path}:{doc.line}: expect.prompts and expect.tickets are lists of names")
    callbacks = doc.get("callbacks")
    return Expect(tuple(prompts), doc.get("hangup"), doc.get("rule"), tuple(tickets), callbacks)


class ScriptedLine:
    """The caller's side of the line, played from a script; `idle()` tells whether the IVR is talking."""

    end_reason = "caller"

    def __init__(self, script: Script, voice: PromptSource, idle: Callable[[], bool]) -> None:
        self.script = script
        self.voice = voice
        self.idle = idle
        self.position = 0
        self.spans: list[tuple[int, int, int]] = []
        self._steps = deque(enumerate(script.steps))
        self._buffer: deque[Samples] = deque()
        self._waiting: int | None = None
        self._quiet = 0

    def read(self) -> Samples | None:
        while not self._buffer:
            if self._waiting is not None:
                if not self._turn_came():
                    self.position += FRAME
                    return SILENCE
                self._speak(self._waiting)
                continue
            if not self._steps:
                return None
            index, step = self._steps.popleft()
            if step.kind == "hangup":
                return None
            if step.kind == "silence":
                self._buffer.extend(_silence(step.seconds))
            elif step.after is None:
                self._waiting = index
                self._quiet = 0
            else:
                self._buffer.extend(_silence(step.after))
                self._speak(index)
        self.position += FRAME
        return self._buffer.popleft()

    def add(self, step: Step) -> None:
        """One more step at the end of the script (a caller typed live)."""
        index = len(self.script.steps)
        self.script = Script(self.script.path, (*self.script.steps, step), self.script.caller_id, self.script.expect)
        self._steps.append((index, step))

    @property
    def idle_line(self) -> bool:
        """Nothing left to play: the script has run out."""
        return not self._buffer and not self._steps and self._waiting is None

    def _turn_came(self) -> bool:
        """A caller waits for the IVR to finish talking, then a short natural gap."""
        self._quiet = self._quiet + 1 if self.idle() else 0
        return self._quiet * FRAME >= TURN_GAP_S * RATE

    def _speak(self, index: int) -> None:
        self._waiting = None
        step = self.script.steps[index]
        audio = self.voice.audio(step.text)
        assert audio is not None
        start = self.position + FRAME * len(self._buffer)
        self.spans.append((index, start, start + len(audio.samples)))
        self._buffer.extend(_frames(audio.samples))


def _silence(seconds: float) -> list[Samples]:
    return [SILENCE] * round(seconds * RATE / FRAME)


def _frames(x: Samples) -> list[Samples]:
    padded = np.concatenate([x, np.zeros((-len(x)) % FRAME, np.int16)])
    return list(padded.reshape(-1, FRAME))


class ScriptedWords:
    """The recogniser of a scripted line: at the end of each utterance, the words of the steps it covered."""

    def __init__(self, line: ScriptedLine, texts: Sequence[str] | None = None) -> None:
        self.line = line
        self.texts = list(texts) if texts is not None else None
        self._said: set[int] = set()
        self._ready: Transcript | None = None

    def new_call(self) -> ScriptedWords:
        return self

    def accept(self, frame: Samples) -> None:
        pass

    def end_utterance(self) -> None:
        now = self.line.position
        covered = [i for i, start, _ in self.line.spans if start < now and i not in self._said]
        if not covered:
            return
        self._said.update(covered)
        steps = [self.line.script.steps[i] for i in covered]
        says = [s for s in range(len(self.line.script.steps)) if self.line.script.steps[s].kind == "say"]
        words = [self._words(i, says) for i in covered]
        confidence = min(s.confidence for s in steps)
        self._ready = Transcript(" ".join(words), confidence)

    def _words(self, index: int, says: list[int]) -> str:
        if self.texts is None:
            return self.line.script.steps[index].text
        return self.texts[says.index(index)]

    def poll(self) -> Transcript | None:
        ready, self._ready = self._ready, None
        return ready

    def hint(self, phrases: Sequence[str] | None) -> None:
        pass


def golden_path(script: Path, model_hash: str) -> Path:
    return script.parent / "golden" / f"{script.stem}.{model_hash}.json"


def model_hash(model_dir: Path) -> str:
    """A short hash of a Vosk model's files (names and sizes), naming its golden files."""
    h = hashlib.sha256()
    for p in sorted(model_dir.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(model_dir)}:{p.stat().st_size}\n".encode())
    return h.hexdigest()[:12]


def read_golden(path: Path, script: Script) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        texts = [str(t) for t in data["recognised"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IvrError(f"{path}: not a golden file ({e})") from None
    if len(texts) != len(script.texts):
        raise IvrError(f"{path}: has {len(texts)} results for {len(script.texts)} utterances: write it again")
    return texts


def write_golden(path: Path, script: Script, model: str, recognised: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"script": script.path.name, "model": model, "said": script.texts, "recognised": recognised}
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
