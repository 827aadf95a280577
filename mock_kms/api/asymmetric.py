"""GetPublicKey, Sign, Verify, GenerateMac, VerifyMac, GenerateDataKeyPair(+WithoutPlaintext),
DeriveSharedSecret (kms_spec.md §3).

Every handler follows the same order as AWS: resolve the key, authorize, check its state
(``ctx.use_key``), check the key usage (``InvalidKeyUsageException``), validate the
algorithm and message against the key spec, then honour DryRun, and only then touch the
key material (generated lazily on first use, see ``core.keys``).
"""

from __future__ import annotations

from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.crypto import SYMMETRIC_DEFAULT, _reject_recipient, encrypt_with, require_symmetric, require_usage
from mock_kms.api.registry import operation
from mock_kms.core import crypto
from mock_kms.core.errors import InvalidKeyUsageException, UnsupportedOperationException
from mock_kms.core.keys import Key
from mock_kms.core.specs import GENERATE_VERIFY_MAC, KEY_AGREEMENT, SIGN_VERIFY


def _incompatible(algorithm: str, key: Key) -> InvalidKeyUsageException:
    # Recorded AWS template: "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."
    return InvalidKeyUsageException(f"Algorithm {algorithm} is incompatible with key spec {key.spec.name}.")


# ---------------------------------------------------------------------------
# GetPublicKey
# ---------------------------------------------------------------------------


@operation("GetPublicKey")
def get_public_key(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key()
    spec = key.spec
    if not spec.is_asymmetric:
        # AWS answers UnsupportedOperationException for symmetric and HMAC keys; its text
        # is unrecorded.
        raise UnsupportedOperationException(f"{key.arn} key spec is {spec.name} which is not valid for GetPublicKey.")
    result: dict[str, Any] = {
        "KeyId": key.arn,
        "PublicKey": crypto.public_key_der(key.material.current.private_key),
        "KeySpec": spec.name,
        "KeyUsage": key.key_usage,
    }
    if spec.has_customer_master_key_spec:
        result["CustomerMasterKeySpec"] = spec.name
    result.update(spec.algorithm_fields(key.key_usage))
    return result


# ---------------------------------------------------------------------------
# Sign / Verify
# ---------------------------------------------------------------------------


def _signing_request(ctx: RequestContext) -> tuple[Key, str, bytes, str]:
    params = ctx.params
    key = ctx.use_key()
    require_usage(key, SIGN_VERIFY, ctx.operation)
    algorithm = params["SigningAlgorithm"]
    message = params["Message"]
    message_type = params.get("MessageType") or "RAW"
    crypto.check_signing_request(key.spec.name, algorithm, message, message_type)
    ctx.finish_dry_run()
    return key, algorithm, message, message_type


@operation("Sign")
def sign(ctx: RequestContext) -> dict[str, Any]:
    key, algorithm, message, message_type = _signing_request(ctx)
    signature = crypto.sign(key.material.current.private_key, key.spec.name, algorithm, message, message_type)
    return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": algorithm}


@operation("Verify")
def verify(ctx: RequestContext) -> dict[str, Any]:
    key, algorithm, message, message_type = _signing_request(ctx)
    # Raises KMSInvalidSignatureException (empty message) rather than answering False.
    crypto.verify(
        key.material.current.private_key, key.spec.name, algorithm, message, message_type, ctx.params["Signature"]
    )
    return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}


# ---------------------------------------------------------------------------
# GenerateMac / VerifyMac
# ---------------------------------------------------------------------------


def _mac_request(ctx: RequestContext) -> tuple[Key, str]:
    key = ctx.use_key()
    require_usage(key, GENERATE_VERIFY_MAC, ctx.operation)
    algorithm = ctx.params["MacAlgorithm"]
    if algorithm not in key.spec.mac_algorithms:
        raise _incompatible(algorithm, key)
    ctx.finish_dry_run()
    return key, algorithm


@operation("GenerateMac")
def generate_mac(ctx: RequestContext) -> dict[str, Any]:
    key, algorithm = _mac_request(ctx)
    mac = crypto.generate_mac(key.material.current.secret, key.spec.name, algorithm, ctx.params["Message"])
    return {"Mac": mac, "MacAlgorithm": algorithm, "KeyId": key.arn}


@operation("VerifyMac")
def verify_mac(ctx: RequestContext) -> dict[str, Any]:
    key, algorithm = _mac_request(ctx)
    # Raises KMSInvalidMacException (empty message) rather than answering False.
    crypto.verify_mac(key.material.current.secret, key.spec.name, algorithm, ctx.params["Message"], ctx.params["Mac"])
    return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": algorithm}


# ---------------------------------------------------------------------------
# GenerateDataKeyPair / GenerateDataKeyPairWithoutPlaintext
# ---------------------------------------------------------------------------


def _generate_data_key_pair(ctx: RequestContext, with_plaintext: bool) -> dict[str, Any]:
    params = ctx.params
    if with_plaintext:
        _reject_recipient(ctx)
    key = ctx.use_key()
    require_symmetric(key, ctx.operation)
    if key.custom_key_store_id:
        # "The KMS key must be a symmetric encryption key, not in a custom key store"
        # [M-doc:GenerateDataKeyPair]; AWS's error text is unrecorded.
        raise UnsupportedOperationException(
            f"{key.arn} is in a custom key store which is not valid for {ctx.operation}."
        )
    pair_spec = params["KeyPairSpec"]
    crypto.check_data_key_pair_spec(pair_spec)
    ctx.finish_dry_run()
    private_der, public_der = crypto.generate_data_key_pair(pair_spec)
    blob, material = encrypt_with(key, private_der, params.get("EncryptionContext"), SYMMETRIC_DEFAULT)
    result: dict[str, Any] = {
        "PrivateKeyCiphertextBlob": blob,
        "PublicKey": public_der,
        "KeyId": key.arn,
        "KeyPairSpec": pair_spec,
        "KeyMaterialId": material.material_id,
    }
    if with_plaintext:
        result["PrivateKeyPlaintext"] = private_der
    return result


@operation("GenerateDataKeyPair")
def generate_data_key_pair(ctx: RequestContext) -> dict[str, Any]:
    return _generate_data_key_pair(ctx, with_plaintext=True)


@operation("GenerateDataKeyPairWithoutPlaintext")
def generate_data_key_pair_without_plaintext(ctx: RequestContext) -> dict[str, Any]:
    return _generate_data_key_pair(ctx, with_plaintext=False)


# ---------------------------------------------------------------------------
# DeriveSharedSecret
# ---------------------------------------------------------------------------


@operation("DeriveSharedSecret")
def derive_shared_secret(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    _reject_recipient(ctx)
    key = ctx.use_key()
    require_usage(key, KEY_AGREEMENT, "DeriveSharedSecret")
    algorithm = params["KeyAgreementAlgorithm"]
    if algorithm not in key.spec.key_agreement_algorithms:
        raise _incompatible(algorithm, key)
    # A malformed peer key is a ValidationException with an empty message (recorded).
    crypto.load_peer_public_key(key.spec.name, params["PublicKey"])
    ctx.finish_dry_run()
    secret = crypto.derive_shared_secret(key.material.current.private_key, key.spec.name, params["PublicKey"])
    return {
        "KeyId": key.arn,
        "SharedSecret": secret,
        "KeyAgreementAlgorithm": algorithm,
        "KeyOrigin": key.origin,
    }
