"""The parse cache of YAML files: what a file parsed to, read back the same, never for a changed file or parser."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from ivr.clock import run_process
from ivr.errors import IvrError
from ivr.flowlang import yaml_lines, yaml_parse
from ivr.flowlang.load import load_flow
from ivr.flowlang.yaml_lines import LineDict, load_yaml, load_yaml_any
from ivr.paths import ROOT

DOC = """\
flow: 测试
on: [1, 1.5, .inf, -0.0, true, null, ~, "on", 2026-11-25, 2026-11-25 10:00:00+08:00]
shared: &a {x: 1, y: [a, b]}
again: *a
blob: !!binary aGVsbG8=
names: !!set {张: null, 李: null}
nested:
  deeper:
    - {k: v}
    - plain
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IVR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "yaml"


def _shape(value: Any) -> Any:
    """The value with every type and every mapping's lines, for comparing more than ==."""
    if isinstance(value, LineDict):
        return ("LineDict", value.line, value.key_lines, [(k, _shape(v)) for k, v in value.items()])
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return (type(value).__name__, repr(value))


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Count the parser's runs from now on."""
    calls: list[Path] = []
    real = yaml_parse.parse

    def counted(path: Path, text: str) -> Any:
        calls.append(path)
        return real(path, text)

    monkeypatch.setattr(yaml_parse, "parse", counted)
    return calls


def test_a_file_is_parsed_once_and_read_back_the_same(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(DOC, encoding="utf-8")
    parses = _parses(monkeypatch)
    first = load_yaml(path)
    second = load_yaml(path)
    assert parses == [path] and len(list(cache.glob("*.pickle"))) == 1
    assert _shape(second) == _shape(first) and second == first
    assert second["again"] is second["shared"]  # an alias is still one object
    assert isinstance(second["on"][9], dt.datetime) and second["blob"] == b"hello" and second["names"] == {"张", "李"}


def test_a_fresh_process_reads_the_entry_without_importing_the_parser(tmp_path: Path, cache: Path) -> None:
    import pickle

    path = tmp_path / "doc.yaml"
    path.write_text(DOC, encoding="utf-8")
    parsed = load_yaml(path)
    code = (
        "import pickle, sys\nfrom pathlib import Path\nfrom ivr.flowlang.yaml_lines import load_yaml\n"
        f"data = load_yaml(Path({str(path)!r}))\n"
        "print('yaml' in sys.modules, 'ivr.flowlang.yaml_parse' in sys.modules, pickle.dumps(data).hex())"
    )
    out = run_process([sys.executable, "-c", code], 60, capture_output=True, text=True, check=True)
    yaml_imported, parser_imported, data = out.stdout.split()
    assert (yaml_imported, parser_imported) == ("False", "False")
    assert _shape(pickle.loads(bytes.fromhex(data))) == _shape(parsed)


def test_a_changed_file_is_parsed_again(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert load_yaml(path) == {"a": 1}
    stat = path.stat()
    path.write_text("a: 2\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time: only the text tells
    assert load_yaml(path) == {"a": 2}
    path.write_text("\nb: 1\n", encoding="utf-8")
    assert load_yaml(path).line_of("b") == 2
    path.write_text("a: 1\n", encoding="utf-8")
    assert load_yaml(path) == {"a": 1}
    assert len(list(cache.glob("*.pickle"))) == 1  # one entry per file, however often it changes


def test_another_parser_or_pyyaml_is_another_key(monkeypatch: pytest.MonkeyPatch) -> None:
    yaml_lines._code.cache_clear()
    monkeypatch.setattr(yaml_lines, "_code", lambda: "parser A")
    a = yaml_lines._key("a: 1\n")
    monkeypatch.setattr(yaml_lines, "_code", lambda: "parser B")
    assert yaml_lines._key("a: 1\n") != a
    monkeypatch.undo()
    yaml_lines._code.cache_clear()
    assert yaml_lines._code() is not None


@pytest.mark.parametrize(
    "entry",
    [b"", b"not a pickle", b"\x80\x05\x95", b"\x80\x05K\x01.", "pickle of another key"],
)
def test_a_torn_or_foreign_entry_is_parsed_again_and_rewritten(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, entry: bytes | str
) -> None:
    import pickle

    path = tmp_path / "doc.yaml"
    path.write_text("a: [1, 2]\n", encoding="utf-8")
    load_yaml(path)
    (slot,) = cache.glob("*.pickle")
    slot.write_bytes(pickle.dumps(("another key", {"a": "stale"})) if isinstance(entry, str) else entry)
    parses = _parses(monkeypatch)
    assert load_yaml(path) == {"a": [1, 2]} and parses == [path]
    assert load_yaml(path) == {"a": [1, 2]} and parses == [path]
    assert [p.name for p in cache.iterdir()] == [slot.name]  # no part file left behind


def test_a_cache_that_cannot_be_written_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("IVR_CACHE_DIR", str(blocked))
    path = tmp_path / "doc.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert load_yaml(path) == {"a": 1} and load_yaml(path) == {"a": 1}


def test_what_does_not_parse_is_not_kept_and_fails_the_same_each_time(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("a: [unclosed\n", encoding="utf-8")
    errors = []
    for _ in range(2):
        with pytest.raises(IvrError) as e:
            load_yaml_any(path)
        errors.append(str(e.value))
    assert errors[0] == errors[1] and errors[0].startswith(f"{path}:2: invalid YAML")
    assert not cache.exists() or list(cache.iterdir()) == []


def test_the_hotline_flow_from_the_cache_is_the_parsed_flow(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parses = _parses(monkeypatch)
    parsed = load_flow(ROOT / "flows" / "hotline.yaml")
    assert len(parses) == 2  # the flow and its knowledge
    assert load_flow(ROOT / "flows" / "hotline.yaml") == parsed and len(parses) == 2
