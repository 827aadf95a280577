"""Asymmetric cryptography for every KMS asymmetric key spec.

Pure functions: they know nothing about keys, ARNs or key state. The caller passes the
key spec and the key material (``cryptography`` key objects) and gets bytes back, or a
:class:`~mock_kms.core.errors.KMSError` describing what AWS would answer.

Unsupported (answered with ``UnsupportedOperationException``, never faked):

* ``SM2`` key specs / ``SM2DSA`` / ``SM2PKE``: ``cryptography`` has no SM2.
* ML-KEM specs ``cryptography`` cannot do (``ML_KEM_512``; all of them where it is built
  without ML-KEM): see :mod:`mock_kms.core.crypto.mlkem`, which this module dispatches to.

``ED25519_PH_SHA_512`` (RFC 8032 Ed25519ph, which ``cryptography`` lacks) is done by the
pure-Python :mod:`mock_kms.core.crypto.ed25519ph`; ML-DSA ``EXTERNAL_MU`` uses
``cryptography``'s ``sign_mu`` / ``verify_mu``.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from mock_kms.core.crypto import ed25519ph, mlkem
from mock_kms.core.errors import (
    InvalidCiphertextException,
    InvalidKeyUsageException,
    KMSInternalException,
    KMSInvalidSignatureException,
    UnsupportedOperationException,
    ValidationException,
)

__all__ = [
    "generate_private_key",
    "generate_data_key_pair",
    "check_signing_request",
    "private_key_to_pkcs8_der",
    "private_key_from_der_or_pem",
    "public_key_der",
    "sign",
    "verify",
    "rsa_encrypt",
    "rsa_decrypt",
    "rsa_max_plaintext_length",
    "derive_shared_secret",
    "load_peer_public_key",
    "check_data_key_pair_spec",
]

# ---------------------------------------------------------------------------
# Private tables (per-algorithm facts only; spec -> usage lists live in specs.py)
# ---------------------------------------------------------------------------

_RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}

_EC_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}

_ED25519 = "ECC_NIST_EDWARDS25519"

_MLDSA: dict[str, tuple[type, type]] = {
    "ML_DSA_44": (mldsa.MLDSA44PrivateKey, mldsa.MLDSA44PublicKey),
    "ML_DSA_65": (mldsa.MLDSA65PrivateKey, mldsa.MLDSA65PublicKey),
    "ML_DSA_87": (mldsa.MLDSA87PrivateKey, mldsa.MLDSA87PublicKey),
}

_SM2 = "SM2"

_SM2_UNSUPPORTED = (
    "mock_kms does not support SM2 (key spec SM2, SM2DSA, SM2PKE, SM2 ECDH): the "
    "'cryptography' library it is built on has no SM2/SM3 implementation, and the mock "
    "never returns fake key material or signatures."
)

# Sign algorithms: name -> (family, hash class or None)
_SIGNING: dict[str, tuple[str, type[hashes.HashAlgorithm] | None]] = {
    "RSASSA_PSS_SHA_256": ("RSA_PSS", hashes.SHA256),
    "RSASSA_PSS_SHA_384": ("RSA_PSS", hashes.SHA384),
    "RSASSA_PSS_SHA_512": ("RSA_PSS", hashes.SHA512),
    "RSASSA_PKCS1_V1_5_SHA_256": ("RSA_PKCS1", hashes.SHA256),
    "RSASSA_PKCS1_V1_5_SHA_384": ("RSA_PKCS1", hashes.SHA384),
    "RSASSA_PKCS1_V1_5_SHA_512": ("RSA_PKCS1", hashes.SHA512),
    "ECDSA_SHA_256": ("ECDSA", hashes.SHA256),
    "ECDSA_SHA_384": ("ECDSA", hashes.SHA384),
    "ECDSA_SHA_512": ("ECDSA", hashes.SHA512),
    "ED25519_SHA_512": ("ED25519", hashes.SHA512),
    "ED25519_PH_SHA_512": ("ED25519_PH", hashes.SHA512),
    "ML_DSA_SHAKE_256": ("ML_DSA", None),
    "SM2DSA": ("SM2", None),
}

_RSA_SIGNING = frozenset(a for a, (f, _) in _SIGNING.items() if f in ("RSA_PSS", "RSA_PKCS1"))

# Which signing algorithms each spec accepts. ECC: one ECDSA algorithm per curve
# (DG 2023 asymmetric-key-specs; the reference notes whether newer keys accept more is
# unsettled).
_SPEC_SIGNING: dict[str, frozenset[str]] = {
    **{spec: _RSA_SIGNING for spec in _RSA_BITS},
    "ECC_NIST_P256": frozenset({"ECDSA_SHA_256"}),
    "ECC_NIST_P384": frozenset({"ECDSA_SHA_384"}),
    "ECC_NIST_P521": frozenset({"ECDSA_SHA_512"}),
    "ECC_SECG_P256K1": frozenset({"ECDSA_SHA_256"}),
    _ED25519: frozenset({"ED25519_SHA_512", "ED25519_PH_SHA_512"}),
    **{spec: frozenset({"ML_DSA_SHAKE_256"}) for spec in _MLDSA},
    _SM2: frozenset({"SM2DSA"}),
}

# Encryption algorithms: name -> OAEP hash class.
_OAEP: dict[str, type[hashes.HashAlgorithm]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
}

# Curves that can do KEY_AGREEMENT (ECDH).
_ECDH_SPECS = frozenset({"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"})

_MESSAGE_TYPES = ("RAW", "DIGEST", "EXTERNAL_MU")

# DataKeyPairSpec enum, model order.
_DATA_KEY_PAIR_SPECS = (
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SM2",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
)

_ML_KEM = frozenset(mlkem.ML_KEM_SPECS)  # generation, checks and KEM ops: core/crypto/mlkem.py

_EXTERNAL_MU_LENGTH = 64

# ML-DSA with an external mu (MessageType EXTERNAL_MU) needs cryptography's sign_mu/verify_mu.
HAS_EXTERNAL_MU = hasattr(mldsa.MLDSA44PrivateKey, "sign_mu")


def _incompatible(algorithm: str, key_spec: str) -> InvalidKeyUsageException:
    # Recorded AWS template (HMAC case): "Algorithm HMAC_SHA_256 is incompatible with key
    # spec HMAC_224." -- reused for signing / encryption / key agreement algorithms.
    return InvalidKeyUsageException(f"Algorithm {algorithm} is incompatible with key spec {key_spec}.")


def _not_asymmetric(key_spec: str) -> ValidationException:
    # Unrecorded text: only reachable if the caller passes a non-asymmetric spec.
    return ValidationException(f"Key spec {key_spec} is not an asymmetric key spec.")


# ---------------------------------------------------------------------------
# Key generation and serialisation
# ---------------------------------------------------------------------------


def generate_private_key(key_spec: str):
    """A new ``cryptography`` private key for an asymmetric KMS key spec.

    RSA_2048/3072/4096 (e=65537), ECC_NIST_P256/P384/P521, ECC_SECG_P256K1,
    ECC_NIST_EDWARDS25519, ML_DSA_44/65/87. SM2 -> ``UnsupportedOperationException``.
    """
    if key_spec in _RSA_BITS:
        from mock_kms.core.crypto import pool  # pre-generated RSA keys, each handed out once

        return pool.rsa_private_key(key_spec)
    if key_spec in _EC_CURVES:
        return ec.generate_private_key(_EC_CURVES[key_spec]())
    if key_spec == _ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    if key_spec in _MLDSA:
        return _MLDSA[key_spec][0].generate()
    if key_spec in _ML_KEM:
        return mlkem.generate_private_key(key_spec)  # UnsupportedOperationException if it can't
    if key_spec == _SM2:
        raise UnsupportedOperationException(_SM2_UNSUPPORTED)
    raise _not_asymmetric(key_spec)


def private_key_to_pkcs8_der(key) -> bytes:
    """DER PKCS#8 PrivateKeyInfo, unencrypted (ML-DSA: the seed form)."""
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_der(key) -> bytes:
    """DER X.509 SubjectPublicKeyInfo of a private or public key."""
    if hasattr(key, "public_key"):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )


