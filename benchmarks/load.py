"""Load: SIPp callers through Kamailio to one `ivr serve` worker per core, RTP both ways, records in PostgreSQL.

Prints, from one run: calls held at once, answer time p50/p99 (INVITE to 200 at Kamailio, including the
ring the IVR lets sound first: 1 s by default), outgoing RTP inter-packet gap p50/p99/max, the worst error of
the 5 s timers as the callers' side receives them (from a loopback pcap: arrival time between the end of a
prompt and the start of the next, against the RTP timestamps' exact 5 s), CPU per call (% of one core),
RSS per worker, and whether every call's record was written.

Run (as root, after scripts/setup.sh):
  .venv/bin/python benchmarks/load.py --calls 200 --hold 60                 # line hiss, VAD on, no recogniser
  .venv/bin/python benchmarks/load.py --calls 50 --hold 60 --speech --model default   # callers speak, Vosk on
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from postgres import cluster  # noqa: E402

from ivr.clock import pause, run_process, stopwatch, wait_process  # noqa: E402
from ivr.frames import to_int16  # noqa: E402
from ivr.records import open_store  # noqa: E402
from ivr.signal import g711  # noqa: E402
from ivr.signal.resample import resample  # noqa: E402
from ivr.signal.wav import read_wav  # noqa: E402

IVR = str(Path(sys.executable).parent / "ivr")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def caller_audio(path: Path, speech: bool) -> None:
    """Raw µ-law for SIPp: line hiss at -40 dBFS, or real recorded speech (2 s of every 8) over the hiss."""
    rng = np.random.default_rng(7)
    hiss = rng.standard_normal(8000 * 16) * 10 ** (-40 / 20)
    if speech:
        voice = resample(read_wav("/usr/share/sounds/alsa/Front_Center.wav").astype(float) / 32768, 16000, 8000)
        for start in (8000 * 2, 8000 * 10):
            hiss[start : start + len(voice)] += voice
    path.write_bytes(g711.encode(to_int16(hiss), "ulaw"))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def read_pcap(path: Path) -> list[tuple[float, int, int, bytes]]:
    """(arrival time, source port, destination port, UDP payload) of every packet in a loopback capture."""
    data = path.read_bytes()
    out = []
    offset = 24
    while offset + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[offset : offset + 16])
        packet = data[offset + 16 : offset + 16 + incl]
        offset += 16 + incl
        if packet[12:14] != b"\x08\x00":
            continue
        ip = packet[14:]
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        src, dst = struct.unpack("!HH", udp[:4])
        out.append((sec + usec / 1e6, src, dst, udp[8:]))
    return out


def rtp_figures(packets: list[tuple[float, int, int, bytes]], rtp_ports: range) -> dict[str, float]:
    """Gaps between each stream's packets, and the timer error at the receiving end."""
    streams: dict[int, list[tuple[float, int, bool]]] = defaultdict(list)
    for t, src, _, payload in packets:
        if src in rtp_ports and len(payload) >= 12 and payload[0] >> 6 == 2:
            ts = struct.unpack("!I", payload[4:8])[0]
            audible = any(b not in (0xFF, 0x7F) for b in payload[12:])
            streams[src].append((t, ts, audible))
    gaps, errors = [], []
    for seq in streams.values():
        times = np.array([s[0] for s in seq])
        gaps += list(np.diff(times) * 1000)
        # a 5 s timer: the last audible packet of a prompt, then 5 s of silent packets, then audible again
        audible = [i for i, s in enumerate(seq) if s[2]]
        for a, b in itertools.pairwise(audible):
            meant = ((seq[b][1] - seq[a][1]) % 2**32) / 8000
            if 4.5 < meant < 5.5:
                errors.append(abs((seq[b][0] - seq[a][0]) - meant) * 1000)
    g = np.array(gaps) if gaps else np.zeros(1)
    return {
        "streams": len(streams),
        "gap_p50": float(np.percentile(g, 50)),
        "gap_p99": float(np.percentile(g, 99)),
        "gap_max": float(g.max()),
        "waits": len(errors),
        "wait_err_max": max(errors) if errors else float("nan"),
        "wait_err_p99": float(np.percentile(errors, 99)) if errors else float("nan"),
    }


