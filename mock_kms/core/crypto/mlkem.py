"""ML-KEM (FIPS 203) for the ``ML_KEM_512`` / ``ML_KEM_768`` / ``ML_KEM_1024`` key specs.

Pure functions over ``cryptography`` key objects: key generation (KMS keys and data key
pairs), Encapsulate and Decapsulate. Nothing here knows about keys, ARNs or key state.

What ``cryptography`` can do decides what the mock can do, checked at run time:

* ``cryptography`` >= 47 has ML-KEM-768, >= 48 ML-KEM-1024; neither has ML-KEM-512 (yet).
  Should a later release add ``MLKEM512PrivateKey`` it is picked up automatically.
* The classes exist but refuse to work when ``cryptography`` is built against a library
  without ML-KEM (OpenSSL < 3.5): ``backend.mlkem_supported()`` is then false.

A spec the installed ``cryptography`` cannot do is answered with a clear
``UnsupportedOperationException`` on first use of the key material (CreateKey and
DescribeKey still work): the mock never returns fake key material or shared secrets.

Key formats are the ones KMS documents: the public key is a DER X.509
SubjectPublicKeyInfo, a data key pair's private key a DER PKCS #8 PrivateKeyInfo "in seed
format" (the 64-byte seed d||z, so the same length for every spec) [M-doc:GenerateDataKeyPair].
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm

from mock_kms.core.errors import InvalidCiphertextException, UnsupportedOperationException

try:  # cryptography >= 47
    from cryptography.hazmat.primitives.asymmetric import mlkem as _mlkem
except ImportError:  # pragma: no cover - older cryptography
    _mlkem = None  # type: ignore[assignment]

__all__ = [
    "CIPHERTEXT_BYTES",
    "ML_KEM_SPECS",
    "SHARED_SECRET_BYTES",
    "check_ciphertext",
    "check_supported",
    "decapsulate",
    "encapsulate",
    "generate_private_key",
    "is_key_of",
    "supported",
    "unsupported_reason",
]

# Encapsulated shared secret (ciphertext) length per key spec [M-doc:Encapsulate
# SharedSecretCiphertextBlob; FIPS 203 Table 3].
CIPHERTEXT_BYTES = {"ML_KEM_512": 768, "ML_KEM_768": 1088, "ML_KEM_1024": 1568}
ML_KEM_SPECS = tuple(CIPHERTEXT_BYTES)
# "Decapsulate returns the shared secret as a 32-byte value" [M-doc:Decapsulate].
SHARED_SECRET_BYTES = 32

_CLASS_PREFIX = {"ML_KEM_512": "MLKEM512", "ML_KEM_768": "MLKEM768", "ML_KEM_1024": "MLKEM1024"}


def _classes(spec: str) -> tuple[type, type] | None:
    """(private key class, public key class) of ``cryptography`` for the spec, if it has them."""
    if _mlkem is None or spec not in _CLASS_PREFIX:
        return None
    prefix = _CLASS_PREFIX[spec]
    private_cls = getattr(_mlkem, prefix + "PrivateKey", None)
    public_cls = getattr(_mlkem, prefix + "PublicKey", None)
    if private_cls is None or public_cls is None:
        return None
    return private_cls, public_cls


def _backend_supported() -> bool:
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
    except ImportError:  # pragma: no cover
        return False
    probe = getattr(backend, "mlkem_supported", None)
    return bool(probe()) if probe is not None else False


def unsupported_reason(spec: str) -> str | None:
    """Why the installed ``cryptography`` cannot do ``spec`` (None when it can)."""
    if spec not in CIPHERTEXT_BYTES:
        return f"{spec} is not an ML-KEM key spec."
    import cryptography

    version = getattr(cryptography, "__version__", "unknown")
    if _classes(spec) is None:
        return (
            f"mock_kms does not support {spec} keys or data key pairs: the installed 'cryptography' "
            f"library ({version}) has no {spec.replace('_', '-')} implementation "
            "(it implements ML-KEM-768 from 47.0 and ML-KEM-1024 from 48.0), and the mock never "
            "returns fake key material."
        )
    if not _backend_supported():
        return (
            f"mock_kms does not support {spec} keys or data key pairs here: the installed 'cryptography' "
            f"library ({version}) is built against a cryptographic library without ML-KEM "
            "(OpenSSL 3.5+, AWS-LC or BoringSSL is needed), and the mock never returns fake key material."
        )
    return None


def supported(spec: str) -> bool:
    """Whether the installed ``cryptography`` can generate and use ``spec`` keys."""
    return unsupported_reason(spec) is None


def check_supported(spec: str) -> None:
    """Raise ``UnsupportedOperationException`` when ``spec`` cannot be done here."""
    reason = unsupported_reason(spec)
    if reason is not None:
        raise UnsupportedOperationException(reason)


def generate_private_key(spec: str) -> Any:
    """A new ``cryptography`` ML-KEM private key for ``spec`` (from a fresh random seed)."""
    check_supported(spec)
    private_cls, _ = _classes(spec)  # type: ignore[misc]
    try:
        return private_cls.generate()
    except UnsupportedAlgorithm:  # pragma: no cover - check_supported already asked the backend
        raise UnsupportedOperationException(unsupported_reason(spec) or f"{spec} is not supported.") from None


def is_key_of(key: Any, spec: str) -> bool:
    """Whether ``key`` (private or public) is a ``cryptography`` ML-KEM key of ``spec``."""
    classes = _classes(spec)
    return classes is not None and isinstance(key, classes)


def encapsulate(key: Any, spec: str) -> tuple[bytes, bytes]:
    """``(shared secret, ciphertext)`` under the public key of ``key`` (private or public).

    The shared secret is 32 random bytes, the ciphertext ``CIPHERTEXT_BYTES[spec]`` bytes.
    """
    check_supported(spec)
    if hasattr(key, "decapsulate"):
        key = key.public_key()
    shared_secret, ciphertext = key.encapsulate()
    return bytes(shared_secret), bytes(ciphertext)


def check_ciphertext(spec: str, ciphertext: bytes) -> None:
    """A ciphertext whose length does not fit the key spec -> ``InvalidCiphertextException``.

    The only decapsulation failure KMS reports [M-doc:Decapsulate]; the message is empty, as
    in AWS's other InvalidCiphertextException answers (the Decapsulate text is unrecorded).
    """
    if len(ciphertext) != CIPHERTEXT_BYTES[spec]:
        raise InvalidCiphertextException("")


def decapsulate(private_key: Any, spec: str, ciphertext: bytes) -> bytes:
    """The 32-byte shared secret for ``ciphertext``.

    Implicit rejection (FIPS 203): any ciphertext of the right length gives 32 bytes --
    the encapsulated secret when it was made under this key, otherwise a pseudo-random
    value derived from the key's secret rejection seed and the ciphertext (the same
    ciphertext always gives the same value).
    """
    ciphertext = bytes(ciphertext)
    check_ciphertext(spec, ciphertext)
    check_supported(spec)
    try:
        return bytes(private_key.decapsulate(ciphertext))
    except ValueError:  # pragma: no cover - cryptography rejects wrong lengths only
        raise InvalidCiphertextException("") from None
