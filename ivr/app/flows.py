"""`ivr flows check`, `ivr flows graph` and `ivr prompts build`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr import paths
from ivr.app.printing import say
from ivr.app.progress import Progress
from ivr.errors import IvrError
from ivr.flowlang.load import find_flow, load_flow
from ivr.flowlang.model import Flow, FlowError, Problem, Where


def flow_paths(names: list[str]) -> list[Path]:
    """The named flows (each must exist), or every flow in the flows directory."""
    if names:
        return [find_flow(n, paths.flows_dir()) for n in names]
    found = sorted(paths.flows_dir().glob("*.yaml"))
    if not found:
        raise IvrError(f"no flows in {paths.flows_dir()}")
    return found


def check(args: argparse.Namespace) -> int:
    from ivr.flowlang.compile import compile_flow
    from ivr.flowlang.compliance import check as service_code

    bad = 0
    for path in flow_paths(args.flows):
        flow = None
        try:
            flow = load_flow(path)
            compile_flow(flow)
            problems = service_code(flow)
            if args.model:
                problems += _vocabulary(flow, args.model)
        except FlowError as e:
            problems = e.problems
        except IvrError as e:  # unreadable or not YAML: this file only, the others are still checked
            problems = [Problem(Where(path, 0), str(e).removeprefix(f"{path}: "))]
        for problem in problems:
            print(problem)
        bad += bool(problems)
        if flow is not None and not problems:
            print(f"{path}: ok ({len(flow.states)} states, {len(flow.prompts)} prompts)")
    return 1 if bad else 0


def phrases(flow: Flow) -> list[tuple[Where, str]]:
    """Every phrase the flow listens for: intent keywords, if_said phrases, knowledge keywords."""
    out = [(i.where, k) for i in flow.intents.values() for k in i.keywords]
    out += [(t.where, w) for s in flow.states.values() for t in s.transitions for w in t.if_said]
    out += [(a.where, k) for a in flow.knowledge.answers for k in a.keywords]
    out += [(f.where, k) for f in flow.knowledge.faults for k in f.keywords]
    out += [(s.where, h) for s in flow.states.values() for h in s.hints]
    return out


def _vocabulary(flow: Flow, model: str) -> list[Problem]:
    """Phrase words the recogniser's model does not know (Vosk drops them from a grammar silently)."""
    from ivr.adapters.vosk import VoskModel, resolve_model_path

    path = resolve_model_path(model)
    if path is None:
        raise IvrError("--model: name a model directory to check the vocabulary against")
    vosk = VoskModel(path)
    problems = []
    for where, phrase in phrases(flow):
        missing = [w for w in phrase.split() if not vosk.knows(w)]
        if missing:
            problems.append(Problem(where, f"phrase «{phrase}»: {', '.join(missing)} not in the model {path.name}"))
    return problems


def graph(args: argparse.Namespace) -> int:
    from ivr.flowlang import graph as draw

    flow = load_flow(find_flow(args.flow, paths.flows_dir()))
    fmt = args.format or (args.output.suffix.lstrip(".") if args.output else "mermaid")
    fmt = {"mmd": "mermaid", "gv": "dot"}.get(fmt, fmt)
    if fmt not in ("mermaid", "dot", "svg", "png"):
        raise IvrError(f"--output: cannot tell the format from {args.output}; pass --format mermaid|dot|svg|png")
    if fmt == "mermaid":
        return _write(args.output, draw.mermaid(flow, args.words).encode())
    text = draw.dot(flow, args.words)
    if fmt == "dot":
        return _write(args.output, text.encode())
    if args.output is None:
        raise IvrError(f"--format {fmt}: give -o FILE.{fmt} (binary output is not written to a terminal)")
    return _write(args.output, _graphviz(text, fmt))


def _graphviz(text: str, fmt: str) -> bytes:
    import shutil
    import subprocess

    from ivr.clock import run_process

    exe = shutil.which("dot")
    if exe is None:
        raise IvrError("Graphviz is not installed (apt-get install graphviz; scripts/setup.sh does it)")
    try:
        done = run_process([exe, f"-T{fmt}"], 60, input=text.encode(), capture_output=True)
    except subprocess.TimeoutExpired:
        raise IvrError("Graphviz took more than 60 s") from None
    if done.returncode != 0:
        raise IvrError(f"Graphviz failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    return bytes(done.stdout)


def _write(output: Path | None, data: bytes) -> int:
    if output is None:
        sys.stdout.write(data.decode() + "\n")
        return 0
    tmp = output.with_name(f".{output.name}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise IvrError(f"--output: cannot write {output} ({e.strerror})") from None
    say(f"wrote {output}")
    return 0


def fixed_texts(flow: Flow, callers: list[tuple[str, str]]) -> list[str]:
    """Every text the flow says that does not depend on the call, and each directory caller's known wordings."""
    from ivr.flowlang.model import CALLER_VARIABLES, ENGINE_VARIABLES

    out: dict[str, None] = {}
    static = ENGINE_VARIABLES - {"agent_id", "agent_name"}
    for pid, p in flow.prompts.items():
        if p.recording is not None or (p.fields & (static | (set(flow.slots) - CALLER_VARIABLES))):
            continue
        if not p.needs_caller:
            out[flow.text(pid)] = None
        for surname, title in callers if p.known_template or p.needs_caller else []:
            out[flow.text(pid, known=True, surname=surname, title=title)] = None
    for a in flow.knowledge.answers:
        out[a.text] = None
    for f in flow.knowledge.faults:
        out.update(dict.fromkeys(f.steps))
    return list(out)


def build_prompts(args: argparse.Namespace) -> int:
    from ivr.adapters.directory import load_directory
    from ivr.app.wiring import prompt_source
    from ivr.clock import stopwatch

    elapsed = stopwatch()
    total = 0
    directory = load_directory(paths.callers_file())
    callers = [(c.surname or "", c.title or "") for c in directory.values()]
    for path in flow_paths(args.flows):
        flow = load_flow(path)
        store = prompt_source(flow)
        texts = fixed_texts(flow, callers)
        bar = Progress(flow.name)
        total += store.build(texts, bar.update)  # type: ignore[attr-defined]
        bar.done()
    print(f"{total} prompt(s) rendered in {elapsed():.1f} s; cache: {paths.audio_dir() / 'prompts' / 'cache'}")
    return 0
