"""The YAML parser behind `yaml_lines`: mappings as LineDicts, keys as written, bounded expansion.

Imported only when a file is not in the parse cache (PyYAML's import is ~10 ms of a start).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ivr.errors import IvrError
from ivr.flowlang.yaml_lines import LineDict

MAX_NODES = 200_000
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    d = LineDict.empty(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        # Keys are taken as written: YAML 1.1 would otherwise read `on:` as the boolean True.
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.MarkedYAMLError(problem="keys must be plain names", problem_mark=key_node.start_mark)
        key = str(key_node.value)
        if key in d:
            raise yaml.MarkedYAMLError(problem=f"duplicate key '{key[:40]}'", problem_mark=key_node.start_mark)
        d[key] = loader.construct_object(value_node, deep=True)
        d.key_lines[key] = key_node.start_mark.line + 1
    return d


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many nodes the document has once every alias is expanded (memoised, so bombs stay cheap)."""
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = 1  # a node that refers to itself counts once
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(n, memo) for n in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[id(node)] = min(size, MAX_NODES + 1)
    return memo[id(node)]


def parse(path: Path, text: str) -> Any:
    """The document in `text` (read from `path`), bounded in expanded nodes; errors name the file and line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, {}) > MAX_NODES:
            raise IvrError(f"{path}: more than {MAX_NODES} YAML nodes once aliases are expanded")
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise IvrError(f"{path}{line}: invalid YAML: {str(e.problem or e.context)[:120]}") from None
    except yaml.YAMLError as e:
        raise IvrError(f"{path}: invalid YAML: {str(e)[:120]}") from None
    except (ValueError, RecursionError) as e:  # e.g. an integer literal of 5,000 digits
        raise IvrError(f"{path}: invalid YAML value ({str(e)[:80]})") from None
    finally:
        loader.dispose()
    return data
