"""What ivr.mandarin costs: import time (python -X importtime) and the time per utterance, measured in one run.

The package must not add seconds to every CLI command: its modules import only the standard library,
and pypinyin, cn2an and rapidfuzz are imported inside the functions that need them. This prints each
library's import cost next to the package's own, as medians of fresh interpreters, and the cost of one
call of each parser once warm. Run: .venv/bin/python benchmarks/mandarin_cost.py
"""

from __future__ import annotations

import statistics
import sys

from ivr.clock import run_process, stopwatch

RUNS = 7
PACKAGE = ", ".join(
    f"ivr.mandarin.{m}" for m in ("text", "pinyin", "numbers", "readback", "confirm", "surnames", "keywords", "slots")
)


STDLIB = "dataclasses, functools, pathlib, re, typing, unicodedata, collections.abc"
"""What the package imports from the standard library, which the CLI has loaded anyway."""


def import_ms(modules: str, preload: str = "") -> float:
    """Median cumulative import time of `modules` after `preload`, from -X importtime, in ms."""
    roots = {m.strip().split(".")[0] for m in modules.split(",")}
    code = (f"import {preload}; " if preload else "") + f"import {modules}"
    times = []
    for _ in range(RUNS):
        done = run_process([sys.executable, "-X", "importtime", "-c", code], 120, capture_output=True, text=True)
        total = 0
        for line in done.stderr.splitlines():
            parts = line.split("|")
            top_level = len(parts) == 3 and parts[2].startswith(" ") and not parts[2].startswith("  ")
            if top_level and parts[2].strip().split(".")[0] in roots:
                total += int(parts[1])
        times.append(total / 1000)
    return statistics.median(times)


def per_call_ms(fn: object, arg: str, n: int = 200) -> float:
    call = fn  # type: ignore[assignment]
    call(arg)  # type: ignore[operator]
    watch = stopwatch()
    for _ in range(n):
        call(arg)  # type: ignore[operator]
    return watch() * 1000 / n


def main() -> None:
    package = import_ms(PACKAGE)
    own = import_ms(PACKAGE, STDLIB)
    print(f"import, median of {RUNS} fresh interpreters (ms, cumulative, -X importtime):")
    print(f"  ivr.mandarin (all 8 modules)   {package:7.1f}   1.0x")
    print(f"  the same, stdlib already in    {own:7.1f}   {own / package:.1f}x the package")
    for lib in ("pypinyin", "cn2an", "rapidfuzz.fuzz", "yaml"):
        ms = import_ms(lib, STDLIB)
        print(f"  {lib:<30} {ms:7.1f}   {ms / package:.1f}x the package (paid on first use only)")

    from ivr.mandarin.keywords import IntentMatcher, default_intents
    from ivr.mandarin.slots import parse_slot
    from ivr.mandarin.surnames import extract_surname

    matcher = IntentMatcher(default_intents())
    print("per utterance, warm (ms):")
    cases = [
        ("phone, digit by digit", lambda t: parse_slot("phone", t), "我 的 电话 是 幺 三 八 零 零 幺 三 八 零 零 零"),
        ("phone, with an amount", lambda t: parse_slot("phone", t), "幺三八 零零幺三 八千"),
        ("address", lambda t: parse_slot("address", t), "我 住 在 建设 路 八百 号 三 号楼 二 单元 五 零 一 室"),
        ("surname (idioms by sound)", extract_surname, "我 姓 张 立 早 章"),
        ("intents (29+ keywords)", matcher.find, "我 想 咨询 一下 收费 另外 我 家 宽带 断网 了 电脑 也 死机 了"),
    ]
    for label, fn, text in cases:
        print(f"  {label:<30} {per_call_ms(fn, text):7.3f}")


if __name__ == "__main__":
    main()
