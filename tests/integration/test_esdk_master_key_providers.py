"""AWS Encryption SDK 4.x with its own KMS master key providers (no keyrings), unchanged.

The SDK checks KMS's answers strictly: the Decrypt response's KeyId must be the key it
asked for, the data key must have the suite's length, and the encryption context it sent
must be the one KMS bound into the data key ciphertext.
"""

from __future__ import annotations

import pytest

from ._support import ACCOUNT, calls, require_operation

aws_encryption_sdk = pytest.importorskip("aws_encryption_sdk", minversion="4.0")

from aws_encryption_sdk import CommitmentPolicy  # noqa: E402
from aws_encryption_sdk.exceptions import DecryptKeyError, GenerateKeyError, MasterKeyProviderError  # noqa: E402
from aws_encryption_sdk.key_providers.kms import (  # noqa: E402
    DiscoveryAwsKmsMasterKeyProvider,
    DiscoveryFilter,
    StrictAwsKmsMasterKeyProvider,
)

CONTEXT = {"tenant": "acme-corp", "purpose": "integration-test"}
_SESSION = None


def _session():
    """One botocore session for every provider: loading the KMS model per provider costs ~0.3 s."""
    global _SESSION
    if _SESSION is None:
        import botocore.session

        _SESSION = botocore.session.Session()
    return _SESSION


def strict(key_ids):
    return StrictAwsKmsMasterKeyProvider(key_ids=key_ids, botocore_session=_session())


@pytest.fixture
def esdk():
    return aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)


def _encrypt(esdk, key_arn: str, plaintext: bytes = b"attack at dawn", context=CONTEXT):
    provider = strict([key_arn])
    return esdk.encrypt(source=plaintext, key_provider=provider, encryption_context=context)


def test_strict_provider_round_trip_and_context_reaches_kms(mock, kms, esdk):
    key_arn = kms.create_key(Description="esdk")["KeyMetadata"]["Arn"]
    ciphertext, header = _encrypt(esdk, key_arn)

    plaintext, decrypt_header = esdk.decrypt(source=ciphertext, key_provider=strict([key_arn]))
    assert plaintext == b"attack at dawn"
    # The SDK adds its signing public key to the context; everything we gave is kept.
    assert CONTEXT.items() <= decrypt_header.encryption_context.items()

    generate, decrypt = calls(mock, "GenerateDataKey"), calls(mock, "Decrypt")
    assert len(generate) == 1 and len(decrypt) == 1
    assert generate[0].key_arn == key_arn and generate[0].succeeded
    # The context the SDK stored in its message header is the one sent to KMS, both ways.
    assert generate[0].params["EncryptionContext"] == header.encryption_context
    assert decrypt[0].params["EncryptionContext"] == header.encryption_context
    assert decrypt[0].params["KeyId"] == key_arn and decrypt[0].succeeded


def test_data_key_is_bound_to_the_encryption_context(kms, esdk):
    """Decrypting the message's encrypted data key directly: exact context only."""
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    _, header = _encrypt(esdk, key_arn)
    (edk,) = header.encrypted_data_keys
    assert edk.key_provider.provider_id == "aws-kms"
    assert edk.key_provider.key_info.decode() == key_arn

    answer = kms.decrypt(CiphertextBlob=edk.encrypted_data_key, EncryptionContext=header.encryption_context)
    assert answer["KeyId"] == key_arn and len(answer["Plaintext"]) == 32  # AES-256 suite data key

    wrong = dict(header.encryption_context, tenant="acme-corq")
    for context in (wrong, {}, dict(header.encryption_context, extra="x")):
        with pytest.raises(kms.exceptions.InvalidCiphertextException) as err:
            kms.decrypt(CiphertextBlob=edk.encrypted_data_key, EncryptionContext=context)
        assert err.value.response["Error"]["Message"] == ""


def test_tampered_message_context_is_refused_by_kms(mock, kms, esdk):
    """Alter one context value inside the serialized message: KMS (not the SDK) must refuse first."""
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    ciphertext, _ = _encrypt(esdk, key_arn)
    assert ciphertext.count(b"acme-corp") == 1
    tampered = ciphertext.replace(b"acme-corp", b"acme-corq")

    with pytest.raises(DecryptKeyError):
        esdk.decrypt(source=tampered, key_provider=strict([key_arn]))
    (decrypt,) = calls(mock, "Decrypt")
    assert decrypt.params["EncryptionContext"]["tenant"] == "acme-corq"
    assert decrypt.error_code == "InvalidCiphertextException"


