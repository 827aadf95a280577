"""Key specs, key usages and the algorithms each combination offers (kms_spec.md §3.1).

One table drives CreateKey validation, DescribeKey/GetPublicKey algorithm lists and the
usage checks of every cryptographic operation.
"""

from __future__ import annotations

from dataclasses import dataclass

ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT = "KEY_AGREEMENT"
ENCAPSULATE_DECAPSULATE = "ENCAPSULATE_DECAPSULATE"  # ML-KEM (botocore >= 1.44)

_RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
_RSA_SIGNING = (
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
)


@dataclass(frozen=True)
class KeySpecInfo:
    """What one KeySpec allows. ``usages`` lists the KeyUsage values AWS accepts."""

    name: str
    usages: tuple[str, ...]
    encryption_algorithms: tuple[str, ...] = ()
    signing_algorithms: tuple[str, ...] = ()
    mac_algorithms: tuple[str, ...] = ()
    key_agreement_algorithms: tuple[str, ...] = ()
    encapsulation_algorithms: tuple[str, ...] = ()
    # Listed in the deprecated CustomerMasterKeySpec enum (not ML-DSA, not Ed25519).
    has_customer_master_key_spec: bool = True

    @property
    def is_symmetric(self) -> bool:
        return self.name == "SYMMETRIC_DEFAULT"

    @property
    def is_hmac(self) -> bool:
        return self.name.startswith("HMAC_")

    @property
    def is_asymmetric(self) -> bool:
        return not (self.is_symmetric or self.is_hmac)

    def algorithm_fields(self, usage: str) -> dict[str, list[str]]:
        """The KeyMetadata algorithm lists: only the one matching the key usage is present."""
        if usage == ENCRYPT_DECRYPT:
            return {"EncryptionAlgorithms": list(self.encryption_algorithms)}
        if usage == SIGN_VERIFY:
            return {"SigningAlgorithms": list(self.signing_algorithms)}
        if usage == GENERATE_VERIFY_MAC:
            return {"MacAlgorithms": list(self.mac_algorithms)}
        if usage == KEY_AGREEMENT:
            return {"KeyAgreementAlgorithms": list(self.key_agreement_algorithms)}
        if usage == ENCAPSULATE_DECAPSULATE:
            return {"EncapsulationAlgorithms": list(self.encapsulation_algorithms)}
        return {}


def _hmac(bits: int) -> KeySpecInfo:
    return KeySpecInfo(f"HMAC_{bits}", (GENERATE_VERIFY_MAC,), mac_algorithms=(f"HMAC_SHA_{bits}",))


def _rsa(bits: int) -> KeySpecInfo:
    return KeySpecInfo(
        f"RSA_{bits}",
        (ENCRYPT_DECRYPT, SIGN_VERIFY),
        encryption_algorithms=_RSA_ENCRYPTION,
        signing_algorithms=_RSA_SIGNING,
    )


def _ecc(name: str, ecdsa: str, agreement: bool) -> KeySpecInfo:
    return KeySpecInfo(
        name,
        (SIGN_VERIFY, KEY_AGREEMENT) if agreement else (SIGN_VERIFY,),
        signing_algorithms=(ecdsa,),
        key_agreement_algorithms=("ECDH",) if agreement else (),
    )


def _ml_kem(level: int) -> KeySpecInfo:
    return KeySpecInfo(
        f"ML_KEM_{level}",
        (ENCAPSULATE_DECAPSULATE,),
        encapsulation_algorithms=("ML_KEM",),
        has_customer_master_key_spec=False,
    )


def _ml_dsa(level: int) -> KeySpecInfo:
    return KeySpecInfo(
        f"ML_DSA_{level}",
        (SIGN_VERIFY,),
        signing_algorithms=("ML_DSA_SHAKE_256",),
        has_customer_master_key_spec=False,
    )


KEY_SPECS: dict[str, KeySpecInfo] = {
    info.name: info
    for info in (
        KeySpecInfo("SYMMETRIC_DEFAULT", (ENCRYPT_DECRYPT,), encryption_algorithms=("SYMMETRIC_DEFAULT",)),
        _hmac(224),
        _hmac(256),
        _hmac(384),
        _hmac(512),
        _rsa(2048),
        _rsa(3072),
        _rsa(4096),
        _ecc("ECC_NIST_P256", "ECDSA_SHA_256", agreement=True),
        _ecc("ECC_NIST_P384", "ECDSA_SHA_384", agreement=True),
        _ecc("ECC_NIST_P521", "ECDSA_SHA_512", agreement=True),
        _ecc("ECC_SECG_P256K1", "ECDSA_SHA_256", agreement=False),
        KeySpecInfo(
            "ECC_NIST_EDWARDS25519",
            (SIGN_VERIFY,),
            signing_algorithms=("ED25519_SHA_512", "ED25519_PH_SHA_512"),
            has_customer_master_key_spec=False,
        ),
        _ml_dsa(44),
        _ml_dsa(65),
        _ml_dsa(87),
        _ml_kem(512),
        _ml_kem(768),
        _ml_kem(1024),
        KeySpecInfo(
            "SM2",
            (ENCRYPT_DECRYPT, SIGN_VERIFY, KEY_AGREEMENT),
            encryption_algorithms=("SM2PKE",),
            signing_algorithms=("SM2DSA",),
            key_agreement_algorithms=("ECDH",),
        ),
    )
}

# Data key specs for GenerateDataKey: the number of bytes each names.
DATA_KEY_SPEC_BYTES = {"AES_128": 16, "AES_256": 32}
