"""KMS keys: metadata, key state and versions of key material.

Key material is made on first use (``KeyMaterial.secret`` / ``.private_key``) so that
CreateKey costs the same for an RSA_4096 key as for a symmetric one.
"""

from __future__ import annotations

import functools
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_kms.core.specs import ENCRYPT_DECRYPT, KeySpecInfo


class KeyState:
    """The ``KeyState`` enum values."""

    CREATING = "Creating"
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    PENDING_IMPORT = "PendingImport"
    PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
    UNAVAILABLE = "Unavailable"
    UPDATING = "Updating"


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


def new_key_id(multi_region: bool = False) -> str:
    if multi_region:
        return "mrk-" + uuid.uuid4().hex
    return str(uuid.uuid4())


def new_material_id() -> str:
    return os.urandom(32).hex()


# Generating asymmetric material is slow; one lock keeps two threads from racing on it.
_material_lock = threading.Lock()


@dataclass(eq=False)
class MaterialImport:
    """One successful ImportKeyMaterial of a material into the key of one region."""

    expiration_model: str  # KEY_MATERIAL_EXPIRES | KEY_MATERIAL_DOES_NOT_EXPIRE
    valid_to: datetime | None
    imported_at: datetime


@dataclass(eq=False)
class KeyMaterial:
    """One version of a key's material. Secrets are generated on first use.

    ``external`` material (keys with Origin EXTERNAL) is never generated: its secret is
    set by ImportKeyMaterial, and reading it before that (or after the material was
    deleted or expired everywhere) raises ``KMSInvalidStateException``.
    """

    material_id: str
    spec: str
    created: datetime
    rotation_date: datetime | None = None  # None for the key's first material
    rotation_type: str | None = None  # AUTOMATIC | ON_DEMAND
    description: str | None = None
    imported: bool = False  # external material: imported at least once (its id is now fixed)
    # Latest import anywhere (single-Region keys: the key's import). Per-region truth is
    # in ``present`` — use ``import_info(region)``.
    expiration_model: str | None = None
    valid_to: datetime | None = None
    _secret: bytes | None = None  # symmetric (32 bytes) and HMAC keys
    _private_key: Any = None  # asymmetric keys: a `cryptography` private key
    external: bool = False  # imported-kind material (Origin EXTERNAL): never generated
    # External material: region -> the import that put it in that region's key. A region
    # absent here has the material deleted/expired/not yet imported (ImportState PENDING_IMPORT).
    present: dict[str, MaterialImport] = field(default_factory=dict)
    # External material: SHA-256 of the imported material (kept after deletion, so a
    # re-import can be checked against it: IncorrectKeyMaterialException).
    fingerprint: bytes | None = None

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._require_generated()
            with _material_lock:
                if self._secret is None:
                    self._secret = _generate_secret(self.spec)
        return self._secret

    @property
    def private_key(self) -> Any:
        if self._private_key is None:
            self._require_generated()
            with _material_lock:
                if self._private_key is None:
                    from mock_kms.core.crypto.asymmetric import generate_private_key

                    self._private_key = generate_private_key(self.spec)
        return self._private_key

    def _require_generated(self) -> None:
        if self.external:
            # Only reachable if a caller skipped the key-state check (PendingImport).
            from mock_kms.core.errors import KMSInvalidStateException

            raise KMSInvalidStateException(f"Key material {self.material_id} is pending import.")

    @property
    def has_material(self) -> bool:
        return self._secret is not None or self._private_key is not None

    def available_in(self, region: str) -> bool:
        """Whether the key of ``region`` can use this material (external: imported there)."""
        return not self.external or region in self.present

    def import_info(self, region: str) -> MaterialImport | None:
        """The import that put this external material in ``region``'s key, if present."""
        return self.present.get(region)

    def import_state(self, region: str) -> str | None:
        """``ImportState`` (ListKeyRotations): IMPORTED | PENDING_IMPORT; None if not external."""
        if not self.external:
            return None
        return "IMPORTED" if region in self.present else "PENDING_IMPORT"

    def set_imported_material(self, secret: bytes | None, private_key: Any, fingerprint: bytes) -> None:
        self._secret = secret
        self._private_key = private_key
        self.fingerprint = fingerprint
        self.imported = True

    def forget_material(self) -> None:
        """Drop the imported secret (no region holds it any more); the fingerprint stays."""
        self._secret = None
        self._private_key = None


def _generate_secret(spec: str) -> bytes:
    if spec == "SYMMETRIC_DEFAULT":
        return os.urandom(32)
    from mock_kms.core.crypto import generate_hmac_key

    return generate_hmac_key(spec)


