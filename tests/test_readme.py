"""The README tells the truth: its demo output is what `ivr demo` prints, and its commands parse."""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

import pytest

from ivr.app.cli import _parser
from ivr.clock import run_process
from ivr.paths import ROOT

IVR = str(Path(sys.executable).parent / "ivr")
README = (ROOT / "README.md").read_text(encoding="utf-8")
NUMBER = re.compile(r"-?\d+\.\d+")


def _blocks() -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", README, re.S)


def _same(shown: str, printed: str) -> bool:
    """Equal text, and every number within 0.02 (an espeak-ng release may move a prompt by a sample or two)."""
    if NUMBER.sub("#", shown) != NUMBER.sub("#", printed):
        return False
    return all(
        abs(float(a) - float(b)) <= 0.0201 for a, b in zip(NUMBER.findall(shown), NUMBER.findall(printed), strict=True)
    )


@pytest.mark.rules("ANS-2", "SIL-1")
def test_the_demo_prints_what_the_readme_shows(tmp_path: Path) -> None:
    shown = next(b for b in _blocks() if "answered         flow=hotline" in b).rstrip("\n").splitlines()
    out = run_process([IVR, "demo"], 300, capture_output=True, text=True, env={**os.environ, "IVR_RECORDS": "none"})
    assert out.returncode == 0, out.stderr
    printed = out.stdout.rstrip("\n").splitlines()
    assert len(shown) == len(printed), "\n".join(printed)
    different = [(s, p) for s, p in zip(shown, printed, strict=True) if not _same(s, p)]
    assert different == [], "README.md's demo block is out of date"


def test_every_ivr_command_in_the_readme_parses() -> None:
    parser = _parser()
    lines = [
        line.split("#")[0].strip()
        for block in _blocks()
        for line in block.splitlines()
        if re.match(r"\s*ivr [a-z]", line) and "…" not in line
    ]
    assert len(lines) >= 15
    for line in lines:
        words = shlex.split(line.split(" / ")[0].replace("ID", "c1").replace("[", "").replace("]", ""))
        words = [w for w in words if "|" not in w]
        try:
            parser.parse_args(words[1:])
        except SystemExit as e:
            pytest.fail(f"README: `{line}` does not parse (exit {e.code})")
