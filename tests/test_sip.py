"""`ivr serve` as a SIP endpoint: RFC 3261 behaviour against real peers (baresip, SIPp), all on 127.0.0.1."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import speech, stored
from heard import waits
from sip_peers import IVR, Baresip, Serve, caller_wav, sipp

from ivr.adapters.prompts import PromptStore
from ivr.app.serve import OffLoopModel
from ivr.clock import pause, run_process, socket_deadline, wait_process
from ivr.engine.ports import Transcript
from ivr.errors import IvrError
from ivr.flowlang.model import Flow
from ivr.sip import message as sip
from ivr.sip import rtp
from ivr.sip.sdp import SdpError, negotiate
from ivr.sip.settings import parse_address, parse_ports

pytestmark = pytest.mark.live
SCENARIOS = Path(__file__).parent / "sip"
SILENT_SCRIPT = ["greeting", "silent_again", "silent_goodbye"]
OFFER = (
    b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 30000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
)


@pytest.fixture
def env(tmp_path: Path, prompts: PromptStore) -> dict[str, str]:
    return {**os.environ, "IVR_AUDIO_DIR": str(prompts.audio_dir), "IVR_RECORDS": str(tmp_path / "calls.sqlite3")}


@pytest.fixture
def serve(env: dict[str, str]) -> Iterator[Serve]:
    with Serve(env, "--model", "none") as server:
        yield server


# -- the parts, against RFC behaviour ------------------------------------------------------------


def invite(branch: str = "z9hG4bK-1", extra: str = "", body: bytes = OFFER) -> bytes:
    head = (
        f"INVITE sip:ivr@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch={branch};rport\r\n"
        "f: <sip:13800138000@127.0.0.1>;tag=a1\r\nTo: <sip:ivr@127.0.0.1>\r\ni: call-1\r\nCSeq: 7 INVITE\r\n"
        f"m: <sip:13800138000@127.0.0.1:5999>\r\nRecord-Route: <sip:10.0.0.9;lr>\r\n{extra}"
        f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def test_requests_parse_with_compact_headers_and_answers_copy_what_rfc_3261_says() -> None:
    req = sip.parse(invite())
    assert isinstance(req, sip.Request)
    assert (req.method, req.call_id, req.cseq, req.branch, req.from_tag, req.to_tag) == (
        "INVITE",
        "call-1",
        7,
        "z9hG4bK-1",
        "a1",
        None,
    )
    assert req.caller_number == "13800138000" and req.record_route == ["<sip:10.0.0.9;lr>"]
    answer = sip.response(req, 180, "t9", source=("127.0.0.1", 6000)).decode()
    assert answer.startswith("SIP/2.0 180 Ringing\r\n")
    assert "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-1;rport=6000;received=127.0.0.1\r\n" in answer
    assert "To: <sip:ivr@127.0.0.1>;tag=t9\r\n" in answer and "CSeq: 7 INVITE\r\n" in answer


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (invite().replace(b"CSeq: 7 INVITE", b"CSeq: 7 BYE"), 400),
        (invite().replace(b"i: call-1\r\n", b""), None),  # nothing to address an answer with
        (invite().replace(b"CSeq: 7 INVITE", b"CSeq: seven INVITE"), 400),
        (invite().replace(f"Content-Length: {len(OFFER)}".encode(), b"Content-Length: 900"), 400),
        (b"\x00\xff" * 50, None),
        (b"SIP/2.0 200 OK\r\n\r\n", None),
        (invite() * 200, None),
    ],
)
def test_malformed_messages_are_answered_400_or_dropped(data: bytes, status: int | None) -> None:
    with pytest.raises(sip.SipError) as e:
        sip.parse(data)
    salvaged = sip.salvage(data) if e.value.status else None
    assert (e.value.status if salvaged is not None else None) == status


def test_sdp_answer_picks_an_offered_g711_codec_and_telephone_events() -> None:
    offer = negotiate(OFFER)
    assert (offer.address, offer.port, offer.payload, offer.codec, offer.dtmf) == ("127.0.0.1", 30000, 8, "PCMA", 101)
    with pytest.raises(SdpError, match="no PCMU or PCMA"):
        negotiate(
            OFFER.replace(b"RTP/AVP 8 0 101", b"RTP/AVP 9").replace(
                b"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n", b""
            )
        )
    with pytest.raises(SdpError):
        negotiate(b"\xff\xfe junk")


def test_the_jitter_buffer_reorders_fills_gaps_and_drops_late_packets() -> None:
    jb = rtp.JitterBuffer(depth_ticks=2)
    frames = {ts: np.full(160, ts // 160 + 1, np.int16) for ts in range(0, 160 * 6, 160)}
    for ts in (0, 320, 160, 640):  # out of order, one missing (480)
        jb.put(1_000_000 + ts, frames[ts])
    out = [jb.pull()[0] for _ in range(7)]
    assert out == [0, 0, 1, 2, 3, 0, 5]  # two ticks of depth, then in order, silence where 480 is missing
    jb.put(1_000_000, frames[0])  # its time has passed
    assert jb.late == 1


def test_the_jitter_buffer_wraps_around_its_window() -> None:
    jb = rtp.JitterBuffer(depth_ticks=0)
    for k in range(rtp.WINDOW // 160 * 2 + 3):  # twice round the ring, across its end
        jb.put(k * 160, np.full(160, k % 30000, np.int16))
        assert (jb.pull() == k % 30000).all()
    assert jb.lost == 0


def test_silent_ivr_frames_skip_the_filter_but_send_the_same_packets(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    frames = [
        (rng.standard_normal(320) * 3000).astype(np.int16) if (i // 7) % 2 == 0 else np.zeros(320, np.int16)
        for i in range(60)
    ]
    fast, plain = rtp.Media(0, "PCMU", None), rtp.Media(0, "PCMU", None)
    plain.ssrc, plain.seq, plain.timestamp = fast.ssrc, fast.seq, fast.timestamp
    sent = [fast.packet_out(f) for f in frames]
    monkeypatch.setattr(rtp, "_QUIET_FRAMES", len(frames))  # never skip
    assert [plain.packet_out(f) for f in frames] == sent


def test_rtp_packets_round_trip_and_dtmf_events_are_reported_once() -> None:
    packet = rtp.parse(rtp.build(0, 65535, 2**32 - 160, 1234, b"\xff" * 160, marker=True))
    assert packet is not None and (packet.seq, packet.timestamp, packet.ssrc, packet.marker) == (
        65535,
        2**32 - 160,
        1234,
        True,
    )
    assert rtp.parse(b"\x80\xc8" + b"\x00" * 30) is None  # RTCP on the RTP port
    events = rtp.DtmfEvents()
    ends = [rtp.Packet(101, False, s, 8000, 1, bytes([1, 0x80, 0, 160])) for s in (1, 2, 3)]
    going = rtp.Packet(101, False, 0, 8000, 1, bytes([1, 0x00, 0, 80]))
    assert [events.take(p) for p in (going, *ends)] == [None, "1", None, None]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "127.0.0.1:5080\nsip_listen 0.0.0.0:5060",
            "--sip: '127.0.0.1:5080\\nsip_listen 0.0.0.0:5060' is not HOST:PORT",
        ),
        ("localhost:5080", "--sip: 'localhost' is not an IP address"),
        ("127.0.0.1:99999", "--sip: port '99999' is not 1-65535"),
    ],
)
def test_addresses_are_validated(text: str, message: str) -> None:
    with pytest.raises(IvrError, match=re.escape(message)):
        parse_address(text)
    with pytest.raises(IvrError, match="must be even"):
        parse_ports("20001-20100")


# -- SIPp ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["options", "unknown_dialog", "bad_length", "cancel"])
def test_sipp_scenarios_get_the_answers_rfc_3261_gives(serve: Serve, scenario: str) -> None:
    out = sipp(SCENARIOS / f"{scenario}.xml", f"127.0.0.1:{serve.port}", seconds=30)
    assert out.returncode == 0, out.stderr[-2000:]
    events, log = serve.stop()
    assert [e for e in events if e["event"] == "answered"] == []
    if scenario == "cancel":
        assert "missed call from 13900139000 after 1 ring(s)" in log


def test_a_retransmitted_invite_never_makes_a_second_call(serve: Serve, tmp_path: Path) -> None:
    out = sipp(SCENARIOS / "retransmitted_invite.xml", f"127.0.0.1:{serve.port}", seconds=30)
    assert out.returncode == 0, out.stderr[-2000:]
    events, _ = serve.stop()
    assert [e["call"] for e in events if e["event"] == "answered"] == ["00001"]
    assert [(e["by"], e.get("rule")) for e in events if e["event"] == "hangup"] == [("caller", "CLOSE-1")]
    (call,) = stored(tmp_path / "calls.sqlite3", "calls")
    assert (call["channel"], call["ended_by"], call["caller_number"]) == ("sip", "caller", "13900139000")


def test_a_bye_before_the_ack_ends_the_call(serve: Serve) -> None:
    """The caller hangs up before its ACK: the BYE is answered 200, the 200's resending stops, no call starts."""
    out = sipp(SCENARIOS / "bye_before_ack.xml", f"127.0.0.1:{serve.port}", seconds=30)
    assert out.returncode == 0, out.stderr[-2000:]
    events, log = serve.stop()
    assert [e for e in events if e["event"] == "answered"] == []  # the IVR speaks only once the call is up
    assert "no ACK" not in log


