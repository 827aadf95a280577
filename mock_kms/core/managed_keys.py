"""AWS managed keys: ``alias/aws/<service>`` keys that AWS creates in an account on first use.

An AWS managed key exists per account, Region and service. The mock creates it the first
time its alias is resolved in that account and Region (by any operation that names
``alias/aws/<service>`` or its alias ARN) — in AWS the service creates it the first time you
use it with its default encryption. It is a symmetric ``AWS_KMS`` key with
``KeyManager: AWS``, a description and key policy in AWS's style, and automatic rotation
that is always on, every 365 days (kms_spec.md §7.2).

``ListAliases`` shows the alias, with its ``TargetKeyId``, once the key exists. AWS also lists
"predefined aliases that AWS has created but has not yet associated with a KMS key" (without
``TargetKeyId``, ListAliases doc), and so does moto: by default the mock lists every known
``alias/aws/<service>`` as a predefined alias until its key is created. ``mock_kms(
predefined_aws_aliases=False)`` (``Backend.extras["predefined_aws_aliases"]``) lists only the
aliases that name a key. Which predefined aliases a real account lists depends on its history.
AWS managed keys and their aliases do not count against the customer quotas (§8.1).

The key policy is **approximate**: it is written after the ``aws/s3`` / ``aws/ebs`` policies
AWS attaches (use through the service by the account's principals, via ``kms:ViaService`` and
``kms:CallerAccount``; direct ``Describe*``/``Get*``/``List*`` for the account), but the
exact statement list of each service's policy is not recorded here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mock_kms.core import lifecycle
from mock_kms.core.keys import Key, KeyMaterial, KeyMaterialSet, KeyState, new_key_id, new_material_id, partition_for
from mock_kms.core.specs import ENCRYPT_DECRYPT, KEY_SPECS

if TYPE_CHECKING:
    from mock_kms.core.backend import Backend, RegionBackend

PREFIX = "alias/aws/"
ROTATION_PERIOD_DAYS = 365  # AWS managed keys rotate yearly; not configurable (§7.2)
_EXTRAS_KEY = "aws_managed_keys"  # RegionBackend.extras: alias name -> ManagedAlias
PREDEFINED_EXTRA = "predefined_aws_aliases"  # Backend.extras: list uncreated alias/aws/* too

_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
_USE_WITH_GRANTS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:CreateGrant",
    "kms:DescribeKey",
]


@dataclass(frozen=True)
class ManagedService:
    """One AWS service that has an AWS managed key."""

    name: str  # the alias suffix: alias/aws/<name>
    title: str  # as AWS writes it in the policy Sid, e.g. "S3", "Secrets Manager"
    protects: str  # the Description's "Default key that protects my <protects> ..."
    via_service: str  # the kms:ViaService host prefix, e.g. "ec2" for EBS
    actions: tuple[str, ...] = tuple(_USE)


_SERVICES = [
    ManagedService("acm", "ACM", "ACM private keys", "acm", tuple(_USE_WITH_GRANTS)),
    ManagedService("backup", "Backup", "backups", "backup", tuple(_USE_WITH_GRANTS)),
    ManagedService("dynamodb", "Amazon DynamoDB", "DynamoDB data", "dynamodb", tuple(_USE_WITH_GRANTS)),
    ManagedService("ebs", "EBS", "EBS volumes", "ec2", tuple(_USE_WITH_GRANTS)),
    ManagedService("elasticfilesystem", "EFS", "EFS file systems", "elasticfilesystem", tuple(_USE_WITH_GRANTS)),
    ManagedService("es", "Amazon OpenSearch Service", "OpenSearch Service domains", "es", tuple(_USE_WITH_GRANTS)),
    ManagedService("glue", "Glue", "Glue data", "glue"),
    ManagedService("kinesis", "Kinesis", "Kinesis data", "kinesis"),
    ManagedService("kinesisvideo", "Kinesis Video Streams", "Kinesis Video Streams data", "kinesisvideo"),
    ManagedService("lambda", "Lambda", "Lambda functions", "lambda", tuple(_USE_WITH_GRANTS)),
    ManagedService("rds", "RDS", "RDS database volumes", "rds", tuple(_USE_WITH_GRANTS + ["kms:ListGrants"])),
    ManagedService("redshift", "Redshift", "Redshift data", "redshift", tuple(_USE_WITH_GRANTS)),
    ManagedService("s3", "S3", "S3 objects", "s3"),
    ManagedService(
        "secretsmanager", "Secrets Manager", "Secrets Manager data", "secretsmanager", tuple(_USE_WITH_GRANTS)
    ),
    ManagedService("sns", "SNS", "SNS data", "sns"),
    ManagedService("sqs", "SQS", "SQS messages", "sqs"),
    ManagedService("ssm", "SSM", "SSM parameters", "ssm"),
    ManagedService("xray", "X-Ray", "X-Ray data", "xray"),
]

# alias name -> service. Add entries here to give more services an AWS managed key.
AWS_MANAGED_SERVICES: dict[str, ManagedService] = {PREFIX + service.name: service for service in _SERVICES}


@dataclass(eq=False)
class ManagedAlias:
    name: str
    target_key_id: str
    creation_date: datetime


def _created(here: RegionBackend) -> dict[str, ManagedAlias]:
    return here.extras.setdefault(_EXTRAS_KEY, {})


def customer_key_count(here: RegionBackend) -> int:
    """Keys that count against the keys-per-Region quota (all but AWS managed keys)."""
    return len(here.keys) - len(here.extras.get(_EXTRAS_KEY, ()))


# -- key policy ---------------------------------------------------------------------------
def aws_json(value: Any, nesting: int = 0) -> str:
    """JSON pretty-printed the way KMS returns policies (Jackson's default pretty printer):
    ``"key" : value``, two-space indentation per object level, arrays inline as ``[ a, b ]``."""
    if isinstance(value, dict):
        if not value:
            return "{ }"
        indent = "  " * (nesting + 1)
        members = [
            f"{indent}{json.dumps(name, ensure_ascii=False)} : {aws_json(item, nesting + 1)}"
            for name, item in value.items()
        ]
        return "{\n" + ",\n".join(members) + "\n" + "  " * nesting + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(aws_json(item, nesting) for item in value) + " ]"
    return json.dumps(value, ensure_ascii=False)


def _domain(partition: str) -> str:
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def managed_key_policy(service: ManagedService, account: str, region: str) -> str:
    """The key policy of an AWS managed key (approximate; see the module docstring)."""
    partition = partition_for(region)
    return aws_json(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service.name}-2",
            "Statement": [
                {
                    "Sid": f"Allow access through {service.title} for all principals in the account "
                    f"that are authorized to use {service.title}",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": list(service.actions),
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account,
                            "kms:ViaService": f"{service.via_service}.{region}.{_domain(partition)}",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                    "Resource": "*",
                },
            ],
        }
    )


# -- creation on first use ----------------------------------------------------------------
def managed_key(backend: Backend, here: RegionBackend, alias_name: str, *, create: bool = True) -> Key | None:
    """The AWS managed key behind ``alias_name`` in ``here``, created on first use.

    None when ``alias_name`` names no known AWS managed key (or it does not exist yet and
    ``create`` is false).
    """
    service = AWS_MANAGED_SERVICES.get(alias_name)
    if service is None:
        return None
    created = _created(here)
    existing = created.get(alias_name)
    if existing is not None:
        key = here.keys.get(existing.target_key_id)
        if key is not None:
            return key
    if not create:
        return None
    now = backend.clock.now()
    spec = KEY_SPECS["SYMMETRIC_DEFAULT"]
    material = KeyMaterialSet(
        [KeyMaterial(new_material_id(), spec.name, now)],
        rotation_enabled=True,
        rotation_period_days=ROTATION_PERIOD_DAYS,
        next_rotation_date=now + timedelta(days=ROTATION_PERIOD_DAYS),
    )
    key = Key(
        key_id=new_key_id(),
        account=here.account,
        region=here.region,
        spec=spec,
        key_usage=ENCRYPT_DECRYPT,
        origin="AWS_KMS",
        creation_date=now,
        policy=managed_key_policy(service, here.account, here.region),
        material=material,
        description=f"Default key that protects my {service.protects} when no other key is defined",
        state=KeyState.ENABLED,
        key_manager="AWS",
    )
    here.keys[key.key_id] = key
    created[alias_name] = ManagedAlias(alias_name, key.key_id, now)
    # Yearly automatic rotation, by the same scheduler as customer keys (journaled as RotateKey).
    lifecycle.schedule_rotation(backend, key)
    return key


def alias_entries(
    here: RegionBackend, key_id: str | None = None, backend_extras: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """``ListAliases`` entries for the AWS aliases of ``here`` (all, or those of ``key_id``).

    Predefined aliases whose key does not exist yet (listed only when the backend's
    ``extras["predefined_aws_aliases"]`` is true) have only AliasName and AliasArn.
    """
    created = here.extras.get(_EXTRAS_KEY, {})
    predefined = bool(backend_extras.get(PREDEFINED_EXTRA)) if backend_extras is not None else False
    entries = []
    for name in sorted(AWS_MANAGED_SERVICES):
        alias = created.get(name)
        if alias is None and (key_id is not None or not predefined):
            continue
        if key_id is not None and alias.target_key_id != key_id:
            continue
        entry: dict[str, Any] = {"AliasName": name, "AliasArn": here.alias_arn(name)}
        if alias is not None:
            entry.update(
                TargetKeyId=alias.target_key_id, CreationDate=alias.creation_date, LastUpdatedDate=alias.creation_date
            )
        entries.append(entry)
    return entries


def install(backend: Backend) -> None:
    """Make ``alias/aws/<service>`` resolve in every account and Region of ``backend``."""

    def resolve(here: RegionBackend, alias_name: str, create: bool = True) -> Key | None:
        return managed_key(backend, here, alias_name, create=create)

    backend.extras["missing_alias_resolver"] = resolve