@dataclass(eq=False)
class KeyMaterialSet:
    """All material versions of a key, oldest first; shared by the keys of a multi-Region set.

    Rotation settings live here too because AWS synchronizes them across a multi-Region set.
    """

    versions: list[KeyMaterial]
    current_index: int = 0
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    next_rotation_date: datetime | None = None
    on_demand_rotations: int = 0
    # Multi-Region sets: the primary's region and the replicas' regions (in creation order).
    primary_region: str | None = None
    replica_regions: list[str] = field(default_factory=list)

    @property
    def current(self) -> KeyMaterial:
        return self.versions[self.current_index]

    def find(self, material_id: str) -> KeyMaterial | None:
        for version in reversed(self.versions):
            if version.material_id == material_id:
                return version
        return None

    def rotate(self, when: datetime, rotation_type: str) -> KeyMaterial:
        """Rotate to new KMS-generated material (keys with Origin AWS_KMS).

        Keys with imported material rotate with ``rotate_imported_material`` instead.
        """
        if self.current.external:
            raise ValueError("keys with imported material rotate with rotate_imported_material()")
        material = KeyMaterial(new_material_id(), self.current.spec, when, when, rotation_type)
        self.versions.append(material)
        self.current_index = len(self.versions) - 1
        return material

    @property
    def pending(self) -> KeyMaterial | None:
        """Imported material waiting for RotateKeyOnDemand (KeyMaterialState PENDING_ROTATION)."""
        if self.current_index + 1 < len(self.versions):
            return self.versions[self.current_index + 1]
        return None

    def regions(self) -> list[str]:
        """Regions of the keys sharing this set (primary first); [] for single-Region keys."""
        if self.primary_region is None:
            return []
        return [self.primary_region, *self.replica_regions]


@dataclass(eq=False)
class Key:
    key_id: str
    account: str
    region: str
    spec: KeySpecInfo
    key_usage: str
    origin: str
    creation_date: datetime
    policy: str
    material: KeyMaterialSet
    description: str = ""
    state: str = KeyState.ENABLED
    key_manager: str = "CUSTOMER"
    multi_region: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    deletion_date: datetime | None = None
    pending_window_days: int | None = None
    custom_key_store_id: str | None = None
    cloud_hsm_cluster_id: str | None = None
    xks_key_id: str | None = None
    grants: dict[str, Any] = field(default_factory=dict)  # GrantId -> Grant
    # Extension slots for later features keyed by feature name.
    extras: dict[str, Any] = field(default_factory=dict)
    arn: str = ""

    def __post_init__(self) -> None:
        if not self.arn:
            self.arn = f"arn:{partition_for(self.region)}:kms:{self.region}:{self.account}:key/{self.key_id}"
        if self.origin == "EXTERNAL":
            # Imported-kind material is never generated, however the key was built.
            for version in self.material.versions:
                version.external = True

    @property
    def is_symmetric_encryption(self) -> bool:
        return self.spec.is_symmetric and self.key_usage == ENCRYPT_DECRYPT

    def metadata(self) -> dict[str, Any]:
        """``KeyMetadata`` as DescribeKey returns it, with AWS's field-presence rules."""
        spec = self.spec
        data: dict[str, Any] = {
            "AWSAccountId": self.account,
            "KeyId": self.key_id,
            "Arn": self.arn,
            "CreationDate": self.creation_date,
            "Enabled": self.state == KeyState.ENABLED,
            "Description": self.description,
            "KeyUsage": self.key_usage,
            "KeyState": self.state,
            "Origin": self.origin,
            "KeyManager": self.key_manager,
            "KeySpec": spec.name,
            "MultiRegion": self.multi_region,
        }
        if spec.has_customer_master_key_spec:
            data["CustomerMasterKeySpec"] = spec.name
        data.update(spec.algorithm_fields(self.key_usage))
        if self.deletion_date is not None and self.state == KeyState.PENDING_DELETION:
            data["DeletionDate"] = self.deletion_date
        if self.state == KeyState.PENDING_REPLICA_DELETION and self.pending_window_days:
            data["PendingDeletionWindowInDays"] = self.pending_window_days
        if self.multi_region:
            data["MultiRegionConfiguration"] = self.multi_region_configuration()
        if self.custom_key_store_id:
            data["CustomKeyStoreId"] = self.custom_key_store_id
        if self.cloud_hsm_cluster_id:
            data["CloudHsmClusterId"] = self.cloud_hsm_cluster_id
        if self.xks_key_id:
            data["XksKeyConfiguration"] = {"Id": self.xks_key_id}
        current = self.material.current
        if self.origin == "EXTERNAL":
            # Shown only while the current material is imported in this key's region
            # (absent before the first import and after deletion/expiry) [aws_responses.md].
            info = current.import_info(self.region)
            if info is not None:
                data["ExpirationModel"] = info.expiration_model
                if info.valid_to is not None:
                    data["ValidTo"] = info.valid_to
        # EXTERNAL: from the first import on, and still after the material is deleted.
        if (
            spec.is_symmetric
            and self.state != KeyState.CREATING
            and (self.origin == "AWS_KMS" or (self.origin == "EXTERNAL" and current.imported))
        ):
            data["CurrentKeyMaterialId"] = current.material_id
        return data


    def multi_region_configuration(self) -> dict[str, Any]:
        primary = self.material.primary_region or self.region
        prefix = f"arn:{partition_for(self.region)}:kms:"

        def entry(region: str) -> dict[str, str]:
            return {"Arn": f"{prefix}{region}:{self.account}:key/{self.key_id}", "Region": region}

        return {
            "MultiRegionKeyType": "PRIMARY" if primary == self.region else "REPLICA",
            "PrimaryKey": entry(primary),
            "ReplicaKeys": [entry(region) for region in self.material.replica_regions],
        }


