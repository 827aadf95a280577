"""KMS keys: metadata, key state and versions of key material.

Key material is made on first use (``KeyMaterial.secret`` / ``.private_key``) so that
CreateKey costs the same for an RSA_4096 key as for a symmetric one.
"""

from __future__ import annotations

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
class KeyMaterial:
    """One version of a key's material. Secrets are generated on first use."""

    material_id: str
    spec: str
    created: datetime
    rotation_date: datetime | None = None  # None for the key's first material
    rotation_type: str | None = None  # AUTOMATIC | ON_DEMAND
    description: str | None = None
    imported: bool = False
    expiration_model: str | None = None
    valid_to: datetime | None = None
    _secret: bytes | None = None  # symmetric (32 bytes) and HMAC keys
    _private_key: Any = None  # asymmetric keys: a `cryptography` private key

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            with _material_lock:
                if self._secret is None:
                    self._secret = _generate_secret(self.spec)
        return self._secret

    @property
    def private_key(self) -> Any:
        if self._private_key is None:
            with _material_lock:
                if self._private_key is None:
                    from mock_kms.core.crypto.asymmetric import generate_private_key

                    self._private_key = generate_private_key(self.spec)
        return self._private_key

    @property
    def has_material(self) -> bool:
        return self._secret is not None or self._private_key is not None


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
        material = KeyMaterial(new_material_id(), self.current.spec, when, when, rotation_type)
        self.versions.append(material)
        self.current_index = len(self.versions) - 1
        return material


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

    @property
    def enabled(self) -> bool:
        return self.state == KeyState.ENABLED

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
            if current.expiration_model:
                data["ExpirationModel"] = current.expiration_model
            if current.valid_to is not None:
                data["ValidTo"] = current.valid_to
        if spec.is_symmetric and self.origin in ("AWS_KMS", "EXTERNAL") and self.state != KeyState.CREATING:
            if self.origin == "AWS_KMS" or current.imported or len(self.material.versions) > 1:
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


def default_key_policy(account: str, partition: str = "aws") -> str:
    """AWS's default key policy, in the exact pretty-printed form GetKeyPolicy returns."""
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