def key_matches_spec(key, key_spec: str) -> bool:
    """Whether a private or public key object has the algorithm/size/curve of key_spec."""
    if key_spec in _RSA_BITS:
        return isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)) and key.key_size == _RSA_BITS[key_spec]
    if key_spec in _EC_CURVES:
        return (
            isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey))
            and key.curve.name == _EC_CURVES[key_spec].name
        )
    if key_spec == _ED25519:
        return isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey))
    if key_spec in _MLDSA:
        return isinstance(key, _MLDSA[key_spec])
    if key_spec in _ML_KEM:
        return mlkem.is_key_of(key, key_spec)
    return False


def private_key_from_der_or_pem(data: bytes, key_spec: str):
    """Load imported private key material and check it matches ``key_spec``.

    Accepts DER (PKCS#8 -- what AWS requires -- or the other DER forms ``cryptography``
    reads) or PEM, unencrypted. Undecodable material, or material whose algorithm,
    RSA size or curve differs from ``key_spec`` -> ``ValidationException`` (text
    unrecorded; the caller may re-map it for ImportKeyMaterial).
    """
    if key_spec == _SM2:
        raise UnsupportedOperationException(_SM2_UNSUPPORTED)
    if key_spec not in _RSA_BITS and key_spec not in _EC_CURVES and key_spec != _ED25519 and key_spec not in _MLDSA:
        raise _not_asymmetric(key_spec)
    data = bytes(data)
    key = None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if key is None:
        # Unrecorded text.
        raise ValidationException("The key material is not a valid unencrypted DER or PEM private key.")
    if not key_matches_spec(key, key_spec):
        # Unrecorded text.
        raise ValidationException(f"The key material does not match key spec {key_spec}.")
    return key


