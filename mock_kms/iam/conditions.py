"""The condition-key values of one request (kms_spec.md §6.6 and the global ``aws:*`` keys).

:func:`condition_values` is called only when a policy that applies to the request has a
Condition block or a policy variable, so plain requests never pay for it.

Rules followed [DG23: conditions-kms]:

* request-parameter keys read the request; where the parameter has a documented default,
  the default counts when the parameter is absent (``kms:EncryptionAlgorithm``,
  ``kms:KeySpec`` on CreateKey, ...). ``kms:BypassPolicyLockoutSafetyCheck`` and
  ``kms:ExpirationModel`` are absent when the parameter is absent (the guide's examples
  test them with ``Null``);
* key-property keys (``kms:KeySpec``, ``kms:KeyUsage``, ``kms:KeyOrigin``,
  ``kms:MultiRegion``, ``kms:MultiRegionKeyType``, ``kms:ResourceAliases``,
  ``aws:ResourceTag/*``) exist only for KMS key resource operations;
* ``kms:ViaService`` is never present: the mock has no AWS service calling KMS on a
  principal's behalf.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mock_kms.core.errors import KMSError

if TYPE_CHECKING:
    from mock_kms.api.context import RequestContext
    from mock_kms.core.keys import Key

# Operations whose condition keys read an encryption context, and which parameter holds it.
_CONTEXT_PARAM = {
    "Encrypt": "EncryptionContext",
    "Decrypt": "EncryptionContext",
    "GenerateDataKey": "EncryptionContext",
    "GenerateDataKeyWithoutPlaintext": "EncryptionContext",
    "GenerateDataKeyPair": "EncryptionContext",
    "GenerateDataKeyPairWithoutPlaintext": "EncryptionContext",
}
# Operations that always use the symmetric algorithm (kms:EncryptionAlgorithm still applies).
_SYMMETRIC_ONLY = {
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
}
# Request parameter -> condition key, with the documented default when the parameter is absent.
_PARAMETER_KEYS: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "Sign": (("SigningAlgorithm", "kms:SigningAlgorithm", None), ("MessageType", "kms:MessageType", "RAW")),
    "Verify": (("SigningAlgorithm", "kms:SigningAlgorithm", None), ("MessageType", "kms:MessageType", "RAW")),
    "GenerateMac": (("MacAlgorithm", "kms:MacAlgorithm", None),),
    "VerifyMac": (("MacAlgorithm", "kms:MacAlgorithm", None),),
    "DeriveSharedSecret": (("KeyAgreementAlgorithm", "kms:KeyAgreementAlgorithm", None),),
    "GenerateDataKeyPair": (("KeyPairSpec", "kms:DataKeyPairSpec", None),),
    "GenerateDataKeyPairWithoutPlaintext": (("KeyPairSpec", "kms:DataKeyPairSpec", None),),
    "ScheduleKeyDeletion": (("PendingWindowInDays", "kms:ScheduleKeyDeletionPendingWindowInDays", 30),),
    "EnableKeyRotation": (("RotationPeriodInDays", "kms:RotationPeriodInDays", 365),),
    "PutKeyPolicy": (("BypassPolicyLockoutSafetyCheck", "kms:BypassPolicyLockoutSafetyCheck", None),),
    "ImportKeyMaterial": (("ExpirationModel", "kms:ExpirationModel", None), ("ValidTo", "kms:ValidTo", None)),
    "GetParametersForImport": (
        ("WrappingAlgorithm", "kms:WrappingAlgorithm", None),
        ("WrappingKeySpec", "kms:WrappingKeySpec", None),
    ),
    "ReplicateKey": (("ReplicaRegion", "kms:ReplicaRegion", None),),
    "UpdatePrimaryRegion": (("PrimaryRegion", "kms:PrimaryRegion", None),),
    "CreateGrant": (
        ("GranteePrincipal", "kms:GranteePrincipal", None),
        ("RetiringPrincipal", "kms:RetiringPrincipal", None),
        ("Operations", "kms:GrantOperations", None),
    ),
}
# The operations that name a key through an alias can be constrained by kms:RequestAlias:
# cryptographic operations, DescribeKey and GetPublicKey [DG23: conditions-kms].
_REQUEST_ALIAS_OPERATIONS = {
    "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GenerateMac",
    "VerifyMac", "DeriveSharedSecret", "DescribeKey", "GetPublicKey",
}  # fmt: skip


def _context_values(values: dict[str, Any], context: Mapping[str, str] | None) -> None:
    if not context:
        return
    for name, value in context.items():
        values[f"kms:EncryptionContext:{name}"] = value
    values["kms:EncryptionContextKeys"] = list(context)


def _alias_name(identifier: Any) -> str | None:
    """kms:RequestAlias is the alias *name* whether the request used the name or the ARN."""
    if not isinstance(identifier, str):
        return None
    if identifier.startswith("alias/"):
        return identifier
    if identifier.startswith("arn:") and ":alias/" in identifier:
        return "alias/" + identifier.split(":alias/", 1)[1]
    return None


def _key_parameter(ctx: RequestContext, action: str) -> str:
    if ctx.operation == "ReEncrypt":
        return "DestinationKeyId" if action == "kms:ReEncryptTo" else "SourceKeyId"
    return "KeyId"


def condition_values(ctx: RequestContext, action: str, key: Key | None, resource: str) -> dict[str, Any]:
    """Every condition key that has a value in this request."""
    params = ctx.params
    operation = ctx.operation
    caller = ctx.caller
    principal = caller.principal
    now = ctx.now()
    values: dict[str, Any] = {
        "aws:CurrentTime": now,
        "aws:EpochTime": int(now.timestamp()),
        "aws:RequestedRegion": ctx.region,
        "aws:SecureTransport": True,
        "aws:PrincipalAccount": caller.account,
        "aws:PrincipalIsAWSService": False,
        "kms:CallerAccount": caller.account,
    }
    if principal is not None:
        values["aws:PrincipalArn"] = principal.principal_arn
        values["aws:PrincipalType"] = principal.principal_type
        values["aws:userid"] = principal.user_id
        if principal.username is not None:
            values["aws:username"] = principal.username
        for name, value in principal.principal_tags.items():
            values[f"aws:PrincipalTag/{name}"] = value
    else:
        values["aws:PrincipalArn"] = caller.arn
        values["aws:PrincipalType"] = "Account"
        values["aws:userid"] = caller.account

    # Encryption context and encryption algorithm.
    if operation == "ReEncrypt":
        source = action != "kms:ReEncryptTo"
        # Guess: the source context and algorithm for ReEncryptFrom, the destination ones for
        # ReEncryptTo (the guide lists ReEncrypt without saying which context it reads).
        _context_values(values, params.get("SourceEncryptionContext" if source else "DestinationEncryptionContext"))
        values["kms:EncryptionAlgorithm"] = params.get(
            "SourceEncryptionAlgorithm" if source else "DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT"
        )
        values["kms:ReEncryptOnSameKey"] = _reencrypt_on_same_key(ctx, action, key)
    elif operation in _CONTEXT_PARAM:
        _context_values(values, params.get(_CONTEXT_PARAM[operation]))
        if operation in _SYMMETRIC_ONLY:
            values["kms:EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT"
        else:
            values["kms:EncryptionAlgorithm"] = params.get("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
    elif operation == "CreateGrant":
        constraints = params.get("Constraints") or {}
        # For CreateGrant the keys read the grant's encryption context constraint [DG23].
        for kind in ("EncryptionContextEquals", "EncryptionContextSubset"):
            if constraints.get(kind):
                _context_values(values, constraints[kind])
                values["kms:GrantConstraintType"] = kind
        values["kms:GrantIsForAWSResource"] = False
    elif operation in ("ListGrants", "RevokeGrant"):
        values["kms:GrantIsForAWSResource"] = False

    for parameter, condition_key, default in _PARAMETER_KEYS.get(operation, ()):
        value = params.get(parameter, default)
        if value is not None:
            values[condition_key] = value

    if operation in _REQUEST_ALIAS_OPERATIONS:
        alias = _alias_name(params.get(_key_parameter(ctx, action)))
        if alias is not None:
            values["kms:RequestAlias"] = alias

    # Tags in the request.
    if operation in ("CreateKey", "TagResource", "ReplicateKey"):
        tags = params.get("Tags") or []
        for tag in tags:
            values[f"aws:RequestTag/{tag['TagKey']}"] = tag["TagValue"]
        if tags:
            values["aws:TagKeys"] = [tag["TagKey"] for tag in tags]
    elif operation == "UntagResource" and params.get("TagKeys"):
        values["aws:TagKeys"] = list(params["TagKeys"])

    if operation == "CreateKey":
        # The key being created: its properties come from the request, with the defaults.
        values["kms:KeySpec"] = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
        values["kms:CustomerMasterKeySpec"] = values["kms:KeySpec"]
        values["kms:KeyUsage"] = params.get("KeyUsage", "ENCRYPT_DECRYPT")
        values["kms:CustomerMasterKeyUsage"] = values["kms:KeyUsage"]
        values["kms:KeyOrigin"] = params.get("Origin", "AWS_KMS")
        multi_region = bool(params.get("MultiRegion", False))
        values["kms:MultiRegion"] = multi_region
        if multi_region:
            values["kms:MultiRegionKeyType"] = "PRIMARY"
        if "BypassPolicyLockoutSafetyCheck" in params:
            values["kms:BypassPolicyLockoutSafetyCheck"] = params["BypassPolicyLockoutSafetyCheck"]
    elif key is not None and resource == key.arn:
        # KMS key resource operations: properties of the key.
        values["kms:KeySpec"] = values["kms:CustomerMasterKeySpec"] = key.spec.name
        values["kms:KeyUsage"] = values["kms:CustomerMasterKeyUsage"] = key.key_usage
        values["kms:KeyOrigin"] = key.origin
        values["kms:MultiRegion"] = key.multi_region
        if key.multi_region:
            values["kms:MultiRegionKeyType"] = key.multi_region_configuration()["MultiRegionKeyType"]
        aliases = ctx.backend.region(key.account, key.region).aliases_of(key.key_id)
        # kms:ResourceAliases is effective only while the key has at most 50 aliases.
        if aliases and len(aliases) <= 50:
            values["kms:ResourceAliases"] = [alias.name for alias in aliases]
        for name, value in key.tags.items():
            values[f"aws:ResourceTag/{name}"] = value
    return values


def _reencrypt_on_same_key(ctx: RequestContext, action: str, key: Key | None) -> bool:
    """Whether ReEncrypt's source and destination are the same key (kms:ReEncryptOnSameKey)."""
    if key is None:
        return False
    if action == "kms:ReEncryptTo":
        # The source was authorized first (authorize() remembers it).
        return ctx.extras.get("reencrypt_source") is key
    destination_id = ctx.params.get("DestinationKeyId")
    if destination_id is None:
        return False
    try:
        destination = ctx.backend.find_key(ctx.here, destination_id)
    except KMSError:
        return False
    return destination is key