class CountingWords:
    """A recogniser double that says how many samples it heard in each utterance, and on which thread it was built."""

    def __init__(self) -> None:
        self.built_on = threading.current_thread().name
        self.heard = 0
        self.said: Transcript | None = None

    def accept(self, frame: np.ndarray) -> None:
        self.heard += len(frame)

    def end_utterance(self) -> None:
        self.said, self.heard = Transcript(f"{self.heard} samples", 1.0), 0

    def poll(self) -> Transcript | None:
        said, self.said = self.said, None
        return said

    def hint(self, phrases: object) -> None: ...


def test_a_calls_recogniser_is_built_and_fed_on_the_recogniser_thread_in_order() -> None:
    """Building a Vosk recogniser takes ~70 ms: on the media loop it stalled every other call at each call's start."""
    built: list[CountingWords] = []

    class Factory:
        def new_call(self) -> CountingWords:
            built.append(CountingWords())
            return built[-1]

    model = OffLoopModel(Factory())
    recogniser = model.new_call()
    for _ in range(25):
        recogniser.accept(np.zeros(320, np.int16))
    recogniser.end_utterance()
    model.worker.submit(lambda: None).result()  # everything queued before it has run
    assert [b.built_on.startswith("recogniser") for b in built] == [True]
    assert recogniser.poll() == Transcript("8000 samples", 1.0) and recogniser.poll() is None


