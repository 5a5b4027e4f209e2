"""Modules imported for real only when first used: python-statemachine imports asyncio (and with it ssl, ~40 ms of
each start) at its top, yet runs it only for async callbacks, which no flow has; only `ivr serve` runs a loop."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

_lock = threading.RLock()  # re-entrant: the module's own import may read a stand-in


class _Deferred(types.ModuleType):
    """Stands in sys.modules for a module until an attribute of it is read; `import` statements alone do not load it.

    importlib.util.LazyLoader cannot serve here: on Python 3.11 the `import` statement itself reads the module's
    `__spec__`, which loads a LazyLoader module at once.
    """

    def __getattr__(self, attribute: str) -> Any:
        return getattr(_load(self), attribute)


def _load(stand_in: _Deferred) -> types.ModuleType:
    name = stand_in.__name__
    with _lock:
        module = sys.modules.get(name)
        if module is stand_in or module is None:
            sys.modules.pop(name, None)
            try:
                module = importlib.import_module(name)
            except BaseException:
                sys.modules[name] = stand_in
                raise
            stand_in.__dict__.update(module.__dict__)
    return module


def defer(name: str) -> None:
    """Put a stand-in for the module `name` in sys.modules, unless it is imported already (or does not exist)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = _Deferred(name)
    stand_in.__spec__ = spec
    stand_in.__file__ = spec.origin
    if spec.submodule_search_locations is not None:
        stand_in.__path__ = list(spec.submodule_search_locations)
    sys.modules[name] = stand_in
