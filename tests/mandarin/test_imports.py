"""The CLI imports lazily: importing ivr.mandarin must not pull in the slow Mandarin libraries."""

from __future__ import annotations

import sys

from ivr.clock import run_process

MODULES = ["text", "pinyin", "numbers", "readback", "confirm", "surnames", "keywords", "slots"]
HEAVY = ["pypinyin", "cn2an", "rapidfuzz", "yaml", "numpy"]


def test_importing_the_package_loads_no_heavy_library() -> None:
    imports = "; ".join(f"import ivr.mandarin.{m}" for m in MODULES)
    check = f"{imports}; import sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = run_process([sys.executable, "-c", check], 60, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_libraries_load_when_first_needed() -> None:
    check = (
        "import sys; from ivr.mandarin.slots import parse_slot; "
        "parse_slot('phone', '幺三八 零零幺三 八千'); a = 'cn2an' in sys.modules; "
        "parse_slot('surname', '我 姓 账'); b = 'pypinyin' in sys.modules; print(a, b)"
    )
    done = run_process([sys.executable, "-c", check], 60, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True"]
