"""Where flows and audio live: beside the package in a checkout, or where the user says."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def flows_dir() -> Path:
    return Path(os.environ.get("IVR_FLOWS_DIR", ROOT / "flows"))


def audio_dir() -> Path:
    return Path(os.environ.get("IVR_AUDIO_DIR", ROOT / "audio"))


def callers_file() -> Path:
    return Path(os.environ.get("IVR_CALLERS", ROOT / "callers.yaml"))


def records_file() -> Path:
    return Path(os.environ.get("IVR_RECORDS", ROOT / "records" / "ivr.sqlite3"))
