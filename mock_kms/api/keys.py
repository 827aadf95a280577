"""CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, UpdateKeyDescription,
ScheduleKeyDeletion, CancelKeyDeletion."""

from __future__ import annotations

from typing import Any

from mock_kms.api.context import RequestContext
from mock_kms.api.pagination import paginate_mapping
from mock_kms.api.registry import operation
from mock_kms.api.tags import new_key_tags
from mock_kms.core import lifecycle
from mock_kms.core.errors import (
    CustomKeyStoreNotFoundException,
    LimitExceededException,
    NotImplementedByMockException,
    UnsupportedOperationException,
    ValidationException,
)
from mock_kms.core.keys import (
    Key,
    KeyMaterial,
    KeyMaterialSet,
    KeyState,
    default_key_policy,
    new_key_id,
    new_material_id,
)
from mock_kms.core.managed_keys import customer_key_count
from mock_kms.core.specs import ENCRYPT_DECRYPT, KEY_SPECS

MAX_POLICY_BYTES = 32768


def check_policy_size(policy: str, limit: int | None = None) -> None:
    """The key policy document size quota (32 KB; ``quotas={"key_policy_size": …}``)."""
    limit = MAX_POLICY_BYTES if limit is None else limit
    if len(policy.encode("utf-8", "surrogatepass")) > limit:  # a lone surrogate: counted, not a crash
        # AWS answers LimitExceededException for the 32 KB quota; its text is unrecorded.
        raise LimitExceededException(f"Key policy document size exceeds the limit of {limit} bytes.")


def key_quota_error(limit: int, usage: int) -> LimitExceededException:
    """The customer managed keys per Region quota (CreateKey, ReplicateKey).

    AWS's text as recorded for CreateKey in 2016 [GH:convox/rack#347]."""
    return LimitExceededException(
        f"Key quota for this account in this region is {limit} but the current usage is {usage}."
    )


@operation("CreateKey")
def create_key(ctx: RequestContext) -> dict[str, Any]:
    params = ctx.params
    spec_name = params.get("KeySpec")
    legacy_spec = params.get("CustomerMasterKeySpec")
    if spec_name and legacy_spec:
        raise ValidationException(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
            "CustomerMasterKeySpec is deprecated."
        )
    spec = KEY_SPECS.get(spec_name or legacy_spec or "SYMMETRIC_DEFAULT")
    if spec is None:  # a KeySpec newer botocore models know and the mock does not (yet)
        raise NotImplementedByMockException(f"mock_kms does not support KeySpec {spec_name or legacy_spec} yet.")
    usage = params.get("KeyUsage")
    if usage is None:
        if not spec.is_symmetric:
            raise ValidationException(
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
            )
        usage = ENCRYPT_DECRYPT
    if usage not in spec.usages:
        raise ValidationException(f"KeyUsage {usage} is not compatible with KeySpec {spec.name}")
    if spec.name == "SM2" and not ctx.region.startswith("cn-"):
        # SM2 is offered only in the China Regions (kms_spec.md §3.1); AWS's text is unrecorded.
        raise ValidationException(f"KeySpec SM2 is not supported in the {ctx.region} Region.")
    origin = params.get("Origin", "AWS_KMS")
    multi_region = bool(params.get("MultiRegion"))
    store_id = params.get("CustomKeyStoreId")
    in_custom_key_store = origin in ("AWS_CLOUDHSM", "EXTERNAL_KEY_STORE") or bool(store_id or params.get("XksKeyId"))
    if in_custom_key_store:
        create_in_store = ctx.backend.extras.get("create_key_in_custom_key_store")
        if create_in_store is None:
            raise CustomKeyStoreNotFoundException(f"Custom key store {store_id} does not exist.")
    tags = new_key_tags(ctx)
    policy = params.get("Policy")
    if policy is not None:
        check_policy_size(policy, ctx.mock.quota("key_policy_size") if ctx.mock is not None else None)
    ctx.authorize("kms:CreateKey", resource="*")
    if tags:
        # Tags on CreateKey also need kms:TagResource (IAM policy) [M-doc:CreateKey].
        ctx.authorize("kms:TagResource", resource="*")

    here = ctx.here
    if ctx.mock is not None:
        # AWS managed keys don't count (core/managed_keys.py).
        limit = ctx.mock.quota("keys_per_region")
        key_count = customer_key_count(here)
        if key_count >= limit:
            raise key_quota_error(limit, key_count)
    now = ctx.now()
    key_id = new_key_id(multi_region)
    # EXTERNAL keys get their material from ImportKeyMaterial only (never generated).
    material = KeyMaterial(new_material_id(), spec.name, now, external=origin == "EXTERNAL")
    key = Key(
        key_id=key_id,
        account=here.account,
        region=here.region,
        spec=spec,
        key_usage=usage,
        origin=origin,
        creation_date=now,
        policy=policy if policy is not None else default_key_policy(here.account, here.partition),
        material=KeyMaterialSet([material], primary_region=here.region if multi_region else None),
        description=params.get("Description", ""),
        state=KeyState.PENDING_IMPORT if origin == "EXTERNAL" else KeyState.ENABLED,
        multi_region=multi_region,
        tags=tags,
    )
    if in_custom_key_store:
        ctx.backend.extras["create_key_in_custom_key_store"](ctx, key)
    policy_check = ctx.backend.extras.get("check_new_key_policy")
    if policy is not None and policy_check is not None:
        policy_check(ctx, key, policy)
    here.keys[key_id] = key
    ctx.key = key
    return {"KeyMetadata": key.metadata()}


