"""Envelope encryption with a data key: the file is encrypted locally, only the data key goes to KMS.

Run: python examples/envelope_encryption.py
"""

from __future__ import annotations

import os

import boto3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mock_kms import mock_kms


def encrypt_document(kms, key_id: str, document: bytes, context: dict[str, str]) -> tuple[bytes, bytes]:
    """Application code: returns (encrypted data key, nonce + ciphertext)."""
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=context)
    nonce = os.urandom(12)
    return data_key["CiphertextBlob"], nonce + AESGCM(data_key["Plaintext"]).encrypt(nonce, document, None)


def decrypt_document(kms, encrypted_key: bytes, sealed: bytes, context: dict[str, str]) -> bytes:
    data_key = kms.decrypt(CiphertextBlob=encrypted_key, EncryptionContext=context)["Plaintext"]
    return AESGCM(data_key).decrypt(sealed[:12], sealed[12:], None)


@mock_kms
def main() -> None:
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = kms.create_key(Description="documents")["KeyMetadata"]["KeyId"]
    context = {"tenant": "acme"}
    encrypted_key, sealed = encrypt_document(kms, key_id, b"quarterly report", context)
    assert decrypt_document(kms, encrypted_key, sealed, context) == b"quarterly report"

    # Disabling the KMS key makes every envelope under it unreadable, as on AWS.
    kms.disable_key(KeyId=key_id)
    try:
        decrypt_document(kms, encrypted_key, sealed, context)
    except kms.exceptions.DisabledException:
        print("disabled key: the document cannot be read")
    else:
        raise AssertionError("a disabled key must not decrypt")


if __name__ == "__main__":
    main()
