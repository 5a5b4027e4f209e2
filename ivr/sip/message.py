"""SIP messages: parsed with `sipmessage`, checked for what a UAS needs, and answered or sent as text.

A message that cannot be parsed is answered 400 when enough of it is readable to address an answer
(Via, From, To, Call-ID, CSeq), and dropped otherwise.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import sipmessage

MAX_MESSAGE = 16_384
"""Bigger datagrams are dropped: no SIP message a phone sends to an IVR comes near it."""
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS"
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")


class SipError(Exception):
    """A request that cannot be served; `status` is the answer to give, None to drop it."""

    def __init__(self, status: int | None, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Request:
    method: str
    uri: str
    vias: list[str]
    from_: str
    to: str
    call_id: str
    cseq: int
    cseq_method: str
    branch: str
    from_tag: str
    to_tag: str | None
    contact: str | None
    record_route: list[str]
    caller_uri: str
    caller_user: str | None
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def caller_number(self) -> str | None:
        user = self.caller_user or ""
        return user if _NUMBER.match(user) else None


@dataclass
class Response:
    status: int
    branch: str
    cseq: int
    cseq_method: str
    call_id: str


def _tag(address: sipmessage.Address | None) -> str | None:
    if address is None:
        return None
    value = address.parameters.get("tag") if hasattr(address.parameters, "get") else None
    return str(value) if value else None


def parse(data: bytes) -> Request | Response:
    """A datagram as a SIP request or response; SipError says whether and how to answer it."""
    if len(data) > MAX_MESSAGE:
        raise SipError(None, "message too big")
    try:
        msg = sipmessage.Message.parse(data)
    except Exception:  # sipmessage raises ValueError, KeyError, IndexError... on malformed input
        raise SipError(400, "Bad Request") from None
    try:
        vias = msg.headers.getlist("Via")
        cseq = msg.cseq
        call_id = msg.call_id
        if not vias or cseq is None or not call_id or msg.from_address is None or msg.to_address is None:
            raise SipError(400, "Missing Mandatory Header")
        top = msg.via[0]
        branch = str(top.parameters.get("branch") or "")
        if isinstance(msg, sipmessage.Response):
            return Response(int(msg.code), branch, int(cseq.sequence), str(cseq.method), str(call_id))
        if str(cseq.method) != str(msg.method) and msg.method not in ("ACK", "CANCEL"):
            raise SipError(400, "CSeq Method Mismatch")
        length = msg.content_length
        body = msg.body or b""
        if length is not None and int(length) > len(body):
            raise SipError(400, "Content-Length Too Big")
        contact = msg.contact[0].uri if msg.contact else None
        headers = {k.lower(): msg.headers.get(k) or "" for k in msg.headers.keys()}  # noqa: SIM118 - Headers is not a dict
        return Request(
            method=str(msg.method),
            uri=str(msg.uri),
            vias=list(vias),
            from_=msg.headers.get("From") or "",
            to=msg.headers.get("To") or "",
            call_id=str(call_id),
            cseq=int(cseq.sequence),
            cseq_method=str(cseq.method),
            branch=branch,
            from_tag=_tag(msg.from_address) or "",
            to_tag=_tag(msg.to_address),
            contact=str(contact) if contact else None,
            record_route=msg.headers.getlist("Record-Route"),
            caller_uri=str(msg.from_address.uri),
            caller_user=msg.from_address.uri.user,
            content_type=(msg.headers.get("Content-Type") or "").split(";")[0].strip().lower(),
            body=body[: int(length)] if length is not None else body,
            headers=headers,
        )
    except SipError:
        raise
    except Exception:
        raise SipError(400, "Bad Request") from None


def salvage(data: bytes) -> dict[str, list[str]] | None:
    """From a message sipmessage refused, the headers an error answer copies; None if they are not all there."""
    try:
        text = data.decode("utf-8", "replace")
    except Exception:
        return None
    head = text.split("\r\n\r\n", 1)[0].split("\r\n")
    if len(head) < 2 or not head[0].endswith("SIP/2.0") or head[0].startswith("SIP/"):
        return None
    found: dict[str, list[str]] = {}
    compact = {"v": "via", "f": "from", "t": "to", "i": "call-id"}
    for line in head[1:]:
        name, sep, value = line.partition(":")
        key = compact.get(name.strip().lower(), name.strip().lower())
        if sep and key in ("via", "from", "to", "call-id", "cseq"):
            found.setdefault(key, []).append(value.strip())
    if any(k not in found for k in ("via", "from", "to", "call-id", "cseq")):
        return None
    return found


def new_tag() -> str:
    return secrets.token_hex(6)


def new_branch() -> str:
    return "z9hG4bK" + secrets.token_hex(8)


REASONS = {
    100: "Trying",
    180: "Ringing",
    200: "OK",
    400: "Bad Request",
    405: "Method Not Allowed",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def response(
    req: Request | dict[str, list[str]],
    status: int,
    to_tag: str | None = None,
    extra: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    source: tuple[str, int] | None = None,
    reason: str | None = None,
) -> bytes:
    """An answer to a request: its Via (with received/rport filled in), From, To (+ our tag), Call-ID and CSeq."""
    if isinstance(req, Request):
        vias, from_, to, call_id, cseq = req.vias, req.from_, req.to, req.call_id, f"{req.cseq} {req.cseq_method}"
    else:
        vias, from_, to, call_id, cseq = req["via"], req["from"][0], req["to"][0], req["call-id"][0], req["cseq"][0]
    vias = list(vias)
    if source is not None and vias:
        top = vias[0]
        top = re.sub(r";rport(?=;|$)", f";rport={source[1]}", top)
        if ";received=" not in top:
            top += f";received={source[0]}"
        vias[0] = top
    if to_tag and ";tag=" not in to:
        to = f"{to};tag={to_tag}"
    lines = [f"SIP/2.0 {status} {reason or REASONS.get(status, 'Unknown')}"]
    lines += [f"Via: {v}" for v in vias]
    if isinstance(req, Request) and req.method == "INVITE" and 100 < status < 300:
        lines += [f"Record-Route: {r}" for r in req.record_route]  # RFC 3261 12.1.1: the route set reaches the caller
    lines += [f"From: {from_}", f"To: {to}", f"Call-ID: {call_id}", f"CSeq: {cseq}", "Server: hotline-ivr"]
    lines += [f"{k}: {v}" for k, v in extra or []]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def request(
    method: str,
    uri: str,
    via: str,
    from_: str,
    to: str,
    call_id: str,
    cseq: int,
    routes: list[str],
    contact: str,
) -> bytes:
    """A request inside a dialog (our BYE)."""
    lines = [f"{method} {uri} SIP/2.0", f"Via: {via}", "Max-Forwards: 70"]
    lines += [f"Route: {r}" for r in routes]
    lines += [f"From: {from_}", f"To: {to}", f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", f"Contact: {contact}"]
    lines += ["User-Agent: hotline-ivr", "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def hostport(uri: str) -> tuple[str, int] | None:
    """Where a SIP URI (or a Route's <uri;lr>) sends to: host and port, 5060 by default."""
    m = re.search(r"sips?:(?:[^@>;]*@)?(\[[^\]]+\]|[^:;>]+)(?::(\d+))?", uri)
    if m is None:
        return None
    return m.group(1).strip("[]"), int(m.group(2) or 5060)
