"""YAML loading that remembers the line of every mapping and key, for file:line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ivr.errors import IvrError


class LineDict(dict[str, Any]):
    """A YAML mapping with the line it starts on and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    d = LineDict()
    d.line = node.start_mark.line + 1
    d.key_lines = {}
    for key_node, value_node in node.value:
        # Keys are taken as written: YAML 1.1 would otherwise read `on:` as the boolean True.
        if isinstance(key_node, yaml.ScalarNode):
            key = str(key_node.value)
        else:
            raise yaml.MarkedYAMLError(problem="keys must be plain names", problem_mark=key_node.start_mark)
        if key in d:
            raise yaml.MarkedYAMLError(problem=f"duplicate key '{key}'", problem_mark=key_node.start_mark)
        d[key] = loader.construct_object(value_node, deep=True)
        d.key_lines[key] = key_node.start_mark.line + 1
    return d


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> LineDict:
    """Parse a YAML file whose top level must be a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IvrError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise IvrError(f"{path}: cannot read ({e})") from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise IvrError(f"{path}{line}: invalid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise IvrError(f"{path}: invalid YAML: {e}") from None
    if not isinstance(data, LineDict):
        raise IvrError(f"{path}:1: a flow file must be a YAML mapping")
    return data
