"""Hostile cases in one place: what a call centre's IVR meets when things go wrong, each through real parts.

A reviewer reads this module to see every fault tried and what the IVR does about it.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from conftest import caller, silence, speech

from ivr.adapters.language import MandarinLanguage
from ivr.adapters.prompts import PromptStore
from ivr.adapters.vad import SileroVad
from ivr.adapters.wavline import CollectedOutput, WavCaller
from ivr.engine.session import CallSetup, run_line
from ivr.flowlang.model import Flow
from ivr.testing import MemoryRecords


def rss_bytes() -> int:
    """The process's resident memory now (not its peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def test_a_thousand_calls_in_one_process_do_not_grow_its_memory(hotline: Flow, prompts: PromptStore) -> None:
    """Soak: 1,000 calls through one CallSetup (real prompts, real Silero): <= 5 % memory growth."""

    class Forgetful(MemoryRecords):
        def close_call(self, call_id: str, end: object) -> None:  # a store keeps rows on disk, not in memory
            self.calls.pop(call_id, None)

    setup = CallSetup(hotline, prompts, SileroVad, MandarinLanguage(), None, Forgetful())
    audio = caller(silence(0.5), speech(), silence(0.6))  # speaks over the greeting (barge-in), hangs up

    def calls(n: int) -> None:
        for _ in range(n):
            call = setup.new_call()
            result = run_line(call, WavCaller(audio), CollectedOutput())
            assert result.ended_by == "caller"

    calls(100)
    gc.collect()
    warm = rss_bytes()
    calls(900)
    gc.collect()
    grown = rss_bytes() / warm - 1
    assert grown <= 0.05, f"memory grew {grown:.1%} over 900 calls"
