"""The ciphertext blob of symmetric encryption: self-describing, authenticated, AES-256-GCM.

Layout (all of it but the GCM body is cleartext header, authenticated as AAD):

    0x01 | len(key ARN) (1 byte) | key ARN | material id (32 bytes) | nonce (12) | ciphertext+tag

The encryption context is authenticated too, in a canonical form that sorts the pairs and
length-prefixes every string, so ``{"a": "bc"}`` and ``{"ab": "c"}`` never collide.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mock_kms.core.errors import InvalidCiphertextException, ValidationException

VERSION = 0x01
_NONCE = 12
_MATERIAL_ID = 32
_TAG = 16


class ParsedCiphertext(NamedTuple):
    """The cleartext header of a blob (a named tuple: made on every Decrypt/ReEncrypt)."""

    key_arn: str
    material_id: str
    header: bytes
    nonce: bytes
    body: bytes

    @property
    def key_id(self) -> str:
        return self.key_arn.rsplit("/", 1)[-1]

    @property
    def region(self) -> str:
        return self.key_arn.split(":", 5)[3]

    @property
    def account(self) -> str:
        return self.key_arn.split(":", 5)[4]


def encode_context(context: Mapping[str, str] | None) -> bytes:
    """The encryption context as authenticated data: its UTF-8 pairs, sorted by key.

    A key or value that is not valid Unicode (a lone surrogate, which JSON can spell as
    ``"\\udc80"`` and plain boto3 sends) has no UTF-8 form and is refused with
    ValidationException. Guess: AWS's answer is unrecorded; its JSON parser accepts such
    escapes, and encoding them silently (Java writes ``?``) would let two different contexts
    authenticate the same ciphertext, so KMS refusing them is the faithful assumption.
    """
    if not context:
        return b""
    parts = []
    for name in sorted(context):
        for text in (name, context[name]):
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValidationException(
                    "Encryption context keys and values must be valid Unicode: "
                    "a key or value contains an unpaired surrogate."
                ) from None
            parts.append(struct.pack(">I", len(data)))
            parts.append(data)
    return b"".join(parts)


# Per-call savings (see BENCHMARKS.md): an AESGCM object per secret (building one runs the
# AES key schedule) and the cleartext header prefix per (key ARN, material). Both are pure
# functions of their keys; the caches are bounded and simply start over when full.
_CACHE_LIMIT = 4096
_aeads: dict[bytes, AESGCM] = {}
_prefixes: dict[tuple[str, str], bytes] = {}


def _aead(secret: bytes) -> AESGCM:
    if type(secret) is not bytes:  # e.g. a bytearray: not hashable, not cached
        return AESGCM(secret)
    aead = _aeads.get(secret)
    if aead is None:
        aead = AESGCM(secret)
        if len(_aeads) >= _CACHE_LIMIT:
            _aeads.clear()
        _aeads[secret] = aead
    return aead


def _prefix(key_arn: str, material_id: str) -> bytes:
    prefix = _prefixes.get((key_arn, material_id))
    if prefix is None:
        arn = key_arn.encode("ascii")
        prefix = bytes((VERSION, len(arn))) + arn + bytes.fromhex(material_id)
        if len(_prefixes) >= _CACHE_LIMIT:
            _prefixes.clear()
        _prefixes[(key_arn, material_id)] = prefix
    return prefix


def seal(key_arn: str, material_id: str, secret: bytes, plaintext: bytes, context: Mapping[str, str] | None) -> bytes:
    nonce = os.urandom(_NONCE)
    header = (_prefixes.get((key_arn, material_id)) or _prefix(key_arn, material_id)) + nonce
    aad = header + encode_context(context) if context else header
    aead = _aeads.get(secret) if type(secret) is bytes else None
    return header + (aead or _aead(secret)).encrypt(nonce, plaintext, aad)


def parse(blob: bytes) -> ParsedCiphertext:
    """Read the cleartext header; anything that is not our format is an InvalidCiphertextException."""
    try:
        if blob[0] != VERSION:
            raise ValueError
        arn_end = 2 + blob[1]
        arn = blob[2:arn_end].decode("ascii")
        material_end = arn_end + _MATERIAL_ID
        nonce_end = material_end + _NONCE
        if len(blob) < nonce_end + _TAG or not arn.startswith("arn:") or arn.count(":") != 5:
            raise ValueError
    except (IndexError, ValueError, UnicodeDecodeError):
        raise InvalidCiphertextException("") from None
    return ParsedCiphertext(
        key_arn=arn,
        material_id=blob[arn_end:material_end].hex(),
        header=blob[:nonce_end],
        nonce=blob[material_end:nonce_end],
        body=blob[nonce_end:],
    )


def open_sealed(parsed: ParsedCiphertext, secret: bytes, context: Mapping[str, str] | None) -> bytes:
    try:
        aad = parsed.header + encode_context(context) if context else parsed.header
        aead = _aeads.get(secret) if type(secret) is bytes else None
        return (aead or _aead(secret)).decrypt(parsed.nonce, parsed.body, aad)
    except InvalidTag:
        raise InvalidCiphertextException("") from None
