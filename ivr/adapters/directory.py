"""The caller directory: an operator-edited YAML file of caller numbers and how to address them."""

from __future__ import annotations

import re
from pathlib import Path

from ivr.engine.call import Caller
from ivr.errors import IvrError
from ivr.flowlang.yaml_lines import LineDict, load_yaml

_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_KEYS = {"name", "surname", "title", "vip"}
_LENGTHS = {"name": 40, "surname": 4, "title": 10}
"""Longest name, surname (欧阳, 司马 … are two characters) and title a directory entry may have."""


def load_directory(path: Path) -> dict[str, Caller]:
    """Read the directory; every problem is a `file:line:` error."""
    if not path.is_file():
        raise IvrError(f"{path}: no such caller directory (--directory or $IVR_CALLERS)")
    doc = load_yaml(path)
    callers: dict[str, Caller] = {}
    for number, entry in doc.items():
        where = f"{path}:{doc.line_of(number)}"
        if not _NUMBER.match(number):
            raise IvrError(f"{where}: {number[:40]!r} is not a phone number (digits, optional leading +)")
        if not isinstance(entry, LineDict):
            raise IvrError(f"{where}: caller {number} must have name, surname, title and vip")
        for key in sorted(set(entry) - _KEYS):
            raise IvrError(f"{path}:{entry.line_of(key)}: caller {number}: unknown key '{key}'")
        fields = {}
        for key in ("name", "surname", "title"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise IvrError(f"{path}:{entry.line_of(key)}: caller {number}: '{key}' must be set")
            if len(value.strip()) > _LENGTHS[key]:
                raise IvrError(
                    f"{path}:{entry.line_of(key)}: caller {number}: '{key}' is longer than {_LENGTHS[key]} characters"
                )
            fields[key] = value.strip()
        if not fields["name"].startswith(fields["surname"]):
            raise IvrError(f"{path}:{entry.line_of('surname')}: caller {number}: surname must begin the name")
        vip = entry.get("vip", False)
        if not isinstance(vip, bool):
            raise IvrError(f"{path}:{entry.line_of('vip')}: caller {number}: vip must be true or false")
        callers[number] = Caller(number, fields["name"], fields["surname"], fields["title"], vip)
    return callers


def lookup(path: Path, number: str | None) -> Caller:
    """The caller for --caller-id: known from the directory, or just a number as given (None: withheld)."""
    if number is None:
        return Caller()
    if not _NUMBER.match(number):
        raise IvrError(f"--caller-id: {number[:40]!r} is not a phone number")
    return load_directory(path).get(number) or Caller(number)
