"""The key-state table (kms_spec.md §4.2): which operations a key's state allows.

``check_state(key, operation)`` raises the error AWS gives, with AWS's message, or returns.
"""

from __future__ import annotations

from mock_kms.core.errors import DisabledException, KMSError, KMSInvalidStateException, UnsupportedOperationException
from mock_kms.core.keys import Key, KeyState

S = KeyState

# Footnote errors of the AWS key-state table, by name.
DISABLED = "disabled"  # [1]
PENDING_DELETION = "pending_deletion"  # [3]
NOT_PENDING_DELETION = "not_pending_deletion"  # [4]
PENDING_IMPORT = "pending_import"  # [5]
ORIGIN_EXTERNAL = "origin_external"  # [6]
UNSUPPORTED = "unsupported"  # [7]
UNAVAILABLE = "unavailable"  # [11]
CREATING = "creating"  # [14]
UPDATING = "updating"  # [15]

_PENDING = {S.PENDING_DELETION: PENDING_DELETION, S.PENDING_REPLICA_DELETION: PENDING_DELETION}

_CRYPTO = {
    S.DISABLED: DISABLED,
    **_PENDING,
    S.PENDING_IMPORT: PENDING_IMPORT,
    S.UNAVAILABLE: UNAVAILABLE,
    S.CREATING: CREATING,
}
_MANAGE = dict(_PENDING)
_ENABLE_DISABLE = {**_PENDING, S.PENDING_IMPORT: PENDING_IMPORT, S.CREATING: CREATING, S.UPDATING: UPDATING}
_ROTATION = {
    S.DISABLED: DISABLED,
    **_PENDING,
    S.PENDING_IMPORT: ORIGIN_EXTERNAL,
    S.UNAVAILABLE: UNSUPPORTED,
    S.CREATING: CREATING,
}

# Operation -> {state: error}. States not listed are allowed; operations not listed allow every state.
STATE_TABLE: dict[str, dict[str, str]] = {
    "CancelKeyDeletion": {
        s: NOT_PENDING_DELETION
        for s in (S.ENABLED, S.DISABLED, S.PENDING_IMPORT, S.UNAVAILABLE, S.CREATING, S.UPDATING)
    },
    "CreateAlias": _MANAGE,
    "CreateGrant": {k: v for k, v in _CRYPTO.items() if k != S.UNAVAILABLE},
    "Decapsulate": _CRYPTO,  # ML-KEM; postdates the reference table: same row as DeriveSharedSecret
    "Decrypt": _CRYPTO,
    "DeleteImportedKeyMaterial": {S.CREATING: CREATING, S.UPDATING: UPDATING},
    "DeriveSharedSecret": _CRYPTO,
    "DisableKey": _ENABLE_DISABLE,
    "DisableKeyRotation": _ROTATION,
    "EnableKey": _ENABLE_DISABLE,
    "EnableKeyRotation": _ROTATION,
    "Encapsulate": _CRYPTO,  # ML-KEM; postdates the reference table: same row as DeriveSharedSecret
    "Encrypt": _CRYPTO,
    "GenerateDataKey": _CRYPTO,
    "GenerateDataKeyPair": _CRYPTO,
    "GenerateDataKeyPairWithoutPlaintext": _CRYPTO,
    "GenerateDataKeyWithoutPlaintext": _CRYPTO,
    "GenerateMac": _CRYPTO,
    "GetKeyRotationStatus": {S.PENDING_IMPORT: ORIGIN_EXTERNAL, S.UNAVAILABLE: UNSUPPORTED},
    "GetParametersForImport": {**_PENDING, S.CREATING: CREATING, S.UPDATING: UPDATING},
    "GetPublicKey": _CRYPTO,
    "ImportKeyMaterial": {**_PENDING, S.CREATING: CREATING},
    "ReEncrypt": _CRYPTO,
    "ReplicateKey": {**_CRYPTO, S.UPDATING: UPDATING},
    "RotateKeyOnDemand": _CRYPTO,
    "ScheduleKeyDeletion": {**_PENDING, S.UPDATING: UPDATING},
    "Sign": _CRYPTO,
    "TagResource": _MANAGE,
    "UntagResource": _MANAGE,
    "UpdateAlias": _MANAGE,
    "UpdateKeyDescription": _MANAGE,
    "UpdatePrimaryRegion": _CRYPTO,
    "Verify": _CRYPTO,
    "VerifyMac": _CRYPTO,
}


def state_error(key: Key, kind: str) -> KMSError:
    arn = key.arn
    if kind == DISABLED:
        return DisabledException(f"{arn} is disabled.")
    if kind == PENDING_DELETION:
        what = "pending replica deletion" if key.state == S.PENDING_REPLICA_DELETION else "pending deletion"
        return KMSInvalidStateException(f"{arn} is {what}.")
    if kind == NOT_PENDING_DELETION:
        return KMSInvalidStateException(f"{arn} is not pending deletion.")
    if kind == PENDING_IMPORT:
        return KMSInvalidStateException(f"{arn} is pending import.")
    if kind == ORIGIN_EXTERNAL:
        return UnsupportedOperationException(f"{arn} origin is {key.origin} which is not valid for this operation.")
    if kind == UNSUPPORTED:
        return UnsupportedOperationException(f"{arn} is not valid for this operation.")
    if kind == UNAVAILABLE:
        return KMSInvalidStateException(f"{arn} is unavailable.")
    if kind == CREATING:
        return KMSInvalidStateException(f"{arn} is creating.")
    if kind == UPDATING:
        return KMSInvalidStateException(f"{arn} is updating.")
    raise AssertionError(kind)


def check_state(key: Key, operation: str) -> None:
    rules = STATE_TABLE.get(operation)
    if rules:
        kind = rules.get(key.state)
        if kind is not None:
            raise state_error(key, kind)
