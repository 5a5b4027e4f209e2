"""G.711 A-law and µ-law (telephony WAVs, RTP PCMA/PCMU) by lookup table in numpy: 256 entries in, 65,536 out."""

from __future__ import annotations

from functools import cache

import numpy as np


def _ulaw_decode(byte: int) -> int:
    u = ~byte & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    sample = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -sample if sign else sample


def _alaw_decode(byte: int) -> int:
    a = byte ^ 0x55
    sign, exponent, mantissa = a & 0x80, (a >> 4) & 0x07, a & 0x0F
    sample = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return sample if sign else -sample


@cache
def decode_table(law: str) -> np.ndarray:
    """The 256 linear int16 values of a law's bytes."""
    decode = _ulaw_decode if law == "ulaw" else _alaw_decode
    return np.array([decode(b) for b in range(256)], np.int16)


@cache
def encode_table(law: str) -> np.ndarray:
    """For every int16 value (offset by 32768), the byte whose decoded value is nearest: the standard quantiser."""
    values = decode_table(law).astype(np.int32)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    x = np.arange(-32768, 32768)
    right = np.clip(np.searchsorted(ordered, x), 1, 255)
    left = right - 1
    pick = np.where(x - ordered[left] <= ordered[right] - x, left, right)
    return order[pick].astype(np.uint8)


def decode(data: bytes | np.ndarray, law: str) -> np.ndarray:
    """G.711 bytes to int16 samples."""
    return decode_table(law)[np.frombuffer(data, np.uint8) if isinstance(data, bytes) else data]


def encode(samples: np.ndarray, law: str) -> bytes:
    """int16 samples to G.711 bytes."""
    return encode_table(law)[samples.astype(np.int32) + 32768].tobytes()
