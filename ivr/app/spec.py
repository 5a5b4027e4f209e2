"""`ivr spec`: every rule of the service code, what carries it out and which tests prove it, and what is missing.

Rules come from spec/REQUIREMENTS.md; the flows' states and prompts cite rule IDs; engine code cites them
in comments and docstrings; tests carry `@pytest.mark.rules("ID", ...)`. Whether those tests passed is read
from the JUnit report the test command writes (build/test-results.xml).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from ivr import paths
from ivr.app.printing import table
from ivr.errors import IvrError
from ivr.flowlang.load import load_flow
from ivr.flowlang.model import Flow

RESULTS = paths.ROOT / "build" / "test-results.xml"
_RULE = re.compile(r"^- \*\*([A-Z]+-\d+)\*\* (.*)")


@dataclass
class Coverage:
    id: str
    summary: str
    states: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        keys = ("id", "states", "prompts", "tests", "missing")
        return {k: getattr(self, k) for k in keys}


def read_rules(path: Path | None = None) -> list[tuple[str, str]]:
    """(ID, the rule's first sentence) for every rule of the requirements file."""
    path = path or paths.requirements_file()
    if not path.is_file():
        raise IvrError(f"{path}: the requirements file is missing")
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := _RULE.match(line):
            rules.append((m.group(1), m.group(2).split(". ")[0].split(": `")[0][:70]))
    return rules


def flow_carriers(flow: Flow, rule: str) -> tuple[list[str], list[str]]:
    """The flow's states and prompts that carry out a rule."""
    prompts = [f"{flow.name}.{p.id}" for p in flow.prompts.values() if p.rule == rule]
    states = []
    for s in flow.states.values():
        rules = {flow.prompts[p].rule for p in s.prompts} | {s.rule}
        derived = {
            "SIL-2": any(flow.prompts[p].rule == "SIL-1" for p in s.say)
            and any(t.event == "speech_started" for t in s.transitions),
            "CONF-1": s.collect is not None and s.collect.confirm is not None,
            "APOL-1": s.collect is not None and s.collect.apology is not None,
            "UNSURE-1": any(t.event == "give_up" for t in s.transitions),
            "GRT-2": any(t.if_known for t in s.transitions),
            "LSN-1": s.bargein and bool(s.say) and any(t.event == "speech_started" for t in s.transitions),
        }
        if rule in rules or derived.get(rule, False):
            states.append(f"{flow.name}.{s.id}")
    return states, prompts


def code_carriers(rule: str, root: Path = paths.ROOT / "ivr") -> list[str]:
    """Engine files that cite the rule (file:first line), the rule table itself left out."""
    out = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "rules.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(rf"\b{re.escape(rule)}\b", line):
                out.append(f"{path.relative_to(paths.ROOT)}:{n}")
                break
    return out


def marked_tests(tests_dir: Path = paths.ROOT / "tests") -> dict[str, list[str]]:
    """Rule ID -> the tests (file::function) that carry `@pytest.mark.rules` with it."""
    out: dict[str, list[str]] = {}
    for path in sorted(tests_dir.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and ast.unparse(dec.func) == "pytest.mark.rules":
                    name = f"{path.relative_to(paths.ROOT)}::{node.name}"
                    for arg in dec.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            out.setdefault(arg.value, []).append(name)
    return out


def test_results(path: Path) -> dict[str, str] | None:
    """file::function -> passed/failed/skipped from a JUnit report (parametrised cases folded: all must pass)."""
    if not path.is_file():
        return None
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        raise IvrError(f"--results: {path}: not a JUnit report ({e})") from None
    out: dict[str, str] = {}
    for case in root.iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        name = f"{module}.py::{case.get('name', '').split('[')[0]}"
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else "passed"
        if case.find("skipped") is not None:
            outcome = "skipped"
        if out.get(name, "passed") == "passed":
            out[name] = outcome
    return out


def coverage(flows: list[Flow], results: dict[str, str] | None) -> list[Coverage]:
    tests = marked_tests()
    out = []
    for rule, summary in read_rules():
        c = Coverage(rule, summary)
        for flow in flows:
            states, prompts = flow_carriers(flow, rule)
            c.states += states
            c.prompts += prompts
        c.code = code_carriers(rule)
        c.tests = tests.get(rule, [])
        if not (c.states or c.prompts or c.code):
            c.missing.append("nothing carries it out")
        if not c.tests:
            c.missing.append("no test")
        elif results is None:
            c.missing.append("tests not run (no build/test-results.xml: run scripts/test.sh)")
        else:
            c.passed = [t for t in c.tests if results.get(t) == "passed"]
            for t in c.tests:
                if results.get(t) != "passed":
                    c.missing.append(f"{results.get(t, 'not run')}: {t}")
        out.append(c)
    return out


def spec(args: argparse.Namespace) -> int:
    from ivr.app.flows import flow_paths

    flows = [load_flow(p) for p in flow_paths(args.flows)]
    results = test_results(args.results)
    rows = coverage(flows, results)
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=1))
    else:
        body = []
        for r in rows:
            tests = f"{len(r.passed)}/{len(r.tests)} passed" if results is not None else f"{len(r.tests)}"
            carried = f"{len(r.states)} states, {len(r.prompts)} prompts" + (f", {len(r.code)} files" if r.code else "")
            body.append([r.id, r.summary[:40], carried, tests, "; ".join(r.missing)[:60] or "-"])
        print(table(["rule", "what", "carried out by", "tests", "missing"], body))
        gaps = sum(bool(r.missing) for r in rows)
        print(f"\n{len(rows)} rules; {gaps} with something missing" + ("" if results else "; test results not found"))
    return 1 if args.strict and any(r.missing for r in rows) else 0
