"""The pure-Python RFC 8032 module behind ED25519_PH_SHA_512, checked against outside truth:
RFC 8032's Ed25519ph test vector and `cryptography`'s plain Ed25519 (byte for byte)."""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from mock_kms.core.crypto import ed25519ph

# RFC 8032 section 7.3, "Test Vectors for Ed25519ph" (TEST abc).
RFC_SECRET = bytes.fromhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
RFC_PUBLIC = bytes.fromhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf")
RFC_MESSAGE = bytes.fromhex("616263")
RFC_SIGNATURE = bytes.fromhex(
    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
)
L = 2**252 + 27742317777372353535851937790883648493


def test_rfc8032_ed25519ph_vector():
    # The vector's public key agrees with cryptography's derivation too.
    assert ed25519.Ed25519PrivateKey.from_private_bytes(RFC_SECRET).public_key().public_bytes_raw() == RFC_PUBLIC
    assert ed25519ph.public_key(RFC_SECRET) == RFC_PUBLIC
    assert ed25519ph.sign(RFC_SECRET, RFC_MESSAGE, prehash=True) == RFC_SIGNATURE
    assert ed25519ph.verify(RFC_PUBLIC, RFC_MESSAGE, RFC_SIGNATURE, prehash=True)


@pytest.mark.parametrize("length", [0, 1, 32, 64, 333])
def test_plain_ed25519_matches_cryptography_byte_for_byte(length):
    for _ in range(3):
        seed, message = os.urandom(32), os.urandom(length)
        private = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
        expected = private.sign(message)
        assert ed25519ph.sign(seed, message, prehash=False) == expected
        assert ed25519ph.public_key(seed) == private.public_key().public_bytes_raw()
        assert ed25519ph.verify(private.public_key().public_bytes_raw(), message, expected, prehash=False)


def test_prehash_and_plain_differ():
    # Ed25519ph is domain-separated: not plain Ed25519 over SHA-512(M).
    digest = hashlib.sha512(RFC_MESSAGE).digest()
    assert ed25519ph.sign(RFC_SECRET, digest, prehash=False) != RFC_SIGNATURE
    assert not ed25519ph.verify(RFC_PUBLIC, RFC_MESSAGE, RFC_SIGNATURE, prehash=False)


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


def test_rejections():
    assert not ed25519ph.verify(RFC_PUBLIC, b"abd", RFC_SIGNATURE)
    assert not ed25519ph.verify(RFC_PUBLIC, RFC_MESSAGE, _flip(RFC_SIGNATURE, 0))
    assert not ed25519ph.verify(RFC_PUBLIC, RFC_MESSAGE, _flip(RFC_SIGNATURE, 40))
    assert not ed25519ph.verify(ed25519ph.public_key(os.urandom(32)), RFC_MESSAGE, RFC_SIGNATURE)
    assert not ed25519ph.verify(RFC_PUBLIC, RFC_MESSAGE, RFC_SIGNATURE[:63])
    assert not ed25519ph.verify(RFC_PUBLIC[:31], RFC_MESSAGE, RFC_SIGNATURE)
    # S >= L (malleability) is rejected.
    s = int.from_bytes(RFC_SIGNATURE[32:], "little") + L
    assert s < 2**256
    assert not ed25519ph.verify(RFC_PUBLIC, RFC_MESSAGE, RFC_SIGNATURE[:32] + s.to_bytes(32, "little"))
    # A y coordinate >= p is not a point encoding.
    assert not ed25519ph.verify(b"\xff" * 31 + b"\x7f", RFC_MESSAGE, RFC_SIGNATURE)
    with pytest.raises(ValueError):
        ed25519ph.sign(b"short", b"m")
