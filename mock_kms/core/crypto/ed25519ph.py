"""Ed25519 and Ed25519ph (RFC 8032 section 5.1) in pure Python.

``cryptography`` signs and verifies plain Ed25519 but has no Ed25519ph (HashEdDSA) API,
which KMS's ``ED25519_PH_SHA_512`` signing algorithm needs. This module implements the
RFC 8032 algorithm directly on the edwards25519 curve. It is slow (milliseconds per
operation) and not constant-time: fine for a test double, never for real secrets.

Correctness is checked in tests two ways: plain Ed25519 signatures made here are equal
byte for byte to ``cryptography``'s (Ed25519 is deterministic), and the Ed25519ph path
reproduces the RFC 8032 section 7.3 test vector.
"""

from __future__ import annotations

import hashlib

__all__ = ["public_key", "sign", "verify"]

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493  # group order
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

# dom2 prefix of RFC 8032 5.1: HashEdDSA (phflag 1) with an empty context.
_DOM2_PH = b"SigEd25519 no Ed25519 collisions" + bytes([1, 0])


def _add(p1: tuple[int, int, int, int], p2: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Point addition in extended coordinates (RFC 8032 5.1.4; complete, so it also doubles)."""
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % _P
    b = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % _P, g * h % _P, f * g % _P, e * h % _P


def _mul(scalar: int, point: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    result = (0, 1, 1, 0)  # neutral element
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _recover_x(y: int, sign: int) -> int | None:
    """x from y and the sign bit (RFC 8032 5.1.3), or None if there is no such point."""
    if y >= _P:
        return None
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if (v * x * x - u) % _P != 0:
        if (v * x * x + u) % _P != 0:
            return None
        x = x * _SQRT_M1 % _P
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


_BY = 4 * pow(5, _P - 2, _P) % _P
_BX = _recover_x(_BY, 0)
assert _BX is not None
_B = (_BX, _BY, 1, _BX * _BY % _P)


def _encode(point: tuple[int, int, int, int]) -> bytes:
    x, y, z, _ = point
    zi = pow(z, _P - 2, _P)
    x, y = x * zi % _P, y * zi % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decode(data: bytes) -> tuple[int, int, int, int] | None:
    if len(data) != 32:
        return None
    value = int.from_bytes(data, "little")
    y = value & ((1 << 255) - 1)
    x = _recover_x(y, value >> 255)
    if x is None:
        return None
    return x, y, 1, x * y % _P


def _sha512_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def _expand(seed: bytes) -> tuple[int, bytes]:
    digest = hashlib.sha512(seed).digest()
    a = int.from_bytes(digest[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, digest[32:]


def _dom_and_message(message: bytes, prehash: bool) -> tuple[bytes, bytes]:
    if prehash:
        return _DOM2_PH, hashlib.sha512(message).digest()
    return b"", message


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key of a 32-byte private key (seed)."""
    a, _ = _expand(bytes(seed))
    return _encode(_mul(a, _B))


def sign(seed: bytes, message: bytes, *, prehash: bool = True) -> bytes:
    """RFC 8032 signature of ``message``: Ed25519ph (empty context) or, with
    ``prehash=False``, plain Ed25519. For Ed25519ph the SHA-512 prehash is applied here."""
    seed = bytes(seed)
    if len(seed) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes")
    a, prefix = _expand(seed)
    encoded_a = _encode(_mul(a, _B))
    dom, m = _dom_and_message(bytes(message), prehash)
    r = _sha512_int(dom, prefix, m) % _L
    encoded_r = _encode(_mul(r, _B))
    k = _sha512_int(dom, encoded_r, encoded_a, m) % _L
    s = (r + k * a) % _L
    return encoded_r + s.to_bytes(32, "little")


def verify(public: bytes, message: bytes, signature: bytes, *, prehash: bool = True) -> bool:
    """Whether ``signature`` is a valid RFC 8032 signature (cofactorless check, as ref10)."""
    public, signature = bytes(public), bytes(signature)
    if len(public) != 32 or len(signature) != 64:
        return False
    point_a = _decode(public)
    if point_a is None or _decode(signature[:32]) is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    dom, m = _dom_and_message(bytes(message), prehash)
    k = _sha512_int(dom, signature[:32], public, m) % _L
    # [S]B - [k]A must encode to R.
    neg_a = ((_P - point_a[0]) % _P, point_a[1], point_a[2], (_P - point_a[3]) % _P)
    return _encode(_add(_mul(s, _B), _mul(k, neg_a))) == signature[:32]
