"""EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations.

Automatic rotation happens on the mock clock (``core/lifecycle.py``): when the clock passes
``NextRotationDate`` the next request finds the key with new current material.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.keys import require_customer_managed
from mock_kms.api.pagination import paginate
from mock_kms.api.registry import operation
from mock_kms.core import lifecycle
from mock_kms.core.errors import ConflictException, LimitExceededException, UnsupportedOperationException
from mock_kms.core.keys import Key, KeyMaterial, KeyState, key_material_state

DEFAULT_ROTATION_PERIOD_DAYS = 365
# RotateKeyOnDemand is refused while an automatic rotation is due this soon [M: ConflictException].
CONFLICT_WINDOW = timedelta(minutes=20)


def _origin_error(key: Key) -> UnsupportedOperationException:
    return UnsupportedOperationException(f"{key.arn} origin is {key.origin} which is not valid for this operation.")


def check_rotatable(key: Key) -> None:
    """Automatic rotation: symmetric encryption keys with AWS_KMS material only (§7.2)."""
    if key.origin != "AWS_KMS":
        raise _origin_error(key)
    _check_symmetric_encryption(key)
    _check_primary(key)


def _check_symmetric_encryption(key: Key) -> None:
    if not key.is_symmetric_encryption:
        # AWS's text for asymmetric/HMAC keys is unrecorded.
        raise UnsupportedOperationException(f"{key.arn} key spec is {key.spec.name} which is not valid for this operation.")


def _check_primary(key: Key) -> None:
    if not lifecycle.is_rotation_owner(key):
        # Rotation is set on (and performed through) the primary key; AWS's text for a replica
        # is unrecorded — this is its recorded text for ReplicateKey on a replica.
        raise UnsupportedOperationException(f"{key.arn} is not a multi-region primary key.")


@operation("EnableKeyRotation")
def enable_key_rotation(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    check_rotatable(key)
    require_customer_managed(key)  # AWS managed keys always rotate yearly
    # The model bounds RotationPeriodInDays to 90–2560 (validated by the wire layer).
    period = ctx.params.get("RotationPeriodInDays", DEFAULT_ROTATION_PERIOD_DAYS)
    lifecycle.enable_rotation(ctx.backend, key, ctx.now(), period)
    for on_enabled in ctx.backend.hooks("on_rotation_enabled"):
        on_enabled(ctx, key)
    return {}


@operation("DisableKeyRotation")
def disable_key_rotation(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    check_rotatable(key)
    require_customer_managed(key)  # AWS managed keys always rotate yearly
    lifecycle.disable_rotation(key)
    return {}


@operation("GetKeyRotationStatus")
def get_key_rotation_status(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    if key.origin not in ("AWS_KMS", "EXTERNAL") or (key.origin == "EXTERNAL" and not key.spec.is_symmetric):
        raise _origin_error(key)
    material = key.material
    # While pending deletion the status reads false (restored if deletion is cancelled);
    # while Disabled it is unchanged (and NextRotationDate may lie in the past: the key
    # rotates as soon as it is enabled again).
    enabled = material.rotation_enabled and key.state not in (KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION)
    result: dict[str, Any] = {"KeyId": key.arn, "KeyRotationEnabled": enabled}
    if enabled:
        result["RotationPeriodInDays"] = material.rotation_period_days or DEFAULT_ROTATION_PERIOD_DAYS
        if material.next_rotation_date is not None:
            result["NextRotationDate"] = material.next_rotation_date
    # On-demand rotations complete at once in the mock, so OnDemandRotationStartDate (present
    # only while one is in progress) appears only if a feature sets this.
    on_demand = key.extras.get("on_demand_rotation_start")
    if on_demand is not None:
        result["OnDemandRotationStartDate"] = on_demand
    return result


@operation("RotateKeyOnDemand")
def rotate_key_on_demand(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)  # state first: a disabled RSA key is DisabledException
    if not key.is_symmetric_encryption:
        raise UnsupportedOperationException("")  # recorded: empty message [LS@2025-03-08]
    if key.origin not in ("AWS_KMS", "EXTERNAL"):  # custom key stores
        raise _origin_error(key)
    require_customer_managed(key)  # AWS managed keys always rotate yearly
    _check_primary(key)
    now = ctx.now()
    material = key.material
    if material.rotation_enabled and material.next_rotation_date is not None:
        if material.next_rotation_date - now <= CONFLICT_WINDOW:
            # AWS's text is unrecorded; this paraphrases the model's description.
            raise ConflictException(
                f"Automatic rotation of {key.arn} is in progress or scheduled to begin within the next "
                "20 minutes. Try again later."
            )
    limit = ctx.mock.quota("on_demand_rotations_per_key") if ctx.mock is not None else 25
    if material.on_demand_rotations >= limit:
        raise LimitExceededException(
            "The on-demand rotations limit has been reached for the given keyId. "
            f"No more on-demand rotations can be performed for this key: {key.arn}"
        )
    # Imported material (Origin EXTERNAL): rotates to the material imported for rotation
    # (PENDING_ROTATION), else KMSInvalidStateException "No available key material pending
    # rotation for the key: <arn>." (core.keys.rotate_imported_material, issue 7).
    lifecycle.rotate(ctx.backend, key, now, lifecycle.ON_DEMAND)
    material.on_demand_rotations += 1
    return {"KeyId": key.arn}


@operation("ListKeyRotations")
def list_key_rotations(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    if key.origin not in ("AWS_KMS", "EXTERNAL"):
        raise _origin_error(key)
    _check_symmetric_encryption(key)
    everything = ctx.params.get("IncludeKeyMaterial", "ROTATIONS_ONLY") == "ALL_KEY_MATERIAL"
    entries = []
    for material in key.material.versions:
        state = key_material_state(key, material)
        completed = material.rotation_date is not None and state in ("CURRENT", "NON_CURRENT")
        if completed or everything:
            entries.append(_rotation_entry(key, material, state, completed))
    return paginate(entries, ctx.params, scope="ListKeyRotations", default_limit=100, max_limit=1000, field="Rotations")


def _rotation_entry(key: Key, material: KeyMaterial, state: str, completed: bool) -> dict[str, Any]:
    """A ``RotationsListEntry`` (field presence per the model's member docs)."""
    entry: dict[str, Any] = {"KeyId": key.key_id, "KeyMaterialId": material.material_id}
    if key.origin == "EXTERNAL":
        if material.description is not None:
            entry["KeyMaterialDescription"] = material.description
        entry["ImportState"] = material.import_state(key.region)
        info = material.import_info(key.region)
        if info is not None:
            entry["ExpirationModel"] = info.expiration_model
            if info.valid_to is not None:
                entry["ValidTo"] = info.valid_to
    entry["KeyMaterialState"] = state
    if completed:
        entry["RotationDate"] = material.rotation_date
        entry["RotationType"] = material.rotation_type
    return entry
