"""Imported key material: GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial.

Key material is made and wrapped outside the mock with `cryptography` (as a user does with
OpenSSL), and its use inside the mock is checked from outside: MACs recomputed, signatures
verified, RSA ciphertext made with the imported public key decrypted, ECDH secrets matched.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from datetime import datetime, timedelta, timezone

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from mock_kms import mock_kms

WRAPPING_ALGORITHMS = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"]
NO_EXPIRY = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}


# -- helpers: what a user does outside KMS -------------------------------------------------


def wrap(public_key_der: bytes, algorithm: str, material: bytes) -> bytes:
    """Wrap key material for import exactly as AWS documents it (OpenSSL recipes)."""
    public_key = serialization.load_der_public_key(public_key_der)
    hash_cls = hashes.SHA1 if algorithm.endswith("SHA_1") else hashes.SHA256
    oaep = padding.OAEP(mgf=padding.MGF1(hash_cls()), algorithm=hash_cls(), label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public_key.encrypt(material, oaep)
    aes_key = os.urandom(32)  # RSA_AES_KEY_WRAP: ephemeral AES key + RFC 5649 key wrap with padding
    return public_key.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)


def import_material(kms, key_id, material, *, algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048", **extra):
    parameters = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_key_spec
    )
    extra = extra or dict(NO_EXPIRY)
    return kms.import_key_material(
        KeyId=key_id,
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrap(parameters["PublicKey"], algorithm, material),
        **extra,
    )


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def pkcs8(private_key) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def spki(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@functools.cache
def rsa_key(bits: int, n: int = 0):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def external_key(kms, **kwargs) -> dict:
    return kms.create_key(Origin="EXTERNAL", **kwargs)["KeyMetadata"]


def key_object(kms_mock, key_id):
    for here in kms_mock.backend.regions():
        if key_id in here.keys:
            return here.keys[key_id]
    raise KeyError(key_id)


# -- CreateKey Origin=EXTERNAL and material that is never generated ------------------------


def test_external_key_starts_pending_import_without_material(kms, kms_mock):
    metadata = external_key(kms, Description="imported")
    assert metadata["KeyState"] == "PendingImport"
    assert metadata["Enabled"] is False
    assert metadata["Origin"] == "EXTERNAL"
    for absent in ("ExpirationModel", "ValidTo", "CurrentKeyMaterialId"):
        assert absent not in metadata
    code, message = error(kms.encrypt, KeyId=metadata["KeyId"], Plaintext=b"x")
    assert (code, message) == ("KMSInvalidStateException", f"{metadata['Arn']} is pending import.")
    assert key_object(kms_mock, metadata["KeyId"]).material.current.has_material is False


def test_external_asymmetric_key_never_generates_material(kms, kms_mock):
    key_id = external_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    code, _ = error(kms.sign, KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert code == "KMSInvalidStateException"
    material = key_object(kms_mock, key_id).material.current
    assert material.external and not material.has_material
    from mock_kms.core.errors import KMSInvalidStateException

    with pytest.raises(KMSInvalidStateException):
        material.private_key  # noqa: B018 - reading it must not generate material
    with pytest.raises(KMSInvalidStateException):
        material.secret  # noqa: B018
    assert not material.has_material


# -- GetParametersForImport ---------------------------------------------------------------


@pytest.mark.parametrize("algorithm", WRAPPING_ALGORITHMS)
@pytest.mark.parametrize("spec, bits", [("RSA_2048", 2048), ("RSA_3072", 3072), ("RSA_4096", 4096)])
def test_get_parameters_for_import_every_algorithm_and_spec(kms, kms_mock, algorithm, spec, bits):
    metadata = external_key(kms)
    before = kms_mock.clock.now()
    response = kms.get_parameters_for_import(KeyId=metadata["KeyId"], WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    assert response["KeyId"] == metadata["Arn"]
    public_key = serialization.load_der_public_key(response["PublicKey"])
    assert isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == bits
    assert isinstance(response["ImportToken"], bytes) and response["ImportToken"]
    valid_to = response["ParametersValidTo"]
    assert timedelta(hours=24) - timedelta(seconds=5) <= valid_to - before <= timedelta(hours=24, seconds=5)


def test_each_get_parameters_for_import_call_has_its_own_wrapping_key(kms):
    key_id = external_key(kms)["KeyId"]
    calls = [
        kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
        for _ in range(2)
    ]
    assert calls[0]["PublicKey"] != calls[1]["PublicKey"]
    assert calls[0]["ImportToken"] != calls[1]["ImportToken"]
    # The public key of one call does not work with the token of the other.
    code, message = error(
        kms.import_key_material,
        KeyId=key_id,
        ImportToken=calls[1]["ImportToken"],
        EncryptedKeyMaterial=wrap(calls[0]["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
        **NO_EXPIRY,
    )
    assert (code, message) == ("InvalidCiphertextException", "")


def test_get_parameters_for_import_rejects_deprecated_and_foreign_wrapping(kms):
    key_id = external_key(kms)["KeyId"]
    code, message = error(
        kms.get_parameters_for_import, KeyId=key_id, WrappingAlgorithm="RSAES_PKCS1_V1_5", WrappingKeySpec="RSA_2048"
    )
    assert code == "ValidationException" and "RSAES_PKCS1_V1_5" in message
    code, message = error(
        kms.get_parameters_for_import, KeyId=key_id, WrappingAlgorithm="SM2PKE", WrappingKeySpec="SM2"
    )
    assert code == "ValidationException" and "SM2" in message
    code, _ = error(
        kms.get_parameters_for_import, KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="SM2"
    )
    assert code == "ValidationException"


def test_import_operations_need_an_external_key(kms):
    metadata = kms.create_key()["KeyMetadata"]
    expected = (
        "UnsupportedOperationException",
        f"{metadata['Arn']} origin is AWS_KMS which is not valid for this operation.",
    )
    assert (
        error(
            kms.get_parameters_for_import,
            KeyId=metadata["KeyId"],
            WrappingAlgorithm="RSAES_OAEP_SHA_256",
            WrappingKeySpec="RSA_2048",
        )
        == expected
    )
    assert error(kms.delete_imported_key_material, KeyId=metadata["KeyId"]) == expected
    assert (
        error(
            kms.import_key_material,
            KeyId=metadata["KeyId"],
            ImportToken=b"token",
            EncryptedKeyMaterial=b"material",
            **NO_EXPIRY,
        )
        == expected
    )


def test_import_operations_on_a_key_pending_deletion(kms):
    metadata = external_key(kms)
    kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)
    expected = ("KMSInvalidStateException", f"{metadata['Arn']} is pending deletion.")
    assert (
        error(
            kms.get_parameters_for_import,
            KeyId=metadata["KeyId"],
            WrappingAlgorithm="RSAES_OAEP_SHA_256",
            WrappingKeySpec="RSA_2048",
        )
        == expected
    )


# -- ImportKeyMaterial: symmetric -----------------------------------------------------------


@pytest.mark.parametrize("algorithm", WRAPPING_ALGORITHMS)
def test_import_symmetric_material_every_wrapping_algorithm(kms, algorithm):
    metadata = external_key(kms)
    key_id = metadata["KeyId"]
    response = import_material(kms, key_id, os.urandom(32), algorithm=algorithm)
    assert response["KeyId"] == metadata["Arn"]
    assert len(response["KeyMaterialId"]) == 64
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "Enabled" and described["Enabled"] is True
    assert described["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in described
    assert described["CurrentKeyMaterialId"] == response["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext={"a": "b"})["CiphertextBlob"]
    decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})
    assert decrypted["Plaintext"] == b"secret"
    assert decrypted["KeyId"] == metadata["Arn"]
    assert decrypted["KeyMaterialId"] == response["KeyMaterialId"]


@pytest.mark.parametrize("spec", ["RSA_3072", "RSA_4096"])
def test_import_with_larger_wrapping_keys(kms, spec):
    key_id = external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32), algorithm="RSA_AES_KEY_WRAP_SHA_256", wrapping_key_spec=spec)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_import_symmetric_material_of_wrong_length(kms):
    key_id = external_key(kms)["KeyId"]
    code, message = error(import_material, kms=kms, key_id=key_id, material=os.urandom(16))
    assert code == "IncorrectKeyMaterialException" and "32 bytes" in message


def test_same_material_key_material_id_is_per_key(kms):
    material = os.urandom(32)
    first = import_material(kms, external_key(kms)["KeyId"], material)["KeyMaterialId"]
    second = import_material(kms, external_key(kms)["KeyId"], material)["KeyMaterialId"]
    assert first != second


def test_generate_data_key_with_imported_material(kms):
    key_id = external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32))
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]


# -- ciphertext is bound to its key -------------------------------------------------------


def test_ciphertext_never_decrypts_under_another_key_with_the_same_material(kms):
    material = os.urandom(32)
    first, second = external_key(kms), external_key(kms)
    import_material(kms, first["KeyId"], material)
    import_material(kms, second["KeyId"], material)
    blob = kms.encrypt(KeyId=first["KeyId"], Plaintext=b"payload")["CiphertextBlob"]
    code, message = error(kms.decrypt, CiphertextBlob=blob, KeyId=second["KeyId"])
    assert (code, message) == (
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
    assert kms.decrypt(CiphertextBlob=blob)["KeyId"] == first["Arn"]
    # Rewriting the key ARN in the (authenticated) header does not help either.
    forged = blob.replace(first["KeyId"].encode(), second["KeyId"].encode())
    assert forged != blob
    assert error(kms.decrypt, CiphertextBlob=forged) == ("InvalidCiphertextException", "")
    code, _ = error(kms.re_encrypt, CiphertextBlob=blob, SourceKeyId=second["KeyId"], DestinationKeyId=second["KeyId"])
    assert code == "IncorrectKeyException"


# -- HMAC, RSA and ECC material -----------------------------------------------------------


@pytest.mark.parametrize(
    "spec, algorithm, digest, length",
    [
        ("HMAC_224", "HMAC_SHA_224", hashlib.sha224, 28),
        ("HMAC_256", "HMAC_SHA_256", hashlib.sha256, 64),
        ("HMAC_384", "HMAC_SHA_384", hashlib.sha384, 48),
        ("HMAC_512", "HMAC_SHA_512", hashlib.sha512, 128),
    ],
)
def test_import_hmac_material(kms, spec, algorithm, digest, length):
    metadata = external_key(kms, KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")
    material = os.urandom(length)
    response = import_material(kms, metadata["KeyId"], material)
    assert response["KeyId"] == metadata["Arn"]
    described = kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Enabled"
    assert described["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "CurrentKeyMaterialId" not in described  # only symmetric encryption keys show it
    mac = kms.generate_mac(KeyId=metadata["KeyId"], Message=b"message", MacAlgorithm=algorithm)["Mac"]
    assert mac == hmac.new(material, b"message", digest).digest()


@pytest.mark.parametrize("spec, length", [("HMAC_256", 31), ("HMAC_256", 65), ("HMAC_384", 47), ("HMAC_512", 129)])
def test_import_hmac_material_of_wrong_length(kms, spec, length):
    key_id = external_key(kms, KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    code, message = error(import_material, kms=kms, key_id=key_id, material=os.urandom(length))
    assert code == "IncorrectKeyMaterialException" and spec in message


def test_hmac_material_cannot_change_after_first_import(kms):
    key_id = external_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    material = os.urandom(32)
    import_material(kms, key_id, material)
    code, _ = error(import_material, kms=kms, key_id=key_id, material=os.urandom(32))
    assert code == "IncorrectKeyMaterialException"
    import_material(kms, key_id, material)  # the same material may be reimported
    code, message = error(
        import_material, kms=kms, key_id=key_id, material=material, ImportType="NEW_KEY_MATERIAL", **NO_EXPIRY
    )
    assert code == "ValidationException" and "ImportType" in message


def test_import_rsa_signing_key(kms):
    private_key = rsa_key(2048)
    metadata = external_key(kms, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    import_material(kms, metadata["KeyId"], pkcs8(private_key), algorithm="RSA_AES_KEY_WRAP_SHA_256")
    public = kms.get_public_key(KeyId=metadata["KeyId"])
    assert public["PublicKey"] == spki(private_key)
    signature = kms.sign(KeyId=metadata["KeyId"], Message=b"hello", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    private_key.public_key().verify(
        signature, b"hello", padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
    )
    described = kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Enabled" and "CurrentKeyMaterialId" not in described


def test_import_rsa_encryption_key_with_sha1_key_wrap(kms):
    private_key = rsa_key(3072)
    key_id = external_key(kms, KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")["KeyId"]
    import_material(kms, key_id, pkcs8(private_key), algorithm="RSA_AES_KEY_WRAP_SHA_1")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    blob = private_key.public_key().encrypt(b"made outside", oaep)
    decrypted = kms.decrypt(KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert decrypted["Plaintext"] == b"made outside"


def test_rsa_private_key_too_large_for_direct_oaep_wrapping(kms):
    """An RSA private key can only be imported with RSA_AES_KEY_WRAP (it is too long for OAEP)."""
    key_id = external_key(kms, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyId"]
    parameters = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_4096"
    )
    with pytest.raises(ValueError):
        wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", pkcs8(rsa_key(2048)))


@pytest.mark.parametrize(
    "spec, curve, algorithm, hash_cls, wrapping",
    [
        ("ECC_NIST_P256", ec.SECP256R1, "ECDSA_SHA_256", hashes.SHA256, "RSAES_OAEP_SHA_256"),
        ("ECC_NIST_P384", ec.SECP384R1, "ECDSA_SHA_384", hashes.SHA384, "RSAES_OAEP_SHA_1"),
        ("ECC_NIST_P521", ec.SECP521R1, "ECDSA_SHA_512", hashes.SHA512, "RSA_AES_KEY_WRAP_SHA_256"),
        ("ECC_SECG_P256K1", ec.SECP256K1, "ECDSA_SHA_256", hashes.SHA256, "RSA_AES_KEY_WRAP_SHA_1"),
    ],
)
def test_import_ecc_signing_keys(kms, spec, curve, algorithm, hash_cls, wrapping):
    private_key = ec.generate_private_key(curve())
    metadata = external_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY", Description="test ecc key import")
    import_material(kms, metadata["KeyId"], pkcs8(private_key), algorithm=wrapping)
    described = kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Enabled"
    assert described["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert described["SigningAlgorithms"] == [algorithm]
    assert kms.get_public_key(KeyId=metadata["KeyId"])["PublicKey"] == spki(private_key)
    signed = kms.sign(KeyId=metadata["KeyId"], Message=b"payload", SigningAlgorithm=algorithm)
    assert signed["KeyId"] == metadata["Arn"]
    private_key.public_key().verify(signed["Signature"], b"payload", ec.ECDSA(hash_cls()))


def test_import_ecc_key_agreement_key(kms):
    private_key = ec.generate_private_key(ec.SECP384R1())
    key_id = external_key(kms, KeySpec="ECC_NIST_P384", KeyUsage="KEY_AGREEMENT")["KeyId"]
    import_material(kms, key_id, pkcs8(private_key))
    peer = ec.generate_private_key(ec.SECP384R1())
    shared = kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=spki(peer))["SharedSecret"]
    assert shared == peer.exchange(ec.ECDH(), private_key.public_key())


def test_asymmetric_material_must_match_the_key_spec(kms):
    key_id = external_key(kms, KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyId"]
    code, _ = error(import_material, kms=kms, key_id=key_id, material=pkcs8(ec.generate_private_key(ec.SECP256R1())))
    assert code == "IncorrectKeyMaterialException"
    pem = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    code, message = error(import_material, kms=kms, key_id=key_id, material=pem, algorithm="RSA_AES_KEY_WRAP_SHA_256")
    assert code == "IncorrectKeyMaterialException" and "PKCS #8" in message
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_asymmetric_material_cannot_change_after_first_import(kms):
    key_id = external_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    private_key = ec.generate_private_key(ec.SECP256R1())
    import_material(kms, key_id, pkcs8(private_key))
    code, _ = error(import_material, kms=kms, key_id=key_id, material=pkcs8(ec.generate_private_key(ec.SECP256R1())))
    assert code == "IncorrectKeyMaterialException"
    kms.delete_imported_key_material(KeyId=key_id)
    code, _ = error(import_material, kms=kms, key_id=key_id, material=pkcs8(ec.generate_private_key(ec.SECP256R1())))
    assert code == "IncorrectKeyMaterialException"
    import_material(kms, key_id, pkcs8(private_key))  # the same key again: usable again
    signature = kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private_key.public_key().verify(signature, b"m", ec.ECDSA(hashes.SHA256()))


# -- import tokens and unwrapping ---------------------------------------------------------


def test_expired_import_token(kms, kms_mock):
    key_id = external_key(kms)["KeyId"]
    parameters = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    kms_mock.clock.advance(hours=24, seconds=1)
    code, _ = error(
        kms.import_key_material,
        KeyId=key_id,
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
        **NO_EXPIRY,
    )
    assert code == "ExpiredImportTokenException"


def test_import_token_of_another_key_or_unknown(kms):
    first, second = external_key(kms)["KeyId"], external_key(kms)["KeyId"]
    parameters = kms.get_parameters_for_import(
        KeyId=first, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    wrapped = wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    code, _ = error(
        kms.import_key_material,
        KeyId=second,
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        **NO_EXPIRY,
    )
    assert code == "InvalidImportTokenException"
    code, _ = error(
        kms.import_key_material, KeyId=first, ImportToken=b"not a token", EncryptedKeyMaterial=wrapped, **NO_EXPIRY
    )
    assert code == "InvalidImportTokenException"
    tampered = parameters["ImportToken"][:-1] + bytes([parameters["ImportToken"][-1] ^ 1])
    code, _ = error(
        kms.import_key_material, KeyId=first, ImportToken=tampered, EncryptedKeyMaterial=wrapped, **NO_EXPIRY
    )
    assert code == "InvalidImportTokenException"


@pytest.mark.parametrize(
    "announced, used",
    [
        ("RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1"),
        ("RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1"),
        ("RSA_AES_KEY_WRAP_SHA_256", "RSAES_OAEP_SHA_256"),
        ("RSA_AES_KEY_WRAP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1"),
    ],
)
def test_material_wrapped_with_another_algorithm_does_not_unwrap(kms, announced, used):
    key_id = external_key(kms)["KeyId"]
    parameters = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=announced, WrappingKeySpec="RSA_2048")
    code, message = error(
        kms.import_key_material,
        KeyId=key_id,
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrap(parameters["PublicKey"], used, os.urandom(32)),
        **NO_EXPIRY,
    )
    assert (code, message) == ("InvalidCiphertextException", "")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"


# -- expiration ---------------------------------------------------------------------------


def test_expiration_model_validation(kms, kms_mock):
    key_id = external_key(kms)["KeyId"]
    now = kms_mock.clock.now()
    cases = [
        ({}, "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"),
        (
            {"ExpirationModel": "KEY_MATERIAL_EXPIRES"},
            "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
        ),
        ({"ValidTo": now - timedelta(minutes=1)}, "The validTo date must be in the future."),
        ({"ValidTo": now + timedelta(days=366)}, "The validTo date must be no more than 365 days in the future."),
        (
            {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ValidTo": now + timedelta(days=1)},
            "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
        ),
    ]
    parameters = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    wrapped = wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    for extra, message in cases:
        assert error(
            kms.import_key_material,
            KeyId=key_id,
            ImportToken=parameters["ImportToken"],
            EncryptedKeyMaterial=wrapped,
            **extra,
        ) == ("ValidationException", message), extra
    # 365 days exactly is fine.
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        ValidTo=now + timedelta(days=365) - timedelta(seconds=5),
    )


def test_material_expires_at_valid_to_and_reimport_restores_old_ciphertext(kms, kms_mock):
    metadata = external_key(kms)
    key_id = metadata["KeyId"]
    material = os.urandom(32)
    valid_to = (kms_mock.clock.now() + timedelta(days=2)).replace(microsecond=0)
    imported = import_material(kms, key_id, material, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert described["ValidTo"] == valid_to
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]

    kms_mock.clock.advance(days=1)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    kms_mock.clock.advance(days=1, seconds=1)
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingImport" and described["Enabled"] is False
    assert "ExpirationModel" not in described and "ValidTo" not in described
    assert described["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    assert error(kms.decrypt, CiphertextBlob=blob) == (
        "KMSInvalidStateException",
        f"{metadata['Arn']} is pending import.",
    )
    events = kms_mock.calls.filter("DeleteExpiredKeyMaterial")
    assert [event.key_arn for event in events] == [metadata["Arn"]]

    import_material(kms, key_id, material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


def test_reimport_replaces_the_expiration(kms, kms_mock):
    key_id = external_key(kms)["KeyId"]
    material = os.urandom(32)
    import_material(kms, key_id, material, ValidTo=kms_mock.clock.now() + timedelta(days=1))
    import_material(kms, key_id, material)  # now does not expire
    kms_mock.clock.advance(days=2)
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "Enabled"
    assert described["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert kms_mock.calls.filter("DeleteExpiredKeyMaterial") == []


def test_expiry_of_a_disabled_key_sends_it_to_pending_import(kms, kms_mock):
    key_id = external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32), ValidTo=kms_mock.clock.now() + timedelta(hours=1))
    kms.disable_key(KeyId=key_id)
    kms_mock.clock.advance(hours=2)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"


# -- DeleteImportedKeyMaterial ------------------------------------------------------------


def test_delete_imported_key_material_and_reimport(kms):
    metadata = external_key(kms)
    key_id = metadata["KeyId"]
    material = os.urandom(32)
    imported = import_material(kms, key_id, material)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    deleted = kms.delete_imported_key_material(KeyId=key_id)
    assert deleted["KeyId"] == metadata["Arn"]
    assert deleted["KeyMaterialId"] == imported["KeyMaterialId"]
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingImport" and described["Enabled"] is False
    assert "ExpirationModel" not in described
    assert described["CurrentKeyMaterialId"] == imported["KeyMaterialId"]  # as AWS shows it
    assert error(kms.encrypt, KeyId=key_id, Plaintext=b"x") == (
        "KMSInvalidStateException",
        f"{metadata['Arn']} is pending import.",
    )
    kms.delete_imported_key_material(KeyId=key_id)  # PendingImport: no effect, no error

    code, _message = error(import_material, kms=kms, key_id=key_id, material=os.urandom(32))
    assert code == "IncorrectKeyMaterialException"
    assert import_material(kms, key_id, material)["KeyMaterialId"] == imported["KeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old"


def test_delete_imported_hmac_material(kms):
    key_id = external_key(kms, KeySpec="HMAC_512", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    import_material(kms, key_id, os.urandom(64))
    kms.delete_imported_key_material(KeyId=key_id)
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingImport" and "ExpirationModel" not in described
    code, _ = error(kms.generate_mac, KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_512")
    assert code == "KMSInvalidStateException"


def test_delete_imported_material_of_a_key_pending_deletion_keeps_its_state(kms):
    key_id = external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32))
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    kms.delete_imported_key_material(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_delete_unknown_key_material_id(kms):
    metadata = external_key(kms)
    import_material(kms, metadata["KeyId"], os.urandom(32))
    unknown = "ab" * 32
    assert error(kms.delete_imported_key_material, KeyId=metadata["KeyId"], KeyMaterialId=unknown) == (
        "NotFoundException",
        f"Key material {unknown} does not exist for {metadata['Arn']}.",
    )


# -- ImportType, new material and on-demand rotation --------------------------------------


def test_new_key_material_waits_for_rotate_key_on_demand(kms):
    metadata = external_key(kms)
    key_id, arn = metadata["KeyId"], metadata["Arn"]
    first_material, second_material = os.urandom(32), os.urandom(32)
    first = import_material(kms, key_id, first_material)["KeyMaterialId"]
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    assert error(kms.rotate_key_on_demand, KeyId=key_id) == (
        "KMSInvalidStateException",
        f"No available key material pending rotation for the key: {arn}.",
    )

    second = import_material(
        kms, key_id, second_material, ImportType="NEW_KEY_MATERIAL", KeyMaterialDescription="second", **NO_EXPIRY
    )["KeyMaterialId"]
    assert second != first
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == first
    everything = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["ImportState"]) for r in everything] == [
        (first, "CURRENT", "IMPORTED"),
        (second, "PENDING_ROTATION", "IMPORTED"),
    ]
    assert everything[1]["KeyMaterialDescription"] == "second"

    third = os.urandom(32)
    code, message = error(
        import_material, kms=kms, key_id=key_id, material=third, ImportType="NEW_KEY_MATERIAL", **NO_EXPIRY
    )
    assert code == "KMSInvalidStateException"
    assert message.startswith("New key material (id: ")
    assert message.endswith(
        f") cannot be imported into KMS key {key_id}, because another key material (id: {second}) is pending rotation."
    )

    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] == arn
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == second
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new_blob)["KeyMaterialId"] == second
    assert kms.decrypt(CiphertextBlob=old_blob)["KeyMaterialId"] == first


def test_import_type_rules(kms):
    key_id = external_key(kms)["KeyId"]
    material = os.urandom(32)
    code, _ = error(
        import_material, kms=kms, key_id=key_id, material=material, ImportType="EXISTING_KEY_MATERIAL", **NO_EXPIRY
    )
    assert code == "IncorrectKeyMaterialException"  # nothing to re-import yet
    first = import_material(kms, key_id, material)["KeyMaterialId"]
    code, message = error(
        import_material,
        kms=kms,
        key_id=key_id,
        material=material,
        ImportType="NEW_KEY_MATERIAL",
        KeyMaterialId=first,
        **NO_EXPIRY,
    )
    assert code == "ValidationException" and "KeyMaterialId" in message
    code, _ = error(
        import_material, kms=kms, key_id=key_id, material=material, ImportType="NEW_KEY_MATERIAL", **NO_EXPIRY
    )
    assert code == "IncorrectKeyMaterialException"  # already associated with the key
    code, _ = error(import_material, kms=kms, key_id=key_id, material=material, KeyMaterialId="0" * 64, **NO_EXPIRY)
    assert code == "IncorrectKeyMaterialException"  # the id does not match the material
    again = import_material(kms, key_id, material, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=first, **NO_EXPIRY)
    assert again["KeyMaterialId"] == first


def test_a_key_needs_all_its_materials(kms):
    """After a rotation, deleting the old material makes the key PendingImport again."""
    key_id = external_key(kms)["KeyId"]
    old_material = os.urandom(32)
    first = import_material(kms, key_id, old_material)["KeyMaterialId"]
    import_material(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL", **NO_EXPIRY)
    kms.rotate_key_on_demand(KeyId=key_id)
    assert kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=first)["KeyMaterialId"] == first
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    states = {
        r["KeyMaterialId"]: r["ImportState"]
        for r in kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    }
    assert states[first] == "PENDING_IMPORT"
    import_material(kms, key_id, old_material)  # EXISTING_KEY_MATERIAL by default
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_deleting_material_pending_rotation_drops_it(kms):
    key_id = external_key(kms)["KeyId"]
    import_material(kms, key_id, os.urandom(32))
    pending = import_material(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL", **NO_EXPIRY)["KeyMaterialId"]
    kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=pending)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert error(kms.rotate_key_on_demand, KeyId=key_id)[0] == "KMSInvalidStateException"


def test_import_parameters_invalid_for_asymmetric_keys(kms):
    key_id = external_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    private = pkcs8(ec.generate_private_key(ec.SECP256R1()))
    for extra in ({"KeyMaterialDescription": "d"}, {"KeyMaterialId": "a" * 64}, {"ImportType": "NEW_KEY_MATERIAL"}):
        code, message = error(import_material, kms=kms, key_id=key_id, material=private, **extra, **NO_EXPIRY)
        assert code == "ValidationException" and next(iter(extra)) in message


# -- multi-Region keys with imported material ---------------------------------------------


def test_multi_region_imported_material(kms_mock):
    primary_client = kms_mock.client("kms", region_name="us-east-1")
    replica_client = kms_mock.client("kms", region_name="eu-west-1")
    metadata = primary_client.create_key(Origin="EXTERNAL", MultiRegion=True)["KeyMetadata"]
    key_id = metadata["KeyId"]
    material = os.urandom(32)
    first = import_material(primary_client, key_id, material)["KeyMaterialId"]
    primary_client.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
    assert replica_client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    blob = primary_client.encrypt(KeyId=key_id, Plaintext=b"across")["CiphertextBlob"]
    assert error(replica_client.decrypt, CiphertextBlob=blob)[0] == "KMSInvalidStateException"

    code, _ = error(import_material, kms=replica_client, key_id=key_id, material=os.urandom(32))
    assert code == "IncorrectKeyMaterialException"
    assert import_material(replica_client, key_id, material)["KeyMaterialId"] == first
    assert replica_client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"across"

    # New material: into the primary with NEW_KEY_MATERIAL, then into every replica.
    new_material = os.urandom(32)
    code, message = error(
        import_material,
        kms=replica_client,
        key_id=key_id,
        material=new_material,
        ImportType="NEW_KEY_MATERIAL",
        **NO_EXPIRY,
    )
    assert code == "ValidationException" and "primary" in message
    second = import_material(primary_client, key_id, new_material, ImportType="NEW_KEY_MATERIAL", **NO_EXPIRY)[
        "KeyMaterialId"
    ]
    states = {
        r["KeyMaterialId"]: r["KeyMaterialState"]
        for r in primary_client.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    }
    assert states[second] == "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
    code, message = error(primary_client.rotate_key_on_demand, KeyId=key_id)
    assert code == "KMSInvalidStateException" and "eu-west-1" in message
    import_material(replica_client, key_id, new_material, ImportType="EXISTING_KEY_MATERIAL", **NO_EXPIRY)
    primary_client.rotate_key_on_demand(KeyId=key_id)
    for client in (primary_client, replica_client):
        assert client.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == second

    # Deleting the material in the replica leaves the primary alone.
    replica_client.delete_imported_key_material(KeyId=key_id)
    assert replica_client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert primary_client.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert primary_client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"across"


def test_malformed_import_requests_get_validation_errors(kms_mock):
    client = kms_mock.client("kms", config=Config(parameter_validation=False))
    key_id = client.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    code, message = error(
        client.get_parameters_for_import, KeyId=key_id, WrappingAlgorithm="AES", WrappingKeySpec="RSA_2048"
    )
    assert code == "ValidationException" and "wrappingAlgorithm" in message
    code, message = error(
        client.import_key_material,
        KeyId=key_id,
        ImportToken=b"t",
        EncryptedKeyMaterial=b"m",
        ExpirationModel="SOMETIMES",
    )
    assert code == "ValidationException" and "expirationModel" in message


def test_valid_to_round_trips(kms):
    """ValidTo given as an aware datetime comes back in DescribeKey (to the second)."""
    key_id = external_key(kms)["KeyId"]
    valid_to = datetime.now(timezone.utc) + timedelta(days=30)
    import_material(kms, key_id, os.urandom(32), ValidTo=valid_to)
    assert abs(kms.describe_key(KeyId=key_id)["KeyMetadata"]["ValidTo"] - valid_to) < timedelta(seconds=1)


def test_import_state_survives_save_and_load(kms_mock, tmp_path):
    from mock_kms.state import load_state, save_state

    kms = kms_mock.client("kms")
    expiring, later = external_key(kms)["KeyId"], external_key(kms)["KeyId"]
    import_material(kms, expiring, os.urandom(32), ValidTo=kms_mock.clock.now() + timedelta(days=1))
    blob = kms.encrypt(KeyId=expiring, Plaintext=b"saved")["CiphertextBlob"]
    parameters = kms.get_parameters_for_import(
        KeyId=later, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    save_state(kms_mock, tmp_path / "state.json")
    with mock_kms() as loaded:
        load_state(loaded, tmp_path / "state.json")
        client = loaded.client("kms")
        assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"saved"
        # The import token (and its wrapping key) was saved too.
        client.import_key_material(
            KeyId=later,
            ImportToken=parameters["ImportToken"],
            EncryptedKeyMaterial=wrap(parameters["PublicKey"], "RSA_AES_KEY_WRAP_SHA_256", os.urandom(32)),
            **NO_EXPIRY,
        )
        assert client.describe_key(KeyId=later)["KeyMetadata"]["KeyState"] == "Enabled"
        loaded.clock.advance(days=1, seconds=1)  # the expiry is armed again after loading
        assert client.describe_key(KeyId=expiring)["KeyMetadata"]["KeyState"] == "PendingImport"
