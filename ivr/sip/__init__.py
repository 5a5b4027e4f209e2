"""A native SIP endpoint: a UAS for RFC 3261 over UDP, RTP media with G.711 and RFC 4733, many calls per process."""