def test_disabled_key_fails_decrypt_then_works_again(mock, kms, esdk):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    ciphertext, _ = _encrypt(esdk, key_arn)
    provider = strict([key_arn])

    kms.disable_key(KeyId=key_arn)
    with pytest.raises(DecryptKeyError):
        esdk.decrypt(source=ciphertext, key_provider=provider)
    failed = calls(mock, "Decrypt")[-1]
    assert (failed.error_code, failed.error_message) == ("DisabledException", f"{key_arn} is disabled.")
    # Encrypting under a disabled key fails too (GenerateDataKey).
    with pytest.raises(GenerateKeyError):
        _encrypt(esdk, key_arn)
    assert calls(mock, "GenerateDataKey")[-1].error_code == "DisabledException"

    kms.enable_key(KeyId=key_arn)
    assert esdk.decrypt(source=ciphertext, key_provider=provider)[0] == b"attack at dawn"


def test_key_pending_deletion_fails_decrypt_until_cancelled(mock, kms, esdk):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    ciphertext, _ = _encrypt(esdk, key_arn)
    provider = strict([key_arn])

    kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)
    with pytest.raises(DecryptKeyError):
        esdk.decrypt(source=ciphertext, key_provider=provider)
    failed = calls(mock, "Decrypt")[-1]
    assert (failed.error_code, failed.error_message) == ("KMSInvalidStateException", f"{key_arn} is pending deletion.")

    kms.cancel_key_deletion(KeyId=key_arn)  # -> Disabled
    with pytest.raises(DecryptKeyError):
        esdk.decrypt(source=ciphertext, key_provider=provider)
    assert calls(mock, "Decrypt")[-1].error_code == "DisabledException"
    kms.enable_key(KeyId=key_arn)
    assert esdk.decrypt(source=ciphertext, key_provider=provider)[0] == b"attack at dawn"


def test_strict_provider_with_other_key_does_not_decrypt(mock, kms, esdk):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    other_arn = kms.create_key()["KeyMetadata"]["Arn"]
    ciphertext, _ = _encrypt(esdk, key_arn)
    with pytest.raises(DecryptKeyError):
        esdk.decrypt(source=ciphertext, key_provider=strict([other_arn]))
    assert calls(mock, "Decrypt") == []  # the SDK filters by key ARN before calling KMS


def test_alias_arn_provider_encrypts_and_decrypt_reports_the_key_arn(mock, kms, esdk):
    """Encrypt through an alias ARN: KMS answers with the key ARN, which the SDK records."""
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/esdk-data", TargetKeyId=key_arn)
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/esdk-data"
    ciphertext, header = _encrypt(esdk, alias_arn)
    (edk,) = header.encrypted_data_keys
    assert edk.key_provider.key_info.decode() == key_arn  # GenerateDataKey's KeyId is the key ARN
    assert esdk.decrypt(source=ciphertext, key_provider=strict([key_arn]))[0] == (b"attack at dawn")


def test_discovery_provider_with_filter(mock, kms, esdk):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    ciphertext, _ = _encrypt(esdk, key_arn)

    mine = DiscoveryAwsKmsMasterKeyProvider(
        discovery_filter=DiscoveryFilter(account_ids=[ACCOUNT], partition="aws"), botocore_session=_session()
    )
    assert esdk.decrypt(source=ciphertext, key_provider=mine)[0] == b"attack at dawn"
    assert calls(mock, "Decrypt")[-1].params["KeyId"] == key_arn

    theirs = DiscoveryAwsKmsMasterKeyProvider(
        discovery_filter=DiscoveryFilter(account_ids=["111122223333"], partition="aws"), botocore_session=_session()
    )
    with pytest.raises(MasterKeyProviderError, match="not allowed by this Master Key Provider"):
        esdk.decrypt(source=ciphertext, key_provider=theirs)


def test_multi_region_key_provider_decrypts_with_the_replica(mock, kms, esdk):
    require_operation("ReplicateKey")
    from aws_encryption_sdk.key_providers.kms import MRKAwareStrictAwsKmsMasterKeyProvider

    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    replica = kms.replicate_key(KeyId=primary, ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]["Arn"]
    assert primary.split(":")[3] == "us-east-1" and replica.split(":")[3] == "us-west-2"
    assert primary.split(":")[-1] == replica.split(":")[-1]

    encrypting = MRKAwareStrictAwsKmsMasterKeyProvider(key_ids=[primary], botocore_session=_session())
    ciphertext, _ = esdk.encrypt(source=b"mrk", key_provider=encrypting, encryption_context=CONTEXT)
    decrypting = MRKAwareStrictAwsKmsMasterKeyProvider(key_ids=[replica], botocore_session=_session())
    plaintext, _ = esdk.decrypt(source=ciphertext, key_provider=decrypting)
    assert plaintext == b"mrk"
    decrypt = calls(mock, "Decrypt")[-1]
    assert decrypt.region == "us-west-2" and decrypt.key_arn == replica and decrypt.succeeded
