"""AWS Encryption SDK 4.x with the AWS Cryptographic Material Providers Library keyrings.

The keyrings are Dafny-generated code that converts every KMS response field into typed
values (unknown enum values, a wrong KeyId, a data key of the wrong length all fail), so
these tests fail if the mock answers anything AWS would not.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from ._support import ACCOUNT, calls, require_operation

aws_encryption_sdk = pytest.importorskip("aws_encryption_sdk", minversion="4.0")
pytest.importorskip("aws_cryptographic_material_providers")

from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders  # noqa: E402
from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig  # noqa: E402
from aws_cryptographic_material_providers.mpl.models import (  # noqa: E402
    CreateAwsKmsDiscoveryKeyringInput,
    CreateAwsKmsEcdhKeyringInput,
    CreateAwsKmsKeyringInput,
    CreateAwsKmsMrkKeyringInput,
    CreateAwsKmsMrkMultiKeyringInput,
    CreateAwsKmsRsaKeyringInput,
    DiscoveryFilter,
    KmsEcdhStaticConfigurationsKmsPrivateKeyToStaticPublicKey,
    KmsEcdhStaticConfigurationsKmsPublicKeyDiscovery,
    KmsPrivateKeyToStaticPublicKeyInput,
    KmsPublicKeyDiscoveryInput,
)
from aws_encryption_sdk import CommitmentPolicy  # noqa: E402
from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError  # noqa: E402

CONTEXT = {"tenant": "acme-corp", "purpose": "keyring-test"}


@pytest.fixture(scope="module")
def mpl():
    return AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())


@pytest.fixture
def esdk():
    return aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)


def kms_keyring(mpl, key_arn, client):
    return mpl.create_aws_kms_keyring(input=CreateAwsKmsKeyringInput(kms_key_id=key_arn, kms_client=client))


def test_kms_keyring_round_trip_with_context(mock, kms, mpl, esdk):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    keyring = kms_keyring(mpl, key_arn, kms)
    ciphertext, header = esdk.encrypt(source=b"keyring data", keyring=keyring, encryption_context=CONTEXT)
    plaintext, decrypt_header = esdk.decrypt(source=ciphertext, keyring=keyring, encryption_context=CONTEXT)
    assert plaintext == b"keyring data"
    assert CONTEXT.items() <= decrypt_header.encryption_context.items()

    (generate,) = calls(mock, "GenerateDataKey")
    (decrypt,) = calls(mock, "Decrypt")
    assert generate.params["EncryptionContext"] == header.encryption_context
    assert decrypt.params["EncryptionContext"] == header.encryption_context
    assert decrypt.params["KeyId"] == key_arn and decrypt.succeeded


def test_kms_keyring_tampered_context_is_refused_by_kms(mock, kms, mpl, esdk):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    keyring = kms_keyring(mpl, key_arn, kms)
    ciphertext, _ = esdk.encrypt(source=b"keyring data", keyring=keyring, encryption_context=CONTEXT)
    tampered = ciphertext.replace(b"acme-corp", b"acme-corq")
    with pytest.raises(AWSEncryptionSDKClientError):
        esdk.decrypt(source=tampered, keyring=keyring)
    (decrypt,) = calls(mock, "Decrypt")
    assert decrypt.error_code == "InvalidCiphertextException"
    assert decrypt.params["EncryptionContext"]["tenant"] == "acme-corq"


@pytest.mark.parametrize("action", ["disable", "schedule-deletion"])
def test_kms_keyring_unusable_key_fails_decrypt(mock, kms, mpl, esdk, action):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    keyring = kms_keyring(mpl, key_arn, kms)
    ciphertext, _ = esdk.encrypt(source=b"keyring data", keyring=keyring, encryption_context=CONTEXT)
    if action == "disable":
        kms.disable_key(KeyId=key_arn)
        expected = ("DisabledException", f"{key_arn} is disabled.")
    else:
        kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)
        expected = ("KMSInvalidStateException", f"{key_arn} is pending deletion.")
    with pytest.raises(AWSEncryptionSDKClientError) as err:
        esdk.decrypt(source=ciphertext, keyring=keyring)
    assert expected[1] in repr(err.value)  # the keyring reports KMS's error message
    failed = calls(mock, "Decrypt")[-1]
    assert (failed.error_code, failed.error_message) == expected


def test_discovery_keyring(mock, kms, mpl, esdk):
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    ciphertext, _ = esdk.encrypt(
        source=b"discover me", keyring=kms_keyring(mpl, key_arn, kms), encryption_context=CONTEXT
    )

    discovery = mpl.create_aws_kms_discovery_keyring(
        input=CreateAwsKmsDiscoveryKeyringInput(
            kms_client=kms, discovery_filter=DiscoveryFilter(account_ids=[ACCOUNT], partition="aws")
        )
    )
    assert esdk.decrypt(source=ciphertext, keyring=discovery)[0] == b"discover me"
    decrypt = calls(mock, "Decrypt")[-1]
    assert decrypt.params["KeyId"] == key_arn and decrypt.succeeded

    elsewhere = mpl.create_aws_kms_discovery_keyring(
        input=CreateAwsKmsDiscoveryKeyringInput(
            kms_client=kms, discovery_filter=DiscoveryFilter(account_ids=["111122223333"], partition="aws")
        )
    )
    with pytest.raises(AWSEncryptionSDKClientError):
        esdk.decrypt(source=ciphertext, keyring=elsewhere)


def _pem(der: bytes) -> bytes:
    public = serialization.load_der_public_key(der)
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1"])
def test_rsa_keyring_encrypts_offline_and_kms_decrypts(mock, kms, mpl, esdk, algorithm):
    """The data key is wrapped locally with the public key from GetPublicKey; KMS unwraps it."""
    key_arn = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["Arn"]
    public_key = kms.get_public_key(KeyId=key_arn)["PublicKey"]
    keyring = mpl.create_aws_kms_rsa_keyring(
        input=CreateAwsKmsRsaKeyringInput(
            kms_key_id=key_arn, encryption_algorithm=algorithm, public_key=_pem(public_key), kms_client=kms
        )
    )
    before = len(mock.calls)
    ciphertext, _ = esdk.encrypt(
        source=b"rsa wrapped",
        keyring=keyring,
        encryption_context=CONTEXT,
        # The KMS RSA keyring cannot be used with signing suites (spec); pick the committing non-signing one.
        algorithm=aws_encryption_sdk.Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    )
    assert len(mock.calls) == before  # made outside KMS

    assert esdk.decrypt(source=ciphertext, keyring=keyring, encryption_context=CONTEXT)[0] == b"rsa wrapped"
    (decrypt,) = calls(mock, "Decrypt")
    assert decrypt.params["EncryptionAlgorithm"] == algorithm and decrypt.key_arn == key_arn and decrypt.succeeded


def test_ecdh_keyring_kms_sender_and_kms_recipient(mock, kms, mpl, esdk):
    sender = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["Arn"]
    recipient = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["Arn"]
    recipient_public = kms.get_public_key(KeyId=recipient)["PublicKey"]

    sending = mpl.create_aws_kms_ecdh_keyring(
        input=CreateAwsKmsEcdhKeyringInput(
            key_agreement_scheme=KmsEcdhStaticConfigurationsKmsPrivateKeyToStaticPublicKey(
                KmsPrivateKeyToStaticPublicKeyInput(sender_kms_identifier=sender, recipient_public_key=recipient_public)
            ),
            curve_spec="ECC_NIST_P256",
            kms_client=kms,
        )
    )
    ciphertext, _ = esdk.encrypt(source=b"agreed", keyring=sending, encryption_context=CONTEXT)
    derive = calls(mock, "DeriveSharedSecret")
    assert derive and derive[-1].key_arn == sender and derive[-1].succeeded

    receiving = mpl.create_aws_kms_ecdh_keyring(
        input=CreateAwsKmsEcdhKeyringInput(
            key_agreement_scheme=KmsEcdhStaticConfigurationsKmsPublicKeyDiscovery(
                KmsPublicKeyDiscoveryInput(recipient_kms_identifier=recipient)
            ),
            curve_spec="ECC_NIST_P256",
            kms_client=kms,
        )
    )
    assert esdk.decrypt(source=ciphertext, keyring=receiving)[0] == b"agreed"
    assert calls(mock, "DeriveSharedSecret")[-1].key_arn == recipient
    # The sender can decrypt its own messages too (same shared secret from the other side).
    assert esdk.decrypt(source=ciphertext, keyring=sending)[0] == b"agreed"


def test_mrk_keyrings_across_two_regions(mock, kms, mpl, esdk):
    require_operation("ReplicateKey")
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    replica = kms.replicate_key(KeyId=primary, ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]["Arn"]
    west = mock.client("kms", "us-west-2")

    # Encrypt in us-east-1 with the MRK multi-keyring (its default client supplier makes the client).
    encrypting = mpl.create_aws_kms_mrk_multi_keyring(input=CreateAwsKmsMrkMultiKeyringInput(generator=primary))
    ciphertext, _ = esdk.encrypt(source=b"multi-region", keyring=encrypting, encryption_context=CONTEXT)
    assert calls(mock, "GenerateDataKey")[-1].region == "us-east-1"

    # Decrypt in us-west-2 with the replica: no call goes back to us-east-1.
    decrypting = mpl.create_aws_kms_mrk_keyring(input=CreateAwsKmsMrkKeyringInput(kms_key_id=replica, kms_client=west))
    assert esdk.decrypt(source=ciphertext, keyring=decrypting, encryption_context=CONTEXT)[0] == b"multi-region"
    decrypt = calls(mock, "Decrypt")[-1]
    assert decrypt.region == "us-west-2" and decrypt.key_arn == replica and decrypt.succeeded

    # A non-MRK keyring for the replica ARN must not decrypt the primary's data key (ARNs differ).
    strict = kms_keyring(mpl, replica, west)
    with pytest.raises(AWSEncryptionSDKClientError):
        esdk.decrypt(source=ciphertext, keyring=strict)
