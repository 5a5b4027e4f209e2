"""No wall-clock wait anywhere outside ivr/clock.py: ruff bans the time functions, this bans `timeout=`."""

from __future__ import annotations

import ast

from ivr.paths import ROOT

ALLOWED = {ROOT / "ivr" / "clock.py"}


def _waits(keyword: str | None) -> bool:
    """A library's wall-clock bound: `timeout=`, `connect_timeout=`, `read_timeout=` ..."""
    return keyword is not None and (keyword == "timeout" or keyword.endswith("_timeout"))


def test_no_timeout_argument_outside_the_clock_module() -> None:
    found = []
    for folder in ("ivr", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path in ALLOWED:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and any(_waits(k.arg) for k in node.keywords):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], "wall-clock waits belong in ivr/clock.py (run_process, wait_process, get_within, ...)"
