"""`ivr serve`: one process answers SIP calls over UDP, many at once, on one asyncio loop.

A UAS after RFC 3261: INVITE -> 100, 180 (rings counted from it, ANS-1), 200 with the SDP answer resent
(T1 doubling to T2) until the ACK, or a BYE after 64*T1; BYE both ways along the route set; CANCEL -> 487;
OPTIONS (503 while draining); re-INVITE; 481 for unknown dialogs; server transactions matched by branch,
so a retransmitted request gets the last answer again and never makes a second call; a malformed message
gets 400 when it can be answered and is dropped when not. One ticker drives every call's media every
20 ms; each call's engine runs on its own media clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ivr.clock import Ticker, later, loop_now, run_loop
from ivr.frames import Samples
from ivr.sip import message as sip
from ivr.sip import rtp
from ivr.sip.host import CallHost, IncomingCall, LineCall
from ivr.sip.message import Request, Response, SipError
from ivr.sip.sdp import Offer, SdpError, answer, negotiate
from ivr.sip.settings import ServeSettings

T1, T2, T4 = 0.5, 4.0, 5.0
RING_ON = 0.2
"""A ring sounds for the first fifth of each ring period (China: 1 s on, 4 s off); the IVR answers at the end of one."""
TICK_S = 0.02
TRANSACTION_S = 32.0
"""How long a server transaction's last answer is kept for retransmitted requests (64*T1)."""

Log = Callable[[str], None]


class MediaPort(asyncio.DatagramProtocol):
    """One call's RTP socket."""

    def __init__(self, dialog: Dialog) -> None:
        self.dialog = dialog
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.dialog.server.media_in(self.dialog, data, addr)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP unreachable from a caller that went away: its silence ends the call (dead media)


@dataclass
class Dialog:
    """One call, from the INVITE to the end."""

    server: Server
    invite: Request
    source: tuple[str, int]
    offer: Offer
    local_tag: str
    started: float
    state: str = "ringing"  # ringing | answered | confirmed | ended
    rings: int = 0
    line: LineCall | None = None
    media: rtp.Media | None = None
    port: MediaPort | None = None
    rtp_port: int = 0
    remote_rtp: tuple[str, int] = ("", 0)
    last_rtp: float = 0.0
    answer_sdp: bytes = b""
    sdp_version: int = 1
    local_cseq: int = 1
    final: bytes = b""
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    ok_handle: asyncio.TimerHandle | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.invite.call_id, self.invite.from_tag

    def cancel_timers(self) -> None:
        for t in self.timers:
            t.cancel()
        self.timers.clear()
        if self.ok_handle is not None:
            self.ok_handle.cancel()
            self.ok_handle = None


