"""EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.registry import operation
from mock_kms.core.errors import UnsupportedOperationException
from mock_kms.core.keys import Key, KeyState

DEFAULT_ROTATION_PERIOD_DAYS = 365


def check_rotatable(key: Key) -> None:
    """Automatic rotation: symmetric encryption keys with AWS_KMS material only (§7.2)."""
    if key.origin != "AWS_KMS":
        raise UnsupportedOperationException(f"{key.arn} origin is {key.origin} which is not valid for this operation.")
    if not key.is_symmetric_encryption:
        # AWS's text for asymmetric/HMAC keys is unrecorded.
        raise UnsupportedOperationException(f"{key.arn} key spec is {key.spec.name} which is not valid for this operation.")
    if key.multi_region and key.material.primary_region not in (None, key.region):
        raise UnsupportedOperationException(f"{key.arn} is not a multi-region primary key.")


@operation("EnableKeyRotation")
def enable_key_rotation(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    check_rotatable(key)
    if key.key_manager == "AWS":
        raise UnsupportedOperationException(f"{key.arn} is an AWS managed key which is not valid for this operation.")
    period = ctx.params.get("RotationPeriodInDays", DEFAULT_ROTATION_PERIOD_DAYS)
    material = key.material
    material.rotation_enabled = True
    material.rotation_period_days = period
    material.next_rotation_date = ctx.now() + timedelta(days=period)
    on_enabled = ctx.backend.extras.get("on_rotation_enabled")
    if on_enabled is not None:
        on_enabled(ctx, key)
    return {}


@operation("DisableKeyRotation")
def disable_key_rotation(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    check_rotatable(key)
    if key.key_manager == "AWS":
        raise UnsupportedOperationException(f"{key.arn} is an AWS managed key which is not valid for this operation.")
    key.material.rotation_enabled = False
    key.material.next_rotation_date = None
    return {}


@operation("GetKeyRotationStatus")
def get_key_rotation_status(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    if key.origin not in ("AWS_KMS", "EXTERNAL") or (key.origin == "EXTERNAL" and key.spec.is_symmetric is False):
        raise UnsupportedOperationException(f"{key.arn} origin is {key.origin} which is not valid for this operation.")
    material = key.material
    # While pending deletion the status reads false (restored if deletion is cancelled).
    enabled = material.rotation_enabled and key.state not in (KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION)
    result: dict[str, Any] = {"KeyId": key.arn, "KeyRotationEnabled": enabled}
    if enabled:
        result["RotationPeriodInDays"] = material.rotation_period_days
        result["NextRotationDate"] = material.next_rotation_date
    on_demand = key.extras.get("on_demand_rotation_start")
    if on_demand is not None:
        result["OnDemandRotationStartDate"] = on_demand
    return result
