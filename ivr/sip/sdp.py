"""SDP offer/answer (RFC 3264) with `sdp-transform`: PCMU or PCMA, and RFC 4733 telephone-event when offered."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import sdp_transform

STATIC = {0: "PCMU", 8: "PCMA"}
CODECS = ("PCMU", "PCMA")
"""What the IVR takes, in its order of preference (the offer's order wins among these)."""


class SdpError(Exception):
    """No usable audio in the offer: answer 488."""


@dataclass(frozen=True)
class Offer:
    address: str
    port: int
    payload: int
    codec: str
    dtmf: int | None
    direction: str


def negotiate(body: bytes) -> Offer:
    """The offer's first audio stream with a codec we take."""
    try:
        sdp = sdp_transform.parse(body.decode("utf-8"))
    except Exception:  # sdp-transform raises whatever its regexes do on junk
        raise SdpError("unreadable SDP") from None
    for media in sdp.get("media", []):
        if media.get("type") != "audio" or not str(media.get("protocol", "")).startswith("RTP/AVP"):
            continue
        port = int(media.get("port") or 0)
        address = (media.get("connection") or sdp.get("connection") or {}).get("ip", "")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise SdpError(f"connection address {address[:40]!r} is not an IP address") from None
        if not 0 < port < 65536:
            raise SdpError("audio port 0: a declined stream")
        maps = {r["payload"]: str(r["codec"]).upper() for r in media.get("rtp", [])}
        offered = [int(p) for p in str(media.get("payloads", "")).split() if p.isdigit()]
        codec = next(
            ((p, maps.get(p, STATIC.get(p, ""))) for p in offered if maps.get(p, STATIC.get(p)) in CODECS), None
        )
        if codec is None:
            continue
        dtmf = next((p for p in offered if maps.get(p) == "TELEPHONE-EVENT"), None)
        return Offer(address, port, codec[0], codec[1], dtmf, str(media.get("direction", "sendrecv")))
    raise SdpError("no PCMU or PCMA audio offered")


def answer(offer: Offer, address: str, port: int, session: int, version: int) -> bytes:
    """Our answer: the chosen codec, telephone-event if offered, 20 ms packets."""
    payloads = [offer.payload, *([offer.dtmf] if offer.dtmf is not None else [])]
    rtp = [{"payload": offer.payload, "codec": offer.codec, "rate": 8000}]
    fmtp = []
    if offer.dtmf is not None:
        rtp.append({"payload": offer.dtmf, "codec": "telephone-event", "rate": 8000})
        fmtp.append({"payload": offer.dtmf, "config": "0-15"})
    direction = {"sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}.get(
        offer.direction, "sendrecv"
    )
    sdp = {
        "version": 0,
        "origin": {
            "username": "ivr",
            "sessionId": session,
            "sessionVersion": version,
            "netType": "IN",
            "ipVer": 4 if ":" not in address else 6,
            "address": address,
        },
        "name": "hotline-ivr",
        "connection": {"version": 4 if ":" not in address else 6, "ip": address},
        "timing": {"start": 0, "stop": 0},
        "media": [
            {
                "type": "audio",
                "port": port,
                "protocol": "RTP/AVP",
                "payloads": " ".join(map(str, payloads)),
                "rtp": rtp,
                "fmtp": fmtp,
                "ptime": 20,
                "direction": direction,
            }
        ],
    }
    return sdp_transform.write(sdp).encode()
