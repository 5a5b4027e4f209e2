"""Scale-out as deployed: Kamailio in front of two `ivr serve` workers sharing a real PostgreSQL.

A worker killed mid-run: its call in progress ends (its row is marked unfinished), new calls go to the
other worker, and no finished record is lost.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from postgres import cluster
from sip_peers import Baresip, caller_wav, free_udp_port, sipp

from ivr.adapters.prompts import PromptStore
from ivr.clock import pause, run_process
from ivr.paths import ROOT
from ivr.records import open_store

pytestmark = pytest.mark.live
SCENARIOS = Path(__file__).parent / "sip"


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with cluster() as url:
        yield url


@pytest.fixture
def deployed(tmp_path: Path, postgres_url: str, prompts: PromptStore) -> Iterator[dict[str, str]]:
    sip = f"127.0.0.1:{free_udp_port()}"
    env = {
        **os.environ,
        "IVR_CLUSTER_DIR": str(tmp_path / "cluster"),
        "IVR_CLUSTER_SIP": sip,
        "IVR_CLUSTER_FIRST_PORT": str(free_udp_port()),
        "IVR_AUDIO_DIR": str(prompts.audio_dir),
    }
    start = [
        "bash", str(ROOT / "scripts" / "cluster.sh"), "start", "2", "--",
        "--model", "none", "--records", postgres_url, "--media-timeout", "3",
    ]  # fmt: skip
    out = run_process(start, 120, capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "2 worker(s)" in out.stdout, out.stdout + out.stderr
    pause(1.0)  # Kamailio's first OPTIONS probes
    yield {**env, "sip": sip, "records": postgres_url}
    run_process(["bash", str(ROOT / "scripts" / "cluster.sh"), "stop"], 60, env=env)


def worker_pids(env: dict[str, str]) -> list[int]:
    return [int(p.read_text()) for p in sorted(Path(env["IVR_CLUSTER_DIR"]).glob("worker*.pid"))]


def answered_by(env: dict[str, str]) -> list[int]:
    """How many calls each worker has answered so far."""
    logs = sorted(Path(env["IVR_CLUSTER_DIR"]).glob("worker*.log"))
    return [log.read_text().count('"event": "answered"') for log in logs]


def test_kamailio_spreads_calls_and_survives_a_killed_worker(deployed: dict[str, str], tmp_path: Path) -> None:
    store = open_store(deployed["records"])
    store.write_many([(f"DELETE FROM {t}", []) for t in ("tickets", "callbacks", "calls")])
    for _ in range(4):
        out = sipp(SCENARIOS / "dtmf.xml", deployed["sip"], seconds=30)
        assert out.returncode == 0, out.stderr[-1500:]
    pause(0.5)
    assert answered_by(deployed) == [2, 2]  # round-robin over both workers

    phone = Baresip(tmp_path)
    ctrl = phone.dial(f"sip:ivr@{deployed['sip']}", caller_wav(tmp_path / "long.wav", np.zeros(16000 * 60, np.int16)))
    assert ctrl.wait_for("CALL_ESTABLISHED", seconds=30)["type"] == "CALL_ESTABLISHED"
    pause(1.0)
    busy = [i for i, (before, now) in enumerate(zip([2, 2], answered_by(deployed), strict=True)) if now > before]
    assert len(busy) == 1
    victim = worker_pids(deployed)[busy[0]]
    os.kill(victim, signal.SIGKILL)  # the worker dies with a call in progress

    for _ in range(3):  # new calls: the first may wait for Kamailio's failover (fr_timer 2 s), none is lost
        out = sipp(SCENARIOS / "dtmf.xml", deployed["sip"], seconds=30)
        assert out.returncode == 0, out.stderr[-1500:]
    survivor = 1 - busy[0]
    assert answered_by(deployed)[survivor] == 2 + 3
    phone.quit(ctrl)

    rows = store.read("SELECT status, ended_by, worker FROM calls ORDER BY started_at")
    assert len(rows) == 8
    complete = [r for r in rows if r["status"] == "complete"]
    assert len(complete) == 7 and all(r["ended_by"] == "caller" for r in complete)  # every finished record is there
    assert [r["status"] for r in rows if r["worker"].endswith(f":{victim}")][-1] == "in_progress"
    ivr = str(Path(sys.executable).parent / "ivr")
    synced = run_process([ivr, "records", "sync", "--records", deployed["records"]], 60, capture_output=True, text=True)
    assert synced.returncode == 0 and "1 call(s) marked unfinished" in synced.stderr
    assert [r["status"] for r in store.read("SELECT status FROM calls WHERE worker LIKE ?", [f"%:{victim}"])].count(
        "unfinished"
    ) == 1
