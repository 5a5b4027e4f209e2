"""The caller directory: an operator-edited YAML file of caller numbers and how to address them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ivr.errors import IvrError
from ivr.flowlang.yaml_lines import LineDict, load_yaml

_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_KEYS = {"name", "surname", "title", "vip"}


@dataclass(frozen=True)
class Caller:
    """A known caller. `name` is for records only: prompts use surname and title (GRT-2, GRT-3)."""

    number: str
    name: str
    surname: str
    title: str
    vip: bool

    def call_vars(self) -> dict[str, str]:
        return {"surname": self.surname, "title": self.title}


def load_directory(path: Path) -> dict[str, Caller]:
    """Read the directory; every problem is a `file:line:` error."""
    if not path.is_file():
        raise IvrError(f"{path}: no such caller directory (--directory or $IVR_CALLERS)")
    doc = load_yaml(path)
    callers: dict[str, Caller] = {}
    for number, entry in doc.items():
        where = f"{path}:{doc.line_of(number)}"
        if not _NUMBER.match(number):
            raise IvrError(f"{where}: '{number}' is not a phone number (digits, optional leading +)")
        if not isinstance(entry, LineDict):
            raise IvrError(f"{where}: caller {number} must have name, surname, title and vip")
        for key in sorted(set(entry) - _KEYS):
            raise IvrError(f"{path}:{entry.line_of(key)}: caller {number}: unknown key '{key}'")
        fields = {}
        for key in ("name", "surname", "title"):
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise IvrError(f"{path}:{entry.line_of(key)}: caller {number}: '{key}' must be set")
            fields[key] = value.strip()
        if not fields["name"].startswith(fields["surname"]):
            raise IvrError(f"{path}:{entry.line_of('surname')}: caller {number}: surname must begin the name")
        vip = entry.get("vip", False)
        if not isinstance(vip, bool):
            raise IvrError(f"{path}:{entry.line_of('vip')}: caller {number}: vip must be true or false")
        callers[number] = Caller(number, fields["name"], fields["surname"], fields["title"], vip)
    return callers


def lookup(path: Path, number: str | None) -> Caller | None:
    """The caller for --caller-id, or None for an unknown or withheld number."""
    if number is None:
        return None
    if not _NUMBER.match(number):
        raise IvrError(f"--caller-id: '{number}' is not a phone number")
    return load_directory(path).get(number)