@pytest.mark.rules("CLOSE-1")
def test_rfc_4733_dtmf_reaches_the_call_timeline(serve: Serve) -> None:
    out = sipp(SCENARIOS / "dtmf.xml", f"127.0.0.1:{serve.port}", seconds=30)
    assert out.returncode == 0, out.stderr[-2000:]
    events, _ = serve.stop()
    assert [e["digit"] for e in events if e["event"] == "dtmf"] == ["1"]


def test_fuzzed_datagrams_never_stop_the_server(serve: Serve) -> None:
    """Random bytes, truncated and mangled INVITEs: each answered 400 or dropped; OPTIONS still answered after."""
    rng = random.Random(20261125)
    good = invite(branch="z9hG4bK-fuzz")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        for i in range(300):
            kind = i % 3
            if kind == 0:
                data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
            elif kind == 1:
                data = good[: rng.randrange(1, len(good))]
            else:
                data = bytearray(good)
                for _ in range(5):
                    data[rng.randrange(len(data))] = rng.randrange(256)
                data = bytes(data)
            s.sendto(data, ("127.0.0.1", serve.port))
        options = (
            f"OPTIONS sip:ivr@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{s.getsockname()[1]};"
            "branch=z9hG4bK-opt\r\n"
            "From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:ivr@127.0.0.1>\r\nCall-ID: probe\r\nCSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()
        socket_deadline(s, 10)
        s.sendto(options, ("127.0.0.1", serve.port))
        while True:
            answer = s.recv(65536)
            if b"CSeq: 1 OPTIONS" in answer:
                break
    assert answer.startswith(b"SIP/2.0 200 OK") and serve.proc.poll() is None


def answer_to(s: socket.socket, cseq: bytes) -> bytes:
    while True:
        data = s.recv(65536)
        if cseq in data and not data.startswith((b"SIP/2.0 100", b"SIP/2.0 180")):
            return data


def answered_call(s: socket.socket, serve: Serve) -> int:
    """Place a call from socket `s` (standing in for a proxy that record-routes) and ACK its 200; our port."""
    me = s.getsockname()[1]
    proxied = invite().replace(b"127.0.0.1:5999", f"127.0.0.1:{me}".encode())
    proxied = proxied.replace(b"<sip:10.0.0.9;lr>", f"<sip:127.0.0.1:{me};lr>".encode())
    s.sendto(proxied, ("127.0.0.1", serve.port))
    ok = answer_to(s, b"CSeq: 7 INVITE")
    assert ok.startswith(b"SIP/2.0 200 OK")
    to = next(line for line in ok.decode().split("\r\n") if line.startswith("To:"))
    ack = invite().replace(b"INVITE sip:", b"ACK sip:", 1).replace(b"CSeq: 7 INVITE", b"CSeq: 7 ACK")
    ack = ack.replace(b"To: <sip:ivr@127.0.0.1>", to.encode()).replace(b"127.0.0.1:5999", f"127.0.0.1:{me}".encode())
    s.sendto(ack.replace(b"z9hG4bK-1", b"z9hG4bK-ack"), ("127.0.0.1", serve.port))
    return me


def test_a_draining_server_refuses_new_work_and_ends_its_calls_on_a_second_signal(serve: Serve) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        socket_deadline(s, 10)
        me = answered_call(s, serve)
        serve.proc.send_signal(signal.SIGTERM)  # draining: the call goes on, nothing new is taken
        pause(0.3)
        options = (
            f"OPTIONS sip:ivr@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK-o2\r\n"
            "From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:ivr@127.0.0.1>\r\nCall-ID: probe2\r\nCSeq: 9 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()
        s.sendto(options, ("127.0.0.1", serve.port))
        assert answer_to(s, b"CSeq: 9 OPTIONS").startswith(b"SIP/2.0 503")
        new_call = (
            invite(branch="z9hG4bK-late")
            .replace(b"i: call-1", b"i: call-2")
            .replace(b"127.0.0.1:5999", f"127.0.0.1:{me}".encode())
        )
        s.sendto(new_call, ("127.0.0.1", serve.port))
        assert answer_to(s, b"CSeq: 7 INVITE").startswith(b"SIP/2.0 503")
        serve.proc.send_signal(signal.SIGTERM)  # the second signal: the call in progress is ended, with a BYE
        bye = s.recv(65536)
        assert bye.startswith(b"BYE sip:13800138000@127.0.0.1") and f"Route: <sip:127.0.0.1:{me};lr>".encode() in bye
    events, log = serve.stop()
    assert [(e["event"], e.get("by")) for e in events if e["event"] in ("answered", "hangup")] == [
        ("answered", None),
        ("hangup", "shutdown"),
    ]
    assert "draining" in log and "ending the calls in progress" in log


def test_the_media_loop_runs_at_the_nice_value_asked_for(env: dict[str, str]) -> None:
    """--media-nice (like asterisk -p): the loop thread's own nice value; a bad one is one line, exit 2."""
    with Serve(env, "--model", "none", "--media-nice", "5") as server:
        fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        assert int(fields[16]) == 5  # stat field 19: nice, of the main thread, which runs the loop
    bad = run_process([IVR, "serve", "--media-nice", "40"], 60, capture_output=True, text=True, env=env)
    assert (bad.returncode, bad.stderr) == (2, "ivr: --media-nice: -20 to 19\n")


def test_a_server_whose_output_pipes_closed_still_serves_and_stops(serve: Serve, env: dict[str, str]) -> None:
    """`ivr serve --json | head -1`: the reader gone, the server once ignored SIGTERM (its drain message failed)."""
    assert serve.proc.stdout is not None and serve.proc.stderr is not None
    serve.proc.stdout.close()
    serve.proc.stderr.close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        socket_deadline(s, 10)
        answered_call(s, serve)  # its timeline goes to the closed stdout
        serve.proc.send_signal(signal.SIGTERM)
        pause(0.3)
        serve.proc.send_signal(signal.SIGTERM)
        assert s.recv(65536).startswith(b"BYE ")
    assert wait_process(serve.proc, 10) == 0
    calls = stored(Path(env["IVR_RECORDS"]), "calls")
    assert [(c["ended_by"], c["channel"]) for c in calls] == [("shutdown", "sip")]


# -- baresip calling the IVR ---------------------------------------------------------------------------


@pytest.mark.rules("SIL-1", "ANS-2", "CLOSE-1")
def test_a_silent_sip_caller_hears_the_whole_script_timed_at_the_phone(
    serve: Serve, tmp_path: Path, hotline: Flow, prompts: PromptStore
) -> None:
    phone = Baresip(tmp_path)
    ctrl = phone.dial(serve.uri, caller_wav(tmp_path / "silent.wav", np.zeros(16000 * 60, np.int16)))
    assert ctrl.wait_for("CALL_ESTABLISHED", seconds=30)["type"] == "CALL_ESTABLISHED"
    closed = ctrl.wait_for("CALL_CLOSED", seconds=90)
    phone.quit(ctrl)
    assert closed["type"] == "CALL_CLOSED"
    heard, rate = phone.heard()
    matches, gaps = waits(heard, [prompts.get(hotline.text(p)).samples for p in SILENT_SCRIPT], rate)
    assert min(matches) > 0.9, matches
    assert gaps == [pytest.approx(5.0, abs=0.04)] * 2  # SIL-1's waits as the caller hears them
    assert "BYE sip:13900139000" in phone.sip_log()  # the IVR hung up, with a BYE
    events, _ = serve.stop()
    assert [(e["by"], e["rule"]) for e in events if e["event"] == "hangup"] == [("ivr", "SIL-1")]
    (call,) = stored(tmp_path / "calls.sqlite3", "calls")
    assert (call["channel"], call["ended_by"], call["end_rule"], call["caller_number"]) == (
        "sip",
        "ivr",
        "SIL-1",
        "13900139000",
    )


@pytest.mark.rules("ANS-1")
def test_a_call_answered_after_more_than_5_rings_opens_with_the_apology(
    env: dict[str, str], tmp_path: Path, hotline: Flow, prompts: PromptStore
) -> None:
    with Serve(env, "--model", "none", "--answer-after", "6", "--ring-period", "0.5") as server:
        phone = Baresip(tmp_path)
        ctrl = phone.dial(server.uri, caller_wav(tmp_path / "late.wav", np.zeros(16000 * 14, np.int16)))
        assert ctrl.wait_for("CALL_ESTABLISHED", seconds=30)["type"] == "CALL_ESTABLISHED"
        ctrl.wait_for("CALL_CLOSED", seconds=60)
        phone.quit(ctrl)
        events, _ = server.stop()
    answered = next(e for e in events if e["event"] == "answered")
    assert (answered["rings"], answered["late"]) == (6, True)
    started = [(e["prompt"], e["rule"]) for e in events if e["event"] == "prompt_started"]
    assert started[:2] == [("late_apology", "ANS-1"), ("greeting", "ANS-2")]
    heard, rate = phone.heard()
    matches, gaps = waits(heard, [prompts.get(hotline.text(p)).samples for p in ("late_apology", "greeting")], rate)
    assert min(matches) > 0.9 and gaps == [pytest.approx(0.0, abs=0.04)]


@pytest.mark.rules("CLOSE-1", "SIL-2", "LSN-1")
def test_a_caller_who_speaks_then_hangs_up_ends_the_call_as_the_caller(env: dict[str, str], tmp_path: Path) -> None:
    with Serve(env) as server:  # with the real Vosk model
        phone = Baresip(tmp_path)
        ctrl = phone.dial(
            server.uri,
            caller_wav(
                tmp_path / "speaks.wav", np.zeros(16000 * 11, np.int16), speech(), np.zeros(16000 * 8, np.int16)
            ),
        )
        ctrl.wait_for("CALL_CLOSED", seconds=60)
        phone.quit(ctrl)
        events, _ = server.stop()
    assert next(e["rule"] for e in events if e["event"] == "prompt_started") == "ANS-2"
    assert "SIL-1" not in [e["rule"] for e in events if e["event"] == "prompt_started"]
    assert [e["event"] for e in events].count("speech_started") >= 1
    assert [(e["by"], e["rule"]) for e in events if e["event"] == "hangup"] == [("caller", "CLOSE-1")]
    assert "BYE sip:ivr" in phone.sip_log()  # it was the caller's BYE


def test_a_caller_who_hangs_up_mid_prompt(serve: Serve, tmp_path: Path) -> None:
    phone = Baresip(tmp_path)
    ctrl = phone.dial(serve.uri, caller_wav(tmp_path / "short.wav", np.zeros(16000 * 4, np.int16)))
    ctrl.wait_for("CALL_CLOSED", seconds=30)
    phone.quit(ctrl)
    events, _ = serve.stop()
    finished = [e for e in events if e["event"] == "prompt_finished"]
    assert len(finished) == 1 and finished[0]["interrupted"] is True and 3.0 < finished[0]["played"] < 5.0
    assert [e["by"] for e in events if e["event"] == "hangup"] == ["caller"]


def test_a_caller_whose_phone_dies_is_hung_up_on_as_dead_media(env: dict[str, str], tmp_path: Path) -> None:
    with Serve(env, "--model", "none", "--media-timeout", "2") as server:
        phone = Baresip(tmp_path)
        ctrl = phone.dial(server.uri, caller_wav(tmp_path / "long.wav", np.zeros(16000 * 60, np.int16)))
        assert ctrl.wait_for("CALL_ESTABLISHED", seconds=30)["type"] == "CALL_ESTABLISHED"
        pause(3.0)
        assert phone.proc is not None
        phone.proc.kill()  # SIGKILL: no BYE, the RTP just stops
        wait_process(phone.proc, 10)
        pause(3.0)
        events, log = server.stop()
    assert [e["by"] for e in events if e["event"] == "hangup"] == ["dead_media"]
    assert "no RTP for 2 s" in log
    (call,) = stored(tmp_path / "calls.sqlite3", "calls")
    assert (call["status"], call["ended_by"]) == ("complete", "dead_media")


def test_a_second_caller_rings_until_the_line_is_free(env: dict[str, str], tmp_path: Path) -> None:
    with Serve(env, "--model", "none", "--max-calls", "1", "--ring-period", "1") as server:
        first, second = Baresip(tmp_path, "13800138000"), Baresip(tmp_path, "13900139000")
        c1 = first.dial(server.uri, caller_wav(tmp_path / "a.wav", np.zeros(16000 * 5, np.int16)))
        assert c1.wait_for("CALL_ESTABLISHED", seconds=30)["type"] == "CALL_ESTABLISHED"
        c2 = second.dial(server.uri, caller_wav(tmp_path / "b.wav", np.zeros(16000 * 3, np.int16)))
        assert c2.wait_for("CALL_ESTABLISHED", seconds=30)["type"] == "CALL_ESTABLISHED"
        c1.wait_for("CALL_CLOSED", seconds=30)
        c2.wait_for("CALL_CLOSED", seconds=30)
        first.quit(c1)
        second.quit(c2)
        events, _ = server.stop()
    answered = [e for e in events if e["event"] == "answered"]
    hangups = [e for e in events if e["event"] == "hangup"]
    assert len(answered) == 2 and answered[1]["rings"] >= 4  # it rang the whole first call long
    assert hangups[0]["call"] == answered[0]["call"]  # the first ended before the second was answered
