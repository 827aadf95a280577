"""Every KeySpec x KeyUsage through boto3, with outside verification by ``cryptography``.

Keys are created once per (spec, usage) for the whole module (one module-scoped mock), so
the RSA key generations stay few: 2 per RSA size, plus one data key pair per RSA size.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from mock_kms import mock_kms
from mock_kms.core.crypto import ed25519ph
from mock_kms.core.crypto.asymmetric import HAS_EXTERNAL_MU

DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set."
MESSAGE = b"the quick brown fox jumps over the lazy dog"

RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]
RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]

# kms_spec.md §3.1, written out independently of mock_kms.core.specs.
EXPECTED: dict[str, dict[str, dict[str, list[str]]]] = {
    "SYMMETRIC_DEFAULT": {"ENCRYPT_DECRYPT": {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}},
    **{f"HMAC_{n}": {"GENERATE_VERIFY_MAC": {"MacAlgorithms": [f"HMAC_SHA_{n}"]}} for n in (224, 256, 384, 512)},
    **{
        f"RSA_{n}": {
            "ENCRYPT_DECRYPT": {"EncryptionAlgorithms": RSA_ENCRYPTION},
            "SIGN_VERIFY": {"SigningAlgorithms": RSA_SIGNING},
        }
        for n in (2048, 3072, 4096)
    },
    **{
        f"ECC_NIST_P{n}": {
            "SIGN_VERIFY": {"SigningAlgorithms": [f"ECDSA_SHA_{h}"]},
            "KEY_AGREEMENT": {"KeyAgreementAlgorithms": ["ECDH"]},
        }
        for n, h in ((256, 256), (384, 384), (521, 512))
    },
    "ECC_SECG_P256K1": {"SIGN_VERIFY": {"SigningAlgorithms": ["ECDSA_SHA_256"]}},
    "ECC_NIST_EDWARDS25519": {"SIGN_VERIFY": {"SigningAlgorithms": ["ED25519_SHA_512", "ED25519_PH_SHA_512"]}},
    **{f"ML_DSA_{n}": {"SIGN_VERIFY": {"SigningAlgorithms": ["ML_DSA_SHAKE_256"]}} for n in (44, 65, 87)},
}
NO_CUSTOMER_MASTER_KEY_SPEC = {"ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87"}
USAGES = ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]
ALGORITHM_FIELDS = ["EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms"]

VALID = [(spec, usage) for spec, usages in EXPECTED.items() for usage in usages]
INVALID = [(spec, usage) for spec, usages in EXPECTED.items() for usage in USAGES if usage not in usages]
ASYMMETRIC = [(spec, usage) for spec, usage in VALID if not spec.startswith(("SYMMETRIC", "HMAC"))]

SIGNING = [(spec, alg) for spec, usages in EXPECTED.items() for alg in usages.get("SIGN_VERIFY", {}).get("SigningAlgorithms", [])]
HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


def _hash_for(alg: str):
    for suffix, cls in HASHES.items():
        if alg.endswith(suffix):
            return cls()
    raise AssertionError(alg)


def error(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(*args, **kwargs)
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


# ---------------------------------------------------------------------------
# Fixtures: one mock and one key per (spec, usage) for the module
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock():
    with mock_kms() as m:
        yield m


@pytest.fixture(scope="module")
def client(mock):
    return mock.client("kms")


@pytest.fixture(scope="module")
def raw_client(mock):
    """Sends anything: botocore's own parameter validation is off."""
    return mock.client("kms", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def key(client):
    cache: dict[tuple[str, str], dict] = {}

    def get(spec: str, usage: str) -> dict:
        if (spec, usage) not in cache:
            cache[spec, usage] = client.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
        return cache[spec, usage]

    return get


@pytest.fixture(scope="module")
def public_key(client, key):
    cache: dict[tuple[str, str], object] = {}

    def get(spec: str, usage: str):
        if (spec, usage) not in cache:
            der = client.get_public_key(KeyId=key(spec, usage)["Arn"])["PublicKey"]
            cache[spec, usage] = serialization.load_der_public_key(der)
        return cache[spec, usage]

    return get


def _material(mock, metadata: dict):
    """White-box: the key's current KeyMaterial (only for the laziness tests)."""
    region = metadata["Arn"].split(":")[3]
    return mock.backend.region(metadata["AWSAccountId"], region).keys[metadata["KeyId"]].material.current


# ---------------------------------------------------------------------------
# CreateKey / DescribeKey
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec,usage", VALID)
def test_create_and_describe_key_metadata(client, spec, usage):
    created = client.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    described = client.describe_key(KeyId=created["KeyId"])["KeyMetadata"]
    for metadata in (created, described):
        assert metadata["KeySpec"] == spec
        assert metadata["KeyUsage"] == usage
        assert metadata["KeyState"] == "Enabled" and metadata["Origin"] == "AWS_KMS"
        if spec in NO_CUSTOMER_MASTER_KEY_SPEC:
            assert "CustomerMasterKeySpec" not in metadata
        else:
            assert metadata["CustomerMasterKeySpec"] == spec
        expected = EXPECTED[spec][usage]
        assert {f: metadata[f] for f in ALGORITHM_FIELDS if f in metadata} == expected
        assert ("CurrentKeyMaterialId" in metadata) == (spec == "SYMMETRIC_DEFAULT")


def test_symmetric_default_needs_no_usage(client):
    metadata = client.create_key(KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]
    assert metadata["KeyUsage"] == "ENCRYPT_DECRYPT"


def test_legacy_customer_master_key_spec(client):
    metadata = client.create_key(CustomerMasterKeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert metadata["KeySpec"] == metadata["CustomerMasterKeySpec"] == "ECC_NIST_P384"
    assert metadata["SigningAlgorithms"] == ["ECDSA_SHA_384"]


@pytest.mark.parametrize("spec", [s for s in EXPECTED if s != "SYMMETRIC_DEFAULT"])
def test_key_usage_required_except_symmetric(client, spec):
    assert error(client.create_key, KeySpec=spec) == (
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
    )


@pytest.mark.parametrize("spec,usage", INVALID)
def test_invalid_spec_usage_combinations(client, spec, usage):
    assert error(client.create_key, KeySpec=spec, KeyUsage=usage) == (
        "ValidationException",
        f"KeyUsage {usage} is not compatible with KeySpec {spec}",
    )


@pytest.mark.parametrize("spec", ["SYMMETRIC_DEFAULT", "RSA_4096", "ECC_NIST_P521", "ECC_NIST_EDWARDS25519", "HMAC_512", "ML_DSA_87"])
def test_create_key_generates_no_material(mock, client, spec):
    """CreateKey and DescribeKey never pay for a key generation (white-box)."""
    usage = next(iter(EXPECTED[spec]))
    metadata = client.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    client.describe_key(KeyId=metadata["KeyId"])
    client.list_keys()
    assert not _material(mock, metadata).has_material
    if spec == "RSA_4096":
        return  # first use generates it; not paid for here (test_get_public_key covers it)
    if spec.startswith(("ECC", "ML_DSA")):
        client.get_public_key(KeyId=metadata["KeyId"])
    elif spec.startswith("HMAC"):
        client.generate_mac(KeyId=metadata["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_512")
    else:
        client.encrypt(KeyId=metadata["KeyId"], Plaintext=b"m")
    assert _material(mock, metadata).has_material


def test_create_rsa_4096_is_instant(client):
    client.create_key(KeySpec="SYMMETRIC_DEFAULT")  # warm-up
    start = time.perf_counter()
    for _ in range(10):
        client.create_key(KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY")
    # One RSA-4096 generation alone takes ~100-1000 ms; ten CreateKeys must cost far less.
    assert (time.perf_counter() - start) / 10 < 0.05


# ---------------------------------------------------------------------------
# SM2 (China Regions only; the mock cannot do SM2 cryptography)
# ---------------------------------------------------------------------------


def test_sm2_outside_china_rejected(client):
    code, _ = error(client.create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    assert code == "ValidationException"


@pytest.mark.parametrize(
    "usage,field,algorithms",
    [
        ("ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["SM2PKE"]),
        ("SIGN_VERIFY", "SigningAlgorithms", ["SM2DSA"]),
        ("KEY_AGREEMENT", "KeyAgreementAlgorithms", ["ECDH"]),
    ],
)
def test_sm2_in_china_metadata_then_clear_error(mock, usage, field, algorithms):
    cn = mock.client("kms", region_name="cn-north-1")
    metadata = cn.create_key(KeySpec="SM2", KeyUsage=usage)["KeyMetadata"]
    assert metadata["Arn"].startswith("arn:aws-cn:kms:cn-north-1:")
    assert metadata[field] == algorithms and metadata["CustomerMasterKeySpec"] == "SM2"
    code, message = error(cn.get_public_key, KeyId=metadata["KeyId"])
    assert code == "UnsupportedOperationException" and "SM2" in message
    if usage == "SIGN_VERIFY":
        code, message = error(cn.sign, KeyId=metadata["KeyId"], Message=b"m", SigningAlgorithm="SM2DSA")
    elif usage == "ENCRYPT_DECRYPT":
        code, message = error(cn.encrypt, KeyId=metadata["KeyId"], Plaintext=b"m", EncryptionAlgorithm="SM2PKE")
    else:
        peer = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        code, message = error(cn.derive_shared_secret, KeyId=metadata["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    assert code == "UnsupportedOperationException" and "SM2" in message


# ---------------------------------------------------------------------------
# GetPublicKey
# ---------------------------------------------------------------------------


def _check_public_key_type(spec: str, public) -> None:
    if spec.startswith("RSA_"):
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == int(spec[4:])
        assert public.public_numbers().e == 65537
    elif spec == "ECC_NIST_EDWARDS25519":
        assert isinstance(public, ed25519.Ed25519PublicKey)
    elif spec.startswith("ML_DSA_"):
        expected = {"ML_DSA_44": mldsa.MLDSA44PublicKey, "ML_DSA_65": mldsa.MLDSA65PublicKey, "ML_DSA_87": mldsa.MLDSA87PublicKey}
        assert isinstance(public, expected[spec])
    else:
        curves = {"ECC_NIST_P256": "secp256r1", "ECC_NIST_P384": "secp384r1", "ECC_NIST_P521": "secp521r1", "ECC_SECG_P256K1": "secp256k1"}
        assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == curves[spec]


@pytest.mark.parametrize("spec,usage", ASYMMETRIC)
def test_get_public_key(client, key, spec, usage):
    metadata = key(spec, usage)
    response = client.get_public_key(KeyId=metadata["KeyId"])
    response.pop("ResponseMetadata")
    public_der = response.pop("PublicKey")
    expected = {"KeyId": metadata["Arn"], "KeySpec": spec, "KeyUsage": usage, **EXPECTED[spec][usage]}
    if spec not in NO_CUSTOMER_MASTER_KEY_SPEC:
        expected["CustomerMasterKeySpec"] = spec
    assert response == expected
    public = serialization.load_der_public_key(public_der)
    # DER SubjectPublicKeyInfo, exactly as cryptography would encode it.
    assert public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public_der
    _check_public_key_type(spec, public)
    # Stable across calls.
    assert client.get_public_key(KeyId=metadata["Arn"])["PublicKey"] == public_der


@pytest.mark.parametrize("spec,usage", [("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("HMAC_256", "GENERATE_VERIFY_MAC")])
def test_get_public_key_of_symmetric_and_hmac_keys(client, key, spec, usage):
    metadata = key(spec, usage)
    code, message = error(client.get_public_key, KeyId=metadata["KeyId"])
    assert code == "UnsupportedOperationException"
    assert message.startswith(metadata["Arn"])  # text unrecorded


def test_get_public_key_by_alias(client, key):
    metadata = key("ECC_NIST_P256", "SIGN_VERIFY")
    client.create_alias(AliasName="alias/spec-p256", TargetKeyId=metadata["KeyId"])
    assert client.get_public_key(KeyId="alias/spec-p256")["KeyId"] == metadata["Arn"]


# ---------------------------------------------------------------------------
# RSA Encrypt / Decrypt / ReEncrypt
# ---------------------------------------------------------------------------

RSA_LIMITS = {
    ("RSA_2048", "RSAES_OAEP_SHA_1"): 214,
    ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
    ("RSA_3072", "RSAES_OAEP_SHA_1"): 342,
    ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
    ("RSA_4096", "RSAES_OAEP_SHA_1"): 470,
    ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
}


def _oaep(alg: str) -> padding.OAEP:
    h = hashes.SHA1() if alg.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


@pytest.mark.parametrize("spec,alg", list(RSA_LIMITS))
def test_rsa_encrypt_decrypt_and_limits(client, key, public_key, spec, alg):
    metadata = key(spec, "ENCRYPT_DECRYPT")
    limit = RSA_LIMITS[spec, alg]
    modulus_bytes = int(spec[4:]) // 8
    plaintext = bytes(range(256)) * 2
    # Largest allowed plaintext, inside round trip.
    response = client.encrypt(KeyId=metadata["KeyId"], Plaintext=plaintext[:limit], EncryptionAlgorithm=alg)
    assert response["KeyId"] == metadata["Arn"] and response["EncryptionAlgorithm"] == alg
    blob = response["CiphertextBlob"]
    assert len(blob) == modulus_bytes
    decrypted = client.decrypt(KeyId=metadata["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm=alg)
    assert decrypted["Plaintext"] == plaintext[:limit]
    assert decrypted["KeyId"] == metadata["Arn"] and decrypted["EncryptionAlgorithm"] == alg
    # Ciphertext made outside with the public key decrypts inside.
    outside = public_key(spec, "ENCRYPT_DECRYPT").encrypt(b"made outside", _oaep(alg))
    assert client.decrypt(KeyId=metadata["Arn"], CiphertextBlob=outside, EncryptionAlgorithm=alg)["Plaintext"] == b"made outside"
    # One byte over: AWS's recorded message.
    assert error(client.encrypt, KeyId=metadata["KeyId"], Plaintext=plaintext[: limit + 1], EncryptionAlgorithm=alg) == (
        "ValidationException",
        f"Algorithm {alg} and key spec {spec} cannot encrypt data larger than {limit} bytes.",
    )
    # Decrypting with the other OAEP hash fails like AWS: InvalidCiphertextException, empty message.
    other = RSA_ENCRYPTION[1 - RSA_ENCRYPTION.index(alg)]
    assert error(client.decrypt, KeyId=metadata["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm=other) == (
        "InvalidCiphertextException",
        "",
    )


def test_rsa_ciphertext_is_randomized(client, key):
    kid = key("RSA_2048", "ENCRYPT_DECRYPT")["KeyId"]
    a = client.encrypt(KeyId=kid, Plaintext=b"same", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    b = client.encrypt(KeyId=kid, Plaintext=b"same", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    assert a != b


def test_rsa_decrypt_needs_key_id_and_algorithm(client, key, public_key):
    metadata = key("RSA_2048", "ENCRYPT_DECRYPT")
    blob = public_key("RSA_2048", "ENCRYPT_DECRYPT").encrypt(b"x", _oaep("RSAES_OAEP_SHA_256"))
    # Without KeyId, an RSA ciphertext names no key.
    assert error(client.decrypt, CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256") == ("InvalidCiphertextException", "")
    # Without EncryptionAlgorithm, SYMMETRIC_DEFAULT is assumed (AWS's text, seen from the Java SDK).
    assert error(client.decrypt, KeyId=metadata["KeyId"], CiphertextBlob=blob) == (
        "InvalidKeyUsageException",
        "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.",
    )
    assert error(client.encrypt, KeyId=metadata["KeyId"], Plaintext=b"x") == (
        "InvalidKeyUsageException",
        "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.",
    )
    # Garbage of the wrong length.
    assert error(client.decrypt, KeyId=metadata["KeyId"], CiphertextBlob=b"\x01" * 10, EncryptionAlgorithm="RSAES_OAEP_SHA_256") == (
        "InvalidCiphertextException",
        "",
    )
    # Encryption context is for symmetric keys only.
    code, _ = error(
        client.encrypt, KeyId=metadata["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256", EncryptionContext={"a": "b"}
    )
    assert code == "ValidationException"


def test_symmetric_key_rejects_rsa_algorithms(client, key):
    kid = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")["KeyId"]
    assert error(client.encrypt, KeyId=kid, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1") == (
        "InvalidKeyUsageException",
        "Algorithm RSAES_OAEP_SHA_1 is incompatible with key spec SYMMETRIC_DEFAULT.",
    )


def test_re_encrypt_between_symmetric_and_rsa(client, key, public_key):
    sym = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    rsa_a = key("RSA_2048", "ENCRYPT_DECRYPT")
    rsa_b = key("RSA_3072", "ENCRYPT_DECRYPT")
    blob = client.encrypt(KeyId=sym["KeyId"], Plaintext=b"secret", EncryptionContext={"k": "v"})["CiphertextBlob"]

    # symmetric -> RSA
    to_rsa = client.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"k": "v"},
        DestinationKeyId=rsa_a["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert to_rsa["KeyId"] == rsa_a["Arn"] and to_rsa["SourceKeyId"] == sym["Arn"]
    assert to_rsa["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert to_rsa["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert "DestinationKeyMaterialId" not in to_rsa
    assert len(to_rsa["CiphertextBlob"]) == 256
    plain = client.decrypt(KeyId=rsa_a["KeyId"], CiphertextBlob=to_rsa["CiphertextBlob"], EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert plain["Plaintext"] == b"secret"

    # RSA -> RSA (SourceKeyId required)
    to_rsa_b = client.re_encrypt(
        CiphertextBlob=to_rsa["CiphertextBlob"],
        SourceKeyId=rsa_a["KeyId"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationKeyId=rsa_b["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1",
    )
    assert len(to_rsa_b["CiphertextBlob"]) == 384
    assert client.decrypt(KeyId=rsa_b["Arn"], CiphertextBlob=to_rsa_b["CiphertextBlob"], EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"secret"

    # RSA (made outside) -> symmetric
    outside = public_key("RSA_3072", "ENCRYPT_DECRYPT").encrypt(b"outside", _oaep("RSAES_OAEP_SHA_1"))
    to_sym = client.re_encrypt(
        CiphertextBlob=outside,
        SourceKeyId=rsa_b["Arn"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_1",
        DestinationKeyId=sym["KeyId"],
        DestinationEncryptionContext={"n": "1"},
    )
    assert to_sym["SourceKeyId"] == rsa_b["Arn"] and to_sym["KeyId"] == sym["Arn"]
    assert "DestinationKeyMaterialId" in to_sym and "SourceKeyMaterialId" not in to_sym
    assert client.decrypt(CiphertextBlob=to_sym["CiphertextBlob"], EncryptionContext={"n": "1"})["Plaintext"] == b"outside"

    # No destination context on an RSA key; no RSA source without SourceKeyId.
    code, _ = error(
        client.re_encrypt,
        CiphertextBlob=blob,
        SourceEncryptionContext={"k": "v"},
        DestinationKeyId=rsa_a["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationEncryptionContext={"x": "y"},
    )
    assert code == "ValidationException"
    assert error(
        client.re_encrypt, CiphertextBlob=outside, SourceEncryptionAlgorithm="RSAES_OAEP_SHA_1", DestinationKeyId=sym["KeyId"]
    ) == ("InvalidCiphertextException", "")


def test_re_encrypt_into_rsa_respects_size_limit(client, key):
    sym = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    rsa_key = key("RSA_2048", "ENCRYPT_DECRYPT")
    blob = client.encrypt(KeyId=sym["KeyId"], Plaintext=b"z" * 191)["CiphertextBlob"]
    assert error(
        client.re_encrypt, CiphertextBlob=blob, DestinationKeyId=rsa_key["KeyId"], DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256"
    ) == ("ValidationException", "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.")


# ---------------------------------------------------------------------------
# Sign / Verify
# ---------------------------------------------------------------------------


def _verify_outside(spec: str, alg: str, public, signature: bytes, message: bytes, message_type: str) -> None:
    """Verify a KMS signature with `cryptography` only (raises InvalidSignature)."""
    if alg.startswith("RSASSA_PSS"):
        h = _hash_for(alg)
        algorithm = Prehashed(h) if message_type == "DIGEST" else h
        # Salt length equal to the digest length, MGF1 with the same hash.
        public.verify(signature, message, padding.PSS(mgf=padding.MGF1(type(h)()), salt_length=h.digest_size), algorithm)
    elif alg.startswith("RSASSA_PKCS1"):
        h = _hash_for(alg)
        public.verify(signature, message, padding.PKCS1v15(), Prehashed(h) if message_type == "DIGEST" else h)
    elif alg.startswith("ECDSA"):
        h = _hash_for(alg)
        public.verify(signature, message, ec.ECDSA(Prehashed(h) if message_type == "DIGEST" else h))
    elif alg == "ED25519_SHA_512":
        public.verify(signature, message)
    elif alg == "ED25519_PH_SHA_512":
        # `cryptography` has no Ed25519ph; RFC 8032 HashEdDSA over the given digest (KMS
        # hashes it again), checked with the module whose output matches RFC 8032 7.3.
        if not ed25519ph.verify(public.public_bytes_raw(), message, signature, prehash=True):
            raise InvalidSignature()
    elif alg == "ML_DSA_SHAKE_256":
        if message_type == "EXTERNAL_MU":
            public.verify_mu(signature, message)
        else:
            public.verify(signature, message)
    else:
        raise AssertionError(alg)


def test_external_mu_without_cryptography_support_is_a_clear_error(client, key, monkeypatch):
    from mock_kms.core.crypto import asymmetric

    monkeypatch.setattr(asymmetric, "HAS_EXTERNAL_MU", False)
    kid = key("ML_DSA_44", "SIGN_VERIFY")["KeyId"]
    code, message = error(client.sign, KeyId=kid, Message=b"\x01" * 64, MessageType="EXTERNAL_MU", SigningAlgorithm="ML_DSA_SHAKE_256")
    assert code == "UnsupportedOperationException" and "EXTERNAL_MU" in message


def _message_types(alg: str) -> list[str]:
    if alg == "ED25519_SHA_512":
        return ["RAW"]
    if alg == "ED25519_PH_SHA_512":
        return ["DIGEST"]
    if alg == "ML_DSA_SHAKE_256":
        return ["RAW", "EXTERNAL_MU"] if HAS_EXTERNAL_MU else ["RAW"]
    return ["RAW", "DIGEST"]


def _mu(public, message: bytes) -> bytes:
    """FIPS 204 mu for pure ML-DSA with an empty context, computed outside the mock."""
    tr = hashlib.shake_256(public.public_bytes_raw()).digest(64)
    return hashlib.shake_256(tr + b"\x00\x00" + message).digest(64)


def _input_for(alg: str, message_type: str, public, message: bytes) -> bytes:
    if message_type == "DIGEST":
        return hashlib.new(_hash_for(alg).name, message).digest()
    if message_type == "EXTERNAL_MU":
        return _mu(public, message)
    return message


@pytest.mark.parametrize("spec,alg", SIGNING)
def test_sign_verifies_outside_and_inside(client, key, public_key, spec, alg):
    metadata = key(spec, "SIGN_VERIFY")
    public = public_key(spec, "SIGN_VERIFY")
    for message_type in _message_types(alg):
        signed = _input_for(alg, message_type, public, MESSAGE)
        response = client.sign(KeyId=metadata["KeyId"], Message=signed, MessageType=message_type, SigningAlgorithm=alg)
        response.pop("ResponseMetadata")
        signature = response.pop("Signature")
        assert response == {"KeyId": metadata["Arn"], "SigningAlgorithm": alg}
        _verify_outside(spec, alg, public, signature, signed, message_type)
        if message_type in ("DIGEST", "EXTERNAL_MU") and alg != "ED25519_PH_SHA_512":
            # A digest / mu is signed as given, never hashed again: the signature is one
            # over the original message.
            _verify_outside(spec, alg, public, signature, MESSAGE, "RAW")
        verified = client.verify(
            KeyId=metadata["KeyId"], Message=signed, MessageType=message_type, Signature=signature, SigningAlgorithm=alg
        )
        verified.pop("ResponseMetadata")
        assert verified == {"KeyId": metadata["Arn"], "SignatureValid": True, "SigningAlgorithm": alg}
        # A signature over another message: KMSInvalidSignatureException with an empty message.
        other = _input_for(alg, message_type, public, b"another message")
        assert error(
            client.verify, KeyId=metadata["KeyId"], Message=other, MessageType=message_type, Signature=signature, SigningAlgorithm=alg
        ) == ("KMSInvalidSignatureException", "")
        # Garbage signatures are invalid signatures, not internal errors.
        for garbage in (b"\x00", signature[:-1], bytes(len(signature))):
            assert error(
                client.verify, KeyId=metadata["KeyId"], Message=signed, MessageType=message_type, Signature=garbage, SigningAlgorithm=alg
            ) == ("KMSInvalidSignatureException", "")


@pytest.mark.parametrize("spec,alg", [(s, a) for s, a in SIGNING if _message_types(a) == ["RAW", "DIGEST"]])
def test_verify_message_type_need_not_match_signing(client, key, spec, alg):
    kid = key(spec, "SIGN_VERIFY")["KeyId"]
    digest = hashlib.new(_hash_for(alg).name, MESSAGE).digest()
    raw_sig = client.sign(KeyId=kid, Message=MESSAGE, SigningAlgorithm=alg)["Signature"]
    assert client.verify(KeyId=kid, Message=digest, MessageType="DIGEST", Signature=raw_sig, SigningAlgorithm=alg)["SignatureValid"]
    digest_sig = client.sign(KeyId=kid, Message=digest, MessageType="DIGEST", SigningAlgorithm=alg)["Signature"]
    assert client.verify(KeyId=kid, Message=MESSAGE, Signature=digest_sig, SigningAlgorithm=alg)["SignatureValid"]


needs_external_mu = pytest.mark.skipif(not HAS_EXTERNAL_MU, reason="cryptography without ML-DSA sign_mu (< 50)")


@needs_external_mu
@pytest.mark.parametrize("spec", ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"])
def test_ml_dsa_external_mu_equals_raw(client, key, public_key, spec):
    kid = key(spec, "SIGN_VERIFY")["KeyId"]
    mu = _mu(public_key(spec, "SIGN_VERIFY"), MESSAGE)
    sig = client.sign(KeyId=kid, Message=mu, MessageType="EXTERNAL_MU", SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    # A signature over mu is a signature over the message, and vice versa.
    assert client.verify(KeyId=kid, Message=MESSAGE, Signature=sig, SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]
    raw = client.sign(KeyId=kid, Message=MESSAGE, SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
    assert client.verify(KeyId=kid, Message=mu, MessageType="EXTERNAL_MU", Signature=raw, SigningAlgorithm="ML_DSA_SHAKE_256")[
        "SignatureValid"
    ]


def test_rsa_pss_salt_is_digest_length(client, key, public_key):
    kid = key("RSA_2048", "SIGN_VERIFY")["KeyId"]
    public = public_key("RSA_2048", "SIGN_VERIFY")
    sig = client.sign(KeyId=kid, Message=MESSAGE, SigningAlgorithm="RSASSA_PSS_SHA_384")["Signature"]
    public.verify(sig, MESSAGE, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
    with pytest.raises(InvalidSignature):
        public.verify(sig, MESSAGE, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=0), hashes.SHA384())


def test_ecdsa_signature_is_der(client, key):
    sig = client.sign(KeyId=key("ECC_NIST_P384", "SIGN_VERIFY")["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_384")["Signature"]
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

    assert sig[0] == 0x30 and encode_dss_signature(*decode_dss_signature(sig)) == sig


def test_ed25519_signature_is_deterministic_rfc8032(client, key):
    kid = key("ECC_NIST_EDWARDS25519", "SIGN_VERIFY")["KeyId"]
    a = client.sign(KeyId=kid, Message=MESSAGE, SigningAlgorithm="ED25519_SHA_512")["Signature"]
    assert len(a) == 64 and a == client.sign(KeyId=kid, Message=MESSAGE, SigningAlgorithm="ED25519_SHA_512")["Signature"]
    digest = hashlib.sha512(MESSAGE).digest()
    ph = client.sign(KeyId=kid, Message=digest, MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")["Signature"]
    assert len(ph) == 64 and ph != a


@pytest.mark.parametrize(
    "spec,alg",
    [("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"), ("ECC_NIST_P521", "ECDSA_SHA_512"),
     ("RSA_2048", "RSASSA_PSS_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_512"), ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384"),
     ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512")],
)
def test_wrong_digest_length(client, key, spec, alg):
    kid = key(spec, "SIGN_VERIFY")["KeyId"]
    for call, extra in ((client.sign, {}), (client.verify, {"Signature": b"\x01" * 64})):
        assert error(call, KeyId=kid, Message=MESSAGE, MessageType="DIGEST", SigningAlgorithm=alg, **extra) == (
            "ValidationException",
            f"Digest is invalid length for algorithm {alg}.",
        )


@pytest.mark.parametrize(
    "spec,alg",
    [("ECC_NIST_P256", "ECDSA_SHA_384"), ("ECC_NIST_P521", "ECDSA_SHA_256"), ("ECC_SECG_P256K1", "ECDSA_SHA_512"),
     ("RSA_2048", "ECDSA_SHA_256"), ("ECC_NIST_P256", "RSASSA_PSS_SHA_256"), ("ECC_NIST_EDWARDS25519", "ECDSA_SHA_512"),
     ("ML_DSA_44", "ED25519_SHA_512"), ("RSA_3072", "ML_DSA_SHAKE_256"), ("ECC_NIST_P384", "SM2DSA")],
)
def test_algorithm_not_supported_by_key(client, key, spec, alg):
    kid = key(spec, "SIGN_VERIFY")["KeyId"]
    expected = ("InvalidKeyUsageException", f"Algorithm {alg} is incompatible with key spec {spec}.")
    assert error(client.sign, KeyId=kid, Message=MESSAGE, SigningAlgorithm=alg) == expected
    assert error(client.verify, KeyId=kid, Message=MESSAGE, Signature=b"\x01" * 64, SigningAlgorithm=alg) == expected


@pytest.mark.parametrize(
    "spec,alg,message_type,length",
    [("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "DIGEST", 64), ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", "RAW", 64),
     ("ML_DSA_65", "ML_DSA_SHAKE_256", "DIGEST", 64), ("ECC_NIST_P256", "ECDSA_SHA_256", "EXTERNAL_MU", 64),
     ("RSA_2048", "RSASSA_PSS_SHA_512", "EXTERNAL_MU", 64), ("ML_DSA_44", "ML_DSA_SHAKE_256", "EXTERNAL_MU", 32)],
)
def test_message_type_rules(client, key, spec, alg, message_type, length):
    # Texts unrecorded except the length one; the code is AWS's ValidationException.
    code, message = error(client.sign, KeyId=key(spec, "SIGN_VERIFY")["KeyId"], Message=b"\x07" * length, MessageType=message_type, SigningAlgorithm=alg)
    assert code == "ValidationException" and message


@pytest.mark.parametrize(
    "spec,usage,operation",
    [("RSA_2048", "ENCRYPT_DECRYPT", "Sign"), ("HMAC_224", "GENERATE_VERIFY_MAC", "Sign"), ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Verify"),
     ("ECC_NIST_P256", "KEY_AGREEMENT", "Sign"), ("ECC_NIST_P384", "KEY_AGREEMENT", "Verify")],
)
def test_sign_verify_wrong_usage(client, key, spec, usage, operation):
    metadata = key(spec, usage)
    call = client.sign if operation == "Sign" else client.verify
    extra = {} if operation == "Sign" else {"Signature": b"\x01" * 64}
    assert error(call, KeyId=metadata["KeyId"], Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256", **extra) == (
        "InvalidKeyUsageException",
        f"{metadata['Arn']} key usage is {usage} which is not valid for {operation}.",
    )


@pytest.mark.parametrize(
    "spec,usage,operation,kwargs",
    [
        ("SIGN", "SIGN_VERIFY", "encrypt", {"Plaintext": b"x", "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
        ("SIGN", "SIGN_VERIFY", "generate_mac", {"Message": b"x", "MacAlgorithm": "HMAC_SHA_256"}),
        ("SIGN", "SIGN_VERIFY", "derive_shared_secret", {"KeyAgreementAlgorithm": "ECDH", "PublicKey": b"\x01" * 10}),
        ("RSA_ENC", "ENCRYPT_DECRYPT", "verify_mac", {"Message": b"x", "MacAlgorithm": "HMAC_SHA_256", "Mac": b"m"}),
        ("AGREE", "KEY_AGREEMENT", "encrypt", {"Plaintext": b"x", "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}),
        ("HMAC", "GENERATE_VERIFY_MAC", "generate_data_key_pair", {"KeyPairSpec": "ECC_NIST_P256"}),
        ("HMAC", "GENERATE_VERIFY_MAC", "derive_shared_secret", {"KeyAgreementAlgorithm": "ECDH", "PublicKey": b"\x01" * 10}),
    ],
)
def test_wrong_usage_everywhere(client, key, spec, usage, operation, kwargs):
    specs = {"SIGN": "ECC_NIST_P256", "RSA_ENC": "RSA_2048", "AGREE": "ECC_NIST_P256", "HMAC": "HMAC_256"}
    metadata = key(specs[spec], usage)
    op_name = "".join(part.title() for part in operation.split("_"))
    assert error(getattr(client, operation), KeyId=metadata["KeyId"], **kwargs) == (
        "InvalidKeyUsageException",
        f"{metadata['Arn']} key usage is {usage} which is not valid for {op_name}.",
    )


def test_sign_on_disabled_key(client):
    metadata = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    client.disable_key(KeyId=metadata["KeyId"])
    assert error(client.sign, KeyId=metadata["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256") == (
        "DisabledException",
        f"{metadata['Arn']} is disabled.",
    )
    assert error(client.get_public_key, KeyId=metadata["KeyId"]) == ("DisabledException", f"{metadata['Arn']} is disabled.")


# ---------------------------------------------------------------------------
# GenerateMac / VerifyMac
# ---------------------------------------------------------------------------

HMAC_SPECS = [(f"HMAC_{n}", f"HMAC_SHA_{n}", n // 8) for n in (224, 256, 384, 512)]


@pytest.mark.parametrize("spec,alg,length", HMAC_SPECS)
def test_generate_and_verify_mac(mock, client, key, spec, alg, length):
    metadata = key(spec, "GENERATE_VERIFY_MAC")
    response = client.generate_mac(KeyId=metadata["KeyId"], Message=MESSAGE, MacAlgorithm=alg)
    response.pop("ResponseMetadata")
    mac = response.pop("Mac")
    assert response == {"KeyId": metadata["Arn"], "MacAlgorithm": alg}
    assert len(mac) == length
    assert client.generate_mac(KeyId=metadata["KeyId"], Message=MESSAGE, MacAlgorithm=alg)["Mac"] == mac
    # White-box: the standard RFC 2104 HMAC of the key's material.
    assert mac == hmac.new(_material(mock, metadata).secret, MESSAGE, _hash_name(alg)).digest()
    verified = client.verify_mac(KeyId=metadata["KeyId"], Message=MESSAGE, Mac=mac, MacAlgorithm=alg)
    verified.pop("ResponseMetadata")
    assert verified == {"KeyId": metadata["Arn"], "MacValid": True, "MacAlgorithm": alg}
    assert error(client.verify_mac, KeyId=metadata["KeyId"], Message=b"other", Mac=mac, MacAlgorithm=alg) == ("KMSInvalidMacException", "")
    assert error(client.verify_mac, KeyId=metadata["KeyId"], Message=MESSAGE, Mac=mac[:-1], MacAlgorithm=alg) == ("KMSInvalidMacException", "")
    other = client.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    assert error(client.verify_mac, KeyId=other, Message=MESSAGE, Mac=mac, MacAlgorithm=alg) == ("KMSInvalidMacException", "")


def _hash_name(mac_alg: str) -> str:
    return "sha" + mac_alg.rsplit("_", 1)[1]


def test_mac_algorithm_bound_to_spec(client, key):
    kid224 = key("HMAC_224", "GENERATE_VERIFY_MAC")["KeyId"]
    kid256 = key("HMAC_256", "GENERATE_VERIFY_MAC")["KeyId"]
    assert error(client.generate_mac, KeyId=kid224, Message=b"m", MacAlgorithm="HMAC_SHA_256") == (
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.",
    )
    assert error(client.verify_mac, KeyId=kid256, Message=b"m", Mac=b"x" * 32, MacAlgorithm="HMAC_SHA_512") == (
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.",
    )


def test_mac_on_symmetric_key(client, key):
    metadata = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert error(client.generate_mac, KeyId=metadata["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256") == (
        "InvalidKeyUsageException",
        f"{metadata['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.",
    )


# ---------------------------------------------------------------------------
# GenerateDataKeyPair / GenerateDataKeyPairWithoutPlaintext
# ---------------------------------------------------------------------------

PAIR_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"]


def _check_pair(spec: str, private_der: bytes, public_der: bytes) -> None:
    private = serialization.load_der_private_key(private_der, password=None)
    # PKCS#8 PrivateKeyInfo, unencrypted.
    assert private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()) == private_der
    public = serialization.load_der_public_key(public_der)
    assert public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public_der
    assert private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public_der
    _check_public_key_type(spec, public)
    # The pair works: sign outside with the private key, verify with the public key.
    if spec.startswith("RSA_"):
        public.verify(private.sign(b"m", padding.PKCS1v15(), hashes.SHA256()), b"m", padding.PKCS1v15(), hashes.SHA256())
    elif spec == "ECC_NIST_EDWARDS25519":
        public.verify(private.sign(b"m"), b"m")
    else:
        public.verify(private.sign(b"m", ec.ECDSA(hashes.SHA256())), b"m", ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("spec", PAIR_SPECS)
def test_generate_data_key_pair(client, key, spec):
    sym = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    context = {"purpose": "test", "spec": spec}
    response = client.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec=spec, EncryptionContext=context)
    response.pop("ResponseMetadata")
    assert set(response) == {"PrivateKeyCiphertextBlob", "PrivateKeyPlaintext", "PublicKey", "KeyId", "KeyPairSpec", "KeyMaterialId"}
    assert response["KeyId"] == sym["Arn"] and response["KeyPairSpec"] == spec
    assert response["KeyMaterialId"] == client.describe_key(KeyId=sym["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    _check_pair(spec, response["PrivateKeyPlaintext"], response["PublicKey"])
    decrypted = client.decrypt(CiphertextBlob=response["PrivateKeyCiphertextBlob"], EncryptionContext=context)
    assert decrypted["Plaintext"] == response["PrivateKeyPlaintext"] and decrypted["KeyId"] == sym["Arn"]
    assert error(client.decrypt, CiphertextBlob=response["PrivateKeyCiphertextBlob"]) == ("InvalidCiphertextException", "")


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"])
def test_generate_data_key_pair_without_plaintext(client, key, spec):
    sym = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    response = client.generate_data_key_pair_without_plaintext(KeyId=sym["KeyId"], KeyPairSpec=spec)
    response.pop("ResponseMetadata")
    assert set(response) == {"PrivateKeyCiphertextBlob", "PublicKey", "KeyId", "KeyPairSpec", "KeyMaterialId"}
    assert response["KeyId"] == sym["Arn"] and response["KeyPairSpec"] == spec
    private_der = client.decrypt(CiphertextBlob=response["PrivateKeyCiphertextBlob"])["Plaintext"]
    _check_pair(spec, private_der, response["PublicKey"])


def _model_has_data_key_pair_spec(spec: str) -> bool:
    from mock_kms.wire.model import service_model

    return spec in service_model().shape_for("DataKeyPairSpec").enum


@pytest.mark.skipif(not _model_has_data_key_pair_spec("ML_KEM_768"), reason="botocore < 1.44 has no ML-KEM")
@pytest.mark.parametrize("spec,cls", [("ML_KEM_768", mlkem.MLKEM768PrivateKey), ("ML_KEM_1024", mlkem.MLKEM1024PrivateKey)])
def test_generate_data_key_pair_ml_kem(client, key, spec, cls):
    sym = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    response = client.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec=spec)
    private = serialization.load_der_private_key(response["PrivateKeyPlaintext"], password=None)
    assert isinstance(private, cls)
    public = serialization.load_der_public_key(response["PublicKey"])
    shared, encapsulated = public.encapsulate()
    assert private.decapsulate(encapsulated) == shared


@pytest.mark.parametrize("spec", ["SM2", "ML_KEM_512"])
def test_generate_data_key_pair_unsupported_specs(client, key, spec):
    if not _model_has_data_key_pair_spec(spec):
        pytest.skip(f"the installed botocore has no {spec} DataKeyPairSpec")
    code, message = error(client.generate_data_key_pair, KeyId=key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")["KeyId"], KeyPairSpec=spec)
    assert code == "UnsupportedOperationException" and spec in message


@pytest.mark.parametrize("spec,usage", [("RSA_2048", "ENCRYPT_DECRYPT"), ("ECC_NIST_P256", "SIGN_VERIFY")])
def test_generate_data_key_pair_needs_symmetric_key(client, key, spec, usage):
    metadata = key(spec, usage)
    for call in (client.generate_data_key_pair, client.generate_data_key_pair_without_plaintext):
        code, message = error(call, KeyId=metadata["KeyId"], KeyPairSpec="ECC_NIST_P256")
        assert code == "InvalidKeyUsageException" and message.startswith(metadata["Arn"])


# ---------------------------------------------------------------------------
# DeriveSharedSecret
# ---------------------------------------------------------------------------

ECDH_CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1}


def _spki(public) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("spec", list(ECDH_CURVES))
def test_derive_shared_secret_matches_local_ecdh(client, key, public_key, spec):
    metadata = key(spec, "KEY_AGREEMENT")
    peer = ec.generate_private_key(ECDH_CURVES[spec]())
    response = client.derive_shared_secret(KeyId=metadata["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=_spki(peer.public_key()))
    response.pop("ResponseMetadata")
    secret = response.pop("SharedSecret")
    assert response == {"KeyId": metadata["Arn"], "KeyAgreementAlgorithm": "ECDH", "KeyOrigin": "AWS_KMS"}
    assert secret == peer.exchange(ec.ECDH(), public_key(spec, "KEY_AGREEMENT"))
    assert len(secret) == (ECDH_CURVES[spec].key_size + 7) // 8


MALFORMED_PEERS = {
    "garbage": lambda: b"InvalidPublicKey",
    "other-curve": lambda: _spki(ec.generate_private_key(ec.SECP384R1()).public_key()),
    "not-ec": lambda: _spki(ed25519.Ed25519PrivateKey.generate().public_key()),
    "truncated": lambda: _spki(ec.generate_private_key(ec.SECP256R1()).public_key())[:-5],
    "raw-point": lambda: ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    ),
}


@pytest.mark.parametrize("kind", list(MALFORMED_PEERS))
def test_derive_shared_secret_malformed_peer(client, key, kind):
    peer = MALFORMED_PEERS[kind]()
    kid = key("ECC_NIST_P256", "KEY_AGREEMENT")["KeyId"]
    assert error(client.derive_shared_secret, KeyId=kid, KeyAgreementAlgorithm="ECDH", PublicKey=peer) == ("ValidationException", "")


def test_derive_shared_secret_wrong_usage(client, key):
    for spec, usage in (("ECC_NIST_P256", "SIGN_VERIFY"), ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")):
        metadata = key(spec, usage)
        peer = _spki(ec.generate_private_key(ec.SECP256R1()).public_key())
        assert error(client.derive_shared_secret, KeyId=metadata["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer) == (
            "InvalidKeyUsageException",
            f"{metadata['Arn']} key usage is {usage} which is not valid for DeriveSharedSecret.",
        )


def test_secp256k1_cannot_do_key_agreement(client):
    assert error(client.create_key, KeySpec="ECC_SECG_P256K1", KeyUsage="KEY_AGREEMENT") == (
        "ValidationException",
        "KeyUsage KEY_AGREEMENT is not compatible with KeySpec ECC_SECG_P256K1",
    )


# ---------------------------------------------------------------------------
# DryRun
# ---------------------------------------------------------------------------


def _dry_run_calls(client, key):
    sign = key("ECC_NIST_P256", "SIGN_VERIFY")["KeyId"]
    mac = key("HMAC_256", "GENERATE_VERIFY_MAC")["KeyId"]
    sym = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")["KeyId"]
    agree = key("ECC_NIST_P256", "KEY_AGREEMENT")["KeyId"]
    peer = _spki(ec.generate_private_key(ec.SECP256R1()).public_key())
    return {
        "Sign": (client.sign, dict(KeyId=sign, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")),
        "Verify": (client.verify, dict(KeyId=sign, Message=b"m", Signature=b"bad", SigningAlgorithm="ECDSA_SHA_256")),
        "GenerateMac": (client.generate_mac, dict(KeyId=mac, Message=b"m", MacAlgorithm="HMAC_SHA_256")),
        "VerifyMac": (client.verify_mac, dict(KeyId=mac, Message=b"m", Mac=b"bad", MacAlgorithm="HMAC_SHA_256")),
        "GenerateDataKeyPair": (client.generate_data_key_pair, dict(KeyId=sym, KeyPairSpec="RSA_4096")),
        "GenerateDataKeyPairWithoutPlaintext": (client.generate_data_key_pair_without_plaintext, dict(KeyId=sym, KeyPairSpec="RSA_4096")),
        "DeriveSharedSecret": (client.derive_shared_secret, dict(KeyId=agree, KeyAgreementAlgorithm="ECDH", PublicKey=peer)),
    }


@pytest.mark.parametrize(
    "operation",
    ["Sign", "Verify", "GenerateMac", "VerifyMac", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "DeriveSharedSecret"],
)
def test_dry_run(client, key, monkeypatch, operation):
    call, kwargs = _dry_run_calls(client, key)[operation]

    def no_crypto(*args, **kwargs):
        raise AssertionError("DryRun must stop before the cryptography")

    for name in ("sign", "verify", "generate_mac", "verify_mac", "generate_data_key_pair", "derive_shared_secret"):
        monkeypatch.setattr(f"mock_kms.core.crypto.{name}", no_crypto)
    # Even an invalid signature / MAC: DryRun answers before any cryptography is done.
    assert error(call, DryRun=True, **kwargs) == ("DryRunOperationException", DRY_RUN_MESSAGE)


def test_dry_run_validates_first(client, key):
    sign = key("ECC_NIST_P256", "SIGN_VERIFY")
    assert error(client.sign, KeyId=sign["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256", DryRun=True) == (
        "ValidationException",
        "Digest is invalid length for algorithm ECDSA_SHA_256.",
    )
    assert error(client.generate_mac, KeyId=sign["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256", DryRun=True) == (
        "InvalidKeyUsageException",
        f"{sign['Arn']} key usage is SIGN_VERIFY which is not valid for GenerateMac.",
    )
    agree = key("ECC_NIST_P256", "KEY_AGREEMENT")["KeyId"]
    assert error(client.derive_shared_secret, KeyId=agree, KeyAgreementAlgorithm="ECDH", PublicKey=b"junk", DryRun=True) == (
        "ValidationException",
        "",
    )
    sym = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")["KeyId"]
    assert error(client.generate_data_key_pair, KeyId=sym, KeyPairSpec="SM2", DryRun=True)[0] == "UnsupportedOperationException"
    disabled = client.create_key(KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    client.disable_key(KeyId=disabled["KeyId"])
    assert error(client.generate_mac, KeyId=disabled["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_384", DryRun=True) == (
        "DisabledException",
        f"{disabled['Arn']} is disabled.",
    )


def test_dry_run_generates_no_material(mock, client):
    metadata = client.create_key(KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert error(client.sign, KeyId=metadata["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256", DryRun=True)[0] == (
        "DryRunOperationException"
    )
    assert not _material(mock, metadata).has_material


# ---------------------------------------------------------------------------
# Malformed input past botocore's validation: AWS error codes, never KMSInternalException
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def malformed_cases(key):
    sign = key("ECC_NIST_P256", "SIGN_VERIFY")["KeyId"]
    mac = key("HMAC_256", "GENERATE_VERIFY_MAC")["KeyId"]
    sym = key("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")["KeyId"]
    agree = key("ECC_NIST_P256", "KEY_AGREEMENT")["KeyId"]
    rsa_enc = key("RSA_2048", "ENCRYPT_DECRYPT")["KeyId"]
    return {
        "get_public_key": [({}, "ValidationException"), ({"KeyId": ""}, "ValidationException"), ({"KeyId": "nope"}, "NotFoundException")],
        "sign": [
            ({"KeyId": sign, "Message": b"m"}, "ValidationException"),
            ({"KeyId": sign, "Message": b"", "SigningAlgorithm": "ECDSA_SHA_256"}, "ValidationException"),
            ({"KeyId": sign, "Message": b"m" * 4097, "SigningAlgorithm": "ECDSA_SHA_256"}, "ValidationException"),
            ({"KeyId": sign, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_1"}, "ValidationException"),
            ({"KeyId": sign, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256", "MessageType": "HASHED"}, "ValidationException"),
            ({"KeyId": sign, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256", "GrantTokens": ["t"] * 11}, "ValidationException"),
            ({"KeyId": "x" * 2049, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"}, "ValidationException"),
        ],
        "verify": [
            ({"KeyId": sign, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"}, "ValidationException"),
            ({"KeyId": sign, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256", "Signature": b""}, "ValidationException"),
            ({"KeyId": sign, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256", "Signature": b"s" * 6145}, "ValidationException"),
            ({"KeyId": sign, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256", "Signature": b"\x30\x02\x02\x00"}, "KMSInvalidSignatureException"),
        ],
        "generate_mac": [
            ({"KeyId": mac, "Message": b"m"}, "ValidationException"),
            ({"KeyId": mac, "Message": b"m", "MacAlgorithm": "INVALID"}, "ValidationException"),
            ({"KeyId": mac, "MacAlgorithm": "HMAC_SHA_256"}, "ValidationException"),
        ],
        "verify_mac": [
            ({"KeyId": mac, "Message": b"m", "MacAlgorithm": "HMAC_SHA_256"}, "ValidationException"),
            ({"KeyId": mac, "Message": b"m", "MacAlgorithm": "HMAC_SHA_256", "Mac": b""}, "ValidationException"),
            ({"KeyId": mac, "Message": b"m", "MacAlgorithm": "INVALID", "Mac": b"x"}, "ValidationException"),
        ],
        "generate_data_key_pair": [
            ({"KeyId": sym}, "ValidationException"),
            ({"KeyId": sym, "KeyPairSpec": "RSA_1024"}, "ValidationException"),
            ({"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256", "EncryptionContext": {"k": "v" * 9000}}, None),
            ({"KeyPairSpec": "RSA_2048"}, "ValidationException"),
        ],
        "generate_data_key_pair_without_plaintext": [
            ({"KeyId": sym}, "ValidationException"),
            ({"KeyId": sym, "KeyPairSpec": "bogus"}, "ValidationException"),
        ],
        "derive_shared_secret": [
            ({"KeyId": agree, "KeyAgreementAlgorithm": "ECDH"}, "ValidationException"),
            ({"KeyId": agree, "KeyAgreementAlgorithm": "INVALID", "PublicKey": b"x"}, "ValidationException"),
            ({"KeyId": agree, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b""}, "ValidationException"),
            ({"KeyId": agree, "KeyAgreementAlgorithm": "ECDH", "PublicKey": b"\x30" * 9000}, "ValidationException"),
        ],
        "encrypt": [({"KeyId": rsa_enc, "Plaintext": b"x", "EncryptionAlgorithm": "RSAES_PKCS1"}, "ValidationException")],
        "decrypt": [({"KeyId": rsa_enc, "CiphertextBlob": b"x" * 256, "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"}, "InvalidCiphertextException")],
    }


@pytest.mark.parametrize(
    "operation",
    ["get_public_key", "sign", "verify", "generate_mac", "verify_mac", "generate_data_key_pair",
     "generate_data_key_pair_without_plaintext", "derive_shared_secret", "encrypt", "decrypt"],
)
def test_malformed_input(raw_client, malformed_cases, operation):
    for kwargs, expected in malformed_cases[operation]:
        if expected is None:  # accepted or refused, but never an internal error
            try:
                getattr(raw_client, operation)(**kwargs)
            except ClientError as exc:
                assert exc.response["Error"]["Code"] != "KMSInternalException", exc.response
            continue
        code, message = error(getattr(raw_client, operation), **kwargs)
        assert code == expected, (operation, kwargs, code, message)


def test_enum_error_text(raw_client, key):
    kid = key("ECC_NIST_P256", "KEY_AGREEMENT")["KeyId"]
    assert error(raw_client.derive_shared_secret, KeyId=kid, KeyAgreementAlgorithm="INVALID", PublicKey=b"x") == (
        "ValidationException",
        "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ECDH]",
    )
