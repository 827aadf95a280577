"""Encrypt, Decrypt, ReEncrypt, GenerateDataKey(+WithoutPlaintext), GenerateRandom.

Symmetric keys use AES-256-GCM with a self-describing blob (``core.ciphertext``);
RSA ENCRYPT_DECRYPT keys use real RSA-OAEP and carry no metadata, so Decrypt needs KeyId.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.registry import operation
from mock_kms.core import ciphertext
from mock_kms.core import crypto as asymmetric  # RSA functions, loaded on first RSA use
from mock_kms.core.errors import (
    AccessDeniedException,
    CustomKeyStoreNotFoundException,
    IncorrectKeyException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    NotImplementedByMockException,
    ValidationException,
)
from mock_kms.core.keys import Key, KeyMaterial
from mock_kms.core.specs import DATA_KEY_SPEC_BYTES, ENCRYPT_DECRYPT
from mock_kms.core.states import check_state
from mock_kms.iam.authorize import CROSS_ACCOUNT_UNREACHABLE

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"


def require_usage(key: Key, usage: str, operation_name: str) -> None:
    if key.key_usage != usage:
        raise InvalidKeyUsageException(f"{key.arn} key usage is {key.key_usage} which is not valid for {operation_name}.")


def require_symmetric(key: Key, operation_name: str) -> None:
    """GenerateDataKey* need a symmetric encryption key."""
    require_usage(key, ENCRYPT_DECRYPT, operation_name)
    if not key.spec.is_symmetric:
        # AWS answers InvalidKeyUsageException here; its exact text is unrecorded.
        raise InvalidKeyUsageException(f"{key.arn} key spec is {key.spec.name} which is not valid for {operation_name}.")


def _check_algorithm(key: Key, algorithm: str) -> None:
    if algorithm not in key.spec.encryption_algorithms:
        # Same template as AWS's recorded MAC-algorithm message.
        raise InvalidKeyUsageException(f"Algorithm {algorithm} is incompatible with key spec {key.spec.name}.")


def _check_context(key: Key, context: Mapping[str, str] | None) -> None:
    if context and not key.spec.is_symmetric:
        # Only symmetric encryption keys take an encryption context; AWS's text is unrecorded.
        raise ValidationException("EncryptionContext is not supported for asymmetric KMS keys.")


def _reject_recipient(ctx: RequestContext) -> None:
    if ctx.params.get("Recipient"):
        raise NotImplementedByMockException(
            "mock_kms does not support Recipient (Nitro Enclaves attestation documents) yet."
        )


def encrypt_with(key: Key, plaintext: bytes, context: Mapping[str, str] | None, algorithm: str) -> tuple[bytes, KeyMaterial]:
    """Encrypt under the key's current material (usage, algorithm and size already checked)."""
    material = key.material.current
    if key.spec.is_symmetric:
        return ciphertext.seal(key.arn, material.material_id, material.secret, plaintext, context), material
    return asymmetric.rsa_encrypt(material.private_key.public_key(), key.spec.name, algorithm, plaintext), material


def check_encryption(key: Key, context: Mapping[str, str] | None, algorithm: str, operation_name: str) -> None:
    """Key usage, algorithm and encryption context of an Encrypt/Decrypt/ReEncrypt key."""
    require_usage(key, ENCRYPT_DECRYPT, operation_name)
    _check_algorithm(key, algorithm)
    _check_context(key, context)


def open_ciphertext(
    ctx: RequestContext,
    blob: bytes | None,
    key_param: str,
    context: Mapping[str, str] | None,
    algorithm: str,
    *,
    action: str,
    ignore_ciphertext: bool = False,
) -> tuple[Key, bytes, KeyMaterial | None]:
    """Find the key for a ciphertext (from KeyId or from the blob), authorize, decrypt.

    Returns ``(key, plaintext, material)``; with ``ignore_ciphertext`` (DryRun) the
    plaintext is empty and nothing is decrypted.
    """
    named = ctx.params.get(key_param)
    parsed = None
    if named is not None:
        key = ctx.find_key(named)
        ctx.authorize(action, key)
    else:
        if ignore_ciphertext:
            raise ValidationException(f"{key_param} is required when DryRunModifiers includes IGNORE_CIPHERTEXT.")
        if blob is None:
            raise ValidationException("CiphertextBlob is required.")
        parsed = ciphertext.parse(blob)
        key = _key_for_ciphertext(ctx, parsed, action)
        _authorize_for_ciphertext(ctx, action, key)
    check_state(key, ctx.operation)
    if named is not None and blob is not None and not ignore_ciphertext:
        parsed = _check_named_key(key, blob)
    check_encryption(key, context, algorithm, ctx.operation)
    if ignore_ciphertext:
        return key, b"", None
    if blob is None:
        raise ValidationException("CiphertextBlob is required.")
    if not key.spec.is_symmetric:
        if named is None:
            raise ValidationException("KeyId is required for ciphertext encrypted under an asymmetric KMS key.")
        material = key.material.current
        return key, asymmetric.rsa_decrypt(material.private_key, key.spec.name, algorithm, blob), None
    if parsed is None:
        parsed = ciphertext.parse(blob)
        if parsed.key_id != key.key_id:
            raise IncorrectKeyException(INCORRECT_KEY_MESSAGE)
    material = key.material.find(parsed.material_id)
    # Imported material that was deleted or expired in this region cannot decrypt.
    if material is None or not material.available_in(key.region):
        raise InvalidCiphertextException("")
    return key, ciphertext.open_sealed(parsed, material.secret, context), material


