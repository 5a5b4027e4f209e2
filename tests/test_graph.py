"""`ivr flows graph`: diagrams worth looking at, as Mermaid, dot, SVG and PNG."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ivr.clock import run_process

IVR = str(Path(sys.executable).parent / "ivr")


def graph(*args: str) -> str:
    out = run_process([IVR, "flows", "graph", *args], 120, capture_output=True, text=True, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_mermaid_shows_conditions_prompts_rules_waits_and_marks_hangups() -> None:
    text = graph()
    assert text.startswith("stateDiagram-v2")
    assert 'state "greeting<br/>greeting (ANS-2)<br/>wait 5 s of silence" as greeting' in text
    assert "listening --> noisy_call_back: utterance [noisy + VIP]" in text  # the condition, not [guard]
    assert "listening --> known_reply: transcript [said 您好/你好 + known caller]" in text
    assert 'state "quiet_other_phone<br/>quiet_other_phone (HEAR-2)<br/>timer 5 s" as quiet_other_phone' in text
    assert "class silent_hangup hangup" in text and "class quiet_call_back record" in text
    assert "caller_hung_up" in text and text.count("--> caller_hung_up") == 0  # folded into one note
    words = graph("--words")
    assert "«您好，软件事业部12号，客服代表王芳很高兴为您服务，请…» (ANS-2)" in words


def test_svg_and_png_are_rendered_by_graphviz(tmp_path: Path) -> None:
    graph("-o", str(tmp_path / "hotline.svg"))
    svg = (tmp_path / "hotline.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "noisy + VIP" in svg and "WenQuanYi Micro Hei" in svg
    graph("-o", str(tmp_path / "hotline.png"), "--words")
    assert (tmp_path / "hotline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dot = graph("--format", "dot")
    assert dot.startswith('digraph "hotline"') and "peripheries=2" in dot


def test_binary_formats_need_a_file_and_unknown_suffixes_are_refused(tmp_path: Path) -> None:
    out = run_process([IVR, "flows", "graph", "--format", "png"], 60, capture_output=True, text=True)
    assert (
        out.returncode == 2
        and out.stderr.strip() == "ivr: --format png: give -o FILE.png (binary output is not written to a terminal)"
    )
    out = run_process([IVR, "flows", "graph", "-o", str(tmp_path / "x.jpg")], 60, capture_output=True, text=True)
    assert out.returncode == 2 and "cannot tell the format" in out.stderr and not (tmp_path / "x.jpg").exists()
