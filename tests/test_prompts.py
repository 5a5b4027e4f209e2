"""Prompts: real espeak-ng speech, cached by text/voice/rate, levelled (HEAR-4), faded (ANS-3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import speech

from ivr.adapters.espeak import EspeakSynthesizer
from ivr.adapters.prompts import PromptStore
from ivr.app.flows import fixed_texts
from ivr.errors import IvrError
from ivr.flowlang.model import AudioSettings, Flow
from ivr.frames import FRAME, to_float
from ivr.signal.level import active_level_db
from ivr.signal.wav import write_wav


@pytest.mark.rules("HEAR-4", "ANS-3")
def test_every_prompt_is_real_mandarin_speech_at_one_level(hotline: Flow, prompts: PromptStore) -> None:
    levels = []
    for text in fixed_texts(hotline, [("张", "工程师")]):
        audio = prompts.get(text)
        x = to_float(audio.samples)
        assert len(audio.samples) % FRAME == 0
        assert 1.0 < audio.duration < 15.0, text  # no instruction so long a caller loses it
        assert abs(x[0]) < 1e-3 and abs(x[-1]) < 1e-3  # ANS-3: starts and ends at silence
        assert np.max(np.abs(np.diff(x[:160]))) < 0.05  # no step at the start: a fade, not a jump
        levels.append(active_level_db(x))
    assert max(levels) - min(levels) < 0.5  # HEAR-4
    assert np.mean(levels) == pytest.approx(-26.0, abs=0.5)


def test_pinyin_voice_reads_hanzi_as_mandarin(hotline: Flow, prompts: PromptStore) -> None:
    """Plain `cmn` spells hanzi out as letters and digits: far longer than the Mandarin reading."""
    synth = EspeakSynthesizer()
    text = hotline.text("silent_again")
    mandarin, rate = synth.render(text, "cmn-latn-pinyin", 175)
    assert 2.0 < len(mandarin) / rate < 5.0


def test_cache_is_keyed_by_text_voice_and_rate(tmp_path: Path) -> None:
    synth = EspeakSynthesizer()
    store = PromptStore(tmp_path, synth, AudioSettings())
    first = store.get("您好")
    assert first.source.startswith("synthesized:")
    again = PromptStore(tmp_path, synth, AudioSettings()).get("您好")
    assert again.source.startswith("cache:") and (again.samples == first.samples).all()
    faster = PromptStore(tmp_path, synth, AudioSettings(rate=250))
    assert faster.cache_path("您好") != store.cache_path("您好")
    assert faster.get("您好").duration < first.duration
    assert store.build(["您好", "再见"]) == 1


def test_renders_are_the_same_bytes_whatever_was_rendered_before() -> None:
    """The IVR's voice and the scripted caller's share a process: a rate never leaks into the next render."""
    synth = EspeakSynthesizer()
    first, _ = synth.render("您好", "cmn-latn-pinyin", 175)
    fast, _ = synth.render("请问有什么可以帮助您", "cmn-latn-pinyin", 250)
    again, _ = synth.render("您好", "cmn-latn-pinyin", 175)
    assert (first == again).all() and len(fast) < len(synth.render("请问有什么可以帮助您", "cmn-latn-pinyin", 175)[0])


def test_recorded_prompt_replaces_synthesis_at_the_same_level(tmp_path: Path) -> None:
    recording = tmp_path / "greeting.wav"
    write_wav(recording, [(speech() * 0.2).astype(np.int16)], 16000)
    store = PromptStore(tmp_path, EspeakSynthesizer(), AudioSettings())
    audio = store.get("ignored", recording)
    assert audio.source == f"recorded:{recording}"
    assert active_level_db(to_float(audio.samples)) == pytest.approx(-26.0, abs=0.5)


def test_unknown_voice_is_a_clear_error(tmp_path: Path) -> None:
    store = PromptStore(tmp_path, EspeakSynthesizer(), AudioSettings(voice="klingon"))
    with pytest.raises(IvrError, match="voice 'klingon': espeak-ng has no such voice"):
        store.get("您好")
