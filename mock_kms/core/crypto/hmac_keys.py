"""HMAC KMS keys: key material generation, GenerateMac and VerifyMac (RFC 2104 HMAC)."""

from __future__ import annotations

import hmac as _stdlib_hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _crypto_hmac

from mock_kms.core.errors import InvalidKeyUsageException, KMSInvalidMacException, ValidationException

__all__ = ["generate_hmac_key", "generate_mac", "verify_mac"]

# key spec -> (the one MAC algorithm it accepts, hash class, generated key length in bytes).
# Generated key length = the hash output length (HMAC_224 -> 224 bits). AWS names the key
# specs by those bit sizes; the exact length AWS's own generated material has is not
# observable through the API, so this is the natural reading, not a recorded fact.
_HMAC_SPECS: dict[str, tuple[str, type[hashes.HashAlgorithm], int]] = {
    "HMAC_224": ("HMAC_SHA_224", hashes.SHA224, 28),
    "HMAC_256": ("HMAC_SHA_256", hashes.SHA256, 32),
    "HMAC_384": ("HMAC_SHA_384", hashes.SHA384, 48),
    "HMAC_512": ("HMAC_SHA_512", hashes.SHA512, 64),
}


def _incompatible(mac_algorithm: str, key_spec: str) -> InvalidKeyUsageException:
    # Recorded AWS text, e.g. "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."
    return InvalidKeyUsageException(f"Algorithm {mac_algorithm} is incompatible with key spec {key_spec}.")


def generate_hmac_key(key_spec: str) -> bytes:
    """Random key material: HMAC_224 28 bytes, HMAC_256 32, HMAC_384 48, HMAC_512 64."""
    if key_spec not in _HMAC_SPECS:
        # Unrecorded text: only reachable if the caller passes a non-HMAC spec.
        raise ValidationException(f"Key spec {key_spec} is not an HMAC key spec.")
    return os.urandom(_HMAC_SPECS[key_spec][2])


def _hash_for(key_spec: str, mac_algorithm: str) -> hashes.HashAlgorithm:
    entry = _HMAC_SPECS.get(key_spec)
    if entry is None or entry[0] != mac_algorithm:
        raise _incompatible(mac_algorithm, key_spec)
    return entry[1]()


def generate_mac(key_bytes: bytes, key_spec: str, mac_algorithm: str, message: bytes) -> bytes:
    """The raw RFC 2104 HMAC of ``message`` under ``key_bytes``."""
    h = _crypto_hmac.HMAC(bytes(key_bytes), _hash_for(key_spec, mac_algorithm))
    h.update(bytes(message))
    return h.finalize()


def verify_mac(key_bytes: bytes, key_spec: str, mac_algorithm: str, message: bytes, mac: bytes) -> None:
    """None if ``mac`` is the HMAC of ``message``, else ``KMSInvalidMacException("")``."""
    expected = generate_mac(key_bytes, key_spec, mac_algorithm, message)
    if not _stdlib_hmac.compare_digest(expected, bytes(mac)):
        raise KMSInvalidMacException("")
