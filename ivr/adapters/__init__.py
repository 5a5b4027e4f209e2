"""Adapters: the real implementations of the engine's ports (Vosk, espeak-ng, sound card, records, ...)."""