def check_data_key_pair_spec(key_pair_spec: str) -> None:
    """Raise what ``generate_data_key_pair`` would for this spec, without generating a key."""
    if key_pair_spec == _SM2:
        raise UnsupportedOperationException(_SM2_UNSUPPORTED)
    if key_pair_spec in _ML_KEM:
        mlkem.check_supported(key_pair_spec)
    if key_pair_spec not in _DATA_KEY_PAIR_SPECS:
        # AWS's generic enum-validation form (value-set order in real AWS is unspecified).
        raise ValidationException(
            f"1 validation error detected: Value '{key_pair_spec}' at 'keyPairSpec' failed to "
            "satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(_DATA_KEY_PAIR_SPECS)}]"
        )


def generate_data_key_pair(key_pair_spec: str) -> tuple[bytes, bytes]:
    """``(private PKCS#8 DER, public SubjectPublicKeyInfo DER)`` for a DataKeyPairSpec."""
    check_data_key_pair_spec(key_pair_spec)
    key = generate_private_key(key_pair_spec)
    return private_key_to_pkcs8_der(key), public_key_der(key)


# ---------------------------------------------------------------------------
# Sign / Verify
# ---------------------------------------------------------------------------


def _check_signing_request(key, key_spec: str, signing_algorithm: str, message: bytes, message_type: str | None):
    """Validate a Sign/Verify request; return (family, hash instance or None, message_type)."""
    if signing_algorithm not in _SPEC_SIGNING.get(key_spec, ()):
        raise _incompatible(signing_algorithm, key_spec)
    family, hash_cls = _SIGNING[signing_algorithm]
    if family == "SM2" or key_spec == _SM2:
        raise UnsupportedOperationException(_SM2_UNSUPPORTED)
    if key is not None and not key_matches_spec(key, key_spec):
        raise KMSInternalException(f"mock_kms internal error: key material does not match key spec {key_spec}.")

    if message_type is None:
        message_type = "RAW"
    if message_type not in _MESSAGE_TYPES:
        # Generic AWS enum-validation form; the set order real AWS prints is unspecified.
        raise ValidationException(
            f"1 validation error detected: Value '{message_type}' at 'messageType' failed to "
            "satisfy constraint: Member must satisfy enum value set: [RAW, DIGEST, EXTERNAL_MU]"
        )

    # MessageType / algorithm compatibility. The texts below are NOT recorded from AWS;
    # they paraphrase the documented rules (Sign.MessageType doc).
    if family == "ED25519" and message_type != "RAW":
        raise ValidationException(
            f"The {signing_algorithm} signing algorithm requires MessageType RAW, not {message_type}."
        )
    if family == "ED25519_PH" and message_type != "DIGEST":
        raise ValidationException(
            f"The {signing_algorithm} signing algorithm requires MessageType DIGEST, not {message_type}."
        )
    if message_type == "EXTERNAL_MU" and family != "ML_DSA":
        raise ValidationException(
            f"MessageType EXTERNAL_MU is only valid with ML-DSA signing algorithms, not {signing_algorithm}."
        )
    if family == "ML_DSA" and message_type == "DIGEST":
        raise ValidationException(
            f"The {signing_algorithm} signing algorithm supports MessageType RAW or EXTERNAL_MU, not DIGEST."
        )

    message = bytes(message)
    if message_type == "DIGEST":
        assert hash_cls is not None
        if len(message) != hash_cls.digest_size:
            # Recorded AWS template.
            raise ValidationException(f"Digest is invalid length for algorithm {signing_algorithm}.")
    elif message_type == "EXTERNAL_MU" and len(message) != _EXTERNAL_MU_LENGTH:
        # Unrecorded: documented rule is "must be 64 bytes"; reuses the digest template.
        raise ValidationException(f"Digest is invalid length for algorithm {signing_algorithm}.")

    if family == "ML_DSA" and message_type == "EXTERNAL_MU" and not HAS_EXTERNAL_MU:
        raise UnsupportedOperationException(
            "mock_kms cannot sign or verify ML-DSA with MessageType EXTERNAL_MU: the installed "
            "cryptography has no sign_mu/verify_mu (cryptography >= 50 has them)."
        )
    return family, (hash_cls() if hash_cls is not None else None), message_type