def imported_material_fingerprint(secret: bytes | None = None, private_key: Any = None) -> bytes:
    """What identifies imported material (kept after it is deleted): SHA-256 of the secret
    (symmetric, HMAC) or of the DER SubjectPublicKeyInfo (asymmetric, so any encoding of
    the same private key matches)."""
    import hashlib

    if private_key is not None:
        from mock_kms.core.crypto import public_key_der

        return hashlib.sha256(public_key_der(private_key)).digest()
    return hashlib.sha256(secret or b"").digest()


def imported_material_id(key_id: str, fingerprint: bytes) -> str:
    """KeyMaterialId of imported material: "based on the KMS key ID and the imported key
    material" [M-doc:ImportKeyMaterial], so re-importing the same material gives the same id."""
    import hashlib
    import hmac

    return hmac.new(key_id.encode("ascii"), b"key-material:" + fingerprint, hashlib.sha256).hexdigest()


def key_material_state(key: Key, material: KeyMaterial) -> str:
    """``KeyMaterialState`` of one of ``key``'s materials (ListKeyRotations)."""
    versions = key.material.versions
    index = next(i for i, version in enumerate(versions) if version is material)
    if index == key.material.current_index:
        return "CURRENT"
    if index < key.material.current_index:
        return "NON_CURRENT"
    if any(region not in material.present for region in key.material.regions()):
        return "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
    return "PENDING_ROTATION"


def rotate_imported_material(key: Key, when: datetime, rotation_type: str = "ON_DEMAND") -> KeyMaterial:
    """RotateKeyOnDemand for a key with imported material (Origin EXTERNAL) [kms_spec.md §7.3].

    The new material is the one imported with ``ImportType=NEW_KEY_MATERIAL`` and waiting
    in state PENDING_ROTATION; it becomes current. A multi-Region key rotates only once
    every key of the set holds that material. Key state, usage and origin are the
    caller's checks (RotateKeyOnDemand's key-state rules).
    """
    from mock_kms.core.errors import KMSInvalidStateException

    pending = key.material.pending
    if pending is None:
        # Recorded AWS text [LS@2025-11-19].
        raise KMSInvalidStateException(f"No available key material pending rotation for the key: {key.arn}.")
    missing = [region for region in key.material.regions() if region not in pending.present]
    if missing or (not key.material.regions() and key.region not in pending.present):
        # AWS's text is unrecorded (state PENDING_MULTI_REGION_IMPORT_AND_ROTATION).
        raise KMSInvalidStateException(
            f"Key material (id: {pending.material_id}) must be imported into every Region of {key.arn} "
            f"before the rotation; it is pending import in: {', '.join(missing or [key.region])}."
        )
    pending.rotation_date = when
    pending.rotation_type = rotation_type
    key.material.current_index += 1
    return pending


@functools.lru_cache(maxsize=256)
def default_key_policy(account: str, partition: str = "aws") -> str:
    """AWS's default key policy, in the exact pretty-printed form GetKeyPolicy returns.

    Cached: every key with the default policy shares one string (~300 bytes a key saved,
    and the authorizer's default-policy test becomes an identity check)."""
    return (
        "{\n"
        '  "Version" : "2012-10-17",\n'
        '  "Id" : "key-default-1",\n'
        '  "Statement" : [ {\n'
        '    "Sid" : "Enable IAM User Permissions",\n'
        '    "Effect" : "Allow",\n'
        '    "Principal" : {\n'
        f'      "AWS" : "arn:{partition}:iam::{account}:root"\n'
        "    },\n"
        '    "Action" : "kms:*",\n'
        '    "Resource" : "*"\n'
        "  } ]\n"
        "}"
    )