def answer_times(packets: list[tuple[float, int, int, bytes]], sip_port: int) -> np.ndarray:
    invites, answered = {}, {}
    for t, src, dst, payload in packets:
        head = payload[:600].decode("latin-1")
        lines = head.split("\r\n")
        call_id = next((v.split(":", 1)[1].strip() for v in lines if v.lower().startswith(("call-id:", "i:"))), None)
        if call_id is None:
            continue
        if dst == sip_port and head.startswith("INVITE "):
            invites.setdefault(call_id, t)
        elif src == sip_port and head.startswith("SIP/2.0 200") and "INVITE" in head.split("CSeq:", 1)[-1][:20]:
            answered.setdefault(call_id, t)
    return np.array([answered[c] - invites[c] for c in answered if c in invites])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="concurrent calls (default 200)")
    parser.add_argument("--hold", type=float, default=60.0, help="seconds each caller stays (default 60)")
    parser.add_argument("--rate", type=float, default=10.0, help="new calls per second (default 10)")
    parser.add_argument("--media-nice", type=int, default=-10 if os.geteuid() == 0 else 0,
                        help="the workers' --media-nice (default -10 as root, as a deployment runs it)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="ivr serve workers (default: cores)")
    parser.add_argument("--speech", action="store_true", help="callers speak (real recorded speech) over the hiss")
    parser.add_argument("--model", default="none", help="'none' (default) or 'default' for the Vosk model")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (capture, logs)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ivr-load-"))
    audio = work / ("speech.ulaw" if args.speech else "hiss.ulaw")
    caller_audio(audio, args.speech)
    scenario = (ROOT / "benchmarks" / "load" / "caller.xml").read_text()
    scenario = scenario.replace("[$audio]", str(audio)).replace(
        '<pause variable="hold"/>', f'<pause milliseconds="{int(args.hold * 1000)}"/>'
    )
    (work / "caller.xml").write_text(scenario)
    sip = f"127.0.0.1:{free_port()}"
    model = [] if args.model == "default" else ["--model", args.model]
    with cluster() as records:
        env = {**os.environ, "IVR_CLUSTER_DIR": str(work / "cluster"), "IVR_CLUSTER_SIP": sip,
               "IVR_CLUSTER_FIRST_PORT": str(free_port())}  # fmt: skip
        per_worker = args.calls // args.workers + 20
        nice = ["--media-nice", str(args.media_nice)] if args.media_nice else []
        start = ["bash", str(ROOT / "scripts" / "cluster.sh"), "start", str(args.workers), "--", "--flow",
                 str(ROOT / "benchmarks" / "load" / "flow.yaml"), "--records", records, "--max-calls", str(per_worker),
                 "--media-timeout", "30", *model, *nice]  # fmt: skip
        started = run_process(start, 300, capture_output=True, text=True, env=env)
        if started.returncode != 0:
            print(started.stdout, started.stderr, file=sys.stderr)
            return 1
        pause(2.0)
        pids = [int(p.read_text()) for p in sorted((work / "cluster").glob("worker*.pid"))]
        capture = subprocess.Popen(
            [
                "tcpdump",
                "-i",
                "lo",
                "-w",
                str(work / "lo.pcap"),
                "-U",
                "-s",
                "1500",
                "-B",
                "16384",
                f"udp and (portrange 22000-{22000 + 1000 * (args.workers + 1)} or port {sip.split(':')[1]})",
            ],
            stderr=subprocess.DEVNULL,
        )
        pause(1.0)
        cpu_before = sum(cpu_seconds(p) for p in pids)
        elapsed = stopwatch()
        ramp = args.calls / args.rate
        sipp = run_process(
            [
                "sipp",
                "-sf",
                str(work / "caller.xml"),
                "-i",
                "127.0.0.1",
                "-mi",
                "127.0.0.1",
                "-p",
                str(free_port()),
                "-mp",
                str(free_port()),
                "-l",
                str(args.calls),
                "-m",
                str(args.calls),
                "-r",
                str(args.rate),
                "-nostdin",
                "-timeout",
                f"{int(args.hold + ramp + 120)}s",
                "-timeout_error",
                sip,
            ],
            args.hold + ramp + 180,
            capture_output=True,
            text=True,
            cwd=work,
        )
        wall = elapsed()
        cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
        rss = [rss_mb(p) for p in pids]
        pause(2.0)
        capture.terminate()
        wait_process(capture, 30)
        run_process(["bash", str(ROOT / "scripts" / "cluster.sh"), "stop"], 120, env=env)
        store = open_store(records)
        rows = store.read("SELECT status, ended_by FROM calls")
    packets = read_pcap(work / "lo.pcap")
    rtp_ports = range(23000, 22000 + 1000 * (args.workers + 1))
    figures = rtp_figures(packets, rtp_ports)
    answers = answer_times(packets, int(sip.split(":")[1]))
    complete = sum(r["status"] == "complete" for r in rows)
    call_seconds = args.calls * args.hold
    print(f"load: {args.calls} callers x {args.hold:g} s through Kamailio to {args.workers} worker(s), "
          f"{'speech over hiss' if args.speech else 'line hiss -40 dBFS'}, recogniser {args.model}, "
          f"media loop nice {args.media_nice}")  # fmt: skip
    outcome = "all calls completed" if sipp.returncode == 0 else "some calls failed"
    print(f"  SIPp: exit {sipp.returncode} ({outcome}), wall {wall:.0f} s")
    print(f"  calls held at once: {figures['streams']} RTP streams seen; answered {len(answers)}")
    if len(answers):
        print(f"  answer time (INVITE -> 200, one 1 s ring by design): p50 {np.percentile(answers, 50) * 1000:.0f} ms, "
              f"p99 {np.percentile(answers, 99) * 1000:.0f} ms")  # fmt: skip
    print(f"  outgoing RTP gap: p50 {figures['gap_p50']:.1f} ms, p99 {figures['gap_p99']:.1f} ms, "
          f"max {figures['gap_max']:.1f} ms")  # fmt: skip
    print(f"  5 s timers at the far end: {figures['waits']} measured, error p99 {figures['wait_err_p99']:.1f} ms, "
          f"worst {figures['wait_err_max']:.1f} ms")  # fmt: skip
    print(f"  CPU: {cpu:.0f} s over {wall:.0f} s = {cpu / call_seconds * 100:.2f} % of a core per call")
    print(f"  RSS per worker: {', '.join(f'{r:.0f} MB' for r in rss)}")
    print(f"  records: {complete} complete of {len(rows)} rows for {args.calls} calls")
    if args.keep:
        print(f"  kept: {work} (lo.pcap, cluster logs)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