def check_signing_request(key_spec: str, signing_algorithm: str, message: bytes, message_type: str | None) -> None:
    """Validate a Sign/Verify request without touching key material (algorithm allowed for
    the spec, MessageType rules, digest / mu length); raises what ``sign`` would raise."""
    _check_signing_request(None, key_spec, signing_algorithm, message, message_type)


def _ed25519_seed(private_key) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _hash_arg(hash_obj: hashes.HashAlgorithm, message_type: str):
    """What to pass as ``algorithm`` to cryptography: the hash, or Prehashed(hash) for DIGEST."""
    return Prehashed(hash_obj) if message_type == "DIGEST" else hash_obj


def _pss(hash_obj: hashes.HashAlgorithm) -> padding.PSS:
    # MGF1 with the same hash, salt length = digest length (KMS DG: "PSS salt = hash length").
    return padding.PSS(mgf=padding.MGF1(type(hash_obj)()), salt_length=hash_obj.digest_size)


def sign(private_key, key_spec: str, signing_algorithm: str, message: bytes, message_type: str) -> bytes:
    """Sign ``message`` the way KMS Sign does.

    ``message_type`` RAW: the message is hashed by the algorithm's hash. DIGEST: the
    message *is* the digest (length must equal the hash length) and is not hashed again.
    Signatures: RSA per PKCS #1 (PSS: MGF1 same hash, salt = digest length), ECDSA as DER,
    Ed25519 as the 64-byte RFC 8032 signature, ML-DSA as the FIPS 204 signature (pure
    ML-DSA, empty context).

    ED25519_PH_SHA_512 (MessageType DIGEST): RFC 8032 Ed25519ph with an empty context over
    the given digest, i.e. KMS applies the SHA-512 prehash to it again (as AWS documents:
    "the input is hashed twice"). ML-DSA EXTERNAL_MU: the 64 bytes are FIPS 204's mu.
    """
    family, hash_obj, message_type = _check_signing_request(
        private_key, key_spec, signing_algorithm, message, message_type
    )
    message = bytes(message)
    if family == "RSA_PSS":
        return private_key.sign(message, _pss(hash_obj), _hash_arg(hash_obj, message_type))
    if family == "RSA_PKCS1":
        return private_key.sign(message, padding.PKCS1v15(), _hash_arg(hash_obj, message_type))
    if family == "ECDSA":
        return private_key.sign(message, ec.ECDSA(_hash_arg(hash_obj, message_type)))
    if family == "ED25519":
        return private_key.sign(message)
    if family == "ED25519_PH":
        return ed25519ph.sign(_ed25519_seed(private_key), message, prehash=True)
    if family == "ML_DSA":
        if message_type == "EXTERNAL_MU":
            return private_key.sign_mu(message)
        return private_key.sign(message)
    raise KMSInternalException(f"mock_kms internal error: unhandled signing family {family}.")  # pragma: no cover


def verify(
    public_or_private_key,
    key_spec: str,
    signing_algorithm: str,
    message: bytes,
    message_type: str,
    signature: bytes,
) -> None:
    """Verify like KMS Verify: return None if valid, else ``KMSInvalidSignatureException("")``.

    The message type need not be the one used for signing (a RAW-signed message verifies
    with its digest and MessageType DIGEST, and vice versa).
    """
    key = public_or_private_key
    if hasattr(key, "public_key"):
        key = key.public_key()
    family, hash_obj, message_type = _check_signing_request(key, key_spec, signing_algorithm, message, message_type)
    message = bytes(message)
    signature = bytes(signature)
    try:
        if family == "RSA_PSS":
            key.verify(signature, message, _pss(hash_obj), _hash_arg(hash_obj, message_type))
        elif family == "RSA_PKCS1":
            key.verify(signature, message, padding.PKCS1v15(), _hash_arg(hash_obj, message_type))
        elif family == "ECDSA":
            key.verify(signature, message, ec.ECDSA(_hash_arg(hash_obj, message_type)))
        elif family == "ED25519_PH":
            if not ed25519ph.verify(key.public_bytes_raw(), message, signature, prehash=True):
                raise InvalidSignature()
        elif family == "ML_DSA" and message_type == "EXTERNAL_MU":
            key.verify_mu(signature, message)
        elif family in ("ED25519", "ML_DSA"):
            key.verify(signature, message)
        else:  # pragma: no cover
            raise KMSInternalException(f"mock_kms internal error: unhandled signing family {family}.")
    except (InvalidSignature, ValueError):
        # AWS never answers SignatureValid=false; it fails with an empty message.
        raise KMSInvalidSignatureException("") from None


