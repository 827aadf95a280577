"""ReplicateKey, UpdatePrimaryRegion: multi-Region keys (kms_spec.md §7.4).

The keys of a multi-Region set share one ``KeyMaterialSet`` (key material, rotation
settings, primary and replica Regions); each key has its own policy, tags, description,
aliases, grants and key state.

Transient states, a documented choice of the mock: a new replica is ``Creating`` in the
ReplicateKey response and becomes ``Enabled`` (``PendingImport`` for imported key material)
on the **next request** to the mock — any operation, any Region; likewise both keys of an
UpdatePrimaryRegion are ``Updating`` until the next request. To keep them in the transient
state for a while of mock time instead (to test code that waits for ``Enabled``), pass
``mock_kms(multi_region_delay=timedelta(seconds=…))`` (or set ``kms_mock.multi_region_delay``);
the transition then happens on the first request once the mock clock has moved that far.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.keys import check_policy_size, key_quota_error
from mock_kms.api.registry import operation
from mock_kms.api.tags import new_key_tags
from mock_kms.core import lifecycle
from mock_kms.core.errors import (
    AlreadyExistsException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from mock_kms.core.keys import Key, KeyState, default_key_policy, partition_for
from mock_kms.core.managed_keys import customer_key_count
from mock_kms.core.states import check_state

SETTLES_TO = "multi_region_settles_to"  # Key.extras: the state a Creating/Updating key moves to


def is_primary(key: Key) -> bool:
    return key.multi_region and key.material.primary_region == key.region


def _require_primary(key: Key) -> None:
    if not is_primary(key):
        # Recorded for a replica [LS@2025-09-08]; for a single-Region key AWS's text is
        # unrecorded and the mock answers the same (it is not a multi-Region primary key).
        raise UnsupportedOperationException(f"{key.arn} is not a multi-region primary key.")


def _transition_time(ctx: RequestContext) -> datetime:
    delay = ctx.mock.multi_region_delay if ctx.mock is not None else timedelta(0)
    return ctx.now() + delay


def _settle_later(backend: Any, key: Key, state: str, when: datetime) -> None:
    """Leave the transient state (Creating/Updating) for ``state`` at ``when``."""
    key.extras[SETTLES_TO] = state

    def settle(_: datetime) -> None:
        target = key.extras.get(SETTLES_TO)
        if target is not None and lifecycle.is_live(backend, key) and key.state in (KeyState.CREATING, KeyState.UPDATING):
            key.state = target
        key.extras.pop(SETTLES_TO, None)

    backend.schedule(when, settle)


def install(backend: Any) -> None:
    """After a saved state is loaded, keys saved mid-transition settle on the next request."""

    def on_state_loaded(loaded: Any) -> None:
        now = loaded.clock.now()
        for here in loaded.regions():
            for key in here.keys.values():
                target = key.extras.get(SETTLES_TO)
                if target is not None:
                    _settle_later(loaded, key, target, now)

    backend.add_hook("on_state_loaded", on_state_loaded)


@operation("ReplicateKey")
def replicate_key(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    primary = ctx.find_key(params["KeyId"], allow_alias=False)
    ctx.authorize("kms:ReplicateKey", primary)
    _require_primary(primary)
    check_state(primary, "ReplicateKey")
    replica_region = params["ReplicaRegion"]
    if partition_for(replica_region) != partition_for(primary.region):
        # AWS's text is unrecorded: replicas stay in the partition of the primary (§7.4).
        raise ValidationException(
            f"Replica region {replica_region} is not in the same AWS partition as the primary key {primary.arn}."
        )
    target = ctx.backend.region(primary.account, replica_region)
    if primary.key_id in target.keys:
        # AlreadyExistsException is documented (a replica — even one pending deletion — or
        # the primary already in that Region); AWS's text is unrecorded.
        raise AlreadyExistsException(f"Key '{target.key_arn(primary.key_id)}' already exists")
    tags = new_key_tags(ctx)
    policy = params.get("Policy")
    if policy is not None:
        check_policy_size(policy, ctx.mock.quota("key_policy_size") if ctx.mock else None)
    # kms:CreateKey (and kms:TagResource for Tags) in an IAM policy in the replica Region.
    ctx.authorize("kms:CreateKey", resource="*")
    if tags:
        ctx.authorize("kms:TagResource", resource="*")
    if ctx.mock is not None:
        limit = ctx.mock.quota("keys_per_region")
        usage = customer_key_count(target)
        if usage >= limit:
            raise key_quota_error(limit, usage)

    now = ctx.now()
    replica = Key(
        key_id=primary.key_id,
        account=primary.account,
        region=replica_region,
        spec=primary.spec,
        key_usage=primary.key_usage,
        origin=primary.origin,
        creation_date=now,
        policy=policy if policy is not None else default_key_policy(primary.account, target.partition),
        material=primary.material,  # shared: material, rotation, primary/replica Regions
        description=params.get("Description", ""),
        state=KeyState.CREATING,
        multi_region=True,
        tags=tags,
    )
    policy_check = ctx.backend.extras.get("check_new_key_policy")
    if policy is not None and policy_check is not None:
        policy_check(ctx, replica, policy)
    target.keys[replica.key_id] = replica
    primary.material.replica_regions.append(replica_region)
    settled = KeyState.PENDING_IMPORT if replica.origin == "EXTERNAL" else KeyState.ENABLED
    _settle_later(ctx.backend, replica, settled, _transition_time(ctx))
    result: dict[str, Any] = {"ReplicaKeyMetadata": replica.metadata(), "ReplicaPolicy": replica.policy}
    if tags:
        result["ReplicaTags"] = [{"TagKey": name, "TagValue": value} for name, value in tags.items()]
    return result


@operation("UpdatePrimaryRegion")
def update_primary_region(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    primary = ctx.find_key(params["KeyId"], allow_alias=False)
    ctx.authorize("kms:UpdatePrimaryRegion", primary)
    _require_primary(primary)
    check_state(primary, "UpdatePrimaryRegion")
    new_region = params["PrimaryRegion"]
    if new_region == primary.region:
        # AWS's text is unrecorded: the new primary Region must hold a replica (§7.4).
        raise ValidationException(f"{primary.arn} is already the primary key in {new_region}.")
    target = ctx.backend.region(primary.account, new_region)
    replica = target.keys.get(primary.key_id)
    if replica is None:
        raise NotFoundException(f"Key '{target.key_arn(primary.key_id)}' does not exist")
    # kms:UpdatePrimaryRegion on the replica too, in the replica's key policy.
    ctx.authorize("kms:UpdatePrimaryRegion", replica)
    check_state(replica, "UpdatePrimaryRegion")

    material = primary.material
    old_region = primary.region
    material.primary_region = new_region
    material.replica_regions.remove(new_region)
    material.replica_regions.append(old_region)

    # Both keys are Updating for a moment, then back to the state they had.
    when = _transition_time(ctx)
    for key in (primary, replica):
        # A key still Updating from an earlier call goes back to the state it had before that.
        restore = key.extras.get(SETTLES_TO, key.state) if key.state == KeyState.UPDATING else key.state
        _settle_later(ctx.backend, key, restore, when)
        key.state = KeyState.UPDATING
    return {}
