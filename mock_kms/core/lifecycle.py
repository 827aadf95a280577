"""Time-based transitions of keys: deletion at the end of the waiting period and
automatic rotation of key material (kms_spec.md §7.1–7.3).

Nothing runs in the background. Each transition is queued on ``Backend.schedule`` at the
moment it is due; the wire layer calls ``Backend.run_due_events()`` at the start of every
request, so the next request after the clock passes the moment observes the change. An
event carries the moment it was due, and it re-checks that it still applies (a cancelled
deletion or a changed rotation schedule leaves a stale event that then does nothing).

Service events are recorded in the call journal under CloudTrail's event names
(``DeleteKey``, ``RotateKey``) through the ``backend.extras["record_event"]`` hook that the
mock installs: ``record_event(operation, key, when, details)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mock_kms.core.keys import Key, KeyMaterial, KeyState, rotate_imported_material

AUTOMATIC = "AUTOMATIC"
ON_DEMAND = "ON_DEMAND"


def record_event(backend: Any, operation: str, key: Key, when: datetime, details: dict[str, Any] | None = None) -> None:
    """Journal something KMS did by itself (a CloudTrail ``AwsServiceEvent``)."""
    hook = backend.extras.get("record_event")
    if hook is not None:
        hook(operation, key, when, details or {})


def is_live(backend: Any, key: Key) -> bool:
    """True while ``key`` has not been deleted."""
    return backend.region(key.account, key.region).keys.get(key.key_id) is key


# -- deletion ---------------------------------------------------------------------------------
def schedule_deletion(backend: Any, key: Key, now: datetime, window_days: int) -> datetime:
    """Put ``key`` in PendingDeletion; it is deleted when the clock passes its DeletionDate."""
    deletion_date = now + timedelta(days=window_days)
    key.state = KeyState.PENDING_DELETION
    key.pending_window_days = window_days
    key.deletion_date = deletion_date

    def delete_when_due(when: datetime) -> None:
        # Cancelled (or cancelled and rescheduled) deletions leave this event stale.
        if is_live(backend, key) and key.state == KeyState.PENDING_DELETION and key.deletion_date == when:
            delete_key(backend, key, when)

    backend.schedule(deletion_date, delete_when_due)
    return deletion_date


def cancel_deletion(key: Key) -> None:
    """CancelKeyDeletion: the key becomes Disabled and loses its DeletionDate."""
    key.state = KeyState.DISABLED
    key.deletion_date = None
    key.pending_window_days = None


def delete_key(backend: Any, key: Key, when: datetime) -> None:
    """The end of a waiting period: the key, its material, aliases and grants are gone."""
    backend.region(key.account, key.region).remove_key(key.key_id)
    for on_deleted in backend.hooks("on_key_deleted"):
        on_deleted(key)
    record_event(backend, "DeleteKey", key, when, {"keyId": key.key_id})
    if key.multi_region and key.material.primary_region not in (None, key.region):
        replica_deleted(backend, key, when)


def replica_deleted(backend: Any, replica: Key, when: datetime) -> None:
    """A multi-Region replica is gone for good (not merely scheduled for deletion).

    Drops its Region from the set's replica list and, when it was the last replica of a
    primary in PendingReplicaDeletion, moves the primary to PendingDeletion: its waiting
    period (the window given to ScheduleKeyDeletion) begins at ``when`` (§7.1).
    Idempotent, so the multi-Region feature may call it as well.
    """
    material = replica.material
    if replica.region in material.replica_regions:
        material.replica_regions.remove(replica.region)
    if material.replica_regions or material.primary_region is None:
        return
    primary = backend.region(replica.account, material.primary_region).keys.get(replica.key_id)
    if primary is not None and primary.state == KeyState.PENDING_REPLICA_DELETION:
        schedule_deletion(backend, primary, when, primary.pending_window_days or 30)


# -- rotation ---------------------------------------------------------------------------------
def is_rotation_owner(key: Key) -> bool:
    """Rotation is set on, and happens through, a single-Region key or a multi-Region primary."""
    return not key.multi_region or key.material.primary_region in (None, key.region)


def rotation_owner(backend: Any, key: Key) -> Key | None:
    """The live key whose state governs rotation of ``key``'s material: the key itself, or
    the current primary of its multi-Region set (which UpdatePrimaryRegion may have moved)."""
    if not is_rotation_owner(key):
        key = backend.region(key.account, key.material.primary_region).keys.get(key.key_id)
        if key is None:
            return None
    return key if is_live(backend, key) else None


def rotate(backend: Any, key: Key, when: datetime, rotation_type: str) -> KeyMaterial:
    """New current key material (old versions stay for Decrypt), recorded as ``RotateKey``.

    The material set is shared by a multi-Region key's replicas, so they rotate with it.
    Keys with imported material (Origin EXTERNAL) rotate to the material imported for
    rotation (PENDING_ROTATION), or raise AWS's KMSInvalidStateException if there is none.
    """
    previous = key.material.current
    if previous.external:
        material = rotate_imported_material(key, when, rotation_type)
    else:
        material = key.material.rotate(when, rotation_type)
    record_event(
        backend,
        "RotateKey",
        key,
        when,
        {
            "rotationType": rotation_type,
            "keyOrigin": key.origin,
            "previousKeyMaterialId": previous.material_id,
            "currentKeyMaterialId": material.material_id,
            "keyId": key.key_id,
        },
    )
    return material


def enable_rotation(backend: Any, key: Key, now: datetime, period_days: int) -> None:
    """EnableKeyRotation. The first rotation is ``period_days`` after the enable date.

    Calling it again on a key whose rotation is already enabled changes the period but
    keeps the schedule's starting point (the enable date or the last automatic rotation),
    so repeating the call does not postpone rotation; if the new date has already passed,
    the key rotates on the next request. (AWS does not document this case; a guess.)
    """
    material = key.material
    next_date = now + timedelta(days=period_days)
    if material.rotation_enabled and material.next_rotation_date and material.rotation_period_days:
        start = material.next_rotation_date - timedelta(days=material.rotation_period_days)
        next_date = max(start + timedelta(days=period_days), now)
    material.rotation_enabled = True
    material.rotation_period_days = period_days
    material.next_rotation_date = next_date
    schedule_rotation(backend, key)


def disable_rotation(key: Key) -> None:
    key.material.rotation_enabled = False
    key.material.next_rotation_date = None


def schedule_rotation(backend: Any, key: Key) -> None:
    """Queue the automatic rotation at ``key.material.next_rotation_date``.

    Public so that other features (e.g. AWS managed keys, which rotate yearly) can arm the
    schedule after setting ``rotation_enabled``, ``rotation_period_days`` and
    ``next_rotation_date`` on the key's material.
    """
    due = key.material.next_rotation_date
    if due is None:
        return

    def rotate_when_due(when: datetime) -> None:
        material = key.material
        owner = rotation_owner(backend, key)
        if not material.rotation_enabled or material.next_rotation_date != when or owner is None:
            return  # stale: rotation disabled, rescheduled, or the key is gone
        if owner.state != KeyState.ENABLED:
            # Disabled or pending deletion: no rotation. EnableKey catches up (key_enabled).
            return
        rotate(backend, owner, when, AUTOMATIC)
        material.next_rotation_date = when + timedelta(days=material.rotation_period_days or 365)
        schedule_rotation(backend, owner)

    backend.schedule(due, rotate_when_due)


def key_enabled(backend: Any, key: Key, now: datetime) -> None:
    """Call after a key becomes Enabled again (EnableKey).

    A key with automatic rotation does not rotate while disabled (or pending deletion);
    when re-enabled, it rotates at once if its rotation came due meanwhile, and the next
    rotation is one period later. Otherwise the prior schedule resumes (§7.2).
    """
    material = key.material
    due = material.next_rotation_date
    if not material.rotation_enabled or due is None or due > now or not is_rotation_owner(key):
        return
    rotate(backend, key, now, AUTOMATIC)
    material.next_rotation_date = now + timedelta(days=material.rotation_period_days or 365)
    schedule_rotation(backend, key)