# ---------------------------------------------------------------------------
# RSA Encrypt / Decrypt
# ---------------------------------------------------------------------------


def _oaep(algorithm: str) -> padding.OAEP:
    hash_cls = _OAEP[algorithm]
    return padding.OAEP(mgf=padding.MGF1(hash_cls()), algorithm=hash_cls(), label=None)


def _check_rsa_encryption(key, key_spec: str, algorithm: str) -> None:
    if key_spec == _SM2:
        raise UnsupportedOperationException(_SM2_UNSUPPORTED)
    if key_spec not in _RSA_BITS or algorithm not in _OAEP:
        raise _incompatible(algorithm, key_spec)
    if not key_matches_spec(key, key_spec):
        raise KMSInternalException(f"mock_kms internal error: key material does not match key spec {key_spec}.")


def rsa_max_plaintext_length(key_spec: str, algorithm: str) -> int:
    """key_bytes - 2*hash_len - 2 (RSA_2048: 214 SHA_1 / 190 SHA_256, ...)."""
    if key_spec not in _RSA_BITS or algorithm not in _OAEP:
        raise _incompatible(algorithm, key_spec)
    return _RSA_BITS[key_spec] // 8 - 2 * _OAEP[algorithm].digest_size - 2


def rsa_encrypt(public_key, key_spec: str, algorithm: str, plaintext: bytes) -> bytes:
    """RSAES-OAEP (MGF1 with the same hash, empty label) encryption."""
    if hasattr(public_key, "public_key"):
        public_key = public_key.public_key()
    _check_rsa_encryption(public_key, key_spec, algorithm)
    limit = rsa_max_plaintext_length(key_spec, algorithm)
    plaintext = bytes(plaintext)
    if len(plaintext) > limit:
        # Recorded AWS template (all six RSA cases).
        raise ValidationException(
            f"Algorithm {algorithm} and key spec {key_spec} cannot encrypt data larger than {limit} bytes."
        )
    return public_key.encrypt(plaintext, _oaep(algorithm))


def rsa_decrypt(private_key, key_spec: str, algorithm: str, ciphertext: bytes) -> bytes:
    """RSAES-OAEP decryption; any failure -> ``InvalidCiphertextException("")``."""
    _check_rsa_encryption(private_key, key_spec, algorithm)
    ciphertext = bytes(ciphertext)
    if len(ciphertext) != _RSA_BITS[key_spec] // 8:
        raise InvalidCiphertextException("")
    try:
        return private_key.decrypt(ciphertext, _oaep(algorithm))
    except ValueError:
        raise InvalidCiphertextException("") from None


# ---------------------------------------------------------------------------
# Key agreement
# ---------------------------------------------------------------------------


def load_peer_public_key(key_spec: str, peer_public_key_der: bytes) -> ec.EllipticCurvePublicKey:
    """The peer's public key for ECDH with a ``key_spec`` key (no key material needed).

    Not a DER SubjectPublicKeyInfo of a point on the key's curve -> ``ValidationException("")``.
    """
    if key_spec == _SM2:
        raise UnsupportedOperationException(_SM2_UNSUPPORTED)
    if key_spec not in _ECDH_SPECS:
        raise _incompatible("ECDH", key_spec)
    try:
        peer = serialization.load_der_public_key(bytes(peer_public_key_der))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValidationException("") from None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != _EC_CURVES[key_spec].name:
        raise ValidationException("")
    return peer


def derive_shared_secret(private_key, key_spec: str, peer_public_key_der: bytes) -> bytes:
    """Raw ECDH shared secret (the x-coordinate, field-size bytes; no KDF), as KMS returns.

    ``peer_public_key_der`` must be a DER SubjectPublicKeyInfo on the key's curve; anything
    else -> ``ValidationException("")`` (AWS sends an empty message).
    """
    peer = load_peer_public_key(key_spec, peer_public_key_der)
    if not key_matches_spec(private_key, key_spec):
        raise KMSInternalException(f"mock_kms internal error: key material does not match key spec {key_spec}.")
    try:
        return private_key.exchange(ec.ECDH(), peer)
    except ValueError:
        raise ValidationException("") from None