def _check_named_key(key: Key, blob: bytes) -> ciphertext.ParsedCiphertext | None:
    """The ciphertext's header when it parses; IncorrectKeyException when it names another key.

    AWS checks that the named key made the ciphertext before it checks the key's usage: a
    ciphertext of key A decrypted with KeyId = HMAC key B is IncorrectKeyException (recorded
    for Decrypt and ReEncrypt, aws_errors.json). The same for any other key that is not an
    asymmetric encryption key is inferred. An RSA/SM2 ciphertext has no header to compare;
    a blob that does not parse is answered after the usage check, as before.
    """
    if key.key_usage == ENCRYPT_DECRYPT and not key.spec.is_symmetric:
        return None
    try:
        parsed = ciphertext.parse(blob)
    except InvalidCiphertextException:
        return None
    if parsed.key_id != key.key_id:
        raise IncorrectKeyException(INCORRECT_KEY_MESSAGE)
    return parsed


# [kms_spec.md §5.2, recorded]
INCORRECT_KEY_MESSAGE = "The key ID in the request does not identify a CMK that can perform this operation."
# AccessDeniedException for a ciphertext whose key the caller cannot reach (Decrypt without
# KeyId): the key is in another Region or account, or was deleted [kms_spec.md §5.2, AWS's
# current text]; the same for ReEncrypt without SourceKeyId (kms:ReEncryptFrom) is inferred.
_UNREACHABLE = CROSS_ACCOUNT_UNREACHABLE


def _ciphertext_denied(ctx: RequestContext, action: str, reason: str) -> AccessDeniedException:
    return AccessDeniedException(
        f"User: {ctx.caller.arn} is not authorized to perform: {action} "
        f"on the resource associated with this ciphertext {reason}"
    )


def _key_for_ciphertext(ctx: RequestContext, parsed: ciphertext.ParsedCiphertext, action: str) -> Key:
    """The key a symmetric ciphertext names. Foreign-region ciphertext only opens under a
    multi-Region replica of its key; a key the caller cannot reach is AccessDeniedException."""
    key = None
    if parsed.region == ctx.region or parsed.key_id.startswith("mrk-"):
        key = ctx.backend.region(parsed.account, ctx.region).keys.get(parsed.key_id)
    if key is None:
        raise _ciphertext_denied(ctx, action, _UNREACHABLE)
    if ctx.key is None:
        ctx.key = key
    return key


def _authorize_for_ciphertext(ctx: RequestContext, action: str, key: Key) -> None:
    """Authorize with the key found in the ciphertext; a denial names "the resource associated
    with this ciphertext", not the key. AWS's text is recorded for "no identity-based policy
    allows" (the key exists, the caller lacks permission) and for the unreachable key, which
    also covers a key policy that does not allow or that denies (another account's key
    included). An explicit deny in an identity policy keeps IAM's usual clause (inferred)."""
    try:
        ctx.authorize(action, key)
    except AccessDeniedException as denied:
        message = denied.message
        if "no identity-based policy allows" in message:
            reason = f"because no identity-based policy allows the {action} action"
        elif "explicit deny in an identity-based policy" in message:
            reason = "with an explicit deny in an identity-based policy"
        else:
            reason = _UNREACHABLE
        error = _ciphertext_denied(ctx, action, reason)
        error.decision = getattr(denied, "decision", None)  # type: ignore[attr-defined]  # the same decision, explained
        raise error from None