@operation("DescribeKey")
def describe_key(ctx: RequestContext) -> dict[str, Any]:
    return {"KeyMetadata": ctx.use_key().metadata()}


@operation("ListKeys")
def list_keys(ctx: RequestContext) -> dict[str, Any]:
    ctx.authorize("kms:ListKeys", resource="*")
    here = ctx.here
    # Linear in the number of keys over a whole listing (100,000 keys: BENCHMARKS.md).
    return paginate_mapping(
        here, here.keys, ctx.params, _list_entry, scope="ListKeys", default_limit=100, max_limit=1000, field="Keys"
    )


def _list_entry(key: Key) -> dict[str, str]:
    return {"KeyId": key.key_id, "KeyArn": key.arn}


def require_customer_managed(key: Key) -> None:
    if key.key_manager == "AWS":
        # AWS managed keys cannot be changed by customers; AWS's text is unrecorded.
        raise UnsupportedOperationException(f"{key.arn} is an AWS managed key which is not valid for this operation.")


@operation("EnableKey")
def enable_key(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    require_customer_managed(key)
    if key.state == KeyState.DISABLED:
        key.state = KeyState.ENABLED
        lifecycle.key_enabled(ctx.backend, key, ctx.now())
    return {}


@operation("DisableKey")
def disable_key(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    require_customer_managed(key)
    if key.state == KeyState.ENABLED:
        key.state = KeyState.DISABLED
    return {}


@operation("UpdateKeyDescription")
def update_key_description(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    require_customer_managed(key)
    key.description = ctx.params["Description"]
    return {}


@operation("ScheduleKeyDeletion")
def schedule_key_deletion(ctx: RequestContext) -> dict[str, Any]:
    window = ctx.params.get("PendingWindowInDays", 30)
    key = ctx.use_key(allow_alias=False)
    if not 7 <= window <= 30:
        raise ValidationException("PendingWindowInDays must be between 7 and 30")
    require_customer_managed(key)
    if key.multi_region and key.material.primary_region == key.region and key.material.replica_regions:
        # A primary with replicas waits for them (kms_spec.md §7.1): no DeletionDate yet.
        key.state = KeyState.PENDING_REPLICA_DELETION
        key.pending_window_days = window
        return {"KeyId": key.arn, "KeyState": key.state, "PendingWindowInDays": window}
    lifecycle.schedule_deletion(ctx.backend, key, ctx.now(), window)
    return {
        "KeyId": key.arn,
        "DeletionDate": key.deletion_date,
        "KeyState": key.state,
        "PendingWindowInDays": window,
    }


@operation("CancelKeyDeletion")
def cancel_key_deletion(ctx: RequestContext) -> dict[str, Any]:
    key = ctx.use_key(allow_alias=False)
    lifecycle.cancel_deletion(key)
    return {"KeyId": key.arn}
