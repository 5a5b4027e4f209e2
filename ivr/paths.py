"""Where flows, audio and records live: the checkout, the installed package's copies, or where the user says."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The checkout (or, for an installed package, site-packages: then the packaged resources are used)."""
RESOURCES = Path(__file__).resolve().parent / "resources"
"""Flows, the caller directory and the requirements as shipped inside the package (`pip install .`)."""


def _shipped(name: str) -> Path:
    return ROOT / name if (ROOT / name).exists() else RESOURCES / name


def flows_dir() -> Path:
    return Path(os.environ.get("IVR_FLOWS_DIR", _shipped("flows")))


def audio_dir() -> Path:
    return Path(os.environ.get("IVR_AUDIO_DIR", ROOT / "audio" if (ROOT / "flows").exists() else Path.cwd() / "audio"))


def callers_file() -> Path:
    return Path(os.environ.get("IVR_CALLERS", _shipped("callers.yaml")))


def requirements_file() -> Path:
    return _shipped("spec") / "REQUIREMENTS.md"


def records_file() -> Path:
    base = ROOT if (ROOT / "flows").exists() else Path.cwd()
    return Path(os.environ.get("IVR_RECORDS", base / "records" / "ivr.sqlite3"))


def cache_dir() -> Path:
    """What can be rebuilt at any time (parsed YAML, the Silero graph, Vosk views): $IVR_CACHE_DIR, else XDG's."""
    if env := os.environ.get("IVR_CACHE_DIR"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ivr"
