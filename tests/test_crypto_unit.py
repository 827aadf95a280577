"""Unit tests for mock_kms.core.crypto: every result is checked with plain ``cryptography``
(or Python's ``hmac``) outside the module under test."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa

from mock_kms.core import crypto
from mock_kms.core.crypto import asymmetric
from mock_kms.core.errors import (
    InvalidCiphertextException,
    InvalidKeyUsageException,
    KMSInvalidMacException,
    KMSInvalidSignatureException,
    UnsupportedOperationException,
    ValidationException,
)

RSA_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096"]
EC_SPECS = {
    "ECC_NIST_P256": (ec.SECP256R1, "ECDSA_SHA_256", hashes.SHA256),
    "ECC_NIST_P384": (ec.SECP384R1, "ECDSA_SHA_384", hashes.SHA384),
    "ECC_NIST_P521": (ec.SECP521R1, "ECDSA_SHA_512", hashes.SHA512),
    "ECC_SECG_P256K1": (ec.SECP256K1, "ECDSA_SHA_256", hashes.SHA256),
}
MLDSA_SPECS = {
    "ML_DSA_44": mldsa.MLDSA44PublicKey,
    "ML_DSA_65": mldsa.MLDSA65PublicKey,
    "ML_DSA_87": mldsa.MLDSA87PublicKey,
}
RSA_SIGNING = {
    "RSASSA_PSS_SHA_256": ("PSS", hashes.SHA256),
    "RSASSA_PSS_SHA_384": ("PSS", hashes.SHA384),
    "RSASSA_PSS_SHA_512": ("PSS", hashes.SHA512),
    "RSASSA_PKCS1_V1_5_SHA_256": ("PKCS1", hashes.SHA256),
    "RSASSA_PKCS1_V1_5_SHA_384": ("PKCS1", hashes.SHA384),
    "RSASSA_PKCS1_V1_5_SHA_512": ("PKCS1", hashes.SHA512),
}
ALL_ASYMMETRIC = RSA_SPECS + list(EC_SPECS) + ["ECC_NIST_EDWARDS25519"] + list(MLDSA_SPECS)

MESSAGE = b"The quick brown fox jumps over the lazy dog" * 3

# Keys are generated once per test module (RSA_4096 generation takes up to ~1 s).
_KEYS: dict[str, object] = {}


def key_for(spec: str):
    if spec not in _KEYS:
        _KEYS[spec] = crypto.generate_private_key(spec)
    return _KEYS[spec]


def digest(hash_cls, data: bytes) -> bytes:
    h = hashes.Hash(hash_cls())
    h.update(data)
    return h.finalize()


def external_rsa_padding(kind: str, hash_cls):
    if kind == "PSS":
        return padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size)
    return padding.PKCS1v15()


def flip(sig: bytes) -> bytes:
    return sig[:-1] + bytes([sig[-1] ^ 0x01])


# ---------------------------------------------------------------------------
# Key generation / serialisation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ALL_ASYMMETRIC)
def test_generate_private_key_types(spec):
    key = key_for(spec)
    if spec in RSA_SPECS:
        assert isinstance(key, rsa.RSAPrivateKey)
        assert key.key_size == int(spec.split("_")[1])
        assert key.public_key().public_numbers().e == 65537
    elif spec in EC_SPECS:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert key.curve.name == EC_SPECS[spec][0].name
    elif spec == "ECC_NIST_EDWARDS25519":
        assert isinstance(key, ed25519.Ed25519PrivateKey)
    else:
        assert isinstance(key.public_key(), MLDSA_SPECS[spec])


@pytest.mark.parametrize("spec", ALL_ASYMMETRIC)
def test_serialisation_round_trip(spec):
    key = key_for(spec)
    der = crypto.private_key_to_pkcs8_der(key)
    loaded = serialization.load_der_private_key(der, password=None)
    spki = crypto.public_key_der(key)
    assert crypto.public_key_der(key.public_key()) == spki
    assert serialization.load_der_public_key(spki).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == spki
    assert crypto.public_key_der(loaded) == spki
    # Imported material: DER and PEM both accepted and validated against the spec.
    assert crypto.public_key_der(crypto.private_key_from_der_or_pem(der, spec)) == spki
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert crypto.public_key_der(crypto.private_key_from_der_or_pem(pem, spec)) == spki


@pytest.mark.parametrize(
    "material_spec,target_spec",
    [
        ("RSA_2048", "RSA_3072"),
        ("RSA_4096", "RSA_2048"),
        ("ECC_NIST_P256", "ECC_NIST_P384"),
        ("ECC_NIST_P256", "ECC_SECG_P256K1"),
        ("ECC_NIST_P521", "RSA_2048"),
        ("ECC_NIST_EDWARDS25519", "ECC_NIST_P256"),
        ("ML_DSA_44", "ML_DSA_65"),
        ("RSA_2048", "ML_DSA_87"),
    ],
)
def test_import_material_must_match_spec(material_spec, target_spec):
    der = crypto.private_key_to_pkcs8_der(key_for(material_spec))
    with pytest.raises(ValidationException, match=f"does not match key spec {target_spec}"):
        crypto.private_key_from_der_or_pem(der, target_spec)


@pytest.mark.parametrize("data", [b"", b"garbage", b"\x30\x03\x02\x01\x00", b"-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_import_material_undecodable(data):
    with pytest.raises(ValidationException):
        crypto.private_key_from_der_or_pem(data, "RSA_2048")


def test_import_public_key_is_not_private_material():
    with pytest.raises(ValidationException):
        crypto.private_key_from_der_or_pem(crypto.public_key_der(key_for("ECC_NIST_P256")), "ECC_NIST_P256")


def test_sm2_is_unsupported_everywhere():
    for call in (
        lambda: crypto.generate_private_key("SM2"),
        lambda: crypto.generate_data_key_pair("SM2"),
        lambda: crypto.private_key_from_der_or_pem(b"x", "SM2"),
        lambda: crypto.sign(None, "SM2", "SM2DSA", b"m", "RAW"),
        lambda: crypto.derive_shared_secret(None, "SM2", b"x"),
        lambda: crypto.rsa_encrypt(None, "SM2", "SM2PKE", b"m"),
    ):
        with pytest.raises(UnsupportedOperationException, match="does not support SM2"):
            call()


def test_non_asymmetric_spec_rejected():
    with pytest.raises(ValidationException):
        crypto.generate_private_key("SYMMETRIC_DEFAULT")
    with pytest.raises(ValidationException):
        crypto.generate_private_key("HMAC_256")


# ---------------------------------------------------------------------------
# Sign / Verify
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", RSA_SPECS)
@pytest.mark.parametrize("alg", list(RSA_SIGNING))
def test_rsa_sign_raw_and_digest_verify_externally(spec, alg):
    key = key_for(spec)
    pub = key.public_key()
    kind, hash_cls = RSA_SIGNING[alg]
    pad = external_rsa_padding(kind, hash_cls)

    sig_raw = crypto.sign(key, spec, alg, MESSAGE, "RAW")
    assert len(sig_raw) == key.key_size // 8
    pub.verify(sig_raw, MESSAGE, pad, hash_cls())

    d = digest(hash_cls, MESSAGE)
    sig_digest = crypto.sign(key, spec, alg, d, "DIGEST")
    # A DIGEST signature is the signature of the original message (no double hashing).
    pub.verify(sig_digest, MESSAGE, pad, hash_cls())

    # Inside verify, with either message type, with public or private key.
    crypto.verify(pub, spec, alg, MESSAGE, "RAW", sig_digest)
    crypto.verify(key, spec, alg, d, "DIGEST", sig_raw)

    with pytest.raises(KMSInvalidSignatureException) as exc:
        crypto.verify(pub, spec, alg, MESSAGE, "RAW", flip(sig_raw))
    assert exc.value.message == ""
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(pub, spec, alg, MESSAGE + b"!", "RAW", sig_raw)
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(pub, spec, alg, MESSAGE, "RAW", b"\x00" * 5)


@pytest.mark.parametrize("hash_cls", [hashes.SHA256, hashes.SHA384, hashes.SHA512])
def test_pss_salt_length_is_digest_length(hash_cls):
    key = key_for("RSA_2048")
    alg = f"RSASSA_PSS_SHA_{hash_cls.digest_size * 8}"
    sig = crypto.sign(key, "RSA_2048", alg, MESSAGE, "RAW")
    # Recover the salt length: verifying with any other fixed salt length must fail.
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        key.public_key().verify(
            sig, MESSAGE, padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size - 1), hash_cls()
        )
    key.public_key().verify(
        sig, MESSAGE, padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size), hash_cls()
    )


@pytest.mark.parametrize("spec", list(EC_SPECS))
def test_ecdsa_sign_raw_and_digest_verify_externally(spec):
    key = key_for(spec)
    pub = key.public_key()
    _, alg, hash_cls = EC_SPECS[spec]

    sig_raw = crypto.sign(key, spec, alg, MESSAGE, "RAW")
    assert sig_raw[0] == 0x30  # DER SEQUENCE
    pub.verify(sig_raw, MESSAGE, ec.ECDSA(hash_cls()))

    d = digest(hash_cls, MESSAGE)
    sig_digest = crypto.sign(key, spec, alg, d, "DIGEST")
    pub.verify(sig_digest, MESSAGE, ec.ECDSA(hash_cls()))

    crypto.verify(pub, spec, alg, d, "DIGEST", sig_raw)
    crypto.verify(pub, spec, alg, MESSAGE, "RAW", sig_digest)
    crypto.verify(key, spec, alg, MESSAGE, None, sig_raw)  # None = default RAW

    with pytest.raises(KMSInvalidSignatureException) as exc:
        crypto.verify(pub, spec, alg, MESSAGE, "RAW", flip(sig_raw))
    assert exc.value.message == ""
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(pub, spec, alg, b"other", "RAW", sig_raw)
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(pub, spec, alg, MESSAGE, "RAW", b"not der")


def test_ed25519_raw_verify_externally():
    spec, alg = "ECC_NIST_EDWARDS25519", "ED25519_SHA_512"
    key = key_for(spec)
    sig = crypto.sign(key, spec, alg, MESSAGE, "RAW")
    assert len(sig) == 64
    key.public_key().verify(sig, MESSAGE)
    # Ed25519 is deterministic: same bytes as signing directly.
    assert sig == key.sign(MESSAGE)
    crypto.verify(key.public_key(), spec, alg, MESSAGE, "RAW", sig)
    with pytest.raises(KMSInvalidSignatureException) as exc:
        crypto.verify(key.public_key(), spec, alg, MESSAGE, "RAW", flip(sig))
    assert exc.value.message == ""
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(key.public_key(), spec, alg, MESSAGE, "RAW", sig[:10])


def test_ed25519_message_type_rules():
    spec = "ECC_NIST_EDWARDS25519"
    key = key_for(spec)
    d = hashlib.sha512(MESSAGE).digest()
    with pytest.raises(ValidationException, match="requires MessageType RAW"):
        crypto.sign(key, spec, "ED25519_SHA_512", d, "DIGEST")
    with pytest.raises(ValidationException, match="requires MessageType DIGEST"):
        crypto.sign(key, spec, "ED25519_PH_SHA_512", MESSAGE, "RAW")
    with pytest.raises(ValidationException, match="requires MessageType DIGEST"):
        crypto.verify(key, spec, "ED25519_PH_SHA_512", MESSAGE, "RAW", b"x" * 64)
    with pytest.raises(ValidationException) as exc:
        crypto.sign(key, spec, "ED25519_PH_SHA_512", d[:32], "DIGEST")
    assert exc.value.message == "Digest is invalid length for algorithm ED25519_PH_SHA_512."
    # Ed25519ph (pure-Python RFC 8032, mock_kms.core.crypto.ed25519ph): round trip; a
    # signature over another digest fails. Outside verification is in test_key_specs.py.
    sig = crypto.sign(key, spec, "ED25519_PH_SHA_512", d, "DIGEST")
    crypto.verify(key, spec, "ED25519_PH_SHA_512", d, "DIGEST", sig)
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(key, spec, "ED25519_PH_SHA_512", hashlib.sha512(b"other").digest(), "DIGEST", sig)


@pytest.mark.parametrize("spec", list(MLDSA_SPECS))
def test_mldsa_raw_verify_externally(spec):
    alg = "ML_DSA_SHAKE_256"
    key = key_for(spec)
    pub = key.public_key()
    sig = crypto.sign(key, spec, alg, MESSAGE, "RAW")
    pub.verify(sig, MESSAGE)  # pure ML-DSA, empty context
    # Also verifiable from the exported SubjectPublicKeyInfo alone.
    serialization.load_der_public_key(crypto.public_key_der(key)).verify(sig, MESSAGE)
    crypto.verify(pub, spec, alg, MESSAGE, "RAW", sig)
    with pytest.raises(KMSInvalidSignatureException) as exc:
        crypto.verify(pub, spec, alg, MESSAGE, "RAW", flip(sig))
    assert exc.value.message == ""
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(pub, spec, alg, MESSAGE, "RAW", sig[:100])


@pytest.mark.parametrize("spec", list(MLDSA_SPECS))
def test_mldsa_message_types(spec):
    if not asymmetric.HAS_EXTERNAL_MU:
        pytest.skip("cryptography without ML-DSA sign_mu (< 50)")
    key = key_for(spec)
    alg = "ML_DSA_SHAKE_256"
    # EXTERNAL_MU: cryptography's sign_mu / verify_mu.
    sig = crypto.sign(key, spec, alg, b"\x01" * 64, "EXTERNAL_MU")
    key.public_key().verify_mu(sig, b"\x01" * 64)
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(key, spec, alg, b"\x02" * 64, "EXTERNAL_MU", sig)
    with pytest.raises(ValidationException) as exc:
        crypto.sign(key, spec, alg, b"\x01" * 32, "EXTERNAL_MU")
    assert exc.value.message == "Digest is invalid length for algorithm ML_DSA_SHAKE_256."
    with pytest.raises(ValidationException, match="not DIGEST"):
        crypto.sign(key, spec, alg, b"\x01" * 64, "DIGEST")


@pytest.mark.parametrize(
    "spec,alg",
    [("ECC_NIST_P256", "ECDSA_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_256"), ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512")],
)
def test_external_mu_only_for_mldsa(spec, alg):
    with pytest.raises(ValidationException, match="EXTERNAL_MU"):
        crypto.sign(key_for(spec), spec, alg, b"\x01" * 64, "EXTERNAL_MU")


def test_unknown_message_type():
    with pytest.raises(ValidationException, match="at 'messageType'"):
        crypto.sign(key_for("ECC_NIST_P256"), "ECC_NIST_P256", "ECDSA_SHA_256", MESSAGE, "HASHED")


WRONG_DIGEST_CASES = [
    ("RSA_2048", alg) for alg in RSA_SIGNING
] + [(spec, EC_SPECS[spec][1]) for spec in EC_SPECS]


@pytest.mark.parametrize("spec,alg", WRONG_DIGEST_CASES)
@pytest.mark.parametrize("op", ["sign", "verify"])
def test_wrong_digest_length_exact_message(spec, alg, op):
    key = key_for(spec)
    for bad in (MESSAGE, b"", b"\x00" * 20, hashlib.sha256(MESSAGE).digest() + b"\x00"):
        with pytest.raises(ValidationException) as exc:
            if op == "sign":
                crypto.sign(key, spec, alg, bad, "DIGEST")
            else:
                crypto.verify(key, spec, alg, bad, "DIGEST", b"sig")
        assert exc.value.message == f"Digest is invalid length for algorithm {alg}."
        assert exc.value.code == "ValidationException"


@pytest.mark.parametrize(
    "spec,alg",
    [
        ("ECC_NIST_P256", "ECDSA_SHA_384"),
        ("ECC_NIST_P256", "ECDSA_SHA_512"),
        ("ECC_NIST_P384", "ECDSA_SHA_256"),
        ("ECC_NIST_P521", "ECDSA_SHA_384"),
        ("ECC_SECG_P256K1", "ECDSA_SHA_384"),
        ("ECC_NIST_P256", "RSASSA_PSS_SHA_256"),
        ("RSA_2048", "ECDSA_SHA_256"),
        ("RSA_3072", "ED25519_SHA_512"),
        ("RSA_4096", "ML_DSA_SHAKE_256"),
        ("ECC_NIST_EDWARDS25519", "ECDSA_SHA_512"),
        ("ML_DSA_44", "ED25519_SHA_512"),
        ("ML_DSA_65", "RSASSA_PKCS1_V1_5_SHA_256"),
        ("ECC_NIST_P256", "SM2DSA"),
        ("RSA_2048", "NOT_AN_ALGORITHM"),
    ],
)
def test_incompatible_signing_algorithm(spec, alg):
    key = key_for(spec)
    with pytest.raises(InvalidKeyUsageException) as exc:
        crypto.sign(key, spec, alg, MESSAGE, "RAW")
    assert exc.value.message == f"Algorithm {alg} is incompatible with key spec {spec}."
    with pytest.raises(InvalidKeyUsageException):
        crypto.verify(key, spec, alg, MESSAGE, "RAW", b"sig")


def test_signature_from_other_key_rejected():
    spec, alg = "ECC_NIST_P256", "ECDSA_SHA_256"
    other = ec.generate_private_key(ec.SECP256R1())
    sig = other.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(KMSInvalidSignatureException):
        crypto.verify(key_for(spec), spec, alg, MESSAGE, "RAW", sig)
    # ...and a signature made outside with the right key verifies inside.
    sig = key_for(spec).sign(MESSAGE, ec.ECDSA(hashes.SHA256()))
    crypto.verify(key_for(spec), spec, alg, MESSAGE, "RAW", sig)


# ---------------------------------------------------------------------------
# RSA encryption
# ---------------------------------------------------------------------------

OAEP_HASH = {"RSAES_OAEP_SHA_1": hashes.SHA1, "RSAES_OAEP_SHA_256": hashes.SHA256}
LIMITS = {
    ("RSA_2048", "RSAES_OAEP_SHA_1"): 214,
    ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
    ("RSA_3072", "RSAES_OAEP_SHA_1"): 342,
    ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
    ("RSA_4096", "RSAES_OAEP_SHA_1"): 470,
    ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
}


def external_oaep(alg):
    h = OAEP_HASH[alg]
    return padding.OAEP(mgf=padding.MGF1(h()), algorithm=h(), label=None)


@pytest.mark.parametrize("spec,alg", list(LIMITS))
def test_rsa_encrypt_outside_decrypt_inside(spec, alg):
    key = key_for(spec)
    plaintext = b"secret data \x00\xff"
    ct = key.public_key().encrypt(plaintext, external_oaep(alg))
    assert crypto.rsa_decrypt(key, spec, alg, ct) == plaintext
    # And the other direction.
    ct2 = crypto.rsa_encrypt(key.public_key(), spec, alg, plaintext)
    assert len(ct2) == key.key_size // 8
    assert key.decrypt(ct2, external_oaep(alg)) == plaintext
    assert crypto.rsa_decrypt(key, spec, alg, crypto.rsa_encrypt(key, spec, alg, b"")) == b""


@pytest.mark.parametrize("spec,alg", list(LIMITS))
def test_rsa_size_limits_exact_messages(spec, alg):
    key = key_for(spec)
    limit = LIMITS[(spec, alg)]
    assert crypto.rsa_max_plaintext_length(spec, alg) == limit
    ct = crypto.rsa_encrypt(key.public_key(), spec, alg, b"a" * limit)
    assert crypto.rsa_decrypt(key, spec, alg, ct) == b"a" * limit
    with pytest.raises(ValidationException) as exc:
        crypto.rsa_encrypt(key.public_key(), spec, alg, b"a" * (limit + 1))
    assert exc.value.message == f"Algorithm {alg} and key spec {spec} cannot encrypt data larger than {limit} bytes."


def test_rsa_size_limit_recorded_example():
    with pytest.raises(ValidationException) as exc:
        crypto.rsa_encrypt(key_for("RSA_2048"), "RSA_2048", "RSAES_OAEP_SHA_256", b"x" * 880)
    assert exc.value.message == "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes."


def test_rsa_decrypt_failures():
    spec = "RSA_2048"
    key = key_for(spec)
    ct = crypto.rsa_encrypt(key, spec, "RSAES_OAEP_SHA_256", b"hello")
    cases = [
        ("RSAES_OAEP_SHA_256", flip(ct)),
        ("RSAES_OAEP_SHA_1", ct),  # wrong algorithm
        ("RSAES_OAEP_SHA_256", ct[:-1]),
        ("RSAES_OAEP_SHA_256", ct + b"\x00"),
        ("RSAES_OAEP_SHA_256", b""),
        ("RSAES_OAEP_SHA_256", key_for("RSA_3072").public_key().encrypt(b"hello", external_oaep("RSAES_OAEP_SHA_256"))),
    ]
    for alg, bad in cases:
        with pytest.raises(InvalidCiphertextException) as exc:
            crypto.rsa_decrypt(key, spec, alg, bad)
        assert exc.value.message == ""
    # Different RSA_2048 key.
    other = rsa.generate_private_key(65537, 2048)
    with pytest.raises(InvalidCiphertextException):
        crypto.rsa_decrypt(other, spec, "RSAES_OAEP_SHA_256", ct)


@pytest.mark.parametrize(
    "spec,alg",
    [("RSA_2048", "SYMMETRIC_DEFAULT"), ("RSA_2048", "RSAES_PKCS1_V1_5"), ("ECC_NIST_P256", "RSAES_OAEP_SHA_256")],
)
def test_rsa_encrypt_incompatible_algorithm(spec, alg):
    with pytest.raises(InvalidKeyUsageException) as exc:
        crypto.rsa_encrypt(key_for(spec), spec, alg, b"x")
    assert exc.value.message == f"Algorithm {alg} is incompatible with key spec {spec}."
    with pytest.raises(InvalidKeyUsageException):
        crypto.rsa_decrypt(key_for(spec), spec, alg, b"x" * 256)


# ---------------------------------------------------------------------------
# ECDH
# ---------------------------------------------------------------------------

ECDH_SPECS = ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"]


@pytest.mark.parametrize("spec", ECDH_SPECS)
def test_ecdh_matches_local_computation(spec):
    key = key_for(spec)
    curve = EC_SPECS[spec][0]
    peer = ec.generate_private_key(curve())
    peer_der = peer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    secret = crypto.derive_shared_secret(key, spec, peer_der)
    expected = peer.exchange(ec.ECDH(), serialization.load_der_public_key(crypto.public_key_der(key)))
    assert secret == expected
    assert len(secret) == (curve.key_size + 7) // 8


def _spki(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("spec", ECDH_SPECS)
def test_ecdh_malformed_or_wrong_curve_peer(spec):
    key = key_for(spec)
    good = _spki(ec.generate_private_key(EC_SPECS[spec][0]()))
    other_curve = {"ECC_NIST_P256": ec.SECP384R1, "ECC_NIST_P384": ec.SECP521R1, "ECC_NIST_P521": ec.SECP256R1}[spec]
    pem = ec.generate_private_key(EC_SPECS[spec][0]()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Point not on the curve: corrupt the last byte of the encoded point.
    off_curve = good[:-1] + bytes([good[-1] ^ 0x01])
    bad_peers = [
        b"",
        b"garbage",
        good[:-5],
        off_curve,
        pem,
        _spki(ec.generate_private_key(other_curve())),
        _spki(ec.generate_private_key(ec.SECP256K1())),
        _spki(ed25519.Ed25519PrivateKey.generate()),
        crypto.public_key_der(key_for("RSA_2048")),
        crypto.private_key_to_pkcs8_der(key),
    ]
    for bad in bad_peers:
        with pytest.raises(ValidationException) as exc:
            crypto.derive_shared_secret(key, spec, bad)
        assert exc.value.message == ""


@pytest.mark.parametrize("spec", ["ECC_SECG_P256K1", "RSA_2048", "ECC_NIST_EDWARDS25519", "ML_DSA_44"])
def test_ecdh_not_for_other_specs(spec):
    peer = _spki(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(InvalidKeyUsageException) as exc:
        crypto.derive_shared_secret(key_for(spec), spec, peer)
    assert exc.value.message == f"Algorithm ECDH is incompatible with key spec {spec}."


# ---------------------------------------------------------------------------
# HMAC
# ---------------------------------------------------------------------------

HMAC_CASES = {
    "HMAC_224": ("HMAC_SHA_224", hashlib.sha224, 28),
    "HMAC_256": ("HMAC_SHA_256", hashlib.sha256, 32),
    "HMAC_384": ("HMAC_SHA_384", hashlib.sha384, 48),
    "HMAC_512": ("HMAC_SHA_512", hashlib.sha512, 64),
}


@pytest.mark.parametrize("spec", list(HMAC_CASES))
def test_hmac_against_stdlib(spec):
    alg, hashfn, size = HMAC_CASES[spec]
    key = crypto.generate_hmac_key(spec)
    assert isinstance(key, bytes) and len(key) == size
    assert crypto.generate_hmac_key(spec) != key
    for message in (b"", b"a", MESSAGE, b"\x00" * 4096):
        mac = crypto.generate_mac(key, spec, alg, message)
        assert mac == hmac.new(key, message, hashfn).digest()
        crypto.verify_mac(key, spec, alg, message, mac)
    mac = crypto.generate_mac(key, spec, alg, MESSAGE)
    for bad_mac, bad_msg in ((flip(mac), MESSAGE), (mac, MESSAGE + b"x"), (mac[:-1], MESSAGE), (b"", MESSAGE)):
        with pytest.raises(KMSInvalidMacException) as exc:
            crypto.verify_mac(key, spec, alg, bad_msg, bad_mac)
        assert exc.value.message == ""
    with pytest.raises(KMSInvalidMacException):
        crypto.verify_mac(crypto.generate_hmac_key(spec), spec, alg, MESSAGE, mac)


@pytest.mark.parametrize(
    "spec,alg",
    [("HMAC_224", "HMAC_SHA_256"), ("HMAC_256", "HMAC_SHA_512"), ("HMAC_384", "HMAC_SHA_224"), ("HMAC_512", "HMAC_SHA_384")],
)
def test_hmac_incompatible_algorithm_exact_message(spec, alg):
    key = crypto.generate_hmac_key(spec)
    with pytest.raises(InvalidKeyUsageException) as exc:
        crypto.generate_mac(key, spec, alg, MESSAGE)
    assert exc.value.message == f"Algorithm {alg} is incompatible with key spec {spec}."
    with pytest.raises(InvalidKeyUsageException) as exc:
        crypto.verify_mac(key, spec, alg, MESSAGE, b"x" * 32)
    assert exc.value.message == f"Algorithm {alg} is incompatible with key spec {spec}."


def test_hmac_recorded_message():
    with pytest.raises(InvalidKeyUsageException) as exc:
        crypto.generate_mac(b"k" * 28, "HMAC_224", "HMAC_SHA_256", b"m")
    assert exc.value.message == "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."
    assert exc.value.code == "InvalidKeyUsageException"


# ---------------------------------------------------------------------------
# Data key pairs
# ---------------------------------------------------------------------------

DATA_KEY_PAIR_SPECS = RSA_SPECS + list(EC_SPECS) + ["ECC_NIST_EDWARDS25519"]


@pytest.mark.parametrize("spec", DATA_KEY_PAIR_SPECS)
def test_data_key_pair_loads_and_matches(spec):
    private_der, public_der = crypto.generate_data_key_pair(spec)
    priv = serialization.load_der_private_key(private_der, password=None)
    pub = serialization.load_der_public_key(public_der)
    # Private is PKCS#8 (re-serialising as PKCS#8 gives the same bytes), public is SPKI.
    assert priv.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) == private_der
    assert _spki(priv) == public_der
    assert pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public_der
    if spec in RSA_SPECS:
        assert isinstance(priv, rsa.RSAPrivateKey) and priv.key_size == int(spec.split("_")[1])
        sig = priv.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256())
        pub.verify(sig, MESSAGE, padding.PKCS1v15(), hashes.SHA256())
    elif spec in EC_SPECS:
        assert isinstance(priv, ec.EllipticCurvePrivateKey) and priv.curve.name == EC_SPECS[spec][0].name
        pub.verify(priv.sign(MESSAGE, ec.ECDSA(hashes.SHA256())), MESSAGE, ec.ECDSA(hashes.SHA256()))
    else:
        assert isinstance(priv, ed25519.Ed25519PrivateKey)
        pub.verify(priv.sign(MESSAGE), MESSAGE)
    # Fresh pair each call.
    if spec not in RSA_SPECS:
        assert crypto.generate_data_key_pair(spec)[0] != private_der


@pytest.mark.parametrize("spec", ["ML_DSA_44", "SYMMETRIC_DEFAULT", "HMAC_256", "BOGUS"])
def test_data_key_pair_invalid_spec(spec):
    with pytest.raises(ValidationException, match=f"Value '{spec}' at 'keyPairSpec'"):
        crypto.generate_data_key_pair(spec)