class Server(asyncio.DatagramProtocol):
    """The SIP endpoint and every call it carries."""

    def __init__(self, host: CallHost, settings: ServeSettings, log: Log) -> None:
        self.host = host
        self.settings = settings
        self.log = log
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.DatagramTransport | None = None
        self.dialogs: dict[tuple[str, str], Dialog] = {}
        self.by_branch: dict[str, Dialog] = {}
        self.answers: dict[tuple[str, str], tuple[bytes, float]] = {}
        self.byes: dict[str, tuple[bytes, tuple[str, int], asyncio.TimerHandle | None]] = {}
        self.draining = False
        self.next_port = settings.rtp_first
        self.ticker = Ticker(self.loop, TICK_S, self.tick)
        self.stopped = asyncio.Event()
        self.errors = 0
        self.outgoing: list[tuple[Dialog, Samples]] = []
        self.session = int(loop_now(self.loop) * 1000) & 0xFFFFFFF

    # -- the SIP socket ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for something we sent: the transaction's own timers handle it

    def send(self, data: bytes, to: tuple[str, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(data, to)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self.handle(data, addr)
        except Exception as e:  # never let one message stop the server
            self.errors += 1
            self.log(f"SIP message from {addr[0]}:{addr[1]} could not be handled ({type(e).__name__}: {e})")

    def handle(self, data: bytes, addr: tuple[str, int]) -> None:
        if data in (b"\r\n\r\n", b"\r\n"):  # keep-alive
            return
        try:
            msg = sip.parse(data)
        except SipError as e:
            salvaged = sip.salvage(data) if e.status else None
            if salvaged is not None and not salvaged["cseq"][0].strip().upper().endswith("ACK"):
                self.send(sip.response(salvaged, e.status or 400, source=addr, reason=e.reason), addr)
            return
        if isinstance(msg, Response):
            self.response(msg)
            return
        key = (msg.branch, msg.method)
        if msg.method != "ACK" and key in self.answers:  # a retransmission: the same answer again
            self.send(self.answers[key][0], addr)
            return
        handler = {
            "INVITE": self.on_invite,
            "ACK": self.on_ack,
            "BYE": self.on_bye,
            "CANCEL": self.on_cancel,
            "OPTIONS": self.on_options,
        }.get(msg.method)
        if handler is None:
            known = msg.method in ("REGISTER", "SUBSCRIBE", "NOTIFY", "INFO", "UPDATE", "PRACK", "MESSAGE", "REFER")
            self.reply(msg, addr, 405 if known else 501, extra=[("Allow", sip.ALLOW)])
            return
        handler(msg, addr)

    def reply(
        self,
        req: Request,
        addr: tuple[str, int],
        status: int,
        to_tag: str | None = None,
        extra: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> bytes:
        """Answer a request and keep the answer for its retransmissions."""
        data = sip.response(req, status, to_tag, extra, body, addr)
        self.send(data, addr)
        if status >= 200 or req.method == "INVITE":
            self.answers[(req.branch, req.method)] = (data, loop_now(self.loop) + TRANSACTION_S)
        return data

    # -- requests -----------------------------------------------------------------------------

    def on_options(self, req: Request, addr: tuple[str, int]) -> None:
        extra = [("Allow", sip.ALLOW), ("Accept", "application/sdp")]
        self.reply(req, addr, 503 if self.draining else 200, extra=extra)

    def on_invite(self, req: Request, addr: tuple[str, int]) -> None:
        if req.to_tag:
            dialog = self.dialogs.get((req.call_id, req.from_tag))
            if dialog is None or dialog.local_tag != req.to_tag:
                self.reply(req, addr, 481)
            else:
                self.reinvite(dialog, req, addr)
            return
        if req.branch in self.by_branch:  # a retransmitted INVITE after its transaction aged: never a second call
            return
        if self.draining:
            self.reply(req, addr, 503, extra=[("Retry-After", "30")])
            return
        if req.content_type != "application/sdp" or not req.body:
            self.reply(req, addr, 488, extra=[("Warning", '399 ivr "an SDP offer with PCMU or PCMA is needed"')])
            return
        try:
            offer = negotiate(req.body)
        except SdpError as e:
            self.reply(req, addr, 488, extra=[("Warning", f'304 ivr "{str(e)[:80]}"')])
            return
        ringing = sum(d.state == "ringing" for d in self.dialogs.values())
        if self.active() >= self.settings.max_calls and ringing >= self.settings.queue:
            self.reply(req, addr, 486)
            return
        dialog = Dialog(self, req, addr, offer, sip.new_tag(), loop_now(self.loop))
        self.dialogs[dialog.key] = dialog
        self.by_branch[req.branch] = dialog
        self.reply(req, addr, 100)
        self.reply(req, addr, 180, dialog.local_tag, extra=[("Contact", self.contact())])
        self.ring(dialog, 1)

    def ring(self, dialog: Dialog, n: int) -> None:
        """Ring n sounds; answer at the end of the chosen ring, or keep ringing while every line is busy (ANS-1)."""
        if dialog.state != "ringing":
            return
        dialog.rings = n
        dialog.timers.append(later(self.loop, self.settings.ring_period_s, lambda: self.ring(dialog, n + 1)))
        if n >= self.settings.answer_after:
            ring_on = RING_ON * self.settings.ring_period_s
            dialog.timers.append(later(self.loop, ring_on, lambda: self.try_answer(dialog)))

    def try_answer(self, dialog: Dialog) -> None:
        if dialog.state == "ringing" and self.active() < self.settings.max_calls:
            self.answer(dialog)

    def active(self) -> int:
        return sum(d.state in ("answered", "confirmed") for d in self.dialogs.values())

    def free_line(self) -> None:
        """A line freed: the caller who has waited longest is answered now (their rings kept counting)."""
        waiting = sorted(
            (d for d in self.dialogs.values() if d.state == "ringing" and d.rings >= self.settings.answer_after),
            key=lambda d: d.started,
        )
        if waiting:
            self.try_answer(waiting[0])

    def answer(self, dialog: Dialog) -> None:
        try:
            port = self.open_media(dialog)
        except OSError:
            self.reply(dialog.invite, dialog.source, 503, dialog.local_tag)
            self.forget(dialog)
            self.log("no free RTP port in --rtp-ports: a call was refused (503)")
            return
        dialog.cancel_timers()
        dialog.rtp_port = port
        dialog.remote_rtp = (dialog.offer.address, dialog.offer.port)
        dialog.answer_sdp = answer(dialog.offer, self.settings.host, port, self.session, dialog.sdp_version)
        dialog.media = rtp.Media(
            dialog.offer.payload, dialog.offer.codec, dialog.offer.dtmf, self.settings.jitter_frames
        )
        dialog.state = "answered"
        extra = [("Contact", self.contact()), ("Allow", sip.ALLOW), ("Content-Type", "application/sdp")]
        dialog.final = self.reply(dialog.invite, dialog.source, 200, dialog.local_tag, extra, dialog.answer_sdp)
        self.resend_ok(dialog, T1, loop_now(self.loop))

    def resend_ok(self, dialog: Dialog, interval: float, since: float) -> None:
        """RFC 3261 13.3.1.4: the 2xx again until the ACK; no ACK in 64*T1 ends the call with a BYE."""

        def again() -> None:
            if dialog.state != "answered":
                return
            if loop_now(self.loop) - since >= 64 * T1:
                self.log(f"no ACK for call {dialog.invite.call_id[:40]}: ending it")
                self.hang_up(dialog, "caller")
                return
            self.send(dialog.final, dialog.source)
            self.resend_ok(dialog, min(interval * 2, T2), since)

        dialog.ok_handle = later(self.loop, interval, again)

    def open_media(self, dialog: Dialog) -> int:
        first, last = self.settings.rtp_first, self.settings.rtp_last
        span = (last - first + 1) // 2
        for _ in range(span):
            port = self.next_port
            self.next_port = first if self.next_port + 2 > last else self.next_port + 2
            if any(d.rtp_port == port for d in self.dialogs.values()):
                continue
            family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.bind((self.settings.host, port))  # bound here, so a port in use is known at once
            except OSError:
                sock.close()
                continue
            sock.setblocking(False)
            dialog.port = MediaPort(dialog)
            self.loop.create_task(self.loop.create_datagram_endpoint(partial(_same, dialog.port), sock=sock))
            return port
        raise OSError("no free RTP port")

    def reinvite(self, dialog: Dialog, req: Request, addr: tuple[str, int]) -> None:
        """A re-INVITE (hold, a new address): our same session, its version up one."""
        if dialog.state not in ("answered", "confirmed"):
            self.reply(req, addr, 491 if dialog.state == "ringing" else 481)
            return
        if req.body:
            try:
                offer = negotiate(req.body)
            except SdpError as e:
                self.reply(req, addr, 488, extra=[("Warning", f'304 ivr "{str(e)[:80]}"')])
                return
            dialog.offer = Offer(
                offer.address, offer.port, dialog.offer.payload, dialog.offer.codec, dialog.offer.dtmf, offer.direction
            )
            dialog.remote_rtp = (offer.address, offer.port)
        dialog.sdp_version += 1
        dialog.answer_sdp = answer(dialog.offer, self.settings.host, dialog.rtp_port, self.session, dialog.sdp_version)
        extra = [("Contact", self.contact()), ("Content-Type", "application/sdp")]
        self.reply(req, addr, 200, dialog.local_tag, extra, dialog.answer_sdp)

    def on_ack(self, req: Request, addr: tuple[str, int]) -> None:
        dialog = self.dialogs.get((req.call_id, req.from_tag))
        if dialog is None:
            return  # the ACK of an error answer, or of a call already gone: nothing to do
        if dialog.state == "answered" and req.to_tag == dialog.local_tag:
            if dialog.ok_handle is not None:
                dialog.ok_handle.cancel()
                dialog.ok_handle = None
            self.start_call(dialog)

    def start_call(self, dialog: Dialog) -> None:
        """The caller's ACK: the call is up at both ends, so the IVR starts to speak (no first words lost)."""
        invite = dialog.invite
        incoming = IncomingCall(invite.call_id, invite.caller_number, invite.caller_uri, dialog.rings)
        try:
            dialog.line = self.host.answer(incoming)
        except Exception as e:
            self.log(f"the IVR could not take a call ({type(e).__name__}: {e})")
            self.hang_up(dialog, None)
            return
        dialog.last_rtp = loop_now(self.loop)
        dialog.state = "confirmed"

    def on_bye(self, req: Request, addr: tuple[str, int]) -> None:
        dialog = self.dialogs.get((req.call_id, req.from_tag))
        if dialog is None or dialog.local_tag != req.to_tag or dialog.state == "ringing":
            self.reply(req, addr, 481)
            return
        self.reply(req, addr, 200, dialog.local_tag)
        self.end(dialog, "caller")

    def on_cancel(self, req: Request, addr: tuple[str, int]) -> None:
        dialog = self.by_branch.get(req.branch)
        if dialog is None or dialog.invite.call_id != req.call_id:
            self.reply(req, addr, 481)
            return
        self.reply(req, addr, 200, dialog.local_tag)
        if dialog.state == "ringing":  # the caller gave up before we answered
            dialog.cancel_timers()
            self.reply(dialog.invite, dialog.source, 487, dialog.local_tag)
            who = dialog.invite.caller_number or "a withheld number"
            self.log(f"missed call from {who} after {dialog.rings} ring(s)")
            self.forget(dialog)

    def response(self, msg: Response) -> None:
        """An answer to our BYE: its retransmissions stop."""
        pending = self.byes.pop(msg.branch, None)
        if pending is not None and pending[2] is not None:
            pending[2].cancel()

    # -- media --------------------------------------------------------------------------------

    def media_in(self, dialog: Dialog, data: bytes, addr: tuple[str, int]) -> None:
        if dialog.media is None or dialog.state not in ("answered", "confirmed"):
            return
        packet = rtp.parse(data)
        if packet is None:
            return
        dialog.last_rtp = loop_now(self.loop)
        digit = dialog.media.received(packet)
        if digit is not None and dialog.line is not None:
            dialog.line.dtmf(digit)

    def tick(self) -> None:
        """Every 20 ms: the frames stepped last tick go out as RTP first, then each call's next caller frame goes
        into its engine. Sending before stepping puts every packet on the ticker's beat whatever the stepping
        costs (one frame of added delay)."""
        self.send_media()
        self.outgoing = []
        for dialog in list(self.dialogs.values()):
            if dialog.state not in ("answered", "confirmed") or dialog.media is None or dialog.line is None:
                continue
            try:
                self.outgoing.append((dialog, dialog.line.step(dialog.media.frame_in())))
            except Exception as e:  # one call's failure ends that call, never the others
                self.call_failed(dialog, e)
        self.expire()

    def send_media(self) -> None:
        now = loop_now(self.loop)
        for dialog, out in self.outgoing:
            if dialog.state not in ("answered", "confirmed") or dialog.media is None or dialog.line is None:
                continue  # ended since it was stepped
            try:
                if dialog.port is not None and dialog.port.transport is not None and dialog.remote_rtp[1]:
                    dialog.port.transport.sendto(dialog.media.packet_out(out), dialog.remote_rtp)
                if dialog.line.hung_up:  # the IVR hung up and its last frame is out: the BYE goes now
                    self.hang_up(dialog, None)
                elif now - dialog.last_rtp > self.settings.media_timeout_s:
                    quiet = self.settings.media_timeout_s
                    self.log(f"no RTP for {quiet:g} s on call {dialog.invite.call_id[:40]}: dead media")
                    self.hang_up(dialog, "dead_media")
            except Exception as e:  # one call's failure ends that call, never the others
                self.call_failed(dialog, e)

    def call_failed(self, dialog: Dialog, e: Exception) -> None:
        self.errors += 1
        self.log(f"call {dialog.invite.call_id[:40]} failed ({type(e).__name__}: {e}); ending it")
        self.hang_up(dialog, "error")

    def expire(self) -> None:
        now = loop_now(self.loop)
        if len(self.answers) > 64 and int(now * 50) % 50 == 0:
            self.answers = {k: v for k, v in self.answers.items() if v[1] > now}

    # -- the end of a call ----------------------------------------------------------------------

    def hang_up(self, dialog: Dialog, reason: str | None) -> None:
        """The IVR ends the call: BYE along the route set (reason None: the engine hung up itself)."""
        if dialog.state == "ended":
            return
        self.bye(dialog)
        self.end(dialog, reason)

    def end(self, dialog: Dialog, reason: str | None) -> None:
        if dialog.state == "ended":
            return
        was = dialog.state
        dialog.state = "ended"
        dialog.cancel_timers()
        if dialog.line is not None and reason is not None and was in ("answered", "confirmed"):
            dialog.line.end(reason)
        if dialog.port is not None and dialog.port.transport is not None:
            dialog.port.transport.close()
        self.forget(dialog)
        self.free_line()
        if self.draining and not self.dialogs:
            self.stopped.set()

    def forget(self, dialog: Dialog) -> None:
        dialog.state = "ended"
        self.dialogs.pop(dialog.key, None)
        self.by_branch.pop(dialog.invite.branch, None)

    def bye(self, dialog: Dialog) -> None:
        invite = dialog.invite
        routes = invite.record_route  # RFC 3261 12.1.1: the UAS's route set is the Record-Route, in order
        target = invite.contact or invite.caller_uri
        first = sip.hostport(routes[0]) if routes else sip.hostport(target)
        to = first or dialog.source
        if to[0] in ("", "0.0.0.0"):
            to = dialog.source
        branch = sip.new_branch()
        dialog.local_cseq += 1
        via = f"SIP/2.0/UDP {self.settings.host}:{self.settings.port};branch={branch};rport"
        data = sip.request(
            "BYE",
            target.strip("<>"),
            via,
            f"{invite.to};tag={dialog.local_tag}" if ";tag=" not in invite.to else invite.to,
            invite.from_,
            invite.call_id,
            dialog.local_cseq,
            routes,
            self.contact(),
        )
        self.send(data, to)
        self.byes[branch] = (data, to, None)
        self.resend_bye(branch, T1, loop_now(self.loop))

    def resend_bye(self, branch: str, interval: float, since: float) -> None:
        """Timer E/F: our BYE again, T1 doubling to T2, until it is answered or 64*T1 pass."""

        def again() -> None:
            pending = self.byes.get(branch)
            if pending is None:
                return
            if loop_now(self.loop) - since >= 64 * T1:
                self.byes.pop(branch, None)
                return
            self.send(pending[0], pending[1])
            self.resend_bye(branch, min(interval * 2, T2), since)

        data, to, _ = self.byes[branch]
        self.byes[branch] = (data, to, later(self.loop, interval, again))

    def contact(self) -> str:
        return f"<sip:ivr@{self.settings.host}:{self.settings.port}>"

    # -- starting and stopping ------------------------------------------------------------------

    def drain(self) -> None:
        """First signal: take no new calls (503), let the calls in progress end; second: end them now."""
        if self.draining:
            self.log("ending the calls in progress")
            for dialog in list(self.dialogs.values()):
                if dialog.state == "ringing":
                    self.reply(dialog.invite, dialog.source, 480, dialog.local_tag)
                    self.forget(dialog)
                else:
                    self.hang_up(dialog, "shutdown")
            self.stopped.set()
            return
        self.draining = True
        self.log(f"draining: no new calls; {self.active()} in progress (signal again to end them)")
        if not self.dialogs:
            self.stopped.set()


def _same(protocol: MediaPort) -> MediaPort:
    return protocol


async def _serve(host: CallHost, settings: ServeSettings, log: Log) -> int:
    loop = asyncio.get_running_loop()
    server = Server(host, settings, log)
    try:
        await loop.create_datagram_endpoint(lambda: server, local_addr=(settings.host, settings.port))
    except OSError as e:
        log(f"--sip: cannot listen on {settings.host}:{settings.port} ({e.strerror})")
        return 2
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.drain)
    server.ticker.start()
    log(
        f"serving SIP on udp:{settings.host}:{settings.port}, RTP {settings.rtp_first}-{settings.rtp_last}, "
        f"max {settings.max_calls} calls"
    )
    await server.stopped.wait()
    server.ticker.stop()
    t = server.ticker
    log(f"media ticker: {t.ticks} ticks, {t.slow} wake-ups late by more than 10 ms, worst {t.worst * 1000:.0f} ms")
    with contextlib.suppress(Exception):
        await _flush(loop)
    if server.transport is not None:
        server.transport.close()
    return 0


async def _flush(loop: asyncio.AbstractEventLoop) -> None:
    """Let the last BYEs and answers leave the socket before the process exits."""
    done = loop.create_future()
    later(loop, 0.2, lambda: done.set_result(None))
    await done


def serve(host: CallHost, settings: ServeSettings, log: Log) -> int:
    """Answer SIP calls until told to stop; the exit status."""
    return run_loop(_serve(host, settings, log))
