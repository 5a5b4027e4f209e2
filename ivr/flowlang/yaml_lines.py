"""YAML loading that remembers the line of every mapping and key, for file:line errors, with bounded cost.

Operator files are bounded: at most `max_bytes` on disk and `yaml_parse.MAX_NODES` nodes once aliases
are expanded (a "billion laughs" document is refused before anything walks it).

What a file parsed to is kept in a cache (`paths.cache_dir()/yaml`, one entry per file) under a key of
its text, this module's and the parser's code, PyYAML's installed files and the Python version: a start
whose files did not change reads the entry back and neither imports nor runs the parser. An entry whose
key differs, or that cannot be read, is parsed again and rewritten; a file that does not parse is not kept.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from functools import cache
from pathlib import Path
from typing import Any

from ivr import paths
from ivr.errors import IvrError

_CACHE_FORMAT = 1
_MISS = object()


class LineDict(dict[str, Any]):
    """A YAML mapping with the line it starts on and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    @classmethod
    def empty(cls, line: int) -> LineDict:
        d = cls()
        d.line, d.key_lines = line, {}
        return d

    @classmethod
    def subset(cls, d: LineDict, keys: Any) -> LineDict:
        """The entries of `d` whose keys are in `keys`, with their lines."""
        out = cls.empty(d.line)
        for key in d:
            if key in keys:
                out[key] = d[key]
                out.key_lines[key] = d.line_of(key)
        return out


def load_yaml(path: Path, max_bytes: int = 1_000_000) -> LineDict:
    """Parse a YAML file whose top level must be a mapping."""
    data = load_yaml_any(path, max_bytes)
    if not isinstance(data, LineDict):
        raise IvrError(f"{path}:1: the file must be a YAML mapping")
    return data


def load_yaml_any(path: Path, max_bytes: int = 1_000_000) -> Any:
    """Parse a YAML file of any shape, bounded in size and in expanded nodes."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IvrError(f"{path}: {size} bytes is too big for a flow or data file (at most {max_bytes})")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IvrError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise IvrError(f"{path}: cannot read ({str(e)[:120]})") from None
    entry = _entry(path)
    key = _key(text)
    if entry is not None and key is not None:
        data = _read(entry, key)
        if data is not _MISS:
            return data
    from ivr.flowlang.yaml_parse import parse

    data = parse(path, text)
    if entry is not None and key is not None:
        _write(entry, key, data)
    return data


def _entry(path: Path) -> Path | None:
    """The cache file that holds what `path` parsed to (one per file, so the cache grows with files, not edits)."""
    try:
        return paths.cache_dir() / "yaml" / f"{hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:32]}.pickle"
    except (OSError, RuntimeError):  # no home folder, a symlink loop
        return None


def _key(text: str) -> str | None:
    """What the parse of `text` depends on; None when the parser's code cannot be read (nothing is cached)."""
    code = _code()
    if code is None:
        return None
    return hashlib.sha256(f"{code}\0{text}".encode()).hexdigest()


@cache
def _code() -> str | None:
    """The cache format, Python's version, this module's and the parser's source, PyYAML's installed files."""
    import importlib.util

    here = Path(__file__)
    try:
        sources = [p.read_bytes() for p in (here, here.with_name("yaml_parse.py"))]
    except OSError:
        return None
    spec = importlib.util.find_spec("yaml")
    installed = []
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        try:
            files = [(e.name, e.stat()) for e in os.scandir(folder) if e.is_file()]
        except OSError:
            return None
        installed += sorted((name, st.st_size, st.st_mtime_ns) for name, st in files)
    digest = hashlib.sha256(repr((_CACHE_FORMAT, sys.version, installed)).encode())
    for source in sources:
        digest.update(hashlib.sha256(source).digest())
    return digest.hexdigest()


def _read(entry: Path, key: str) -> Any:
    try:
        stored, data = pickle.loads(entry.read_bytes())
    except Exception:  # missing, torn or foreign: parsed again and rewritten
        return _MISS
    return data if stored == key else _MISS


def _write(entry: Path, key: str, data: Any) -> None:
    """Keep the parse, atomically (a reader sees the old entry or the new, never part of one); best effort."""
    import tempfile  # only when an entry is written (~6 ms of a start otherwise)

    try:
        blob = pickle.dumps((key, data), protocol=pickle.HIGHEST_PROTOCOL)
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=f".{entry.stem}.", suffix=".part")
    except (OSError, pickle.PicklingError, TypeError, RecursionError):
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, entry)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