@operation("Encrypt")
def encrypt(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    algorithm = params.get("EncryptionAlgorithm", SYMMETRIC_DEFAULT)
    key = ctx.use_key()
    context = params.get("EncryptionContext")
    check_encryption(key, context, algorithm, "Encrypt")
    _check_rsa_size(key, algorithm, params["Plaintext"])
    ctx.finish_dry_run()
    blob, _ = encrypt_with(key, params["Plaintext"], context, algorithm)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


def _ignores_ciphertext(ctx: RequestContext) -> bool:
    return bool(ctx.params.get("DryRun")) and "IGNORE_CIPHERTEXT" in (ctx.params.get("DryRunModifiers") or ())


@operation("Decrypt")
def decrypt(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    _reject_recipient(ctx)
    algorithm = params.get("EncryptionAlgorithm", SYMMETRIC_DEFAULT)
    key, plaintext, material = open_ciphertext(
        ctx,
        params.get("CiphertextBlob"),
        "KeyId",
        params.get("EncryptionContext"),
        algorithm,
        action="kms:Decrypt",
        ignore_ciphertext=_ignores_ciphertext(ctx),
    )
    ctx.finish_dry_run()
    result = {"KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm}
    if material is not None:
        result["KeyMaterialId"] = material.material_id
    return result


@operation("ReEncrypt")
def re_encrypt(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    source_algorithm = params.get("SourceEncryptionAlgorithm", SYMMETRIC_DEFAULT)
    destination_algorithm = params.get("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT)
    source, plaintext, source_material = open_ciphertext(
        ctx,
        params.get("CiphertextBlob"),
        "SourceKeyId",
        params.get("SourceEncryptionContext"),
        source_algorithm,
        action="kms:ReEncryptFrom",
        ignore_ciphertext=_ignores_ciphertext(ctx),
    )
    destination = ctx.find_key(params["DestinationKeyId"])
    ctx.authorize("kms:ReEncryptTo", destination)
    check_state(destination, "ReEncrypt")
    context = params.get("DestinationEncryptionContext")
    check_encryption(destination, context, destination_algorithm, "ReEncrypt")
    ctx.finish_dry_run()
    _check_rsa_size(destination, destination_algorithm, plaintext)
    blob, destination_material = encrypt_with(destination, plaintext, context, destination_algorithm)
    result = {
        "CiphertextBlob": blob,
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": source_algorithm,
        "DestinationEncryptionAlgorithm": destination_algorithm,
    }
    if source_material is not None:
        result["SourceKeyMaterialId"] = source_material.material_id
    if destination.spec.is_symmetric:
        result["DestinationKeyMaterialId"] = destination_material.material_id
    return result


def _check_rsa_size(key: Key, algorithm: str, plaintext: bytes) -> None:
    """The RSA-OAEP plaintext limit, checked before DryRun (Encrypt) and for what ReEncrypt
    carries into an RSA key (up to 4096 bytes)."""
    if not key.spec.is_symmetric:
        if not key.spec.name.startswith("RSA_"):
            # SM2PKE (limit 1024 bytes): the crypto layer answers UnsupportedOperationException.
            return
        limit = asymmetric.rsa_max_plaintext_length(key.spec.name, algorithm)
        if len(plaintext) > limit:
            raise ValidationException(
                f"Algorithm {algorithm} and key spec {key.spec.name} cannot encrypt data larger than {limit} bytes."
            )


def _data_key_length(params: dict[str, Any]) -> int:
    spec, count = params.get("KeySpec"), params.get("NumberOfBytes")
    if (spec is None) == (count is None):
        raise ValidationException("Please specify either number of bytes or key spec.")
    return DATA_KEY_SPEC_BYTES[spec] if spec is not None else count


def _generate_data_key(ctx: RequestContext, with_plaintext: bool) -> dict[str, Any]:
    params = ctx.params
    if with_plaintext:
        _reject_recipient(ctx)
    length = _data_key_length(params)
    key = ctx.use_key()
    require_symmetric(key, ctx.operation)
    ctx.finish_dry_run()
    plaintext = os.urandom(length)
    blob, material = encrypt_with(key, plaintext, params.get("EncryptionContext"), SYMMETRIC_DEFAULT)
    result: dict[str, Any] = {"CiphertextBlob": blob, "KeyId": key.arn, "KeyMaterialId": material.material_id}
    if with_plaintext:
        result["Plaintext"] = plaintext
    return result


@operation("GenerateDataKey")
def generate_data_key(ctx: RequestContext) -> dict[str, Any]:
    return _generate_data_key(ctx, with_plaintext=True)


@operation("GenerateDataKeyWithoutPlaintext")
def generate_data_key_without_plaintext(ctx: RequestContext) -> dict[str, Any]:
    return _generate_data_key(ctx, with_plaintext=False)


@operation("GenerateRandom")
def generate_random(ctx: RequestContext) -> dict[str, Any]:
    _reject_recipient(ctx)
    count = ctx.params.get("NumberOfBytes")
    if count is None:
        raise ValidationException("NumberOfBytes is required.")
    store_id = ctx.params.get("CustomKeyStoreId")
    if store_id:
        check_store = ctx.backend.extras.get("generate_random_in_store")
        if check_store is None:
            raise CustomKeyStoreNotFoundException(f"Custom key store {store_id} does not exist.")
        check_store(ctx, store_id)
    ctx.authorize("kms:GenerateRandom", resource="*")
    return {"Plaintext": os.urandom(count)}
